package devicestatus

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/storage/miniotest"
	_ "github.com/streamgen/streamgen/runtime/storage/s3store" // s3:// locations
	"github.com/streamgen/streamgen/runtime/trigger"
)

// NewDeviceStatus with its table, quarantine and checkpoint on MinIO
// (s3:// URLs, the files source local): the same rows and quarantine as
// on local disk, and a restart over the same checkpoint reads only the
// new file.
func TestPipelineOnObjectStore(t *testing.T) {
	if testing.Short() {
		t.Skip("starts MinIO")
	}
	srv := miniotest.Start(t)
	srv.SetEnv(t)
	bucket := srv.NewBucket(t)
	ctx := context.Background()
	dir := t.TempDir()
	cfg := DefaultDeviceStatusConfig()
	cfg.SourcePath = filepath.Join(dir, "in")
	cfg.SinkPath = "s3://" + bucket + "/tables/iot_status"
	cfg.CheckpointPath = "s3://" + bucket + "/checkpoints/iot_status"
	cfg.Trigger = trigger.AvailableNow()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))

	writeFile(t, cfg.SourcePath, "a.jsonl", `{"device":"Dev1","status":"ok"}
{"device":"Dev2","status":"hot"}
`)
	writeFile(t, cfg.SourcePath, "b.jsonl", `{"device":"Dev3","status":"ok"}
not json
`)
	runQuery(t, cfg)
	writeFile(t, cfg.SourcePath, "c.jsonl", `{"device":"Dev4","status":"off"}`+"\n")
	runQuery(t, cfg)

	want := []string{"[Dev1 ok]", "[Dev2 hot]", "[Dev3 ok]", "[Dev4 off]"}
	if diff := cmp.Diff(want, urlRows(t, cfg.SinkPath, -1)); diff != "" {
		t.Errorf("table rows (-want +got):\n%s", diff)
	}
	// source, file, line, offset, raw, …
	if diff := cmp.Diff([]string{"not json"}, urlRows(t, storage.JoinLocation(cfg.SinkPath, "_quarantine"), 4)); diff != "" {
		t.Errorf("quarantine (-want +got):\n%s", diff)
	}
	// One commit per file: versions 0, 1 and 2.
	table := openTable(t, cfg.SinkPath)
	if v, err := table.LatestVersion(ctx); err != nil || v != 2 {
		t.Errorf("latest version %d, %v; want 2", v, err)
	}
}

func openTable(t *testing.T, location string) *delta.Table {
	t.Helper()
	st, err := storage.OpenURL(context.Background(), location)
	if err != nil {
		t.Fatal(err)
	}
	return delta.Open(st)
}

// urlRows returns the rows of the Delta table at location, each as
// fmt.Sprint of the row (col < 0) or of its column col, sorted.
func urlRows(t *testing.T, location string, col int) []string {
	t.Helper()
	snap, err := openTable(t, location).Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rows, err := snap.Rows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		if col >= 0 {
			out = append(out, fmt.Sprint(r[col]))
		} else {
			out = append(out, fmt.Sprint(r))
		}
	}
	sort.Strings(out)
	return out
}
