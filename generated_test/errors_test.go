package generated_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"

	"github.com/streamgen/streamgen/gen/front"
)

// TestErrors runs the front end (load → ir → check) over each
// errors/*.txtar case and compares the printed diagnostics with the
// case's "stderr" section, exactly. A case holds the spec(s) (*.yaml),
// the schemas they name, and any Go files (with a go.mod) of user
// functions; its files are written to a temporary directory, which is
// where user Go packages are loaded from. go test -update rewrites the
// stderr sections.
func TestErrors(t *testing.T) {
	cases, err := filepath.Glob("errors/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no error cases")
	}
	for _, file := range cases {
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			var specs []string
			var want []byte
			stderr := -1
			for i, f := range ar.Files {
				if f.Name == "stderr" {
					want, stderr = f.Data, i
					continue
				}
				p := filepath.Join(dir, filepath.FromSlash(f.Name))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, f.Data, 0o644); err != nil {
					t.Fatal(err)
				}
				if strings.HasSuffix(f.Name, ".yaml") {
					specs = append(specs, f.Name)
				}
			}
			sort.Strings(specs)
			if len(specs) == 0 {
				t.Fatal("case has no *.yaml spec")
			}
			_, diags := front.Load(context.Background(), os.DirFS(dir), specs, front.Options{Dir: dir, Env: goEnvWithoutFlags()})
			got := []byte(diags.Error() + "\n")
			if len(diags) == 0 {
				got = nil
			}
			if *update {
				if stderr < 0 {
					ar.Files = append(ar.Files, txtar.File{Name: "stderr"})
					stderr = len(ar.Files) - 1
				}
				ar.Files[stderr].Data = got
				if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if len(diags) == 0 {
				t.Fatalf("no diagnostics; want:\n%s", want)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("diagnostics differ (-want +got):\n%s", cmp.Diff(string(want), string(got)))
			}
		})
	}
}

// goEnvWithoutFlags returns the process environment without GOFLAGS, so
// the go command's messages quoted in expected diagnostics do not depend
// on flags the caller set (CI runs with GOFLAGS=-mod=readonly).
func goEnvWithoutFlags() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOFLAGS=") {
			env = append(env, kv)
		}
	}
	return env
}
