package delta

import (
	"fmt"
	"math/big"
	"net/url"
	"strings"
	"time"
)

// Row is one table row as generic values, aligned with the fields of a
// [StructType]. Values use these Go types (nil is SQL NULL everywhere):
//
//	string        string
//	long          int64
//	integer       int32
//	short         int16
//	byte          int8
//	float         float32
//	double        float64
//	boolean       bool
//	binary        []byte
//	date          DateValue (days since 1970-01-01)
//	timestamp     time.Time in UTC, microsecond precision
//	timestamp_ntz time.Time in UTC (wall clock, no zone)
//	decimal(p,s)  Decimal
//	struct        Row, aligned with the struct's fields
//	array         []any
//	map           []MapEntry, in file order
//	void          always nil
//
// Typed Go rows (generated structs) are the fast path; Row is for tools,
// maintenance (OPTIMIZE) and tests.
type Row []any

// DateValue is a calendar date as days since the Unix epoch.
type DateValue int32

// Time returns midnight UTC of the date.
func (d DateValue) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// String formats the date as YYYY-MM-DD.
func (d DateValue) String() string { return d.Time().Format("2006-01-02") }

// DateOf returns the date of t in UTC.
func DateOf(t time.Time) DateValue {
	y, m, dd := t.UTC().Date()
	return DateValue(time.Date(y, m, dd, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// Decimal is an exact fixed-point number: Unscaled × 10^-Scale.
type Decimal struct {
	Unscaled *big.Int
	Scale    int
}

// String formats the decimal with exactly Scale digits after the point.
func (d Decimal) String() string {
	if d.Unscaled == nil {
		return "<nil>"
	}
	neg := d.Unscaled.Sign() < 0
	digits := new(big.Int).Abs(d.Unscaled).String()
	if d.Scale > 0 {
		if len(digits) <= d.Scale {
			digits = strings.Repeat("0", d.Scale-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-d.Scale] + "." + digits[len(digits)-d.Scale:]
	}
	if neg {
		return "-" + digits
	}
	return digits
}

// ParseDecimal parses a decimal literal such as "-12.345" at the given
// scale, rounding is not allowed: extra non-zero fraction digits are an
// error.
func ParseDecimal(s string, scale int) (Decimal, error) {
	r, ok := new(big.Rat).SetString(strings.TrimSpace(s))
	if !ok {
		return Decimal{}, fmt.Errorf("invalid decimal %q", s)
	}
	r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)))
	if !r.IsInt() {
		return Decimal{}, fmt.Errorf("decimal %q has more than %d fraction digits", s, scale)
	}
	return Decimal{Unscaled: new(big.Int).Set(r.Num()), Scale: scale}, nil
}

// MapEntry is one key/value pair of a map value.
type MapEntry struct {
	Key   any
	Value any
}

// DecodePath percent-decodes a path from the log once (PROTOCOL.md: paths
// are RFC 2396 URI references). '+' stays '+'. Raw non-ASCII characters
// that other writers leave unencoded pass through.
func DecodePath(p string) (string, error) {
	s, err := url.PathUnescape(p)
	if err != nil {
		return "", fmt.Errorf("delta: invalid path %q: %w", p, err)
	}
	return s, nil
}

// EncodePath percent-encodes a relative file path for the log, keeping
// '/' separators and the characters Spark leaves as they are.
func EncodePath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = (&url.URL{Path: s}).EscapedPath()
		// url.URL.EscapedPath leaves ':' in a first segment encoded as
		// "./a:b"; a relative segment never needs that prefix here.
		parts[i] = strings.TrimPrefix(parts[i], "./")
	}
	return strings.Join(parts, "/")
}
