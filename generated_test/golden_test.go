package generated_test

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/gen"
)

// cases returns the case directories: those holding a streamgen.yaml.
func cases(t *testing.T) []string {
	t.Helper()
	specs, err := filepath.Glob("*/streamgen.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, s := range specs {
		dirs = append(dirs, filepath.Dir(s))
	}
	sort.Strings(dirs)
	if len(dirs) == 0 {
		t.Fatal("no golden cases")
	}
	return dirs
}

// generate runs the generator on a case exactly as its //go:generate
// line in gen.go does.
func generate(t *testing.T, dir string) *gen.Output {
	t.Helper()
	out, err := gen.Generate(context.Background(), gen.Config{
		Specs:       []string{dir + "/streamgen.yaml"},
		OutDir:      dir + "/want",
		OmitVersion: true,
	})
	if err != nil {
		t.Fatalf("generate %s:\n%v", dir, err)
	}
	return out
}

// readWant returns the generated files of a want/ directory and its
// subdirectories (cmd/<pipeline>/main.go), those whose first line is the
// streamgen marker, by slash-separated path.
func readWant(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(name string, e fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) && name == dir {
				return nil
			}
			return err
		}
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") {
			return nil
		}
		ok, err := gen.IsGenerated(name)
		if err != nil || !ok {
			return err // hand-written, such as behavior_test.go, when !ok
		}
		data, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, name)
		files[filepath.ToSlash(rel)] = string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestGolden generates every case in memory and compares the files with
// the committed want/ package.
func TestGolden(t *testing.T) {
	for _, dir := range cases(t) {
		t.Run(dir, func(t *testing.T) {
			out := generate(t, dir)
			want := filepath.Join(dir, "want")
			if *update {
				if err := gen.WriteDir(want, out); err != nil {
					t.Fatal(err)
				}
			}
			got := map[string]string{}
			for _, f := range out.Files {
				got[f.Path] = string(f.Content)
			}
			if diff := cmp.Diff(readWant(t, want), got); diff != "" {
				t.Errorf("%s differs from the generator's output (-want +got); run 'go test ./generated_test -update':\n%s", want, diff)
			}
		})
	}
}

// TestDeterministic generates every case twice and compares the bytes.
func TestDeterministic(t *testing.T) {
	for _, dir := range cases(t) {
		a, b := generate(t, dir), generate(t, dir)
		if len(a.Files) != len(b.Files) {
			t.Fatalf("%s: %d files, then %d", dir, len(a.Files), len(b.Files))
		}
		for i := range a.Files {
			if a.Files[i].Path != b.Files[i].Path || !bytes.Equal(a.Files[i].Content, b.Files[i].Content) {
				t.Errorf("%s: %s differs between two runs", dir, a.Files[i].Path)
			}
		}
	}
}

// TestGoGenerateLines checks that gen.go has the //go:generate line of
// every case, so `make check-generated` catches stale goldens.
func TestGoGenerateLines(t *testing.T) {
	src, err := os.ReadFile("gen.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range cases(t) {
		line := "//go:generate go run ../cmd/streamgen generate --omit-version -o " + dir + "/want " + dir + "/streamgen.yaml\n"
		if !strings.Contains(string(src), line) {
			t.Errorf("gen.go lacks the line\n%s", line)
		}
	}
}
