package gen

import (
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/gen/emit"
)

func gofile(body string) []byte { return []byte(emit.Marker + "\n\npackage p\n" + body) }

// listDir returns name → content of the files under dir.
func listDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestWriteDir(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("stale.go", string(gofile("// stale")))             // generated, no longer produced: pruned
	write("handwritten.go", "package p\n")                    // kept
	write("behavior_test.go", "package p\n")                  // kept
	write("notes.txt", emit.Marker+"\n")                      // not Go: kept
	write("late_marker.go", "package p\n\n"+emit.Marker+"\n") // marker not first: kept
	write("same.go", string(gofile("// same")))
	before, err := os.Stat(filepath.Join(dir, "same.go"))
	if err != nil {
		t.Fatal(err)
	}
	out := &Output{Files: []File{
		{Path: "a.go", Content: gofile("// a")},
		{Path: "same.go", Content: gofile("// same")},
		{Path: "sub/b.go", Content: gofile("// b")},
	}}
	if err := WriteDir(dir, out); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"a.go":             string(gofile("// a")),
		"same.go":          string(gofile("// same")),
		"sub/b.go":         string(gofile("// b")),
		"handwritten.go":   "package p\n",
		"behavior_test.go": "package p\n",
		"notes.txt":        emit.Marker + "\n",
		"late_marker.go":   "package p\n\n" + emit.Marker + "\n",
	}
	if diff := cmp.Diff(want, listDir(t, dir)); diff != "" {
		t.Errorf("dir after WriteDir (-want +got):\n%s", diff)
	}
	after, _ := os.Stat(filepath.Join(dir, "same.go"))
	if !after.ModTime().Equal(before.ModTime()) {
		t.Error("an unchanged file was rewritten")
	}
	// Diff of the same output: nothing; of a changed one: each kind.
	stale, missing, extra, err := Diff(dir, out)
	if err != nil || stale != nil || missing != nil || extra != nil {
		t.Errorf("Diff = %v %v %v %v, want nothing", stale, missing, extra, err)
	}
	out2 := &Output{Files: []File{
		{Path: "a.go", Content: gofile("// a2")},
		{Path: "c.go", Content: gofile("// c")},
		{Path: "sub/b.go", Content: gofile("// b")},
	}}
	stale, missing, extra, err = Diff(dir, out2)
	got := [][]string{stale, missing, extra}
	if diff := cmp.Diff([][]string{{"a.go"}, {"c.go"}, {"same.go"}}, got); diff != "" || err != nil {
		t.Errorf("Diff (-want +got): %v\n%s", err, diff)
	}
}

// TestWriteDirAllOrNothing checks that a failure to write one file
// leaves the directory as it was, without temporary files.
func TestWriteDirAllOrNothing(t *testing.T) {
	// A file where a directory must be fails even for root (who ignores
	// permissions).
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "old.go"), gofile("// old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "blocker"), []byte("a file"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := &Output{Files: []File{
		{Path: "a.go", Content: gofile("// a")},
		{Path: "blocker/b.go", Content: gofile("// b")}, // cannot create a directory over a file
	}}
	if err := WriteDir(dir, out); err == nil {
		t.Fatal("WriteDir succeeded")
	}
	var names []string
	for name := range listDir(t, dir) {
		names = append(names, name)
	}
	sort.Strings(names)
	if diff := cmp.Diff([]string{"blocker", "old.go"}, names); diff != "" {
		t.Errorf("dir after a failed WriteDir (-want +got):\n%s", diff)
	}
	if err := WriteDir(dir, &Output{Files: []File{{Path: "../x.go", Content: gofile("")}}}); err == nil {
		t.Error("WriteDir accepted a path outside dir")
	}
}
