package clicksessionsdelta

import (
	"context"
	"log/slog"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/streamgen/streamgen/generated_test/internal/aggmodel"
	"github.com/streamgen/streamgen/runtime/stream"
	"github.com/streamgen/streamgen/runtime/trigger"
)

// version is the table version holding the batch.
func version(t *testing.T, p stream.Progress) int64 {
	v, err := strconv.ParseInt(p.Sink.Metrics["committedVersion"], 10, 64)
	if err != nil {
		t.Fatalf("batch %d: committedVersion %q: %v", p.BatchID, p.Sink.Metrics["committedVersion"], err)
	}
	return v
}

// run runs the pipeline with an available-now trigger over files (one per
// micro-batch) and returns, per batch, its progress and the Delta table at
// the version the batch committed, and the number of session keys the
// batches removed (merged away or evicted).
func run(t *testing.T, files [][]aggmodel.Click) ([]aggmodel.Observed, int64) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	cfg := DefaultClickSessionsDeltaConfig()
	cfg.SourcePath = filepath.Join(dir, "clicks")
	cfg.SinkPath = filepath.Join(dir, "table")
	cfg.CheckpointPath = filepath.Join(dir, "checkpoint")
	cfg.Trigger = trigger.AvailableNow()
	cfg.Logger = slog.New(slog.DiscardHandler)
	table := cfg.SinkPath
	var got []aggmodel.Observed
	var removed int64
	cfg.Listeners = append(cfg.Listeners, stream.ProgressFunc(func(p stream.Progress) {
		got = append(got, aggmodel.Observe(p, aggmodel.TableRows(t, table, version(t, p))))
		if len(p.StateOperators) == 1 {
			removed += p.StateOperators[0].NumRowsRemoved
		}
	}))
	aggmodel.WriteFiles(t, cfg.SourcePath, files)
	q, err := NewClickSessionsDelta(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := q.AwaitTermination(ctx); err != nil {
		t.Fatal(err)
	}
	return got, removed
}

// Session windows in append mode into the Delta sink: after every batch
// (one per file, then the no-data batch the last watermark move calls for)
// the watermark, late rows, sessions in the state, output rows and the
// whole table equal the brute-force session model's
// (aggmodel.RunSessions), over clicks moving 4 minutes of event time per
// file with a quarter of them up to 30 minutes late: late clicks are
// dropped, others extend sessions backwards or bridge two sessions, and a
// session is written once, when the watermark passes its end.
func TestSessionsAppend(t *testing.T) {
	for seed := range uint64(3) {
		files := aggmodel.Files(seed, aggmodel.Options{Files: 14, PerFile: 10,
			Base: time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC), Step: 4 * time.Minute, LatePct: 25})
		want := aggmodel.RunSessions(files, aggmodel.Append)
		var late int64
		for _, b := range want {
			late += b.Late
		}
		if len(want) != 15 || late == 0 || len(want[14].Output) == 0 || len(want[14].Sink) < 10 {
			t.Fatalf("seed %d scenario: %d batches (want 14 and a no-data batch), %d late rows, %d rows from the no-data batch, %d in all",
				seed, len(want), late, len(want[len(want)-1].Output), len(want[len(want)-1].Sink))
		}
		got, removed := run(t, files)
		aggmodel.Check(t, want, got)
		// Removed keys are the evicted sessions plus those merged away
		// or moved to an earlier start.
		if written := int64(len(want[14].Sink)); removed <= written {
			t.Errorf("seed %d: %d session keys removed for %d sessions written: no session merged or moved", seed, removed, written)
		}
	}
}
