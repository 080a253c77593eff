package mapdelta

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/trigger"
)

// NewMapdelta with the available-now trigger on a temporary directory:
// userfn.Score's result (int, *int, []int and []*int fields) becomes
// MapdeltaMapped (int64s), the where and select steps read it, and the
// Delta sink writes MapdeltaRow with its generated schema; a restart
// appends the rows of the files added meanwhile.
func TestMapWhereSelectDelta(t *testing.T) {
	dir := t.TempDir()
	cfg := DefaultMapdeltaConfig()
	cfg.SourcePath = filepath.Join(dir, "in")
	cfg.SinkPath = filepath.Join(dir, "table")
	cfg.CheckpointPath = filepath.Join(dir, "checkpoint")
	cfg.Trigger = trigger.AvailableNow()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))

	// dev1: score 10 (kept, no bonus); dev2: score 0+7 = 7 (dropped by
	// the where step); skip: dropped by the where step; a malformed line
	// (dropped); dev3: score 120+3 = 123, its time in +01:00; dev4: score
	// 20 with a zero bonus (present, so has_bonus).
	writeFile(t, cfg.SourcePath, "a.jsonl", `{"device":"dev1","count":1,"at":"2026-01-02T03:04:05Z"}
{"device":"dev2","count":0,"bonus":7,"at":"2026-01-02T04:00:00Z"}
{"device":"skip","count":5,"at":"2026-01-02T03:04:05Z"}
not json
`)
	writeFile(t, cfg.SourcePath, "b.jsonl", `{"device":"dev3","count":12,"bonus":3,"at":"2026-01-02T05:06:07.5+01:00"}
{"device":"dev4","count":2,"bonus":0,"at":"2026-01-02T03:04:05Z"}
`)
	runQuery(t, cfg)

	t1 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	t3 := time.Date(2026, 1, 2, 4, 6, 7, 500_000_000, time.UTC)
	// label, points, bonus, digits, scale, at, double, has_bonus, n_digits
	want := []delta.Row{
		{"dev1", int64(10), nil, []any{int64(1), int64(0)}, []any{int64(1), nil}, t1, int64(20), false, int64(2)},
		{"dev3", int64(123), int64(3), []any{int64(1), int64(2), int64(3)}, []any{int64(1), int64(2), int64(3)}, t3, int64(246), true, int64(3)},
		{"dev4", int64(20), int64(0), []any{int64(2), int64(0)}, []any{int64(2), nil}, t1, int64(40), true, int64(2)},
	}
	snap := snapshot(t, cfg.SinkPath)
	if diff := cmp.Diff(MapdeltaRowDeltaSchema(), snap.Schema, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("table schema (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, tableRows(t, snap)); diff != "" {
		t.Errorf("table rows (-want +got):\n%s", diff)
	}

	// A restart reads only the new file.
	writeFile(t, cfg.SourcePath, "c.jsonl", `{"device":"dev5","count":100,"at":"2026-01-03T00:00:00Z"}`+"\n")
	runQuery(t, cfg)
	want = append(want, delta.Row{"dev5", int64(1000), nil, []any{int64(1), int64(0), int64(0), int64(0)}, []any{int64(1), nil, nil, nil},
		time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC), int64(2000), false, int64(4)})
	if diff := cmp.Diff(want, tableRows(t, snapshot(t, cfg.SinkPath))); diff != "" {
		t.Errorf("after a restart, table rows (-want +got):\n%s", diff)
	}
}

// The map step's conversion, without the query: the user's ints become
// the generated record's int64s, nil pointers and slices stay nil.
func TestMapStepConverts(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	got, err := mapdeltaStep0(context.Background(), &Reading{Device: "d", Count: 3, At: at})
	if err != nil {
		t.Fatal(err)
	}
	zero, three := int64(0), int64(3)
	want := MapdeltaMapped{Label: "d", Score: 30, Digits: []int64{3, 0}, Scale: []*int64{&three, nil}, At: at}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mapped (-want +got):\n%s", diff)
	}
	bonus := int64(0)
	got, err = mapdeltaStep0(context.Background(), &Reading{Device: "d", Count: 0, Bonus: &bonus, At: at})
	if err != nil {
		t.Fatal(err)
	}
	want = MapdeltaMapped{Label: "d", Score: 0, Bonus: &zero, Digits: []int64{0}, Scale: []*int64{nil}, At: at}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mapped with a zero bonus (-want +got):\n%s", diff)
	}
}

func runQuery(t *testing.T, cfg MapdeltaConfig) {
	t.Helper()
	ctx := context.Background()
	q, err := NewMapdelta(ctx, cfg)
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

func snapshot(t *testing.T, dir string) *delta.Snapshot {
	t.Helper()
	s, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := delta.Open(s).Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// tableRows returns the rows of snap, sorted.
func tableRows(t *testing.T, snap *delta.Snapshot) []delta.Row {
	t.Helper()
	rows, err := snap.Rows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(rows, func(i, j int) bool { return fmt.Sprint(rows[i]) < fmt.Sprint(rows[j]) })
	return rows
}
