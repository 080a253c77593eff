package monitor

import (
	"testing"
	"time"
)

func TestFormat(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{formatBytes(0, 0), "0/0 B"},
		{formatBytes(512, 999), "512/999 B"},
		{formatBytes(0, 1000), "0.0/1.0 kB"},
		{formatBytes(999_940, 999_949), "999.9/999.9 kB"},
		{formatBytes(999_960, 999_960), "1.0/1.0 MB"}, // not 1000.0 kB
		{formatBytes(1_100_000_000, 2_400_000_000), "1.1/2.4 GB"},
		{formatBytes(1, 9_000_000_000_000_000_000), "0.0/9.0 EB"},
		{formatCount(0), "0.0"},
		{formatCount(9.94), "9.9"},
		{formatCount(9.96), "10"},
		{formatCount(999.4), "999"},
		{formatCount(999.6), "1.0k"},
		{formatCount(999_960), "1.0M"},
		{formatCount(3.2e15), "3200.0T"},
		{formatDuration(0), "0s"},
		{formatDuration(59 * time.Second), "59s"},
		{formatDuration(60 * time.Second), "1m00s"},
		{formatDuration(3599 * time.Second), "59m59s"},
		{formatDuration(3600 * time.Second), "1h00m"},
		{formatDuration(99*time.Hour + 59*time.Minute + 59*time.Second), "99h59m"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
