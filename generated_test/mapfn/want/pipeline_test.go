package mapfn

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamgen/streamgen/runtime/trigger"
)

// newConfig returns a config reading <dir>/in with a checkpoint in
// <dir>/cp, and points userfn.WriteBatch at <dir>/out.
func newConfig(t *testing.T) (cfg MapfnConfig, in, out string) {
	t.Helper()
	dir := t.TempDir()
	in, out = filepath.Join(dir, "in"), filepath.Join(dir, "out")
	for _, d := range []string{in, out} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("MAPFN_OUT", out)
	cfg = DefaultMapfnConfig()
	cfg.SourcePath = in
	cfg.CheckpointPath = filepath.Join(dir, "cp")
	cfg.Trigger = trigger.Once()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	return cfg, in, out
}

func writeInput(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func run(t *testing.T, cfg MapfnConfig) error {
	t.Helper()
	ctx := context.Background()
	q, err := NewMapfn(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return q.AwaitTermination(ctx)
}

// batchFiles returns the files userfn.WriteBatch wrote, by name.
func batchFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = string(data)
	}
	return files
}

func checkFiles(t *testing.T, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("output files %v, want %v", got, want)
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s = %s, want %s", name, got[name], w)
		}
	}
}

// The where step, Enrich (the enum passed as a string, the optional
// note as a pointer), Tag (Out's int count read as int64) and
// WriteBatch, batch by batch; a restart from the checkpoint goes on
// with the next batch ID.
func TestMapForeachBatch(t *testing.T) {
	cfg, in, out := newConfig(t)
	writeInput(t, in, "a.jsonl", `{"device":"dev1","status":"ok","count":1}
{"device":"dev2","status":"warn","count":2,"note":"hot"}
not json
{"device":"dev3","status":"fail","count":5}
`)
	if err := run(t, cfg); err != nil {
		t.Fatal(err)
	}
	batch0 := `[{"label":"DEV2 (hot)","count":4},{"label":"DEV3","count":10}]`
	checkFiles(t, batchFiles(t, out), map[string]string{"batch-0.json": batch0})

	writeInput(t, in, "b.jsonl", `{"device":"dev4","status":"warn","count":0}
{"device":"dev5","status":"ok","count":3}
`)
	if err := run(t, cfg); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, batchFiles(t, out), map[string]string{
		"batch-0.json": batch0,
		"batch-1.json": `[{"label":"DEV4","count":0}]`,
	})

	// Nothing new: no batch, no file.
	if err := run(t, cfg); err != nil {
		t.Fatal(err)
	}
	if n := len(batchFiles(t, out)); n != 2 {
		t.Errorf("%d output files after an idle run, want 2", n)
	}
}

// A map function's error is handled by onMalformed (drop here): the
// row is dropped, the batch goes on.
func TestMapErrorDropsRow(t *testing.T) {
	cfg, in, out := newConfig(t)
	writeInput(t, in, "a.jsonl", `{"device":"dev1","status":"warn","count":1}
{"device":"boom","status":"fail","count":1}
`)
	if err := run(t, cfg); err != nil {
		t.Fatal(err)
	}
	checkFiles(t, batchFiles(t, out), map[string]string{"batch-0.json": `[{"label":"DEV1","count":2}]`})
}

// foreachBatch errors stop the query too.
func TestForeachBatchError(t *testing.T) {
	cfg, in, _ := newConfig(t)
	t.Setenv("MAPFN_OUT", "")
	writeInput(t, in, "a.jsonl", `{"device":"dev1","status":"warn","count":1}
`)
	if err := run(t, cfg); err == nil || !strings.Contains(err.Error(), "MAPFN_OUT is not set") {
		t.Fatalf("query error %v, want WriteBatch's", err)
	}
}
