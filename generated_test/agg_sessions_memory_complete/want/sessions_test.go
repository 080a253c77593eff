package clicksessionsmemory

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/streamgen/streamgen/generated_test/internal/aggmodel"
	"github.com/streamgen/streamgen/runtime/stream"
	"github.com/streamgen/streamgen/runtime/trigger"
)

// modelRows converts the sink's rows for the model.
func modelRows(rs []ClickSessionsMemoryResult) []string {
	out := make([]aggmodel.Row, len(rs))
	for i, r := range rs {
		out[i] = aggmodel.Row{User: r.User, WindowStart: r.WindowStart.UTC(), WindowEnd: r.WindowEnd.UTC(),
			Count: r.Count, Total: r.Total, Smallest: r.Smallest, Largest: r.Largest, Mean: r.Mean,
			Pages: r.Pages, Latest: r.Latest.UTC()}
	}
	return aggmodel.Strings(out)
}

// run runs the pipeline with an available-now trigger over files (one per
// micro-batch), stopping and restarting the query (same checkpoint) after
// every batch when restart is set, and returns, per batch, its progress and
// the memory sink's rows, and the number of session keys removed.
func run(t *testing.T, files [][]aggmodel.Click, restart bool) ([]aggmodel.Observed, int64) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	cfg := DefaultClickSessionsMemoryConfig()
	cfg.SourcePath = filepath.Join(dir, "clicks")
	cfg.CheckpointPath = filepath.Join(dir, "checkpoint")
	cfg.Trigger = trigger.AvailableNow()
	cfg.Logger = slog.New(slog.DiscardHandler)
	sink := cfg.Sink
	var got []aggmodel.Observed
	var removed int64
	cfg.Listeners = append(cfg.Listeners, stream.ProgressFunc(func(p stream.Progress) {
		got = append(got, aggmodel.Observe(p, modelRows(sink.Rows())))
		if len(p.StateOperators) == 1 {
			removed += p.StateOperators[0].NumRowsRemoved
		}
	}))
	if !restart {
		aggmodel.WriteFiles(t, cfg.SourcePath, files)
	}
	for i := range files {
		if restart {
			// One more file per run: each run is a new query over the
			// checkpoint, which reloads the sessions from the state store.
			aggmodel.WriteFiles(t, cfg.SourcePath, files[:i+1])
		}
		q, err := NewClickSessionsMemory(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if err := q.AwaitTermination(ctx); err != nil {
			t.Fatal(err)
		}
		if !restart {
			break
		}
	}
	return got, removed
}

// Session windows in complete mode into the memory sink: after every batch
// the watermark, sessions in the state, output rows and the sink's whole
// contents (every session so far) equal the brute-force session model's
// (aggmodel.RunSessions): nothing is late or evicted in complete mode, and
// clicks arriving out of order extend sessions backwards and merge them.
// Restarting the query after every file (a new query over the same
// checkpoint, reloading the sessions) ends with the same sink and state.
func TestSessionsComplete(t *testing.T) {
	for seed := range uint64(3) {
		files := aggmodel.Files(seed, aggmodel.Options{Files: 10, PerFile: 10,
			Base: time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC), Step: 4 * time.Minute, LatePct: 25})
		want := aggmodel.RunSessions(files, aggmodel.Complete)
		for _, restart := range []bool{false, true} {
			got, removed := run(t, files, restart)
			if !restart {
				aggmodel.Check(t, want, got)
			} else {
				// Each run adds a no-data batch when its file moved the
				// watermark: compare what the sink and the state hold
				// at the end.
				last, end := want[len(want)-1], got[len(got)-1]
				if diff := cmp.Diff(last.Sink, end.Sink, cmpopts.EquateEmpty()); diff != "" || end.StateRows != last.StateRows {
					t.Errorf("seed %d, restarted after every batch: %d sessions in the state, want %d; sink (-want +got):\n%s", seed, end.StateRows, last.StateRows, diff)
				}
			}
			if removed == 0 {
				t.Errorf("seed %d, restart %v: no session merged or moved to an earlier start", seed, restart)
			}
		}
	}
}
