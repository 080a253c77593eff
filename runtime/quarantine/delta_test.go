package quarantine_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/quarantine"
	"github.com/streamgen/streamgen/runtime/storage"
)

const queryID = "8f1c2a3e-5b6d-4e7f-9a0b-1c2d3e4f5a6b"

var (
	discard = slog.New(slog.NewTextHandler(io.Discard, nil))
	// t0 is the fixed clock of the tests.
	t0 = time.Date(2026, 1, 1, 10, 0, 0, 123456789, time.UTC)
	// at is t0 as the table returns it: microseconds.
	at = t0.Truncate(time.Microsecond)
)

func newTable(t *testing.T) *delta.Table {
	t.Helper()
	st, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return delta.Open(st).WithCommitOptions(delta.CommitOptions{Clock: func() time.Time { return t0 }, Logger: discard})
}

func newWriter(table *delta.Table) *quarantine.Delta {
	return quarantine.NewDelta(table, quarantine.Logger(discard))
}

// rows reads the table's rows, sorted by source, file and offset.
func rows(t *testing.T, table *delta.Table) (int64, []delta.Row) {
	t.Helper()
	snap, err := table.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rs, err := snap.Rows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(rs, func(i, j int) bool {
		a, b := rs[i], rs[j]
		if a[0] != b[0] {
			return a[0].(int32) < b[0].(int32)
		}
		if a[1] != b[1] {
			return a[1].(string) < b[1].(string)
		}
		return a[3].(int64) < b[3].(int64)
	})
	return snap.Version, rs
}

// want is the row a record becomes, computed independently of the
// writer.
func want(source int32, file string, line any, offset int64, raw, rawBytes any, msg string) delta.Row {
	return delta.Row{source, file, line, offset, raw, rawBytes, msg, queryID, at}
}

func batch(source int, version int64, recs ...quarantine.Record) quarantine.Batch {
	return quarantine.Batch{QueryID: queryID, Source: source, Version: version, Records: recs}
}

var (
	recA3 = quarantine.Record{Raw: []byte(`{"device":1}`), File: "file:///in/a.jsonl", Line: 3, Offset: 57, Err: `field "device" at byte 10: expected string, found number 1`}
	recA7 = quarantine.Record{Raw: []byte(`{"device":`), File: "file:///in/a.jsonl", Line: 7, Offset: 120, Err: "invalid JSON at byte 10: unexpected end of input"}
	recK  = quarantine.Record{Raw: []byte(`x`), File: "kafka://t/0", Offset: 42, Err: "invalid JSON at byte 0"}
	recBn = quarantine.Record{Raw: []byte("{\"d\":\"\xff\xfe\"}"), File: "file:///in/b.jsonl", Line: 1, Offset: 0, Err: "invalid UTF-8"}
)

func TestDeltaRoundTrip(t *testing.T) {
	ctx := context.Background()
	table := newTable(t)
	w := newWriter(table)
	if err := w.Write(ctx, batch(0, 4, recA3, recA7, recK)); err != nil {
		t.Fatal(err)
	}
	v, got := rows(t, table)
	wantRows := []delta.Row{
		want(0, "file:///in/a.jsonl", int64(3), 57, `{"device":1}`, nil, recA3.Err),
		want(0, "file:///in/a.jsonl", int64(7), 120, `{"device":`, nil, recA7.Err),
		want(0, "kafka://t/0", nil, 42, "x", nil, recK.Err),
	}
	if v != 0 {
		t.Errorf("table version %d, want 0", v)
	}
	if diff := cmp.Diff(wantRows, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	snap, err := table.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(quarantine.Schema().String(), snap.Schema.String()); diff != "" {
		t.Errorf("schema (-want +got):\n%s", diff)
	}
	if got := snap.Schema.SchemaString(); got != `{"type":"struct","fields":[`+
		`{"name":"source","type":"integer","nullable":false,"metadata":{}},`+
		`{"name":"file","type":"string","nullable":false,"metadata":{}},`+
		`{"name":"line","type":"long","nullable":true,"metadata":{}},`+
		`{"name":"offset","type":"long","nullable":false,"metadata":{}},`+
		`{"name":"raw","type":"string","nullable":true,"metadata":{}},`+
		`{"name":"raw_bytes","type":"binary","nullable":true,"metadata":{}},`+
		`{"name":"error","type":"string","nullable":false,"metadata":{}},`+
		`{"name":"query_id","type":"string","nullable":false,"metadata":{}},`+
		`{"name":"quarantined_at","type":"timestamp","nullable":false,"metadata":{}}]}` {
		t.Errorf("schemaString %s", got)
	}
	actions, err := table.ReadCommit(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	var txns []delta.Txn
	var ci *delta.CommitInfo
	for _, a := range actions {
		if a.Txn != nil {
			txns = append(txns, delta.Txn{AppID: a.Txn.AppID, Version: a.Txn.Version})
		}
		if a.CommitInfo != nil {
			ci = a.CommitInfo
		}
	}
	if diff := cmp.Diff([]delta.Txn{{AppID: queryID + "/quarantine/0", Version: 4}}, txns); diff != "" {
		t.Errorf("txn actions (-want +got):\n%s", diff)
	}
	if ci == nil || ci.Operation != "STREAMING UPDATE" {
		t.Fatalf("commitInfo %+v", ci)
	}
	wantParams := map[string]any{"outputMode": "Append", "queryId": queryID, "epochId": "4"}
	if diff := cmp.Diff(wantParams, ci.OperationParameters); diff != "" {
		t.Errorf("operationParameters (-want +got):\n%s", diff)
	}
}

func TestDeltaInvalidUTF8GoesToRawBytes(t *testing.T) {
	table := newTable(t)
	if err := newWriter(table).Write(context.Background(), batch(1, 0, recBn)); err != nil {
		t.Fatal(err)
	}
	_, got := rows(t, table)
	wantRows := []delta.Row{want(1, "file:///in/b.jsonl", int64(1), 0, nil, []byte("{\"d\":\"\xff\xfe\"}"), "invalid UTF-8")}
	if diff := cmp.Diff(wantRows, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

// A batch written again, or an older one, is skipped: the table keeps its
// version. A newer one is appended.
func TestDeltaRerunIsSkipped(t *testing.T) {
	ctx := context.Background()
	table := newTable(t)
	if err := newWriter(table).Write(ctx, batch(0, 5, recA3)); err != nil {
		t.Fatal(err)
	}
	// A restarted process: a new writer on the same table.
	w := newWriter(table)
	for _, v := range []int64{5, 4} {
		if err := w.Write(ctx, batch(0, v, recA3, recA7)); err != nil {
			t.Fatal(err)
		}
	}
	v, got := rows(t, table)
	if v != 0 {
		t.Errorf("table version %d after re-runs, want 0", v)
	}
	if diff := cmp.Diff([]delta.Row{want(0, recA3.File, int64(3), 57, `{"device":1}`, nil, recA3.Err)}, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if err := w.Write(ctx, batch(0, 6, recA7)); err != nil {
		t.Fatal(err)
	}
	// A batch without records commits nothing.
	if err := w.Write(ctx, batch(0, 7)); err != nil {
		t.Fatal(err)
	}
	v, got = rows(t, table)
	wantRows := []delta.Row{
		want(0, recA3.File, int64(3), 57, `{"device":1}`, nil, recA3.Err),
		want(0, recA7.File, int64(7), 120, `{"device":`, nil, recA7.Err),
	}
	if v != 1 {
		t.Errorf("table version %d, want 1", v)
	}
	if diff := cmp.Diff(wantRows, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

// Two sources of a query share the table, each with its own appId: the
// same version of two sources is two batches.
func TestDeltaTwoSources(t *testing.T) {
	ctx := context.Background()
	table := newTable(t)
	w := newWriter(table)
	for _, b := range []quarantine.Batch{batch(0, 0, recA3), batch(1, 0, recK), batch(1, 0, recK), batch(0, 1, recA7)} {
		if err := w.Write(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	v, got := rows(t, table)
	wantRows := []delta.Row{
		want(0, recA3.File, int64(3), 57, `{"device":1}`, nil, recA3.Err),
		want(0, recA7.File, int64(7), 120, `{"device":`, nil, recA7.Err),
		want(1, "kafka://t/0", nil, 42, "x", nil, recK.Err),
	}
	if v != 2 {
		t.Errorf("table version %d, want 2", v)
	}
	if diff := cmp.Diff(wantRows, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	snap, _ := table.Snapshot(ctx)
	gotTxns := map[string]int64{}
	for k, tx := range snap.Txns {
		gotTxns[k] = tx.Version
	}
	if diff := cmp.Diff(map[string]int64{quarantine.AppID(queryID, 0): 1, quarantine.AppID(queryID, 1): 0}, gotTxns); diff != "" {
		t.Errorf("txns (-want +got):\n%s", diff)
	}
}

// Writers of several sources racing to create and append to the table all
// land, each batch once.
func TestDeltaConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	table := newTable(t)
	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			w := newWriter(table)
			for v := range int64(3) {
				rec := quarantine.Record{Raw: []byte("r"), File: fmt.Sprintf("f%d", i), Line: int(v) + 1, Offset: v, Err: "bad"}
				if err := w.Write(ctx, batch(i, v, rec)); err != nil {
					errs[i] = err
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	_, got := rows(t, table)
	var wantRows []delta.Row
	for i := range n {
		for v := range int64(3) {
			wantRows = append(wantRows, want(int32(i), fmt.Sprintf("f%d", i), v+1, v, "r", nil, "bad"))
		}
	}
	if diff := cmp.Diff(wantRows, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

func TestDeltaRefusesOtherTablesAndBadBatches(t *testing.T) {
	ctx := context.Background()
	table := newTable(t)
	tx, err := table.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	other := &delta.StructType{Fields: []delta.StructField{{Name: "device", Type: delta.String, Nullable: true}}}
	tx.SetMetadata(delta.Metadata{SchemaString: other.SchemaString(), PartitionColumns: []string{}})
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	w := newWriter(table)
	err = w.Write(ctx, batch(0, 0, recA3))
	wantErr := "quarantine: table " + table.Location() + ": source 0, version 0: not a quarantine table: its schema is " +
		other.String() + ", want " + quarantine.Schema().String()
	if err == nil || err.Error() != wantErr {
		t.Errorf("write to another table: %v\nwant %s", err, wantErr)
	}
	for _, b := range []quarantine.Batch{
		{Source: 0, Version: 0, Records: []quarantine.Record{recA3}},
		{QueryID: queryID, Source: -1, Version: 0, Records: []quarantine.Record{recA3}},
		{QueryID: queryID, Source: 0, Version: -1, Records: []quarantine.Record{recA3}},
	} {
		if err := w.Write(ctx, b); err == nil {
			t.Errorf("Write(%+v) succeeded", b)
		}
	}
}

func TestMemory(t *testing.T) {
	ctx := context.Background()
	m := quarantine.NewMemory()
	raw := []byte("abc")
	r := quarantine.Record{Raw: raw, File: "f", Line: 1, Err: "bad"}
	for _, b := range []quarantine.Batch{batch(0, 0, r), batch(0, 0, r, r), batch(1, 0, r), batch(0, 1), batch(0, 2, r)} {
		if err := m.Write(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	raw[0] = 'X' // the writer kept a copy
	want := []quarantine.Batch{batch(0, 0, quarantine.Record{Raw: []byte("abc"), File: "f", Line: 1, Err: "bad"}),
		batch(1, 0, quarantine.Record{Raw: []byte("abc"), File: "f", Line: 1, Err: "bad"}),
		batch(0, 2, quarantine.Record{Raw: []byte("abc"), File: "f", Line: 1, Err: "bad"})}
	if diff := cmp.Diff(want, m.Batches()); diff != "" {
		t.Errorf("batches (-want +got):\n%s", diff)
	}
	if n := len(m.Records()); n != 3 {
		t.Errorf("%d records, want 3", n)
	}
	if err := m.Write(ctx, quarantine.Batch{Records: []quarantine.Record{r}}); err == nil {
		t.Error("a batch without query ID was accepted")
	}
}
