package streamimpl

import (
	"encoding/binary"
	"strconv"
	"unicode/utf8"
)

// Decoder decodes one JSON record into a T. Every generated record
// decoder (EventDecoder, …) implements Decoder for its record type.
type Decoder[T any] interface {
	// Decode decodes data, exactly one JSON value with optional
	// surrounding whitespace, into *dst. It resets *dst first; on error
	// *dst is left partly decoded and the error is a *DecodeError.
	Decode(data []byte, dst *T) error
}

// MaxDepth is the deepest nesting of objects and arrays a Scanner
// accepts, the same limit as encoding/json.
const MaxDepth = 10000

// Scanner reads JSON values from one record's bytes without reflection
// and, on the success path, without allocating. Generated decoders drive
// it: ObjectStart/Key/ObjectNext walk an object's members, ArrayStart/
// ArrayNext an array's elements, and the typed readers (String, Int64,
// Float64, Bool, TimeRFC3339, …) read one value each. Skip skips a value
// of any type (an unknown field).
//
// The typed readers and Skip start at the first byte of the value: the
// structural methods leave the scanner after any whitespace, so a value
// reader never sees leading whitespace except at the start of the input,
// where ObjectStart and ArrayStart skip it themselves.
//
// Errors are *DecodeError with Offset set and Field empty; generated code
// adds the field path with InField and InIndex. The zero Scanner is ready
// for Reset. A Scanner is not safe for concurrent use.
type Scanner struct {
	data    []byte
	pos     int
	depth   int
	scratch []byte // unescaped string bytes; reused
}

// Reset starts scanning data from its first byte.
func (s *Scanner) Reset(data []byte) {
	s.data = data
	s.pos = 0
	s.depth = 0
}

// Offset returns the byte offset of the scanner in the input.
func (s *Scanner) Offset() int { return s.pos }

// End checks that only whitespace follows the value just read.
func (s *Scanner) End() error {
	i := s.skipWS(s.pos)
	if i < len(s.data) {
		return s.syntaxAt(i, "invalid character "+quoteByte(s.data[i])+" after top-level value")
	}
	s.pos = i
	return nil
}

// plain[c] is true for the bytes a string holds as they are: printable
// ASCII except '"' and '\\'.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// plain8 reports whether the eight bytes of v are all plain (SWAR: a
// byte is flagged when it is '"', '\\', below 0x20 or at least 0x80).
func plain8(v uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q := v ^ (ones * '"')
	b := v ^ (ones * '\\')
	special := (q - ones) &^ q
	special |= (b - ones) &^ b
	special |= v - ones*0x20
	special |= v
	return special&highs == 0
}

// isSpace reports whether c is JSON whitespace.
func isSpace(c byte) bool { return c <= ' ' && (c == ' ' || c == '\t' || c == '\n' || c == '\r') }

// skipWS returns the offset of the first non-whitespace byte at or after i.
func (s *Scanner) skipWS(i int) int {
	data := s.data
	for i < len(data) && isSpace(data[i]) {
		i++
	}
	return i
}

// ObjectStart reads '{' (after any whitespace) and any whitespace after
// it. It reports whether the object has a first member; for "{}" it
// consumes the '}' and returns false. A value that is not an object is an
// ErrValue error ("expected object, found string").
func (s *Scanner) ObjectStart() (bool, error) {
	data := s.data
	i := s.pos
	if i < len(data) && isSpace(data[i]) {
		i = s.skipWS(i)
	}
	if i >= len(data) {
		return false, s.eofAt(i)
	}
	if data[i] != '{' {
		s.pos = i
		return false, s.mismatch("object")
	}
	if s.depth++; s.depth > MaxDepth {
		return false, s.syntaxAt(i, "exceeded max depth")
	}
	i++
	if i < len(data) && isSpace(data[i]) {
		i = s.skipWS(i)
	}
	if i < len(data) && data[i] == '}' {
		s.depth--
		s.pos = i + 1
		return false, nil
	}
	s.pos = i
	return true, nil
}

// Key reads a member name, whitespace, ':' and whitespace, and returns
// the unescaped name. The bytes are valid until the next string is read.
func (s *Scanner) Key() ([]byte, error) {
	data := s.data
	i := s.pos
	if i >= len(data) {
		return nil, s.eofAt(i)
	}
	if data[i] != '"' {
		return nil, s.syntaxAt(i, "invalid character "+quoteByte(data[i])+" looking for beginning of object key string")
	}
	i++
	start := i
	for i < len(data) && plain[data[i]] {
		i++
	}
	var key []byte
	if i < len(data) && data[i] == '"' {
		key = data[start:i]
		i++
	} else {
		var err error
		if key, err = s.readString(start, true); err != nil {
			return nil, err
		}
		i = s.pos
	}
	if i < len(data) && data[i] == ':' {
		i++
	} else {
		if i < len(data) && isSpace(data[i]) {
			i = s.skipWS(i)
		}
		if i >= len(data) {
			return nil, s.eofAt(i)
		}
		if data[i] != ':' {
			return nil, s.syntaxAt(i, "invalid character "+quoteByte(data[i])+" after object key")
		}
		i++
	}
	if i < len(data) && isSpace(data[i]) {
		i = s.skipWS(i)
	}
	s.pos = i
	return key, nil
}

// ObjectNext reads the whitespace and ',' or '}' after a member's value.
// It reports whether another member follows (after ',' and whitespace).
func (s *Scanner) ObjectNext() (bool, error) {
	data := s.data
	i := s.pos
	if i < len(data) && isSpace(data[i]) {
		i = s.skipWS(i)
	}
	if i >= len(data) {
		return false, s.eofAt(i)
	}
	switch data[i] {
	case ',':
		i++
		if i < len(data) && isSpace(data[i]) {
			i = s.skipWS(i)
		}
		s.pos = i
		return true, nil
	case '}':
		s.depth--
		s.pos = i + 1
		return false, nil
	}
	return false, s.syntaxAt(i, "invalid character "+quoteByte(data[i])+" after object key:value pair")
}

// ArrayStart reads '[' (after any whitespace) and any whitespace after
// it. It reports whether the array has a first element; for "[]" it
// consumes the ']' and returns false. A value that is not an array is an
// ErrValue error.
func (s *Scanner) ArrayStart() (bool, error) {
	data := s.data
	i := s.pos
	if i < len(data) && isSpace(data[i]) {
		i = s.skipWS(i)
	}
	if i >= len(data) {
		return false, s.eofAt(i)
	}
	if data[i] != '[' {
		s.pos = i
		return false, s.mismatch("array")
	}
	if s.depth++; s.depth > MaxDepth {
		return false, s.syntaxAt(i, "exceeded max depth")
	}
	i = s.skipWS(i + 1)
	if i < len(data) && data[i] == ']' {
		s.depth--
		s.pos = i + 1
		return false, nil
	}
	s.pos = i
	return true, nil
}

// ArrayNext reads the whitespace and ',' or ']' after an element. It
// reports whether another element follows (after ',' and whitespace).
func (s *Scanner) ArrayNext() (bool, error) {
	data := s.data
	i := s.skipWS(s.pos)
	if i >= len(data) {
		return false, s.eofAt(i)
	}
	switch data[i] {
	case ',':
		s.pos = s.skipWS(i + 1)
		return true, nil
	case ']':
		s.depth--
		s.pos = i + 1
		return false, nil
	}
	return false, s.syntaxAt(i, "invalid character "+quoteByte(data[i])+" after array element")
}

// Null consumes the literal null if it is next and reports whether it
// did. Anything else, including a malformed null, is left for the typed
// reader to report.
func (s *Scanner) Null() bool {
	data := s.data
	i := s.pos
	if i+4 <= len(data) && data[i] == 'n' && data[i+1] == 'u' && data[i+2] == 'l' && data[i+3] == 'l' {
		s.pos = i + 4
		return true
	}
	return false
}

// Bool reads true or false.
func (s *Scanner) Bool() (bool, error) {
	data := s.data
	i := s.pos
	if i+4 <= len(data) && data[i] == 't' && data[i+1] == 'r' && data[i+2] == 'u' && data[i+3] == 'e' {
		s.pos = i + 4
		return true, nil
	}
	if i+5 <= len(data) && data[i] == 'f' && data[i+1] == 'a' && data[i+2] == 'l' && data[i+3] == 's' && data[i+4] == 'e' {
		s.pos = i + 5
		return false, nil
	}
	return false, s.mismatch("boolean")
}

// String reads a string and returns its unescaped bytes: a slice of the
// input when the string has no escapes, else of a scratch buffer that the
// next string read reuses. Escapes (including \uXXXX and surrogate
// pairs) are decoded; invalid escapes, lone surrogates, control
// characters and invalid UTF-8 are errors.
func (s *Scanner) String() ([]byte, error) {
	data := s.data
	i := s.pos
	if i >= len(data) || data[i] != '"' {
		return nil, s.mismatch("string")
	}
	i++
	start := i
	for i+8 <= len(data) && plain8(binary.LittleEndian.Uint64(data[i:])) {
		i += 8
	}
	for i < len(data) && plain[data[i]] {
		i++
	}
	if i < len(data) && data[i] == '"' {
		s.pos = i + 1
		return data[start:i], nil
	}
	return s.readString(start, true)
}

// readString reads the rest of a string whose contents start at start
// (after the opening quote) and leaves the scanner after the closing
// quote. With keep it returns the unescaped contents; without, it only
// validates them.
func (s *Scanner) readString(start int, keep bool) ([]byte, error) {
	data := s.data
	i := start
	run := start // start of the bytes not yet copied into buf
	escaped := false
	var buf []byte
	for {
		if i >= len(data) {
			return nil, s.eofAt(i)
		}
		c := data[i]
		switch {
		case c == '"':
			s.pos = i + 1
			if !escaped {
				return data[start:i], nil
			}
			if keep {
				buf = append(buf, data[run:i]...)
				s.scratch = buf
			}
			return buf, nil
		case c == '\\':
			if !escaped {
				escaped = true
				if keep {
					buf = s.scratch[:0]
				}
			}
			if keep {
				buf = append(buf, data[run:i]...)
			}
			n, r, err := s.unescape(i)
			if err != nil {
				return nil, err
			}
			if keep {
				buf = utf8.AppendRune(buf, r)
			}
			i += n
			run = i
		case c < 0x20:
			return nil, s.syntaxAt(i, "invalid character "+quoteByte(c)+" in string literal")
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size == 1 {
				return nil, s.syntaxAt(i, "invalid UTF-8 in string")
			}
			i += size
		}
	}
}

// unescape decodes the escape sequence at data[i] (a backslash) and
// returns its length and the rune it stands for.
func (s *Scanner) unescape(i int) (int, rune, error) {
	data := s.data
	if i+1 >= len(data) {
		return 0, 0, s.eofAt(len(data))
	}
	switch data[i+1] {
	case '"', '\\', '/':
		return 2, rune(data[i+1]), nil
	case 'b':
		return 2, '\b', nil
	case 'f':
		return 2, '\f', nil
	case 'n':
		return 2, '\n', nil
	case 'r':
		return 2, '\r', nil
	case 't':
		return 2, '\t', nil
	case 'u':
		r, err := s.hex4(i + 2)
		if err != nil {
			return 0, 0, err
		}
		switch {
		case r < 0xD800 || r > 0xDFFF:
			return 6, r, nil
		case r >= 0xDC00:
			return 0, 0, s.syntaxAt(i, "invalid escape: lone low surrogate "+string(data[i:i+6]))
		}
		// A high surrogate must be followed by an escaped low one.
		switch {
		case i+6 >= len(data):
			return 0, 0, s.eofAt(len(data))
		case data[i+6] != '\\':
			return 0, 0, s.syntaxAt(i, "invalid escape: lone high surrogate "+string(data[i:i+6]))
		case i+7 >= len(data):
			return 0, 0, s.eofAt(len(data))
		case data[i+7] != 'u':
			return 0, 0, s.syntaxAt(i, "invalid escape: lone high surrogate "+string(data[i:i+6]))
		}
		lo, err := s.hex4(i + 8)
		if err != nil {
			return 0, 0, err
		}
		if lo < 0xDC00 || lo > 0xDFFF {
			return 0, 0, s.syntaxAt(i, "invalid escape: lone high surrogate "+string(data[i:i+6]))
		}
		return 12, 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00), nil
	}
	return 0, 0, s.syntaxAt(i+1, "invalid character "+quoteByte(data[i+1])+" in string escape code")
}

// hex4 decodes the four hex digits at data[i:i+4].
func (s *Scanner) hex4(i int) (rune, error) {
	data := s.data
	var r rune
	for j := i; j < i+4; j++ {
		if j >= len(data) {
			return 0, s.eofAt(j)
		}
		c := data[j]
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, s.syntaxAt(j, "invalid character "+quoteByte(data[j])+" in \\u hexadecimal character escape")
		}
		r = r<<4 | rune(c)
	}
	return r, nil
}

// Skip skips one value of any type (and whitespace before it),
// validating it, without allocating (beyond the reused scratch buffer for
// escaped member names).
func (s *Scanner) Skip() error {
	data := s.data
	i := s.pos
	if i < len(data) && isSpace(data[i]) {
		i = s.skipWS(i)
		s.pos = i
	}
	if i >= len(data) {
		return s.eofAt(i)
	}
	switch c := data[i]; c {
	case '"':
		_, err := s.readString(i+1, false)
		return err
	case '{':
		more, err := s.ObjectStart()
		for err == nil && more {
			if _, err = s.Key(); err != nil {
				return err
			}
			if err = s.Skip(); err != nil {
				return err
			}
			more, err = s.ObjectNext()
		}
		return err
	case '[':
		more, err := s.ArrayStart()
		for err == nil && more {
			if err = s.Skip(); err != nil {
				return err
			}
			more, err = s.ArrayNext()
		}
		return err
	case 't', 'f':
		_, err := s.Bool()
		return err
	case 'n':
		if s.Null() {
			return nil
		}
		return s.mismatch("null")
	default:
		if c == '-' || '0' <= c && c <= '9' {
			end, _, err := s.scanNumber(i)
			if err != nil {
				return err
			}
			s.pos = end
			return nil
		}
		return s.syntaxAt(i, "invalid character "+quoteByte(c)+" looking for beginning of value")
	}
}

// scanNumber scans the number starting at data[i] and returns the offset
// after it and whether it is an integer (no fraction or exponent).
func (s *Scanner) scanNumber(i int) (end int, integer bool, err error) {
	data := s.data
	if i < len(data) && data[i] == '-' {
		i++
	}
	if i >= len(data) {
		return 0, false, s.eofAt(i)
	}
	switch c := data[i]; {
	case c == '0':
		i++
	case '1' <= c && c <= '9':
		i++
		for i < len(data) && '0' <= data[i] && data[i] <= '9' {
			i++
		}
	default:
		return 0, false, s.syntaxAt(i, "invalid character "+quoteByte(c)+" in numeric literal")
	}
	integer = true
	if i < len(data) && data[i] == '.' {
		integer = false
		i++
		if i >= len(data) {
			return 0, false, s.eofAt(i)
		}
		if data[i] < '0' || data[i] > '9' {
			return 0, false, s.syntaxAt(i, "invalid character "+quoteByte(data[i])+" after decimal point in numeric literal")
		}
		for i < len(data) && '0' <= data[i] && data[i] <= '9' {
			i++
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		integer = false
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if i >= len(data) {
			return 0, false, s.eofAt(i)
		}
		if data[i] < '0' || data[i] > '9' {
			return 0, false, s.syntaxAt(i, "invalid character "+quoteByte(data[i])+" in exponent of numeric literal")
		}
		for i < len(data) && '0' <= data[i] && data[i] <= '9' {
			i++
		}
	}
	return i, integer, nil
}

// mismatch returns the error for a value at s.pos that is not of kind
// want: an ErrValue error naming what was found when it is another JSON
// value ("expected integer, found string", "null not allowed"), else an
// ErrSyntax error.
func (s *Scanner) mismatch(want string) error {
	data := s.data
	i := s.pos
	if i >= len(data) {
		return s.eofAt(i)
	}
	var found string
	switch c := data[i]; {
	case c == '"':
		found = "string"
	case c == '{':
		found = "object"
	case c == '[':
		found = "array"
	case c == '-' || '0' <= c && c <= '9':
		end, _, err := s.scanNumber(i)
		if err != nil {
			return err
		}
		found = "number " + string(data[i:end])
	case c == 't' || c == 'f' || c == 'n':
		lit := "true"
		if c == 'f' {
			lit = "false"
		} else if c == 'n' {
			lit = "null"
		}
		for j := 1; j < len(lit); j++ {
			if i+j >= len(data) {
				return s.eofAt(i + j)
			}
			if data[i+j] != lit[j] {
				return s.syntaxAt(i+j, "invalid character "+quoteByte(data[i+j])+" in literal "+lit+" (expecting "+quoteByte(lit[j])+")")
			}
		}
		if c == 'n' {
			return &DecodeError{Offset: i, Msg: "null not allowed", Kind: ErrValue}
		}
		found = "boolean"
	default:
		return s.syntaxAt(i, "invalid character "+quoteByte(c)+" looking for beginning of value")
	}
	return &DecodeError{Offset: i, Msg: "expected " + want + ", found " + found, Kind: ErrValue}
}

// syntaxAt returns an ErrSyntax error at offset i.
func (s *Scanner) syntaxAt(i int, msg string) error {
	return &DecodeError{Offset: i, Msg: msg, Kind: ErrSyntax}
}

// eofAt returns the error for input that ends at offset i, inside a value.
func (s *Scanner) eofAt(i int) error {
	return s.syntaxAt(i, "unexpected end of input")
}

// valueErrAt returns an ErrValue error at offset i.
func valueErrAt(i int, msg string) error {
	return &DecodeError{Offset: i, Msg: msg, Kind: ErrValue}
}

// quoteByte quotes c for a message: 'x', or '\x01' for a byte that is
// not printable ASCII.
func quoteByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return strconv.QuoteRune(rune(c))
	}
	return "'\\x" + strconv.FormatUint(uint64(c)>>4, 16) + strconv.FormatUint(uint64(c)&15, 16) + "'"
}

// KeyIs reports whether the next member's name, encoded, and the colon
// after it are exactly lit (`"time":`), and if so reads them and the
// whitespace after them, as Key does. Generated decoders try it with the
// name of the field that usually comes next before reading the name with
// Key; a name written differently (escaped, or with whitespace before
// the colon) is then read by Key.
func (s *Scanner) KeyIs(lit string) bool {
	data := s.data
	i := s.pos
	end := i + len(lit)
	if end > len(data) || string(data[i:end]) != lit {
		return false
	}
	if end < len(data) && isSpace(data[end]) {
		end = s.skipWS(end)
	}
	s.pos = end
	return true
}
