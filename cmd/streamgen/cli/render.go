package cli

import (
	"encoding/base64"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/streamgen/streamgen/runtime/delta"
)

// This file turns [delta.Row] values into text. Rendering is driven by the
// schema type where the Row value alone is ambiguous (timestamp versus
// timestamp_ntz, struct field names, map key types) and falls back to the
// Go value otherwise, so a value that does not match its declared type is
// still printed rather than lost.
//
// Scalars have one text form shared by every output format:
//
//	string           as is (JSON: a JSON string)
//	integers         decimal digits
//	float, double    shortest form that round-trips (1.1, 1e+21); NaN,
//	                 Infinity and -Infinity (JSON: those words as strings)
//	boolean          true, false
//	decimal(p,s)     exactly s fraction digits (JSON: a number, written
//	                 verbatim from the exact value, never through float64)
//	date             2006-01-02
//	timestamp        RFC 3339 in UTC: 2016-07-26T02:14:35Z, with six
//	                 fraction digits (2016-07-26T02:14:35.500000Z) only
//	                 when the fraction is non-zero
//	timestamp_ntz    the same without the zone: 2016-07-26T02:14:35
//	binary           standard base64 (text table: \x followed by hex)
//
// Structs, arrays and maps are written as JSON in the text and CSV formats
// and as nested JSON in jsonl: a struct is an object with its fields in
// schema order, an array an array, a map an object when its keys are
// strings, else an array of {"key":…,"value":…} objects; map entries keep
// file order.

// formatTimestamp renders an instant as RFC 3339 in UTC with six fraction
// digits (microseconds) when the fraction is non-zero, none otherwise.
func formatTimestamp(t time.Time) string {
	t = t.UTC().Truncate(time.Microsecond)
	if t.Nanosecond() == 0 {
		return t.Format("2006-01-02T15:04:05Z")
	}
	return t.Format("2006-01-02T15:04:05.000000Z")
}

// formatTimestampNTZ renders a wall-clock time like formatTimestamp,
// without the zone.
func formatTimestampNTZ(t time.Time) string {
	s := formatTimestamp(t)
	return s[:len(s)-1]
}

// formatFloat renders f in its shortest round-tripping form at bitSize.
func formatFloat(f float64, bitSize int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return strconv.FormatFloat(f, 'g', -1, bitSize)
}

// scalarText renders a non-null, non-nested value as text. ok is false for
// structs, arrays and maps, which have no scalar form.
func scalarText(v any, t delta.DataType) (s string, ok bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case int64:
		return strconv.FormatInt(v, 10), true
	case int32:
		return strconv.FormatInt(int64(v), 10), true
	case int16:
		return strconv.FormatInt(int64(v), 10), true
	case int8:
		return strconv.FormatInt(int64(v), 10), true
	case int:
		return strconv.Itoa(v), true
	case float32:
		return formatFloat(float64(v), 32), true
	case float64:
		return formatFloat(v, 64), true
	case bool:
		return strconv.FormatBool(v), true
	case delta.Decimal:
		if v.Unscaled == nil {
			return "NULL", true
		}
		return v.String(), true
	case delta.DateValue:
		return v.String(), true
	case time.Time:
		if t == delta.TimestampNTZ {
			return formatTimestampNTZ(v), true
		}
		return formatTimestamp(v), true
	case []byte:
		return base64.StdEncoding.EncodeToString(v), true
	}
	return "", false
}

// jsonNumberish reports whether the text form of v is a valid JSON number.
func jsonNumberish(v any) bool {
	switch v := v.(type) {
	case int64, int32, int16, int8, int:
		return true
	case float32:
		f := float64(v)
		return !math.IsNaN(f) && !math.IsInf(f, 0)
	case float64:
		return !math.IsNaN(v) && !math.IsInf(v, 0)
	case delta.Decimal:
		return v.Unscaled != nil
	}
	return false
}

// appendJSONValue appends v, of declared type t (which may be nil when
// unknown), as JSON.
func appendJSONValue(b []byte, v any, t delta.DataType) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	switch v := v.(type) {
	case bool:
		return strconv.AppendBool(b, v)
	case delta.Row:
		st, _ := t.(*delta.StructType)
		b = append(b, '{')
		for i, fv := range v {
			if i > 0 {
				b = append(b, ',')
			}
			name, ft := fieldAt(st, i)
			b = appendJSONString(b, name)
			b = append(b, ':')
			b = appendJSONValue(b, fv, ft)
		}
		return append(b, '}')
	case []any:
		var et delta.DataType
		if at, ok := t.(*delta.ArrayType); ok {
			et = at.ElementType
		}
		b = append(b, '[')
		for i, ev := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONValue(b, ev, et)
		}
		return append(b, ']')
	case []delta.MapEntry:
		var kt, vt delta.DataType
		if mt, ok := t.(*delta.MapType); ok {
			kt, vt = mt.KeyType, mt.ValueType
		}
		if stringKeys(v, kt) {
			b = append(b, '{')
			for i, e := range v {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendJSONString(b, e.Key.(string))
				b = append(b, ':')
				b = appendJSONValue(b, e.Value, vt)
			}
			return append(b, '}')
		}
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"key":`...)
			b = appendJSONValue(b, e.Key, kt)
			b = append(b, `,"value":`...)
			b = appendJSONValue(b, e.Value, vt)
			b = append(b, '}')
		}
		return append(b, ']')
	}
	s, ok := scalarText(v, t)
	if !ok {
		// A Go type outside the Row value model: print it rather than lose it.
		s = fmt.Sprintf("%v", v)
	}
	if jsonNumberish(v) {
		return append(b, s...)
	}
	return appendJSONString(b, s)
}

// stringKeys reports whether a map's keys all are strings (by declared
// type when known, else by value).
func stringKeys(entries []delta.MapEntry, kt delta.DataType) bool {
	for _, e := range entries {
		if _, ok := e.Key.(string); !ok {
			return false
		}
	}
	return kt == nil || kt == delta.String
}

// fieldAt returns the name and type of field i of st, or a positional name
// when the schema does not describe it.
func fieldAt(st *delta.StructType, i int) (string, delta.DataType) {
	if st != nil && i < len(st.Fields) {
		return st.Fields[i].Name, st.Fields[i].Type
	}
	return "_" + strconv.Itoa(i+1), nil
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string without HTML escaping.
// Invalid UTF-8 becomes U+FFFD, as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, `\u202`...)
			b = append(b, hexDigits[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// cellText renders a value for the text table and CSV formats: scalars in
// their text form, nested values as compact JSON. null is reported with
// isNull so each format can spell it.
func cellText(v any, t delta.DataType) (s string, isNull bool) {
	if v == nil {
		return "", true
	}
	if s, ok := scalarText(v, t); ok {
		return s, false
	}
	return string(appendJSONValue(nil, v, t)), false
}

// isNumeric reports whether a column of type t is right-aligned in the
// text table.
func isNumeric(t delta.DataType) bool {
	switch t {
	case delta.Long, delta.Integer, delta.Short, delta.Byte, delta.Float, delta.Double:
		return true
	}
	_, ok := t.(delta.DecimalType)
	return ok
}

// rowWriter writes rows in one output format.
type rowWriter interface {
	// WriteRow writes one row.
	WriteRow(r delta.Row) error
	// Close finishes the output: flushes buffers and writes footers.
	// truncated says that --limit left rows out.
	Close(truncated bool) error
}

// newRowWriter returns a writer of rows of schema in format, one of the
// names in rowFormats.
func newRowWriter(w io.Writer, format string, schema *delta.StructType) (rowWriter, error) {
	switch format {
	case "table":
		return newTableRows(w, schema), nil
	case "csv":
		return newCSVRows(w, schema)
	case "jsonl":
		return &jsonlRows{w: w, schema: schema}, nil
	}
	return nil, fmt.Errorf("unknown format %q (want %s)", format, strings.Join(rowFormats, ", "))
}

// rowFormats are the --format values of table show.
var rowFormats = []string{"table", "csv", "jsonl"}

// jsonlRows writes one JSON object per row, keys in schema order.
type jsonlRows struct {
	w      io.Writer
	schema *delta.StructType
	buf    []byte
}

func (j *jsonlRows) WriteRow(r delta.Row) error {
	j.buf = appendJSONValue(j.buf[:0], r, j.schema)
	j.buf = append(j.buf, '\n')
	_, err := j.w.Write(j.buf)
	return err
}

func (j *jsonlRows) Close(bool) error { return nil }

// csvRows writes RFC 4180 CSV with a header line; null is an empty field.
type csvRows struct {
	w      *csv.Writer
	schema *delta.StructType
	rec    []string
}

func newCSVRows(w io.Writer, schema *delta.StructType) (*csvRows, error) {
	c := &csvRows{w: csv.NewWriter(w), schema: schema, rec: make([]string, len(schema.Fields))}
	for i, f := range schema.Fields {
		c.rec[i] = f.Name
	}
	if err := c.w.Write(c.rec); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *csvRows) WriteRow(r delta.Row) error {
	for i := range c.rec {
		c.rec[i] = ""
		if i < len(r) {
			_, t := fieldAt(c.schema, i)
			c.rec[i], _ = cellText(r[i], t)
		}
	}
	return c.w.Write(c.rec)
}

func (c *csvRows) Close(bool) error {
	c.w.Flush()
	return c.w.Error()
}

// tableRows buffers rows and writes an aligned text table on Close.
type tableRows struct {
	w      io.Writer
	schema *delta.StructType
	tab    *textTable
}

func newTableRows(w io.Writer, schema *delta.StructType) *tableRows {
	tab := &textTable{}
	for _, f := range schema.Fields {
		tab.header = append(tab.header, f.Name)
		tab.right = append(tab.right, isNumeric(f.Type))
	}
	return &tableRows{w: w, schema: schema, tab: tab}
}

func (t *tableRows) WriteRow(r delta.Row) error {
	cells := make([]string, len(t.schema.Fields))
	for i := range cells {
		if i >= len(r) {
			cells[i] = "NULL"
			continue
		}
		_, ft := fieldAt(t.schema, i)
		cells[i] = tableCell(r[i], ft)
	}
	t.tab.rows = append(t.tab.rows, cells)
	return nil
}

func (t *tableRows) Close(truncated bool) error {
	n := len(t.tab.rows)
	switch {
	case truncated:
		t.tab.footer = fmt.Sprintf("(%d %s shown; more not shown, raise --limit)", n, plural(n, "row", "rows"))
	default:
		t.tab.footer = fmt.Sprintf("(%d %s)", n, plural(n, "row", "rows"))
	}
	return t.tab.write(t.w)
}

// tableCell renders one value for the text table: NULL for null, binary
// as \x and lowercase hex, control characters escaped so rows stay on one
// line.
func tableCell(v any, t delta.DataType) string {
	if v == nil {
		return "NULL"
	}
	if b, ok := v.([]byte); ok {
		var sb strings.Builder
		sb.WriteString(`\x`)
		for _, c := range b {
			sb.WriteByte(hexDigits[c>>4])
			sb.WriteByte(hexDigits[c&0xf])
		}
		return sb.String()
	}
	s, _ := cellText(v, t)
	return escapeControl(s)
}

// escapeControl replaces control characters with Go escapes.
func escapeControl(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	var sb strings.Builder
	for _, r := range s {
		if isControl(r) {
			q := strconv.QuoteRune(r)
			sb.WriteString(q[1 : len(q)-1])
			continue
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// textTable is an aligned plain-text table in the style of psql:
//
//	 letter | number
//	--------+--------
//	 a      |      1
//	(1 row)
//
// Columns marked right are right-aligned (numbers). Trailing spaces are
// trimmed from every line.
type textTable struct {
	header []string
	right  []bool
	rows   [][]string
	footer string
}

func (t *textTable) write(w io.Writer) error {
	widths := make([]int, len(t.header))
	for i, h := range t.header {
		widths[i] = utf8.RuneCountInString(h)
	}
	for _, r := range t.rows {
		for i, c := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	line := func(cells []string) {
		var lb strings.Builder
		for i, c := range cells {
			if i > 0 {
				lb.WriteString(" |")
			}
			lb.WriteByte(' ')
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
			if t.right[i] {
				lb.WriteString(pad + c)
			} else {
				lb.WriteString(c + pad)
			}
		}
		b.WriteString(strings.TrimRight(lb.String(), " "))
		b.WriteByte('\n')
	}
	line(t.header)
	for i, wd := range widths {
		if i > 0 {
			b.WriteByte('+')
		}
		b.WriteString(strings.Repeat("-", wd+2))
	}
	b.WriteByte('\n')
	for _, r := range t.rows {
		line(r)
	}
	if t.footer != "" {
		b.WriteString(t.footer)
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}
