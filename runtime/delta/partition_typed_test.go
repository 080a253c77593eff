package delta

import (
	"math"
	"testing"
	"time"
)

// TestTypedPartitionValuesMatchFormatPartitionValue checks every typed
// formatter against FormatPartitionValue on the same values.
func TestTypedPartitionValuesMatchFormatPartitionValue(t *testing.T) {
	type enum string
	ts := time.Date(2026, 11, 21, 10, 30, 5, 123456789, time.FixedZone("x", 3600))
	cases := []struct {
		name  string
		typed *string
		row   any
		typ   DataType
	}{
		{"string", PartitionString("Dev 1/é"), "Dev 1/é", String},
		{"empty string", PartitionString(""), "", String},
		{"enum", PartitionString(enum("Open")), "Open", String},
		{"int32", PartitionInt(int32(-7)), int32(-7), Integer},
		{"int64", PartitionInt(int64(math.MaxInt64)), int64(math.MaxInt64), Long},
		{"double", PartitionDouble(1e21), 1e21, Double},
		{"double small", PartitionDouble(0.001), 0.001, Double},
		{"double int", PartitionDouble(3), 3.0, Double},
		{"double nan", PartitionDouble(math.NaN()), math.NaN(), Double},
		{"bool", PartitionBool(true), true, Boolean},
		{"date", PartitionDate(DateValue(20413)), DateValue(20413), Date},
		{"timestamp", PartitionTimestamp(ts), ts, Timestamp},
	}
	for _, c := range cases {
		want, err := FormatPartitionValue(c.row, c.typ)
		if err != nil {
			t.Fatalf("%s: FormatPartitionValue: %v", c.name, err)
		}
		switch {
		case want == nil && c.typed == nil:
		case want == nil || c.typed == nil:
			t.Errorf("%s: typed %v, FormatPartitionValue %v", c.name, c.typed, want)
		case *want != *c.typed:
			t.Errorf("%s: typed %q, FormatPartitionValue %q", c.name, *c.typed, *want)
		}
	}
	if got := *PartitionTimestamp(ts); got != "2026-11-21 09:30:05.123456" {
		t.Errorf("PartitionTimestamp = %q, want UTC to the microsecond", got)
	}
	if got := *PartitionDouble(1e21); got != "1.0E21" {
		t.Errorf("PartitionDouble(1e21) = %q, want Java's 1.0E21", got)
	}
}
