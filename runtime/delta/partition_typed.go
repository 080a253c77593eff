package delta

import (
	"strconv"
	"time"
)

// The typed partition-value formatters give generated code, which knows
// its columns' Go types, the partition values FormatPartitionValue gives
// for the matching Row values, without an error path: each accepts only
// the Go type of its Delta type.

// PartitionString formats a string column's value (an enum's too). The
// empty string gives nil, as Spark stores empty partition strings as
// null.
func PartitionString[S ~string](s S) *string {
	if s == "" {
		return nil
	}
	v := string(s)
	return &v
}

// PartitionInt formats an integer, short, byte or long column's value.
func PartitionInt[I ~int8 | ~int16 | ~int32 | ~int64](n I) *string {
	v := strconv.FormatInt(int64(n), 10)
	return &v
}

// PartitionDouble formats a double column's value as Java's
// Double.toString does.
func PartitionDouble(f float64) *string {
	v := javaFloatString(f, 64)
	return &v
}

// PartitionBool formats a boolean column's value.
func PartitionBool(b bool) *string {
	v := strconv.FormatBool(b)
	return &v
}

// PartitionDate formats a date column's value as "2006-01-02".
func PartitionDate(d DateValue) *string {
	v := d.String()
	return &v
}

// PartitionTimestamp formats a timestamp column's value in UTC, to the
// microsecond, as "2006-01-02 15:04:05[.ffffff]".
func PartitionTimestamp(t time.Time) *string {
	v := t.UTC().Truncate(time.Microsecond).Format(partitionTimestampLayout)
	return &v
}
