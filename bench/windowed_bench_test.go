//go:build unix

package bench

import (
	"bytes"
	"context"
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

	eventstodelta "github.com/streamgen/streamgen/generated_test/events_delta/want"
	windowedcounts "github.com/streamgen/streamgen/generated_test/windowed_counts/want"
	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/stream"
	"github.com/streamgen/streamgen/runtime/trigger"
)

// groupsSpread is the time spread of the many-groups dataset (see
// GenerateSpread): 10M events over ~57 years, ~1M (action, hour) groups.
const groupsSpread = 180

var (
	spreadOnce  sync.Once
	spreadDS    Dataset
	spreadErr   error
	windowedBin = command{pkg: "github.com/streamgen/streamgen/generated_test/windowed_counts/want/cmd/windowed-counts"}
	expectMu    sync.Mutex
	expected    = map[string]map[windowGroup]int64{}
)

// spreadDataset returns the many-groups dataset, generated once per
// process: as many rows and files as the events dataset, spread 180 times
// wider in time.
func spreadDataset(b *testing.B) Dataset {
	b.Helper()
	spreadOnce.Do(func() {
		rowsN := envInt(b, "STREAMGEN_BENCH_ROWS", defaultRows)
		files := envInt(b, "STREAMGEN_BENCH_FILES", defaultFiles)
		per := max(rowsN/files, 1)
		start := time.Now()
		spreadDS, spreadErr = GenerateSpread(filepath.Join(tempDir(b, "groups-*"), "data"), files, per, seed+2, groupsSpread)
		b.Logf("groups dataset: %d rows in %d files, %.1f MB, generated in %v", spreadDS.Rows, spreadDS.Files, float64(spreadDS.Bytes)/1e6, time.Since(start).Round(time.Millisecond))
	})
	if spreadErr != nil {
		b.Fatal(spreadErr)
	}
	return spreadDS
}

// windowGroup is one (action, 1-hour window) group.
type windowGroup struct {
	action string
	start  int64 // Unix seconds
}

// expectedCounts returns the counts per group of d, computed once per
// dataset by a plain map over the decoded rows: what every run's result
// is checked against.
func expectedCounts(b *testing.B, d Dataset) map[windowGroup]int64 {
	b.Helper()
	expectMu.Lock()
	defer expectMu.Unlock()
	if m, ok := expected[d.Dir]; ok {
		return m
	}
	m := map[windowGroup]int64{}
	dec := eventstodelta.NewEventDecoder()
	var e eventstodelta.Event
	err := eachLine(d, func(line []byte) error {
		if err := dec.Decode(line, &e); err != nil {
			return err
		}
		s := e.Time.Unix()
		s -= ((s % 3600) + 3600) % 3600
		m[windowGroup{string(e.Action), s}]++
		return nil
	}, dec.Reset)
	if err != nil {
		b.Fatal(err)
	}
	expected[d.Dir] = m
	return m
}

// BenchmarkWindowedCount is the windowed count: the events
// counted per action and 1-hour tumbling window (the generated
// windowed_counts golden: files source, state store, complete mode, the
// result replacing a Delta table in one exactly-once commit), available-now,
// over two datasets of 10M events in 5,000 files:
//
//   - events: BenchmarkEvents' dataset (~5,800 groups: the throughput
//     figure);
//   - groups: the same generator with times spread 180 times wider
//     (~1M groups, ~10 events each: the state-size figure).
//
// Each runs in process (e2e), as the generated binary (process, with its
// peak RSS) and as DuckDB's one-thread GROUP BY time_bucket over the same
// files into a Parquet file (duckdb; skipped without make interop-setup).
// Every run's result is checked against counts computed by a plain map, so
// a broken pipeline cannot report fast numbers.
//
// Besides rows/s, MB/s and rows/s/core, the runs in process report
// state-B/group, the state store's memoryUsedBytes per group from the
// batch's progress (stateOperators), and heap-B/group, the growth of the
// live heap (after a GC, measured when the batch's progress is reported,
// that time excluded) per group: everything the query holds at that point,
// so an upper bound of the state's memory, meaningful with many groups.
func BenchmarkWindowedCount(b *testing.B) {
	for _, c := range []struct {
		name string
		ds   func(*testing.B) Dataset
	}{{"events", dataset}, {"groups", spreadDataset}} {
		b.Run(c.name, func(b *testing.B) {
			d := c.ds(b)
			want := expectedCounts(b, d)
			b.Run("e2e", func(b *testing.B) {
				b.StopTimer()
				var runs []measure
				var stateB, heapB float64
				for range b.N {
					dir := tempDir(b, "wc-e2e-*")
					m, st := runWindowed(b, dir, d.Dir)
					runs = append(runs, m)
					if st.groups != int64(len(want)) {
						b.Fatalf("state holds %d groups, want %d", st.groups, len(want))
					}
					stateB = float64(st.stateBytes) / float64(st.groups)
					heapB = float64(st.heapBytes) / float64(st.groups)
					checkWindowed(b, filepath.Join(dir, "table"), want)
					os.RemoveAll(dir)
				}
				report(b, runs, d.Rows, d.Bytes)
				b.ReportMetric(float64(len(want)), "groups")
				b.ReportMetric(stateB, "state-B/group")
				b.ReportMetric(heapB, "heap-B/group")
			})
			b.Run("process", func(b *testing.B) {
				b.StopTimer()
				bin := windowedBin.path(b)
				var runs []measure
				for range b.N {
					dir := tempDir(b, "wc-process-*")
					runs = append(runs, execBinary(b, bin, dir, d))
					checkWindowed(b, filepath.Join(dir, "table"), want)
					os.RemoveAll(dir)
				}
				report(b, runs, d.Rows, d.Bytes)
			})
			b.Run("duckdb", func(b *testing.B) {
				b.StopTimer()
				node, modules := duckDB(b)
				var runs []measure
				for range b.N {
					runs = append(runs, runDuckDBWindowed(b, node, modules, d, int64(len(want))))
				}
				report(b, runs, d.Rows, d.Bytes)
			})
		})
	}
}

// stateFigures are what a run in process reports about its state.
type stateFigures struct {
	groups, stateBytes, heapBytes int64
}

// heapProbe is the listener measuring the live heap when the batch's
// progress is reported (the state store is still held then), and the time
// it took, to be excluded from the run's figures.
type heapProbe struct {
	base          uint64
	heap          uint64
	wall, cpu     time.Duration
	stateOperator stream.StateOperatorProgress
	batches       int
}

func (h *heapProbe) OnProgress(p stream.Progress) {
	t0, c0 := time.Now(), CPUTime()
	h.batches++
	if len(p.StateOperators) == 1 {
		h.stateOperator = p.StateOperators[0]
	}
	h.heap = liveHeap()
	h.wall += time.Since(t0)
	h.cpu += CPUTime() - c0
}

// liveHeap returns the bytes of live heap objects after a full GC.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// runWindowed runs the generated windowed_counts pipeline in process,
// available-now, from src into dir/table with its checkpoint in
// dir/checkpoint.
func runWindowed(b *testing.B, dir, src string) (measure, stateFigures) {
	b.Helper()
	ctx := context.Background()
	probe := &heapProbe{base: liveHeap()}
	m := timed(b, func() {
		q, err := windowedcounts.NewWindowedCounts(ctx, windowedcounts.WindowedCountsConfig{
			SourcePath:     src,
			SinkPath:       filepath.Join(dir, "table"),
			CheckpointPath: filepath.Join(dir, "checkpoint"),
			Trigger:        trigger.AvailableNow(),
			Logger:         slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn})),
			Listeners:      []stream.Listener{probe},
		})
		if err == nil {
			err = q.Start(ctx)
		}
		if err == nil {
			err = q.AwaitTermination(ctx)
		}
		if err != nil {
			b.Fatal(err)
		}
	})
	m.wall -= probe.wall
	m.cpu -= probe.cpu
	if probe.batches != 1 {
		b.Fatalf("%d batches, want 1 (available-now, no read limit)", probe.batches)
	}
	so := probe.stateOperator
	st := stateFigures{groups: so.NumRowsTotal, stateBytes: so.MemoryUsedBytes}
	if probe.heap > probe.base {
		st.heapBytes = int64(probe.heap - probe.base)
	}
	return m, st
}

// checkWindowed fails unless the Delta table at dir holds exactly the
// groups and counts of want, each window one hour long.
func checkWindowed(b *testing.B, dir string, want map[windowGroup]int64) {
	b.Helper()
	ctx := context.Background()
	store, err := storage.NewLocal(dir)
	if err != nil {
		b.Fatal(err)
	}
	snap, err := delta.Open(store).Snapshot(ctx)
	if err != nil {
		b.Fatal(err)
	}
	col := map[string]int{}
	for i, f := range snap.Schema.Fields {
		col[f.Name] = i
	}
	ia, is, ie, ic := col["action"], col["window_start"], col["window_end"], col["count"]
	var groups, sum int64
	for _, a := range snap.Files {
		rows, err := snap.ReadFile(ctx, a)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range rows {
			action, _ := r[ia].(string)
			start, _ := r[is].(time.Time)
			end, _ := r[ie].(time.Time)
			n, _ := r[ic].(int64)
			g := windowGroup{action, start.Unix()}
			if w, ok := want[g]; !ok || w != n || !end.Equal(start.Add(time.Hour)) {
				b.Fatalf("table %s: row %v: want count %d (present %v) and a 1-hour window", dir, r, w, ok)
			}
			groups++
			sum += n
		}
	}
	if groups != int64(len(want)) {
		b.Fatalf("table %s holds %d groups (sum of counts %d), want %d", dir, groups, sum, len(want))
	}
}

// runDuckDBWindowed runs the baseline on d: DuckDB on one thread,
// GROUP BY action, time_bucket(1 hour) into a Parquet file; it checks the
// number of groups and the sum of the counts, and returns the child's wall
// and CPU time (node's startup included, some 50 ms).
func runDuckDBWindowed(b *testing.B, node, modules string, d Dataset, groups int64) measure {
	b.Helper()
	dir := tempDir(b, "duckdb-*")
	defer os.RemoveAll(dir)
	cmd := exec.Command(node, "duckdb_windowed.mjs", modules, filepath.Join(d.Dir, "*.json"), filepath.Join(dir, "out.parquet"))
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
	f := strings.Fields(stdout.String())
	if len(f) != 2 || f[0] != strconv.FormatInt(groups, 10) || f[1] != strconv.FormatInt(d.Rows, 10) {
		b.Fatalf("duckdb: %q groups and sum of counts, want %d %d", stdout.String(), groups, d.Rows)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		b.Fatal("no rusage")
	}
	return measure{wall: wall, cpu: RusageCPU(ru)}
}
