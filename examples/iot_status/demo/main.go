// Demo is what 'make demo' runs: the iot_status example end to end, in
// process. IoT devices drop JSON lines files {"device":"Dev1","status":"ok"}
// into a folder; the generated pipeline (package iotstatus) streams them,
// one file per micro-batch (maxFilesPerTrigger: 1), into a Delta table with
// a checkpoint; the table is queried while it grows; Stop ends the query.
//
// Usage:
//
//	go run ./examples/iot_status/demo [-dir demo-out/iot_status] [-seed 1]
//
// In DIR, deleted and recreated on every run, it
//
//  1. writes 10 files of device readings with the datagen package (four
//     of them with a malformed line, one of each kind) into DIR/data/input;
//  2. starts the iot_status query with the default trigger, its table in
//     DIR/data/tables/iot_status and its checkpoint in
//     DIR/data/checkpoints/iot_status;
//  3. trickles in three rounds of five more files, reading the growing
//     table's version and row count after each round;
//  4. waits until every file is processed, stops the query, and prints the
//     rows per status, the table (streamgen table describe, show of
//     version 0 and history, called in process), the query's last progress and the
//     quarantined lines.
//
// The rows are the same on every run with the same seed; versions and
// row counts seen while the table grows depend on timing. It runs in a few
// seconds.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/streamgen/streamgen/cmd/streamgen/cli"
	"github.com/streamgen/streamgen/examples/iot_status/datagen"
	"github.com/streamgen/streamgen/examples/iot_status/iotstatus"
	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/quarantine"
	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/trigger"
)

func main() {
	cfg := defaultConfig()
	flag.StringVar(&cfg.dir, "dir", cfg.dir, "directory to run the demo in (deleted and recreated)")
	flag.Uint64Var(&cfg.data.Seed, "seed", cfg.data.Seed, "seed of the generated readings")
	flag.Parse()
	if flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if _, err := run(context.Background(), cfg, os.Stdout, logger); err != nil {
		fmt.Fprintf(os.Stderr, "iot_status demo: %v\n", err)
		os.Exit(1)
	}
}

// config is what the demo does.
type config struct {
	dir           string
	data          datagen.Options
	initialFiles  int           // files written before the query starts
	rounds        int           // rounds of files trickled in while it runs
	filesPerRound int           // files per round
	interval      time.Duration // wait between trickled files
	timeout       time.Duration // for the whole run
}

func defaultConfig() config {
	return config{
		dir:           filepath.Join("demo-out", "iot_status"),
		data:          datagen.Options{Seed: 1, Devices: 5, Lines: 4, Malformed: 4},
		initialFiles:  10,
		rounds:        3,
		filesPerRound: 5,
		interval:      40 * time.Millisecond,
		timeout:       time.Minute,
	}
}

// paths are where the demo's data lives under its directory, in the
// spec's layout (examples/iot_status/pipeline.yaml).
type paths struct {
	input, table, checkpoint string
}

func pathsIn(dir string) paths {
	return paths{
		input:      filepath.Join(dir, "data", "input"),
		table:      filepath.Join(dir, "data", "tables", "iot_status"),
		checkpoint: filepath.Join(dir, "data", "checkpoints", "iot_status"),
	}
}

// result is what a run wrote.
type result struct {
	files   []datagen.File // every file written, in order
	version int64          // the table's final version
	rows    int            // the table's final row count
}

// run runs the demo in cfg.dir, printing to w.
func run(ctx context.Context, cfg config, w io.Writer, logger *slog.Logger) (res result, err error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	p := pathsIn(cfg.dir)
	if err := os.RemoveAll(cfg.dir); err != nil {
		return res, err
	}

	// 1. The first files, before the query starts.
	files := cfg.data.Files(1, cfg.initialFiles)
	if err := datagen.WriteAll(ctx, p.input, files, 0); err != nil {
		return res, err
	}
	res.files = files
	fmt.Fprintf(w, "== wrote %d files (%d readings, %d malformed lines) to %s\n",
		len(files), countReadings(files), countMalformed(files), p.input)

	// 2. The generated pipeline, in process, with the default trigger: a
	// batch as soon as the previous one ends, one file each.
	qcfg := iotstatus.DefaultIotStatusConfig()
	qcfg.SourcePath = p.input
	qcfg.SinkPath = p.table
	qcfg.CheckpointPath = p.checkpoint
	qcfg.Trigger = trigger.Default()
	qcfg.Logger = logger
	q, err := iotstatus.NewIotStatus(ctx, qcfg)
	if err != nil {
		return res, err
	}
	if err := q.Start(ctx); err != nil {
		return res, err
	}
	defer q.Stop()
	fmt.Fprintf(w, "== started query %s (%s trigger, maxFilesPerTrigger 1)\n", q.Name(), qcfg.Trigger)

	// 3. More files trickle in; the table is queried while it grows.
	store, err := storage.NewLocal(p.table)
	if err != nil {
		return res, err
	}
	table := delta.Open(store)
	next := cfg.initialFiles + 1
	for r := 1; r <= cfg.rounds; r++ {
		round := cfg.data.Files(next, cfg.filesPerRound)
		if err := datagen.WriteAll(ctx, p.input, round, cfg.interval); err != nil {
			return res, err
		}
		res.files = append(res.files, round...)
		next += cfg.filesPerRound
		version, rows, err := tableSize(ctx, table)
		if err != nil {
			return res, err
		}
		fmt.Fprintf(w, "   round %d: %2d files written, table at version %2d with %3d rows; query: %s\n",
			r, len(res.files), version, rows, q.Status().Message)
	}

	// 4. Everything processed, then Stop.
	if err := q.ProcessAllAvailable(ctx); err != nil {
		return res, fmt.Errorf("processing the files: %w", err)
	}
	q.Stop()
	if err := q.Err(); err != nil {
		return res, fmt.Errorf("query: %w", err)
	}
	res.version, res.rows, err = tableSize(ctx, table)
	if err != nil {
		return res, err
	}
	fmt.Fprintf(w, "== stopped: %d files, %d readings -> table version %d with %d rows\n\n",
		len(res.files), countReadings(res.files), res.version, res.rows)

	if err := printStatusCounts(ctx, w, table); err != nil {
		return res, err
	}
	steps := [][]string{
		{"table", "describe", p.table},
		// Version 0 is the first batch: file 1's readings, in file order.
		// (The latest version's rows come in data file order, and data
		// file names are random.)
		{"table", "show", p.table, "--version", "0"},
		{"table", "history", p.table, "--limit", "3"},
	}
	for _, args := range steps {
		fmt.Fprintf(w, "\n$ streamgen %s\n", strings.Join(args, " "))
		var stderr strings.Builder
		if code := cli.Main(args, strings.NewReader(""), w, &stderr); code != 0 {
			return res, fmt.Errorf("streamgen %s: exit %d: %s", strings.Join(args, " "), code, stderr.String())
		}
	}
	if lp := q.LastProgress(); lp != nil {
		fmt.Fprintf(w, "\n== last progress\n%s\n", lp)
	}
	quarantined, err := readQuarantine(ctx, p.table)
	if err != nil {
		return res, err
	}
	fmt.Fprintf(w, "\n== quarantined lines (%s)\n", filepath.Join(p.table, "_quarantine"))
	for _, l := range quarantined {
		fmt.Fprintf(w, "%s:%d: %s\n    %s\n", filepath.Base(l.File), l.Line, l.Raw, l.Error)
	}
	return res, nil
}

// tableSize returns the table's latest version and row count; -1 and 0
// before its first commit.
func tableSize(ctx context.Context, table *delta.Table) (int64, int, error) {
	snap, err := table.Snapshot(ctx)
	if errors.Is(err, delta.ErrNotATable) {
		return -1, 0, nil
	}
	if err != nil {
		return 0, 0, err
	}
	rows, err := snap.Rows(ctx)
	if err != nil {
		return 0, 0, err
	}
	return snap.Version, len(rows), nil
}

// printStatusCounts prints the number of rows per status, a summary that
// is the same on every run.
func printStatusCounts(ctx context.Context, w io.Writer, table *delta.Table) error {
	snap, err := table.Snapshot(ctx)
	if err != nil {
		return err
	}
	rows, err := snap.Rows(ctx)
	if err != nil {
		return err
	}
	counts := map[string]int{}
	for _, r := range rows {
		counts[fmt.Sprint(r[1])]++
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintf(w, "== rows per status:")
	for _, k := range keys {
		fmt.Fprintf(w, " %s=%d", k, counts[k])
	}
	fmt.Fprintln(w)
	return nil
}

// quarantined is one row of the quarantine table.
type quarantined struct {
	Raw   string
	File  string
	Line  int
	Error string
}

// readQuarantine returns the rows of the quarantine Delta table at
// dir/_quarantine (none when no line was quarantined), sorted by file
// and line.
func readQuarantine(ctx context.Context, dir string) ([]quarantined, error) {
	store, err := storage.NewLocal(filepath.Join(dir, "_quarantine"))
	if err != nil {
		return nil, err
	}
	snap, err := delta.Open(store).Snapshot(ctx)
	if errors.Is(err, delta.ErrNotATable) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	rows, err := snap.Rows(ctx)
	if err != nil {
		return nil, err
	}
	idx := map[string]int{}
	for i, f := range snap.Schema.Fields {
		idx[f.Name] = i
	}
	var out []quarantined
	for _, r := range rows {
		q := quarantined{
			File:  fmt.Sprint(r[idx[quarantine.ColFile]]),
			Error: fmt.Sprint(r[idx[quarantine.ColError]]),
		}
		if raw, ok := r[idx[quarantine.ColRaw]].(string); ok {
			q.Raw = raw
		} else {
			q.Raw = fmt.Sprintf("%q", r[idx[quarantine.ColRawBytes]])
		}
		if line, ok := r[idx[quarantine.ColLine]].(int64); ok {
			q.Line = int(line)
		}
		out = append(out, q)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].File != out[j].File {
			return out[i].File < out[j].File
		}
		return out[i].Line < out[j].Line
	})
	return out, nil
}

func countReadings(files []datagen.File) int {
	n := 0
	for _, f := range files {
		n += len(f.Readings)
	}
	return n
}

func countMalformed(files []datagen.File) int {
	n := 0
	for _, f := range files {
		n += len(f.Malformed)
	}
	return n
}
