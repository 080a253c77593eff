package stream_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/quarantine"
	"github.com/streamgen/streamgen/runtime/sink/deltasink"
	"github.com/streamgen/streamgen/runtime/source/files"
	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/stream"
	"github.com/streamgen/streamgen/runtime/streamimpl"
	"github.com/streamgen/streamgen/runtime/trigger"
	"github.com/streamgen/streamgen/runtime/trigger/triggertest"
)

// reading is the record of the files end-to-end test.
type reading struct {
	Device string `json:"device" parquet:"device"`
	Status string `json:"status" parquet:"status"`
}

func readingSchema() *delta.StructType {
	return &delta.StructType{Fields: []delta.StructField{
		{Name: "device", Type: delta.String, Nullable: true},
		{Name: "status", Type: delta.String, Nullable: true},
	}}
}

// readingDecoder is a strict decoder of readings: both fields are
// required strings and no other field is allowed.
type readingDecoder struct{}

func (readingDecoder) Decode(data []byte, dst *reading) error {
	var v struct{ Device, Status *string }
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(&v); err != nil {
		return &streamimpl.DecodeError{Msg: err.Error(), Kind: streamimpl.ErrSyntax}
	}
	if v.Device == nil || v.Status == nil {
		return &streamimpl.DecodeError{Msg: "missing field", Kind: streamimpl.ErrMissing}
	}
	*dst = reading{Device: *v.Device, Status: *v.Status}
	return nil
}

// A files source, a Delta sink and a quarantine Delta table: three files,
// one with two malformed lines, read one file per batch under
// AvailableNow. The run is killed after batch 1 reached the sink; the
// restart re-runs it. Every progress carries the exact source and sink
// metrics, the table holds each valid row once and the quarantine table
// each malformed line once.
func TestFilesToDeltaMetricsEndToEnd(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	f1 := `{"device":"d1","status":"ok"}` + "\n" + `{"device":"d2","status":"ok"}` + "\n"
	f2 := `{"device":"d3","status":"ok"}` + "\n" + `{"device":3}` + "\n" + `{"device":"d4","oops":1}` + "\n"
	f3 := `{"device":"d5","status":"late"}` + "\n"
	for i, c := range []string{f1, f2, f3} {
		p := filepath.Join(in, fmt.Sprintf("f%d.jsonl", i+1))
		if err := os.MkdirAll(in, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
		mt := t0.Add(time.Duration(i) * time.Second)
		if err := os.Chtimes(p, mt, mt); err != nil {
			t.Fatal(err)
		}
	}
	local := func(p string) *storage.Local {
		s, err := storage.NewLocal(p)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	inStore := local(in)
	commitOpts := delta.CommitOptions{Clock: func() time.Time { return t0 }, Logger: discard}
	sinkTable := delta.Open(local(filepath.Join(dir, "table"))).WithCommitOptions(commitOpts)
	qTable := delta.Open(local(filepath.Join(dir, "table", "_quarantine"))).WithCommitOptions(commitOpts)
	cpDir := filepath.Join(dir, "cp")

	type batchMetrics struct {
		Batch  int64
		Source map[string]string
		Sink   map[string]string
	}
	runOnce := func(killBatch int64) []batchMetrics {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		cp := openCheckpoint(t, cpDir)
		src, err := files.New(ctx, inStore, cp, 0, func() streamimpl.Decoder[reading] { return readingDecoder{} },
			files.MaxFilesPerTrigger(1), files.Logger(discard),
			files.QuarantineTo(quarantine.NewDelta(qTable, quarantine.Logger(discard))))
		if err != nil {
			t.Fatal(err)
		}
		sink, err := deltasink.New[reading](sinkTable, readingSchema(), deltasink.Logger(discard))
		if err != nil {
			t.Fatal(err)
		}
		run := func(ctx context.Context, b *stream.Batch) (stream.BatchResult, error) {
			var rows []reading
			st, err := src.Read(ctx, b.Start[0], b.End[0], func(r *reading, _ files.Origin) error {
				rows = append(rows, *r)
				return nil
			})
			if err != nil {
				return stream.BatchResult{}, err
			}
			if err := sink.AddBatch(ctx, b.QueryID, b.ID, rows); err != nil {
				return stream.BatchResult{}, err
			}
			if b.ID == killBatch {
				cancel() // killed after the sink commit
				return stream.BatchResult{}, ctx.Err()
			}
			return stream.BatchResult{
				NumInputRows:  st.Rows,
				NumOutputRows: int64(len(rows)),
				SourceMetrics: []map[string]string{st.Metrics()},
				SinkMetrics:   sink.Metrics(),
			}, nil
		}
		clock := triggertest.NewClock(t0)
		q := newQuery(t, cpDir, []stream.Source{src}, run, clock, stream.Trigger(trigger.AvailableNow()))
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if err := await(t, q); err != nil {
			t.Fatal(err)
		}
		var out []batchMetrics
		for _, p := range q.RecentProgress() {
			out = append(out, batchMetrics{p.BatchID, p.Sources[0].Metrics, p.Sink.Metrics})
		}
		return out
	}
	srcM := func(bytes, malformed, filesBehind, bytesBehind int) map[string]string {
		return map[string]string{
			"numFilesRead": "1", "numBytesRead": fmt.Sprint(bytes),
			"numMalformedRows": fmt.Sprint(malformed), "numQuarantinedRows": fmt.Sprint(malformed), "numDroppedMalformedRows": "0",
			"numFilesBehindLatest": fmt.Sprint(filesBehind), "numBytesBehindLatest": fmt.Sprint(bytesBehind),
		}
	}
	sinkM := func(version, added int) map[string]string {
		return map[string]string{"committedVersion": fmt.Sprint(version), "numFilesAdded": fmt.Sprint(added), "numFilesRemoved": "0"}
	}
	n1, n2, n3 := len(f1), len(f2), len(f3)

	got := runOnce(1)
	want := []batchMetrics{{0, srcM(n1, 0, 2, n2+n3), sinkM(0, 1)}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("killed run (-want +got):\n%s", diff)
	}
	got = runOnce(-1)
	want = []batchMetrics{
		// The re-run of batch 1: the sink and the quarantine table hold it
		// already (table version 1).
		{1, srcM(n2, 2, 1, n3), sinkM(1, 0)},
		{2, srcM(n3, 0, 0, 0), sinkM(2, 1)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("restarted run (-want +got):\n%s", diff)
	}

	ctx := context.Background()
	tableRows := func(tb *delta.Table) []delta.Row {
		snap, err := tb.Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := snap.Rows(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sort.Slice(rows, func(i, j int) bool { return fmt.Sprint(rows[i]) < fmt.Sprint(rows[j]) })
		return rows
	}
	wantRows := []delta.Row{{"d1", "ok"}, {"d2", "ok"}, {"d3", "ok"}, {"d5", "late"}}
	if diff := cmp.Diff(wantRows, tableRows(sinkTable)); diff != "" {
		t.Errorf("sink table (-want +got):\n%s", diff)
	}
	f2URL := inStore.URL("f2.jsonl")
	at := t0.Truncate(time.Microsecond)
	var wantQ []delta.Row
	for _, r := range []struct {
		line       int64
		offset     int64
		raw, error string
	}{
		{2, 30, `{"device":3}`, "invalid JSON at byte 0: json: cannot unmarshal number into Go struct field .Device of type string"},
		{3, 43, `{"device":"d4","oops":1}`, `invalid JSON at byte 0: json: unknown field "oops"`},
	} {
		wantQ = append(wantQ, delta.Row{int32(0), f2URL, r.line, r.offset, r.raw, nil, r.error, queryID, at})
	}
	if diff := cmp.Diff(wantQ, tableRows(qTable)); diff != "" {
		t.Errorf("quarantine table (-want +got):\n%s", diff)
	}
	if snap, err := qTable.Snapshot(ctx); err != nil || snap.Version != 0 {
		t.Errorf("quarantine table: %v; want version 0 (one commit)", err)
	}
}
