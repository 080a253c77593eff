package statusconsole

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamgen/streamgen/runtime/trigger"
)

func newQueryConfig(t *testing.T, content string) (StatusConsoleConfig, *bytes.Buffer) {
	t.Helper()
	dir := t.TempDir()
	cfg := DefaultStatusConsoleConfig()
	cfg.SourcePath = filepath.Join(dir, "in")
	cfg.Trigger = trigger.Once()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	var out bytes.Buffer
	cfg.Console = &out
	if err := os.MkdirAll(cfg.SourcePath, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfg.SourcePath, "a.jsonl"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfg, &out
}

func run(t *testing.T, cfg StatusConsoleConfig) error {
	t.Helper()
	ctx := context.Background()
	q, err := NewStatusConsole(ctx, cfg) // no checkpoint in the spec: a temporary one
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return q.AwaitTermination(ctx)
}

// The where step and the console sink's table.
func TestConsolePipeline(t *testing.T) {
	cfg, out := newQueryConfig(t, `{"device":"Dev1","status":"ok"}
{"device":"Dev2","status":"hot"}
`)
	if err := run(t, cfg); err != nil {
		t.Fatal(err)
	}
	want := `-------------------------------------------
Batch: 0
-------------------------------------------
+------+------+
|device|status|
+------+------+
|Dev2  |hot   |
+------+------+
`
	if !strings.HasPrefix(out.String(), want) {
		t.Errorf("console output:\n%s\nwant:\n%s", out, want)
	}
}

// onMalformed: fail stops the query with the file and line.
func TestMalformedFails(t *testing.T) {
	cfg, _ := newQueryConfig(t, `{"device":"Dev1","status":"ok"}
{"device":1}
`)
	cfg.CheckpointPath = t.TempDir() // a failed query keeps a temporary one
	err := run(t, cfg)
	if err == nil || !strings.Contains(err.Error(), "a.jsonl:2") {
		t.Errorf("query error %v, want one at a.jsonl:2", err)
	}
}
