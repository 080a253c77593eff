package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/examples/iot_status/datagen"
	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/storage"
)

// The demo, on a smaller scale in a temporary directory: the final table
// holds exactly the valid readings of every file written (computed again
// from the generator with the same options), one commit per file
// (maxFilesPerTrigger 1), and the quarantine holds every malformed line
// with its file and line number.
func TestDemo(t *testing.T) {
	cfg := defaultConfig()
	cfg.dir = filepath.Join(t.TempDir(), "iot_status")
	cfg.data = datagen.Options{Seed: 7, Devices: 3, Lines: 3, Malformed: 5}
	cfg.initialFiles = 4
	cfg.rounds = 2
	cfg.filesPerRound = 3
	cfg.interval = 5 * time.Millisecond
	cfg.timeout = 30 * time.Second
	var out bytes.Buffer
	res, err := run(context.Background(), cfg, &out, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}

	// Expected, from the generator alone.
	const nFiles = 4 + 2*3
	files := datagen.Options{Seed: 7, Devices: 3, Lines: 3, Malformed: 5}.Files(1, nFiles)
	var want []string
	type qline struct {
		file string
		line int
		raw  string
	}
	var wantQ []qline
	for _, f := range files {
		for _, r := range f.Readings {
			want = append(want, r.Device+"/"+r.Status)
		}
		for i, l := range strings.Split(strings.TrimSuffix(string(f.Content), "\n"), "\n") {
			if slices.Contains(f.Malformed, l) {
				wantQ = append(wantQ, qline{f.Name, i + 1, l})
			}
		}
	}
	slices.Sort(want)
	if len(wantQ) != 5 {
		t.Fatalf("generator: %d malformed lines, want 5", len(wantQ))
	}

	store, err := storage.NewLocal(pathsIn(cfg.dir).table)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := delta.Open(store).Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rows, err := snap.Rows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, fmt.Sprintf("%v/%v", r[0], r[1]))
	}
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("table rows (-want +got):\n%s", diff)
	}
	if snap.Version != nFiles-1 || res.version != nFiles-1 || res.rows != len(want) || len(res.files) != nFiles {
		t.Errorf("table version %d (run: %d, %d rows, %d files); want %d, %d rows, %d files",
			snap.Version, res.version, res.rows, len(res.files), nFiles-1, len(want), nFiles)
	}

	q, err := readQuarantine(context.Background(), pathsIn(cfg.dir).table)
	if err != nil {
		t.Fatal(err)
	}
	var gotQ []qline
	for _, l := range q {
		if l.Error == "" {
			t.Errorf("quarantined %s:%d without an error", l.File, l.Line)
		}
		gotQ = append(gotQ, qline{filepath.Base(l.File), l.Line, l.Raw})
	}
	if diff := cmp.Diff(wantQ, gotQ, cmp.AllowUnexported(qline{})); diff != "" {
		t.Errorf("quarantined lines (-want +got):\n%s", diff)
	}

	for _, s := range []string{"== stopped: 10 files", "$ streamgen table show", "STREAMING UPDATE", `"batchId": 9`, "== quarantined lines"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("output lacks %q:\n%s", s, out.String())
		}
	}
}
