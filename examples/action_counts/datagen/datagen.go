// Package datagen generates door events like the classic Structured
// Streaming demo's files: JSON lines {"time":1469501675,"action":"Open"},
// time in seconds since the Unix epoch, action "Open" or "Close". The
// action_counts, late_events and sliding_window examples read them; the
// published files themselves (../shared/datasets/events) are not copied
// into the repository.
//
// File n covers [Start + n·Span, Start + (n+1)·Span) of event time, in
// non-decreasing time order like the published files, except its late
// events: Late percent of the events are moved back by up to LateBy
// (they stay at their place in the file), so a pipeline with a watermark
// drops those that are older than its watermark.
//
// A file's content is a pure function of the Options and its number, so
// the same seed always gives the same files, and files numbered from
// where an earlier run stopped continue it. Files are written under a
// hidden temporary name and renamed into place: the files source skips
// names starting with "." or "_", so it never reads a half-written file.
package datagen

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// DefaultStart is the first event time of the published files,
// 2016-07-26T02:45:07Z.
var DefaultStart = time.Unix(1469501107, 0).UTC()

// Options say what the files hold.
type Options struct {
	// Seed seeds the random events; the same seed gives the same files.
	Seed uint64
	// Events is the number of events per file (default 2000, as in the
	// published files).
	Events int
	// Start is the event time the first file starts at (default
	// DefaultStart), in whole seconds.
	Start time.Time
	// Span is the event time a file covers (default 1h).
	Span time.Duration
	// Late is the percentage (0–100) of late events.
	Late int
	// LateBy is how far back a late event goes at most (default 30m); it
	// goes back at least one second.
	LateBy time.Duration
}

// Event is one line of a file.
type Event struct {
	// Time is in seconds since the Unix epoch.
	Time int64
	// Action is "Open" or "Close".
	Action string
	// Late says the event was moved back in time.
	Late bool
}

// File is one generated file.
type File struct {
	// Number is the file's number, from 0.
	Number int
	// Name is the file's name, events-00000.json for file 0 (names sort
	// in number order).
	Name string
	// Content is the file's JSON lines.
	Content []byte
	// Events are the file's events, in file order.
	Events []Event
}

func (o Options) withDefaults() Options {
	if o.Events <= 0 {
		o.Events = 2000
	}
	if o.Start.IsZero() {
		o.Start = DefaultStart
	}
	if o.Span <= 0 {
		o.Span = time.Hour
	}
	if o.LateBy < time.Second {
		o.LateBy = 30 * time.Minute
	}
	o.Late = min(max(o.Late, 0), 100)
	return o
}

// File returns file number n (n ≥ 0).
func (o Options) File(n int) File {
	o = o.withDefaults()
	// The stream is the file number spread by a golden-ratio multiply, so
	// neighbouring files' streams share no structure.
	rng := rand.New(rand.NewPCG(o.Seed, uint64(n+1)*0x9e3779b97f4a7c15))
	from := o.Start.Unix() + int64(n)*int64(o.Span/time.Second)
	span := max(int64(o.Span/time.Second), 1)
	times := make([]int64, o.Events)
	for i := range times {
		times[i] = from + rng.Int64N(span)
	}
	slices.Sort(times)
	f := File{Number: n, Name: Name(n)}
	for _, t := range times {
		e := Event{Time: t, Action: "Open"}
		if rng.IntN(2) == 0 {
			e.Action = "Close"
		}
		if rng.IntN(100) < o.Late {
			e.Time -= 1 + rng.Int64N(int64(o.LateBy/time.Second))
			e.Late = true
		}
		f.Events = append(f.Events, e)
		f.Content = fmt.Appendf(f.Content, "{\"time\":%d,\"action\":%q}\n", e.Time, e.Action)
	}
	return f
}

// Name returns the name of file n.
func Name(n int) string { return fmt.Sprintf("events-%05d.json", n) }

// Files returns files first … first+count-1.
func (o Options) Files(first, count int) []File {
	files := make([]File, count)
	for i := range files {
		files[i] = o.File(first + i)
	}
	return files
}

// Write writes f into dir (created if need be) under a hidden temporary
// name, then renames it into place.
func Write(dir string, f File) error { return write(dir, f, time.Time{}) }

// write is Write, setting the modification time to mt before the rename
// unless mt is zero.
func write(dir string, f File, mt time.Time) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp := filepath.Join(dir, "."+f.Name+".tmp")
	if err := os.WriteFile(tmp, f.Content, 0o644); err != nil {
		return err
	}
	if !mt.IsZero() {
		if err := os.Chtimes(tmp, mt, mt); err != nil {
			os.Remove(tmp)
			return err
		}
	}
	if err := os.Rename(tmp, filepath.Join(dir, f.Name)); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// WriteAll writes files into dir in order, waiting interval before each
// file after the first; it stops early when ctx is done. Without an
// interval the files' modification times are set one second apart, in
// file order, so the files source (which takes files by modification
// time, then name) reads them in number order even when they are written
// within the file system's timestamp granularity.
func WriteAll(ctx context.Context, dir string, files []File, interval time.Duration) error {
	base := time.Now().Add(-time.Duration(len(files)) * time.Second).Truncate(time.Second)
	for i, f := range files {
		if i > 0 && interval > 0 {
			select {
			case <-time.After(interval):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		var mt time.Time
		if interval <= 0 {
			mt = base.Add(time.Duration(i) * time.Second)
		}
		if err := write(dir, f, mt); err != nil {
			return err
		}
	}
	return nil
}
