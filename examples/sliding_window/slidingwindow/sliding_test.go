package slidingwindow

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
	slide = 5 * 60
	delay = 10 * 60
)

type win struct {
	action string
	start  int64
}

type agg struct{ count, first, last int64 }

// bruteForce computes, batch by batch (one file each, then a no-data
// batch if the watermark moved), the whole result table a keyed merge of
// update-mode output holds: for every window that ever got a non-late
// event, the count, min and max time of its non-late events. A window
// holds t when start <= t < start+size, starts being multiples of the
// slide; batch N's watermark is max(previous, max event time of batch
// N-1 − delay), and an event at or before it is late. It also returns
// the late rows and the number of windows each batch changed.
func bruteForce(files []datagen.File) (tables [][]string, late, changed []int64) {
	var kept []datagen.Event
	var wm, next int64
	batch := func(events []datagen.Event) {
		wm = next
		var l int64
		touched := map[win]bool{}
		maxT := int64(-1 << 62)
		for _, e := range events {
			maxT = max(maxT, e.Time)
			if e.Time <= wm {
				l++
				continue
			}
			kept = append(kept, e)
			for s := e.Time - size; s <= e.Time; s++ { // every second a window could start at
				if s%slide == 0 && s <= e.Time && e.Time < s+size {
					touched[win{e.Action, s}] = true
				}
			}
		}
		aggs := map[win]*agg{}
		for _, e := range kept {
			for s := e.Time - size; s <= e.Time; s++ {
				if s%slide != 0 || e.Time >= s+size {
					continue
				}
				a := aggs[win{e.Action, s}]
				if a == nil {
					a = &agg{first: e.Time, last: e.Time}
					aggs[win{e.Action, s}] = a
				}
				a.count++
				a.first, a.last = min(a.first, e.Time), max(a.last, e.Time)
			}
		}
		var table []string
		for w, a := range aggs {
			table = append(table, format(w.action, w.start, a.count, a.first, a.last))
		}
		slices.Sort(table)
		tables, late, changed = append(tables, table), append(late, l), append(changed, int64(len(touched)))
		if len(events) > 0 {
			next = max(next, maxT-delay)
		}
	}
	for _, f := range files {
		batch(f.Events)
	}
	if next > wm {
		batch(nil)
	}
	return tables, late, changed
}

func format(action string, start, count, first, last int64) string {
	ts := func(s int64) string { return time.Unix(s, 0).UTC().Format(time.RFC3339) }
	return fmt.Sprintf("%s [%s,%s) count=%d first=%s last=%s", action, ts(start), ts(start+size), count, ts(first), ts(last))
}

// The sliding_window pipeline over 12 files of door events (3 minutes of
// event time each, 20% up to 25 minutes late), one file per micro-batch,
// available-now: after every batch the Delta table (at the version the
// batch committed) equals the brute-force result table, the batch output
// one row per window it changed, and numRowsDroppedByWatermark is the
// exact number of late events.
func TestSlidingUpdateMatchesBruteForce(t *testing.T) {
	for seed := range uint64(3) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			files := datagen.Options{Seed: seed, Events: 80, Span: 3 * time.Minute, Late: 20, LateBy: 25 * time.Minute,
				Start: time.Date(2024, 5, 1, 12, 1, 30, 0, time.UTC)}.Files(0, 12)
			cfg := DefaultSlidingWindowConfig()
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
			q, err := NewSlidingWindow(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := q.Start(ctx); err != nil {
				t.Fatal(err)
			}
			if err := q.AwaitTermination(ctx); err != nil {
				t.Fatal(err)
			}
			tables, late, changed := bruteForce(files)
			if len(progress) != len(tables) {
				t.Fatalf("%d batches, want %d", len(progress), len(tables))
			}
			table := delta.Open(local(t, cfg.SinkPath))
			var totalLate int64
			for i, p := range progress {
				v, err := strconv.ParseInt(p.Sink.Metrics["committedVersion"], 10, 64)
				if err != nil {
					t.Fatalf("batch %d: committedVersion %q", i, p.Sink.Metrics["committedVersion"])
				}
				if diff := cmp.Diff(tables[i], rows(t, table, v)); diff != "" {
					t.Errorf("after batch %d, table (-brute force +got):\n%s", i, diff)
				}
				if len(p.StateOperators) != 1 || p.StateOperators[0].NumRowsDroppedByWatermark != late[i] {
					t.Errorf("batch %d: state operators %+v, want numRowsDroppedByWatermark %d", i, p.StateOperators, late[i])
				}
				if p.Sink.NumOutputRows != changed[i] {
					t.Errorf("batch %d: %d output rows, want %d (the windows it changed)", i, p.Sink.NumOutputRows, changed[i])
				}
				totalLate += late[i]
			}
			if totalLate == 0 {
				t.Errorf("no late event dropped: the scenario misses the point")
			}
		})
	}
}

func rows(t *testing.T, table *delta.Table, v int64) []string {
	t.Helper()
	ctx := context.Background()
	snap, err := table.SnapshotAt(ctx, v)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := snap.Rows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rs {
		sec := func(v any) int64 { return v.(time.Time).Unix() }
		if sec(r[2])-sec(r[1]) != size {
			t.Errorf("row %v: window of %ds", r, sec(r[2])-sec(r[1]))
		}
		out = append(out, format(r[0].(string), sec(r[1]), r[3].(int64), sec(r[4]), sec(r[5])))
	}
	slices.Sort(out)
	return out
}

func local(t *testing.T, dir string) storage.Storage {
	t.Helper()
	s, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
