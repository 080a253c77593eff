package planprint

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Encode returns p's record: indented JSON, fields in declaration order,
// map keys sorted, no HTML escaping, a trailing newline. Version is
// written as FormatVersion. Equal plans give equal bytes.
func Encode(p *Plan) ([]byte, error) {
	if p == nil {
		return nil, errors.New("planprint: encode: nil plan")
	}
	q := *p
	q.Version = FormatVersion
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(&q); err != nil {
		return nil, fmt.Errorf("planprint: encode: %w", err)
	}
	return buf.Bytes(), nil
}

// marshal encodes v compactly without HTML escaping.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// DecodeError says a plan record cannot be read: it is not a plan record
// of a version this streamgen reads. Its message names the file (when
// Load read it), the line and column when the fault is at one, and what
// to do.
type DecodeError struct {
	// Path is the record's location, "" when decoding bytes.
	Path string
	// Line and Col locate the fault (1-based), or are 0.
	Line, Col int
	// Reason says what is wrong.
	Reason string
	// Newer is set when the record was written by a newer streamgen
	// (a format version above FormatVersion).
	Newer bool
	// Err is the underlying cause, or nil.
	Err error
}

// The fixes a DecodeError suggests.
const (
	fixNewer   = "upgrade streamgen to the version that wrote it (or newer), or start a new checkpoint (--checkpoint DIR)"
	fixCorrupt = "the plan record is corrupt: restore it from a backup, or start a new checkpoint (--checkpoint DIR); " +
		"deleting it makes the next start record the current plan without checking it"
)

// Error formats the error as "planprint: <path>:<line>:<col>: <reason>: <fix>".
func (e *DecodeError) Error() string {
	var b strings.Builder
	b.WriteString("planprint: ")
	loc := e.Path
	if loc == "" {
		loc = "plan record"
	}
	b.WriteString(loc)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Col > 0 {
			fmt.Fprintf(&b, ":%d", e.Col)
		}
	}
	b.WriteString(": " + e.Reason + ": ")
	if e.Newer {
		b.WriteString(fixNewer)
	} else {
		b.WriteString(fixCorrupt)
	}
	return b.String()
}

// Unwrap returns the underlying cause.
func (e *DecodeError) Unwrap() error { return e.Err }

// Decode reads a plan record. A record of a newer format version is a
// *DecodeError with Newer set; older versions are converted to the
// current one; anything else that is not a well-formed record (bad JSON,
// unknown fields, unknown kinds, missing parts) is a *DecodeError naming
// the fault.
func Decode(data []byte) (*Plan, error) {
	var head struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, jsonError(data, err)
	}
	if head.Version == nil {
		return nil, &DecodeError{Reason: `missing "version"`}
	}
	switch v := *head.Version; {
	case v > FormatVersion:
		return nil, &DecodeError{
			Reason: fmt.Sprintf("plan record format version %d was written by a newer streamgen (this one reads versions 1 to %d)", v, FormatVersion),
			Newer:  true,
		}
	case v < 1:
		return nil, &DecodeError{Reason: fmt.Sprintf("invalid plan record format version %d", v)}
	}
	// Version 1 is the current format; an older one would be decoded
	// into its own struct here and converted.
	var p Plan
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, jsonError(data, err)
	}
	p.Version = FormatVersion
	if err := p.validate(); err != nil {
		return nil, &DecodeError{Reason: err.Error()}
	}
	return &p, nil
}

// MustDecode decodes a plan record embedded in generated code; it panics
// on a record Decode refuses (a generator bug).
func MustDecode(record string) *Plan {
	p, err := Decode([]byte(record))
	if err != nil {
		panic(err)
	}
	return p
}

// jsonError turns a JSON decoding error into a *DecodeError at its line
// and column.
func jsonError(data []byte, err error) *DecodeError {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	off := -1
	reason := "invalid JSON"
	switch {
	case errors.As(err, &se) && se.Error() == "unexpected end of JSON input":
		off = len(data)
		reason = "truncated JSON"
	case errors.As(err, &se):
		off = int(se.Offset) - 1 // the offending byte
	case errors.As(err, &te):
		off = int(te.Offset)
		reason = "invalid plan record"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		off = len(data)
		reason = "truncated JSON"
	default:
		reason = "invalid plan record"
	}
	e := &DecodeError{Reason: reason + " (" + err.Error() + ")", Err: err}
	if off >= 0 {
		e.Line, e.Col = lineCol(data, off)
	}
	return e
}

// lineCol returns the 1-based line and column of byte offset off.
func lineCol(data []byte, off int) (int, int) {
	off = min(max(off, 0), len(data))
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := off - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

// validate checks what JSON decoding cannot: known kinds and the parts
// each kind needs.
func (p *Plan) validate() error {
	for i, s := range p.Sources {
		if !sourceKinds[s.Kind] {
			return fmt.Errorf("sources[%d]: unknown source kind %q", i, s.Kind)
		}
		if err := checkFields(fmt.Sprintf("sources[%d].schema", i), s.Schema); err != nil {
			return err
		}
	}
	for i, o := range p.Operators {
		if !operatorKinds[o.Kind] {
			return fmt.Errorf("operators[%d]: unknown operator kind %q", i, o.Kind)
		}
		if err := checkFields(fmt.Sprintf("operators[%d].keys", i), o.Keys); err != nil {
			return err
		}
		for j, a := range o.Aggregates {
			if a.Func == "" || a.Name == "" || a.Type.Name == "" {
				return fmt.Errorf("operators[%d].aggregates[%d]: missing func, name or type", i, j)
			}
		}
		if w := o.Window; w != nil {
			switch w.Kind {
			case Tumbling, Sliding, Session:
			default:
				return fmt.Errorf("operators[%d].window: unknown window kind %q", i, w.Kind)
			}
		}
	}
	if !outputModes[p.OutputMode] {
		return fmt.Errorf("unknown output mode %q", p.OutputMode)
	}
	if !sinkKinds[p.Sink.Kind] {
		return fmt.Errorf("sink: unknown sink kind %q", p.Sink.Kind)
	}
	return checkFields("sink.schema", p.Sink.Schema)
}

func checkFields(where string, fs []Field) error {
	for i, f := range fs {
		if f.Name == "" {
			return fmt.Errorf("%s[%d]: missing name", where, i)
		}
		if f.Type.Name == "" {
			return fmt.Errorf("%s.%s: missing type", where, f.Name)
		}
		if f.Type.Name == "struct" {
			if err := checkFields(where+"."+f.Name, f.Type.Fields); err != nil {
				return err
			}
		}
	}
	return nil
}

// Fingerprint returns "sha256:<hex>" of p's record without its positions:
// plans with equal fingerprints differ at most in positions, so Compare
// finds no change between them. It is short enough for logs.
func (p *Plan) Fingerprint() string {
	data, err := Encode(p)
	if err != nil {
		panic(err) // only a type without a name: validate's business
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		panic(err)
	}
	canon, err := marshal(stripPos(v))
	if err != nil {
		panic(err)
	}
	sum := sha256.Sum256(canon)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// stripPos removes every position ("pos", "…Pos" keys) from a decoded
// record.
func stripPos(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if k == "pos" || strings.HasSuffix(k, "Pos") {
				delete(v, k)
				continue
			}
			v[k] = stripPos(x)
		}
	case []any:
		for i, x := range v {
			v[i] = stripPos(x)
		}
	}
	return v
}

// sorted returns a sorted copy of s.
func sorted(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}
