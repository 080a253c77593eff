//go:build unix

// Package bench holds the end-to-end benchmarks of a generated pipeline:
// the events record ({"time","action"}) as JSON lines files streamed into
// a Delta table by the generated_test/events_delta golden
// (events_to_delta), beside the decode-only and Parquet-write-only figures
// on the same dataset, so the engine's own overhead is visible; and
// BenchmarkWindowedCount, the same events counted per action and 1-hour
// window by the generated_test/windowed_counts golden (complete mode into
// Delta), beside DuckDB's GROUP BY time_bucket, with the state's bytes per
// group over a second dataset of 1M groups.
//
// Run them with `make bench` or
//
//	go test -run '^$' -bench . -benchtime 1x ./bench/
//
// Environment:
//
//	STREAMGEN_BENCH_ROWS       rows of the events dataset (default 10000000)
//	STREAMGEN_BENCH_FILES      files of the events dataset (default 5000)
//	STREAMGEN_BENCH_RSS_BYTES  size of the input of BenchmarkEventsRSS, the
//	                           peak-RSS run of the binary, such as 1G or
//	                           500M (default: skipped)
//
// Each figure is reported as rows/s, MB/s (of JSON input, for every stage,
// so they line up), rows/s/core (rows per CPU second: user+sys) and, for
// the runs of the binary, peak-RSS-MB (the child's VmHWM, sampled from
// /proc); the windowed runs in process add state-B/group and heap-B/group.
package bench

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// Dataset is a directory of events JSON lines files.
type Dataset struct {
	Dir   string // the files, at the top of the directory
	Files int
	Rows  int64
	Bytes int64 // total size of the files
}

// Paths returns the dataset's files in order.
func (d Dataset) Paths() []string {
	paths := make([]string, d.Files)
	for i := range paths {
		paths[i] = filepath.Join(d.Dir, fileName(i))
	}
	return paths
}

func fileName(i int) string { return fmt.Sprintf("events-%06d.json", i) }

// BaseTime is the time of the first event: the Databricks sample's
// {"time":1469501675,"action":"Open"}.
const BaseTime = 1469501675

// Generate writes files files of rowsPerFile events each into dir (which
// it creates), deterministically for a seed: lines such as
// {"time":1469501675,"action":"Open"}, times increasing by 0 to 2 seconds
// a row with a jitter of up to 5 seconds either way (so a few are out of
// order), actions mostly alternating Open and Close (one in ten repeats
// the previous action).
func Generate(dir string, files, rowsPerFile int, seed uint64) (Dataset, error) {
	return GenerateSpread(dir, files, rowsPerFile, seed, 1)
}

// GenerateSpread is Generate with the time steps (0 to 2 seconds a row)
// multiplied by spread, so the events cover spread times as many hours:
// BenchmarkWindowedCount's many-groups dataset (spread 180: 10M events over
// some 57 years, about 10 events per action and hour, 1M groups).
func GenerateSpread(dir string, files, rowsPerFile int, seed uint64, spread int64) (Dataset, error) {
	ds := Dataset{Dir: dir, Files: files}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return ds, err
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	t := int64(BaseTime)
	open := true
	// Modification times: one second apart, in the past, so the files
	// are listed in name order and none is older than a maxFileAge.
	mtime := time.Now().Add(-time.Duration(files) * time.Second)
	var line []byte
	for i := range files {
		name := filepath.Join(dir, fileName(i))
		f, err := os.Create(name)
		if err != nil {
			return ds, err
		}
		w := bufio.NewWriterSize(f, 256<<10)
		for range rowsPerFile {
			t += int64(rng.IntN(3)) * spread
			ts := t
			if rng.IntN(8) == 0 {
				ts += int64(rng.IntN(11)) - 5
			}
			if rng.IntN(10) != 0 {
				open = !open
			}
			line = append(line[:0], `{"time":`...)
			line = strconv.AppendInt(line, ts, 10)
			if open {
				line = append(line, `,"action":"Open"}`...)
			} else {
				line = append(line, `,"action":"Close"}`...)
			}
			line = append(line, '\n')
			w.Write(line)
			ds.Bytes += int64(len(line))
		}
		if err := w.Flush(); err != nil {
			f.Close()
			return ds, err
		}
		if err := f.Close(); err != nil {
			return ds, err
		}
		mt := mtime.Add(time.Duration(i) * time.Second)
		if err := os.Chtimes(name, mt, mt); err != nil {
			return ds, err
		}
		ds.Rows += int64(rowsPerFile)
	}
	return ds, nil
}

// CPUTime returns the user+sys CPU time of this process so far.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return RusageCPU(&ru)
}

// RusageCPU returns user+sys of a rusage.
func RusageCPU(ru *syscall.Rusage) time.Duration {
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
