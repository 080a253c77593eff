// Package trigger says when a streaming query's micro-batches run, with
// Spark Structured Streaming's trigger semantics:
//
//   - Default: the next batch starts as soon as the previous one ends.
//     When a batch finds no new data the query polls the sources again
//     after PollInterval (100ms; Spark's pollingDelay is 10ms, which is
//     needlessly busy for file and Kafka sources).
//   - ProcessingTime(d): batches start at multiples of d since the Unix
//     epoch (10:00:00, 10:00:10, … for 10s). A batch that overruns its
//     interval is followed by the next one at once, which is not aligned;
//     the one after it is aligned again. Missed intervals are skipped, not
//     made up.
//   - Once: one batch of everything available, then stop.
//   - AvailableNow: everything available at start, in as many batches as
//     the sources' read limits need, then stop.
//
// The scheduling is the pure function Trigger.NextStart; Scheduler applies
// it with an injectable Clock.
package trigger

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// PollInterval is how long the Default trigger (and ProcessingTime(0))
// waits before polling the sources again after a batch found no new data.
const PollInterval = 100 * time.Millisecond

// Kind names a trigger; the names are the pipeline spec's.
type Kind string

// The trigger kinds.
const (
	KindDefault        Kind = "default"
	KindProcessingTime Kind = "processingTime"
	KindOnce           Kind = "once"
	KindAvailableNow   Kind = "availableNow"
)

// Trigger says when micro-batches run. The zero value is Default().
type Trigger struct {
	kind     Kind
	interval time.Duration
}

// Default returns the default trigger: the next batch as soon as the
// previous one ends, polling every PollInterval while there is no new
// data.
func Default() Trigger { return Trigger{kind: KindDefault} }

// ProcessingTime returns a trigger that starts batches at multiples of d
// since the Unix epoch; a batch that overruns is followed by the next at
// once. ProcessingTime(0) runs batches back to back like Default. A
// negative d is invalid: Validate reports it.
func ProcessingTime(d time.Duration) Trigger {
	return Trigger{kind: KindProcessingTime, interval: d}
}

// Once returns a trigger that runs a single batch of everything
// available, then stops the query.
func Once() Trigger { return Trigger{kind: KindOnce} }

// AvailableNow returns a trigger that fixes the sources' end offsets when
// the query starts, processes everything up to them in as many batches as
// the read limits (maxFilesPerTrigger, maxOffsetsPerTrigger) need, then
// stops the query.
func AvailableNow() Trigger { return Trigger{kind: KindAvailableNow} }

// Kind returns the trigger's kind.
func (t Trigger) Kind() Kind {
	if t.kind == "" {
		return KindDefault
	}
	return t.kind
}

// Interval returns the ProcessingTime interval, or 0 for other triggers.
func (t Trigger) Interval() time.Duration { return t.interval }

// StopsWhenDone reports whether the query stops by itself once the data
// available at start is processed (Once and AvailableNow).
func (t Trigger) StopsWhenDone() bool {
	k := t.Kind()
	return k == KindOnce || k == KindAvailableNow
}

// Validate reports an invalid trigger: a negative ProcessingTime interval.
func (t Trigger) Validate() error {
	switch t.Kind() {
	case KindDefault, KindOnce, KindAvailableNow:
		return nil
	case KindProcessingTime:
		if t.interval < 0 {
			return fmt.Errorf("trigger: processingTime interval %v is negative", t.interval)
		}
		return nil
	}
	return fmt.Errorf("trigger: unknown kind %q", string(t.kind))
}

// String returns the trigger in the form Parse reads: "default", "once",
// "available-now", or the ProcessingTime interval such as "10s".
func (t Trigger) String() string {
	switch t.Kind() {
	case KindProcessingTime:
		return t.interval.String()
	case KindAvailableNow:
		return "available-now"
	}
	return string(t.Kind())
}

// Parse reads a trigger as given to a generated binary's -trigger flag:
//
//	default                  Default()
//	once                     Once()
//	available-now            AvailableNow() (also availableNow, available_now)
//	10s, 500ms, 1m30s        ProcessingTime(d), d > 0
//	processingTime=10s       the same, spelled out
//
// Names are case-insensitive.
func Parse(s string) (Trigger, error) {
	in := strings.TrimSpace(s)
	lower := strings.ToLower(in)
	switch lower {
	case "default":
		return Default(), nil
	case "once":
		return Once(), nil
	case "available-now", "availablenow", "available_now":
		return AvailableNow(), nil
	case "":
		return Trigger{}, fmt.Errorf("trigger: empty trigger: %s", want)
	}
	d := lower
	for _, p := range []string{"processingtime=", "processing-time=", "processingtime:", "processing-time:"} {
		if strings.HasPrefix(d, p) {
			d = strings.TrimSpace(d[len(p):])
			break
		}
	}
	if d == "" || !(d[0] >= '0' && d[0] <= '9' || d[0] == '.' || d[0] == '-' || d[0] == '+') {
		return Trigger{}, fmt.Errorf("trigger: unknown trigger %q: %s", in, want)
	}
	iv, err := time.ParseDuration(d)
	if err != nil {
		if isDigits(d) {
			return Trigger{}, fmt.Errorf("trigger: interval %q has no unit: write it as %ss or %sms", in, d, d)
		}
		return Trigger{}, fmt.Errorf("trigger: invalid interval %q: %s", in, want)
	}
	if iv <= 0 {
		return Trigger{}, fmt.Errorf("trigger: interval %q must be positive (use default to run batches back to back)", in)
	}
	return ProcessingTime(iv), nil
}

const want = "want default, once, available-now or an interval such as 10s"

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// MarshalText implements encoding.TextMarshaler with String's form.
func (t Trigger) MarshalText() ([]byte, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return []byte(t.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler with Parse, so a
// Trigger works with flag.TextVar:
//
//	t := trigger.Default()
//	flag.TextVar(&t, "trigger", t, "default, once, available-now or an interval (10s)")
func (t *Trigger) UnmarshalText(b []byte) error {
	p, err := Parse(string(b))
	if err != nil {
		return err
	}
	*t = p
	return nil
}

// NextStart returns when the batch after one that started at lastStart
// may start, given that it is now now (both as read from the same clock).
// A zero lastStart means no batch ran yet: the first batch starts now.
//
// For ProcessingTime(d) with d > 0 it is the first multiple of d since the
// Unix epoch after lastStart, or now if that moment has passed (the batch
// overran its interval). This is Spark's ProcessingTimeExecutor: the next
// trigger time is computed when a batch starts, and waiting for a time in
// the past returns at once. For every other trigger it is now.
func (t Trigger) NextStart(now, lastStart time.Time) time.Time {
	if lastStart.IsZero() || t.Kind() != KindProcessingTime || t.interval <= 0 {
		return now
	}
	next := nextMultiple(lastStart.UnixNano(), int64(t.interval))
	if next <= now.UnixNano() {
		return now
	}
	return time.Unix(0, next).In(now.Location())
}

// nextMultiple returns the smallest multiple of d strictly greater than
// ns, saturating at the largest representable instant.
func nextMultiple(ns, d int64) int64 {
	r := ns % d
	if r < 0 {
		r += d // floor modulo for instants before 1970
	}
	base := ns - r
	if base > math.MaxInt64-d {
		return math.MaxInt64
	}
	return base + d
}
