package delta

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReviewTxnRetention: PROTOCOL.md / table property
// delta.setTransactionRetentionDuration: a snapshot ignores txn actions
// whose lastUpdated is at or before now - retention, and checkpoints drop
// them; without the property (or without lastUpdated) nothing expires.
func TestReviewTxnRetention(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	lt := lrNewTable(t)
	lt.tbl = lt.tbl.WithCommitOptions(CommitOptions{Clock: func() time.Time { return now }})
	md := lrMetadata()
	md.Metadata.Configuration = map[string]string{"delta.setTransactionRetentionDuration": "interval 1 days"}
	old := now.Add(-48 * time.Hour).UnixMilli()
	edge := now.Add(-24 * time.Hour).UnixMilli()
	recent := now.Add(-time.Hour).UnixMilli()
	lt.commit(0, lrCommitInfo(now.UnixMilli()), lrProtocol(), md,
		&Action{Txn: &Txn{AppID: "old", Version: 1, LastUpdated: &old}},
		&Action{Txn: &Txn{AppID: "edge", Version: 2, LastUpdated: &edge}},
		&Action{Txn: &Txn{AppID: "recent", Version: 3, LastUpdated: &recent}},
		&Action{Txn: &Txn{AppID: "never", Version: 4}})
	s, err := lt.tbl.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var apps []string
	for app := range s.Txns {
		apps = append(apps, app)
	}
	if _, ok := s.Txns["old"]; ok || len(s.Txns) != 2 || s.Txns["recent"].Version != 3 || s.Txns["never"].Version != 4 {
		t.Errorf("Txns = %v, want only recent and never (old and edge expired)", apps)
	}
	// The checkpoint carries only the live ones.
	if err := lt.tbl.WriteCheckpoint(ctx, s); err != nil {
		t.Fatal(err)
	}
	data, err := lt.st.Read(ctx, CheckpointFileName(0))
	if err != nil {
		t.Fatal(err)
	}
	acts, err := parseCheckpoint(data)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range acts {
		if a.Txn != nil {
			n++
		}
	}
	if n != 2 {
		t.Errorf("checkpoint has %d txns, want 2", n)
	}
	// An expired txn does not make a retried write look committed.
	tx := lt.tbl.BeginAt(s)
	tx.SetTxn("old", 1)
	if _, err := tx.Commit(ctx); err != nil {
		t.Errorf("commit of an expired app id: %v", err)
	}

	// Without the property nothing expires.
	lt2 := lrNewTable(t)
	lt2.commit(0, lrCommitInfo(now.UnixMilli()), lrProtocol(), lrMetadata(),
		&Action{Txn: &Txn{AppID: "old", Version: 1, LastUpdated: &old}})
	s2, err := lt2.tbl.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(s2.Txns) != 1 {
		t.Errorf("Txns without retention = %v", s2.Txns)
	}
}

// TestReviewVacuumKeepsAbsolutePaths: an add whose path is an absolute
// "file:" URI under the table root (as Hadoop's Path.toUri writes it,
// with one slash) names a live file: VACUUM must not delete it.
func TestReviewVacuumKeepsAbsolutePaths(t *testing.T) {
	ctx := context.Background()
	now := time.Now().Truncate(time.Millisecond)
	old := now.Add(-30 * 24 * time.Hour)
	tbl, dir := txNewTable(t, CommitOptions{Clock: func() time.Time { return now }})
	txCreate(t, tbl, nil, nil)
	for _, name := range []string{"one-slash.parquet", "three-slash.parquet", "orphan.parquet"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	root := strings.TrimSuffix(filepath.ToSlash(tbl.Storage().URL("")), "/")
	var b bytes.Buffer
	for _, p := range []string{"file:" + root + "/one-slash.parquet", "file://" + root + "/three-slash.parquet"} {
		line, err := (&Action{Add: txAdd(p, 1)}).MarshalLine()
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	if err := tbl.Storage().PutIfAbsent(ctx, CommitFileName(1), b.Bytes()); err != nil {
		t.Fatal(err)
	}
	res, err := tbl.Vacuum(ctx, VacuumOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(res.Files, ",") != "orphan.parquet" {
		t.Errorf("VACUUM would delete %q, want only orphan.parquet", res.Files)
	}
}

// reviewStore returns a local store in a temporary directory.
func reviewStore(t *testing.T) *lrTable { return lrNewTable(t) }

// TestReviewStatsAndPartitionValues probes the data-side serialisations.
func TestReviewStatsAndPartitionValues(t *testing.T) {
	ctx := context.Background()
	lt := reviewStore(t)
	schema := mustSchema(t, `{"type":"struct","fields":[
		{"name":"s","type":"string","nullable":true,"metadata":{}},
		{"name":"ts","type":"timestamp","nullable":true,"metadata":{}},
		{"name":"f","type":"double","nullable":true,"metadata":{}},
		{"name":"n","type":{"type":"struct","fields":[{"name":"x","type":"long","nullable":true,"metadata":{}}]},"nullable":true,"metadata":{}},
		{"name":"d","type":"decimal(10,2)","nullable":true,"metadata":{}},
		{"name":"pts","type":"timestamp","nullable":true,"metadata":{}},
		{"name":"pdec","type":"decimal(38,18)","nullable":true,"metadata":{}},
		{"name":"pb","type":"boolean","nullable":true,"metadata":{}},
		{"name":"pdate","type":"date","nullable":true,"metadata":{}}]}`)
	long := strings.Repeat("a", 40)
	pre := time.Date(1969, 12, 31, 23, 59, 59, 999_500_000, time.UTC)
	post := time.Date(2021, 1, 1, 0, 0, 0, 1_000, time.UTC)
	dec := func(s string, scale int) Decimal {
		d, err := ParseDecimal(s, scale)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	pts := time.Date(2021, 10, 1, 8, 9, 20, 123_000, time.UTC)
	rows := []Row{
		{long, pre, 1.5, Row{int64(1)}, dec("-0.50", 2), pts, dec("1E-18", 18), true, DateValue(18900)},
		{"b", post, -2.0, nil, dec("12345678.90", 2), pts, dec("1E-18", 18), true, DateValue(18900)},
	}
	adds, err := WriteRows(ctx, lt.st, schema, []string{"pts", "pdec", "pb", "pdate"}, rows, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(adds) != 1 {
		t.Fatalf("%d adds", len(adds))
	}
	a := adds[0]
	pv := map[string]string{}
	for k, v := range a.PartitionValues {
		if v == nil {
			t.Fatalf("partition %s is null", k)
		}
		pv[k] = *v
	}
	want := map[string]string{"pts": "2021-10-01 08:09:20.000123", "pdec": "0.000000000000000001", "pb": "true", "pdate": "2021-09-30"}
	for k, v := range want {
		if pv[k] != v {
			t.Errorf("partition value %s = %q, want %q", k, pv[k], v)
		}
	}
	st, err := ParseStats(a.Stats)
	if err != nil {
		t.Fatal(err)
	}
	if st.MinValues["ts"] != "1969-12-31T23:59:59.999Z" || st.MaxValues["ts"] != "2021-01-01T00:00:00.001Z" {
		t.Errorf("ts stats min %v max %v", st.MinValues["ts"], st.MaxValues["ts"])
	}
	if mx, _ := st.MaxValues["s"].(string); mx < long {
		t.Errorf("string max %q is not an upper bound of %q", mx, long)
	}
	if nc, _ := st.NullCount["n"].(map[string]any); nc == nil || nc["x"] != int64(1) {
		t.Errorf("nested nullCount = %v (stats %s)", st.NullCount["n"], a.Stats)
	}
	if st.MinValues["d"] != json.Number("-0.50") || st.MaxValues["d"] != json.Number("12345678.90") {
		t.Errorf("decimal stats %v %v", st.MinValues["d"], st.MaxValues["d"])
	}
	if !strings.HasPrefix(a.Path, "pts=2021-10-01%2008%253A09%253A20.000123/") {
		t.Errorf("path %s", a.Path)
	}
	// Round trip through the reader.
	snap := handSnapshot(lt.tbl, schema, []string{"pts", "pdec", "pb", "pdate"}, adds)
	got, err := snap.ReadFile(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !got[0][5].(time.Time).Equal(pts) || got[0][6].(Decimal).String() != "0.000000000000000001" {
		t.Errorf("read back %v", got)
	}
}

// TestReviewCheckpointEdgeCases: a table without files checkpoints and
// reads back; a reader-version-3 protocol keeps its (empty) feature
// lists, which PROTOCOL.md requires to exist.
func TestReviewCheckpointEdgeCases(t *testing.T) {
	ctx := context.Background()
	tbl, dir := txNewTable(t, txDeterministic())
	txCreate(t, tbl, nil, nil)
	s, err := tbl.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tbl.WriteCheckpoint(ctx, s); err != nil {
		t.Fatal(err)
	}
	s2, err := tbl.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s2.Segment.Checkpoint == nil || len(s2.Files) != 0 || s2.Metadata.ID != s.Metadata.ID {
		t.Errorf("snapshot from an empty checkpoint: %+v", s2)
	}
	_ = dir

	// Protocol 3/7 with an empty readerFeatures list.
	p := Protocol{MinReaderVersion: 3, MinWriterVersion: 7, ReaderFeatures: []string{}, WriterFeatures: []string{FeatureAppendOnly}}
	tx := tbl.BeginAt(s2)
	tx.SetProtocol(p)
	v, err := tx.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	lines := txReadLines(t, dir, v)
	found := false
	for _, l := range lines {
		if strings.HasPrefix(l, `{"protocol"`) {
			found = true
			if !strings.Contains(l, `"readerFeatures":[]`) {
				t.Errorf("protocol line %s lacks readerFeatures", l)
			}
		}
	}
	if !found {
		t.Errorf("no protocol line in %q", lines)
	}
	s3, err := tbl.SnapshotAt(ctx, v)
	if err != nil {
		t.Fatal(err)
	}
	if err := tbl.WriteCheckpoint(ctx, s3); err != nil {
		t.Fatal(err)
	}
	data, err := tbl.Storage().Read(ctx, CheckpointFileName(v))
	if err != nil {
		t.Fatal(err)
	}
	acts, err := parseCheckpoint(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range acts {
		if a.Protocol != nil && (a.Protocol.ReaderFeatures == nil || a.Protocol.WriterFeatures == nil) {
			t.Errorf("checkpoint protocol %+v lost a feature list", *a.Protocol)
		}
	}
}

// TestReviewCheckpointProtocolLists: a 3/7 protocol whose lists are nil
// (a log that omitted them) is checkpointed with empty lists.
func TestReviewCheckpointProtocolLists(t *testing.T) {
	s := &Snapshot{Protocol: Protocol{MinReaderVersion: 3, MinWriterVersion: 7}, Metadata: Metadata{ID: "x", SchemaString: "{}"}}
	rows, _ := checkpointRows(s)
	data, err := encodeCheckpoint(rows)
	if err != nil {
		t.Fatal(err)
	}
	acts, err := parseCheckpoint(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range acts {
		if a.Protocol != nil && (a.Protocol.ReaderFeatures == nil || a.Protocol.WriterFeatures == nil) {
			t.Errorf("checkpoint protocol %#v: a feature list is null", *a.Protocol)
		}
	}
}

// reviewTypedRow is a generated-code style row for WriteTyped.
type reviewTypedRow struct {
	S  *string    `parquet:"s,optional"`
	F  *float64   `parquet:"f,optional"`
	Ts *time.Time `parquet:"ts,optional,timestamp(microsecond)"`
}

// TestReviewTypedStats: WriteTyped's footer-derived stats follow the same
// rules as WriteRows': a NaN drops the column's min/max (Spark orders NaN
// above every number, so max=1 would wrongly skip the file for f > 5), a
// long string max stays an upper bound, timestamps round outwards.
func TestReviewTypedStats(t *testing.T) {
	ctx := context.Background()
	lt := reviewStore(t)
	schema := mustSchema(t, `{"type":"struct","fields":[
		{"name":"s","type":"string","nullable":true,"metadata":{}},
		{"name":"f","type":"double","nullable":true,"metadata":{}},
		{"name":"ts","type":"timestamp","nullable":true,"metadata":{}}]}`)
	str := func(s string) *string { return &s }
	flt := func(f float64) *float64 { return &f }
	tm := func(ts time.Time) *time.Time { return &ts }
	long := strings.Repeat("z", 100)
	rows := []reviewTypedRow{
		{S: str(long), F: flt(1), Ts: tm(time.Date(2021, 1, 1, 0, 0, 0, 1_000, time.UTC))},
		{S: str("a"), F: flt(math.NaN()), Ts: tm(time.Date(2020, 1, 1, 0, 0, 0, 999_000, time.UTC))},
	}
	adds, err := WriteTyped(ctx, lt.st, schema, nil, rows, nil, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := ParseStats(adds[0].Stats)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := st.MaxValues["f"]; ok {
		t.Errorf("stats %s: max of a column holding NaN", adds[0].Stats)
	}
	if mx, _ := st.MaxValues["s"].(string); mx < long {
		t.Errorf("string max %q is not an upper bound", mx)
	}
	if st.MaxValues["ts"] != "2021-01-01T00:00:00.001Z" || st.MinValues["ts"] != "2020-01-01T00:00:00.000Z" {
		t.Errorf("ts stats %v %v", st.MinValues["ts"], st.MaxValues["ts"])
	}
}

// TestReviewCorruptParquetFooter: a footer whose Thrift list declares
// hundreds of millions of elements made parquet-go allocate tens of
// gigabytes and the process die with a fatal (unrecoverable) out of
// memory error. It must be an ordinary error, for checkpoints and data
// files alike.
func TestReviewCorruptParquetFooter(t *testing.T) {
	// FileMetaData { 2: schema list<struct> of 1<<28 elements }.
	footer := []byte{0x29, 0xfc}
	footer = binary.AppendUvarint(footer, 1<<28)
	footer = append(footer, 0x00, 0x00)
	data := append([]byte("PAR1"), footer...)
	data = binary.LittleEndian.AppendUint32(data, uint32(len(footer)))
	data = append(data, "PAR1"...)
	if _, err := parseCheckpoint(data); err == nil || !strings.Contains(err.Error(), "footer") {
		t.Errorf("parseCheckpoint: %v", err)
	}
	schema := mustSchema(t, `{"type":"struct","fields":[{"name":"id","type":"long","nullable":true,"metadata":{}}]}`)
	if _, err := ReadParquet(data, schema); err == nil {
		t.Error("ReadParquet of a corrupt footer succeeded")
	}
	if _, err := SchemaFromParquet(data); err == nil {
		t.Error("SchemaFromParquet of a corrupt footer succeeded")
	}
	// A real file still passes the check.
	lt := reviewStore(t)
	adds, err := WriteRows(context.Background(), lt.st, schema, nil, []Row{{int64(1)}}, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := lt.st.Read(context.Background(), adds[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkParquetFooter(b); err != nil {
		t.Errorf("checkParquetFooter of a valid file: %v", err)
	}
}
