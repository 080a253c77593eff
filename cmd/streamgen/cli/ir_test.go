package cli

import (
	"encoding/json"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/gen/ir"
)

// TestIRJSONGolden dumps the IR of the aggregates golden case (every
// aggregate function, an enum, a date and a nullable key, a sliding
// window) and compares it with testdata/aggregates.ir.json (go test
// -update rewrites it). The dump is deterministic, holds no absolute
// paths, tags every type with its kind, and decodes back into the ir
// types.
func TestIRJSONGolden(t *testing.T) {
	spec := filepath.Join("..", "..", "..", "generated_test", "aggregates", "streamgen.yaml")
	out := mustRun(t, "ir", "--json", spec)
	for range 3 {
		if again := mustRun(t, "ir", "--json", spec); again != out {
			t.Fatalf("ir --json is not deterministic:\n%s", cmp.Diff(out, again))
		}
	}
	want := golden(t, "aggregates.ir.json", out)
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("ir --json (-want +got):\n%s", diff)
	}

	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, root) || strings.Contains(out, filepath.ToSlash(root)) {
		t.Errorf("ir --json holds the absolute path %s", root)
	}
	var doc any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	walkJSON(doc, func(key string, v any) {
		switch key {
		case "file", "source", "spec", "schemaPath", "id":
			if s, _ := v.(string); path.IsAbs(s) || strings.HasPrefix(s, "..") || strings.Contains(s, `\`) {
				t.Errorf("%s %q is not a relative slash-separated path", key, s)
			}
		case "type", "elem":
			if m, ok := v.(map[string]any); ok {
				k, _ := m["kind"].(string)
				if _, err := ir.DecodeType(mustJSON(t, m)); err != nil {
					t.Errorf("%s %v: %v", key, m, err)
				}
				kinds[k]++
			}
		}
	})
	for _, k := range []string{"scalar", "timestamp", "date", "enum"} {
		if kinds[k] == 0 {
			t.Errorf("no type of kind %q in the dump (kinds %v)", k, kinds)
		}
	}

	// The records and aggregates decode into the ir types and encode back
	// to the same JSON.
	type typed struct {
		Records   []*ir.Record `json:"records"`
		Pipelines []struct {
			Aggregation struct {
				Aggs   []*ir.Agg  `json:"aggs"`
				Result *ir.Record `json:"result"`
			} `json:"aggregation"`
			Output  *ir.Record   `json:"output"`
			Derived []*ir.Record `json:"derived"`
		} `json:"pipelines"`
	}
	var tp typed
	if err := json.Unmarshal([]byte(out), &tp); err != nil {
		t.Fatalf("decoding the dump: %v", err)
	}
	if len(tp.Records) == 0 || len(tp.Pipelines) != 1 || len(tp.Pipelines[0].Aggregation.Aggs) == 0 {
		t.Fatalf("decoded dump lacks records or aggregates: %+v", tp)
	}
	// Compare generically: the re-encoding of the decoded parts against
	// the same parts of the original.
	var gotAny any
	if err := json.Unmarshal(mustJSON(t, tp), &gotAny); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(projectTyped(t, doc), gotAny); diff != "" {
		t.Errorf("decoded and re-encoded IR differs (-dump +round trip):\n%s", diff)
	}
}

// projectTyped keeps the parts of a generic IR dump that TestIRJSONGolden
// decodes into ir types.
func projectTyped(t *testing.T, doc any) any {
	t.Helper()
	m := doc.(map[string]any)
	var pls []any
	for _, p := range m["pipelines"].([]any) {
		pm := p.(map[string]any)
		agg := pm["aggregation"].(map[string]any)
		pls = append(pls, map[string]any{
			"aggregation": map[string]any{"aggs": agg["aggs"], "result": agg["result"]},
			"output":      pm["output"],
			"derived":     pm["derived"],
		})
	}
	return map[string]any{"records": m["records"], "pipelines": pls}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// walkJSON calls f for every key and value of the objects in v.
func walkJSON(v any, f func(key string, v any)) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			f(k, x)
			walkJSON(x, f)
		}
	case []any:
		for _, x := range v {
			walkJSON(x, f)
		}
	}
}
