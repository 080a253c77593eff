package streamimpl

import (
	"strconv"
	"time"

	"github.com/streamgen/streamgen/runtime/delta"
)

// The instants a timestamp may denote: years 0000 to 9999 in UTC, the
// range RFC 3339 can write.
const (
	minUnixSec = -62167219200 // 0000-01-01T00:00:00Z
	maxUnixSec = 253402300799 // 9999-12-31T23:59:59Z
)

// TimeRFC3339 reads a string holding an RFC 3339 timestamp
// ("2006-01-02T15:04:05.999999999Z07:00", exactly the form
// time.Parse(time.RFC3339, …) accepts on its fast path: upper-case T and
// Z, a numeric offset within ±23:59, fraction digits past the ninth
// truncated) and returns it in UTC.
func (s *Scanner) TimeRFC3339() (time.Time, error) {
	start := s.pos
	b, err := s.String()
	if err != nil {
		return time.Time{}, err
	}
	t, ok := ParseRFC3339(b)
	if !ok {
		return time.Time{}, valueErrAt(start, "invalid RFC 3339 timestamp "+strconv.Quote(string(b)))
	}
	return t, nil
}

// Date reads a string holding a calendar date "YYYY-MM-DD" and returns
// it as days since the Unix epoch, the runtime's date value (Delta's
// date type).
func (s *Scanner) Date() (delta.DateValue, error) {
	start := s.pos
	b, err := s.String()
	if err != nil {
		return 0, err
	}
	t, ok := ParseDate(b)
	if !ok {
		return 0, valueErrAt(start, "invalid date "+strconv.Quote(string(b))+" (want YYYY-MM-DD)")
	}
	return delta.DateValue(t.Unix() / 86400), nil
}

// TimeEpochSeconds reads an integer number of seconds since the Unix
// epoch and returns that instant in UTC. A number with a fraction or
// exponent, a string, or an instant outside years 0000–9999 is an error.
func (s *Scanner) TimeEpochSeconds() (time.Time, error) {
	start := s.pos
	n, err := s.Int64()
	if err != nil {
		return time.Time{}, err
	}
	if n < minUnixSec || n > maxUnixSec {
		return time.Time{}, valueErrAt(start, "timestamp "+string(s.data[start:s.pos])+" out of range (years 0000 to 9999)")
	}
	return time.Unix(n, 0).UTC(), nil
}

// TimeEpochMillis reads an integer number of milliseconds since the Unix
// epoch and returns that instant in UTC, with the rules of
// TimeEpochSeconds.
func (s *Scanner) TimeEpochMillis() (time.Time, error) {
	start := s.pos
	n, err := s.Int64()
	if err != nil {
		return time.Time{}, err
	}
	if n < minUnixSec*1000 || n > maxUnixSec*1000+999 {
		return time.Time{}, valueErrAt(start, "timestamp "+string(s.data[start:s.pos])+" out of range (years 0000 to 9999)")
	}
	return time.UnixMilli(n).UTC(), nil
}

// UUID reads a string holding a UUID in its 8-4-4-4-12 hexadecimal form
// (either case) and returns its bytes, as String does.
func (s *Scanner) UUID() ([]byte, error) {
	start := s.pos
	b, err := s.String()
	if err != nil {
		return nil, err
	}
	if !ValidUUID(b) {
		return nil, valueErrAt(start, "invalid UUID "+strconv.Quote(string(b)))
	}
	return b, nil
}

// ValidUUID reports whether b is a UUID in the 8-4-4-4-12 hexadecimal
// form.
func ValidUUID(b []byte) bool {
	if len(b) != 36 {
		return false
	}
	for i, c := range b {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return false
			}
			continue
		}
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// ParseRFC3339 parses an RFC 3339 timestamp as TimeRFC3339 does, without
// allocating, and returns it in UTC.
func ParseRFC3339(b []byte) (time.Time, bool) {
	if len(b) < len("2006-01-02T15:04:05Z") ||
		b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	year, ok1 := digits(b[0:4])
	month, ok2 := digits(b[5:7])
	day, ok3 := digits(b[8:10])
	hour, ok4 := digits(b[11:13])
	minute, ok5 := digits(b[14:16])
	sec, ok6 := digits(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) ||
		month < 1 || month > 12 || day < 1 || day > daysIn(month, year) ||
		hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	b = b[19:]
	nsec := 0
	if len(b) >= 2 && b[0] == '.' && '0' <= b[1] && b[1] <= '9' {
		n := 1
		for n < len(b) && '0' <= b[n] && b[n] <= '9' {
			if n <= 9 {
				nsec = nsec*10 + int(b[n]-'0')
			}
			n++
		}
		for k := n; k <= 9; k++ {
			nsec *= 10
		}
		b = b[n:]
	}
	unix := daysFromCivil(year, month, day)*86400 + int64(hour*3600+minute*60+sec)
	switch {
	case len(b) == 1 && b[0] == 'Z':
	case len(b) == 6 && (b[0] == '+' || b[0] == '-') && b[3] == ':':
		oh, ok1 := digits(b[1:3])
		om, ok2 := digits(b[4:6])
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return time.Time{}, false
		}
		off := int64(oh*3600 + om*60)
		if b[0] == '-' {
			off = -off
		}
		unix -= off
	default:
		return time.Time{}, false
	}
	return time.Unix(unix, int64(nsec)).UTC(), true
}

// ParseDate parses a date "YYYY-MM-DD" without allocating and returns
// midnight UTC of that day.
func ParseDate(b []byte) (time.Time, bool) {
	if len(b) != len("2006-01-02") || b[4] != '-' || b[7] != '-' {
		return time.Time{}, false
	}
	year, ok1 := digits(b[0:4])
	month, ok2 := digits(b[5:7])
	day, ok3 := digits(b[8:10])
	if !(ok1 && ok2 && ok3) || month < 1 || month > 12 || day < 1 || day > daysIn(month, year) {
		return time.Time{}, false
	}
	return time.Unix(daysFromCivil(year, month, day)*86400, 0).UTC(), true
}

// digits parses b, which must be all decimal digits.
func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// daysIn returns the number of days in month of year (proleptic
// Gregorian calendar).
func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the number of days from 1970-01-01 to the given
// date (Howard Hinnant's algorithm), for years 0 to 9999.
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	y += 400 // keep y non-negative for year 0 in January and February
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era-1)*146097 + int64(doe) - 719468
}
