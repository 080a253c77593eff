package deltasource

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/generated_test/internal/deltatable"
	"github.com/streamgen/streamgen/runtime/delta"
	deltasrc "github.com/streamgen/streamgen/runtime/source/delta"
	"github.com/streamgen/streamgen/runtime/trigger"
)

// testConfig returns the pipeline's config on dir, available-now.
func testConfig(dir string) DeltaSourceConfig {
	cfg := DefaultDeltaSourceConfig()
	cfg.SourcePath = filepath.Join(dir, "iot_status")
	cfg.SinkPath = filepath.Join(dir, "iot_alerts")
	cfg.CheckpointPath = filepath.Join(dir, "checkpoint")
	cfg.Trigger = trigger.AvailableNow()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	return cfg
}

// run runs the query to its end and returns its error.
func run(t *testing.T, cfg DeltaSourceConfig) error {
	t.Helper()
	ctx := context.Background()
	q, err := NewDeltaSource(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return q.AwaitTermination(ctx)
}

// expect is the sink's rows for the device_status records recs, computed
// independently of the generated code: the where step drops status
// "off", the select adds alert = status == "hot".
func expect(recs []DeviceStatus) []string {
	var out []string
	for _, r := range recs {
		if r.Status == "off" {
			continue
		}
		out = append(out, fmt.Sprintf("%s/%s/%t", r.Device, r.Status, r.Status == "hot"))
	}
	sort.Strings(out)
	return out
}

// sinkRows returns the sink table's rows as sorted "device/status/alert".
func sinkRows(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, r := range deltatable.DirRows(t, dir) {
		out = append(out, fmt.Sprintf("%v/%v/%v", r[0], r[1], r[2]))
	}
	sort.Strings(out)
	return out
}

func statuses(prefix string, n int) []DeviceStatus {
	var out []DeviceStatus
	for i := range n {
		out = append(out, DeviceStatus{Device: fmt.Sprintf("%s-%02d", prefix, i), Status: []string{"ok", "hot", "off"}[i%3]})
	}
	return out
}

// NewDeltaSource over a table built with runtime/delta: two appends and
// an OPTIMIZE (whose rewritten files are not read again), available-now
// with maxFilesPerTrigger 2 (the initial snapshot in batches); a restart
// on the same checkpoint reads only the new appends; an UPDATE commit
// then stops the query naming its version (no skipChangeCommits in the
// spec), after every row before it was committed; a restart fails the
// same way. The sink table always equals the expectation exactly.
func TestPipeline(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir)
	src := deltatable.New(t, cfg.SourcePath, DeviceStatusDeltaSchema())
	a, b, c := statuses("a", 5), statuses("b", 4), statuses("c", 3)
	deltatable.Append(src, a...)
	deltatable.Append(src, b...)
	deltatable.Append(src, c...)
	if v := src.Optimize(); v != 3 {
		t.Fatalf("OPTIMIZE committed version %d, want 3", v)
	}
	_, dAdds := deltatable.Append(src, statuses("d", 6)...)

	if err := run(t, cfg); err != nil {
		t.Fatal(err)
	}
	var all []DeviceStatus
	all = append(append(append(append(all, a...), b...), c...), statuses("d", 6)...)
	if diff := cmp.Diff(expect(all), sinkRows(t, cfg.SinkPath)); diff != "" {
		t.Fatalf("sink after the first run (-want +got):\n%s", diff)
	}

	// Restart: only the new commits.
	e := statuses("e", 7)
	deltatable.Append(src, e...)
	q, qerr := NewDeltaSource(context.Background(), cfg)
	if qerr != nil {
		t.Fatal(qerr)
	}
	ctx := context.Background()
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := q.AwaitTermination(ctx); err != nil {
		t.Fatal(err)
	}
	all = append(all, e...)
	if diff := cmp.Diff(expect(all), sinkRows(t, cfg.SinkPath)); diff != "" {
		t.Fatalf("sink after the restart (-want +got):\n%s", diff)
	}
	p := q.LastProgress()
	if p == nil || len(p.Sources) != 1 {
		t.Fatalf("last progress %+v", p)
	}
	m := p.Sources[0].Metrics
	for _, k := range []string{deltasrc.MetricFilesRead, deltasrc.MetricBytesRead, deltasrc.MetricRowsRead, deltasrc.MetricVersionsBehindLatest} {
		if _, ok := m[k]; !ok {
			t.Errorf("source metrics %v: no %s", m, k)
		}
	}
	if m[deltasrc.MetricVersionsBehindLatest] != "0" {
		t.Errorf("numVersionsBehindLatest %q after the run, want 0", m[deltasrc.MetricVersionsBehindLatest])
	}
	if !strings.HasPrefix(p.Sources[0].Description, "DeltaSource[") {
		t.Errorf("source description %q", p.Sources[0].Description)
	}

	// An UPDATE stops the query at its version; the append before it is
	// processed first.
	f := statuses("f", 3)
	deltatable.Append(src, f...)
	upd, _ := deltatable.Update(src, dAdds, DeviceStatus{Device: "d-00", Status: "hot"})
	for range 2 { // and again after a restart
		err := run(t, cfg)
		var ce *deltasrc.ChangeError
		if !errors.As(err, &ce) || ce.Version != upd || ce.Kind != deltasrc.ChangeUpdate {
			t.Fatalf("run over an UPDATE at version %d: %v, want a ChangeError of kind update", upd, err)
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("version %d", upd)) || !strings.Contains(err.Error(), "skipChangeCommits") {
			t.Errorf("error %q does not name the version and the options", err)
		}
		if diff := cmp.Diff(expect(append(all, f...)), sinkRows(t, cfg.SinkPath)); diff != "" {
			t.Fatalf("sink after the UPDATE (-want +got):\n%s", diff)
		}
	}
}

// nullableStatus is DeviceStatus with a nullable device column: another
// writer's table whose column holds a null the record does not allow.
type nullableStatus struct {
	Device *string `parquet:"device,optional"`
	Status string  `parquet:"status"`
}

// A row that does not convert (a null device) stops the query with an
// error naming the column, the data file and its version; the rows of
// the batches before it are committed.
func TestRowError(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir)
	schema := &delta.StructType{Fields: []delta.StructField{
		{Name: "device", Type: delta.String, Nullable: true},
		{Name: "status", Type: delta.String},
	}}
	src := deltatable.New(t, cfg.SourcePath, schema)
	dev := "x-1"
	deltatable.Append(src, nullableStatus{Device: &dev, Status: "ok"}, nullableStatus{Device: &dev, Status: "hot"})
	deltatable.Append(src, nullableStatus{Device: &dev, Status: "ok"})
	bad, adds := deltatable.Append(src, nullableStatus{Device: &dev, Status: "ok"}, nullableStatus{Status: "hot"})
	err := run(t, cfg)
	if err == nil {
		t.Fatal("no error for a null device")
	}
	file, _ := adds[0].DecodedPath()
	for _, want := range []string{"column device: null", file, fmt.Sprintf("version %d", bad), "row 2"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	// The first two commits are in the first batch (maxFilesPerTrigger 2).
	if diff := cmp.Diff([]string{"x-1/hot/true", "x-1/ok/false", "x-1/ok/false"}, sinkRows(t, cfg.SinkPath)); diff != "" {
		t.Errorf("sink (-want +got):\n%s", diff)
	}
}
