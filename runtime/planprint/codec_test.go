package planprint

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/streamgen/streamgen/runtime/delta"
)

var update = flag.Bool("update", false, "rewrite testdata/plan.golden.json")

func TestEncodeGolden(t *testing.T) {
	got, err := Encode(basePlan())
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "plan.golden.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Encode differs from %s (go test -update to accept):\n%s", golden, cmp.Diff(string(want), string(got)))
	}
	// Deterministic: a second encoding, and one of a decoded copy, give
	// the same bytes.
	again, _ := Encode(basePlan())
	if !bytes.Equal(got, again) {
		t.Error("two encodings differ")
	}
	if re, _ := Encode(clone(t, basePlan())); !bytes.Equal(got, re) {
		t.Errorf("re-encoding a decoded plan differs:\n%s", cmp.Diff(string(got), string(re)))
	}
}

func TestRoundTrip(t *testing.T) {
	plans := map[string]*Plan{"base": basePlan()}
	nested := basePlan()
	nested.Sources[0].Schema = append(nested.Sources[0].Schema,
		Field{Name: "loc", Type: StructOf(Field{Name: "lat", Type: Double}, Field{Name: "tags", Type: ArrayOf(String, true), Nullable: true})},
		Field{Name: "attrs", Type: MapOf(String, Decimal(10, 2), false), Nullable: true},
		Field{Name: "raw", Type: Binary, Nullable: true})
	nested.Sources[0].Subscribe, nested.Sources[0].Assign = nil, []TopicPartitions{{Topic: "a&b<c>", Partitions: []int32{0, 2}}}
	nested.Operators[0].Window = &Window{Kind: Sliding, Column: "time", Size: 3600e9, Slide: 600e9, StartOffset: 60e9}
	plans["nested"] = nested
	minimal := &Plan{Pipeline: "p", Sources: []Source{{Kind: SourceRate, Schema: []Field{{Name: "value", Type: Long}}}},
		OutputMode: Append, Sink: Sink{Kind: SinkConsole, Schema: []Field{{Name: "value", Type: Long}}}}
	plans["minimal"] = minimal
	for name, p := range plans {
		t.Run(name, func(t *testing.T) {
			data, err := Encode(p)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(data, []byte(`\u0026`)) {
				t.Errorf("HTML-escaped: %s", data)
			}
			q, err := Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			want := *p
			want.Version = FormatVersion
			if d := cmp.Diff(&want, q, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("round trip (-want +got):\n%s", d)
			}
			if v := Compare(p, q, nil); len(v.Changes) != 0 {
				t.Errorf("Compare(p, decoded p) = %s", v)
			}
		})
	}
}

func TestDeltaConversion(t *testing.T) {
	st, err := delta.ParseSchema(`{"type":"struct","fields":[
		{"name":"a","type":"long","nullable":false,"metadata":{}},
		{"name":"b","type":{"type":"array","elementType":"string","containsNull":true},"nullable":true,"metadata":{}},
		{"name":"c","type":{"type":"struct","fields":[{"name":"d","type":"decimal(12,3)","nullable":true,"metadata":{}}]},"nullable":true,"metadata":{}},
		{"name":"e","type":{"type":"map","keyType":"string","valueType":"date","valueContainsNull":false},"nullable":true,"metadata":{}}]}`)
	if err != nil {
		t.Fatal(err)
	}
	fs := FieldsOf(st)
	if got, want := StructOf(fs...).String(), st.String(); got != want {
		t.Errorf("String() = %s, want %s", got, want)
	}
	if got, want := DeltaSchema(fs).SchemaString(), st.SchemaString(); got != want {
		t.Errorf("DeltaSchema = %s, want %s", got, want)
	}
}

func TestFingerprint(t *testing.T) {
	a, b := basePlan(), basePlan()
	b.Pos, b.Sources[0].Schema[0].Pos, b.OutputModePos, b.Operators[0].Window.Pos = Pos{}, at(99, 1), Pos{}, at(1, 1)
	if a.Fingerprint() != b.Fingerprint() {
		t.Error("positions change the fingerprint")
	}
	if !strings.HasPrefix(a.Fingerprint(), "sha256:") || len(a.Fingerprint()) != len("sha256:")+64 {
		t.Errorf("Fingerprint() = %q", a.Fingerprint())
	}
	b.Operators[0].Aggregates[0].Func = "sum"
	if a.Fingerprint() == b.Fingerprint() {
		t.Error("an aggregate does not change the fingerprint")
	}
}

func TestDecodeNewerVersion(t *testing.T) {
	data, _ := Encode(basePlan())
	data = bytes.Replace(data, []byte(`"version": 1,`), []byte(`"version": 2,`), 1)
	// A newer record may hold fields this version does not know: the
	// version is checked first.
	data = bytes.Replace(data, []byte(`"pipeline"`), []byte(`"joins": [], "pipeline"`), 1)
	_, err := Decode(data)
	var de *DecodeError
	if !errors.As(err, &de) || !de.Newer {
		t.Fatalf("Decode(v2) = %v, want a *DecodeError with Newer", err)
	}
	want := "planprint: plan record: plan record format version 2 was written by a newer streamgen (this one reads versions 1 to 1): " +
		"upgrade streamgen to the version that wrote it (or newer), or start a new checkpoint (--checkpoint DIR)"
	if err.Error() != want {
		t.Errorf("error:\n%s\nwant:\n%s", err, want)
	}
}

func TestDecodeCorrupt(t *testing.T) {
	good, _ := Encode(basePlan())
	edit := func(old, new string) []byte {
		t.Helper()
		if !bytes.Contains(good, []byte(old)) {
			t.Fatalf("%q not in the record", old)
		}
		return bytes.Replace(good, []byte(old), []byte(new), 1)
	}
	tests := []struct {
		name string
		data []byte
		want string // the error's reason and position, before the fix
	}{
		{"empty", nil, "plan record:1:1: truncated JSON (unexpected end of JSON input)"},
		{"truncated", good[:200], "plan record:13:3: truncated JSON (unexpected end of JSON input)"},
		{"syntax", edit(`"pipeline": "device_counts",`, `"pipeline": "device_counts"`), "plan record:4:3: invalid JSON (invalid character '\"' after object key:value pair)"},
		{"not an object", []byte(`[1]`), "plan record:1:2: invalid plan record (json: cannot unmarshal array into Go value of type struct { Version *int \"json:\\\"version\\\"\" })"},
		{"no version", edit(`"version": 1,`, ``), `plan record: missing "version"`},
		{"version zero", edit(`"version": 1,`, `"version": 0,`), "plan record: invalid plan record format version 0"},
		{"unknown field", edit(`"pipeline"`, `"pipelines": 1, "pipeline"`), `plan record: invalid plan record (json: unknown field "pipelines")`},
		{"wrong type", edit(`"stateVersion": 3`, `"stateVersion": "3"`), "plan record:90:26: invalid plan record (json: cannot unmarshal string into Go struct field Operator.operators.stateVersion of type int)"},
		{"unknown column type", edit(`"type": "double"`, `"type": "float128"`), `plan record: invalid plan record (unknown type "float128")`},
		{"unknown source kind", edit(`"kind": "kafka"`, `"kind": "pulsar"`), `plan record: sources[0]: unknown source kind "pulsar"`},
		{"unknown sink kind", edit(`"kind": "delta"`, `"kind": "jdbc"`), `plan record: sink: unknown sink kind "jdbc"`},
		{"unknown output mode", edit(`"outputMode": "update"`, `"outputMode": "upsert"`), `plan record: unknown output mode "upsert"`},
		{"bad duration", edit(`"size": "10m0s"`, `"size": "ten minutes"`), "plan record: invalid plan record (time: invalid duration \"ten minutes\")"},
		{"trailing data", append(bytes.Clone(good), []byte("{}\n")...), "plan record:136:1: invalid JSON (invalid character '{' after top-level value)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(tc.data)
			var de *DecodeError
			if !errors.As(err, &de) || de.Newer {
				t.Fatalf("Decode = %v, want a *DecodeError", err)
			}
			want := "planprint: " + tc.want + ": " + fixCorrupt
			if err.Error() != want {
				t.Errorf("error:\n%s\nwant:\n%s", err, want)
			}
		})
	}
}
