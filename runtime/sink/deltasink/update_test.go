package deltasink_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/sink/deltasink"
)

// count is an aggregate row: the count of an action per hour window.
type count struct {
	Action      string    `parquet:"action"`
	WindowStart time.Time `parquet:"window_start,timestamp(microsecond)"`
	Count       int64     `parquet:"count"`
}

const countSchema = `{"type":"struct","fields":[` +
	`{"name":"action","type":"string","nullable":true,"metadata":{}},` +
	`{"name":"window_start","type":"timestamp","nullable":true,"metadata":{}},` +
	`{"name":"count","type":"long","nullable":true,"metadata":{}}]}`

func countRow(c *count) delta.Row { return delta.Row{c.Action, c.WindowStart, c.Count} }

func hour(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }

func newCountSink(t *testing.T, table *delta.Table, opts ...deltasink.Opt) *deltasink.Sink[count] {
	t.Helper()
	opts = append([]deltasink.Opt{
		deltasink.OutputMode(deltasink.Update), deltasink.KeyColumns("action", "window_start"),
		deltasink.ToRow(countRow), deltasink.Writer(fixedWriter), deltasink.Logger(discard),
	}, opts...)
	s, err := deltasink.New[count](table, mustSchema(t, countSchema), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Update mode's commit removes the file holding a changed key and re-adds
// its other rows with the new ones.
func TestUpdateCommit(t *testing.T) {
	table, dir := newTable(t)
	s := newCountSink(t, table)
	addBatch(t, s, 0, count{"Open", hour(0), 1}, count{"Close", hour(0), 2})
	addBatch(t, s, 1, count{"Open", hour(0), 5}, count{"Open", hour(1), 1})
	want := `{"commitInfo":{"timestamp":1767261600000,"operation":"STREAMING UPDATE","operationParameters":{"epochId":"1","outputMode":"Update","queryId":"` + queryID + `"},"readVersion":0,"isolationLevel":"Serializable","isBlindAppend":false,"operationMetrics":{"numAddedFiles":"1","numFiles":"1","numOutputBytes":"903","numOutputRows":"3","numRemovedBytes":"893","numRemovedFiles":"1"},"engineInfo":"streamgen/test","txnId":"id-3"}}
{"txn":{"appId":"` + queryID + `","version":1,"lastUpdated":1767261600000}}
{"remove":{"path":"part-00000-UUID-c000.zstd.parquet","deletionTimestamp":1767261600000,"dataChange":true,"extendedFileMetadata":true,"size":893,"stats":"{\"numRecords\":2,\"minValues\":{\"action\":\"Close\",\"window_start\":\"2026-01-01T10:00:00.000Z\",\"count\":1},\"maxValues\":{\"action\":\"Open\",\"window_start\":\"2026-01-01T10:00:00.000Z\",\"count\":2},\"nullCount\":{\"action\":0,\"window_start\":0,\"count\":0}}"}}
{"add":{"path":"part-00000-UUID-c000.zstd.parquet","partitionValues":{},"size":903,"modificationTime":1767261599000,"dataChange":true,"stats":"{\"numRecords\":3,\"minValues\":{\"action\":\"Close\",\"window_start\":\"2026-01-01T10:00:00.000Z\",\"count\":1},\"maxValues\":{\"action\":\"Open\",\"window_start\":\"2026-01-01T11:00:00.000Z\",\"count\":5},\"nullCount\":{\"action\":0,\"window_start\":0,\"count\":0}}"}}
`
	if got := commitLines(t, dir, 1); got != want {
		t.Errorf("commit 1:\n got %s\nwant %s", got, want)
	}
	wantRows := sortRows([]delta.Row{{"Close", hour(0), int64(2)}, {"Open", hour(0), int64(5)}, {"Open", hour(1), int64(1)}})
	if diff := cmp.Diff(wantRows, tableRows(t, table)); diff != "" {
		t.Errorf("table rows (-want +got):\n%s", diff)
	}
	if got, want := s.LastResult(), (deltasink.Result{BatchID: 1, Version: 1, CommittedVersion: 1, NumOutputRows: 2, NumAddedFiles: 1, NumRemovedFiles: 1}); got != want {
		t.Errorf("LastResult() = %+v, want %+v", got, want)
	}
	wantMetrics := map[string]string{"committedVersion": "1", "numFilesAdded": "1", "numFilesRemoved": "1"}
	if diff := cmp.Diff(wantMetrics, s.Metrics()); diff != "" {
		t.Errorf("Metrics() (-want +got):\n%s", diff)
	}
}

// Over many batches of random changed keys (keys changed again and again,
// repeated within a batch, re-runs of committed batches), the table equals
// an independently kept map of the latest row per key; partitioned and
// with small files too.
func TestUpdateMergesKeyedRows(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []deltasink.Opt
	}{
		{"unpartitioned", nil},
		{"partitioned", []deltasink.Opt{deltasink.PartitionBy[count]([]string{"action"}, nil)}},
		{"small files", []deltasink.Opt{deltasink.Writer(delta.WriterOptions{TargetFileSize: 1, Now: fixedWriter.Now})}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			table, _ := newTable(t)
			s := newCountSink(t, table, tc.opts...)
			r := rand.New(rand.NewPCG(1, 2))
			actions := []string{"Open", "Close", "Move"}
			latest := map[string]delta.Row{}
			for b := int64(0); b < 12; b++ {
				var rows []count
				for range r.IntN(5) {
					c := count{actions[r.IntN(3)], hour(r.IntN(3)), r.Int64N(100)}
					rows = append(rows, c)
				}
				addBatch(t, s, b, rows...)
				for _, c := range rows { // the last row of a key wins
					latest[fmt.Sprint(c.Action, c.WindowStart.UnixMicro())] = delta.Row{c.Action, c.WindowStart, c.Count}
				}
				if b%4 == 3 { // a re-run changes nothing
					addBatch(t, s, b, count{"Open", hour(0), -1})
				}
				var want []delta.Row
				for _, row := range latest {
					want = append(want, row)
				}
				if diff := cmp.Diff(sortRows(want), tableRows(t, table)); diff != "" {
					t.Fatalf("after batch %d (-want +got):\n%s", b, diff)
				}
			}
		})
	}
}
