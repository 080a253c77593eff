// Package storagetest is the contract test suite of [storage.Storage]:
// every implementation (the local filesystem, object stores) runs the
// same tests.
package storagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/storage"
)

// Options tunes the suite for slower stores.
type Options struct {
	// Writers and Names size the PutIfAbsent race: Writers goroutines
	// each try to create the same Names names (defaults 16 and 20).
	Writers, Names int
}

// Run runs the contract tests as subtests of t. newStore returns an empty
// store, a new one for each subtest.
func Run(t *testing.T, newStore func(t *testing.T) storage.Storage, opts *Options) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Writers <= 0 {
		o.Writers = 16
	}
	if o.Names <= 0 {
		o.Names = 20
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, s storage.Storage)
	}{
		{"ListSortedRecursiveByPrefix", testList},
		{"ListNestedPrefixes", testNested},
		{"ListFrom", testListFrom},
		{"PutIfAbsent", testPutIfAbsent},
		{"PutIfAbsentRaceHasOneWinner", func(t *testing.T, s storage.Storage) { testRace(t, s, o.Writers, o.Names) }},
		{"PutOverwritesAndDeleteIsIdempotent", testPutDelete},
		{"StatOfDirectoryIsNotExist", testStatDir},
		{"ReadAndOpen", testReadOpen},
		{"CancelledContext", testCancelled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newStore(t)) })
	}
}

func names(infos []storage.FileInfo) []string {
	var out []string
	for _, i := range infos {
		out = append(out, i.Name)
	}
	return out
}

func put(t *testing.T, s storage.Storage, names ...string) {
	t.Helper()
	for _, n := range names {
		if err := s.Put(context.Background(), n, []byte(n)); err != nil {
			t.Fatal(err)
		}
	}
}

func testList(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	before := time.Now().Add(-time.Minute)
	put(t, s,
		"_delta_log/00000000000000000010.json",
		"_delta_log/00000000000000000002.json",
		"_delta_log/00000000000000000001.json",
		"part=b/x.parquet",
		"part=a/y.parquet",
		"z.parquet",
	)
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
		for _, fi := range got {
			if fi.Size != int64(len(fi.Name)) || fi.ModTime.Before(before) || fi.ModTime.After(time.Now().Add(time.Minute)) {
				t.Errorf("List(%q): %+v: want size %d and a modification time about now", tt.prefix, fi, len(fi.Name))
			}
		}
	}
}

func testNested(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	put(t, s, "a/b/c/d.json", "a/b/c.json", "a/b/c/e/f.json", "a/bc.json", "a/b.json", "ab.json")
	for _, tt := range []struct {
		prefix string
		want   []string
	}{
		{"a/b/", []string{"a/b/c.json", "a/b/c/d.json", "a/b/c/e/f.json"}},
		{"a/b", []string{"a/b.json", "a/b/c.json", "a/b/c/d.json", "a/b/c/e/f.json", "a/bc.json"}},
		{"a/b/c/", []string{"a/b/c/d.json", "a/b/c/e/f.json"}},
		{"a", []string{"a/b.json", "a/b/c.json", "a/b/c/d.json", "a/b/c/e/f.json", "a/bc.json", "ab.json"}},
	} {
		got, err := s.List(ctx, tt.prefix)
		if err != nil {
			t.Fatalf("List(%q): %v", tt.prefix, err)
		}
		if diff := cmp.Diff(tt.want, names(got)); diff != "" {
			t.Errorf("List(%q) (-want +got):\n%s", tt.prefix, diff)
		}
	}
	for _, tt := range []struct {
		dir, start string
		want       []string
	}{
		{"a/b", "", []string{"a/b/c.json"}},
		{"a/b/", "", []string{"a/b/c.json"}},
		{"a", "", []string{"a/b.json", "a/bc.json"}},
		{"", "", []string{"ab.json"}},
		{"", "a", []string{"ab.json"}},
		{"", "ac", nil},
		{"a/b/c", "e", nil},
	} {
		got, err := s.ListFrom(ctx, tt.dir, tt.start)
		if err != nil {
			t.Fatalf("ListFrom(%q, %q): %v", tt.dir, tt.start, err)
		}
		if diff := cmp.Diff(tt.want, names(got)); diff != "" {
			t.Errorf("ListFrom(%q, %q) (-want +got):\n%s", tt.dir, tt.start, diff)
		}
	}
}

func testListFrom(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	var all []string
	for v := 0; v < 30; v++ {
		all = append(all, fmt.Sprintf("log/%020d.json", v))
	}
	// Written out of order, with a checkpoint and a subdirectory among them.
	for i := len(all) - 1; i >= 0; i-- {
		put(t, s, all[i])
	}
	put(t, s, "log/00000000000000000010.checkpoint.parquet", "log/_last_checkpoint", "log/sub/004.json", "logx/1.json")
	children := append(append([]string(nil), all...), "log/00000000000000000010.checkpoint.parquet", "log/_last_checkpoint")
	sort.Strings(children)
	for _, start := range []string{
		"", fmt.Sprintf("%020d", 28), fmt.Sprintf("%020d.json", 28), fmt.Sprintf("%020d.k", 28),
		fmt.Sprintf("%020d", 10), fmt.Sprintf("%020d", 30), "_", "_last_checkpoint", "sub", "z",
	} {
		var want []string
		for _, c := range children {
			if strings.TrimPrefix(c, "log/") >= start {
				want = append(want, c)
			}
		}
		got, err := s.ListFrom(ctx, "log", start)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, names(got)); diff != "" {
			t.Errorf("ListFrom(log, %q) (-want +got):\n%s", start, diff)
		}
	}
	// The first and last of the tail.
	got, err := s.ListFrom(ctx, "log", fmt.Sprintf("%020d", 29))
	if err != nil || len(got) != 2 || got[0].Name != all[29] || got[1].Name != "log/_last_checkpoint" {
		t.Errorf("ListFrom(log, 29) = %v, %v", names(got), err)
	}
	got, err = s.ListFrom(ctx, "nothing", "")
	if err != nil || len(got) != 0 {
		t.Errorf("ListFrom(missing dir) = %v, %v; want empty, nil", got, err)
	}
}

func testPutIfAbsent(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	if err := s.PutIfAbsent(ctx, "a/b.json", []byte("first")); err != nil {
		t.Fatal(err)
	}
	err := s.PutIfAbsent(ctx, "a/b.json", []byte("second"))
	if !storage.IsExist(err) {
		t.Fatalf("second PutIfAbsent: got %v, want ErrExist", err)
	}
	b, err := s.Read(ctx, "a/b.json")
	if err != nil || string(b) != "first" {
		t.Fatalf("Read = %q, %v; want the first content", b, err)
	}
	// An empty object is an object.
	if err := s.PutIfAbsent(ctx, "a/empty", nil); err != nil {
		t.Fatal(err)
	}
	if err := s.PutIfAbsent(ctx, "a/empty", []byte("x")); !storage.IsExist(err) {
		t.Fatalf("PutIfAbsent over an empty object: %v, want ErrExist", err)
	}
	got, err := s.List(ctx, "a/")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a/b.json", "a/empty"}, names(got)); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
}

func testRace(t *testing.T, s storage.Storage, writers, nnames int) {
	ctx := context.Background()
	var wg sync.WaitGroup
	wins := make([][]int, nnames)
	var mu sync.Mutex
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for n := 0; n < nnames; n++ {
				err := s.PutIfAbsent(ctx, fmt.Sprintf("v/%03d", n), []byte(fmt.Sprint(w)))
				switch {
				case err == nil:
					mu.Lock()
					wins[n] = append(wins[n], w)
					mu.Unlock()
				case storage.IsExist(err):
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

func testPutDelete(t *testing.T, s storage.Storage) {
	ctx := context.Background()
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
	if b, err := s.Read(ctx, "_last_checkpoint"); err != nil || string(b) != "22" {
		t.Fatalf("Read = %q, %v; want the second content", b, err)
	}
	if err := s.Delete(ctx, "_last_checkpoint"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "_last_checkpoint"); err != nil {
		t.Fatalf("second Delete: %v, want nil", err)
	}
	if err := s.Delete(ctx, "never/existed"); err != nil {
		t.Fatalf("Delete of a missing name: %v, want nil", err)
	}
	if _, err := s.Read(ctx, "_last_checkpoint"); !storage.IsNotExist(err) {
		t.Errorf("Read after Delete: %v, want ErrNotExist", err)
	}
	if _, err := s.Stat(ctx, "_last_checkpoint"); !errors.Is(err, storage.ErrNotExist) {
		t.Errorf("Stat after Delete: %v, want ErrNotExist", err)
	}
	// The name is free again for PutIfAbsent.
	if err := s.PutIfAbsent(ctx, "_last_checkpoint", []byte("3")); err != nil {
		t.Errorf("PutIfAbsent after Delete: %v", err)
	}
}

func testStatDir(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	put(t, s, "d/f")
	if _, err := s.Stat(ctx, "d"); !storage.IsNotExist(err) {
		t.Errorf("Stat(dir) = %v, want ErrNotExist", err)
	}
	if _, err := s.Read(ctx, "d/g"); !storage.IsNotExist(err) {
		t.Errorf("Read(missing) = %v, want ErrNotExist", err)
	}
}

func testReadOpen(t *testing.T, s storage.Storage) {
	ctx := context.Background()
	data := bytes.Repeat([]byte("0123456789\x00\xff\n"), 100_000) // 1.3 MB, binary
	if err := s.Put(ctx, "d/big.bin", data); err != nil {
		t.Fatal(err)
	}
	b, err := s.Read(ctx, "d/big.bin")
	if err != nil || !bytes.Equal(b, data) {
		t.Fatalf("Read: %d bytes, %v; want %d bytes back", len(b), err, len(data))
	}
	r, err := storage.Open(ctx, s, "d/big.bin")
	if err != nil {
		t.Fatal(err)
	}
	b, err = io.ReadAll(r)
	if err != nil || !bytes.Equal(b, data) {
		t.Fatalf("Open: read %d bytes, %v; want %d bytes back", len(b), err, len(data))
	}
	if err := r.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	if _, err := storage.Open(ctx, s, "d/missing"); !storage.IsNotExist(err) {
		t.Errorf("Open(missing) = %v, want ErrNotExist", err)
	}
	if u := s.URL("d/big.bin"); !strings.HasSuffix(u, "big.bin") {
		t.Errorf("URL = %q, want it to end in the name", u)
	}
}

func testCancelled(t *testing.T, s storage.Storage) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.PutIfAbsent(ctx, "x", nil); !errors.Is(err, context.Canceled) {
		t.Errorf("PutIfAbsent with cancelled ctx = %v, want context.Canceled", err)
	}
	if _, err := s.Read(context.Background(), "x"); !storage.IsNotExist(err) {
		t.Errorf("after a cancelled PutIfAbsent: Read = %v, want ErrNotExist", err)
	}
}
