package window

import (
	"math/big"
	"math/rand/v2"
	"testing"
	"time"
)

func utc(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
	return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
}

func TestTumbling(t *testing.T) {
	hour := time.Hour
	for _, c := range []struct {
		ts         time.Time
		size, off  time.Duration
		start, end time.Time
	}{
		// The events sample: 2016-07-26T02:54:35Z in [02:00, 03:00).
		{time.Unix(1469501675, 0), hour, 0, utc(2016, 7, 26, 2, 0, 0, 0), utc(2016, 7, 26, 3, 0, 0, 0)},
		// Start inclusive, end exclusive.
		{utc(2016, 7, 26, 3, 0, 0, 0), hour, 0, utc(2016, 7, 26, 3, 0, 0, 0), utc(2016, 7, 26, 4, 0, 0, 0)},
		{utc(2016, 7, 26, 2, 59, 59, 999999999), hour, 0, utc(2016, 7, 26, 2, 0, 0, 0), utc(2016, 7, 26, 3, 0, 0, 0)},
		// The epoch and just before it: floored, not truncated.
		{time.Unix(0, 0), hour, 0, time.Unix(0, 0), time.Unix(3600, 0)},
		{time.Unix(0, -1), hour, 0, time.Unix(-3600, 0), time.Unix(0, 0)},
		{time.Unix(-1, 0), 10 * time.Second, 0, time.Unix(-10, 0), time.Unix(0, 0)},
		{time.Unix(-10, 0), 10 * time.Second, 0, time.Unix(-10, 0), time.Unix(0, 0)},
		{time.Unix(-11, 0), 10 * time.Second, 0, time.Unix(-20, 0), time.Unix(-10, 0)},
		// Offsets shift boundaries (negative offsets are the same as
		// period - |offset|).
		{utc(2016, 7, 26, 2, 10, 0, 0), hour, 15 * time.Minute, utc(2016, 7, 26, 1, 15, 0, 0), utc(2016, 7, 26, 2, 15, 0, 0)},
		{utc(2016, 7, 26, 2, 15, 0, 0), hour, 15 * time.Minute, utc(2016, 7, 26, 2, 15, 0, 0), utc(2016, 7, 26, 3, 15, 0, 0)},
		{utc(2016, 7, 26, 2, 15, 0, 0), hour, -45 * time.Minute, utc(2016, 7, 26, 2, 15, 0, 0), utc(2016, 7, 26, 3, 15, 0, 0)},
		// Days are aligned to UTC midnight; weeks to the epoch (a Thursday).
		{utc(2024, 2, 29, 23, 59, 59, 0), 24 * hour, 0, utc(2024, 2, 29, 0, 0, 0, 0), utc(2024, 3, 1, 0, 0, 0, 0)},
		{utc(1970, 1, 8, 0, 0, 0, 0), 7 * 24 * hour, 0, utc(1970, 1, 8, 0, 0, 0, 0), utc(1970, 1, 15, 0, 0, 0, 0)},
		// Far from the epoch (beyond int64 nanoseconds) and sub-second sizes.
		{utc(9999, 12, 31, 23, 59, 59, 999999999), hour, 0, utc(9999, 12, 31, 23, 0, 0, 0), utc(10000, 1, 1, 0, 0, 0, 0)},
		{utc(1, 1, 1, 0, 30, 0, 0), hour, 0, utc(1, 1, 1, 0, 0, 0, 0), utc(1, 1, 1, 1, 0, 0, 0)},
		{utc(2016, 1, 1, 0, 0, 0, 1234567), time.Millisecond, 0, utc(2016, 1, 1, 0, 0, 0, 1000000), utc(2016, 1, 1, 0, 0, 0, 2000000)},
		{utc(2016, 1, 1, 0, 0, 0, 7), 3, 0, utc(2016, 1, 1, 0, 0, 0, 6), utc(2016, 1, 1, 0, 0, 0, 9)},
		// Location does not matter; the result is UTC.
		{utc(2016, 7, 26, 2, 54, 0, 0).In(time.FixedZone("X", 5400)), hour, 0, utc(2016, 7, 26, 2, 0, 0, 0), utc(2016, 7, 26, 3, 0, 0, 0)},
	} {
		start, end := Tumbling(c.ts, c.size, c.off)
		if start != c.start.UTC() || end != c.end.UTC() {
			t.Errorf("Tumbling(%v, %v, %v) = [%v, %v), want [%v, %v)", c.ts, c.size, c.off, start, end, c.start.UTC(), c.end.UTC())
		}
	}
}

// bruteSliding lists the windows holding ts (in nanoseconds since the
// epoch, near it) by walking every boundary.
func bruteSliding(ts, size, slide, off int64) []int64 {
	floorDiv := func(a, b int64) int64 {
		q := a / b
		if a%b != 0 && (a < 0) != (b < 0) {
			q--
		}
		return q
	}
	var starts []int64
	for k := floorDiv(ts-size-off, slide) - 1; k <= floorDiv(ts-off, slide)+1; k++ {
		s := off + k*slide
		if s <= ts && ts < s+size {
			starts = append(starts, s)
		}
	}
	return starts
}

func TestSlidingBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	durations := []int64{1, 2, 3, 7, 10, 60, 1e9, 3600e9, 5400e9}
	for range 20000 {
		slide := durations[rng.IntN(len(durations))]
		size := slide * (1 + rng.Int64N(5))
		if rng.IntN(3) == 0 {
			size += rng.Int64N(slide) // slide not dividing size
		}
		off := rng.Int64N(2*slide) - slide // negative offsets too
		var ts int64
		switch rng.IntN(3) {
		case 0:
			ts = rng.Int64N(1e19/4) - 1e19/8
		case 1:
			ts = rng.Int64N(40) - 20 // around the epoch
		default:
			ts = off + slide*(rng.Int64N(100)-50) + rng.Int64N(3) - 1 // around boundaries
		}
		want := bruteSliding(ts, size, slide, off)
		first, n := Sliding(time.Unix(0, ts), time.Duration(size), time.Duration(slide), time.Duration(off))
		if n != len(want) {
			t.Fatalf("Sliding(%d, size %d, slide %d, off %d): %d windows, want %d (%v)", ts, size, slide, off, n, len(want), want)
		}
		for i := range n {
			got := first.Add(time.Duration(i) * time.Duration(slide))
			if got != time.Unix(0, want[i]).UTC() {
				t.Fatalf("Sliding(%d, size %d, slide %d, off %d): window %d starts %v, want %v", ts, size, slide, off, i, got, time.Unix(0, want[i]).UTC())
			}
		}
		if size == slide {
			start, end := Tumbling(time.Unix(0, ts), time.Duration(size), time.Duration(off))
			if n != 1 || start != first || end != first.Add(time.Duration(size)) {
				t.Fatalf("Tumbling and Sliding disagree at %d, size %d, off %d", ts, size, off)
			}
		}
	}
}

func TestSlidingCounts(t *testing.T) {
	// size 10m, slide 3m, from an aligned base (2020-01-01T00:00Z is
	// 26297280 minutes after the epoch, a multiple of 3): 4 windows or 3,
	// ceil((size - r)/slide) for r the time since the last boundary.
	base := utc(2020, 1, 1, 0, 0, 0, 0)
	for _, c := range []struct {
		at    time.Duration
		first time.Duration
		n     int
	}{
		{0, -9 * time.Minute, 4},                   // [-9,1) [-6,4) [-3,7) [0,10)
		{time.Minute - 1, -9 * time.Minute, 4},     // still in [-9m, 1m)
		{time.Minute, -6 * time.Minute, 3},         // [-9m, 1m) ends at it
		{2 * time.Minute, -6 * time.Minute, 3},     //
		{3 * time.Minute, -6 * time.Minute, 4},     // a new slot
		{-time.Nanosecond, -9 * time.Minute, 3},    // before the base
		{-3 * time.Minute, -12 * time.Minute, 4},   // on an earlier boundary
		{-3*time.Minute - 1, -12 * time.Minute, 3}, // just before it
	} {
		first, n := Sliding(base.Add(c.at), 10*time.Minute, 3*time.Minute, 0)
		if want := base.Add(c.first); first != want || n != c.n {
			t.Errorf("Sliding(base%+v) = %v, %d; want %v, %d", c.at, first, n, want, c.n)
		}
	}
}

func TestSession(t *testing.T) {
	ts := utc(2020, 1, 1, 0, 0, 0, 5).In(time.FixedZone("X", 3600))
	start, end := Session(ts, time.Minute)
	if start != utc(2020, 1, 1, 0, 0, 0, 5) || end != utc(2020, 1, 1, 0, 1, 0, 5) {
		t.Errorf("Session = [%v, %v)", start, end)
	}
}

// bigNanos returns t in nanoseconds since the epoch, exactly.
func bigNanos(t time.Time) *big.Int {
	n := big.NewInt(t.Unix())
	n.Mul(n, big.NewInt(1e9))
	return n.Add(n, big.NewInt(int64(t.Nanosecond())))
}

// Tumbling against floor((ts - offset) / size) computed with big
// integers: times anywhere in years 1–9999 and around the epoch and
// window boundaries, sizes from a nanosecond to a week (not dividing a
// day too), offsets negative, larger than the size, and equal to it.
func TestTumblingBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	sizes := []time.Duration{1, 7, time.Millisecond, time.Second, 7 * time.Second, time.Minute, 10 * time.Minute,
		time.Hour, 90 * time.Minute, 7 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour}
	lo, hi := utc(1, 1, 1, 0, 0, 0, 0).Unix(), utc(9999, 12, 31, 23, 59, 59, 0).Unix()
	for range 20000 {
		size := sizes[rng.IntN(len(sizes))]
		var off time.Duration
		switch rng.IntN(4) {
		case 0:
		case 1:
			off = size
		default:
			off = time.Duration(rng.Int64N(int64(6*size)+1) - int64(3*size))
		}
		var ts time.Time
		switch rng.IntN(3) {
		case 0:
			ts = time.Unix(lo+rng.Int64N(hi-lo), rng.Int64N(1e9))
		case 1:
			ts = time.Unix(0, rng.Int64N(int64(4*size))-int64(2*size)) // around the epoch
		default: // on a boundary, or a nanosecond either side
			ts = time.Unix(0, 0).Add(off).Add(time.Duration(rng.Int64N(41)-20) * size).Add(time.Duration(rng.IntN(3) - 1))
		}
		n, o, sz := bigNanos(ts), big.NewInt(int64(off)), big.NewInt(int64(size))
		k := new(big.Int).Sub(n, o)
		k.Div(k, sz) // Euclidean division: the floor for a positive divisor
		want := k.Mul(k, sz).Add(k, o)
		start, end := Tumbling(ts, size, off)
		if bigNanos(start).Cmp(want) != 0 || end.Sub(start) != size || start.Location() != time.UTC {
			t.Fatalf("Tumbling(%v, %v, %v) = [%v, %v), want start %v ns since the epoch", ts, size, off, start, end, want)
		}
		if start.After(ts) || !end.After(ts) {
			t.Fatalf("Tumbling(%v, %v, %v) = [%v, %v) does not hold it", ts, size, off, start, end)
		}
	}
}

// Sliding windows far from the epoch and with offsets beyond the slide:
// the windows hold ts, start on the grid offset + k*slide, and are all
// there (the one before the first and the one after the last do not
// hold ts).
func TestSlidingFarAndOffsets(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for range 5000 {
		slide := []time.Duration{time.Second, time.Minute, 5 * time.Minute, 7 * time.Minute, time.Hour}[rng.IntN(5)]
		size := slide*time.Duration(1+rng.IntN(4)) + time.Duration(rng.Int64N(int64(slide)))*time.Duration(rng.IntN(2))
		off := time.Duration(rng.Int64N(int64(5*slide)) - int64(2*slide))
		ts := time.Unix(utc(1, 1, 1, 0, 0, 0, 0).Unix()+rng.Int64N(316e9), rng.Int64N(1e9))
		first, n := Sliding(ts, size, slide, off)
		if n < 1 {
			t.Fatalf("Sliding(%v, %v, %v, %v): %d windows", ts, size, slide, off, n)
		}
		onGrid := func(s time.Time) bool {
			k := new(big.Int).Sub(bigNanos(s), big.NewInt(int64(off)))
			return k.Mod(k, big.NewInt(int64(slide))).Sign() == 0
		}
		for i := range n {
			s := first.Add(time.Duration(i) * slide)
			if !onGrid(s) || s.After(ts) || !s.Add(size).After(ts) {
				t.Fatalf("Sliding(%v, %v, %v, %v): window %d [%v, %v) is off the grid or does not hold it", ts, size, slide, off, i, s, s.Add(size))
			}
		}
		before, after := first.Add(-slide), first.Add(time.Duration(n)*slide)
		if before.Add(size).After(ts) || !after.After(ts) {
			t.Fatalf("Sliding(%v, %v, %v, %v) = %v, %d: a window holding it is missing", ts, size, slide, off, first, n)
		}
	}
}
