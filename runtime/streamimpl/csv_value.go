package streamimpl

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/streamgen/streamgen/runtime/delta"
)

// The CSV value parsers: each parses one cell's contents b, a cell
// starting at byte offset off of its line, as a value of one schema
// type, with the JSON decoder's rules for that type's text. Errors are
// ErrValue *DecodeError at off with Field empty (generated code adds it
// with InField); messages quote the cell ("expected integer, found
// \"abc\"").

// CSVText checks that b, a string field's cell, is valid UTF-8.
func CSVText(b []byte, off int) error {
	if utf8.Valid(b) {
		return nil
	}
	return ValueError(off, "invalid UTF-8 in string")
}

// CSVInt64 parses b as an integer in JSON syntax: an optional '-', then
// digits without leading zeros; no '+', fraction, exponent or spaces.
func CSVInt64(b []byte, off int) (int64, error) {
	s := Scanner{data: b}
	n, err := s.readInt("int64")
	if err != nil || s.pos != len(b) {
		return 0, csvNumberErr(b, off, "integer", "int64")
	}
	return n, nil
}

// CSVInt32 parses b as CSVInt64 does and checks that it fits in an int32.
func CSVInt32(b []byte, off int) (int32, error) {
	s := Scanner{data: b}
	n, err := s.readInt("int32")
	if err != nil || s.pos != len(b) || n < -1<<31 || n > 1<<31-1 {
		return 0, csvNumberErr(b, off, "integer", "int32")
	}
	return int32(n), nil
}

// CSVFloat64 parses b as a number in JSON syntax (so no "NaN", "Inf",
// '+', hexadecimal or spaces), rounding to nearest as
// strconv.ParseFloat does; a number beyond the float64 range ("1e400")
// is an error.
func CSVFloat64(b []byte, off int) (float64, error) {
	s := Scanner{data: b}
	f, err := s.Float64()
	if err != nil || s.pos != len(b) {
		return 0, csvNumberErr(b, off, "number", "float64")
	}
	return f, nil
}

// csvNumberErr returns the error for b, which is not a valid value of
// the number type typ: out of range when it is a number of the kind want
// (an integer for "integer"), else "expected <want>, found <b>".
func csvNumberErr(b []byte, off int, want, typ string) error {
	s := Scanner{data: b}
	if len(b) > 0 && (b[0] == '-' || '0' <= b[0] && b[0] <= '9') {
		if end, integer, err := s.scanNumber(0); err == nil && end == len(b) && (integer || want == "number") {
			return ValueError(off, "number "+string(b)+" out of range of "+typ)
		}
	}
	return ValueError(off, "expected "+want+", found "+strconv.Quote(string(b)))
}

// CSVBool parses b as true or false, in any case ("TRUE", "False"), as
// Spark does.
func CSVBool(b []byte, off int) (bool, error) {
	switch len(b) {
	case 4:
		if strings.EqualFold(string(b), "true") {
			return true, nil
		}
	case 5:
		if strings.EqualFold(string(b), "false") {
			return false, nil
		}
	}
	return false, ValueError(off, "expected boolean, found "+strconv.Quote(string(b)))
}

// CSVTimeRFC3339 parses b as an RFC 3339 timestamp, as the JSON
// decoder's TimeRFC3339 does, and returns it in UTC.
func CSVTimeRFC3339(b []byte, off int) (time.Time, error) {
	t, ok := ParseRFC3339(b)
	if !ok {
		return time.Time{}, ValueError(off, "invalid RFC 3339 timestamp "+strconv.Quote(string(b)))
	}
	return t, nil
}

// CSVTimeEpochSeconds parses b as an integer number of seconds since the
// Unix epoch (as CSVInt64), within years 0000–9999, and returns that
// instant in UTC.
func CSVTimeEpochSeconds(b []byte, off int) (time.Time, error) {
	n, err := CSVInt64(b, off)
	if err != nil {
		return time.Time{}, err
	}
	if n < minUnixSec || n > maxUnixSec {
		return time.Time{}, ValueError(off, "timestamp "+string(b)+" out of range (years 0000 to 9999)")
	}
	return time.Unix(n, 0).UTC(), nil
}

// CSVTimeEpochMillis parses b as an integer number of milliseconds since
// the Unix epoch, with the rules of CSVTimeEpochSeconds.
func CSVTimeEpochMillis(b []byte, off int) (time.Time, error) {
	n, err := CSVInt64(b, off)
	if err != nil {
		return time.Time{}, err
	}
	if n < minUnixSec*1000 || n > maxUnixSec*1000+999 {
		return time.Time{}, ValueError(off, "timestamp "+string(b)+" out of range (years 0000 to 9999)")
	}
	return time.UnixMilli(n).UTC(), nil
}

// CSVDate parses b as a calendar date "YYYY-MM-DD" and returns it as days
// since the Unix epoch.
func CSVDate(b []byte, off int) (delta.DateValue, error) {
	t, ok := ParseDate(b)
	if !ok {
		return 0, ValueError(off, "invalid date "+strconv.Quote(string(b))+" (want YYYY-MM-DD)")
	}
	return delta.DateValue(t.Unix() / 86400), nil
}

// CSVUUID checks that b is a UUID in its 8-4-4-4-12 hexadecimal form.
func CSVUUID(b []byte, off int) error {
	if !ValidUUID(b) {
		return ValueError(off, "invalid UUID "+strconv.Quote(string(b)))
	}
	return nil
}
