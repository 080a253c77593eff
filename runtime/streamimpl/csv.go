package streamimpl

import (
	"bytes"
	"strconv"
)

// CSV lines: splitting, header mapping and typed values.
//
// Generated CSV decoders (<Record>CSVDecoder) hold a CSVReader, which
// splits each line into cells (CSVSplitter) and maps cells to the
// record's fields, by header name or by position, and call the CSV*
// value parsers below on each cell. The rules are Spark's CSV reader
// defaults, made typed:
//
//   - One record per line (multiLine=false): a quoted field cannot span
//     lines. The files source splits lines and strips "\n" and "\r\n".
//   - Fields are separated by one delimiter byte (default ','); a field
//     starting with '"' is quoted and ends at the next lone '"', which
//     must be followed by the delimiter or the end of the line; inside
//     quotes, `""` is a literal quote (RFC 4180). A '"' in an unquoted
//     field is an error. Whitespace is kept as it is.
//   - An empty unquoted field is null; `""` is the empty string.

// CSVCell is one field of a split CSV line.
type CSVCell struct {
	// Value is the field's contents, unquoted: a slice of the line, or,
	// for a quoted field holding `""`, of the splitter's buffer. Valid
	// until the next Split.
	Value []byte
	// Offset is the byte offset in the line where the field starts (its
	// opening quote when quoted).
	Offset int
	// Quoted is true when the field was quoted. An empty unquoted field
	// is null; an empty quoted one is the empty string.
	Quoted bool
}

// Null reports whether the cell is null: empty and unquoted.
func (c *CSVCell) Null() bool { return !c.Quoted && len(c.Value) == 0 }

// CSVSplitter splits CSV lines into cells without allocating once its
// buffers have grown. The zero CSVSplitter is ready to use; it is not
// safe for concurrent use.
type CSVSplitter struct {
	// Cells are the cells of the last line split, in order.
	Cells []CSVCell
	buf   []byte // unescaped contents of quoted fields holding `""`
}

// Split splits line, one CSV record without its line terminator, into
// s.Cells, fields separated by delim. A line always has at least one
// cell (an empty line is one null cell). Errors are *DecodeError
// (ErrValue, Field empty) at the offending byte: a '"' inside an
// unquoted field, or a quoted field not closed by a lone '"' followed by
// the delimiter or the end of the line. delim must not be '"', '\r' or
// '\n'.
func (s *CSVSplitter) Split(line []byte, delim byte) error {
	cells := s.Cells[:0]
	s.buf = s.buf[:0]
	i := 0
	for {
		start := i
		if i < len(line) && line[i] == '"' {
			// Quoted field.
			i++
			from := len(s.buf)
			escaped := false
			var val []byte
			for {
				j := bytes.IndexByte(line[i:], '"')
				if j < 0 {
					s.Cells = cells
					return csvSyntax(start, "quoted field not closed before the end of the line (column "+strconv.Itoa(len(cells)+1)+")")
				}
				j += i
				if j+1 < len(line) && line[j+1] == '"' {
					// `""`: one literal quote.
					s.buf = append(s.buf, line[i:j+1]...)
					escaped = true
					i = j + 2
					continue
				}
				if escaped {
					s.buf = append(s.buf, line[i:j]...)
					val = s.buf[from:len(s.buf):len(s.buf)]
				} else {
					val = line[start+1 : j : j]
				}
				i = j + 1
				break
			}
			cells = append(cells, CSVCell{Value: val, Offset: start, Quoted: true})
			if i == len(line) {
				s.Cells = cells
				return nil
			}
			if line[i] != delim {
				s.Cells = cells
				return csvSyntax(i, "invalid character "+quoteByte(line[i])+" after quoted field (column "+strconv.Itoa(len(cells))+")")
			}
			i++
			continue
		}
		// Unquoted field: fields are short, so a byte loop beats
		// IndexByte here.
		end := i
		for end < len(line) {
			c := line[end]
			if c == delim {
				break
			}
			if c == '"' {
				s.Cells = cells
				return csvSyntax(end, `bare " in unquoted field (column `+strconv.Itoa(len(cells)+1)+")")
			}
			end++
		}
		cells = append(cells, CSVCell{Value: line[i:end:end], Offset: start})
		if end == len(line) {
			s.Cells = cells
			return nil
		}
		i = end + 1
	}
}

// csvSyntax returns the error for malformed CSV at byte offset i.
func csvSyntax(i int, msg string) error {
	return &DecodeError{Offset: i, Msg: "invalid CSV: " + msg, Kind: ErrValue}
}

// ValidCSVDelimiter reports whether c can separate CSV fields: an ASCII
// byte other than NUL, '"', '\r' and '\n'.
func ValidCSVDelimiter(c byte) bool {
	return c != 0 && c < 0x80 && c != '"' && c != '\r' && c != '\n'
}

// CSVColumn describes one field of a record read from CSV, for a
// CSVReader: its JSON name, which a header names its column by, and
// whether the schema requires it (a header without it is invalid).
type CSVColumn struct {
	Name     string
	Required bool
}

// CSVReader maps the cells of CSV lines to a record's fields, by the
// file's header or by position. Generated CSV decoders hold one:
//
//   - With a header, Header is called with each file's first line. It
//     maps each field to the column of the same name (case-sensitive);
//     columns no field names are ignored; a field without a column is
//     null, and the header is invalid when the field is required or when
//     two columns have the same name. Every line then must have as many
//     cells as the header, and until the next Header every line of a
//     file with an invalid header is malformed (with the header's
//     error).
//   - Without a header, field i is column i (schema order) and every
//     line must have exactly one cell per field.
//
// The zero CSVReader is not ready: call Init. A CSVReader is not safe for
// concurrent use.
type CSVReader struct {
	sp     CSVSplitter
	cols   []CSVColumn
	delim  byte
	colOf  []int // field index → cell index, -1 when no column
	width  int   // the cells a line must have
	header bool  // columns come from a header line
	hdrErr *DecodeError
}

// Init prepares r for a record with fields cols, in schema order, read
// from lines whose cells are separated by delim (which must satisfy
// ValidCSVDelimiter; generated code checks it at generation time). With
// header, lines are malformed until Header has read a valid header;
// without, fields map to columns by position.
func (r *CSVReader) Init(cols []CSVColumn, header bool, delim byte) {
	r.cols = cols
	r.delim = delim
	r.header = header
	r.colOf = make([]int, len(cols))
	for i := range r.colOf {
		r.colOf[i] = i
	}
	r.width = len(cols)
	r.hdrErr = nil
	if header {
		r.hdrErr = &DecodeError{Msg: "no CSV header line read", Kind: ErrValue}
	}
	if !ValidCSVDelimiter(delim) {
		r.hdrErr = &DecodeError{Msg: "invalid CSV delimiter " + quoteByte(delim), Kind: ErrValue}
	}
}

// utf8BOM is the byte order mark some tools write at the start of a file.
const utf8BOM = "\xEF\xBB\xBF"

// Header reads a file's header line (after a UTF-8 byte order mark, which
// is skipped) and maps the record's fields to its columns for the lines
// that follow, until the next Header. Its error is a *DecodeError: a
// malformed line (ErrValue), two columns with the same name (ErrValue,
// at the second), or a required field without a column (ErrMissing,
// Field naming it). After an error every line is malformed until the
// next Header.
func (r *CSVReader) Header(line []byte) error {
	r.hdrErr = nil
	skip := 0
	if bytes.HasPrefix(line, []byte(utf8BOM)) {
		skip = len(utf8BOM)
	}
	if err := r.sp.Split(line[skip:], r.delim); err != nil {
		e := err.(*DecodeError)
		e.Offset += skip
		e.Msg = "invalid CSV header: " + e.Msg
		r.hdrErr = e
		return r.headerErr()
	}
	cells := r.sp.Cells
	for i := range r.colOf {
		r.colOf[i] = -1
	}
	byName := make(map[string]int, len(cells))
	for c := range cells {
		name := cells[c].Value
		if prev, dup := byName[string(name)]; dup {
			r.hdrErr = &DecodeError{Offset: cells[c].Offset + skip, Msg: "invalid CSV header: duplicate column " + strconv.Quote(string(name)) + " (columns " + strconv.Itoa(prev+1) + " and " + strconv.Itoa(c+1) + ")", Kind: ErrValue}
			return r.headerErr()
		}
		byName[string(name)] = c
	}
	for i, col := range r.cols {
		c, ok := byName[col.Name]
		if !ok {
			if col.Required {
				r.hdrErr = &DecodeError{Field: col.Name, Msg: "invalid CSV header: no column for the required field", Kind: ErrMissing}
				return r.headerErr()
			}
			continue
		}
		r.colOf[i] = c
	}
	r.width = len(cells)
	return nil
}

// headerErr returns a copy of the header's error, so that callers may
// change it.
func (r *CSVReader) headerErr() error {
	e := *r.hdrErr
	return &e
}

// Line splits line, one CSV record without its line terminator, into
// cells for Value. It fails when the line is malformed, when its number of
// cells differs from the header's (or, without a header, from the number
// of fields), and for every line after an invalid header.
func (r *CSVReader) Line(line []byte) error {
	if r.hdrErr != nil {
		return r.headerErr()
	}
	if err := r.sp.Split(line, r.delim); err != nil {
		return err
	}
	if n := len(r.sp.Cells); n != r.width {
		msg := "line has " + strconv.Itoa(n) + " columns, the header has " + strconv.Itoa(r.width)
		if !r.header {
			msg = "line has " + strconv.Itoa(n) + " columns, want " + strconv.Itoa(r.width) + " (one per field of the schema)"
		}
		return &DecodeError{Offset: 0, Msg: "invalid CSV: " + msg, Kind: ErrValue}
	}
	return nil
}

// Value returns the cell of field i in the last line: its contents and
// byte offset, and false when the field is null (an empty unquoted
// cell, or no column in the header).
func (r *CSVReader) Value(i int) (b []byte, offset int, ok bool) {
	c := r.colOf[i]
	if c < 0 {
		return nil, 0, false
	}
	cell := &r.sp.Cells[c]
	return cell.Value, cell.Offset, !cell.Null()
}

// NullError returns the error for field i, which may not be null, being
// null in the last line (an empty unquoted cell).
func (r *CSVReader) NullError(i int) error {
	off := 0
	if c := r.colOf[i]; c >= 0 {
		off = r.sp.Cells[c].Offset
	}
	return &DecodeError{Field: r.cols[i].Name, Offset: off, Msg: "null (an empty unquoted value) not allowed", Kind: ErrValue}
}

// CSVWithoutHeader returns d as a plain Decoder, hiding any Header
// method, for files without a header line (spec header: false): a source
// treats the first line of each file as a header exactly when its
// decoder implements HeaderDecoder.
func CSVWithoutHeader[T any](d Decoder[T]) Decoder[T] {
	return struct{ Decoder[T] }{d}
}
