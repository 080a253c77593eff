package deltasink_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/sink/deltasink"
	"github.com/streamgen/streamgen/runtime/storage"
)

// streamBatch writes a batch through a BatchWriter in chunks of n rows,
// from a reused buffer whose strings live in a reused arena that is
// overwritten after every Write.
func streamBatch[T any](t *testing.T, s *deltasink.Sink[T], batchID int64, n int, rows []T, copyRow func(dst *T, src T, str func(string) string)) {
	t.Helper()
	ctx := context.Background()
	b, err := s.BeginBatch(ctx, queryID, batchID)
	if err != nil {
		t.Fatalf("batch %d: %v", batchID, err)
	}
	defer b.Abort(ctx)
	arena := make([]byte, 0, 4096)
	str := func(v string) string {
		start := len(arena)
		arena = append(arena, v...)
		return unsafe.String(unsafe.SliceData(arena[start:]), len(v))
	}
	buf := make([]T, n)
	for start := 0; start < len(rows); start += n {
		chunk := buf[:min(n, len(rows)-start)]
		for i := range chunk {
			copyRow(&chunk[i], rows[start+i], str)
		}
		if err := b.Write(ctx, chunk); err != nil {
			t.Fatalf("batch %d: %v", batchID, err)
		}
		full := arena[:cap(arena)]
		for i := range full {
			full[i] = '#'
		}
		arena = arena[:0]
		clear(buf)
	}
	if err := b.Commit(ctx); err != nil {
		t.Fatalf("batch %d: %v", batchID, err)
	}
}

func copyReading(dst *reading, src reading, str func(string) string) {
	*dst = reading{Device: str(src.Device), Status: str(src.Status), TS: src.TS}
}

func copyPartReading(dst *partReading, src partReading, str func(string) string) {
	*dst = partReading{Device: str(src.Device), Status: str(src.Status)}
}

// compareSinks checks that two tables hold the same commits (data file
// UUIDs aside) and that the sinks report the same results.
func compareCommits(t *testing.T, dirA, dirB string, versions int64) {
	t.Helper()
	for v := range versions {
		if diff := cmp.Diff(commitLines(t, dirA, v), commitLines(t, dirB, v)); diff != "" {
			t.Errorf("commit %d (-AddBatch +BatchWriter):\n%s", v, diff)
		}
	}
	if hasCommit(dirB, versions) {
		t.Errorf("BatchWriter made commit %d", versions)
	}
}

// A batch streamed through a BatchWriter commits exactly what AddBatch
// commits for the same rows, with the same results and metrics, the
// re-run of a committed batch included.
func TestBatchWriterCommitsAsAddBatch(t *testing.T) {
	tableA, dirA := newTable(t)
	tableB, dirB := newTable(t)
	a, b := newReadingSink(t, tableA), newReadingSink(t, tableB)
	batches := [][]reading{
		{rd("Dev1", "ok", 0), rd("Dev2", "fail", 1), rd("Dev3", "ok", 2), rd("Dev1", "ok", 3), rd("Dev2", "ok", 4)},
		{rd("Dev3", "ok", 5)},
		{},
		{rd("Dev4", "late", 6), rd("Dev5", "", 7)},
	}
	ids := []int64{0, 1, 2, 3, 1} // the last one is a re-run
	for i, id := range ids {
		rows := batches[min(i, len(batches)-1)]
		addBatch(t, a, id, rows...)
		streamBatch(t, b, id, 2, rows, copyReading)
		if got, want := b.LastResult(), a.LastResult(); got != want {
			t.Errorf("batch %d: LastResult() = %+v, AddBatch's %+v", id, got, want)
		}
		if diff := cmp.Diff(a.Metrics(), b.Metrics()); diff != "" {
			t.Errorf("batch %d: Metrics() (-AddBatch +BatchWriter):\n%s", id, diff)
		}
	}
	if got := b.LastResult(); !got.Skipped || got.CommittedVersion != 1 {
		t.Errorf("re-run: LastResult() = %+v", got)
	}
	compareCommits(t, dirA, dirB, 4)
	if diff := cmp.Diff(tableRows(t, tableA), tableRows(t, tableB)); diff != "" {
		t.Errorf("table rows (-AddBatch +BatchWriter):\n%s", diff)
	}

	// Partitioned, rows of several partitions in every chunk.
	tableA, dirA = newTable(t)
	tableB, dirB = newTable(t)
	newPart := func(table *delta.Table) *deltasink.Sink[partReading] {
		s, err := deltasink.New[partReading](table, mustSchema(t, partSchema),
			deltasink.PartitionBy([]string{"device"}, deviceOf), deltasink.Writer(fixedWriter), deltasink.Logger(discard))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	pa, pb := newPart(tableA), newPart(tableB)
	prows := []partReading{{"Dev1", "ok"}, {"Dev 2", "ok"}, {"Dev1", "fail"}, {"Dev3", "x"}, {"Dev 2", "y"}, {"Dev1", "z"}, {"Dev3", "w"}}
	for id := range int64(2) {
		addBatch(t, pa, id, prows...)
		streamBatch(t, pb, id, 3, prows, copyPartReading)
	}
	compareCommits(t, dirA, dirB, 2)
	if diff := cmp.Diff(tableRows(t, tableA), tableRows(t, tableB)); diff != "" {
		t.Errorf("partitioned table rows (-AddBatch +BatchWriter):\n%s", diff)
	}
}

// Exactly once: BeginBatch of a committed batch gives a writer that
// discards its rows and commits nothing; Metrics report the skip.
func TestBatchWriterReplaySkipped(t *testing.T) {
	ctx := context.Background()
	table, dir := newTable(t)
	s := newReadingSink(t, table)
	streamBatch(t, s, 0, 1, []reading{rd("Dev1", "ok", 0)}, copyReading)
	streamBatch(t, s, 1, 1, []reading{rd("Dev2", "ok", 1)}, copyReading)
	files := parquetFiles(t, dir)
	for _, id := range []int64{1, 0} {
		b, err := s.BeginBatch(ctx, queryID, id)
		if err != nil {
			t.Fatal(err)
		}
		if !b.Skipped() {
			t.Errorf("batch %d: not skipped", id)
		}
		if err := b.Write(ctx, []reading{rd("Dev9", "again", 9)}); err != nil {
			t.Fatal(err)
		}
		if err := b.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		want := deltasink.Result{BatchID: id, Version: -1, CommittedVersion: id, Skipped: true}
		if got := s.LastResult(); got != want {
			t.Errorf("batch %d: LastResult() = %+v, want %+v", id, got, want)
		}
		wantM := map[string]string{"committedVersion": "0", "numFilesAdded": "0", "numFilesRemoved": "0"}
		wantM["committedVersion"] = []string{"0", "1"}[id]
		if diff := cmp.Diff(wantM, s.Metrics()); diff != "" {
			t.Errorf("batch %d: Metrics() (-want +got):\n%s", id, diff)
		}
	}
	if hasCommit(dir, 2) {
		t.Error("a re-run committed")
	}
	if got := parquetFiles(t, dir); !cmp.Equal(got, files) {
		t.Errorf("data files %v, want %v", got, files)
	}
	if diff := cmp.Diff(wantRows(rd("Dev1", "ok", 0), rd("Dev2", "ok", 1)), tableRows(t, table)); diff != "" {
		t.Errorf("table rows (-want +got):\n%s", diff)
	}
}

// Abort deletes the batch's files and commits nothing; the sink takes
// the next batch; Metrics can be read while a batch is open; a batch
// ends once.
func TestBatchWriterAbort(t *testing.T) {
	ctx := context.Background()
	table, dir := newTable(t)
	s := newReadingSink(t, table, deltasink.Writer(delta.WriterOptions{TargetFileSize: 1}))
	streamBatch(t, s, 0, 1, []reading{rd("Dev1", "ok", 0)}, copyReading)
	metrics := s.Metrics()
	b, err := s.BeginBatch(ctx, queryID, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if err := b.Write(ctx, []reading{rd("Dev2", "ok", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(parquetFiles(t, dir)); n != 6 {
		t.Errorf("%d data files while the batch is open, want 6", n)
	}
	if diff := cmp.Diff(metrics, s.Metrics()); diff != "" { // does not block
		t.Errorf("Metrics() during a batch (-before +got):\n%s", diff)
	}
	b.Abort(ctx)
	b.Abort(ctx)
	if err := b.Commit(ctx); err == nil {
		t.Error("Commit after Abort succeeded")
	}
	if n := len(parquetFiles(t, dir)); n != 1 {
		t.Errorf("%d data files after Abort, want 1", n)
	}
	if hasCommit(dir, 1) {
		t.Error("the aborted batch committed")
	}
	streamBatch(t, s, 1, 2, []reading{rd("Dev3", "ok", 3)}, copyReading)
	if err := b.Write(ctx, nil); err == nil {
		t.Error("Write after Abort succeeded")
	}
	if diff := cmp.Diff(wantRows(rd("Dev1", "ok", 0), rd("Dev3", "ok", 3)), tableRows(t, table)); diff != "" {
		t.Errorf("table rows (-want +got):\n%s", diff)
	}
}

// A failed Write aborts the batch: its files are deleted, Commit returns
// the error and the sink takes the next batch.
func TestBatchWriterWriteError(t *testing.T) {
	dir := t.TempDir()
	local, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	store := &hookStore{Storage: local}
	s := newReadingSink(t, openOn(store), deltasink.Writer(delta.WriterOptions{TargetFileSize: 1}))
	ctx := context.Background()
	b, err := s.BeginBatch(ctx, queryID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Write(ctx, []reading{rd("Dev1", "ok", 0)}); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := b.Write(cctx, []reading{rd("Dev2", "ok", 1)}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Write with a cancelled context: %v", err)
	}
	if err := b.Commit(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Commit after a failed Write: %v", err)
	}
	if n := len(parquetFiles(t, dir)); n != 0 {
		t.Errorf("%d data files after a failed Write, want 0", n)
	}
	streamBatch(t, s, 0, 1, []reading{rd("Dev3", "ok", 3)}, copyReading)
	if diff := cmp.Diff(wantRows(rd("Dev3", "ok", 3)), tableRows(t, openTable(t, dir))); diff != "" {
		t.Errorf("table rows (-want +got):\n%s", diff)
	}
}

// A concurrent commit of the same batch wins: the BatchWriter's commit is
// a skip and its files are deleted, as with AddBatch.
func TestBatchWriterLosesRace(t *testing.T) {
	dir := t.TempDir()
	local, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	store := &hookStore{Storage: local}
	winner := newReadingSink(t, openTable(t, dir))
	addBatch(t, winner, 0, rd("Dev1", "ok", 0))
	loser := newReadingSink(t, openOn(store))
	store.setHook(func(string) error {
		store.setHook(nil)
		addBatch(t, winner, 1, rd("Dev2", "ok", 1))
		return nil
	})
	streamBatch(t, loser, 1, 1, []reading{rd("Dev9", "lost", 9), rd("Dev8", "lost", 8)}, copyReading)
	if got, want := loser.LastResult(), (deltasink.Result{BatchID: 1, Version: -1, CommittedVersion: 1, Skipped: true}); got != want {
		t.Errorf("loser's LastResult() = %+v, want %+v", got, want)
	}
	if n := len(parquetFiles(t, dir)); n != 2 {
		t.Errorf("%d data files, want 2 (the loser's deleted)", n)
	}
}

// BeginBatch is for Append mode only.
// BeginBatch streams Complete mode too (the commit removes what the table
// held), with the same commits as AddBatch; Update mode is refused.
func TestBatchWriterModes(t *testing.T) {
	tableA, dirA := newTable(t)
	tableB, dirB := newTable(t)
	a := newReadingSink(t, tableA, deltasink.OutputMode(deltasink.Complete))
	b := newReadingSink(t, tableB, deltasink.OutputMode(deltasink.Complete))
	batches := [][]reading{
		{rd("Dev1", "ok", 0), rd("Dev2", "fail", 1), rd("Dev3", "ok", 2)},
		{rd("Dev1", "ok", 3)},
		{},
		{rd("Dev4", "late", 4), rd("Dev5", "", 5)},
	}
	for id, rows := range batches {
		addBatch(t, a, int64(id), rows...)
		streamBatch(t, b, int64(id), 2, rows, copyReading)
		if diff := cmp.Diff(a.Metrics(), b.Metrics()); diff != "" {
			t.Errorf("batch %d: Metrics() (-AddBatch +BatchWriter):\n%s", id, diff)
		}
		if diff := cmp.Diff(tableRows(t, tableA), tableRows(t, tableB)); diff != "" {
			t.Errorf("batch %d: table rows (-AddBatch +BatchWriter):\n%s", id, diff)
		}
	}
	compareCommits(t, dirA, dirB, int64(len(batches)))

	table, _ := newTable(t)
	s := newReadingSink(t, table, deltasink.OutputMode(deltasink.Update), deltasink.KeyColumns("device"),
		deltasink.ToRow(func(r *reading) delta.Row { return delta.Row{r.Device, r.Status, r.TS} }))
	if _, err := s.BeginBatch(context.Background(), queryID, 0); err == nil || !strings.Contains(err.Error(), "Append or Complete mode") {
		t.Errorf("BeginBatch in Update mode: %v", err)
	}
	if _, err := newReadingSink(t, table).BeginBatch(context.Background(), "", 0); err == nil {
		t.Error("BeginBatch with an empty query ID succeeded")
	}
}
