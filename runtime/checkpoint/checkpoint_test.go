package checkpoint

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"

	"github.com/streamgen/streamgen/runtime/storage"
)

const testID = "8f1c2a3e-5b6d-4e7f-9a0b-1c2d3e4f5a6b"

// newStore returns a Local store on a fresh directory.
func newStore(t *testing.T) *storage.Local {
	t.Helper()
	s, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func open(t *testing.T, s storage.Storage, opts ...Opt) *Checkpoint {
	t.Helper()
	opts = append([]Opt{InitialID(testID), Logger(slog.New(slog.DiscardHandler))}, opts...)
	c, err := Open(context.Background(), s, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func readFile(t *testing.T, s *storage.Local, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(s.Root(), filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeFile(t *testing.T, s *storage.Local, name, content string) {
	t.Helper()
	p := filepath.Join(s.Root(), filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// listing returns every file under the store root, relative and sorted.
func listing(t *testing.T, s *storage.Local, prefix string) []string {
	t.Helper()
	infos, err := s.List(context.Background(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, fi := range infos {
		out = append(out, fi.Name)
	}
	return out
}

// scrub replaces the store root in a message with <ckpt>.
func scrub(s *storage.Local, msg string) string {
	return strings.ReplaceAll(msg, s.Root(), "<ckpt>")
}

func seq(ts int64, offsets ...string) *OffsetSeq {
	s := &OffsetSeq{Metadata: OffsetSeqMetadata{BatchTimestampMs: ts, Conf: map[string]string{}}}
	for _, o := range offsets {
		if o == "-" {
			s.Offsets = append(s.Offsets, nil)
		} else {
			s.Offsets = append(s.Offsets, json.RawMessage(o))
		}
	}
	return s
}

func TestOpenCreatesMetadataOnceAndKeepsID(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	c := open(t, s)
	if c.ID() != testID {
		t.Fatalf("ID() = %q, want %q", c.ID(), testID)
	}
	if got, want := readFile(t, s, "metadata"), `{"id":"`+testID+`"}`; got != want {
		t.Errorf("metadata = %q, want %q", got, want)
	}
	// A restart reads the ID back; InitialID no longer matters.
	c2, err := Open(ctx, s, InitialID("00000000-0000-4000-8000-000000000000"))
	if err != nil {
		t.Fatal(err)
	}
	if c2.ID() != testID {
		t.Errorf("after restart ID() = %q, want %q", c2.ID(), testID)
	}

	// Without InitialID a random UUID is created and then kept.
	s2 := newStore(t)
	c3, err := Open(ctx, s2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := uuid.Parse(c3.ID()); err != nil {
		t.Errorf("ID() = %q is not a UUID: %v", c3.ID(), err)
	}
	c4, err := Open(ctx, s2)
	if err != nil {
		t.Fatal(err)
	}
	if c4.ID() != c3.ID() {
		t.Errorf("restart changed the ID: %q then %q", c3.ID(), c4.ID())
	}
}

func TestOpenConcurrentAgreesOnOneID(t *testing.T) {
	s := newStore(t)
	const n = 16
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := Open(context.Background(), s)
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = c.ID()
		}()
	}
	wg.Wait()
	for i := range ids {
		if ids[i] != ids[0] {
			t.Fatalf("queries disagree on the ID: %q", ids)
		}
	}
}

func TestOpenOptionErrors(t *testing.T) {
	s := newStore(t)
	tests := []struct {
		opt  Opt
		want string
	}{
		{MinBatchesToRetain(0), "checkpoint: MinBatchesToRetain must be at least 1, got 0"},
		{InitialID("q1"), `checkpoint: InitialID "q1" is not a UUID: invalid UUID length: 2`},
	}
	for _, tt := range tests {
		_, err := Open(context.Background(), s, tt.opt)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Open: got %v, want %q", err, tt.want)
		}
	}
}

func TestOffsetsFileFormat(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	c := open(t, s)
	s0 := &OffsetSeq{
		Metadata: OffsetSeqMetadata{
			BatchWatermarkMs: 0,
			BatchTimestampMs: 1700000000123,
			Conf:             map[string]string{"streamgen.stateFormatVersion": "1", "a.b": "x&y<z>"},
		},
		Offsets: []json.RawMessage{
			json.RawMessage(`{"logOffset":0}`),
			nil,
			json.RawMessage("{\n  \"events\": {\"0\": 42, \"1\": 7}\n}"),
		},
	}
	if err := c.WriteOffsets(ctx, 0, s0); err != nil {
		t.Fatal(err)
	}
	want := "v1\n" +
		`{"batchWatermarkMs":0,"batchTimestampMs":1700000000123,"conf":{"a.b":"x&y<z>","streamgen.stateFormatVersion":"1"}}` + "\n" +
		`{"logOffset":0}` + "\n" +
		"-\n" +
		`{"events":{"0":42,"1":7}}`
	if got := readFile(t, s, "offsets/0"); got != want {
		t.Errorf("offsets/0:\ngot  %q\nwant %q", got, want)
	}

	// Nil conf is written as {} (as Spark does); no sources, no offset lines.
	if err := c.WriteOffsets(ctx, 1, &OffsetSeq{Metadata: OffsetSeqMetadata{BatchWatermarkMs: 5000, BatchTimestampMs: 1700000010000}}); err != nil {
		t.Fatal(err)
	}
	want1 := "v1\n" + `{"batchWatermarkMs":5000,"batchTimestampMs":1700000010000,"conf":{}}`
	if got := readFile(t, s, "offsets/1"); got != want1 {
		t.Errorf("offsets/1:\ngot  %q\nwant %q", got, want1)
	}

	got, err := c.Offsets(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	wantSeq := &OffsetSeq{
		Metadata: s0.Metadata,
		Offsets: []json.RawMessage{
			json.RawMessage(`{"logOffset":0}`), nil, json.RawMessage(`{"events":{"0":42,"1":7}}`),
		},
	}
	if diff := cmp.Diff(wantSeq, got); diff != "" {
		t.Errorf("Offsets(0) (-want +got):\n%s", diff)
	}
	n, latest, err := c.LatestOffsets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 || latest.Metadata.BatchWatermarkMs != 5000 {
		t.Errorf("LatestOffsets = %d, %+v; want batch 1 with watermark 5000", n, latest)
	}
}

func TestCommitFileFormat(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	c := open(t, s)
	n, m, err := c.LatestCommit(ctx)
	if err != nil || n != -1 || m != (CommitMetadata{}) {
		t.Fatalf("LatestCommit on empty log = %d, %+v, %v; want -1, zero, nil", n, m, err)
	}
	if err := c.WriteOffsets(ctx, 0, seq(1, `{"logOffset":0}`)); err != nil {
		t.Fatal(err)
	}
	if err := c.WriteCommit(ctx, 0, CommitMetadata{NextBatchWatermarkMs: 1699999990000}); err != nil {
		t.Fatal(err)
	}
	if got, want := readFile(t, s, "commits/0"), "v1\n{\"nextBatchWatermarkMs\":1699999990000}"; got != want {
		t.Errorf("commits/0 = %q, want %q", got, want)
	}
	n, m, err = c.LatestCommit(ctx)
	if err != nil || n != 0 || m.NextBatchWatermarkMs != 1699999990000 {
		t.Errorf("LatestCommit = %d, %+v, %v", n, m, err)
	}
	// Spark reads a commit file without a metadata line as {}.
	writeFile(t, s, "commits/1", "v1")
	writeFile(t, s, "offsets/1", "v1\n{}")
	if m, err := c.Commit(ctx, 1); err != nil || m != (CommitMetadata{}) {
		t.Errorf("Commit(1) of a bare version line = %+v, %v; want zero, nil", m, err)
	}
}

func TestWriteOrderErrors(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	c := open(t, s)
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"offsets out of order", c.WriteOffsets(ctx, 3, seq(1)),
			"checkpoint: write offsets of batch 3: <ckpt>/offsets/2 does not exist: batches must be written in order"},
		{"commit before offsets", c.WriteCommit(ctx, 0, CommitMetadata{}),
			"checkpoint: write commit of batch 0: <ckpt>/offsets/0 does not exist: write the offsets before the commit"},
		{"bad offset JSON", c.WriteOffsets(ctx, 0, seq(1, `{"logOffset":`)),
			`checkpoint: write offsets of batch 0: source 0: invalid offset JSON "{\"logOffset\":": unexpected end of JSON input`},
		{"nil seq", c.WriteOffsets(ctx, 0, nil), "checkpoint: write offsets of batch 0: nil OffsetSeq"},
		{"negative", c.WriteOffsets(ctx, -1, seq(1)), "checkpoint: write offsets: negative batch ID -1"},
	}
	for _, tt := range tests {
		if tt.err == nil || scrub(s, tt.err.Error()) != tt.want {
			t.Errorf("%s: got %v\nwant %s", tt.name, tt.err, tt.want)
		}
	}
	if got := listing(t, s, "offsets/"); got != nil {
		t.Errorf("failed writes left files: %q", got)
	}
}

func TestSecondWriterGetsConcurrentQueryError(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	a := open(t, s)
	b := open(t, s) // a second query on the same checkpoint
	if a.ID() != b.ID() {
		t.Fatal("IDs differ")
	}
	if err := a.WriteOffsets(ctx, 0, seq(1, `{"logOffset":0}`)); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name string
		err  error
		path string
	}{
		{"offsets", b.WriteOffsets(ctx, 0, seq(2, `{"logOffset":9}`)), "<ckpt>/offsets/0"},
		{"commit", func() error {
			if err := a.WriteCommit(ctx, 0, CommitMetadata{}); err != nil {
				t.Fatal(err)
			}
			return b.WriteCommit(ctx, 0, CommitMetadata{NextBatchWatermarkMs: 7})
		}(), "<ckpt>/commits/0"},
	}
	for _, tt := range checks {
		var cqe *ConcurrentQueryError
		if !errors.As(tt.err, &cqe) {
			t.Fatalf("%s: got %v, want *ConcurrentQueryError", tt.name, tt.err)
		}
		if !errors.Is(tt.err, storage.ErrExist) {
			t.Errorf("%s: errors.Is(err, storage.ErrExist) = false", tt.name)
		}
		want := "checkpoint: " + tt.path + " already exists: another query owns the checkpoint; " +
			"stop the other query or use a new checkpoint location"
		if got := scrub(s, tt.err.Error()); got != want {
			t.Errorf("%s:\ngot  %s\nwant %s", tt.name, got, want)
		}
	}
	// The first writer's files are untouched.
	if got, want := readFile(t, s, "offsets/0"), "v1\n{\"batchWatermarkMs\":0,\"batchTimestampMs\":1,\"conf\":{}}\n{\"logOffset\":0}"; got != want {
		t.Errorf("offsets/0 = %q, want %q", got, want)
	}
	if got, want := readFile(t, s, "commits/0"), "v1\n{\"nextBatchWatermarkMs\":0}"; got != want {
		t.Errorf("commits/0 = %q, want %q", got, want)
	}
}

func TestRacingWritersOneWins(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	const n = 16
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, lost := 0, 0
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := Open(ctx, s)
			if err != nil {
				t.Error(err)
				return
			}
			err = c.WriteOffsets(ctx, 0, seq(int64(i), `{"logOffset":0}`))
			var cqe *ConcurrentQueryError
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.As(err, &cqe):
				lost++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 || lost != n-1 {
		t.Errorf("wins=%d lost=%d, want 1 and %d", wins, lost, n-1)
	}
}

// cmpEmpty treats nil and empty slices as equal.
var cmpEmpty = cmpopts.EquateEmpty()
