package files_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/streamgen/streamgen/runtime/checkpoint"
	"github.com/streamgen/streamgen/runtime/source/files"
	"github.com/streamgen/streamgen/runtime/storage"
)

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// t0 is the base modification time of test files.
var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// env is an input directory and a checkpoint directory.
type env struct {
	t      testing.TB
	in, cp string
	store  *storage.Local
}

func newEnv(t testing.TB) *env {
	t.Helper()
	d := t.TempDir()
	e := &env{t: t, in: filepath.Join(d, "in"), cp: filepath.Join(d, "cp")}
	if err := os.MkdirAll(e.in, 0o755); err != nil {
		t.Fatal(err)
	}
	var err error
	if e.store, err = storage.NewLocal(e.in); err != nil {
		t.Fatal(err)
	}
	return e
}

// write creates name under the input root with content and mtime
// t0+sec seconds.
func (e *env) write(name, content string, sec int) {
	e.t.Helper()
	p := filepath.Join(e.in, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		e.t.Fatal(err)
	}
	mt := t0.Add(time.Duration(sec) * time.Second)
	if err := os.Chtimes(p, mt, mt); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) checkpoint() *checkpoint.Checkpoint {
	e.t.Helper()
	st, err := storage.NewLocal(e.cp)
	if err != nil {
		e.t.Fatal(err)
	}
	cp, err := checkpoint.Open(context.Background(), st, checkpoint.Logger(discard))
	if err != nil {
		e.t.Fatal(err)
	}
	return cp
}

// source opens the source on a fresh view of the checkpoint (a restart).
func (e *env) source(opts ...files.Opt) *files.Source[row] {
	e.t.Helper()
	opts = append([]files.Opt{files.Logger(discard), files.OnMalformed(files.DropMalformed)}, opts...)
	s, err := files.New(context.Background(), e.store, e.checkpoint(), 0, newDecoder, opts...)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// drain calls LatestOffset until there is no new data and returns the
// files of each batch, and the last offset.
func drain(t *testing.T, s *files.Source[row], start json.RawMessage) ([][]string, json.RawMessage) {
	t.Helper()
	ctx := context.Background()
	var out [][]string
	for {
		end, err := s.LatestOffset(ctx, start)
		if err != nil {
			t.Fatal(err)
		}
		if string(end) == string(start) {
			return out, start
		}
		out = append(out, names(t, s, start, end))
		start = end
	}
}

func names(t *testing.T, s *files.Source[row], start, end json.RawMessage) []string {
	t.Helper()
	es, err := s.Files(context.Background(), start, end)
	if err != nil {
		t.Fatal(err)
	}
	var ns []string
	for _, e := range es {
		ns = append(ns, e.Path)
	}
	return ns
}

func off(n int64) json.RawMessage { return json.RawMessage(`{"logOffset":` + itoa(n) + `}`) }

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// line is one valid JSON-lines record.
func line(device, status string) string {
	b, _ := json.Marshal(row{Device: device, Status: status})
	return string(b) + "\n"
}
