package stream_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/checkpoint"
	"github.com/streamgen/streamgen/runtime/sink/memory"
	"github.com/streamgen/streamgen/runtime/stream"
	"github.com/streamgen/streamgen/runtime/trigger"
	"github.com/streamgen/streamgen/runtime/trigger/triggertest"
)

func ends(bs []stream.Batch) []int {
	var out []int
	for _, b := range bs {
		out = append(out, parseOffset(b.End[0]))
	}
	return out
}

func TestCheckpointFilesAfterBatches(t *testing.T) {
	dir := t.TempDir()
	clock := triggertest.NewClock(t0)
	src := newSource("a", 2, events(0, 5, secs)...)
	p := newPipeline(clock, memory.New[event](), src)
	p.advance = time.Second
	q := newQuery(t, dir, p.asSources(), p.run, clock)
	start(t, context.Background(), q)
	processAll(t, q)
	q.Stop()
	if err := q.Err(); err != nil {
		t.Fatal(err)
	}

	wantFiles := []string{"commits/0", "commits/1", "commits/2", "metadata", "offsets/0", "offsets/1", "offsets/2"}
	if diff := cmp.Diff(wantFiles, listCP(t, dir)); diff != "" {
		t.Errorf("checkpoint files (-want +got):\n%s", diff)
	}
	for i, end := range []string{`{"offset":2}`, `{"offset":4}`, `{"offset":5}`} {
		n := string(rune('0' + i))
		if got, want := readCP(t, dir, "offsets/"+n), offsetsFile(time.Time{}, secs(i), end); got != want {
			t.Errorf("offsets/%s:\n%s\nwant:\n%s", n, got, want)
		}
		if got, want := readCP(t, dir, "commits/"+n), commitFile(time.Time{}); got != want {
			t.Errorf("commits/%s:\n%s\nwant:\n%s", n, got, want)
		}
	}
	if got := readCP(t, dir, "metadata"); got != `{"id":"`+queryID+`"}` {
		t.Errorf("metadata: %s", got)
	}
	if diff := cmp.Diff([]int{2, 4, 5}, src.committed()); diff != "" {
		t.Errorf("source commits (-want +got):\n%s", diff)
	}
	bs := p.recorded()
	if diff := cmp.Diff([]int{2, 4, 5}, ends(bs)); diff != "" {
		t.Errorf("batch ends (-want +got):\n%s", diff)
	}
	for i, b := range bs {
		if b.ID != int64(i) || b.QueryID != queryID || b.Rerun || !b.Timestamp.Equal(secs(i)) || !b.Watermark.Equal(time.UnixMilli(0)) {
			t.Errorf("batch %d: %+v", i, b)
		}
	}
	if got := p.sink.Rows(); len(got) != 5 {
		t.Errorf("sink holds %d rows, want 5", len(got))
	}
}

func TestPurgeKeepsMinBatchesToRetain(t *testing.T) {
	dir := t.TempDir()
	clock := triggertest.NewClock(t0)
	src := newSource("a", 1, events(0, 5, secs)...)
	p := newPipeline(clock, memory.New[event](), src)
	q := newQuery(t, dir, p.asSources(), p.run, clock, stream.MinBatchesToRetain(2))
	start(t, context.Background(), q)
	processAll(t, q)
	q.Stop()
	want := []string{"commits/3", "commits/4", "metadata", "offsets/3", "offsets/4"}
	if diff := cmp.Diff(want, listCP(t, dir)); diff != "" {
		t.Errorf("checkpoint files (-want +got):\n%s", diff)
	}
}

func TestRestartRerunsUncommittedBatch(t *testing.T) {
	dir := t.TempDir()
	clock := triggertest.NewClock(t0)
	src := newSource("a", 2, events(0, 6, secs)...)
	sink := memory.New[event]()
	p1 := newPipeline(clock, sink, src)
	p1.advance = time.Second
	// Crash after the sink write of batch 1, before commits/1.
	p1.setHooks(nil, func(_ context.Context, b *stream.Batch) error {
		if b.ID == 1 {
			return errKilled
		}
		return nil
	})
	opts := []stream.Opt{stream.WatermarkDelay(500 * time.Millisecond)}
	q1 := newQuery(t, dir, p1.asSources(), p1.run, clock, opts...)
	start(t, context.Background(), q1)
	err := await(t, q1)
	if !errors.Is(err, errKilled) || err.Error() != "stream: batch 1: killed" {
		t.Fatalf("first run: %v, want stream: batch 1: killed", err)
	}
	if files := listCP(t, dir); !cmp.Equal(files, []string{"commits/0", "metadata", "offsets/0", "offsets/1"}) {
		t.Fatalf("checkpoint after the crash: %v", files)
	}
	crashed := p1.recorded()[1]

	clock.Advance(time.Hour)
	p2 := newPipeline(clock, sink, src)
	q2 := newQuery(t, dir, p2.asSources(), p2.run, clock, opts...)
	start(t, context.Background(), q2)
	processAll(t, q2)
	q2.Stop()
	if err := q2.Err(); err != nil {
		t.Fatal(err)
	}
	bs := p2.recorded()
	if len(bs) != 3 {
		t.Fatalf("second run ran %d batches, want 3 (re-run of 1, then 2, 3)", len(bs))
	}
	rerun := bs[0]
	want := crashed
	want.Rerun = true
	if diff := cmp.Diff(want, rerun); diff != "" {
		t.Errorf("re-run of batch 1 (-want +got):\n%s", diff)
	}
	// Batch 1 ran with the watermark computed by batch 0 (max 1s - 500ms).
	if !rerun.Watermark.Equal(t0.Add(500 * time.Millisecond)) {
		t.Errorf("re-run watermark %v", rerun.Watermark)
	}
	if bs[1].ID != 2 || bs[1].Rerun || !bs[1].Timestamp.Equal(clock.Now()) {
		t.Errorf("batch after the re-run: %+v", bs[1])
	}
	if diff := cmp.Diff(events(0, 6, secs), sink.Rows()); diff != "" {
		t.Errorf("sink rows (-want +got):\n%s", diff)
	}
	// The offsets log was not rewritten: offsets/1 holds the first
	// run's timestamp.
	if got, want := readCP(t, dir, "offsets/1"), offsetsFile(t0.Add(500*time.Millisecond), secs(1), `{"offset":4}`); got != want {
		t.Errorf("offsets/1:\n%s\nwant:\n%s", got, want)
	}
}

func TestRestartRecommitsSources(t *testing.T) {
	dir := t.TempDir()
	clock := triggertest.NewClock(t0)
	src := newSource("a", 0, events(0, 2, secs)...)
	p := newPipeline(clock, memory.New[event](), src)
	q := newQuery(t, dir, p.asSources(), p.run, clock)
	start(t, context.Background(), q)
	processAll(t, q)
	q.Stop()
	q = newQuery(t, dir, p.asSources(), p.run, clock)
	start(t, context.Background(), q)
	processAll(t, q)
	q.Stop()
	if diff := cmp.Diff([]int{2, 2}, src.committed()); diff != "" {
		t.Errorf("source commits (-want +got):\n%s", diff)
	}
	if n := len(p.recorded()); n != 1 {
		t.Errorf("%d batches, want 1", n)
	}
}

func TestNoBatchWithoutData(t *testing.T) {
	dir := t.TempDir()
	clock := triggertest.NewClock(t0)
	src := newSource("a", 0)
	p := newPipeline(clock, memory.New[event](), src)
	q := newQuery(t, dir, p.asSources(), p.run, clock)
	start(t, context.Background(), q)
	processAll(t, q)
	if n := len(p.recorded()); n != 0 {
		t.Errorf("%d batches without data", n)
	}
	if q.LastProgress() != nil {
		t.Error("progress without a batch")
	}
	if files := listCP(t, dir); !cmp.Equal(files, []string{"metadata"}) {
		t.Errorf("checkpoint files: %v", files)
	}
	// The default trigger polls.
	if until := clock.BlockUntilWaiting(1); !until.Equal(t0.Add(trigger.PollInterval)) {
		t.Errorf("polls at %v, want %v", until, t0.Add(trigger.PollInterval))
	}
	if s := q.Status(); s != (stream.Status{Message: "Waiting for data to arrive"}) {
		t.Errorf("status %+v", s)
	}
	src.add(events(0, 1, secs)...)
	processAll(t, q)
	if n := len(p.recorded()); n != 1 {
		t.Errorf("%d batches after new data, want 1", n)
	}
}

func TestNoDataBatchWhenWatermarkMoves(t *testing.T) {
	dir := t.TempDir()
	clock := triggertest.NewClock(t0)
	src := newSource("a", 0, events(0, 31, secs)...) // event times t0 … t0+30s
	p := newPipeline(clock, memory.New[event](), src)
	q := newQuery(t, dir, p.asSources(), p.run, clock, stream.WatermarkDelay(10*time.Second))
	start(t, context.Background(), q)
	processAll(t, q)
	q.Stop()
	bs := p.recorded()
	if len(bs) != 2 {
		t.Fatalf("%d batches, want 2 (data, then no data)", len(bs))
	}
	wm := secs(20)
	if !bs[0].HasData() || !bs[0].Watermark.Equal(time.UnixMilli(0)) {
		t.Errorf("batch 0: %+v", bs[0])
	}
	if bs[1].HasData() || !bs[1].Watermark.Equal(wm) || parseOffset(bs[1].Start[0]) != 31 || parseOffset(bs[1].End[0]) != 31 {
		t.Errorf("no-data batch 1: %+v", bs[1])
	}
	if got := readCP(t, dir, "commits/0"); got != commitFile(wm) {
		t.Errorf("commits/0: %s", got)
	}
	if got, want := readCP(t, dir, "offsets/1"), offsetsFile(wm, t0, `{"offset":31}`); got != want {
		t.Errorf("offsets/1:\n%s\nwant\n%s", got, want)
	}
	if got := readCP(t, dir, "commits/1"); got != commitFile(wm) {
		t.Errorf("commits/1: %s", got)
	}
	if p := q.LastProgress(); p.NumInputRows != 0 || p.EventTime["watermark"] != "2026-01-01T10:00:20.000Z" {
		t.Errorf("no-data batch progress: %v", p)
	}
}

func TestWatermarkNeverDecreasesAndSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	clock := triggertest.NewClock(t0)
	src := newSource("a", 0, event{0, secs(100)})
	p := newPipeline(clock, memory.New[event](), src)
	opts := []stream.Opt{stream.WatermarkDelay(10 * time.Second)}
	q := newQuery(t, dir, p.asSources(), p.run, clock, opts...)
	start(t, context.Background(), q)
	processAll(t, q) // batch 0, then the no-data batch 1
	src.add(event{1, secs(50)})
	processAll(t, q) // batch 2: older events do not move the watermark back
	q.Stop()
	if got := readCP(t, dir, "commits/2"); got != commitFile(secs(90)) {
		t.Errorf("commits/2: %s, want the watermark kept at 90s", got)
	}
	if bs := p.recorded(); len(bs) != 3 || !bs[2].Watermark.Equal(secs(90)) {
		t.Fatalf("batches %+v", bs)
	}

	src.add(event{2, secs(200)})
	q = newQuery(t, dir, p.asSources(), p.run, clock, opts...)
	start(t, context.Background(), q)
	processAll(t, q)
	q.Stop()
	bs := p.recorded()[3:]
	if len(bs) != 2 || !bs[0].Watermark.Equal(secs(90)) || !bs[1].Watermark.Equal(secs(190)) || bs[1].HasData() {
		t.Errorf("after restart: %+v", bs)
	}
}

func TestAvailableNowStopsAtTheFixedEnd(t *testing.T) {
	dir := t.TempDir()
	clock := triggertest.NewClock(t0)
	src := newSource("a", 2, events(0, 5, secs)...)
	p := newPipeline(clock, memory.New[event](), src)
	p.setHooks(func(_ context.Context, b *stream.Batch) error {
		if b.ID == 0 {
			src.add(events(5, 3, secs)...) // arrives after the start: not processed
		}
		return nil
	}, nil)
	q := newQuery(t, dir, []stream.Source{availableNowSource{src}}, p.run, clock,
		stream.Trigger(trigger.AvailableNow()))
	start(t, context.Background(), q)
	if err := await(t, q); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{2, 4, 5}, ends(p.recorded())); diff != "" {
		t.Errorf("batch ends (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(events(0, 5, secs), p.sink.Rows()); diff != "" {
		t.Errorf("sink (-want +got):\n%s", diff)
	}
	if q.IsActive() || q.Status().Message != "Stopped" {
		t.Errorf("active %v, status %+v", q.IsActive(), q.Status())
	}
	if err := q.ProcessAllAvailable(context.Background()); err != nil {
		t.Errorf("ProcessAllAvailable after a normal end: %v", err)
	}
}

func TestAvailableNowWithoutPrepareReadsUntilNoData(t *testing.T) {
	dir := t.TempDir()
	clock := triggertest.NewClock(t0)
	src := newSource("a", 2, events(0, 3, secs)...)
	p := newPipeline(clock, memory.New[event](), src)
	q := newQuery(t, dir, p.asSources(), p.run, clock, stream.Trigger(trigger.AvailableNow()))
	start(t, context.Background(), q)
	if err := await(t, q); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{2, 3}, ends(p.recorded())); diff != "" {
		t.Errorf("batch ends (-want +got):\n%s", diff)
	}
}

func TestOnce(t *testing.T) {
	tests := []struct {
		name   string
		source func(*fakeSource) stream.Source
		rows   int
		want   []int
	}{
		{"reads everything when the source lifts its limit", func(s *fakeSource) stream.Source { return allAvailableSource{s} }, 5, []int{5}},
		{"one batch within the limit otherwise", func(s *fakeSource) stream.Source { return s }, 5, []int{2}},
		{"no batch without data", func(s *fakeSource) stream.Source { return s }, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := triggertest.NewClock(t0)
			src := newSource("a", 2, events(0, tt.rows, secs)...)
			p := newPipeline(clock, memory.New[event](), src)
			q := newQuery(t, t.TempDir(), []stream.Source{tt.source(src)}, p.run, clock, stream.Trigger(trigger.Once()))
			start(t, context.Background(), q)
			if err := await(t, q); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, ends(p.recorded())); diff != "" {
				t.Errorf("batch ends (-want +got):\n%s", diff)
			}
		})
	}
}

func TestProcessingTimeAlignment(t *testing.T) {
	dir := t.TempDir()
	clock := triggertest.NewClock(t0.Add(3 * time.Second))
	src := newSource("a", 0, events(0, 2, secs)...)
	p := newPipeline(clock, memory.New[event](), src)
	p.setHooks(nil, func(_ context.Context, b *stream.Batch) error {
		if b.ID == 1 {
			src.add(events(3, 1, secs)...)
			clock.Advance(15 * time.Second) // overrun: the next trigger starts at once
		}
		return nil
	})
	rec := newRecorder()
	q := newQuery(t, dir, p.asSources(), p.run, clock,
		stream.Trigger(trigger.ProcessingTime(10*time.Second)), stream.Listeners(rec))
	start(t, context.Background(), q)

	if p := rec.next(t); p.Timestamp != "2026-01-01T10:00:03.000Z" {
		t.Errorf("batch 0 at %s, want the start", p.Timestamp)
	}
	if until := clock.BlockUntilWaiting(1); !until.Equal(secs(10)) {
		t.Fatalf("waits until %v, want 10:00:10", until)
	}
	src.add(events(2, 1, secs)...)
	clock.Set(secs(10))
	if p := rec.next(t); p.Timestamp != "2026-01-01T10:00:10.000Z" || p.BatchDuration != 15000 {
		t.Errorf("batch 1 at %s lasting %dms", p.Timestamp, p.BatchDuration)
	}
	if p := rec.next(t); p.Timestamp != "2026-01-01T10:00:25.000Z" || p.BatchID != 2 {
		t.Errorf("batch %d at %s, want 2 at once after the overrun", p.BatchID, p.Timestamp)
	}
	if until := clock.BlockUntilWaiting(1); !until.Equal(secs(30)) {
		t.Fatalf("waits until %v, want 10:00:30 (aligned again)", until)
	}
	clock.Set(secs(30)) // an idle trigger: still paced by the interval
	if until := clock.BlockUntilWaiting(1); !until.Equal(secs(40)) {
		t.Fatalf("idle trigger waits until %v, want 10:00:40", until)
	}
	q.Stop()
	if n := len(p.recorded()); n != 3 {
		t.Errorf("%d batches, want 3", n)
	}
}

func TestStopAwaitTerminationErr(t *testing.T) {
	t.Run("stop while idle", func(t *testing.T) {
		clock := triggertest.NewClock(t0)
		p := newPipeline(clock, memory.New[event](), newSource("a", 0))
		q := newQuery(t, t.TempDir(), p.asSources(), p.run, clock)
		start(t, context.Background(), q)
		if !q.IsActive() {
			t.Error("not active after Start")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		defer cancel()
		if err := q.AwaitTermination(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("AwaitTermination of a running query: %v", err)
		}
		q.Stop()
		if err := await(t, q); err != nil {
			t.Errorf("AwaitTermination: %v", err)
		}
		if q.Err() != nil || q.IsActive() || q.Status().Message != "Stopped" {
			t.Errorf("err %v, active %v, status %+v", q.Err(), q.IsActive(), q.Status())
		}
		if err := q.Start(context.Background()); err == nil {
			t.Error("a second Start succeeded")
		}
		q.Stop() // idempotent
	})
	t.Run("runner error", func(t *testing.T) {
		clock := triggertest.NewClock(t0)
		boom := errors.New("boom")
		p := newPipeline(clock, memory.New[event](), newSource("a", 0, events(0, 1, secs)...))
		p.setHooks(func(context.Context, *stream.Batch) error { return boom }, nil)
		q := newQuery(t, t.TempDir(), p.asSources(), p.run, clock)
		start(t, context.Background(), q)
		err := await(t, q)
		if !errors.Is(err, boom) || err.Error() != "stream: batch 0: boom" || q.Err() != err {
			t.Errorf("err %v", err)
		}
		if !strings.HasPrefix(q.Status().Message, "Terminated with error: stream: batch 0: boom") {
			t.Errorf("status %+v", q.Status())
		}
		if got := q.ProcessAllAvailable(context.Background()); got != err {
			t.Errorf("ProcessAllAvailable: %v, want %v", got, err)
		}
	})
	t.Run("source error", func(t *testing.T) {
		clock := triggertest.NewClock(t0)
		src := newSource("a", 0)
		src.failLatest = errors.New("listing failed")
		p := newPipeline(clock, memory.New[event](), src)
		q := newQuery(t, t.TempDir(), p.asSources(), p.run, clock)
		start(t, context.Background(), q)
		want := "stream: batch 0: source 0 (FakeSource[a]): latest offset: listing failed"
		if err := await(t, q); err == nil || err.Error() != want {
			t.Errorf("err %v, want %s", err, want)
		}
	})
	t.Run("stop before start", func(t *testing.T) {
		clock := triggertest.NewClock(t0)
		p := newPipeline(clock, memory.New[event](), newSource("a", 0))
		q := newQuery(t, t.TempDir(), p.asSources(), p.run, clock)
		if err := q.ProcessAllAvailable(context.Background()); !errors.Is(err, stream.ErrNotStarted) {
			t.Errorf("ProcessAllAvailable before Start: %v", err)
		}
		q.Stop()
		if err := await(t, q); err != nil {
			t.Error(err)
		}
		if err := q.Start(context.Background()); err == nil {
			t.Error("Start after Stop succeeded")
		}
	})
}

func TestProcessAllAvailable(t *testing.T) {
	clock := triggertest.NewClock(t0)
	src := newSource("a", 3)
	p := newPipeline(clock, memory.New[event](), src)
	q := newQuery(t, t.TempDir(), p.asSources(), p.run, clock)
	start(t, context.Background(), q)
	for round := range 4 {
		src.add(events(round*7, 7, secs)...)
		processAll(t, q)
		if n := p.sink.Len(); n != (round+1)*7 {
			t.Fatalf("round %d: sink holds %d rows, want %d", round, n, (round+1)*7)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := q.ProcessAllAvailable(ctx); err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ProcessAllAvailable: %v", err)
	}
}

func TestSecondQueryOnTheCheckpointFails(t *testing.T) {
	dir := t.TempDir()
	clock := triggertest.NewClock(t0)
	src := newSource("a", 0, events(0, 1, secs)...)
	p := newPipeline(clock, memory.New[event](), src)
	q1 := newQuery(t, dir, p.asSources(), p.run, clock)
	start(t, context.Background(), q1)
	processAll(t, q1) // batch 0

	q2 := newQuery(t, dir, p.asSources(), p.run, clock)
	start(t, context.Background(), q2)
	src.add(events(1, 1, secs)...)
	processAll(t, q2) // batch 1, written by q2

	err := q1.ProcessAllAvailable(context.Background()) // q1 tries to write offsets/1
	cqe, ok := err.(*checkpoint.ConcurrentQueryError)
	if !ok {
		t.Fatalf("first query's error: %T %v, want *checkpoint.ConcurrentQueryError", err, err)
	}
	if !strings.HasSuffix(cqe.Path, "offsets/1") || q1.Err() != err {
		t.Errorf("error %v", cqe)
	}
	if q2.Err() != nil {
		t.Errorf("second query: %v", q2.Err())
	}
}

func TestRestartRefusesChangedConfOrSources(t *testing.T) {
	dir := t.TempDir()
	clock := triggertest.NewClock(t0)
	src := newSource("a", 0, events(0, 1, secs)...)
	p := newPipeline(clock, memory.New[event](), src)
	q := newQuery(t, dir, p.asSources(), p.run, clock)
	start(t, context.Background(), q)
	processAll(t, q)
	q.Stop()

	q = newQuery(t, dir, p.asSources(), p.run, clock, stream.Conf(stream.StateFormatVersionKey, "2"))
	err := q.Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), "pin streamgen.stateFormatVersion=1 but the query runs with 2") {
		t.Errorf("changed conf: %v", err)
	}
	if q.Err() != err || q.IsActive() {
		t.Errorf("after a failed Start: err %v, active %v", q.Err(), q.IsActive())
	}
	q = newQuery(t, dir, []stream.Source{src, newSource("b", 0)}, p.run, clock)
	if err := q.Start(context.Background()); err == nil || !strings.Contains(err.Error(), "hold 1 sources but the query has 2") {
		t.Errorf("added source: %v", err)
	}
}

func TestNewQueryValidates(t *testing.T) {
	cp := openCheckpoint(t, t.TempDir())
	src := []stream.Source{newSource("a", 0)}
	run := func(context.Context, *stream.Batch) (stream.BatchResult, error) { return stream.BatchResult{}, nil }
	for _, tt := range []struct {
		name string
		cp   *checkpoint.Checkpoint
		src  []stream.Source
		run  stream.Runner
		opts []stream.Opt
	}{
		{"nil checkpoint", nil, src, run, nil},
		{"no sources", cp, nil, run, nil},
		{"nil source", cp, []stream.Source{nil}, run, nil},
		{"nil runner", cp, src, nil, nil},
		{"negative delay", cp, src, run, []stream.Opt{stream.WatermarkDelay(-time.Second)}},
		{"bad trigger", cp, src, run, []stream.Opt{stream.Trigger(trigger.ProcessingTime(-1))}},
		{"progress size", cp, src, run, []stream.Opt{stream.RecentProgressSize(0)}},
		{"retention", cp, src, run, []stream.Opt{stream.MinBatchesToRetain(0)}},
		{"nil listener", cp, src, run, []stream.Opt{stream.Listeners(nil)}},
	} {
		if _, err := stream.NewQuery(tt.cp, tt.src, tt.run, tt.opts...); err == nil || !strings.HasPrefix(err.Error(), "stream: ") {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
}

func TestListenerOrderAndRecentProgress(t *testing.T) {
	clock := triggertest.NewClock(t0)
	src := newSource("a", 2, events(0, 5, secs)...)
	p := newPipeline(clock, memory.New[event](), src)
	rec := newRecorder()
	q := newQuery(t, t.TempDir(), p.asSources(), p.run, clock,
		stream.Listeners(rec), stream.RecentProgressSize(2), stream.RunIDs(func() string { return "run-1" }))
	start(t, context.Background(), q)
	processAll(t, q)
	q.Stop()
	want := []string{"started run-1", "progress 0", "progress 1", "progress 2", "idle", "terminated <nil>"}
	if diff := cmp.Diff(want, rec.got()); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	var ids []int64
	for _, p := range q.RecentProgress() {
		ids = append(ids, p.BatchID)
	}
	if diff := cmp.Diff([]int64{1, 2}, ids); diff != "" {
		t.Errorf("recent progress (-want +got):\n%s", diff)
	}
	if lp := q.LastProgress(); lp == nil || lp.BatchID != 2 || lp.RunID != "run-1" || q.RunID() != "run-1" {
		t.Errorf("last progress %v", lp)
	}
	if q.ID() != queryID {
		t.Errorf("ID %s", q.ID())
	}
}

func TestProgressJSON(t *testing.T) {
	clock := triggertest.NewClock(t0)
	src := newSource("a", 2, events(0, 3, secs)...)
	p := newPipeline(clock, memory.New[event](memory.Name("events")), src)
	p.advance = 250 * time.Millisecond
	q := newQuery(t, t.TempDir(), p.asSources(), p.run, clock,
		stream.Name("events"), stream.RunIDs(func() string { return "0b4c6c2e-0000-4000-8000-000000000001" }),
		stream.WatermarkDelay(time.Second), stream.SinkDescription(p.sink.Description()))
	start(t, context.Background(), q)
	processAll(t, q)
	q.Stop()
	recent := q.RecentProgress()
	if len(recent) != 3 { // two batches with data, then a no-data batch
		t.Fatalf("%d progress reports, want 3", len(recent))
	}
	got, err := json.MarshalIndent(recent[1], "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	const want = `{
  "id": "8f1c2a3e-5b6d-4e7f-9a0b-1c2d3e4f5a6b",
  "runId": "0b4c6c2e-0000-4000-8000-000000000001",
  "name": "events",
  "timestamp": "2026-01-01T10:00:00.250Z",
  "batchId": 1,
  "batchDuration": 250,
  "numInputRows": 1,
  "inputRowsPerSecond": 4,
  "processedRowsPerSecond": 4,
  "durationMs": {
    "addBatch": 250,
    "commitOffsets": 0,
    "latestOffset": 0,
    "triggerExecution": 250,
    "walCommit": 0
  },
  "eventTime": {
    "max": "2026-01-01T10:00:02.000Z",
    "watermark": "2026-01-01T10:00:00.000Z"
  },
  "stateOperators": [],
  "sources": [
    {
      "description": "FakeSource[a]",
      "startOffset": {
        "offset": 2
      },
      "endOffset": {
        "offset": 3
      },
      "latestOffset": {
        "offset": 3
      },
      "numInputRows": 1,
      "inputRowsPerSecond": 4,
      "processedRowsPerSecond": 4
    }
  ],
  "sink": {
    "description": "MemorySink[events]",
    "numOutputRows": 1
  }
}`
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("progress JSON (-want +got):\n%s", diff)
	}
	if recent[1].String() != want {
		t.Error("String differs from the indented JSON")
	}
	first, _ := json.Marshal(recent[0])
	if !strings.Contains(string(first), `"startOffset":{"offset":0}`) || !strings.Contains(string(first), `"inputRowsPerSecond":0,`) {
		t.Errorf("first progress: %s", first)
	}
}
