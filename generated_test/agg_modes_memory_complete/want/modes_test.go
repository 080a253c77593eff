package clickscompletememory

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/streamgen/streamgen/generated_test/internal/aggmodel"
	"github.com/streamgen/streamgen/runtime/stream"
	"github.com/streamgen/streamgen/runtime/trigger"
)

// modelRows converts the sink's rows for the model.
func modelRows(rs []ClicksCompleteMemoryResult) []string {
	out := make([]aggmodel.Row, len(rs))
	for i, r := range rs {
		out[i] = aggmodel.Row{User: r.User, WindowStart: r.WindowStart.UTC(), WindowEnd: r.WindowEnd.UTC(),
			Count: r.Count, Total: r.Total, Smallest: r.Smallest, Largest: r.Largest, Mean: r.Mean,
			Pages: r.Pages, Latest: r.Latest.UTC()}
	}
	return aggmodel.Strings(out)
}

// run runs the pipeline with an available-now trigger over files (one
// per micro-batch) and returns, per batch, its progress and the memory sink's rows.
func run(t *testing.T, files [][]aggmodel.Click) []aggmodel.Observed {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	cfg := DefaultClicksCompleteMemoryConfig()
	cfg.SourcePath = filepath.Join(dir, "clicks")

	cfg.CheckpointPath = filepath.Join(dir, "checkpoint")
	cfg.Trigger = trigger.AvailableNow()
	cfg.Logger = slog.New(slog.DiscardHandler)
	sink := cfg.Sink
	var got []aggmodel.Observed
	cfg.Listeners = append(cfg.Listeners, stream.ProgressFunc(func(p stream.Progress) {
		got = append(got, aggmodel.Observe(p, modelRows(sink.Rows())))
	}))
	aggmodel.WriteFiles(t, cfg.SourcePath, files)
	q, err := NewClicksCompleteMemory(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := q.AwaitTermination(ctx); err != nil {
		t.Fatal(err)
	}
	return got
}

// Output mode complete into the memory sink: after every batch (one per file,
// then the no-data batch the last watermark move calls for) the
// watermark, late rows, state rows, output rows and the sink's whole
// contents equal the brute-force model's (internal/aggmodel), over
// clicks moving 4 minutes of event time per file with 20% of them up to
// 30 minutes late.
func TestOutputMode(t *testing.T) {
	for seed := range uint64(3) {
		files := aggmodel.Files(seed, aggmodel.Options{Files: 12, PerFile: 30,
			Base: time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC), Step: 4 * time.Minute, LatePct: 20})
		want := aggmodel.Run(files, aggmodel.Mode("complete"))
		checkScenario(t, want)
		aggmodel.Check(t, want, run(t, files))
	}
}

// checkScenario makes sure the model's run exercises what the test is
// about: a no-data batch at the end, late rows (except in complete mode,
// which drops none), and windows leaving append mode's state.
func checkScenario(t *testing.T, want []aggmodel.Batch) {
	t.Helper()
	var late, out int64
	for _, b := range want {
		late += b.Late
		out += int64(len(b.Output))
	}
	if len(want) != 13 || late == 0 != (aggmodel.Mode("complete") == aggmodel.Complete) || out == 0 {
		t.Fatalf("scenario: %d batches (want 12 and a no-data batch), %d late rows, %d output rows", len(want), late, out)
	}
}
