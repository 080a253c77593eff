//go:build unix

package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	eventstodelta "github.com/streamgen/streamgen/generated_test/events_delta/want"
	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/trigger"
)

const (
	defaultRows  = 10_000_000
	defaultFiles = 5_000
	seed         = 20160729
)

var (
	tmpRoot   string // removed by TestMain
	tmpOnce   sync.Once
	tmpErr    error
	dsOnce    sync.Once
	ds        Dataset
	dsErr     error
	rowsOnce  sync.Once
	rows      []eventstodelta.Event
	rowsErr   error
	eventsBin command = command{pkg: "github.com/streamgen/streamgen/generated_test/events_delta/want/cmd/events-to-delta"}
)

func TestMain(m *testing.M) {
	code := m.Run()
	if tmpRoot != "" {
		os.RemoveAll(tmpRoot)
	}
	os.Exit(code)
}

// tempDir returns a new directory under the process's scratch root.
func tempDir(tb testing.TB, pattern string) string {
	tb.Helper()
	tmpOnce.Do(func() { tmpRoot, tmpErr = os.MkdirTemp("", "streamgen-bench-*") })
	if tmpErr != nil {
		tb.Fatal(tmpErr)
	}
	dir, err := os.MkdirTemp(tmpRoot, pattern)
	if err != nil {
		tb.Fatal(err)
	}
	return dir
}

func envInt(tb testing.TB, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(strings.ReplaceAll(v, "_", ""))
	if err != nil || n <= 0 {
		tb.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// parseSize parses 1G, 500M, 64K or a number of bytes.
func parseSize(s string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "G"):
		mult, s = 1e9, strings.TrimSuffix(s, "G")
	case strings.HasSuffix(s, "M"):
		mult, s = 1e6, strings.TrimSuffix(s, "M")
	case strings.HasSuffix(s, "K"):
		mult, s = 1e3, strings.TrimSuffix(s, "K")
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return int64(f * float64(mult)), nil
}

// dataset returns the events dataset, generated once per process.
func dataset(b *testing.B) Dataset {
	b.Helper()
	dsOnce.Do(func() {
		rowsN := envInt(b, "STREAMGEN_BENCH_ROWS", defaultRows)
		files := envInt(b, "STREAMGEN_BENCH_FILES", defaultFiles)
		per := max(rowsN/files, 1)
		start := time.Now()
		ds, dsErr = Generate(filepath.Join(tempDir(b, "events-*"), "data"), files, per, seed)
		b.Logf("dataset: %d rows in %d files, %.1f MB, generated in %v", ds.Rows, ds.Files, float64(ds.Bytes)/1e6, time.Since(start).Round(time.Millisecond))
	})
	if dsErr != nil {
		b.Fatal(dsErr)
	}
	return ds
}

// decodedRows returns the dataset's rows, decoded once per process.
func decodedRows(b *testing.B, d Dataset) []eventstodelta.Event {
	b.Helper()
	rowsOnce.Do(func() {
		rows = make([]eventstodelta.Event, 0, d.Rows)
		dec := eventstodelta.NewEventDecoder()
		var e eventstodelta.Event
		rowsErr = eachLine(d, func(line []byte) error {
			if err := dec.Decode(line, &e); err != nil {
				return err
			}
			rows = append(rows, e)
			return nil
		}, dec.Reset)
	})
	if rowsErr != nil {
		b.Fatal(rowsErr)
	}
	return rows
}

// eachLine reads the dataset's files in order and calls fn on each
// non-empty line, as the files source does, and perFile after each file.
func eachLine(d Dataset, fn func([]byte) error, perFile func()) error {
	for _, p := range d.Paths() {
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for len(data) > 0 {
			var rec []byte
			if n := bytes.IndexByte(data, '\n'); n < 0 {
				rec, data = data, nil
			} else {
				rec, data = data[:n], data[n+1:]
			}
			if len(rec) == 0 {
				continue
			}
			if err := fn(rec); err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
		}
		if perFile != nil {
			perFile()
		}
	}
	return nil
}

// measure is one timed run: wall and CPU time.
type measure struct {
	wall, cpu time.Duration
	rssKiB    int64 // peak RSS, when known
}

// report reports the figures of the runs (b.N of them, each over rows
// rows and bytes bytes of JSON input).
func report(b *testing.B, runs []measure, rowsPer, bytesPer int64) {
	var wall, cpu time.Duration
	var rss int64
	for _, m := range runs {
		wall += m.wall
		cpu += m.cpu
		rss = max(rss, m.rssKiB)
	}
	n := float64(len(runs))
	b.ReportMetric(n*float64(rowsPer)/wall.Seconds(), "rows/s")
	b.ReportMetric(n*float64(bytesPer)/1e6/wall.Seconds(), "MB/s")
	if cpu > 0 {
		b.ReportMetric(n*float64(rowsPer)/cpu.Seconds(), "rows/s/core")
		b.ReportMetric(cpu.Seconds()/wall.Seconds(), "cores")
	}
	if rss > 0 {
		b.ReportMetric(float64(rss)/1024, "peak-RSS-MB")
	}
}

// timed runs f, timed in wall and process CPU time.
func timed(b *testing.B, f func()) measure {
	b.StartTimer()
	cpu0, t0 := CPUTime(), time.Now()
	f()
	m := measure{wall: time.Since(t0), cpu: CPUTime() - cpu0}
	b.StopTimer()
	return m
}

// BenchmarkEvents runs each stage over the same events dataset
// (default 10M rows in 5,000 files): decode (read the files, decode every
// line with the generated decoder), parquet (delta.WriteTyped, zstd, of
// the decoded rows in batches of 500 files' rows, as the sink writes
// them, to a local table), e2e (the generated events_to_delta pipeline,
// available-now, into a fresh table and checkpoint, in process) and
// process (the generated binary, CGO_ENABLED=0, run with -trigger
// available-now). Each end-to-end run checks the table holds every input
// row.
func BenchmarkEvents(b *testing.B) {
	d := dataset(b)
	b.Run("decode", func(b *testing.B) {
		b.StopTimer()
		var runs []measure
		for range b.N {
			var n int64
			dec := eventstodelta.NewEventDecoder()
			var e eventstodelta.Event
			runs = append(runs, timed(b, func() {
				err := eachLine(d, func(line []byte) error {
					n++
					return dec.Decode(line, &e)
				}, dec.Reset)
				if err != nil {
					b.Fatal(err)
				}
			}))
			if n != d.Rows {
				b.Fatalf("decoded %d rows, want %d", n, d.Rows)
			}
		}
		report(b, runs, d.Rows, d.Bytes)
	})
	b.Run("parquet", func(b *testing.B) {
		b.StopTimer()
		rs := decodedRows(b, d)
		// One batch, as the available-now pipeline writes it.
		per := len(rs)
		schema := eventstodelta.EventDeltaSchema()
		var runs []measure
		for range b.N {
			dir := tempDir(b, "parquet-*")
			store, err := storage.NewLocal(dir)
			if err != nil {
				b.Fatal(err)
			}
			var got int64
			var size int64
			runs = append(runs, timed(b, func() {
				for start := 0; start < len(rs); start += per {
					adds, err := delta.WriteTyped(context.Background(), store, schema, nil, rs[start:min(start+per, len(rs))], nil, delta.WriterOptions{})
					if err != nil {
						b.Fatal(err)
					}
					for _, a := range adds {
						st, err := delta.ParseStats(a.Stats)
						if err != nil {
							b.Fatal(err)
						}
						got += st.NumRecords
						size += a.Size
					}
				}
			}))
			if got != d.Rows {
				b.Fatalf("wrote %d rows, want %d", got, d.Rows)
			}
			b.ReportMetric(float64(size)/1e6, "parquet-MB")
			os.RemoveAll(dir)
		}
		report(b, runs, d.Rows, d.Bytes)
	})
	b.Run("e2e", func(b *testing.B) {
		b.StopTimer()
		var runs []measure
		for range b.N {
			dir := tempDir(b, "e2e-*")
			runtime.GC()
			runs = append(runs, timed(b, func() {
				if err := runPipeline(dir, d.Dir); err != nil {
					b.Fatal(err)
				}
			}))
			checkTable(b, filepath.Join(dir, "table"), d.Rows)
			os.RemoveAll(dir)
		}
		report(b, runs, d.Rows, d.Bytes)
	})
	b.Run("process", func(b *testing.B) {
		b.StopTimer()
		bin := eventsBin.path(b)
		var runs []measure
		for range b.N {
			runs = append(runs, runBinary(b, bin, d))
		}
		report(b, runs, d.Rows, d.Bytes)
	})
	b.Run("duckdb", func(b *testing.B) {
		b.StopTimer()
		node, modules := duckDB(b)
		var runs []measure
		for range b.N {
			runs = append(runs, runDuckDB(b, node, modules, d))
		}
		report(b, runs, d.Rows, d.Bytes)
	})
}

// duckDB returns the node binary and the node_modules directory holding
// @duckdb/node-api (make interop-setup installs it), or skips.
func duckDB(b *testing.B) (node, modules string) {
	b.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		b.Skip("no node: the DuckDB baseline needs Node.js and make interop-setup")
	}
	modules, err = filepath.Abs(filepath.Join("..", "runtime", "delta", "interop", "duckdb", "node_modules"))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(modules, "@duckdb", "node-api")); err != nil {
		b.Skip("no @duckdb/node-api: run make interop-setup for the DuckDB baseline")
	}
	return node, modules
}

// runDuckDB runs the baseline on d: DuckDB on one thread, COPY
// (SELECT * FROM read_json(…)) TO a zstd Parquet file, checks the row
// count and returns the child's wall and CPU time (node's startup
// included, some 50 ms).
func runDuckDB(b *testing.B, node, modules string, d Dataset) measure {
	b.Helper()
	dir := tempDir(b, "duckdb-*")
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "out.parquet")
	cmd := exec.Command(node, "duckdb_copy.mjs", modules, filepath.Join(d.Dir, "*.json"), out)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	b.StartTimer()
	t0 := time.Now()
	err := cmd.Run()
	wall := time.Since(t0)
	b.StopTimer()
	if err != nil {
		b.Fatalf("duckdb: %v\n%s", err, stderr.Bytes())
	}
	if n, err := strconv.ParseInt(strings.TrimSpace(stdout.String()), 10, 64); err != nil || n != d.Rows {
		b.Fatalf("duckdb wrote %q rows, want %d", stdout.String(), d.Rows)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		b.Fatal("no rusage")
	}
	return measure{wall: wall, cpu: RusageCPU(ru)}
}

// BenchmarkEventsRSS runs the generated binary over a dataset of
// STREAMGEN_BENCH_RSS_BYTES (such as 1G) of events, in files of 2,000
// rows, for its peak RSS. It is skipped when the variable is unset.
func BenchmarkEventsRSS(b *testing.B) {
	v := os.Getenv("STREAMGEN_BENCH_RSS_BYTES")
	if v == "" {
		b.Skip("set STREAMGEN_BENCH_RSS_BYTES (such as 1G) to stream that much input through the binary")
	}
	size, err := parseSize(v)
	if err != nil {
		b.Fatal(err)
	}
	const perFile = 2000
	// ~34.5 bytes a line.
	files := max(int(size/(perFile*345/10)), 1)
	start := time.Now()
	d, err := Generate(filepath.Join(tempDir(b, "rss-*"), "data"), files, perFile, seed+1)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("dataset: %d rows in %d files, %.1f MB, generated in %v", d.Rows, d.Files, float64(d.Bytes)/1e6, time.Since(start).Round(time.Millisecond))
	bin := eventsBin.path(b)
	b.ResetTimer()
	b.StopTimer()
	var runs []measure
	for range b.N {
		runs = append(runs, runBinary(b, bin, d))
	}
	report(b, runs, d.Rows, d.Bytes)
	b.ReportMetric(float64(d.Bytes)/1e6, "input-MB")
	os.RemoveAll(filepath.Dir(d.Dir))
}

// runPipeline runs the generated pipeline in process, available-now,
// from src into dir/table with its checkpoint in dir/checkpoint.
func runPipeline(dir, src string) error {
	ctx := context.Background()
	q, err := eventstodelta.NewEventsToDelta(ctx, eventstodelta.EventsToDeltaConfig{
		SourcePath:     src,
		SinkPath:       filepath.Join(dir, "table"),
		CheckpointPath: filepath.Join(dir, "checkpoint"),
		Trigger:        trigger.AvailableNow(),
		Logger:         slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		return err
	}
	if err := q.Start(ctx); err != nil {
		return err
	}
	return q.AwaitTermination(ctx)
}

// command is a generated pipeline command, built once per test process
// (static, CGO_ENABLED=0) by path.
type command struct {
	pkg  string
	once sync.Once
	bin  string
	err  error
}

// path builds the command the first time and returns its binary.
func (c *command) path(b *testing.B) string {
	b.Helper()
	c.once.Do(func() {
		c.bin = filepath.Join(tempDir(b, "bin-*"), filepath.Base(c.pkg))
		cmd := exec.Command("go", "build", "-o", c.bin, c.pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		// In the module even when the test binary runs elsewhere.
		if _, file, _, ok := runtime.Caller(0); ok {
			cmd.Dir = filepath.Dir(file)
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			c.err = fmt.Errorf("go build %s: %v\n%s", c.pkg, err, out)
		}
	})
	if c.err != nil {
		b.Fatal(c.err)
	}
	return c.bin
}

// runBinary runs the binary over d into a fresh table and checkpoint,
// checks the table and returns the child's wall time, CPU time and peak
// RSS.
func runBinary(b *testing.B, bin string, d Dataset) measure {
	b.Helper()
	dir := tempDir(b, "process-*")
	defer os.RemoveAll(dir)
	m := execBinary(b, bin, dir, d)
	checkTable(b, filepath.Join(dir, "table"), d.Rows)
	return m
}

// execBinary runs a generated pipeline binary over d into dir/table
// (checkpoint dir/checkpoint) with -trigger available-now and returns its
// wall time, CPU time and peak RSS (VmHWM, or ru_maxrss, an upper bound,
// where /proc cannot be read; see sampleHWM). Only the run is timed.
func execBinary(b *testing.B, bin, dir string, d Dataset) measure {
	b.Helper()
	cmd := exec.Command(bin, "-source-path", d.Dir, "-sink-path", filepath.Join(dir, "table"),
		"-checkpoint", filepath.Join(dir, "checkpoint"), "-trigger", "available-now", "-log-level", "warn")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b.StartTimer()
	t0 := time.Now()
	err := cmd.Start()
	var hwm int64
	if err == nil {
		done := make(chan struct{})
		sampled := make(chan int64)
		go func() { sampled <- sampleHWM(cmd.Process.Pid, done) }()
		err = cmd.Wait()
		close(done)
		hwm = <-sampled
	}
	wall := time.Since(t0)
	b.StopTimer()
	if err != nil {
		b.Fatalf("%s: %v\n%s", bin, err, stderr.Bytes())
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		b.Fatal("no rusage")
	}
	rss := hwm
	if rss == 0 {
		rss = int64(ru.Maxrss) // KiB on Linux
		if runtime.GOOS == "darwin" {
			rss /= 1024
		}
	}
	return measure{wall: wall, cpu: RusageCPU(ru), rssKiB: rss}
}

// checkTable fails unless the Delta table at dir holds want rows: the
// sum of its files' Parquet footer row counts, which must agree with
// their stats.
func checkTable(b *testing.B, dir string, want int64) {
	b.Helper()
	store, err := storage.NewLocal(dir)
	if err != nil {
		b.Fatal(err)
	}
	snap, err := delta.Open(store).Snapshot(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	var got int64
	for _, a := range snap.Files {
		st, err := delta.ParseStats(a.Stats)
		if err != nil {
			b.Fatal(err)
		}
		path, err := delta.DecodePath(a.Path)
		if err != nil {
			b.Fatal(err)
		}
		f, err := os.Open(filepath.Join(dir, filepath.FromSlash(path)))
		if err != nil {
			b.Fatal(err)
		}
		fi, err := f.Stat()
		if err != nil {
			b.Fatal(err)
		}
		pf, err := parquet.OpenFile(f, fi.Size(), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
		if err != nil {
			b.Fatal(err)
		}
		if pf.NumRows() != st.NumRecords {
			b.Fatalf("%s: %d rows, stats say %d", path, pf.NumRows(), st.NumRecords)
		}
		got += pf.NumRows()
		f.Close()
	}
	if got != want {
		b.Fatalf("table %s holds %d rows in %d files, want %d", dir, got, len(snap.Files), want)
	}
}

// sampleHWM polls the VmHWM line of /proc/<pid>/status (the peak resident
// set of the process's address space since its exec) every millisecond
// until done is closed, and returns the largest value in KiB, or 0 when
// /proc cannot be read. The child's ru_maxrss cannot be used: Linux folds
// the address space the child had before exec, the benchmark process's
// own (vfork shares it), into ru_maxrss, so it reports the test's memory.
// A peak in the last millisecond before exit may be missed.
func sampleHWM(pid int, done <-chan struct{}) int64 {
	path := fmt.Sprintf("/proc/%d/status", pid)
	var peak int64
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		if data, err := os.ReadFile(path); err == nil {
			for _, line := range strings.Split(string(data), "\n") {
				if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
					var kib int64
					if _, err := fmt.Sscanf(strings.TrimSpace(v), "%d kB", &kib); err == nil {
						peak = max(peak, kib)
					}
				}
			}
		}
		select {
		case <-done:
			return peak
		case <-tick.C:
		}
	}
}
