package checkpoint

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/storage"
)

// fileEntry is the file source's seen-file entry (Spark's FileEntry).
type fileEntry struct {
	Path      string `json:"path"`
	Timestamp int64  `json:"timestamp"`
	BatchID   int64  `json:"batchId"`
}

// entries returns the test entries of batch n: n%3 files (so some
// batches are empty).
func entries(n int64) []fileEntry {
	var out []fileEntry
	for i := int64(0); i < n%3; i++ {
		out = append(out, fileEntry{Path: fmt.Sprintf("file:///in/b%d-%d.json", n, i), Timestamp: 1000*n + i, BatchID: n})
	}
	return out
}

func allEntries(upTo int64) []fileEntry {
	var out []fileEntry
	for n := int64(0); n <= upTo; n++ {
		out = append(out, entries(n)...)
	}
	return out
}

func openLog(t *testing.T, c *Checkpoint, opts ...SourceLogOpt) *SourceLog[fileEntry] {
	t.Helper()
	l, err := OpenSourceLog[fileEntry](context.Background(), c, 0, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestSourceLogFileFormat(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	l := openLog(t, open(t, s))
	if err := l.Add(ctx, 0, []fileEntry{
		{Path: "file:///in/a&b.json", Timestamp: 1700000000000, BatchID: 0},
		{Path: "file:///in/c.json", Timestamp: 1700000000500, BatchID: 0},
	}); err != nil {
		t.Fatal(err)
	}
	if err := l.Add(ctx, 1, nil); err != nil {
		t.Fatal(err)
	}
	want0 := "v1\n" +
		`{"path":"file:///in/a&b.json","timestamp":1700000000000,"batchId":0}` + "\n" +
		`{"path":"file:///in/c.json","timestamp":1700000000500,"batchId":0}`
	if got := readFile(t, s, "sources/0/0"); got != want0 {
		t.Errorf("sources/0/0:\ngot  %q\nwant %q", got, want0)
	}
	if got := readFile(t, s, "sources/0/1"); got != "v1" {
		t.Errorf("sources/0/1 = %q, want %q", got, "v1")
	}
}

func TestSourceLogCompaction(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	c := open(t, s)
	l := openLog(t, c, CompactInterval(3), RetainBatches(2))

	// After each batch: the files on disk.
	wantFiles := map[int64][]string{
		0: {"0"},
		1: {"0", "1"},
		2: {"0", "1", "2.compact"}, // nothing older than the retention yet
		3: {"0", "1", "2.compact", "3"},
		5: {"2.compact", "3", "4", "5.compact"}, // 0 and 1 are in 2.compact
		7: {"2.compact", "3", "4", "5.compact", "6", "7"},
		8: {"5.compact", "6", "7", "8.compact"},
	}
	for n := int64(0); n <= 8; n++ {
		if err := l.Add(ctx, n, entries(n)); err != nil {
			t.Fatalf("Add(%d): %v", n, err)
		}
		if want, ok := wantFiles[n]; ok {
			var got []string
			for _, name := range listing(t, s, "sources/0/") {
				got = append(got, name[len("sources/0/"):])
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("files after batch %d (-want +got):\n%s", n, diff)
			}
		}
		all, err := l.All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(allEntries(n), all, cmpEmpty); diff != "" {
			t.Errorf("All after batch %d (-want +got):\n%s", n, diff)
		}
	}
	// A compaction file holds every entry so far, in order.
	want5 := "v1\n" +
		`{"path":"file:///in/b1-0.json","timestamp":1000,"batchId":1}` + "\n" +
		`{"path":"file:///in/b2-0.json","timestamp":2000,"batchId":2}` + "\n" +
		`{"path":"file:///in/b2-1.json","timestamp":2001,"batchId":2}` + "\n" +
		`{"path":"file:///in/b4-0.json","timestamp":4000,"batchId":4}` + "\n" +
		`{"path":"file:///in/b5-0.json","timestamp":5000,"batchId":5}` + "\n" +
		`{"path":"file:///in/b5-1.json","timestamp":5001,"batchId":5}`
	if got := readFile(t, s, "sources/0/5.compact"); got != want5 {
		t.Errorf("5.compact:\ngot  %q\nwant %q", got, want5)
	}
	// Every batch can be read back, including those only left inside a
	// compaction file.
	for n := int64(0); n <= 8; n++ {
		got, err := l.Get(ctx, n)
		if err != nil {
			t.Fatalf("Get(%d): %v", n, err)
		}
		if diff := cmp.Diff(entries(n), got, cmpEmpty); diff != "" {
			t.Errorf("Get(%d) (-want +got):\n%s", n, diff)
		}
	}
	if _, err := l.Get(ctx, 9); !storage.IsNotExist(err) {
		t.Errorf("Get(9) = %v, want a not-exist error", err)
	}
	if n, err := l.Latest(ctx); err != nil || n != 8 {
		t.Errorf("Latest = %d, %v; want 8", n, err)
	}
}

// TestSourceLogCompactionCrash covers the states a crash can leave.
func TestSourceLogCompactionCrash(t *testing.T) {
	ctx := context.Background()
	build := func(t *testing.T, upTo int64) (*storage.Local, *Checkpoint) {
		s := newStore(t)
		c := open(t, s)
		// A large retention: compaction deletes nothing.
		l := openLog(t, c, CompactInterval(3))
		for n := int64(0); n <= upTo; n++ {
			if err := l.Add(ctx, n, entries(n)); err != nil {
				t.Fatal(err)
			}
		}
		return s, c
	}

	t.Run("crash after the compaction file, before deleting old files", func(t *testing.T) {
		s, c := build(t, 5)
		// Both forms of the history are on disk: 0, 1, 2.compact, 3, 4 and
		// 5.compact. Nothing is read twice.
		if diff := cmp.Diff([]string{"sources/0/0", "sources/0/1", "sources/0/2.compact", "sources/0/3", "sources/0/4", "sources/0/5.compact"},
			listing(t, s, "sources/")); diff != "" {
			t.Fatalf("files (-want +got):\n%s", diff)
		}
		l := openLog(t, c, CompactInterval(3))
		all, err := l.All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(allEntries(5), all, cmpEmpty); diff != "" {
			t.Errorf("All (-want +got):\n%s", diff)
		}
	})

	t.Run("crash before the compaction file", func(t *testing.T) {
		s, c := build(t, 4)
		l := openLog(t, c, CompactInterval(3))
		if err := l.Add(ctx, 5, entries(5)); err != nil {
			t.Fatal(err)
		}
		if got := readFile(t, s, "sources/0/5.compact"); got == "" {
			t.Fatal("no compaction file")
		}
		all, err := l.All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(allEntries(5), all, cmpEmpty); diff != "" {
			t.Errorf("All (-want +got):\n%s", diff)
		}
	})

	t.Run("a batch in both forms", func(t *testing.T) {
		s, c := build(t, 5)
		// A plain file beside a compaction file of the same batch (left by
		// a change of interval): the compaction file wins for All, the
		// plain file for Get.
		writeFile(t, s, "sources/0/5", "v1\n"+`{"path":"file:///in/b5-0.json","timestamp":5000,"batchId":5}`+"\n"+`{"path":"file:///in/b5-1.json","timestamp":5001,"batchId":5}`)
		l := openLog(t, c, CompactInterval(3))
		all, err := l.All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(allEntries(5), all, cmpEmpty); diff != "" {
			t.Errorf("All (-want +got):\n%s", diff)
		}
		got, err := l.Get(ctx, 5)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(entries(5), got, cmpEmpty); diff != "" {
			t.Errorf("Get(5) (-want +got):\n%s", diff)
		}
	})

	t.Run("purge crashed halfway", func(t *testing.T) {
		s, c := build(t, 5)
		if err := s.Delete(ctx, "sources/0/0"); err != nil {
			t.Fatal(err)
		}
		l := openLog(t, c, CompactInterval(3))
		all, err := l.All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(allEntries(5), all, cmpEmpty); diff != "" {
			t.Errorf("All (-want +got):\n%s", diff)
		}
	})
}

func TestSourceLogReopenKeepsInterval(t *testing.T) {
	ctx := context.Background()
	c := open(t, newStore(t))
	l := openLog(t, c, CompactInterval(3))
	for n := int64(0); n <= 6; n++ {
		if err := l.Add(ctx, n, entries(n)); err != nil {
			t.Fatal(err)
		}
	}
	// Two compaction files (2, 5) fix the interval at 3 whatever the option.
	if got := openLog(t, c, CompactInterval(10)).CompactInterval(); got != 3 {
		t.Errorf("CompactInterval after reopen = %d, want 3", got)
	}
	if got := openLog(t, c).CompactInterval(); got != 3 {
		t.Errorf("default CompactInterval after reopen = %d, want 3", got)
	}
}

func TestDeriveCompactInterval(t *testing.T) {
	// Spark's CompactibleFileStreamLogSuite cases.
	tests := []struct{ want, latest, got int64 }{
		{4, 1, 2},   // latest+1 <= want
		{4, 3, 4},   // equal
		{5, 11, 6},  // smallest divisor of 12 that is >= 5
		{2, 11, 2},  // 2 divides 12
		{5, 9, 10},  // no divisor of 10 in [5, 5]: 10
		{3, 14, 3},  // 3 divides 15
		{4, 14, 5},  // 5 divides 15
		{9, 14, 15}, // none in [9, 7]
	}
	for _, tt := range tests {
		if got := deriveCompactInterval(tt.want, tt.latest); got != tt.got {
			t.Errorf("deriveCompactInterval(%d, %d) = %d, want %d", tt.want, tt.latest, got, tt.got)
		}
	}
}

func TestSourceLogAddErrors(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	c := open(t, s)
	l := openLog(t, c)
	if err := l.Add(ctx, 0, entries(0)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"existing batch", l.Add(ctx, 0, nil),
			"checkpoint: <ckpt>/sources/0/0 already exists: another query owns the checkpoint; stop the other query or use a new checkpoint location"},
		{"out of order", l.Add(ctx, 2, nil),
			"checkpoint: source log <ckpt>/sources/0: add batch 2: the newest batch is 0; batches must be added in order"},
		{"wrong batchId", l.Add(ctx, 1, []fileEntry{{Path: "x", BatchID: 7}}),
			`checkpoint: source log <ckpt>/sources/0: add batch 1: entry 0 is {"path":"x","timestamp":0,"batchId":7}, want a JSON object with "batchId":1 (compacted source logs need each entry's batch ID)`},
	}
	for _, tt := range tests {
		if tt.err == nil || scrub(s, tt.err.Error()) != tt.want {
			t.Errorf("%s:\ngot  %v\nwant %s", tt.name, tt.err, tt.want)
		}
	}
	var cqe *ConcurrentQueryError
	if !errors.As(tests[0].err, &cqe) {
		t.Errorf("existing batch: %T, want *ConcurrentQueryError", tests[0].err)
	}

	// Without compaction, entries need no batch ID (e.g. Kafka's initial
	// offsets).
	raw, err := OpenSourceLog[map[string]int](ctx, c, 1, CompactInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	for n := int64(0); n < 12; n++ {
		if err := raw.Add(ctx, n, []map[string]int{{"events": int(n)}}); err != nil {
			t.Fatal(err)
		}
	}
	if got := readFile(t, s, "sources/1/11"); got != "v1\n{\"events\":11}" {
		t.Errorf("sources/1/11 = %q", got)
	}
	got, err := raw.Get(ctx, 4)
	if err != nil || len(got) != 1 || got[0]["events"] != 4 {
		t.Errorf("Get(4) = %v, %v", got, err)
	}
}

func TestSourceLogCorrupt(t *testing.T) {
	const corrupt = "the file is corrupt; restore it from a backup or use a new checkpoint location"
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"newer version", map[string]string{"sources/0/0": "v2\n{}"},
			"checkpoint: <ckpt>/sources/0/0:1: checkpoint written by a newer version (log version v2, this streamgen reads up to v1), unsupported: upgrade streamgen"},
		{"bad entry", map[string]string{"sources/0/0": "v1\n{\"path\":\"a\",\"batchId\":0}\n{\"path\":"},
			"checkpoint: <ckpt>/sources/0/0:3: invalid entry JSON (unexpected end of JSON input): " + corrupt},
		{"gap after compaction", map[string]string{"sources/0/2.compact": "v1", "sources/0/3": "v1", "sources/0/5": "v1"},
			"checkpoint: <ckpt>/sources/0: batch 4 is missing between 3 and 5: the log is corrupt; restore the missing files or use a new checkpoint location"},
		{"no start", map[string]string{"sources/0/3": "v1", "sources/0/4": "v1"},
			"checkpoint: <ckpt>/sources/0: batches 0 to 2 are missing before batch 3 with no compaction file covering them: the log is corrupt; restore the missing files or use a new checkpoint location"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			l := openLog(t, open(t, s), CompactInterval(3))
			for name, content := range tt.files {
				writeFile(t, s, name, content)
			}
			_, err := l.All(context.Background())
			if err == nil || scrub(s, err.Error()) != tt.want {
				t.Errorf("All:\ngot  %v\nwant %s", err, tt.want)
			}
			var ce *CorruptError
			if !errors.As(err, &ce) {
				t.Errorf("error is %T, want *CorruptError", err)
			}
		})
	}
}
