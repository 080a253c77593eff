package stream_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamgen/streamgen/runtime/checkpoint"
	"github.com/streamgen/streamgen/runtime/sink/memory"
	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/stream"
	"github.com/streamgen/streamgen/runtime/trigger/triggertest"
)

const queryID = "8f1c2a3e-5b6d-4e7f-9a0b-1c2d3e4f5a6b"

// t0 is 2026-01-01T10:00:00Z, a multiple of 10s since the epoch.
var t0 = time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)

var errKilled = errors.New("killed")

// event is the typed row of the fake pipeline.
type event struct {
	ID   int
	Time time.Time
}

func events(from, n int, at func(i int) time.Time) []event {
	out := make([]event, n)
	for i := range out {
		out[i] = event{ID: from + i, Time: at(from + i)}
	}
	return out
}

func secs(i int) time.Time { return t0.Add(time.Duration(i) * time.Second) }

// fakeSource is an in-memory source of events; its offset is the number
// of rows, {"offset":N}.
type fakeSource struct {
	name  string
	limit int // rows per batch, 0 for no limit

	mu         sync.Mutex
	rows       []event
	fixed      int // AvailableNow's end, -1 for none
	commits    []int
	failLatest error
}

func newSource(name string, limit int, rows ...event) *fakeSource {
	return &fakeSource{name: name, limit: limit, rows: rows, fixed: -1}
}

func offset(n int) json.RawMessage { return json.RawMessage(fmt.Sprintf(`{"offset":%d}`, n)) }

func parseOffset(raw json.RawMessage) int {
	if raw == nil {
		return 0
	}
	var o struct{ Offset int }
	if err := json.Unmarshal(raw, &o); err != nil {
		panic(err)
	}
	return o.Offset
}

func (s *fakeSource) Description() string { return "FakeSource[" + s.name + "]" }

func (s *fakeSource) InitialOffset(context.Context) (json.RawMessage, error) { return offset(0), nil }

func (s *fakeSource) latest(start json.RawMessage, limit int) (json.RawMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failLatest != nil {
		return nil, s.failLatest
	}
	n := parseOffset(start)
	end := len(s.rows)
	if s.fixed >= 0 {
		end = min(end, s.fixed)
	}
	if limit > 0 {
		end = min(end, n+limit)
	}
	return offset(max(end, n)), nil
}

func (s *fakeSource) LatestOffset(_ context.Context, start json.RawMessage) (json.RawMessage, error) {
	return s.latest(start, s.limit)
}

func (s *fakeSource) Commit(_ context.Context, end json.RawMessage) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.commits = append(s.commits, parseOffset(end))
	return nil
}

func (s *fakeSource) add(rows ...event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rows = append(s.rows, rows...)
}

func (s *fakeSource) read(start, end json.RawMessage) []event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]event(nil), s.rows[parseOffset(start):parseOffset(end)]...)
}

func (s *fakeSource) committed() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.commits...)
}

// availableNowSource fixes its end at PrepareAvailableNow.
type availableNowSource struct{ *fakeSource }

func (s availableNowSource) PrepareAvailableNow(context.Context, json.RawMessage) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fixed = len(s.rows)
	return nil
}

// allAvailableSource can lift its read limit for Once.
type allAvailableSource struct{ *fakeSource }

func (s allAvailableSource) LatestOffsetAllAvailable(_ context.Context, start json.RawMessage) (json.RawMessage, error) {
	return s.latest(start, 0)
}

// pipeline is the Runner a generated pipeline would be: it reads each
// source's range, copies the rows to a memory sink and reports the max
// event time. It records every batch it is given.
type pipeline struct {
	sources []*fakeSource
	sink    *memory.Sink[event]
	clock   *triggertest.Clock
	advance time.Duration // clock advance per batch, for durations

	mu      sync.Mutex
	batches []stream.Batch
	// before and after, when set, run before and after the sink write;
	// an error fails the batch.
	before, after func(ctx context.Context, b *stream.Batch) error
}

func newPipeline(clock *triggertest.Clock, sink *memory.Sink[event], sources ...*fakeSource) *pipeline {
	return &pipeline{sources: sources, sink: sink, clock: clock}
}

func (p *pipeline) run(ctx context.Context, b *stream.Batch) (stream.BatchResult, error) {
	p.mu.Lock()
	p.batches = append(p.batches, *b)
	before, after := p.before, p.after
	p.mu.Unlock()
	if before != nil {
		if err := before(ctx, b); err != nil {
			return stream.BatchResult{}, err
		}
	}
	var rows []event
	res := stream.BatchResult{SourceRows: make([]int64, len(p.sources))}
	for i, s := range p.sources {
		r := s.read(b.Start[i], b.End[i])
		res.SourceRows[i] = int64(len(r))
		rows = append(rows, r...)
	}
	for _, r := range rows {
		if r.Time.After(res.MaxEventTime) {
			res.MaxEventTime = r.Time
		}
	}
	if err := p.sink.AddBatch(ctx, b.ID, rows); err != nil {
		return stream.BatchResult{}, err
	}
	res.NumOutputRows = int64(len(rows))
	if after != nil {
		if err := after(ctx, b); err != nil {
			return stream.BatchResult{}, err
		}
	}
	if p.advance > 0 {
		p.clock.Advance(p.advance)
	}
	return res, nil
}

func (p *pipeline) recorded() []stream.Batch {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]stream.Batch(nil), p.batches...)
}

func (p *pipeline) setHooks(before, after func(ctx context.Context, b *stream.Batch) error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.before, p.after = before, after
}

func (p *pipeline) asSources() []stream.Source {
	out := make([]stream.Source, len(p.sources))
	for i, s := range p.sources {
		out[i] = s
	}
	return out
}

func openCheckpoint(t *testing.T, dir string) *checkpoint.Checkpoint {
	t.Helper()
	store, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := checkpoint.Open(context.Background(), store, checkpoint.InitialID(queryID))
	if err != nil {
		t.Fatal(err)
	}
	return cp
}

// newQuery builds a query with a fake clock and a discarding logger.
func newQuery(t *testing.T, dir string, sources []stream.Source, run stream.Runner, clock *triggertest.Clock, opts ...stream.Opt) *stream.Query {
	t.Helper()
	opts = append([]stream.Opt{stream.Clock(clock), stream.Logger(discard)}, opts...)
	q, err := stream.NewQuery(openCheckpoint(t, dir), sources, run, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// start starts q and stops it when the test ends.
func start(t *testing.T, ctx context.Context, q *stream.Query) {
	t.Helper()
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(q.Stop)
}

func processAll(t *testing.T, q *stream.Query) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := q.ProcessAllAvailable(ctx); err != nil {
		t.Fatalf("ProcessAllAvailable: %v", err)
	}
}

func await(t *testing.T, q *stream.Query) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := q.AwaitTermination(ctx)
	if errors.Is(err, context.DeadlineExceeded) && q.IsActive() {
		t.Fatal("query did not terminate")
	}
	return err
}

// readCP returns a checkpoint file's content.
func readCP(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// listCP returns the checkpoint's files, sorted, slash-separated.
func listCP(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func offsetsFile(wm, ts time.Time, offs ...string) string {
	wmMs := int64(0)
	if !wm.IsZero() {
		wmMs = wm.UnixMilli()
	}
	return fmt.Sprintf("v1\n{\"batchWatermarkMs\":%d,\"batchTimestampMs\":%d,\"conf\":{\"streamgen.stateFormatVersion\":\"1\"}}\n%s",
		wmMs, ts.UnixMilli(), strings.Join(offs, "\n"))
}

func commitFile(wm time.Time) string {
	wmMs := int64(0)
	if !wm.IsZero() {
		wmMs = wm.UnixMilli()
	}
	return fmt.Sprintf("v1\n{\"nextBatchWatermarkMs\":%d}", wmMs)
}

// recorder is a Listener that records every event in order.
type recorder struct {
	mu       sync.Mutex
	events   []string
	progress chan stream.Progress
}

func newRecorder() *recorder { return &recorder{progress: make(chan stream.Progress, 100)} }

func (r *recorder) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, s)
}

func (r *recorder) OnStarted(e stream.StartedEvent) { r.add("started " + e.RunID) }
func (r *recorder) OnProgress(p stream.Progress) {
	r.add(fmt.Sprintf("progress %d", p.BatchID))
	r.progress <- p
}
func (r *recorder) OnIdle(stream.IdleEvent) { r.add("idle") }
func (r *recorder) OnTerminated(e stream.TerminatedEvent) {
	r.add(fmt.Sprintf("terminated %v", e.Err))
}

func (r *recorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.events...)
}

func (r *recorder) next(t *testing.T) stream.Progress {
	t.Helper()
	select {
	case p := <-r.progress:
		return p
	case <-time.After(20 * time.Second):
		t.Fatal("no progress")
		return stream.Progress{}
	}
}
