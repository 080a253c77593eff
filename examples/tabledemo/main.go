// Tabledemo writes two small Delta tables of synthetic IoT readings and
// inspects them with the streamgen CLI. It is what 'make demo-table' runs
// ('make demo' runs the streaming example, examples/iot_status/demo).
//
// Usage:
//
//	go run ./examples/tabledemo [-dir DIR (default demo-out/tabledemo)] [-seed N] [-rows N] [-keep]
//
// It generates readings {"device","status","temperature","time"} with a
// seeded random generator (the same seed gives the same rows), appends
// them in five commits to DIR/iot_status (unpartitioned) and
// DIR/iot_by_status (partitioned by status), runs OPTIMIZE on both, and
// prints 'streamgen table describe', 'show' and 'history' output by
// calling the CLI in-process. Both tables are deleted and recreated on
// every run unless -keep is given, in which case five more commits (of the
// same readings, unless -seed changes) are appended. Nothing outside those
// two directories is touched. It runs in about a second.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/streamgen/streamgen/cmd/streamgen/cli"
	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/storage"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "tabledemo: %v\n", err)
		os.Exit(1)
	}
}

// config is the demo's command line.
type config struct {
	dir     string
	seed    uint64
	rows    int
	commits int
	keep    bool
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("tabledemo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.dir, "dir", "demo-out/tabledemo", "directory to write the tables iot_status and iot_by_status in")
	fs.Uint64Var(&c.seed, "seed", 1, "seed of the random readings")
	fs.IntVar(&c.rows, "rows", 200, "readings per commit")
	fs.IntVar(&c.commits, "commits", 5, "number of append commits")
	fs.BoolVar(&c.keep, "keep", false, "append to existing tables instead of recreating them")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if c.rows < 1 || c.commits < 1 {
		return c, errors.New("-rows and -commits must be at least 1")
	}
	return c, nil
}

// schema is the table schema of one reading.
var schema = &delta.StructType{Fields: []delta.StructField{
	{Name: "device", Type: delta.String, Nullable: false},
	{Name: "status", Type: delta.String, Nullable: false},
	{Name: "temperature", Type: delta.Double, Nullable: true},
	{Name: "time", Type: delta.Timestamp, Nullable: false},
}}

// demoTable is one table the demo writes.
type demoTable struct {
	name        string
	partitionBy []string
}

var tables = []demoTable{
	{name: "iot_status"},
	{name: "iot_by_status", partitionBy: []string{"status"}},
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	gen := newReadings(cfg.seed)
	batches := make([][]delta.Row, cfg.commits)
	for i := range batches {
		batches[i] = gen.next(cfg.rows)
	}
	for _, tb := range tables {
		dir := filepath.Join(cfg.dir, tb.name)
		if !cfg.keep {
			if err := os.RemoveAll(dir); err != nil {
				return fmt.Errorf("remove %s: %w", dir, err)
			}
		}
		if err := writeTable(ctx, dir, tb.partitionBy, batches); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %d commits of %d readings to %s\n", cfg.commits, cfg.rows, dir)
	}

	unpart := filepath.Join(cfg.dir, "iot_status")
	part := filepath.Join(cfg.dir, "iot_by_status")
	steps := [][]string{
		{"table", "optimize", unpart},
		{"table", "optimize", part},
		{"table", "describe", unpart},
		{"table", "show", unpart, "--limit", "10"},
		{"table", "history", unpart},
		{"table", "show", part, "--limit", "3", "--format", "jsonl"},
	}
	for _, s := range steps {
		fmt.Fprintf(stdout, "\n$ streamgen %s\n", strings.Join(s, " "))
		if code := cli.Main(s, strings.NewReader(""), stdout, stderr); code != cli.ExitOK {
			return fmt.Errorf("streamgen %s: exit status %d", strings.Join(s, " "), code)
		}
	}
	fmt.Fprintf(stdout, "\nTry it yourself:\n\n\tgo run ./cmd/streamgen table show %s --limit 20\n\tgo run ./cmd/streamgen help table\n", unpart)
	return nil
}

// writeTable appends one commit per batch to the table in dir, creating it
// with the first commit if needed.
func writeTable(ctx context.Context, dir string, partitionBy []string, batches [][]delta.Row) error {
	store, err := storage.NewLocal(dir)
	if err != nil {
		return err
	}
	t := delta.Open(store)
	for i, rows := range batches {
		tx, err := t.Begin(ctx)
		if err != nil {
			return err
		}
		mode := "Append"
		if tx.ReadVersion() < 0 {
			mode = "ErrorIfExists"
			tx.SetMetadata(delta.Metadata{
				SchemaString:     schema.SchemaString(),
				PartitionColumns: partitionBy,
			})
		}
		adds, err := delta.WriteRows(ctx, store, schema, partitionBy, rows, delta.WriterOptions{})
		if err != nil {
			return fmt.Errorf("%s: write batch %d: %w", dir, i, err)
		}
		tx.Add(adds...)
		tx.SetOperation("WRITE", map[string]any{"mode": mode, "partitionBy": partitionByJSON(partitionBy)})
		if _, err := tx.Commit(ctx); err != nil {
			return fmt.Errorf("%s: commit batch %d: %w", dir, i, err)
		}
	}
	return nil
}

// partitionByJSON renders partition columns as Spark records them in
// operationParameters: a JSON array in a string.
func partitionByJSON(cols []string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = fmt.Sprintf("%q", c)
	}
	return "[" + strings.Join(q, ",") + "]"
}

// readings generates deterministic synthetic IoT readings.
type readings struct {
	rnd  *rand.Rand
	time time.Time
}

func newReadings(seed uint64) *readings {
	return &readings{
		rnd:  rand.New(rand.NewPCG(seed, 0x5eed)),
		time: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC),
	}
}

// next returns n readings, one every 1 to 3 seconds.
func (r *readings) next(n int) []delta.Row {
	rows := make([]delta.Row, n)
	for i := range rows {
		r.time = r.time.Add(time.Duration(1+r.rnd.IntN(3)) * time.Second)
		device := fmt.Sprintf("Dev%d", 1+r.rnd.IntN(9))
		temp := 20 + r.rnd.NormFloat64()*3
		status := "ok"
		switch p := r.rnd.Float64(); {
		case p < 0.05:
			status, temp = "fail", temp+25
		case p < 0.2:
			status, temp = "warn", temp+10
		}
		var t any = float64(int(temp*10)) / 10
		if r.rnd.IntN(50) == 0 {
			t = nil // a sensor that did not report
		}
		rows[i] = delta.Row{device, status, t, r.time}
	}
	return rows
}
