// Package window assigns event times to Spark's event-time windows.
//
// Windows are fixed-length, aligned to the Unix epoch shifted by an
// optional start offset, start inclusive and end exclusive: an hourly
// window holding 10:59:59.999 is [10:00, 11:00), and 11:00 belongs to
// [11:00, 12:00). Times before the epoch are aligned the same way (the
// floor, not truncation towards zero). The arithmetic is exact at
// nanosecond precision for every time.Time (years 0000–9999 and beyond:
// it never converts an instant to int64 nanoseconds). Results are in UTC.
//
// Session windows (a gap) depend on the other events of a key, not on
// one event alone: a session of one event is [t, t+gap), and sessions of
// a key whose ranges overlap merge into one; runtime/aggregate's session
// operator finds and merges them (a session's start is in the generated
// key, its end in the state).
package window

import (
	"math/bits"
	"time"
)

// Tumbling returns the window of length size, aligned to the epoch plus
// offset, that holds ts: start <= ts < end. size must be positive.
func Tumbling(ts time.Time, size, offset time.Duration) (start, end time.Time) {
	start = ts.Add(-sinceBoundary(ts, size, offset)).UTC()
	return start, start.Add(size)
}

// Sliding returns the windows of length size, starting every slide
// (aligned to the epoch plus offset), that hold ts: n windows, the i-th
// (0 <= i < n) starting at first + i*slide and ending size later, in
// increasing order. n is ceil(size/slide) or one less, depending on where
// ts falls (slide need not divide size). size and slide must be positive
// and slide <= size.
//
// Spark computes the same windows (and drops those not holding ts).
func Sliding(ts time.Time, size, slide, offset time.Duration) (first time.Time, n int) {
	r := sinceBoundary(ts, slide, offset) // ts - last start, in [0, slide)
	// Windows start at ts-r-k*slide for k >= 0 while start > ts-size,
	// that is r + k*slide < size.
	n = int((size-r-1)/slide) + 1
	return ts.Add(-r - time.Duration(n-1)*slide).UTC(), n
}

// Session returns the session window of a single event at ts: [ts,
// ts+gap).
func Session(ts time.Time, gap time.Duration) (start, end time.Time) {
	ts = ts.UTC()
	return ts, ts.Add(gap)
}

// sinceBoundary returns (ts - offset) mod period, the time since the
// latest boundary at or before ts, in [0, period).
func sinceBoundary(ts time.Time, period, offset time.Duration) time.Duration {
	p := uint64(period)
	// ts as sec*1e9 + nsec since the epoch, reduced mod p without
	// overflow: sec mod p (floored), times 1e9 mod p (128-bit), plus nsec.
	sec := ts.Unix()
	s := uint64(sec % int64(p))
	if sec%int64(p) < 0 {
		s = uint64(sec%int64(p) + int64(p))
	}
	hi, lo := bits.Mul64(s, 1e9)
	r := bits.Rem64(hi, lo, p)
	r = (r + uint64(ts.Nanosecond())%p) % p
	o := uint64(offset % period)
	if offset%period < 0 {
		o = uint64(offset%period + period)
	}
	r = (r + p - o) % p
	return time.Duration(r)
}
