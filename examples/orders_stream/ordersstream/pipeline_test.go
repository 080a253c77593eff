package ordersstream_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/examples/orders_stream/ordergen"
	"github.com/streamgen/streamgen/examples/orders_stream/ordersstream"
	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/trigger"
)

// TestPipeline runs the example in process, as demo.sh runs the binary:
// ordergen appends orders to internetorders, the pipeline reads the table
// available-now; then more orders, an UPDATE commit (placed orders of
// the newest file marked paid) and an OPTIMIZE, and the pipeline again on
// the same checkpoint.
//
// After each run the output table must equal a brute-force count and sum
// per minute of orderTime over every order written (each counted once:
// the UPDATE's rewrite of orders already counted is skipped, as
// skipChangeCommits says, and OPTIMIZE changes no data), keeping the
// minutes the watermark has passed (append mode: a minute is written
// once its end is at or before the latest orderTime minus 1 minute). The
// second run reads only the new orders, and appends the minutes the
// first run held back.
func TestPipeline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	cfg := ordersstream.DefaultOrdersStreamConfig()
	cfg.SourcePath = filepath.Join(dir, "tables", "internetorders")
	cfg.SinkPath = filepath.Join(dir, "tables", "orders_per_minute")
	cfg.CheckpointPath = filepath.Join(dir, "checkpoints", "orders_per_minute")
	cfg.Trigger = trigger.AvailableNow()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	source, err := storage.NewLocal(cfg.SourcePath)
	if err != nil {
		t.Fatal(err)
	}

	gen := ordergen.Options{Seed: 3}
	var written int64
	rounds := []ordergen.Config{
		{Options: gen, First: -1, Commits: 4, PerCommit: 150},
		{Options: gen, First: -1, Commits: 2, PerCommit: 150, Update: true, Optimize: true},
	}
	for round, gc := range rounds {
		res, err := ordergen.Run(ctx, source, gc)
		if err != nil {
			t.Fatal(err)
		}
		if gc.Update && res.UpdateVersion < 0 {
			t.Fatalf("round %d: no UPDATE commit", round)
		}
		newOrders := res.Next - written
		written = res.Next

		q, err := ordersstream.NewOrdersStream(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if err := q.AwaitTermination(ctx); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		var read, late int64
		for _, p := range q.RecentProgress() {
			read += p.NumInputRows
			for _, s := range p.StateOperators {
				late += s.NumRowsDroppedByWatermark
			}
		}
		if read != newOrders {
			t.Errorf("round %d read %d rows, want the %d new orders (the UPDATE's and OPTIMIZE's files skipped)", round, read, newOrders)
		}
		if late != 0 {
			t.Errorf("round %d dropped %d late rows, want none (the jitter is below the watermark delay)", round, late)
		}
		if diff := cmp.Diff(perMinute(gen, written), tableRows(t, cfg.SinkPath)); diff != "" {
			t.Errorf("round %d: the table (-brute force +got):\n%s", round, diff)
		}
	}
}

// perMinute is the expected table after orders 0 … n-1: per minute of
// orderTime, "start,end,count,sum", for the minutes that end at or
// before the watermark (the latest orderTime minus 1 minute), sorted.
func perMinute(gen ordergen.Options, n int64) []string {
	type agg struct {
		count int64
		sum   float64
	}
	minutes := map[time.Time]*agg{}
	var latest time.Time
	for i := range n {
		o := gen.Order(i)
		if o.OrderTime.After(latest) {
			latest = o.OrderTime
		}
		m := o.OrderTime.Truncate(time.Minute)
		if minutes[m] == nil {
			minutes[m] = &agg{}
		}
		minutes[m].count++
		minutes[m].sum += o.Amount
	}
	watermark := latest.Add(-time.Minute)
	var want []string
	for m, a := range minutes {
		if end := m.Add(time.Minute); !end.After(watermark) {
			want = append(want, fmt.Sprintf("%s,%s,%d,%.2f", m.Format(time.RFC3339), end.Format(time.RFC3339), a.count, a.sum))
		}
	}
	slices.Sort(want)
	return want
}

// tableRows returns the output table's rows as sorted
// "window_start,window_end,orders,amount" lines, amounts to the cent.
func tableRows(t *testing.T, dir string) []string {
	t.Helper()
	st, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := delta.Open(st).Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rows, err := snap.Rows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, fmt.Sprintf("%s,%s,%d,%.2f", r[0].(time.Time).UTC().Format(time.RFC3339), r[1].(time.Time).UTC().Format(time.RFC3339), r[2], r[3]))
	}
	slices.Sort(got)
	return got
}
