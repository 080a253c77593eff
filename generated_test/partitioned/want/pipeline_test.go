package partitioned

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

// NewPartitioned over CSV files with headers in two column orders: every
// valid line reaches the table once, partitioned by day and status (the
// partition values in the log, the directories Hive-style, the Parquet
// files without those columns); the malformed lines are in the
// quarantine table; the committed files are moved to the archive.
func TestPartitionedCSVArchived(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := DefaultPartitionedConfig()
	cfg.SourcePath = filepath.Join(dir, "in")
	cfg.SourceArchiveDir = filepath.Join(dir, "archive")
	cfg.SinkPath = filepath.Join(dir, "table")
	cfg.CheckpointPath = filepath.Join(dir, "checkpoint")
	cfg.Trigger = trigger.AvailableNow()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))

	writeFile(t, cfg.SourcePath, "a.csv", "device,status,day,celsius\n"+
		"Dev1,ok,2026-11-20,21.5\n"+
		"Dev2,hot,2026-11-20,80\n"+
		"Dev3,ok,,19\n")
	writeFile(t, cfg.SourcePath, "b.csv", "celsius,day,device,status,extra\n"+
		"20.25,2026-11-21,\"Dev, 4\",ok,x\n"+
		"abc,2026-11-21,Dev5,ok,x\n"+
		"5,2026-11-21,Dev6,cold,x\n"+
		"-3,2026-11-21,Dev7,off,x\n")
	q, err := NewPartitioned(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := q.AwaitTermination(ctx); err != nil {
		t.Fatal(err)
	}

	snap, err := delta.Open(mustLocal(t, cfg.SinkPath)).Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"day", "status"}, snap.Metadata.PartitionColumns); diff != "" {
		t.Errorf("partition columns (-want +got):\n%s", diff)
	}
	// Each file: its directory and partition values, then its rows as
	// device/status/day/celsius.
	var got []string
	for _, add := range snap.Files {
		rows, err := snap.ReadFile(ctx, add)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			got = append(got, fmt.Sprintf("%s %s|%s %v/%v/%v/%v", filepath.Dir(add.Path), value(add.PartitionValues["day"]), value(add.PartitionValues["status"]), r[0], r[1], r[2], r[3]))
		}
	}
	sort.Strings(got)
	want := []string{
		"day=2026-11-20/status=hot 2026-11-20|hot Dev2/hot/2026-11-20/80",
		"day=2026-11-20/status=ok 2026-11-20|ok Dev1/ok/2026-11-20/21.5",
		"day=2026-11-21/status=off 2026-11-21|off Dev7/off/2026-11-21/-3",
		"day=2026-11-21/status=ok 2026-11-21|ok Dev, 4/ok/2026-11-21/20.25",
		"day=__HIVE_DEFAULT_PARTITION__/status=ok null|ok Dev3/ok/<nil>/19",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("table files and rows (-want +got):\n%s", diff)
	}

	// The Parquet files hold only the data columns.
	for _, add := range snap.Files {
		data, err := os.ReadFile(filepath.Join(cfg.SinkPath, filepath.FromSlash(add.Path)))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), "celsius") || strings.Contains(string(data), "status") {
			t.Errorf("%s: want the celsius column and no status column in the Parquet file", add.Path)
		}
	}

	// The quarantine table holds the two malformed lines of b.csv.
	qsnap, err := delta.Open(mustLocal(t, filepath.Join(cfg.SinkPath, "_quarantine"))).Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	qrows, err := qsnap.Rows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var quarantined []string
	for _, r := range qrows {
		// source, file, line, offset, raw, raw_bytes, error, query_id, quarantined_at
		quarantined = append(quarantined, fmt.Sprintf("%s:%v %v: %v", filepath.Base(fmt.Sprint(r[1])), r[2], r[4], r[6]))
	}
	sort.Strings(quarantined)
	wantQ := []string{
		`b.csv:3 abc,2026-11-21,Dev5,ok,x: field "celsius" at byte 0: expected number, found "abc"`,
		`b.csv:4 5,2026-11-21,Dev6,cold,x: field "status" at byte 18: invalid value "cold", want one of "ok", "hot", "off"`,
	}
	if diff := cmp.Diff(wantQ, quarantined); diff != "" {
		t.Errorf("quarantine (-want +got):\n%s", diff)
	}

	// The committed files were moved to the archive, keeping their names.
	if left := listDir(t, cfg.SourcePath); len(left) != 0 {
		t.Errorf("source directory still holds %v", left)
	}
	if diff := cmp.Diff([]string{"a.csv", "b.csv"}, listDir(t, cfg.SourceArchiveDir)); diff != "" {
		t.Errorf("archive (-want +got):\n%s", diff)
	}
}

func value(s *string) string {
	if s == nil {
		return "null"
	}
	return *s
}

func writeFile(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// listDir returns the names of the regular files below dir, relative to
// it, sorted.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	err := filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.Type().IsRegular() {
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			names = append(names, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	sort.Strings(names)
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
