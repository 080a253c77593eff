package files_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/source/files"
	"github.com/streamgen/streamgen/runtime/storage"
)

// tree returns every file under dir with its content.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	return out
}

func TestCleanSourceArchive(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.write("a.json", line("a", "1"), 1)
	e.write("sub/b.json", line("b", "1"), 2)
	e.write("c.json", line("c", "1"), 3)
	archiveDir := filepath.Join(filepath.Dir(e.in), "archive")
	archive, _ := storage.NewLocal(archiveDir)
	opts := []files.Opt{files.Glob("**/*.json"), files.MaxFilesPerTrigger(1),
		files.CleanSource(files.CleanArchive), files.SourceArchiveDir(archive)}
	s := e.source(opts...)
	end0, _ := s.LatestOffset(ctx, nil)
	end1, _ := s.LatestOffset(ctx, end0)
	end2, _ := s.LatestOffset(ctx, end1)
	for _, end := range [][]byte{end0, end1, end1} { // the repeated Commit is a no-op
		if err := s.Commit(ctx, end); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff(map[string]string{"a.json": line("a", "1"), "sub/b.json": line("b", "1")}, tree(t, archiveDir)); diff != "" {
		t.Errorf("archive (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"c.json": line("c", "1")}, tree(t, e.in)); diff != "" {
		t.Errorf("input (-want +got):\n%s", diff)
	}
	// A crash after copying c.json to the archive and before deleting
	// it: after a restart the engine commits end2 again.
	if err := archive.PutIfAbsent(ctx, "c.json", []byte(line("c", "1"))); err != nil {
		t.Fatal(err)
	}
	if err := e.source(opts...).Commit(ctx, end2); err != nil {
		t.Fatal(err)
	}
	if got := tree(t, e.in); len(got) != 0 {
		t.Errorf("input holds %v after archiving everything", got)
	}
	if got := tree(t, archiveDir); len(got) != 3 {
		t.Errorf("archive holds %v", got)
	}
}

func TestCleanSourceDelete(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.write("a.json", "", 1)
	e.write("b.json", "", 2)
	e.write("c.json", "", 3)
	s := e.source(files.MaxFilesPerTrigger(2), files.CleanSource(files.CleanDelete))
	end0, _ := s.LatestOffset(ctx, nil)
	if err := s.Commit(ctx, end0); err != nil {
		t.Fatal(err)
	}
	var left []string
	for k := range tree(t, e.in) {
		left = append(left, k)
	}
	sort.Strings(left)
	if diff := cmp.Diff([]string{"c.json"}, left); diff != "" {
		t.Errorf("input (-want +got):\n%s", diff)
	}
	// Deleted files are not listed as new: the log remembers them.
	got, _ := drain(t, s, end0)
	if diff := cmp.Diff([][]string{{"c.json"}}, got); diff != "" {
		t.Errorf("batches (-want +got):\n%s", diff)
	}
}
