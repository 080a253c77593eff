package lateevents

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/examples/action_counts/datagen"
	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/stream"
	"github.com/streamgen/streamgen/runtime/trigger"
)

const (
	size  = 10 * 60 // seconds
	delay = 5 * 60
)

// modelBatch is the brute-force model's micro-batch.
type modelBatch struct {
	watermark int64    // seconds since the epoch
	late      int64    // rows dropped
	emitted   []string // "action,start,end,count", sorted
	input     int64
}

// model computes, from the files alone, what every micro-batch of an
// available-now run (one file per batch) must do: batch N runs with
// watermark_N = max(watermark_{N-1}, max event time of batch N-1 −
// delay), from the epoch; a row with time <= watermark_N is late; a
// window is emitted, with the count of its non-late rows, in the first
// batch whose watermark is at or after its end; after the last file a
// no-data batch runs if the watermark moved.
func model(files []datagen.File) []modelBatch {
	type key struct {
		action string
		start  int64
	}
	counts := map[key]int64{}
	var out []modelBatch
	var wm, next int64
	batch := func(events []datagen.Event) {
		wm = next
		b := modelBatch{watermark: wm, input: int64(len(events))}
		maxT := int64(-1 << 62)
		for _, e := range events {
			maxT = max(maxT, e.Time)
			if e.Time <= wm {
				b.late++
				continue
			}
			start := e.Time - ((e.Time%size)+size)%size
			counts[key{e.Action, start}]++
		}
		for k, n := range counts {
			if k.start+size <= wm {
				b.emitted = append(b.emitted, row(k.action, k.start, n))
				delete(counts, k)
			}
		}
		slices.Sort(b.emitted)
		if len(events) > 0 {
			next = max(next, maxT-delay)
		}
		out = append(out, b)
	}
	for _, f := range files {
		batch(f.Events)
	}
	if next > wm {
		batch(nil)
	}
	return out
}

func row(action string, start, count int64) string {
	ts := func(s int64) string { return time.Unix(s, 0).UTC().Format(time.RFC3339) }
	return fmt.Sprintf("%s,%s,%s,%d", action, ts(start), ts(start+size), count)
}

// The late_events pipeline over 14 files of door events, 4 minutes of
// event time each, 15% of the events up to 20 minutes late, one file per
// micro-batch with an available-now trigger. Checked against the model,
// batch by batch: the rows each batch appends to the Delta table (its
// version minus the previous one), the batch's watermark, and the exact
// number of late rows in stateOperators[0].numRowsDroppedByWatermark.
// Then: every window is in the table exactly once, appended in the first
// batch whose watermark is at or past its end; late events younger than
// the watermark are counted, not dropped; and the final no-data batch
// emits the windows the last watermark move closed.
func TestWatermarkLateEventsAppend(t *testing.T) {
	for seed := range uint64(3) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { testSeed(t, seed) })
	}
}

func testSeed(t *testing.T, seed uint64) {
	ctx := context.Background()
	dir := t.TempDir()
	files := datagen.Options{Seed: seed, Events: 120, Span: 4 * time.Minute, Late: 15, LateBy: 20 * time.Minute,
		Start: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)}.Files(0, 14)
	cfg := DefaultLateEventsConfig()
	cfg.SourcePath = filepath.Join(dir, "events")
	cfg.SinkPath = filepath.Join(dir, "table")
	cfg.CheckpointPath = filepath.Join(dir, "checkpoint")
	cfg.Trigger = trigger.AvailableNow()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	var progress []stream.Progress
	cfg.Listeners = append(cfg.Listeners, stream.ProgressFunc(func(p stream.Progress) { progress = append(progress, p) }))
	if err := datagen.WriteAll(ctx, cfg.SourcePath, files, 0); err != nil {
		t.Fatal(err)
	}
	q, err := NewLateEvents(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := q.AwaitTermination(ctx); err != nil {
		t.Fatal(err)
	}

	want := model(files)
	if len(progress) != len(want) {
		t.Fatalf("%d batches, want %d", len(progress), len(want))
	}
	table := delta.Open(local(t, cfg.SinkPath))
	var before, all []string
	var totalLate, shifted int64
	for _, f := range files {
		for _, e := range f.Events {
			if e.Late {
				shifted++
			}
		}
	}
	for i, p := range progress {
		w := want[i]
		if p.BatchID != int64(i) {
			t.Fatalf("progress %d is batch %d", i, p.BatchID)
		}
		if got, wantWm := p.EventTime["watermark"], time.Unix(w.watermark, 0).UTC().Format(stream.TimeLayout); got != wantWm {
			t.Errorf("batch %d: watermark %s, want %s", i, got, wantWm)
		}
		if len(p.StateOperators) != 1 || p.StateOperators[0].NumRowsDroppedByWatermark != w.late {
			t.Errorf("batch %d: state operators %+v, want numRowsDroppedByWatermark %d", i, p.StateOperators, w.late)
		}
		if p.NumInputRows != w.input {
			t.Errorf("batch %d: %d input rows, want %d", i, p.NumInputRows, w.input)
		}
		totalLate += w.late
		v, err := strconv.ParseInt(p.Sink.Metrics["committedVersion"], 10, 64)
		if err != nil {
			t.Fatalf("batch %d: committedVersion %q", i, p.Sink.Metrics["committedVersion"])
		}
		now := rows(t, table, v)
		added, ok := minus(now, before)
		if !ok {
			t.Errorf("batch %d: the table lost rows: before %v, after %v", i, before, now)
		}
		if diff := cmp.Diff(w.emitted, added); diff != "" {
			t.Errorf("batch %d (watermark %s): rows appended (-want +got):\n%s", i, p.EventTime["watermark"], diff)
		}
		for _, r := range added {
			end := windowEnd(t, r)
			if end > w.watermark || (i > 0 && end <= want[i-1].watermark) {
				t.Errorf("batch %d: window %s emitted, but the watermark passed its end first at another batch", i, r)
			}
		}
		all = append(all, added...)
		before = now
	}
	// Each window exactly once.
	seen := map[string]bool{}
	for _, r := range all {
		k := r[:len(r)-len(r[lastComma(r):])]
		if seen[k] {
			t.Errorf("window %s appended twice", k)
		}
		seen[k] = true
	}
	final := rows(t, table, -1)
	slices.Sort(all)
	if diff := cmp.Diff(all, final); diff != "" {
		t.Errorf("final table (-appended +table):\n%s", diff)
	}
	// The scenario has what the test is about.
	last := progress[len(progress)-1]
	if last.NumInputRows != 0 || len(want[len(want)-1].emitted) == 0 {
		t.Errorf("no final no-data batch emitting windows: last batch %d read %d rows, emitted %v", last.BatchID, last.NumInputRows, want[len(want)-1].emitted)
	}
	if totalLate == 0 || totalLate >= shifted {
		t.Errorf("%d rows dropped of %d moved back: want some dropped and some in time", totalLate, shifted)
	}
	if len(all) < 10 {
		t.Errorf("only %d windows emitted", len(all))
	}
}

// rows returns the table at version v (the latest when negative) as
// sorted "action,start,end,count".
func rows(t *testing.T, table *delta.Table, v int64) []string {
	t.Helper()
	ctx := context.Background()
	var snap *delta.Snapshot
	var err error
	if v < 0 {
		snap, err = table.Snapshot(ctx)
	} else {
		snap, err = table.SnapshotAt(ctx, v)
	}
	if err != nil {
		t.Fatal(err)
	}
	rs, err := snap.Rows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rs {
		ts := func(v any) string { return v.(time.Time).UTC().Format(time.RFC3339) }
		out = append(out, fmt.Sprintf("%v,%s,%s,%v", r[0], ts(r[1]), ts(r[2]), r[3]))
	}
	slices.Sort(out)
	return out
}

// minus returns the sorted multiset a − b, and whether b ⊆ a.
func minus(a, b []string) ([]string, bool) {
	n := map[string]int{}
	for _, s := range a {
		n[s]++
	}
	ok := true
	for _, s := range b {
		if n[s] == 0 {
			ok = false
		}
		n[s]--
	}
	var out []string
	for s, c := range n {
		for range c {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out, ok
}

func lastComma(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == ',' {
			return i
		}
	}
	return 0
}

// windowEnd returns the end of a row's window in seconds.
func windowEnd(t *testing.T, r string) int64 {
	t.Helper()
	var parts [4]string
	j := 0
	for i := range 3 {
		k := j
		for r[k] != ',' {
			k++
		}
		parts[i], j = r[j:k], k+1
	}
	end, err := time.Parse(time.RFC3339, parts[2])
	if err != nil {
		t.Fatal(err)
	}
	return end.Unix()
}

func local(t *testing.T, dir string) storage.Storage {
	t.Helper()
	s, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
