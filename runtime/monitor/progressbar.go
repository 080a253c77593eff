package monitor

import (
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/streamgen/streamgen/runtime/stream"
)

// DefaultBarWidth is the number of characters between a ProgressBar's
// brackets.
const DefaultBarWidth = 20

// ProgressBar is a listener that redraws one line on a terminal after
// every batch, such as
//
//	[=========>          ]  45%  2250/5000 files  1.1/2.4 GB  3.2M rows/s  ETA 12s
//
// meant for an available-now run on a terminal (register it with
// stream.Listeners; runtime/command does when standard error is a
// terminal). Each line starts with a carriage
// return and ends with "\x1b[K" (clear to the end of the line), without a
// line feed; OnTerminated draws the final line, with the time elapsed
// since the start ("in 1m12s") in place of the ETA, and ends it with a
// line feed.
//
// The figures come from the sources' Metrics (see the Key* constants):
// files done is the sum of numFilesRead over all batches and sources, and
// the total is that plus the latest numFilesBehindLatest of each source;
// bytes likewise with numBytesRead and numBytesBehindLatest. The percent
// and the bar measure bytes when their total is known and not zero, else
// files. The rate is the rows read (NumInputRows) per second since the
// start (the ProgressBar's creation, or OnStarted), and the ETA is the
// bytes (else files) left over the bytes (files) done per second since
// the start, rounded up to a second ("ETA >99h" beyond 99 hours). When no
// source reports these metrics the line shows batches and rows only:
//
//	12 batches  34500 rows  3.2k rows/s
//
// Bytes are in decimal units (B, kB, MB, GB, TB, PB, EB: powers of 1000),
// done and total in the unit of the total; rates use the suffixes k, M, G,
// T (powers of 1000). The line has a fixed layout; it is not fitted to the
// terminal's width. Write errors are ignored. A ProgressBar is meant for
// one query (several would share one line and one set of totals). It is
// safe for concurrent use.
type ProgressBar struct {
	mu    sync.Mutex
	w     io.Writer
	now   func() time.Time
	width int
	start time.Time

	batches, rows int64
	files, bytes  progressTotal
}

// progressTotal counts files or bytes done and left.
type progressTotal struct {
	known  bool             // a source reported the done or left count
	done   int64            // read so far, all sources
	behind map[string]int64 // left after the latest batch, by query ID and source index
}

// add counts the done and behind metrics of source src of query id.
func (t *progressTotal) add(id string, src int, metrics map[string]string, doneKey, behindKey string) {
	if n, ok := metricValue(metrics, doneKey); ok && n >= 0 {
		t.known = true
		t.done += n
	}
	if n, ok := metricValue(metrics, behindKey); ok && n >= 0 {
		t.known = true
		if t.behind == nil {
			t.behind = map[string]int64{}
		}
		t.behind[fmt.Sprintf("%s/%d", id, src)] = n
	}
}

// total returns done plus every source's latest count left.
func (t *progressTotal) total() int64 {
	total := t.done
	for _, n := range t.behind {
		total += n
	}
	return total
}

// BarOption configures a ProgressBar.
type BarOption func(*ProgressBar)

// BarClock makes a ProgressBar read the time from now instead of
// time.Now, as tests do.
func BarClock(now func() time.Time) BarOption {
	return func(b *ProgressBar) { b.now = now }
}

// BarWidth sets the number of characters between the bar's brackets
// (DefaultBarWidth unless set; values below 1 are ignored).
func BarWidth(n int) BarOption {
	return func(b *ProgressBar) {
		if n >= 1 {
			b.width = n
		}
	}
}

var (
	_ stream.ListenerStarted    = (*ProgressBar)(nil)
	_ stream.ListenerProgress   = (*ProgressBar)(nil)
	_ stream.ListenerTerminated = (*ProgressBar)(nil)
)

// NewProgressBar returns a ProgressBar drawing on w, its start now.
func NewProgressBar(w io.Writer, opts ...BarOption) *ProgressBar {
	b := &ProgressBar{w: w, now: time.Now, width: DefaultBarWidth}
	for _, o := range opts {
		o(b)
	}
	b.start = b.now()
	return b
}

// OnStarted restarts the clock of the rates: the time spent before the
// query started does not count.
func (b *ProgressBar) OnStarted(stream.StartedEvent) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.start = b.now()
}

// OnProgress counts the batch and redraws the line.
func (b *ProgressBar) OnProgress(p stream.Progress) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.batches++
	if p.NumInputRows > 0 {
		b.rows += p.NumInputRows
	}
	for i, s := range p.Sources {
		b.files.add(p.ID, i, s.Metrics, KeyFilesRead, KeyFilesBehindLatest)
		b.bytes.add(p.ID, i, s.Metrics, KeyBytesRead, KeyBytesBehindLatest)
	}
	_, _ = io.WriteString(b.w, "\r"+b.line(false)+"\x1b[K")
}

// OnTerminated draws the final line and ends it.
func (b *ProgressBar) OnTerminated(stream.TerminatedEvent) {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, _ = io.WriteString(b.w, "\r"+b.line(true)+"\x1b[K\n")
}

// maxETA is the longest ETA written; longer ones are written ">99h".
const maxETA = 99 * time.Hour

// line returns the progress line, final once the query terminated.
func (b *ProgressBar) line(final bool) string {
	elapsed := b.now().Sub(b.start)
	secs := elapsed.Seconds()
	var parts []string
	measured := b.files.known || b.bytes.known
	// Measure by bytes when their total is known, else by files.
	done, total := b.files.done, b.files.total()
	if bt := b.bytes.total(); b.bytes.known && bt > 0 {
		done, total = b.bytes.done, bt
	}
	if measured {
		pct := 100
		if total > 0 {
			pct = min(100, int(math.Floor(float64(done)*100/float64(total))))
		}
		parts = append(parts, b.bar(pct)+fmt.Sprintf(" %3d%%", pct))
		if b.files.known {
			parts = append(parts, fmt.Sprintf("%d/%d files", b.files.done, b.files.total()))
		}
		if b.bytes.known {
			parts = append(parts, formatBytes(b.bytes.done, b.bytes.total()))
		}
	} else {
		batches := fmt.Sprintf("%d batches", b.batches)
		if b.batches == 1 {
			batches = "1 batch"
		}
		parts = append(parts, batches, fmt.Sprintf("%d rows", b.rows))
	}
	if secs > 0 {
		parts = append(parts, formatCount(float64(b.rows)/secs)+" rows/s")
	}
	switch {
	case final:
		parts = append(parts, "in "+formatDuration(elapsed.Round(time.Second)))
	case !measured:
	case done >= total:
		parts = append(parts, "ETA 0s")
	case done > 0 && secs > 0:
		eta := math.Ceil(float64(total-done) * secs / float64(done))
		if eta > maxETA.Seconds() {
			parts = append(parts, "ETA >99h")
		} else {
			parts = append(parts, "ETA "+formatDuration(time.Duration(eta)*time.Second))
		}
	}
	return strings.Join(parts, "  ")
}

// bar draws the bar of pct percent: "[====>     ]".
func (b *ProgressBar) bar(pct int) string {
	filled := pct * b.width / 100
	if filled >= b.width {
		return "[" + strings.Repeat("=", b.width) + "]"
	}
	return "[" + strings.Repeat("=", filled) + ">" + strings.Repeat(" ", b.width-filled-1) + "]"
}

// byteUnits are the decimal byte units, each 1000 times the previous.
var byteUnits = []string{"B", "kB", "MB", "GB", "TB", "PB", "EB"}

// formatBytes writes done and total bytes in the unit of total: "512/900
// B", "1.1/2.4 GB".
func formatBytes(done, total int64) string {
	if total < 1000 {
		return fmt.Sprintf("%d/%d B", done, total)
	}
	scale, unit := 1.0, 0
	for unit+1 < len(byteUnits) && float64(total)/scale >= 999.95 {
		scale *= 1000
		unit++
	}
	return fmt.Sprintf("%.1f/%.1f %s", float64(done)/scale, float64(total)/scale, byteUnits[unit])
}

// formatCount writes a rate with one decimal below 10, none below 1000,
// else with one decimal and a suffix k, M, G or T: "2.5", "850", "3.2M".
func formatCount(v float64) string {
	switch {
	case v < 9.95:
		return fmt.Sprintf("%.1f", v)
	case v < 999.5:
		return fmt.Sprintf("%.0f", v)
	}
	suffixes := []string{"k", "M", "G", "T"}
	for i, s := range suffixes {
		v /= 1000
		if v < 999.95 || i == len(suffixes)-1 {
			return fmt.Sprintf("%.1f%s", v, s)
		}
	}
	panic("unreachable")
}

// formatDuration writes d, a whole number of seconds, as "12s", "3m04s"
// or "1h02m" (minutes truncated).
func formatDuration(d time.Duration) string {
	s := int64(d / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	}
	return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
}
