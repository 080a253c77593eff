package monitor_test

import (
	"bytes"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/monitor"
	"github.com/streamgen/streamgen/runtime/stream"
)

// fakeClock is a settable clock for a ProgressBar.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }

// at sets the clock to t0 plus d.
func (c *fakeClock) at(d time.Duration) { c.now = t0.Add(d) }

// files returns the metrics of a source that read read files of
// readBytes bytes and has behind files of behindBytes bytes left.
func files(read, readBytes, behind, behindBytes int64) map[string]string {
	return map[string]string{
		"numFilesRead":         strconv.FormatInt(read, 10),
		"numBytesRead":         strconv.FormatInt(readBytes, 10),
		"numFilesBehindLatest": strconv.FormatInt(behind, 10),
		"numBytesBehindLatest": strconv.FormatInt(behindBytes, 10),
	}
}

func batch(id string, rows int64, sources ...map[string]string) stream.Progress {
	p := stream.Progress{ID: id, NumInputRows: rows}
	for _, m := range sources {
		p.Sources = append(p.Sources, stream.SourceProgress{Description: "FileSource", NumInputRows: rows, Metrics: m})
	}
	return p
}

func TestProgressBar(t *testing.T) {
	clock := &fakeClock{}
	clock.at(0)
	var out bytes.Buffer
	bar := monitor.NewProgressBar(&out, monitor.BarClock(clock.Now))
	var want string
	step := func(line string) {
		t.Helper()
		want += line
		if diff := cmp.Diff(want, out.String()); diff != "" {
			t.Fatalf("output (-want +got):\n%s", diff)
		}
	}

	// The second before the start does not count in the rates.
	clock.at(time.Second)
	bar.OnStarted(stream.StartedEvent{ID: "q"})

	// 2s in: files 2250/5000, bytes 1.1/2.4 GB (45.8%), 6.4M rows; ETA
	// 1.3 GB at 0.55 GB/s = 2.4s, rounded up.
	clock.at(3 * time.Second)
	bar.OnProgress(batch("q", 6_400_000,
		files(2000, 1_000_000_000, 2500, 1_200_000_000),
		files(250, 100_000_000, 250, 100_000_000)))
	step("\r[=========>          ]  45%  2250/5000 files  1.1/2.4 GB  3.2M rows/s  ETA 3s\x1b[K")

	// 10s in: files 4950/5000, bytes 2.34/2.4 GB (97.5%), 10M rows; ETA
	// 0.06 GB at 0.234 GB/s = 0.26s.
	clock.at(11 * time.Second)
	bar.OnProgress(batch("q", 3_600_000,
		files(2500, 1_200_000_000, 0, 0),
		files(200, 40_000_000, 50, 60_000_000)))
	step("\r[===================>]  97%  4950/5000 files  2.3/2.4 GB  1.0M rows/s  ETA 1s\x1b[K")

	// 12s in: all read; the first source reports nothing.
	clock.at(13 * time.Second)
	bar.OnProgress(batch("q", 2_000_000, nil, files(50, 60_000_000, 0, 0)))
	step("\r[====================] 100%  5000/5000 files  2.4/2.4 GB  1.0M rows/s  ETA 0s\x1b[K")

	// Terminated 12.4s in: 12M rows / 12.4s.
	clock.at(13*time.Second + 400*time.Millisecond)
	bar.OnTerminated(stream.TerminatedEvent{ID: "q"})
	step("\r[====================] 100%  5000/5000 files  2.4/2.4 GB  967.7k rows/s  in 12s\x1b[K\n")
}

func TestProgressBarFilesOnly(t *testing.T) {
	clock := &fakeClock{}
	clock.at(0)
	var out bytes.Buffer
	bar := monitor.NewProgressBar(&out, monitor.BarClock(clock.Now), monitor.BarWidth(10))

	// No byte total: percent by files, 1/4 (ETA 3 files at 0.5/s).
	clock.at(2 * time.Second)
	bar.OnProgress(batch("q", 3, files(1, 0, 3, 0)))
	// Then hardly any progress: ETA beyond 99 hours.
	clock.at(1_000_000 * time.Second)
	bar.OnProgress(batch("q", 0, files(0, 0, 1_000_000, 0)))
	// Bytes in kB; rate with one decimal; elapsed in hours.
	clock.at(1_000_000*time.Second + 200*time.Millisecond)
	bar.OnProgress(batch("q", 4_000_000, files(1_000_000, 1_500, 0, 0)))
	bar.OnTerminated(stream.TerminatedEvent{ID: "q"})
	want := "\r[==>       ]  25%  1/4 files  0/0 B  1.5 rows/s  ETA 6s\x1b[K" +
		"\r[>         ]   0%  1/1000001 files  0/0 B  0.0 rows/s  ETA >99h\x1b[K" +
		"\r[==========] 100%  1000001/1000001 files  1.5/1.5 kB  4.0 rows/s  ETA 0s\x1b[K" +
		"\r[==========] 100%  1000001/1000001 files  1.5/1.5 kB  4.0 rows/s  in 277h46m\x1b[K\n"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}

func TestProgressBarWithoutMetrics(t *testing.T) {
	clock := &fakeClock{}
	clock.at(0)
	var out bytes.Buffer
	bar := monitor.NewProgressBar(&out, monitor.BarClock(clock.Now))
	bar.OnProgress(batch("q", 500, nil)) // no time elapsed: no rate
	clock.at(4 * time.Second)
	bar.OnProgress(batch("q", 1500, nil))
	clock.at(3*time.Minute + 4*time.Second)
	bar.OnProgress(batch("q", 0))
	bar.OnTerminated(stream.TerminatedEvent{ID: "q"})
	want := "\r1 batch  500 rows\x1b[K" +
		"\r2 batches  2000 rows  500 rows/s\x1b[K" +
		"\r3 batches  2000 rows  11 rows/s\x1b[K" +
		"\r3 batches  2000 rows  11 rows/s  in 3m04s\x1b[K\n"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}
