package spec

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"500ms", 500 * time.Millisecond, false},
		{"10s", 10 * time.Second, false},
		{"1h30m", 90 * time.Minute, false},
		{"7d", 7 * 24 * time.Hour, false},
		{"1d12h", 36 * time.Hour, false},
		{"0", 0, false},
		{"0s", 0, false},
		{"10", 0, true},
		{"10 minutes", 0, true},
		{"-1h", 0, true},
		{"d", 0, true},
		{"1dd", 0, true},
		{"", 0, true},
	} {
		got, err := ParseDuration(tc.in)
		if (err != nil) != tc.err || time.Duration(got) != tc.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, error %v", tc.in, time.Duration(got), err, tc.want, tc.err)
		}
	}
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		err  bool
	}{
		{"128MiB", 128 << 20, false},
		{"1GB", 1e9, false},
		{"64KiB", 64 << 10, false},
		{"1048576", 1 << 20, false},
		{"10 MB", 10e6, false},
		{"12B", 12, false},
		{"lots", 0, true},
		{"-1MB", 0, true},
		{"1.5GB", 0, true},
		{"99999999999TiB", 0, true},
	} {
		got, err := ParseSize(tc.in)
		if (err != nil) != tc.err || int64(got) != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestParseTime(t *testing.T) {
	got, err := ParseTime("2024-01-31")
	if err != nil || !got.Equal(time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("date: %v %v", got, err)
	}
	got, err = ParseTime("2024-01-31T10:00:00+01:00")
	if err != nil || !got.Equal(time.Date(2024, 1, 31, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("rfc3339: %v %v", got, err)
	}
	if _, err := ParseTime("yesterday"); err == nil {
		t.Error("yesterday parsed")
	}
}
