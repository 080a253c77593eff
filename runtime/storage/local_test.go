package storage

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

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

func TestLocalListSortedRecursiveByPrefix(t *testing.T) {
	ctx := context.Background()
	s := newLocal(t)
	for _, n := range []string{
		"_delta_log/00000000000000000010.json",
		"_delta_log/00000000000000000002.json",
		"_delta_log/00000000000000000001.json",
		"part=b/x.parquet",
		"part=a/y.parquet",
		"z.parquet",
	} {
		if err := s.Put(ctx, n, []byte(n)); err != nil {
			t.Fatal(err)
		}
	}
	// A leftover temporary file from a crashed writer is never listed.
	if err := os.WriteFile(filepath.Join(s.Root(), "_delta_log", ".00000000000000000011.json.abcd.tmp"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		prefix string
		want   []string
	}{
		{"", []string{
			"_delta_log/00000000000000000001.json",
			"_delta_log/00000000000000000002.json",
			"_delta_log/00000000000000000010.json",
			"part=a/y.parquet",
			"part=b/x.parquet",
			"z.parquet",
		}},
		{"_delta_log/", []string{
			"_delta_log/00000000000000000001.json",
			"_delta_log/00000000000000000002.json",
			"_delta_log/00000000000000000010.json",
		}},
		{"_delta_log/0000000000000000000", []string{
			"_delta_log/00000000000000000001.json",
			"_delta_log/00000000000000000002.json",
		}},
		{"part=", []string{"part=a/y.parquet", "part=b/x.parquet"}},
		{"missing/", nil},
	}
	for _, tt := range tests {
		got, err := s.List(ctx, tt.prefix)
		if err != nil {
			t.Fatalf("List(%q): %v", tt.prefix, err)
		}
		if diff := cmp.Diff(tt.want, names(got)); diff != "" {
			t.Errorf("List(%q) (-want +got):\n%s", tt.prefix, diff)
		}
	}
}

func TestLocalListFrom(t *testing.T) {
	ctx := context.Background()
	s := newLocal(t)
	for _, n := range []string{"log/003.json", "log/001.json", "log/002.json", "log/sub/004.json"} {
		if err := s.Put(ctx, n, nil); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.ListFrom(ctx, "log", "002")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"log/002.json", "log/003.json"}, names(got)); diff != "" {
		t.Errorf("ListFrom (-want +got):\n%s", diff)
	}
	got, err = s.ListFrom(ctx, "nothing", "")
	if err != nil || len(got) != 0 {
		t.Errorf("ListFrom(missing dir) = %v, %v; want empty, nil", got, err)
	}
}

func TestLocalPutIfAbsent(t *testing.T) {
	ctx := context.Background()
	s := newLocal(t)
	if err := s.PutIfAbsent(ctx, "a/b.json", []byte("first")); err != nil {
		t.Fatal(err)
	}
	err := s.PutIfAbsent(ctx, "a/b.json", []byte("second"))
	if !IsExist(err) {
		t.Fatalf("second PutIfAbsent: got %v, want ErrExist", err)
	}
	b, err := s.Read(ctx, "a/b.json")
	if err != nil || string(b) != "first" {
		t.Fatalf("Read = %q, %v; want the first content", b, err)
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

func TestLocalPutIfAbsentRaceHasOneWinner(t *testing.T) {
	ctx := context.Background()
	s := newLocal(t)
	const writers = 16
	const names = 20
	var wg sync.WaitGroup
	wins := make([][]int, names)
	var mu sync.Mutex
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for n := 0; n < names; n++ {
				err := s.PutIfAbsent(ctx, fmt.Sprintf("v/%03d", n), []byte(fmt.Sprint(w)))
				switch {
				case err == nil:
					mu.Lock()
					wins[n] = append(wins[n], w)
					mu.Unlock()
				case IsExist(err):
				default:
					t.Errorf("writer %d name %d: %v", w, n, err)
				}
			}
		}(w)
	}
	wg.Wait()
	for n, ws := range wins {
		if len(ws) != 1 {
			t.Fatalf("name %d: %d winners %v, want exactly 1", n, len(ws), ws)
		}
		b, err := s.Read(ctx, fmt.Sprintf("v/%03d", n))
		if err != nil || string(b) != fmt.Sprint(ws[0]) {
			t.Errorf("name %d holds %q, want the winner's %d", n, b, ws[0])
		}
	}
}

func TestLocalPutOverwritesAndDeleteIsIdempotent(t *testing.T) {
	ctx := context.Background()
	s := newLocal(t)
	if err := s.Put(ctx, "_last_checkpoint", []byte("1")); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "_last_checkpoint", []byte("22")); err != nil {
		t.Fatal(err)
	}
	info, err := s.Stat(ctx, "_last_checkpoint")
	if err != nil || info.Size != 2 || info.Name != "_last_checkpoint" {
		t.Fatalf("Stat = %+v, %v; want size 2", info, err)
	}
	if err := s.Delete(ctx, "_last_checkpoint"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "_last_checkpoint"); err != nil {
		t.Fatalf("second Delete: %v, want nil", err)
	}
	if _, err := s.Read(ctx, "_last_checkpoint"); !IsNotExist(err) {
		t.Errorf("Read after Delete: %v, want ErrNotExist", err)
	}
	if _, err := s.Stat(ctx, "_last_checkpoint"); !errors.Is(err, ErrNotExist) {
		t.Errorf("Stat after Delete: %v, want ErrNotExist", err)
	}
}

func TestLocalStatOfDirectoryIsNotExist(t *testing.T) {
	ctx := context.Background()
	s := newLocal(t)
	if err := s.Put(ctx, "d/f", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stat(ctx, "d"); !IsNotExist(err) {
		t.Errorf("Stat(dir) = %v, want ErrNotExist", err)
	}
}

func TestLocalHonoursCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := newLocal(t)
	if err := s.PutIfAbsent(ctx, "x", nil); !errors.Is(err, context.Canceled) {
		t.Errorf("PutIfAbsent with cancelled ctx = %v, want context.Canceled", err)
	}
}
