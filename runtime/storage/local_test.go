package storage

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The contract tests of Local (and of the object stores) are in
// contract_test.go; these are Local's own.

func newLocal(t *testing.T) *Local {
	t.Helper()
	s, err := NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func names(infos []FileInfo) []string {
	var out []string
	for _, i := range infos {
		out = append(out, i.Name)
	}
	return out
}

func TestLocalTempFilesAreNeverListed(t *testing.T) {
	ctx := context.Background()
	s := newLocal(t)
	if err := s.Put(ctx, "_delta_log/00000000000000000010.json", nil); err != nil {
		t.Fatal(err)
	}
	// A leftover temporary file from a crashed writer is never listed.
	if err := os.WriteFile(filepath.Join(s.Root(), "_delta_log", ".00000000000000000011.json.abcd.tmp"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := []string{"_delta_log/00000000000000000010.json"}
	got, err := s.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, names(got)); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
	got, err = s.ListFrom(ctx, "_delta_log", "")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, names(got)); diff != "" {
		t.Errorf("ListFrom (-want +got):\n%s", diff)
	}
}

func TestLocalPutIfAbsentLeavesNoTempFiles(t *testing.T) {
	ctx := context.Background()
	s := newLocal(t)
	if err := s.PutIfAbsent(ctx, "a/b.json", []byte("first")); err != nil {
		t.Fatal(err)
	}
	if err := s.PutIfAbsent(ctx, "a/b.json", []byte("second")); !IsExist(err) {
		t.Fatalf("second PutIfAbsent: got %v, want ErrExist", err)
	}
	// No temporary files are left behind, won or lost.
	entries, err := os.ReadDir(filepath.Join(s.Root(), "a"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want 1 (temp files leaked?)", len(entries))
	}
}
