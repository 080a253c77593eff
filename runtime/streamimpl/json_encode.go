package streamimpl

import (
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/streamgen/streamgen/runtime/delta"
)

// The JSON encoding helpers of generated encoders (<record>_encode.go):
// each appends one JSON value to dst and returns the extended slice,
// allocating nothing beyond growing dst. Their output is what Scanner
// reads back as the same value.

// jsonSafe[c] is true for the ASCII bytes a JSON string holds as they
// are: not a control character, quote or backslash. (<, > and & are not
// escaped: encoded records are not embedded in HTML.)
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// AppendJSONString appends s as a JSON string, escaped exactly as
// encoding/json escapes it with SetEscapeHTML(false): quote, backslash
// and control characters escaped (\b \f \n \r \t, others \u00XX), U+2028
// and U+2029 as \u2028 and \u2029, each byte of invalid UTF-8 replaced by
// \ufffd; <, > and & are written as they are.
func AppendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// AppendJSONFloat64 appends f as a JSON number formatted as
// encoding/json formats a float64: the shortest decimal that parses back
// to f, in exponent form ("1e+21", "1e-7") when |f| < 1e-6 or |f| >= 1e21,
// "-0" for negative zero. JSON has no NaN or infinities: they are written
// as null (encoding/json refuses them), which the decoder reads as nil for
// a nullable field and rejects otherwise.
func AppendJSONFloat64(dst []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, "null"...)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// "1e-07" → "1e-7", as encoding/json writes it.
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

// AppendJSONTime appends t as a JSON string holding an RFC 3339
// timestamp in UTC with as many fraction digits as needed (none to nine,
// trailing zeros dropped: time.RFC3339Nano), the form TimeRFC3339 reads
// back as the same instant and that encoding/json writes for a UTC time.
// An instant outside years 0000–9999 has no RFC 3339 form: it is written
// as time.Time.AppendFormat writes it, which the decoder rejects.
func AppendJSONTime(dst []byte, t time.Time) []byte {
	dst = append(dst, '"')
	dst = t.UTC().AppendFormat(dst, time.RFC3339Nano)
	return append(dst, '"')
}

// AppendJSONEpochSeconds appends t as a JSON integer of whole seconds
// since the Unix epoch (rounded down: a fraction of a second is dropped),
// the form TimeEpochSeconds reads.
func AppendJSONEpochSeconds(dst []byte, t time.Time) []byte {
	return strconv.AppendInt(dst, t.Unix(), 10)
}

// AppendJSONEpochMillis appends t as a JSON integer of whole milliseconds
// since the Unix epoch (rounded down), the form TimeEpochMillis reads.
func AppendJSONEpochMillis(dst []byte, t time.Time) []byte {
	return strconv.AppendInt(dst, t.UnixMilli(), 10)
}

// AppendJSONDate appends d as a JSON string "YYYY-MM-DD", the form Date
// reads. A date outside years 0000–9999 is written as
// time.Time.AppendFormat writes it ("-0001-12-31", "10000-01-01"), which
// the decoder rejects.
func AppendJSONDate(dst []byte, d delta.DateValue) []byte {
	y, m, day, ok := civilFromDays(int64(d))
	if !ok {
		dst = append(dst, '"')
		dst = d.Time().AppendFormat(dst, "2006-01-02")
		return append(dst, '"')
	}
	return append(dst, '"',
		byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-',
		byte('0'+day/10), byte('0'+day%10), '"')
}

// civilFromDays returns the date days after 1970-01-01 (Howard Hinnant's
// algorithm, the inverse of daysFromCivil); ok is false outside years
// 0000–9999.
func civilFromDays(days int64) (y, m, d int, ok bool) {
	const minDays, maxDays = -719528, 2932896 // 0000-01-01, 9999-12-31
	if days < minDays || days > maxDays {
		return 0, 0, 0, false
	}
	z := days + 719468 + 146097 // shifted by one era: z stays positive
	era := z / 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	m = int(mp + 3)
	if m > 12 {
		m -= 12
	}
	y = int(yoe + (era-1)*400)
	if m <= 2 {
		y++
	}
	return y, m, d, true
}
