package delta

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamgen/streamgen/runtime/shareddata"
)

// lrSeedFiles returns the contents of the conformance files whose base
// name satisfies keep, or nothing when the shared data is absent (the
// built-in seeds still run).
func lrSeedFiles(keep func(base string) bool) [][]byte {
	root, err := shareddata.Find("conformance/delta")
	if err != nil {
		return nil
	}
	var out [][]byte
	_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.Contains(filepath.ToSlash(p), "/_delta_log/") || !keep(d.Name()) {
			return nil
		}
		if b, err := os.ReadFile(p); err == nil {
			out = append(out, b)
		}
		return nil
	})
	return out
}

func FuzzParseAction(f *testing.F) {
	for _, s := range []string{
		`{"protocol":{"minReaderVersion":1,"minWriterVersion":2}}`,
		`{"add":{"path":"a%20b","partitionValues":{"p":null},"size":1,"modificationTime":2,"dataChange":true,"stats":"{\"numRecords\":1}"}}`,
		`{"remove":{"path":"x","deletionTimestamp":5,"dataChange":true}}`,
		`{"commitInfo":{"timestamp":1,"operationMetrics":{"n":3},"extra":[1,2]}}`,
		`{"txn":{"appId":"a","version":3}}`,
		`{"domainMetadata":{"domain":"d","configuration":"{}","removed":false}}`,
		`{"unknownAction":{}}`,
		`{"add":null}`,
		``, `{}`, `[]`, `null`, `{"add":{"path":""}}`,
	} {
		f.Add([]byte(s))
	}
	for _, file := range lrSeedFiles(func(b string) bool { return strings.HasSuffix(b, ".json") }) {
		for _, line := range bytes.Split(file, []byte("\n")) {
			f.Add(line)
		}
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		a, err := ParseAction(line)
		if err != nil || a == nil {
			return
		}
		if a.Kind() == "" {
			t.Fatalf("ParseAction(%q) returned an action without kind", line)
		}
		if a.Unknown != "" && a.Kind() == a.Unknown {
			if _, err := a.MarshalLine(); err == nil {
				t.Fatalf("MarshalLine of unknown action %q succeeded", a.Unknown)
			}
			return
		}
		m1, err := a.MarshalLine()
		if err != nil {
			t.Fatalf("MarshalLine of parsed %q: %v", line, err)
		}
		b, err := ParseAction(m1)
		if err != nil {
			t.Fatalf("ParseAction(MarshalLine) = %v for %s (input %q)", err, m1, line)
		}
		if b.Kind() != a.Kind() {
			t.Fatalf("kind changed: %s -> %s", a.Kind(), b.Kind())
		}
		m2, err := b.MarshalLine()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(m1, m2) {
			t.Fatalf("round trip not stable:\n%s\n%s", m1, m2)
		}
		// The replay must not panic on whatever the line holds.
		r := newReplay()
		_ = r.apply(b)
	})
}

func FuzzLastCheckpoint(f *testing.F) {
	for _, s := range []string{
		`{"version":10,"size":13}`,
		`{"size":6,"size_in_bytes":23521,"version":1}`,
		`{"version":1,"size":12,"parts":2,"sizeInBytes":30499,"numOfAddFiles":10}`,
		``, `{}`, `{"version":-1}`, `{"version":1e30}`, `{"version":1,"parts":-3}`, `{"version":1}{"x":1}`,
	} {
		f.Add([]byte(s))
	}
	for _, b := range lrSeedFiles(func(b string) bool { return b == "_last_checkpoint" }) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ParseLastCheckpoint(data)
		if err != nil {
			return
		}
		if h.Version < 0 || h.Parts != nil && *h.Parts < 1 {
			t.Fatalf("accepted invalid hint %+v from %q", h, data)
		}
		enc, err := json.Marshal(h)
		if err != nil {
			t.Fatalf("marshal %+v: %v", h, err)
		}
		h2, err := ParseLastCheckpoint(enc)
		if err != nil {
			t.Fatalf("re-parse %s: %v", enc, err)
		}
		if h2.Version != h.Version || h2.Size != h.Size {
			t.Fatalf("round trip: %+v -> %+v", h, h2)
		}
	})
}

func FuzzParseCheckpoint(f *testing.F) {
	for _, b := range lrSeedFiles(func(b string) bool { return strings.HasSuffix(b, ".checkpoint.parquet") }) {
		if len(b) < 64<<10 {
			f.Add(b)
		}
	}
	f.Add([]byte("PAR1"))
	f.Add([]byte("PAR1\x00\x00\x00\x00PAR1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		actions, err := parseCheckpoint(data)
		if err != nil {
			return
		}
		r := newReplay()
		for _, a := range actions {
			if a == nil || a.Kind() == "" {
				t.Fatal("nil or empty action")
			}
			_ = r.apply(a)
		}
	})
}
