package actioncounts

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

	"github.com/streamgen/streamgen/examples/action_counts/datagen"
	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/trigger"
)

// The demo's data (datagen, out-of-order events included) through the
// pipeline: the final table equals the counts per action and hour
// computed directly from the generated events, and every batch replaced
// the whole table (complete mode keeps every window; there is no
// watermark, so nothing is late).
func TestDatagenEvents(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	files := datagen.Options{Seed: 9, Events: 300, Span: 25 * time.Minute, Late: 10, LateBy: 2 * time.Hour}.Files(0, 8)
	cfg := DefaultActionCountsConfig()
	cfg.SourcePath = filepath.Join(dir, "events")
	cfg.SinkPath = filepath.Join(dir, "table")
	cfg.CheckpointPath = filepath.Join(dir, "checkpoint")
	cfg.Trigger = trigger.AvailableNow()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := datagen.WriteAll(ctx, cfg.SourcePath, files, 0); err != nil {
		t.Fatal(err)
	}
	q, err := NewActionCounts(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := q.AwaitTermination(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(q.RecentProgress()); n != len(files) {
		t.Errorf("%d batches, want %d", n, len(files))
	}
	counts := map[string]int{}
	for _, f := range files {
		for _, e := range f.Events {
			start := time.Unix(e.Time-((e.Time%3600)+3600)%3600, 0).UTC()
			counts[fmt.Sprintf("%s,%s,%s", e.Action, start.Format(time.RFC3339), start.Add(time.Hour).Format(time.RFC3339))]++
		}
	}
	var want []string
	for k, n := range counts {
		want = append(want, fmt.Sprintf("%s,%d", k, n))
	}
	slices.Sort(want)
	snap, err := delta.Open(mustLocal(t, cfg.SinkPath)).Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, tableRows(t, snap)); diff != "" {
		t.Errorf("final table (-brute force +got):\n%s", diff)
	}
	if snap.Version != int64(len(files)-1) {
		t.Errorf("table version %d, want one commit per batch", snap.Version)
	}
}
