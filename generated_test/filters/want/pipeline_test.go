package filters

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// NewFilters over files matched by the spec's glob: the where steps
// (enums, nullable numbers, optional dates and enums, a field of the
// select's row), the select (copy, rename, derived string, int → int64,
// time and math) and the memory sink; malformed lines are dropped.
func TestPipeline(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := DefaultFiltersConfig()
	cfg.SourcePath = filepath.Join(dir, "readings")
	cfg.CheckpointPath = filepath.Join(dir, "checkpoint")
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := os.MkdirAll(cfg.SourcePath, 0o755); err != nil {
		t.Fatal(err)
	}
	lines := `{"device":"d1","status":"ok","temp":21.5,"at":"2026-01-02T03:04:05Z","tags":["a","b"]}
{"device":"d2","status":"fail","temp":20,"at":"2026-01-02T03:04:05Z"}
{"device":"d3","status":"warn","temp":null,"at":"2026-01-02T04:00:00Z","day":"2026-01-02","level":"high"}
{"device":"d4","status":"ok","temp":150,"at":"2026-01-02T03:04:05Z"}
{"device":"d5","status":"ok","temp":1,"at":"2026-01-02T03:04:05Z","day":"2019-12-31"}
{"device":"d6","status":"ok","temp":1,"at":"2026-01-02T03:04:05Z","level":"low"}
{"device":"d7","status":"ok","temp":1,"at":"2026-01-02T03:04:05Z","level":null,"tags":["1","2","3","4","5"]}
{"device":"dev8","status":"ok","temp":-3,"at":"2026-01-02T23:59:59.5Z","level":null,"tags":[]}
{"device":"d9","status":"bogus","temp":1,"at":"2026-01-02T03:04:05Z"}
`
	if err := os.WriteFile(filepath.Join(cfg.SourcePath, "a.jsonl"), []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	// Not matched by *.jsonl.
	if err := os.WriteFile(filepath.Join(cfg.SourcePath, "b.json"), []byte(`{"device":"x","status":"ok","temp":1,"at":"2026-01-02T03:04:05Z"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	q, err := NewFilters(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := q.AwaitTermination(ctx); err != nil {
		t.Fatal(err)
	}
	f := func(v float64) *float64 { return &v }
	hour := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	want := []FiltersRow{
		{Device: "d1", State: ReadingStatusOk, Temp: f(21.5), Loud: "D1!", NTags: 2, Hour: hour, Fahrenheit: 4},
		{Device: "d3", State: ReadingStatusWarn, Loud: "D3!", Hour: hour.Add(time.Hour), Fahrenheit: 4},
		{Device: "dev8", State: ReadingStatusOk, Temp: f(-3), Loud: "DEV8!", Hour: hour.Add(20 * time.Hour), Fahrenheit: 7},
	}
	if diff := cmp.Diff(want, cfg.Sink.Rows()); diff != "" {
		t.Errorf("sink rows (-want +got):\n%s", diff)
	}
	p := q.LastProgress()
	if p == nil || p.NumInputRows != 8 {
		t.Errorf("last progress %+v, want 8 input rows (d9 is malformed)", p)
	}
}
