package actioncounts

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/shareddata"
	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/stream"
	"github.com/streamgen/streamgen/runtime/trigger"
)

// The published demo: ../shared/datasets/events/file-*.json, one file
// per micro-batch in numeric file order, complete mode. After every batch
// the Delta table holds exactly that batch's rows of
// expected_counts_1h_by_batch.csv, and at the end exactly
// expected_counts_1h.csv. The files are copied to a temporary input
// directory with modification times in numeric order (the files source
// takes files by modification time, then name).
func TestPublishedEventsDemo(t *testing.T) {
	shared := shareddata.Dir(t, "datasets/events")
	ctx := context.Background()
	dir := t.TempDir()
	cfg := DefaultActionCountsConfig()
	cfg.SourcePath = filepath.Join(dir, "events")
	cfg.SinkPath = filepath.Join(dir, "table")
	cfg.CheckpointPath = filepath.Join(dir, "checkpoint")
	cfg.Trigger = trigger.AvailableNow()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	var progress []stream.Progress
	cfg.Listeners = append(cfg.Listeners, stream.ProgressFunc(func(p stream.Progress) { progress = append(progress, p) }))

	if err := os.MkdirAll(cfg.SourcePath, 0o755); err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var files int
	for i := 0; ; i++ {
		data, err := os.ReadFile(filepath.Join(shared, fmt.Sprintf("file-%d.json", i)))
		if os.IsNotExist(err) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(cfg.SourcePath, fmt.Sprintf("file-%d.json", i))
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		mt := base.Add(time.Duration(i) * time.Second)
		if err := os.Chtimes(p, mt, mt); err != nil {
			t.Fatal(err)
		}
		files++
	}
	if files != 50 {
		t.Fatalf("found %d event files in %s, want 50", files, shared)
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

	byBatch := readExpected(t, filepath.Join(shared, "expected_counts_1h_by_batch.csv"), true)
	if len(progress) != files {
		t.Fatalf("%d batches, want %d (one per file)", len(progress), files)
	}
	table := delta.Open(mustLocal(t, cfg.SinkPath))
	for _, p := range progress {
		v, err := strconv.ParseInt(p.Sink.Metrics["committedVersion"], 10, 64)
		if err != nil {
			t.Fatalf("batch %d: committedVersion %q: %v", p.BatchID, p.Sink.Metrics["committedVersion"], err)
		}
		snap, err := table.SnapshotAt(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(byBatch[p.BatchID], tableRows(t, snap)); diff != "" {
			t.Errorf("after batch %d (table version %d), rows (-want +got):\n%s", p.BatchID, v, diff)
		}
		if len(p.StateOperators) != 1 || p.StateOperators[0].NumRowsTotal != int64(len(byBatch[p.BatchID])) {
			t.Errorf("batch %d: state operators %+v, want %d keys", p.BatchID, p.StateOperators, len(byBatch[p.BatchID]))
		}
	}
	final := readExpected(t, filepath.Join(shared, "expected_counts_1h.csv"), false)
	snap, err := table.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(final[-1], tableRows(t, snap)); diff != "" {
		t.Errorf("final table (-want +got):\n%s", diff)
	}
	if want := []string{"action", "window_start", "window_end", "count"}; !slices.Equal(fieldNames(snap), want) {
		t.Errorf("columns %v, want %v", fieldNames(snap), want)
	}
}

// readExpected reads an expected CSV as sorted "action,start,end,count"
// lines, keyed by batch_id (or -1 when there is no batch column).
func readExpected(t *testing.T, path string, byBatch bool) map[int64][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	out := map[int64][]string{}
	for _, r := range recs[1:] {
		batch := int64(-1)
		if byBatch {
			if batch, err = strconv.ParseInt(r[0], 10, 64); err != nil {
				t.Fatalf("%s: batch %q", path, r[0])
			}
			r = r[2:] // batch_id, files_processed
		}
		out[batch] = append(out[batch], fmt.Sprintf("%s,%s,%s,%s", r[0], r[1], r[2], r[3]))
	}
	for _, rows := range out {
		slices.Sort(rows)
	}
	return out
}

// tableRows returns a snapshot's rows as sorted "action,start,end,count"
// lines, times in RFC 3339 UTC like the expected files.
func tableRows(t *testing.T, snap *delta.Snapshot) []string {
	t.Helper()
	rows, err := snap.Rows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		ts := func(v any) string { return v.(time.Time).UTC().Format(time.RFC3339) }
		out = append(out, fmt.Sprintf("%v,%s,%s,%v", r[0], ts(r[1]), ts(r[2]), r[3]))
	}
	slices.Sort(out)
	return out
}

func fieldNames(snap *delta.Snapshot) []string {
	var names []string
	for _, f := range snap.Schema.Fields {
		names = append(names, f.Name)
	}
	return names
}

func mustLocal(t *testing.T, dir string) storage.Storage {
	t.Helper()
	s, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
