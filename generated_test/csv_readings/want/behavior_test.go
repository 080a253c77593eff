package csvreadings

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/streamimpl"
)

func ptr[T any](v T) *T { return &v }

var at = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// header is the schema's columns in order.
const header = "sensor,seq,level,temp,ok,kind,at,day,note,label,id,epoch"

// decodeFile decodes a CSV file's contents as the files source does: it
// splits lines at "\n", strips a "\r" before it, skips empty lines, and
// hands the first line to Header (with hdr) and the others to Decode. It
// returns the records and the error of each line (nil when it decoded).
func decodeFile(t *testing.T, d *ReadingCSVDecoder, hdr bool, file string) ([]Reading, []error) {
	t.Helper()
	var recs []Reading
	var errs []error
	first := hdr
	var herr error
	for _, line := range strings.Split(file, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			continue
		}
		if first {
			first = false
			herr = d.Header([]byte(line))
			continue
		}
		var r Reading
		err := d.Decode([]byte(line), &r)
		if herr != nil && err == nil {
			t.Errorf("line %q decoded after the header error %v", line, herr)
		}
		recs = append(recs, r)
		errs = append(errs, err)
	}
	return recs, errs
}

// decodeOK decodes file and fails on any error.
func decodeOK(t *testing.T, hdr bool, file string) []Reading {
	t.Helper()
	recs, errs := decodeFile(t, NewReadingCSVDecoder(hdr, ','), hdr, file)
	for i, err := range errs {
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
	}
	return recs
}

func TestCSVDecodeAllFields(t *testing.T) {
	file := header + "\n" +
		`s1,7,100,-21.5,TRUE,in-progress,2024-05-01T14:00:00+02:00,2024-02-29,a note,lbl,123e4567-e89b-12d3-a456-426614174000,1469501675` + "\n" +
		`s2,0,,0,,open,2024-05-01T12:00:00Z,,,,,` + "\n"
	got := decodeOK(t, true, file)
	want := []Reading{{
		Sensor: "s1", Seq: 7, Level: ptr(int32(100)), Temp: -21.5, Ok: ptr(true), Kind: ReadingKindInProgress, At: at,
		Day: ptr(delta.DateValue(19782)), Note: ptr("a note"), Label: ptr("lbl"), ID: ptr("123e4567-e89b-12d3-a456-426614174000"),
		Epoch: ptr(time.Unix(1469501675, 0).UTC()),
	}, {
		Sensor: "s2", Seq: 0, Temp: 0, Kind: ReadingKindOpen, At: at,
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestCSVHeaderByName: columns in another order, extra columns ignored,
// optional columns missing (null), CRLF line ends (stripped by the
// source), a byte order mark before the header.
func TestCSVHeaderByName(t *testing.T) {
	file := "\xEF\xBB\xBFextra,at,kind,note,temp,seq,sensor,Level\r\n" +
		"x,2024-05-01T12:00:00Z,close,n,1.5,3,dev,50\r\n" +
		"\r\n" +
		`"a,b",2024-05-01T12:00:00Z,open,,2,4,"dev ""2""",` + "\r\n"
	got := decodeOK(t, true, file)
	want := []Reading{
		{Sensor: "dev", Seq: 3, Temp: 1.5, Kind: ReadingKindClose, At: at, Note: ptr("n")},
		{Sensor: `dev "2"`, Seq: 4, Temp: 2, Kind: ReadingKindOpen, At: at},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestCSVNullAndEmpty: an empty unquoted field is null, "" the empty
// string; null is an error for a required, non-nullable field.
func TestCSVNullAndEmpty(t *testing.T) {
	file := "sensor,seq,temp,kind,at,note,label\n" +
		`"",1,1,open,2024-05-01T12:00:00Z,"",""` + "\n" +
		`s,1,1,open,2024-05-01T12:00:00Z,,` + "\n"
	got := decodeOK(t, true, file)
	want := []Reading{
		{Sensor: "", Seq: 1, Temp: 1, Kind: ReadingKindOpen, At: at, Note: ptr(""), Label: ptr("")},
		{Sensor: "s", Seq: 1, Temp: 1, Kind: ReadingKindOpen, At: at},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	d := NewReadingCSVDecoder(true, ',')
	if err := d.Header([]byte("sensor,seq,temp,kind,at,note")); err != nil {
		t.Fatal(err)
	}
	var r Reading
	err := d.Decode([]byte(`,1,1,open,2024-05-01T12:00:00Z,`), &r)
	checkErr(t, err, "sensor", 0, "null (an empty unquoted value) not allowed")
	err = d.Decode([]byte(`s,1,,open,2024-05-01T12:00:00Z,`), &r)
	checkErr(t, err, "temp", 4, "null (an empty unquoted value) not allowed")
}

// checkErr checks that err is a *streamimpl.DecodeError for field at
// byte offset off with message msg.
func checkErr(t *testing.T, err error, field string, off int, msg string) {
	t.Helper()
	var de *streamimpl.DecodeError
	if !errors.As(err, &de) {
		t.Errorf("error %v, want a DecodeError for %q at %d: %s", err, field, off, msg)
		return
	}
	if de.Field != field || de.Offset != off || de.Msg != msg {
		t.Errorf("error {Field:%q Offset:%d Msg:%q}, want {%q %d %q}", de.Field, de.Offset, de.Msg, field, off, msg)
	}
}

// TestCSVValueErrors: every type's errors, with the field and the byte
// offset of its column.
func TestCSVValueErrors(t *testing.T) {
	// Each line replaces one field of a valid line:
	// sensor,seq,level,temp,ok,kind,at,day,note,label,id,epoch
	base := []string{"s", "1", "2", "3.5", "true", "open", "2024-05-01T12:00:00Z", "2024-01-31", "n", "l", "123e4567-e89b-12d3-a456-426614174000", "0"}
	tests := []struct {
		field, value, msg string
	}{
		{"seq", "abc", `expected integer, found "abc"`},
		{"seq", "1.5", `expected integer, found "1.5"`},
		{"seq", "-1", `value -1 is less than the minimum 0`},
		{"seq", "9223372036854775808", `number 9223372036854775808 out of range of int64`},
		{"seq", " 1", `expected integer, found " 1"`},
		{"level", "101", `value 101 is greater than the maximum 100`},
		{"level", "4294967296", `number 4294967296 out of range of int32`},
		{"temp", "NaN", `expected number, found "NaN"`},
		{"temp", "1e999", `number 1e999 out of range of float64`},
		{"temp", `""`, `expected number, found ""`},
		{"ok", "yes", `expected boolean, found "yes"`},
		{"kind", "Open", `invalid value "Open", want one of "open", "close", "in-progress"`},
		{"at", "2024-05-01 12:00:00", `invalid RFC 3339 timestamp "2024-05-01 12:00:00"`},
		{"day", "2023-02-29", `invalid date "2023-02-29" (want YYYY-MM-DD)`},
		{"note", "\xff", `invalid UTF-8 in string`},
		{"id", "not-a-uuid", `invalid UUID "not-a-uuid"`},
		{"epoch", "1.5", `expected integer, found "1.5"`},
		{"epoch", "253402300800", `timestamp 253402300800 out of range (years 0000 to 9999)`},
	}
	names := strings.Split(header, ",")
	d := NewReadingCSVDecoder(true, ',')
	if err := d.Header([]byte(header)); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		vals := append([]string(nil), base...)
		off := 0
		for i, n := range names {
			if n == tt.field {
				vals[i] = tt.value
				break
			}
			off += len(vals[i]) + 1
		}
		var r Reading
		err := d.Decode([]byte(strings.Join(vals, ",")), &r)
		checkErr(t, err, tt.field, off, tt.msg)
	}
	var r Reading
	if err := d.Decode([]byte(strings.Join(base, ",")), &r); err != nil {
		t.Errorf("base line: %v", err)
	}
}

// TestCSVLineErrors: malformed lines and headers.
func TestCSVLineErrors(t *testing.T) {
	d := NewReadingCSVDecoder(true, ',')
	if err := d.Header([]byte(header)); err != nil {
		t.Fatal(err)
	}
	var r Reading
	for _, tt := range []struct {
		line string
		off  int
		msg  string
	}{
		{`s,1,2,3.5,true,open,2024-05-01T12:00:00Z,2024-01-31,n "x",l,,0`, 54, `invalid CSV: bare " in unquoted field (column 9)`},
		{`s,1,2,3.5,true,open,2024-05-01T12:00:00Z,2024-01-31,"n"x,l,,0`, 55, `invalid CSV: invalid character 'x' after quoted field (column 9)`},
		{`s,1,2,3.5,true,open,2024-05-01T12:00:00Z,2024-01-31,"n,l,,0`, 52, `invalid CSV: quoted field not closed before the end of the line (column 9)`},
		{`s,1,2`, 0, `invalid CSV: line has 3 columns, the header has 12`},
		{header + ",x", 0, `invalid CSV: line has 13 columns, the header has 12`},
	} {
		checkErr(t, d.Decode([]byte(tt.line), &r), "", tt.off, tt.msg)
	}

	for _, tt := range []struct {
		header, field, msg string
		off                int
	}{
		{"sensor,seq,temp,kind,note", "at", "invalid CSV header: no column for the required field", 0},
		{"sensor,seq,temp,kind,at,Note", "note", "invalid CSV header: no column for the required field", 0},
		{"sensor,seq,temp,kind,at,note,seq", "", `invalid CSV header: duplicate column "seq" (columns 2 and 7)`, 29},
		{`sensor,"seq`, "", "invalid CSV header: invalid CSV: quoted field not closed before the end of the line (column 2)", 7},
	} {
		d := NewReadingCSVDecoder(true, ',')
		_, errs := decodeFile(t, d, true, tt.header+"\ns,1,1,open,2024-05-01T12:00:00Z,n\ns,2,1,open,2024-05-01T12:00:00Z,n\n")
		checkErr(t, d.Header([]byte(tt.header)), tt.field, tt.off, tt.msg)
		for _, err := range errs {
			checkErr(t, err, tt.field, tt.off, tt.msg)
		}
	}
}

// TestCSVQuoting: quoted delimiters, quotes and whitespace, and another
// delimiter.
func TestCSVQuoting(t *testing.T) {
	d := NewReadingCSVDecoder(true, ';')
	file := "sensor;seq;temp;kind;at;note;label\n" +
		`"a;b";1;1;open;2024-05-01T12:00:00Z;"say ""hi"", ok";  spaced  ` + "\n" +
		`a,b;2;1;open;2024-05-01T12:00:00Z;"";""""` + "\n"
	got, errs := decodeFile(t, d, true, file)
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	want := []Reading{
		{Sensor: "a;b", Seq: 1, Temp: 1, Kind: ReadingKindOpen, At: at, Note: ptr(`say "hi", ok`), Label: ptr("  spaced  ")},
		{Sensor: "a,b", Seq: 2, Temp: 1, Kind: ReadingKindOpen, At: at, Note: ptr(""), Label: ptr(`"`)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestCSVPositional: without a header, columns are the fields in schema
// order, and a line must have one per field.
func TestCSVPositional(t *testing.T) {
	file := `s,1,,2.5,false,close,2024-05-01T12:00:00Z,,,"",,` + "\r\n"
	got := decodeOK(t, false, file)
	want := []Reading{{Sensor: "s", Seq: 1, Temp: 2.5, Ok: ptr(false), Kind: ReadingKindClose, At: at, Label: ptr("")}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	d := NewReadingCSVDecoder(false, ',')
	var r Reading
	checkErr(t, d.Decode([]byte(`s,1,,2.5,false,close,2024-05-01T12:00:00Z`), &r), "", 0, "invalid CSV: line has 7 columns, want 12 (one per field of the schema)")
	// The header line is data without a header: its "seq" is no integer.
	checkErr(t, d.Decode([]byte(header), &r), "seq", 7, `expected integer, found "seq"`)
}

// TestCSVDecodeResets: Decode resets dst first.
func TestCSVDecodeResets(t *testing.T) {
	d := NewReadingCSVDecoder(false, ',')
	r := Reading{Label: ptr("old"), Level: ptr(int32(3))}
	if err := d.Decode([]byte(`s,1,,2.5,,close,2024-05-01T12:00:00Z,,,,,`), &r); err != nil {
		t.Fatal(err)
	}
	if r.Label != nil || r.Level != nil {
		t.Errorf("dst not reset: %+v", r)
	}
}

// randomReading returns a record with random values for every field,
// nulls for optional ones, and strings with delimiters, quotes, spaces
// and non-ASCII text.
func randomReading(rng *rand.Rand) Reading {
	str := func() string {
		const chars = `ab ,;"'é\` + "\t€x"
		var b strings.Builder
		for range rng.IntN(8) {
			b.WriteString(string([]rune(chars)[rng.IntN(len([]rune(chars)))]))
		}
		return b.String()
	}
	maybe := func() bool { return rng.IntN(3) > 0 }
	r := Reading{
		Sensor: str(),
		Seq:    rng.Int64N(math.MaxInt64),
		Temp:   []float64{0, -0.5, 1e300, -3.25e-7, rng.NormFloat64() * 1e6, math.MaxFloat64, math.SmallestNonzeroFloat64}[rng.IntN(7)],
		Kind:   []ReadingKind{ReadingKindOpen, ReadingKindClose, ReadingKindInProgress}[rng.IntN(3)],
		At:     time.Unix(rng.Int64N(4e9)-1e9, rng.Int64N(1e9)).UTC(),
	}
	if maybe() {
		r.Level = ptr(rng.Int32N(101))
	}
	if maybe() {
		r.Ok = ptr(rng.IntN(2) == 0)
	}
	if maybe() {
		r.Day = ptr(delta.DateValue(rng.IntN(40000) - 10000))
	}
	if maybe() {
		r.Note = ptr(str())
	}
	if maybe() {
		r.Label = ptr(str())
	}
	if maybe() {
		r.ID = ptr("123e4567-e89b-12d3-a456-42661417400" + strconv.Itoa(rng.IntN(10)))
	}
	if maybe() {
		r.Epoch = ptr(time.Unix(rng.Int64N(4e9), 0).UTC())
	}
	return r
}

// emptyMark stands for an empty string while encoding/csv writes a line:
// it writes "" unquoted, which reads back as null, so the test's encoder
// replaces the mark with a quoted "".
const emptyMark = "\x00empty\x00"

// encodeCSV renders records as CSV lines with encoding/csv, columns in
// the order of cols (JSON names; "extra" adds an ignored column).
func encodeCSV(t testing.TB, recs []Reading, cols []string, delim rune) []string {
	t.Helper()
	var lines []string
	for _, r := range recs {
		s := func(p *string) string {
			switch {
			case p == nil:
				return ""
			case *p == "":
				return emptyMark
			}
			return *p
		}
		vals := map[string]string{
			"sensor": s(&r.Sensor),
			"seq":    strconv.FormatInt(r.Seq, 10),
			"temp":   strconv.FormatFloat(r.Temp, 'g', -1, 64),
			"kind":   string(r.Kind),
			"at":     r.At.Format(time.RFC3339Nano),
			"note":   s(r.Note),
			"label":  s(r.Label),
			"id":     s(r.ID),
			"extra":  `x,"y"`,
		}
		if r.Level != nil {
			vals["level"] = strconv.Itoa(int(*r.Level))
		}
		if r.Ok != nil {
			vals["ok"] = strings.ToUpper(strconv.FormatBool(*r.Ok))
		}
		if r.Day != nil {
			vals["day"] = r.Day.Time().Format(time.DateOnly)
		}
		if r.Epoch != nil {
			vals["epoch"] = strconv.FormatInt(r.Epoch.Unix(), 10)
		}
		var row []string
		for _, c := range cols {
			row = append(row, vals[c])
		}
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		w.Comma = delim
		if err := w.Write(row); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		line := strings.TrimSuffix(buf.String(), "\n")
		lines = append(lines, strings.ReplaceAll(line, emptyMark, `""`))
	}
	return lines
}

// TestCSVDifferential: random records rendered by encoding/csv's writer
// decode back to the same records, with a shuffled header and with
// positional columns.
func TestCSVDifferential(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	names := strings.Split(header, ",")
	for round := range 50 {
		recs := make([]Reading, 20)
		for i := range recs {
			recs[i] = randomReading(rng)
		}
		hdr := round%2 == 0
		delim := []rune{',', ';', '\t', '|'}[rng.IntN(4)]
		cols := names
		if hdr {
			cols = append([]string{"extra"}, names...)
			rng.Shuffle(len(cols), func(i, j int) { cols[i], cols[j] = cols[j], cols[i] })
		}
		lines := encodeCSV(t, recs, cols, delim)
		d := NewReadingCSVDecoder(hdr, byte(delim))
		if hdr {
			if err := d.Header([]byte(strings.Join(cols, string(delim)))); err != nil {
				t.Fatal(err)
			}
		}
		for i, line := range lines {
			var got Reading
			if err := d.Decode([]byte(line), &got); err != nil {
				t.Fatalf("round %d line %q: %v", round, line, err)
			}
			if diff := cmp.Diff(recs[i], got); diff != "" {
				t.Fatalf("round %d line %q (-want +got):\n%s", round, line, diff)
			}
		}
	}
}

// TestCSVDecodeAllocs: decoding a line allocates only for the pointers
// of optional fields (strings go to the arena).
func TestCSVDecodeAllocs(t *testing.T) {
	d := NewReadingCSVDecoder(false, ',')
	line := []byte(`sensor-0001,42,,21.5,,open,2024-05-01T12:00:00Z,,,,,`)
	var r Reading
	allocs := testing.AllocsPerRun(1000, func() {
		if err := d.Decode(line, &r); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 0.01 { // an arena block now and then
		t.Errorf("%v allocations per record", allocs)
	}
}

// jsonRef makes BenchmarkCSVDecode decode the same records as JSON lines
// with the JSON decoder instead, for comparison.
var jsonRef = flag.Bool("jsonref", false, "BenchmarkCSVDecode: decode the records as JSON instead")

// BenchmarkCSVDecode decodes a file of readings with a header, reporting
// ns/record and MB/s. The allocations are the pointers of optional
// fields (about 4.7 per record here), as in the JSON decoder.
func BenchmarkCSVDecode(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	recs := make([]Reading, 1000)
	for i := range recs {
		// Realistic values: short decimals, ASCII names.
		r := randomReading(rng)
		r.Sensor = fmt.Sprintf("sensor-%04d", rng.IntN(10000))
		r.Temp = math.Round(rng.NormFloat64()*1000) / 100
		if r.Note != nil {
			r.Note = ptr("battery low, check")
		}
		recs[i] = r
	}
	lines := encodeCSV(b, recs, strings.Split(header, ","), ',')
	data := make([][]byte, len(lines))
	size := 0
	for i, l := range lines {
		data[i] = []byte(l)
		size += len(l) + 1
	}
	if *jsonRef {
		// The same records as JSON lines (without day and epoch),
		// through the JSON decoder.
		size = 0
		for i := range recs {
			r := recs[i]
			r.Day, r.Epoch = nil, nil // encoding/json writes them otherwise
			data[i], _ = json.Marshal(&r)
			size += len(data[i]) + 1
		}
		d := NewReadingDecoder()
		var r Reading
		b.SetBytes(int64(size))
		b.ReportAllocs()
		for b.Loop() {
			d.Reset()
			for _, l := range data {
				if err := d.Decode(l, &r); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(data)), "ns/record")
		return
	}
	d := NewReadingCSVDecoder(true, ',')
	if err := d.Header([]byte(header)); err != nil {
		b.Fatal(err)
	}
	var r Reading
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		d.Reset()
		for _, l := range data {
			if err := d.Decode(l, &r); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(data)), "ns/record")
}
