package streamimpl

import (
	"encoding/binary"
	"math"
	"strconv"
)

// Int64 reads an integer: a JSON number without fraction or exponent
// ("1.0" and "1e3" are ErrValue errors), parsed exactly, with overflow
// reported as an ErrValue error.
func (s *Scanner) Int64() (int64, error) { return s.readInt("int64") }

// readInt is Int64, naming typ in an out-of-range error.
func (s *Scanner) readInt(typ string) (int64, error) {
	data := s.data
	i := s.pos
	neg := false
	if i < len(data) && data[i] == '-' {
		neg = true
		i++
	}
	start := i
	var n uint64
	if i+8 <= len(data) {
		// Eight digits at once (SWAR), as in epoch timestamps.
		if v := binary.LittleEndian.Uint64(data[i:]); isEightDigits(v) {
			n = eightDigits(v)
			i += 8
		}
	}
	for i < len(data) {
		c := data[i] - '0'
		if c > 9 {
			break
		}
		n = n*10 + uint64(c)
		i++
	}
	digits := i - start
	if digits == 0 || digits > 1 && data[start] == '0' || i < len(data) && (data[i] == '.' || data[i] == 'e' || data[i] == 'E') {
		return 0, s.notInteger()
	}
	switch {
	case digits > 19:
		return 0, s.outOfRange(i, typ)
	case digits == 19:
		// n did not wrap: 19 digits are below 1<<64.
		if n > math.MaxInt64+1 || n == math.MaxInt64+1 && !neg {
			return 0, s.outOfRange(i, typ)
		}
	}
	s.pos = i
	if neg {
		return -int64(n), nil
	}
	return int64(n), nil
}

// Int32 reads an integer like Int64 and checks that it fits in an int32.
func (s *Scanner) Int32() (int32, error) {
	start := s.pos
	n, err := s.readInt("int32")
	if err != nil {
		return 0, err
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		return 0, valueErrAt(start, "number "+string(s.data[start:s.pos])+" out of range of int32")
	}
	return int32(n), nil
}

// notInteger returns the error for a value at s.pos that is not an
// integer: a syntax error, or a value error naming what is there.
func (s *Scanner) notInteger() error {
	i := s.pos
	data := s.data
	if i < len(data) && (data[i] == '-' || '0' <= data[i] && data[i] <= '9') {
		end, integer, err := s.scanNumber(i)
		if err != nil {
			return err
		}
		if integer {
			// A leading zero followed by digits ("01"): JSON ends the
			// number after the zero.
			return s.syntaxAt(end, "invalid character "+quoteByte(data[end])+" after number")
		}
		return valueErrAt(i, "expected integer, found number "+string(data[i:end]))
	}
	return s.mismatch("integer")
}

// outOfRange returns the error for the integer from s.pos to end that
// does not fit in typ.
func (s *Scanner) outOfRange(end int, typ string) error {
	return valueErrAt(s.pos, "number "+string(s.data[s.pos:end])+" out of range of "+typ)
}

// pow10 holds the powers of ten that float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// Float64 reads a number as strconv.ParseFloat(text, 64) does (and so as
// encoding/json does), rounding to nearest; a number beyond the float64
// range ("1e400") is an ErrValue error. Short decimals take an exact fast
// path; others go through strconv.
func (s *Scanner) Float64() (float64, error) {
	data := s.data
	i := s.pos
	neg := false
	if i < len(data) && data[i] == '-' {
		neg = true
		i++
	}
	// Fast path: up to 19 significant digits and a decimal exponent
	// within ±22, no exponent part: m and 10^k are exact float64s when
	// m < 2^53, and one division or multiplication rounds correctly.
	start := i
	var m uint64
	for i < len(data) && '0' <= data[i] && data[i] <= '9' {
		m = m*10 + uint64(data[i]-'0')
		i++
	}
	intDigits := i - start
	if intDigits == 0 || intDigits > 1 && data[start] == '0' {
		return s.float64Slow()
	}
	frac := 0
	if i < len(data) && data[i] == '.' {
		i++
		fs := i
		for i < len(data) && '0' <= data[i] && data[i] <= '9' {
			m = m*10 + uint64(data[i]-'0')
			i++
		}
		frac = i - fs
		if frac == 0 {
			return s.float64Slow()
		}
	}
	if intDigits+frac > 19 || frac > 22 || m >= 1<<53 || i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		return s.float64Slow()
	}
	f := float64(m)
	if frac > 0 {
		f /= pow10[frac]
	}
	if neg {
		f = -f
	}
	s.pos = i
	return f, nil
}

// float64Slow is Float64 for numbers outside the fast path.
func (s *Scanner) float64Slow() (float64, error) {
	start := s.pos
	data := s.data
	if start >= len(data) || data[start] != '-' && (data[start] < '0' || data[start] > '9') {
		return 0, s.mismatch("number")
	}
	end, _, err := s.scanNumber(start)
	if err != nil {
		return 0, err
	}
	f, err := strconv.ParseFloat(string(data[start:end]), 64)
	if err != nil {
		return 0, valueErrAt(start, "number "+string(data[start:end])+" out of range of float64")
	}
	s.pos = end
	return f, nil
}

// isEightDigits reports whether the eight bytes of v (little-endian) are
// all ASCII digits.
func isEightDigits(v uint64) bool {
	return (v&0xF0F0F0F0F0F0F0F0)|(((v+0x0606060606060606)&0xF0F0F0F0F0F0F0F0)>>4) == 0x3333333333333333
}

// eightDigits returns the value of the eight ASCII digits in v
// (little-endian: the first digit is the low byte).
func eightDigits(v uint64) uint64 {
	v -= 0x3030303030303030
	v = v*10 + v>>8 // pairs of digits in bytes 0, 2, 4, 6
	v = ((v&0x000000FF000000FF)*(100+1000000<<32) + (v>>16&0x000000FF000000FF)*(1+10000<<32)) >> 32
	return v
}
