package devicestatus

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/trigger"
)

// NewDeviceStatus on a temporary directory with the available-now
// trigger: every valid line of the input files reaches the Delta table
// once (one file per batch: maxFilesPerTrigger 1), malformed lines are
// in <sink>/_quarantine/, and a second run over the same checkpoint
// reads only the files added meanwhile.
func TestPipelineAvailableNow(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := DefaultDeviceStatusConfig()
	cfg.SourcePath = filepath.Join(dir, "in")
	cfg.SinkPath = filepath.Join(dir, "table")
	cfg.CheckpointPath = filepath.Join(dir, "checkpoint")
	cfg.Trigger = trigger.AvailableNow()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))

	writeFile(t, cfg.SourcePath, "a.jsonl", `{"device":"Dev1","status":"ok"}
{"device":"Dev2","status":"hot"}
`)
	writeFile(t, cfg.SourcePath, "b.jsonl", `{"device":"Dev3","status":"ok"}
{"device":3,"status":"ok"}
not json
{"device":"Dev1","status":"ok","extra":[1,2]}
`)
	runQuery(t, cfg)
	want := []delta.Row{{"Dev1", "ok"}, {"Dev1", "ok"}, {"Dev2", "hot"}, {"Dev3", "ok"}}
	if diff := cmp.Diff(want, tableRows(t, cfg.SinkPath)); diff != "" {
		t.Errorf("table rows (-want +got):\n%s", diff)
	}
	quarantined := quarantineLines(t, cfg.SinkPath)
	wantQ := []string{`not json`, `{"device":3,"status":"ok"}`}
	if diff := cmp.Diff(wantQ, quarantined); diff != "" {
		t.Errorf("quarantined lines (-want +got):\n%s", diff)
	}
	// Two files, one per batch.
	table := delta.Open(mustLocal(t, cfg.SinkPath))
	if v, err := table.LatestVersion(ctx); err != nil || v != 1 {
		t.Errorf("latest table version %d, %v; want 1", v, err)
	}

	// A restart reads only the new file.
	writeFile(t, cfg.SourcePath, "c.jsonl", `{"device":"Dev4","status":"off"}`+"\n")
	runQuery(t, cfg)
	want = append(want, delta.Row{"Dev4", "off"})
	if diff := cmp.Diff(want, tableRows(t, cfg.SinkPath)); diff != "" {
		t.Errorf("after a restart, table rows (-want +got):\n%s", diff)
	}
}

// The default config is the spec's.
func TestDefaultConfig(t *testing.T) {
	cfg := DefaultDeviceStatusConfig()
	if cfg.SourcePath != "data/iot_status" || cfg.SinkPath != "tables/iot_status" || cfg.CheckpointPath != "checkpoints/iot_status" || cfg.Trigger != trigger.AvailableNow() {
		t.Errorf("DefaultDeviceStatusConfig() = %+v", cfg)
	}
}

func runQuery(t *testing.T, cfg DeviceStatusConfig) {
	t.Helper()
	ctx := context.Background()
	q, err := NewDeviceStatus(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := q.AwaitTermination(ctx); err != nil {
		t.Fatal(err)
	}
}

// writeFile writes name under dir the way the source wants: under a
// hidden name, then renamed into place.
func writeFile(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(dir, "."+name)
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}

func mustLocal(t *testing.T, dir string) *storage.Local {
	t.Helper()
	s, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tableRows returns the rows of the Delta table at dir, sorted.
func tableRows(t *testing.T, dir string) []delta.Row {
	t.Helper()
	snap, err := delta.Open(mustLocal(t, dir)).Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rows, err := snap.Rows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(rows, func(i, j int) bool { return fmt.Sprint(rows[i]) < fmt.Sprint(rows[j]) })
	return rows
}

// quarantineLines returns the "raw" values of the quarantine files under
// dir/_quarantine, sorted.
func quarantineLines(t *testing.T, dir string) []string {
	t.Helper()
	snap, err := delta.Open(mustLocal(t, filepath.Join(dir, "_quarantine"))).Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rows, err := snap.Rows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var raws []string
	for _, r := range rows {
		// source, file, line, offset, raw, raw_bytes, error, query_id, quarantined_at
		file, line := fmt.Sprint(r[1]), r[2].(int64)
		if !strings.HasSuffix(file, "b.jsonl") || line < 2 || r[6] == "" {
			t.Errorf("quarantined row %v: want a line of b.jsonl after the first, with its error", r)
		}
		raws = append(raws, r[4].(string))
	}
	sort.Strings(raws)
	return raws
}
