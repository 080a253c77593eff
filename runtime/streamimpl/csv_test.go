package streamimpl

import (
	"encoding/csv"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// cell is a CSVCell for comparisons: contents as a string.
type cell struct {
	V      string
	Off    int
	Quoted bool
}

func cellsOf(cs []CSVCell) []cell {
	out := make([]cell, len(cs))
	for i, c := range cs {
		out[i] = cell{string(c.Value), c.Offset, c.Quoted}
	}
	return out
}

func TestCSVSplit(t *testing.T) {
	tests := []struct {
		line  string
		delim byte
		want  []cell
		err   string // substring of the error; offset in errOff
		off   int
	}{
		{line: "", want: []cell{{"", 0, false}}},
		{line: "a", want: []cell{{"a", 0, false}}},
		{line: "a,b,c", want: []cell{{"a", 0, false}, {"b", 2, false}, {"c", 4, false}}},
		{line: ",", want: []cell{{"", 0, false}, {"", 1, false}}},
		{line: "a,", want: []cell{{"a", 0, false}, {"", 2, false}}},
		{line: ` a , b `, want: []cell{{" a ", 0, false}, {" b ", 4, false}}},
		{line: `"a,b",c`, want: []cell{{"a,b", 0, true}, {"c", 6, false}}},
		{line: `"",x`, want: []cell{{"", 0, true}, {"x", 3, false}}},
		{line: `x,""`, want: []cell{{"x", 0, false}, {"", 2, true}}},
		{line: `"say ""hi""",2`, want: []cell{{`say "hi"`, 0, true}, {"2", 13, false}}},
		{line: `""""`, want: []cell{{`"`, 0, true}}},
		{line: `"a""b","c""d"`, want: []cell{{`a"b`, 0, true}, {`c"d`, 7, true}}},
		{line: "a;b,c", delim: ';', want: []cell{{"a", 0, false}, {"b,c", 2, false}}},
		{line: "a\tb", delim: '\t', want: []cell{{"a", 0, false}, {"b", 2, false}}},
		{line: `"a;b";c`, delim: ';', want: []cell{{"a;b", 0, true}, {"c", 6, false}}},
		{line: "é,ü", want: []cell{{"é", 0, false}, {"ü", 3, false}}},
		{line: `a"b`, err: `bare " in unquoted field (column 1)`, off: 1},
		{line: `x, "a"`, err: `bare " in unquoted field (column 2)`, off: 3},
		{line: `"abc`, err: "quoted field not closed", off: 0},
		{line: `x,"abc`, err: "quoted field not closed before the end of the line (column 2)", off: 2},
		{line: `"a"b`, err: `invalid character 'b' after quoted field (column 1)`, off: 3},
		{line: `"a" ,b`, err: `invalid character ' ' after quoted field`, off: 3},
		{line: `"a"""`, want: []cell{{`a"`, 0, true}}},
		{line: `"a""`, err: "quoted field not closed", off: 0},
	}
	var s CSVSplitter
	for _, tt := range tests {
		d := tt.delim
		if d == 0 {
			d = ','
		}
		err := s.Split([]byte(tt.line), d)
		if tt.err != "" {
			var de *DecodeError
			if !errors.As(err, &de) || !strings.Contains(de.Msg, tt.err) || de.Offset != tt.off || de.Field != "" {
				t.Errorf("Split(%q): error %#v, want %q at %d", tt.line, err, tt.err, tt.off)
			}
			continue
		}
		if err != nil {
			t.Errorf("Split(%q): %v", tt.line, err)
			continue
		}
		if diff := cmp.Diff(tt.want, cellsOf(s.Cells)); diff != "" {
			t.Errorf("Split(%q) (-want +got):\n%s", tt.line, diff)
		}
	}
}

// TestCSVSplitBufferReuse checks that the cells of a line stay intact
// while later quoted fields of the same line grow the buffer.
func TestCSVSplitBufferReuse(t *testing.T) {
	var s CSVSplitter
	var line strings.Builder
	var want []string
	for i := range 50 {
		v := strings.Repeat(`x"`, i)
		want = append(want, v)
		if i > 0 {
			line.WriteByte(',')
		}
		line.WriteString(`"` + strings.ReplaceAll(v, `"`, `""`) + `"`)
	}
	if err := s.Split([]byte(line.String()), ','); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range s.Cells {
		got = append(got, string(c.Value))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Error(diff)
	}
}

// FuzzCSVSplit compares Split with encoding/csv (LazyQuotes false,
// FieldsPerRecord -1) on single lines: the same fields, or both failing.
func FuzzCSVSplit(f *testing.F) {
	for _, s := range []string{"a,b", `"a,b",c`, `"a""b"`, `a"b`, `"a"b`, `"abc`, ",,", ` "a"`, "x;y", `"",""`, "é,\x00,\xff"} {
		f.Add(s, byte(','))
	}
	f.Add("a;b;\"c;d\"", byte(';'))
	f.Add("a\tb", byte('\t'))
	f.Fuzz(func(t *testing.T, line string, delim byte) {
		if line == "" || strings.ContainsAny(line, "\r\n") || !ValidCSVDelimiter(delim) {
			return // encoding/csv skips empty lines and reads only one line
		}
		r := csv.NewReader(strings.NewReader(line))
		r.Comma = rune(delim)
		r.FieldsPerRecord = -1
		want, werr := r.Read()
		var s CSVSplitter
		err := s.Split([]byte(line), delim)
		if (err != nil) != (werr != nil) {
			t.Fatalf("Split(%q, %q): error %v, encoding/csv: %v", line, delim, err, werr)
		}
		if err != nil {
			return
		}
		var got []string
		for _, c := range s.Cells {
			got = append(got, string(c.Value))
			if c.Offset < 0 || c.Offset >= len(line)+1 {
				t.Fatalf("offset %d out of line %q", c.Offset, line)
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("Split(%q, %q) (-encoding/csv +got):\n%s", line, delim, diff)
		}
		// Offsets point at the field's first byte; null cells are the
		// empty unquoted ones.
		for i, c := range s.Cells {
			if c.Quoted != (c.Offset < len(line) && line[c.Offset] == '"') {
				t.Fatalf("cell %d of %q: quoted %v, offset %d", i, line, c.Quoted, c.Offset)
			}
			if i > 0 && line[c.Offset-1] != delim {
				t.Fatalf("cell %d of %q: offset %d does not follow a delimiter", i, line, c.Offset)
			}
		}
	})
}

func TestCSVReaderHeader(t *testing.T) {
	cols := []CSVColumn{{Name: "a", Required: true}, {Name: "b"}, {Name: "C", Required: true}}
	var r CSVReader
	r.Init(cols, true, ',')
	if err := r.Line([]byte("1,2,3")); err == nil || !strings.Contains(err.Error(), "no CSV header line read") {
		t.Errorf("a line before the header: %v", err)
	}
	if err := r.Header([]byte(utf8BOM + `x,C,"a"`)); err != nil {
		t.Fatal(err)
	}
	if err := r.Line([]byte(`ignored,3,1`)); err != nil {
		t.Fatal(err)
	}
	val := func(i int) string {
		b, _, ok := r.Value(i)
		if !ok {
			return "<null>"
		}
		return string(b)
	}
	if got := []string{val(0), val(1), val(2)}; !slicesEqual(got, []string{"1", "<null>", "3"}) {
		t.Errorf("values %q", got)
	}
	if err := r.Line([]byte(`1,2`)); err == nil || err.Error() != "invalid record at byte 0: invalid CSV: line has 2 columns, the header has 3" {
		t.Errorf("short line: %v", err)
	}

	for _, tt := range []struct{ header, want string }{
		{`a,b`, `missing required field "C"`},
		{`a,c,b`, `missing required field "C"`},
		{`a,C,a`, `invalid record at byte 4: invalid CSV header: duplicate column "a" (columns 1 and 3)`},
		{utf8BOM + `a,C,a`, `invalid record at byte 7: invalid CSV header: duplicate column "a" (columns 1 and 3)`},
		{`a,C,x"`, `invalid record at byte 5: invalid CSV header: invalid CSV: bare " in unquoted field (column 3)`},
	} {
		err := r.Header([]byte(tt.header))
		if err == nil || err.Error() != tt.want {
			t.Errorf("Header(%q): %v, want %s", tt.header, err, tt.want)
		}
		// Every line of the file is then malformed, with the same error.
		for range 2 {
			if lerr := r.Line([]byte("1,2,3")); lerr == nil || lerr.Error() != tt.want {
				t.Errorf("line after header %q: %v", tt.header, lerr)
			}
		}
	}
	// The next file's header starts afresh.
	if err := r.Header([]byte(`C,a`)); err != nil {
		t.Fatal(err)
	}
	if err := r.Line([]byte(`,x`)); err != nil {
		t.Fatal(err)
	}
	if _, off, ok := r.Value(2); ok || off != 0 {
		t.Errorf("empty C: ok %v off %d", ok, off)
	}
	if err := r.NullError(2); err.Error() != `field "C" at byte 0: null (an empty unquoted value) not allowed` {
		t.Errorf("NullError: %v", err)
	}
}

func TestCSVReaderPositional(t *testing.T) {
	var r CSVReader
	r.Init([]CSVColumn{{Name: "a", Required: true}, {Name: "b"}}, false, ';')
	if err := r.Line([]byte(`x;""`)); err != nil {
		t.Fatal(err)
	}
	if b, off, ok := r.Value(1); !ok || len(b) != 0 || off != 2 {
		t.Errorf(`"": %q %d %v`, b, off, ok)
	}
	for _, line := range []string{"x", "x;y;z"} {
		if err := r.Line([]byte(line)); err == nil || !strings.Contains(err.Error(), "want 2 (one per field of the schema)") {
			t.Errorf("%q: %v", line, err)
		}
	}
}

func slicesEqual(a, b []string) bool { return cmp.Equal(a, b) }

func TestCSVValues(t *testing.T) {
	errOf := func(err error) string {
		if err == nil {
			return ""
		}
		var de *DecodeError
		if !errors.As(err, &de) || de.Offset != 7 || de.Kind != ErrValue {
			return "bad error " + err.Error()
		}
		return de.Msg
	}
	ints := []struct {
		in   string
		want int64
		err  string
	}{
		{"0", 0, ""}, {"-0", 0, ""}, {"42", 42, ""}, {"-9223372036854775808", math.MinInt64, ""}, {"9223372036854775807", math.MaxInt64, ""},
		{"9223372036854775808", 0, "number 9223372036854775808 out of range of int64"},
		{"1.5", 0, `expected integer, found "1.5"`}, {"1e3", 0, `expected integer, found "1e3"`},
		{"abc", 0, `expected integer, found "abc"`}, {"", 0, `expected integer, found ""`}, {" 1", 0, `expected integer, found " 1"`},
		{"1 ", 0, `expected integer, found "1 "`}, {"+1", 0, `expected integer, found "+1"`}, {"01", 0, `expected integer, found "01"`},
		{"12345678901234567", 12345678901234567, ""},
	}
	for _, tt := range ints {
		v, err := CSVInt64([]byte(tt.in), 7)
		if got := errOf(err); got != tt.err || err == nil && v != tt.want {
			t.Errorf("CSVInt64(%q) = %d, %q; want %d, %q", tt.in, v, got, tt.want, tt.err)
		}
	}
	if _, err := CSVInt32([]byte("2147483648"), 7); errOf(err) != "number 2147483648 out of range of int32" {
		t.Errorf("int32 overflow: %v", err)
	}
	if v, err := CSVInt32([]byte("-2147483648"), 7); err != nil || v != math.MinInt32 {
		t.Errorf("int32 min: %d %v", v, err)
	}
	floats := []struct {
		in   string
		want float64
		err  string
	}{
		{"0", 0, ""}, {"-1.25", -1.25, ""}, {"1e3", 1000, ""}, {"1E-2", 0.01, ""}, {"0.1", 0.1, ""},
		{"123456789012345678901234", 123456789012345678901234, ""},
		{"NaN", 0, `expected number, found "NaN"`}, {"Inf", 0, `expected number, found "Inf"`}, {"+1", 0, `expected number, found "+1"`},
		{".5", 0, `expected number, found ".5"`}, {"1.", 0, `expected number, found "1."`}, {"0x10", 0, `expected number, found "0x10"`},
		{"1e400", 0, "number 1e400 out of range of float64"}, {"", 0, `expected number, found ""`},
	}
	for _, tt := range floats {
		v, err := CSVFloat64([]byte(tt.in), 7)
		if got := errOf(err); got != tt.err || err == nil && v != tt.want {
			t.Errorf("CSVFloat64(%q) = %v, %q; want %v, %q", tt.in, v, got, tt.want, tt.err)
		}
	}
	for in, want := range map[string]bool{"true": true, "TRUE": true, "False": false, "false": false} {
		if v, err := CSVBool([]byte(in), 7); err != nil || v != want {
			t.Errorf("CSVBool(%q) = %v, %v", in, v, err)
		}
	}
	for _, in := range []string{"1", "yes", "t", "", "truee"} {
		if _, err := CSVBool([]byte(in), 7); errOf(err) != `expected boolean, found "`+in+`"` {
			t.Errorf("CSVBool(%q): %v", in, err)
		}
	}
	if v, err := CSVTimeRFC3339([]byte("2024-05-01T12:00:00+02:00"), 7); err != nil || !v.Equal(time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)) || v.Location() != time.UTC {
		t.Errorf("CSVTimeRFC3339: %v %v", v, err)
	}
	if _, err := CSVTimeRFC3339([]byte("2024-05-01"), 7); errOf(err) != `invalid RFC 3339 timestamp "2024-05-01"` {
		t.Errorf("CSVTimeRFC3339: %v", err)
	}
	if v, err := CSVTimeEpochSeconds([]byte("1469501675"), 7); err != nil || !v.Equal(time.Unix(1469501675, 0)) {
		t.Errorf("CSVTimeEpochSeconds: %v %v", v, err)
	}
	if _, err := CSVTimeEpochSeconds([]byte("253402300800"), 7); errOf(err) != "timestamp 253402300800 out of range (years 0000 to 9999)" {
		t.Errorf("CSVTimeEpochSeconds: %v", err)
	}
	if v, err := CSVTimeEpochMillis([]byte("1469501675123"), 7); err != nil || !v.Equal(time.UnixMilli(1469501675123)) {
		t.Errorf("CSVTimeEpochMillis: %v %v", v, err)
	}
	if v, err := CSVDate([]byte("1970-01-02"), 7); err != nil || v != 1 {
		t.Errorf("CSVDate: %v %v", v, err)
	}
	if _, err := CSVDate([]byte("2023-02-29"), 7); errOf(err) != `invalid date "2023-02-29" (want YYYY-MM-DD)` {
		t.Errorf("CSVDate: %v", err)
	}
	if err := CSVUUID([]byte("123e4567-e89b-12d3-a456-426614174000"), 7); err != nil {
		t.Error(err)
	}
	if err := CSVUUID([]byte("123e4567"), 7); errOf(err) != `invalid UUID "123e4567"` {
		t.Errorf("CSVUUID: %v", err)
	}
	if err := CSVText([]byte("ok é"), 7); err != nil {
		t.Error(err)
	}
	if err := CSVText([]byte("\xff"), 7); errOf(err) != "invalid UTF-8 in string" {
		t.Errorf("CSVText: %v", err)
	}
}

// TestCSVNoAllocs checks that splitting and parsing a line allocates
// nothing once the buffers have grown.
func TestCSVNoAllocs(t *testing.T) {
	line := []byte(`sensor-1,"a ""quoted"" name",42,-17.25,true,2024-05-01T12:00:00Z`)
	var r CSVReader
	r.Init([]CSVColumn{{Name: "a"}, {Name: "b"}, {Name: "c"}, {Name: "d"}, {Name: "e"}, {Name: "f"}}, false, ',')
	allocs := testing.AllocsPerRun(100, func() {
		if err := r.Line(line); err != nil {
			t.Fatal(err)
		}
		b, off, _ := r.Value(2)
		if _, err := CSVInt64(b, off); err != nil {
			t.Fatal(err)
		}
		b, off, _ = r.Value(3)
		if _, err := CSVFloat64(b, off); err != nil {
			t.Fatal(err)
		}
		b, off, _ = r.Value(4)
		if _, err := CSVBool(b, off); err != nil {
			t.Fatal(err)
		}
		b, off, _ = r.Value(5)
		if _, err := CSVTimeRFC3339(b, off); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per line", allocs)
	}
}

func BenchmarkCSVSplit(b *testing.B) {
	line := []byte(`sensor-0001,2024-05-01T12:00:00Z,21.5,"Building A, floor 2",true,Open,123456`)
	var s CSVSplitter
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Split(line, ','); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/record")
}

type headerDecoder struct{}

func (headerDecoder) Decode([]byte, *int) error { return nil }
func (headerDecoder) Header([]byte) error       { return nil }

func TestCSVWithoutHeader(t *testing.T) {
	var d Decoder[int] = headerDecoder{}
	if _, ok := d.(HeaderDecoder); !ok {
		t.Fatal("test decoder has no Header")
	}
	if _, ok := CSVWithoutHeader(d).(HeaderDecoder); ok {
		t.Error("CSVWithoutHeader kept Header")
	}
}
