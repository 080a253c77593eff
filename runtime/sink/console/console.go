// Package console is the console sink (Spark's console sink): it prints
// every batch as a table, for debugging.
//
// Each batch is printed the way Spark's ConsoleSink prints it, with
// Dataset.show's layout:
//
//	-------------------------------------------
//	Batch: 3
//	-------------------------------------------
//	+------+------+
//	|device|status|
//	+------+------+
//	|  Dev1|    ok|
//	+------+------+
//	only showing top 20 rows
//
// followed by an empty line. The footer appears only when the batch has
// more rows than NumRows. With Truncate (the default) cells longer than 20
// characters are cut to 17 and "..." and cells are right-aligned; without
// it cells are left-aligned and never cut. Column widths are at least 3 and
// count East Asian full-width characters as two, as Spark does.
//
// Columns are the fields of the row type T, named by their `json` tags
// (fields tagged "-" and unexported fields are left out; an embedded
// struct without a tag contributes its fields). A T that is not a struct
// (nor a pointer to one) is printed as one column named "value". Values
// are rendered like Spark's show:
//
//   - nil pointers, slices, maps and interfaces: null
//   - time.Time: "2006-01-02 15:04:05" in UTC, with the fraction of a
//     second (up to microseconds, trailing zeros dropped) when non-zero
//   - types with a String method (delta.DateValue as 2006-01-02,
//     delta.Decimal, time.Duration): that string
//   - named string types (generated enums): the string
//   - float32, float64: as Java's Float/Double.toString (1.0, 1.0E10, NaN)
//   - []byte: hex bytes, [0A FF]
//   - slices and arrays: [a, b]; structs: {a, b}; maps: {k -> v}, sorted
//     by rendered key
//
// Control characters \n, \r, \t, \f, \b, \v and \a in cells and column
// names are printed escaped ("\n"), so they cannot break the table.
//
// Unlike the memory and Delta sinks, the console sink does not skip a
// re-run batch: like Spark's, it prints every batch it is given.
package console

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// Opt configures New.
type Opt interface{ apply(*cfg) }

type opt func(*cfg)

func (o opt) apply(c *cfg) { o(c) }

type cfg struct {
	numRows     int
	truncate    bool
	description string
}

// NumRows sets how many rows of each batch are printed, overriding the
// default of 20. A negative n counts as 0, as in Spark.
func NumRows(n int) Opt { return opt(func(c *cfg) { c.numRows = max(n, 0) }) }

// Truncate sets whether cells longer than 20 characters are cut (and the
// cells right-aligned), overriding the default of true.
func Truncate(truncate bool) Opt { return opt(func(c *cfg) { c.truncate = truncate }) }

// Description sets the sink's description, shown in progress reports,
// overriding the default "ConsoleSink[numRows=20, truncate=true]".
func Description(d string) Opt { return opt(func(c *cfg) { c.description = d }) }

// truncateWidth is Spark's show(numRows, truncate = true) cell width.
const truncateWidth = 20

// Sink prints batches of rows of type T to a writer. It is safe for
// concurrent use: each batch is printed in one Write, and batches never
// interleave.
type Sink[T any] struct {
	cfg cfg
	r   *renderer

	mu sync.Mutex // serialises writes to w
	w  io.Writer
}

// New returns a sink printing to w (usually os.Stdout).
func New[T any](w io.Writer, opts ...Opt) *Sink[T] {
	c := cfg{numRows: 20, truncate: true}
	for _, o := range opts {
		o.apply(&c)
	}
	if c.description == "" {
		c.description = fmt.Sprintf("ConsoleSink[numRows=%d, truncate=%t]", c.numRows, c.truncate)
	}
	return &Sink[T]{cfg: c, w: w, r: newRenderer(reflect.TypeFor[T]())}
}

// Description returns the sink's description, for progress reports.
func (s *Sink[T]) Description() string { return s.cfg.description }

// AddBatch prints batch batchID: a header naming the batch, then the
// first NumRows rows as a table. It returns an error when ctx is done or
// the writer fails.
func (s *Sink[T]) AddBatch(ctx context.Context, batchID int64, rows []T) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("console: add batch %d: %w", batchID, err)
	}
	var b bytes.Buffer
	b.WriteString("-------------------------------------------\n")
	fmt.Fprintf(&b, "Batch: %d\n", batchID)
	b.WriteString("-------------------------------------------\n")
	s.show(&b, rows)
	b.WriteByte('\n') // Spark's println(showString(…))
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("console: add batch %d: %w", batchID, err)
	}
	return nil
}

// show writes rows as Spark's Dataset.showString(numRows, truncate) does.
func (s *Sink[T]) show(b *bytes.Buffer, rows []T) {
	n := min(len(rows), s.cfg.numRows)
	table := make([][]string, 0, n+1)
	header := make([]string, len(s.r.columns))
	for i, c := range s.r.columns {
		header[i] = escapeMeta(c)
	}
	table = append(table, header)
	for i := range n {
		cells := s.r.row(reflect.ValueOf(&rows[i]).Elem())
		for j, c := range cells {
			c = escapeMeta(c)
			if s.cfg.truncate {
				c = truncate(c, truncateWidth)
			}
			cells[j] = c
		}
		table = append(table, cells)
	}

	const minimumColWidth = 3
	widths := make([]int, len(header))
	for i := range widths {
		widths[i] = minimumColWidth
	}
	for _, row := range table {
		for i, c := range row {
			widths[i] = max(widths[i], halfWidth(c))
		}
	}
	var sep strings.Builder
	sep.WriteByte('+')
	for _, w := range widths {
		sep.WriteString(strings.Repeat("-", w))
		sep.WriteByte('+')
	}
	sep.WriteByte('\n')

	line := func(row []string) {
		b.WriteByte('|')
		for i, c := range row {
			pad := strings.Repeat(" ", widths[i]-halfWidth(c))
			if s.cfg.truncate {
				b.WriteString(pad)
				b.WriteString(c)
			} else {
				b.WriteString(c)
				b.WriteString(pad)
			}
			b.WriteByte('|')
		}
		b.WriteByte('\n')
	}
	b.WriteString(sep.String())
	line(table[0])
	b.WriteString(sep.String())
	for _, row := range table[1:] {
		line(row)
	}
	b.WriteString(sep.String())
	if len(rows) > s.cfg.numRows {
		word := "rows"
		if s.cfg.numRows == 1 {
			word = "row"
		}
		fmt.Fprintf(b, "only showing top %d %s\n", s.cfg.numRows, word)
	}
}

// truncate cuts s to width characters, the last three "...", as Spark
// does (without the ellipsis when width is below 4).
func truncate(s string, width int) string {
	if utf8Len(s) <= width {
		return s
	}
	keep := width
	if width >= 4 {
		keep = width - 3
	}
	i := 0
	for j := range s {
		if i == keep {
			s = s[:j]
			break
		}
		i++
	}
	if width >= 4 {
		s += "..."
	}
	return s
}

func utf8Len(s string) int {
	n := 0
	for range s {
		n++
	}
	return n
}

// halfWidth is the display width of s: Spark's Utils.stringHalfWidth,
// which counts a character in the East Asian full-width ranges as two.
func halfWidth(s string) int {
	n := 0
	for _, r := range s {
		n++
		if fullWidth(r) {
			n++
		}
	}
	return n
}

// fullWidth reports whether r is in one of Spark's full-width ranges.
func fullWidth(r rune) bool {
	switch {
	case r >= 0x1100 && r <= 0x115F,
		r >= 0x2E80 && r <= 0xA4CF,
		r >= 0xAC00 && r <= 0xD7A3,
		r >= 0xF900 && r <= 0xFAFF,
		r >= 0xFE10 && r <= 0xFE19,
		r >= 0xFE30 && r <= 0xFE6F,
		r >= 0xFF00 && r <= 0xFF60,
		r >= 0xFFE0 && r <= 0xFFE6:
		return true
	}
	return false
}

var metaEscaper = strings.NewReplacer(
	"\n", `\n`, "\r", `\r`, "\t", `\t`, "\f", `\f`, "\b", `\b`, "\v", `\v`, "\a", `\a`)

// escapeMeta escapes control characters as Spark's
// SchemaUtils.escapeMetaCharacters does.
func escapeMeta(s string) string {
	if !strings.ContainsAny(s, "\n\r\t\f\b\v\a") {
		return s
	}
	return metaEscaper.Replace(s)
}

// formatFloat formats f as Java's Double.toString (bits 64) or
// Float.toString (bits 32): the shortest digits that round-trip, plain
// with at least one fraction digit for 1e-3 <= |f| < 1e7, otherwise
// computerized scientific notation such as 1.0E10.
func formatFloat(f float64, bits int) string {
	switch {
	case f != f:
		return "NaN"
	case f > 0 && f*0.5 == f: // +Inf
		return "Infinity"
	case f < 0 && f*0.5 == f:
		return "-Infinity"
	case f == 0:
		if 1/f < 0 {
			return "-0.0"
		}
		return "0.0"
	}
	abs := f
	if abs < 0 {
		abs = -abs
	}
	if abs >= 1e-3 && abs < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, bits)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'E', -1, bits) // 1.2345E+10, 1E-05
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}
