package spec

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Duration is a length of time, written as Go durations are ("500ms",
// "10s", "1h30m") with "d" for 24-hour days allowed first ("7d", "1d12h").
// Zero means unset.
type Duration time.Duration

// ParseDuration parses a spec duration. Negative durations are errors.
func ParseDuration(s string) (Duration, error) {
	orig := s
	var days int64
	if i := strings.IndexByte(s, 'd'); i > 0 && allDigits(s[:i]) {
		n, err := strconv.ParseInt(s[:i], 10, 64)
		if err != nil || n > 100000 {
			return 0, fmt.Errorf("invalid duration %q", orig)
		}
		days, s = n, s[i+1:]
	}
	var d time.Duration
	if s != "" || days == 0 {
		var err error
		d, err = time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q (want a number and unit: 500ms, 10s, 5m, 1h, 7d)", orig)
		}
		if d < 0 {
			return 0, fmt.Errorf("negative duration %q", orig)
		}
	}
	return Duration(time.Duration(days)*24*time.Hour + d), nil
}

// String formats d as time.Duration does.
func (d Duration) String() string { return time.Duration(d).String() }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// Size is a number of bytes, written as an integer or with a unit: B, KB,
// MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024):
// "128MiB", "1GB", 1048576. Zero means unset.
type Size int64

var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"B", 1},
}

// ParseSize parses a spec size.
func ParseSize(s string) (Size, error) {
	num, mult := strings.TrimSpace(s), int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(num, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("invalid size %q (want bytes or a number and unit: 64KiB, 128MiB, 1GB)", s)
	}
	return Size(n * mult), nil
}

// Time is an instant: RFC 3339 ("2024-01-31T10:00:00Z"), a date
// ("2024-01-31", midnight UTC) or integer epoch milliseconds.
type Time struct {
	time.Time
}

// ParseTime parses a spec instant written as text (RFC 3339 or a date).
func ParseTime(s string) (Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return Time{t.UTC()}, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return Time{t}, nil
	}
	return Time{}, fmt.Errorf("invalid timestamp %q (want RFC 3339 like 2024-01-31T10:00:00Z, a date like 2024-01-31, or epoch milliseconds)", s)
}

// Version is a Delta table version: a number, or latest.
type Version struct {
	// Latest is true for "latest".
	Latest bool
	// Number is the version when Latest is false.
	Number int64
}

// KafkaOffsets is a Kafka source's startingOffsets: earliest, latest, or
// per partition (topic → partition → offset; -2 earliest, -1 latest).
type KafkaOffsets struct {
	// Mode is "earliest" or "latest", or "" when Partitions is set.
	Mode string
	// Partitions maps topic → partition → offset.
	Partitions map[string]map[int32]int64
}
