package streamimpl

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// scan returns a Scanner over s.
func scan(s string) *Scanner {
	var sc Scanner
	sc.Reset([]byte(s))
	return &sc
}

func TestString(t *testing.T) {
	tests := []struct {
		in, want string
		err      string
	}{
		{in: `""`, want: ""},
		{in: `"abc"`, want: "abc"},
		{in: `"a\"b\\c\/d\b\f\n\r\t"`, want: "a\"b\\c/d\b\f\n\r\t"},
		{in: `"\u00e9\u20AC"`, want: "é€"},
		{in: `"\ud83d\ude00x"`, want: "😀x"},
		{in: `"héllo wörld 😀"`, want: "héllo wörld 😀"},
		{in: `"\ufffd"`, want: "\ufffd"},
		{in: `"\ud800"`, err: `invalid JSON at byte 1: invalid escape: lone high surrogate \ud800`},
		{in: `"\ud800\u0041"`, err: `invalid JSON at byte 1: invalid escape: lone high surrogate \ud800`},
		{in: `"\ud800\n"`, err: `invalid JSON at byte 1: invalid escape: lone high surrogate \ud800`},
		{in: `"\udc00"`, err: `invalid JSON at byte 1: invalid escape: lone low surrogate \udc00`},
		{in: `"\x"`, err: `invalid JSON at byte 2: invalid character 'x' in string escape code`},
		{in: `"\u12G4"`, err: `invalid JSON at byte 5: invalid character 'G' in \u hexadecimal character escape`},
		{in: "\"a\x01\"", err: `invalid JSON at byte 2: invalid character '\x01' in string literal`},
		{in: "\"a\xff\"", err: `invalid JSON at byte 2: invalid UTF-8 in string`},
		{in: "\"\xed\xa0\x80\"", err: `invalid JSON at byte 1: invalid UTF-8 in string`},
		{in: `"abc`, err: `invalid JSON at byte 4: unexpected end of input`},
		{in: `"ab\`, err: `invalid JSON at byte 4: unexpected end of input`},
		{in: `"\u12`, err: `invalid JSON at byte 5: unexpected end of input`},
		{in: `"\ud800\u`, err: `invalid JSON at byte 9: unexpected end of input`},
		{in: `"\ud800`, err: `invalid JSON at byte 7: unexpected end of input`},
		{in: `12`, err: `invalid record at byte 0: expected string, found number 12`},
		{in: `null`, err: `invalid record at byte 0: null not allowed`},
		{in: `nul`, err: `invalid JSON at byte 3: unexpected end of input`},
		{in: `x`, err: `invalid JSON at byte 0: invalid character 'x' looking for beginning of value`},
	}
	for _, tt := range tests {
		s := scan(tt.in)
		got, err := s.String()
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("String(%q) error = %v, want %s", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || string(got) != tt.want || s.Offset() != len(tt.in) {
			t.Errorf("String(%q) = %q, %v (offset %d), want %q", tt.in, got, err, s.Offset(), tt.want)
		}
		s.Reset([]byte(tt.in))
		if err := s.Skip(); err != nil || s.Offset() != len(tt.in) {
			t.Errorf("Skip(%q) = %v at %d", tt.in, err, s.Offset())
		}
	}
}

func TestStringNoEscapeAliasesInput(t *testing.T) {
	in := []byte(`"abc"`)
	var s Scanner
	s.Reset(in)
	b, _ := s.String()
	if &b[0] != &in[1] {
		t.Error("String copied a string without escapes")
	}
}

func TestInt(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  string
	}{
		{in: "0", want: 0},
		{in: "-0", want: 0},
		{in: "1469501675", want: 1469501675},
		{in: "9223372036854775807", want: math.MaxInt64},
		{in: "-9223372036854775808", want: math.MinInt64},
		{in: "9223372036854775808", err: "invalid record at byte 0: number 9223372036854775808 out of range of int64"},
		{in: "-9223372036854775809", err: "invalid record at byte 0: number -9223372036854775809 out of range of int64"},
		{in: "99999999999999999999", err: "invalid record at byte 0: number 99999999999999999999 out of range of int64"},
		{in: "18446744073709551616", err: "invalid record at byte 0: number 18446744073709551616 out of range of int64"},
		{in: "1.0", err: "invalid record at byte 0: expected integer, found number 1.0"},
		{in: "1e3", err: "invalid record at byte 0: expected integer, found number 1e3"},
		{in: "-", err: "invalid JSON at byte 1: unexpected end of input"},
		{in: "-x", err: "invalid JSON at byte 1: invalid character 'x' in numeric literal"},
		{in: "01", err: "invalid JSON at byte 1: invalid character '1' after number"},
		{in: "1.", err: "invalid JSON at byte 2: unexpected end of input"},
		{in: `"1"`, err: "invalid record at byte 0: expected integer, found string"},
		{in: `true`, err: "invalid record at byte 0: expected integer, found boolean"},
		{in: `tru`, err: "invalid JSON at byte 3: unexpected end of input"},
		{in: `trUe`, err: "invalid JSON at byte 2: invalid character 'U' in literal true (expecting 'u')"},
		{in: ``, err: "invalid JSON at byte 0: unexpected end of input"},
	}
	for _, tt := range tests {
		got, err := scan(tt.in).Int64()
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("Int64(%q) error = %v, want %s", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Int64(%q) = %d, %v, want %d", tt.in, got, err, tt.want)
		}
	}
	for _, tt := range []struct {
		in  string
		err string
	}{
		{in: "2147483647"}, {in: "-2147483648"},
		{in: "2147483648", err: "invalid record at byte 0: number 2147483648 out of range of int32"},
		{in: "-2147483649", err: "invalid record at byte 0: number -2147483649 out of range of int32"},
		{in: "99999999999999999999", err: "invalid record at byte 0: number 99999999999999999999 out of range of int32"},
	} {
		got, err := scan(tt.in).Int32()
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("Int32(%q) error = %v, want %s", tt.in, err, tt.err)
			}
			continue
		}
		if want, _ := strconv.ParseInt(tt.in, 10, 32); err != nil || int64(got) != want {
			t.Errorf("Int32(%q) = %d, %v", tt.in, got, err)
		}
	}
}

func TestFloat64(t *testing.T) {
	for _, in := range []string{"0", "-0", "0.0", "-0.0", "1", "21.5", "-273.15", "0.1", "3.141592653589793",
		"1e400", "-1e400", "1e-400", "4.9e-324", "1.7976931348623157e308", "123456789012345678901234567890",
		"9007199254740993", "0.30000000000000004", "1E10", "1e+2", "1.5e-3", "12345678901234567.89",
		"0.0000000000000000000001", "1.00000000000000011102230246251565404236316680908203125"} {
		got, err := scan(in).Float64()
		want, werr := strconv.ParseFloat(in, 64)
		if werr != nil {
			if err == nil || !strings.Contains(err.Error(), "out of range of float64") {
				t.Errorf("Float64(%q) = %v, %v, want range error", in, got, err)
			}
			continue
		}
		if err != nil || math.Float64bits(got) != math.Float64bits(want) {
			t.Errorf("Float64(%q) = %v, %v, want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"-", "1.", "1e", "1e+", ".5", "+1", `"1"`, "nan"} {
		if _, err := scan(in).Float64(); err == nil {
			t.Errorf("Float64(%q) succeeded", in)
		}
	}
}

func TestBoolNull(t *testing.T) {
	if v, err := scan("true").Bool(); err != nil || !v {
		t.Error("true")
	}
	if v, err := scan("false").Bool(); err != nil || v {
		t.Error("false")
	}
	if _, err := scan("fals").Bool(); err == nil {
		t.Error("fals accepted")
	}
	if !scan("null").Null() || scan("nul").Null() || scan("nulL").Null() {
		t.Error("Null")
	}
}

func TestObject(t *testing.T) {
	in := ` { "a" : 1 , "b\u0062":[1, {"x":[]}, "s"], "c":{} } `
	s := scan(in)
	var keys []string
	more, err := s.ObjectStart()
	for err == nil && more {
		var k []byte
		if k, err = s.Key(); err != nil {
			break
		}
		keys = append(keys, string(k))
		if err = s.Skip(); err != nil {
			break
		}
		more, err = s.ObjectNext()
	}
	if err == nil {
		err = s.End()
	}
	if err != nil || strings.Join(keys, ",") != "a,bb,c" || s.depth != 0 {
		t.Fatalf("keys %q, err %v, depth %d", keys, err, s.depth)
	}
	for _, tt := range []struct{ in, err string }{
		{`{"a":1,}`, `invalid JSON at byte 7: invalid character '}' looking for beginning of object key string`},
		{`{"a" 1}`, `invalid JSON at byte 5: invalid character '1' after object key`},
		{`{"a":1 "b":2}`, `invalid JSON at byte 7: invalid character '"' after object key:value pair`},
		{`{"a":1} x`, `invalid JSON at byte 8: invalid character 'x' after top-level value`},
		{`{"a":[1,]}`, `invalid JSON at byte 8: invalid character ']' looking for beginning of value`},
		{`{"a":[1 2]}`, `invalid JSON at byte 8: invalid character '2' after array element`},
		{`{"a":`, `invalid JSON at byte 5: unexpected end of input`},
		{`{`, `invalid JSON at byte 1: unexpected end of input`},
		{`[]`, `invalid record at byte 0: expected object, found array`},
	} {
		s := scan(tt.in)
		more, err := s.ObjectStart()
		for err == nil && more {
			if _, err = s.Key(); err != nil {
				break
			}
			if err = s.Skip(); err != nil {
				break
			}
			more, err = s.ObjectNext()
		}
		if err == nil {
			err = s.End()
		}
		if err == nil || err.Error() != tt.err {
			t.Errorf("%s: error %v, want %s", tt.in, err, tt.err)
		}
	}
}

func TestMaxDepth(t *testing.T) {
	for _, n := range []int{MaxDepth, MaxDepth + 1} {
		in := strings.Repeat("[", n) + strings.Repeat("]", n)
		s := scan(in)
		err := s.Skip()
		if (err == nil) != json.Valid([]byte(in)) {
			t.Errorf("depth %d: Skip = %v, json.Valid = %v", n, err, json.Valid([]byte(in)))
		}
	}
}

func TestDecodeErrorPaths(t *testing.T) {
	err := error(&DecodeError{Offset: 3, Msg: "null not allowed", Kind: ErrValue})
	err = InField(InIndex(InField(err, "lat"), 2), "points")
	if got := err.Error(); got != `field "points[2].lat" at byte 3: null not allowed` {
		t.Error(got)
	}
	err = InField(InIndex(&DecodeError{Offset: 1, Msg: "m", Kind: ErrValue}, 0), "tags")
	if got := err.Error(); got != `field "tags[0]" at byte 1: m` {
		t.Error(got)
	}
	if got := InField(Missing("lat", 7), "loc").Error(); got != `missing required field "loc.lat"` {
		t.Error(got)
	}
	if got := InField(&DecodeError{Offset: 14, Msg: "unexpected end of input", Kind: ErrSyntax}, "time").Error(); got != `invalid JSON at byte 14 in field "time": unexpected end of input` {
		t.Error(got)
	}
	var de *DecodeError
	if !errors.As(EnumError(9, []byte("Opn"), `"Open", "Close"`), &de) || de.Msg != `invalid value "Opn", want one of "Open", "Close"` {
		t.Error(de)
	}
}

func TestTimes(t *testing.T) {
	ok := []string{"2016-07-26T02:14:35Z", "2016-07-26T02:14:35.5Z", "2016-07-26T02:14:35.123456789123+05:30",
		"2000-02-29T23:59:59-23:59", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z", "1969-12-31T23:59:59.1Z",
		"0000-02-29T12:00:00+01:00", "1900-03-01T00:00:00-00:00"}
	for _, in := range ok {
		got, valid := ParseRFC3339([]byte(in))
		want, err := time.Parse(time.RFC3339, in)
		if !valid || err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("ParseRFC3339(%q) = %v, %v; time.Parse = %v, %v", in, got, valid, want, err)
		}
	}
	bad := []string{"2016-07-26 02:14:35Z", "2016-07-26t02:14:35Z", "2016-07-26T02:14:35z", "2016-07-26T02:14:35",
		"2016-07-26T24:00:00Z", "2016-07-26T02:60:00Z", "2016-07-26T02:14:60Z", "2016-02-30T02:14:35Z",
		"1900-02-29T00:00:00Z", "2016-07-26T02:14:35.Z", "2016-07-26T02:14:35+24:00", "2016-07-26T02:14:35+05:60",
		"2016-07-26T02:14:35+0530", "16-07-26T02:14:35Z", "2016-7-26T02:14:35Z", "+016-07-26T02:14:35Z", "2016-13-01T00:00:00Z"}
	for _, in := range bad {
		if got, valid := ParseRFC3339([]byte(in)); valid {
			t.Errorf("ParseRFC3339(%q) = %v", in, got)
		}
	}
	for _, in := range []string{"2016-07-26", "0000-02-29", "9999-12-31", "2000-02-29"} {
		got, valid := ParseDate([]byte(in))
		want, err := time.Parse(time.DateOnly, in)
		if !valid || err != nil || !got.Equal(want) {
			t.Errorf("ParseDate(%q) = %v, %v", in, got, valid)
		}
	}
	for _, in := range []string{"1900-02-29", "2016-07-26T", "2016-7-26", "2016-07-32", "2016-00-01"} {
		if _, valid := ParseDate([]byte(in)); valid {
			t.Errorf("ParseDate(%q) valid", in)
		}
	}
	if got, err := scan("1469501675").TimeEpochSeconds(); err != nil || !got.Equal(time.Date(2016, 7, 26, 2, 54, 35, 0, time.UTC)) {
		t.Error(got, err)
	}
	if got, err := scan("1469501675123").TimeEpochMillis(); err != nil || got.UnixMilli() != 1469501675123 || got.Location() != time.UTC {
		t.Error(got, err)
	}
	for _, in := range []string{"253402300800", "-62167219201", "1.5", `"1469501675"`} {
		if _, err := scan(in).TimeEpochSeconds(); err == nil {
			t.Errorf("TimeEpochSeconds(%s) accepted", in)
		}
	}
	if _, err := scan("253402300799999").TimeEpochMillis(); err != nil {
		t.Error(err)
	}
	if _, err := scan("253402300800000").TimeEpochMillis(); err == nil {
		t.Error("millis out of range accepted")
	}
}

func TestUUID(t *testing.T) {
	if _, err := scan(`"123e4567-e89b-12d3-A456-426614174000"`).UUID(); err != nil {
		t.Error(err)
	}
	for _, in := range []string{`"123e4567e89b12d3a456426614174000"`, `"123e4567-e89b-12d3-a456-42661417400g"`, `"{123e4567-e89b-12d3-a456-426614174000}"`} {
		if _, err := scan(in).UUID(); err == nil {
			t.Errorf("UUID(%s) accepted", in)
		}
	}
}

func TestArena(t *testing.T) {
	var a Arena
	src := []byte("hello")
	s1 := a.String(src)
	src[0] = 'j'
	s2 := a.String(src)
	a.Reset()
	s3 := a.String([]byte("x"))
	if s1 != "hello" || s2 != "jello" || s3 != "x" || a.String(nil) != "" {
		t.Fatal(s1, s2, s3)
	}
	big := strings.Repeat("y", arenaBlock)
	if a.String([]byte(big)) != big {
		t.Fatal("big string")
	}
	// Fill several blocks: earlier strings keep their contents.
	var all []string
	for i := range 20000 {
		all = append(all, a.String([]byte(strconv.Itoa(i))))
	}
	for i, s := range all {
		if s != strconv.Itoa(i) {
			t.Fatalf("string %d = %q", i, s)
		}
	}
	if n := testing.AllocsPerRun(1000, func() { a.String(src) }); n > 0.01 {
		t.Errorf("Arena.String allocates %v times per call", n)
	}
}

func TestNoAllocs(t *testing.T) {
	in := []byte(`{"a":"x\u00e9y","b":[1,2.5e3,{"c":null}],"d":true,"e":-12.25,"t":"2016-07-26T02:14:35.5+01:00"}`)
	var s Scanner
	n := testing.AllocsPerRun(1000, func() {
		s.Reset(in)
		more, err := s.ObjectStart()
		for err == nil && more {
			var k []byte
			k, err = s.Key()
			switch string(k) {
			case "a":
				_, err = s.String()
			case "e":
				_, err = s.Float64()
			case "t":
				_, err = s.TimeRFC3339()
			default:
				err = s.Skip()
			}
			if err == nil {
				more, err = s.ObjectNext()
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Errorf("%v allocations per record", n)
	}
	big := []byte("1.7976931348623157e308")
	if n := testing.AllocsPerRun(1000, func() { s.Reset(big); s.Float64() }); n != 0 {
		t.Errorf("Float64 slow path: %v allocations", n)
	}
}

// FuzzScanner checks the primitives against encoding/json, strconv and
// time: Skip accepts exactly what json.Valid accepts (for valid UTF-8
// without lone surrogate escapes), String decodes like json.Unmarshal,
// and numbers and timestamps parse like strconv and time.Parse.
func FuzzScanner(f *testing.F) {
	for _, seed := range []string{`"a\u00e9\ud83d\ude00"`, `{"a":[1,2,{"b":null}]}`, `-0.5e-3`, `9223372036854775808`,
		`"2016-07-26T02:14:35.5+01:00"`, `"2016-02-29"`, `[true,false,null]`, `"\ud800"`, `1e400`, `01`, "\"\xff\""} {
		f.Add([]byte(seed))
	}
	rfc := regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-](\d{2}):(\d{2}))$`)
	f.Fuzz(func(t *testing.T, data []byte) {
		var s Scanner
		s.Reset(data)
		err := s.Skip()
		if err == nil {
			err = s.End()
		}
		want := json.Valid(data) && utf8.Valid(data) && !hasLoneSurrogate(data)
		if (err == nil) != want {
			t.Fatalf("Skip(%q) = %v, want valid=%v", data, err, want)
		}
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) || de.Offset < 0 || de.Offset > len(data) {
				t.Fatalf("bad error %#v", err)
			}
			return
		}
		s.Reset(data)
		if b, err := s.String(); err == nil {
			var str string
			if jerr := json.Unmarshal(data, &str); jerr != nil || str != string(b) {
				t.Fatalf("String(%q) = %q, json %q %v", data, b, str, jerr)
			}
			if m := rfc.FindStringSubmatch(str); m != nil {
				got, ok := ParseRFC3339(b)
				wt, perr := time.Parse(time.RFC3339, str)
				oh, _ := strconv.Atoi(m[3])
				om, _ := strconv.Atoi(m[4])
				wantOK := perr == nil && oh <= 23 && om <= 59
				if ok != wantOK || ok && !got.Equal(wt) {
					t.Fatalf("ParseRFC3339(%q) = %v %v, time.Parse %v %v", str, got, ok, wt, perr)
				}
			} else if _, ok := ParseRFC3339(b); ok {
				t.Fatalf("ParseRFC3339(%q) accepted", str)
			}
			got, ok := ParseDate(b)
			wt, perr := time.Parse(time.DateOnly, str)
			if wantOK := perr == nil && len(str) == 10; ok != wantOK || ok && !got.Equal(wt) {
				t.Fatalf("ParseDate(%q) = %v %v, time.Parse %v %v", str, got, ok, wt, perr)
			}
		}
		if data := bytes.TrimSpace(data); len(data) > 0 && (data[0] == '-' || '0' <= data[0] && data[0] <= '9') {
			s.Reset(data)
			f, ferr := s.Float64()
			wf, werr := strconv.ParseFloat(string(data), 64)
			if (ferr == nil) != (werr == nil) || ferr == nil && math.Float64bits(f) != math.Float64bits(wf) {
				t.Fatalf("Float64(%q) = %v %v, strconv %v %v", data, f, ferr, wf, werr)
			}
			s.Reset(data)
			n, ierr := s.Int64()
			integer := !strings.ContainsAny(string(data), ".eE")
			wn, werr := strconv.ParseInt(string(data), 10, 64)
			if (ierr == nil) != (werr == nil && integer) || ierr == nil && n != wn {
				t.Fatalf("Int64(%q) = %v %v, strconv %v %v", data, n, ierr, wn, werr)
			}
		}
	})
}

// hasLoneSurrogate reports whether data has a \uXXXX escape of a
// surrogate that is not part of a high-low pair.
func hasLoneSurrogate(data []byte) bool {
	hex := func(i int) int {
		if i+4 > len(data) {
			return -1
		}
		v, err := strconv.ParseUint(string(data[i:i+4]), 16, 16)
		if err != nil {
			return -1
		}
		return int(v)
	}
	for i := 0; i < len(data); i++ {
		if data[i] != '\\' || i+1 >= len(data) {
			continue
		}
		if data[i+1] != 'u' {
			i++
			continue
		}
		r := hex(i + 2)
		switch {
		case r >= 0xDC00 && r <= 0xDFFF:
			return true
		case r >= 0xD800 && r <= 0xDBFF:
			if i+7 >= len(data) || data[i+6] != '\\' || data[i+7] != 'u' {
				return true
			}
			if lo := hex(i + 8); lo < 0xDC00 || lo > 0xDFFF {
				return true
			}
			i += 11
		default:
			i += 5
		}
	}
	return false
}

func TestEightDigits(t *testing.T) {
	for _, in := range []string{"00000000", "12345678", "99999999", "14695016", "1469501675"} {
		v := uint64(0)
		for i := 7; i >= 0; i-- {
			v = v<<8 | uint64(in[i])
		}
		want, _ := strconv.ParseUint(in[:8], 10, 64)
		if !isEightDigits(v) || eightDigits(v) != want {
			t.Errorf("%s: %v %d", in, isEightDigits(v), eightDigits(v))
		}
	}
	for _, in := range []string{"1234567a", "/2345678", ":2345678", "1234 678"} {
		v := uint64(0)
		for i := 7; i >= 0; i-- {
			v = v<<8 | uint64(in[i])
		}
		if isEightDigits(v) {
			t.Errorf("%q: digits", in)
		}
	}
}

func TestPlain8(t *testing.T) {
	for c := range 256 {
		for pos := range 8 {
			b := []byte("abcdefgh")
			b[pos] = byte(c)
			v := uint64(0)
			for i := 7; i >= 0; i-- {
				v = v<<8 | uint64(b[i])
			}
			if got, want := plain8(v), plain[c]; got != want {
				t.Fatalf("plain8 with byte %#x at %d = %v, want %v", c, pos, got, want)
			}
		}
	}
}
