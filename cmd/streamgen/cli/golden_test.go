package cli

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/streamgen/streamgen/runtime/shareddata"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden returns the content of testdata/name; with -update it first
// writes got there.
func golden(t *testing.T, name, got string) string {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	return string(b)
}

// sharedDir returns the absolute path of sub in the project's shared test
// data; see [shareddata.Dir].
func sharedDir(t *testing.T, sub string) string {
	t.Helper()
	return shareddata.Dir(t, sub)
}
