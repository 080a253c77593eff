package deltasink_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/sink/deltasink"
	"github.com/streamgen/streamgen/runtime/storage"
)

func newReadingSink(t *testing.T, table *delta.Table, opts ...deltasink.Opt) *deltasink.Sink[reading] {
	t.Helper()
	opts = append([]deltasink.Opt{deltasink.Writer(fixedWriter), deltasink.Logger(discard)}, opts...)
	s, err := deltasink.New[reading](table, mustSchema(t, readingSchema), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func addBatch[T any](t *testing.T, s *deltasink.Sink[T], batchID int64, rows ...T) {
	t.Helper()
	if err := s.AddBatch(context.Background(), queryID, batchID, rows); err != nil {
		t.Fatalf("batch %d: %v", batchID, err)
	}
}

func wantRows(rs ...reading) []delta.Row {
	out := make([]delta.Row, len(rs))
	for i, r := range rs {
		out[i] = readingRow(r)
	}
	return sortRows(out)
}

// The first batch creates the table in the same commit as its data; later
// batches are blind appends; an empty batch commits txn and commitInfo
// only. Each commit is compared whole.
func TestAppendCommits(t *testing.T) {
	table, dir := newTable(t)
	s := newReadingSink(t, table)
	if got, want := s.Description(), "DeltaSink["+table.Location()+"]"; got != want {
		t.Errorf("Description() = %q, want %q", got, want)
	}
	b0 := []reading{rd("Dev1", "ok", 0), rd("Dev2", "fail", 1)}
	b1 := []reading{rd("Dev3", "ok", 2)}
	addBatch(t, s, 0, b0...)
	addBatch(t, s, 1, b1...)
	addBatch(t, s, 2)

	want := []string{
		// Version 0 creates the table.
		`{"commitInfo":{"timestamp":1767261600000,"operation":"STREAMING UPDATE","operationParameters":{"epochId":"0","outputMode":"Append","queryId":"8f1c2a3e-5b6d-4e7f-9a0b-1c2d3e4f5a6b"},"isolationLevel":"Serializable","isBlindAppend":false,"operationMetrics":{"numAddedFiles":"1","numFiles":"1","numOutputBytes":"814","numOutputRows":"2","numRemovedFiles":"0"},"engineInfo":"streamgen/test","txnId":"id-2"}}
{"protocol":{"minReaderVersion":1,"minWriterVersion":2}}
{"metaData":{"id":"id-1","format":{"provider":"parquet","options":{}},"schemaString":"{\"type\":\"struct\",\"fields\":[{\"name\":\"device\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}},{\"name\":\"status\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}},{\"name\":\"ts\",\"type\":\"timestamp\",\"nullable\":true,\"metadata\":{}}]}","partitionColumns":[],"configuration":{},"createdTime":1767261600000}}
{"txn":{"appId":"8f1c2a3e-5b6d-4e7f-9a0b-1c2d3e4f5a6b","version":0,"lastUpdated":1767261600000}}
{"add":{"path":"part-00000-UUID-c000.zstd.parquet","partitionValues":{},"size":814,"modificationTime":1767261599000,"dataChange":true,"stats":"{\"numRecords\":2,\"minValues\":{\"device\":\"Dev1\",\"status\":\"fail\",\"ts\":\"2026-01-01T10:00:00.000Z\"},\"maxValues\":{\"device\":\"Dev2\",\"status\":\"ok\",\"ts\":\"2026-01-01T10:00:01.000Z\"},\"nullCount\":{\"device\":0,\"status\":0,\"ts\":0}}"}}
`,
		// Version 1 is a blind append.
		`{"commitInfo":{"timestamp":1767261600000,"operation":"STREAMING UPDATE","operationParameters":{"epochId":"1","outputMode":"Append","queryId":"8f1c2a3e-5b6d-4e7f-9a0b-1c2d3e4f5a6b"},"readVersion":0,"isolationLevel":"Serializable","isBlindAppend":true,"operationMetrics":{"numAddedFiles":"1","numFiles":"1","numOutputBytes":"752","numOutputRows":"1","numRemovedFiles":"0"},"engineInfo":"streamgen/test","txnId":"id-3"}}
{"txn":{"appId":"8f1c2a3e-5b6d-4e7f-9a0b-1c2d3e4f5a6b","version":1,"lastUpdated":1767261600000}}
{"add":{"path":"part-00000-UUID-c000.zstd.parquet","partitionValues":{},"size":752,"modificationTime":1767261599000,"dataChange":true,"stats":"{\"numRecords\":1,\"minValues\":{\"device\":\"Dev3\",\"status\":\"ok\",\"ts\":\"2026-01-01T10:00:02.000Z\"},\"maxValues\":{\"device\":\"Dev3\",\"status\":\"ok\",\"ts\":\"2026-01-01T10:00:02.000Z\"},\"nullCount\":{\"device\":0,\"status\":0,\"ts\":0}}"}}
`,
		// Version 2, the empty batch, only records the batch.
		`{"commitInfo":{"timestamp":1767261600000,"operation":"STREAMING UPDATE","operationParameters":{"epochId":"2","outputMode":"Append","queryId":"8f1c2a3e-5b6d-4e7f-9a0b-1c2d3e4f5a6b"},"readVersion":1,"isolationLevel":"SnapshotIsolation","isBlindAppend":true,"operationMetrics":{"numAddedFiles":"0","numOutputBytes":"0","numOutputRows":"0","numRemovedFiles":"0"},"engineInfo":"streamgen/test","txnId":"id-4"}}
{"txn":{"appId":"8f1c2a3e-5b6d-4e7f-9a0b-1c2d3e4f5a6b","version":2,"lastUpdated":1767261600000}}
`,
	}
	for v, w := range want {
		if got := commitLines(t, dir, int64(v)); got != w {
			t.Errorf("commit %d:\n got %s\nwant %s", v, got, w)
		}
	}
	if hasCommit(dir, 3) {
		t.Error("a fourth commit exists")
	}
	if diff := cmp.Diff(wantRows(append(b0, b1...)...), tableRows(t, table)); diff != "" {
		t.Errorf("table rows (-want +got):\n%s", diff)
	}
	if got, want := s.LastResult(), (deltasink.Result{BatchID: 2, Version: 2, CommittedVersion: 2}); got != want {
		t.Errorf("LastResult() = %+v, want %+v", got, want)
	}
	wantMetrics := map[string]string{"committedVersion": "2", "numFilesAdded": "0", "numFilesRemoved": "0"}
	if diff := cmp.Diff(wantMetrics, s.Metrics()); diff != "" {
		t.Errorf("Metrics() (-want +got):\n%s", diff)
	}
}

// A re-run of a committed batch (the query crashed after the table commit,
// before its checkpoint commit) writes nothing and commits nothing.
func TestRerunOfCommittedBatchIsSkipped(t *testing.T) {
	table, dir := newTable(t)
	s := newReadingSink(t, table)
	b0 := []reading{rd("Dev1", "ok", 0)}
	addBatch(t, s, 0, b0...)
	files := parquetFiles(t, dir)
	// The re-run may even see different rows: the table keeps the first.
	for _, s := range []*deltasink.Sink[reading]{s, newReadingSink(t, openTable(t, dir))} {
		addBatch(t, s, 0, rd("Dev9", "other", 9))
		if got, want := s.LastResult(), (deltasink.Result{BatchID: 0, Version: -1, CommittedVersion: 0, Skipped: true}); got != want {
			t.Errorf("LastResult() = %+v, want %+v", got, want)
		}
	}
	if hasCommit(dir, 1) {
		t.Error("the re-run committed")
	}
	if got := parquetFiles(t, dir); !cmp.Equal(got, files) {
		t.Errorf("data files %v, want %v", got, files)
	}
	if diff := cmp.Diff(wantRows(b0...), tableRows(t, table)); diff != "" {
		t.Errorf("table rows (-want +got):\n%s", diff)
	}
	// An older batch is skipped too; the next one is written.
	addBatch(t, s, 1, rd("Dev2", "ok", 1))
	addBatch(t, s, 0, rd("Dev9", "other", 9))
	if diff := cmp.Diff(wantRows(rd("Dev1", "ok", 0), rd("Dev2", "ok", 1)), tableRows(t, table)); diff != "" {
		t.Errorf("table rows (-want +got):\n%s", diff)
	}
}

// A crash between writing the data files and the commit leaves orphan
// files; the re-run writes the batch again and the table holds it once.
func TestRerunAfterCrashBeforeCommit(t *testing.T) {
	dir := t.TempDir()
	local, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	store := &hookStore{Storage: local}
	crash := errors.New("crash")
	store.setHook(func(string) error { return crash })
	table := openOn(store)
	s := newReadingSink(t, table)
	b0 := []reading{rd("Dev1", "ok", 0), rd("Dev2", "ok", 1)}
	if err := s.AddBatch(context.Background(), queryID, 0, b0); !errors.Is(err, crash) {
		t.Fatalf("AddBatch with a failing commit: %v", err)
	}
	if n := len(parquetFiles(t, dir)); n != 1 {
		t.Fatalf("%d data files after the crash, want 1 orphan", n)
	}
	store.setHook(nil)
	s = newReadingSink(t, openOn(store)) // the restarted process
	addBatch(t, s, 0, b0...)
	addBatch(t, s, 1, rd("Dev3", "ok", 2))
	if diff := cmp.Diff(wantRows(append(b0, rd("Dev3", "ok", 2))...), tableRows(t, table)); diff != "" {
		t.Errorf("table rows (-want +got):\n%s", diff)
	}
	if n := len(parquetFiles(t, dir)); n != 3 {
		t.Errorf("%d data files, want 3 (one orphan)", n)
	}
}

// Two writers of the same batch race: the loser's commit fails with
// ErrTxnAlreadyCommitted, which the sink takes as success, deleting the
// files it wrote.
func TestConcurrentCommitOfTheSameBatch(t *testing.T) {
	dir := t.TempDir()
	local, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	store := &hookStore{Storage: local}
	winner := newReadingSink(t, openTable(t, dir))
	b0 := []reading{rd("Dev1", "ok", 0)}
	addBatch(t, winner, 0, b0...)
	b1 := []reading{rd("Dev2", "ok", 1)}
	loser := newReadingSink(t, openOn(store))
	store.setHook(func(string) error {
		store.setHook(nil)
		addBatch(t, winner, 1, b1...) // wins version 1 while the loser commits
		return nil
	})
	addBatch(t, loser, 1, rd("Dev9", "lost", 9))
	if got, want := loser.LastResult(), (deltasink.Result{BatchID: 1, Version: -1, CommittedVersion: 1, Skipped: true}); got != want {
		t.Errorf("loser's LastResult() = %+v, want %+v", got, want)
	}
	if hasCommit(dir, 2) {
		t.Error("the loser committed")
	}
	if diff := cmp.Diff(wantRows(append(b0, b1...)...), tableRows(t, openTable(t, dir))); diff != "" {
		t.Errorf("table rows (-want +got):\n%s", diff)
	}
	if n := len(parquetFiles(t, dir)); n != 2 {
		t.Errorf("%d data files, want 2 (the loser's deleted)", n)
	}
}

// Complete mode replaces the table in one commit, also with an empty
// result.
func TestCompleteReplaces(t *testing.T) {
	table, dir := newTable(t)
	s := newReadingSink(t, table, deltasink.OutputMode(deltasink.Complete))
	b0 := []reading{rd("Dev1", "ok", 0), rd("Dev2", "ok", 1)}
	b1 := []reading{rd("Dev1", "fail", 2)}
	addBatch(t, s, 0, b0...)
	if diff := cmp.Diff(wantRows(b0...), tableRows(t, table)); diff != "" {
		t.Errorf("after batch 0 (-want +got):\n%s", diff)
	}
	addBatch(t, s, 1, b1...)
	if diff := cmp.Diff(wantRows(b1...), tableRows(t, table)); diff != "" {
		t.Errorf("after batch 1 (-want +got):\n%s", diff)
	}
	if got, want := commitLines(t, dir, 1), `{"commitInfo":{"timestamp":1767261600000,"operation":"STREAMING UPDATE","operationParameters":{"epochId":"1","outputMode":"Complete","queryId":"8f1c2a3e-5b6d-4e7f-9a0b-1c2d3e4f5a6b"},"readVersion":0,"isolationLevel":"Serializable","isBlindAppend":false,"operationMetrics":{"numAddedFiles":"1","numFiles":"1","numOutputBytes":"770","numOutputRows":"1","numRemovedBytes":"795","numRemovedFiles":"1"},"engineInfo":"streamgen/test","txnId":"id-3"}}
{"txn":{"appId":"8f1c2a3e-5b6d-4e7f-9a0b-1c2d3e4f5a6b","version":1,"lastUpdated":1767261600000}}
{"remove":{"path":"part-00000-UUID-c000.zstd.parquet","deletionTimestamp":1767261600000,"dataChange":true,"extendedFileMetadata":true,"size":795,"stats":"{\"numRecords\":2,\"minValues\":{\"device\":\"Dev1\",\"status\":\"ok\",\"ts\":\"2026-01-01T10:00:00.000Z\"},\"maxValues\":{\"device\":\"Dev2\",\"status\":\"ok\",\"ts\":\"2026-01-01T10:00:01.000Z\"},\"nullCount\":{\"device\":0,\"status\":0,\"ts\":0}}"}}
{"add":{"path":"part-00000-UUID-c000.zstd.parquet","partitionValues":{},"size":770,"modificationTime":1767261599000,"dataChange":true,"stats":"{\"numRecords\":1,\"minValues\":{\"device\":\"Dev1\",\"status\":\"fail\",\"ts\":\"2026-01-01T10:00:02.000Z\"},\"maxValues\":{\"device\":\"Dev1\",\"status\":\"fail\",\"ts\":\"2026-01-01T10:00:02.000Z\"},\"nullCount\":{\"device\":0,\"status\":0,\"ts\":0}}"}}
`; got != want {
		t.Errorf("commit 1:\n got %s\nwant %s", got, want)
	}
	addBatch(t, s, 2)
	if got := tableRows(t, table); len(got) != 0 {
		t.Errorf("after the empty batch 2: %v", got)
	}
	if got, want := commitLines(t, dir, 2), `{"commitInfo":{"timestamp":1767261600000,"operation":"STREAMING UPDATE","operationParameters":{"epochId":"2","outputMode":"Complete","queryId":"8f1c2a3e-5b6d-4e7f-9a0b-1c2d3e4f5a6b"},"readVersion":1,"isolationLevel":"Serializable","isBlindAppend":false,"operationMetrics":{"numAddedFiles":"0","numOutputBytes":"0","numOutputRows":"0","numRemovedBytes":"770","numRemovedFiles":"1"},"engineInfo":"streamgen/test","txnId":"id-4"}}
{"txn":{"appId":"8f1c2a3e-5b6d-4e7f-9a0b-1c2d3e4f5a6b","version":2,"lastUpdated":1767261600000}}
{"remove":{"path":"part-00000-UUID-c000.zstd.parquet","deletionTimestamp":1767261600000,"dataChange":true,"extendedFileMetadata":true,"size":770,"stats":"{\"numRecords\":1,\"minValues\":{\"device\":\"Dev1\",\"status\":\"fail\",\"ts\":\"2026-01-01T10:00:02.000Z\"},\"maxValues\":{\"device\":\"Dev1\",\"status\":\"fail\",\"ts\":\"2026-01-01T10:00:02.000Z\"},\"nullCount\":{\"device\":0,\"status\":0,\"ts\":0}}"}}
`; got != want {
		t.Errorf("commit 2:\n got %s\nwant %s", got, want)
	}
	if got, want := s.LastResult(), (deltasink.Result{BatchID: 2, Version: 2, CommittedVersion: 2, NumRemovedFiles: 1}); got != want {
		t.Errorf("LastResult() = %+v, want %+v", got, want)
	}
}

// Metrics reports the version holding a batch the sink skipped: the
// commit whose txn recorded it, or, when it is too far back in the log,
// the version of the snapshot that showed it committed.
func TestMetricsOfSkippedBatch(t *testing.T) {
	table, _ := newTable(t)
	s := newReadingSink(t, table)
	if m := s.Metrics(); m != nil {
		t.Errorf("Metrics() before the first batch = %v, want nil", m)
	}
	for b := range int64(20) {
		addBatch(t, s, b, rd("Dev1", "ok", int(b)))
	}
	for _, c := range []struct {
		batch   int64
		version string
	}{
		{19, "19"}, {12, "12"}, {4, "4"},
		{3, "19"}, // 16 commits back: not searched
		{0, "19"},
	} {
		addBatch(t, s, c.batch, rd("Dev9", "again", 0))
		want := map[string]string{"committedVersion": c.version, "numFilesAdded": "0", "numFilesRemoved": "0"}
		if diff := cmp.Diff(want, s.Metrics()); diff != "" {
			t.Errorf("re-run of batch %d: Metrics() (-want +got):\n%s", c.batch, diff)
		}
	}
}
