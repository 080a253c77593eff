package streamimpl

import (
	"strconv"
	"strings"
)

// ErrorKind classifies a DecodeError.
type ErrorKind uint8

// The kinds of decode error.
const (
	// ErrSyntax: the input is not valid JSON (or is truncated).
	ErrSyntax ErrorKind = iota + 1
	// ErrValue: valid JSON whose value does not fit the field: wrong
	// type, null where null is not allowed, a number out of range, an
	// unknown enum value, a malformed timestamp, date or UUID.
	ErrValue
	// ErrMissing: a required field is absent.
	ErrMissing
)

// String returns "syntax", "value" or "missing".
func (k ErrorKind) String() string {
	switch k {
	case ErrSyntax:
		return "syntax"
	case ErrValue:
		return "value"
	case ErrMissing:
		return "missing"
	}
	return "ErrorKind(" + strconv.Itoa(int(k)) + ")"
}

// DecodeError is the error every generated decoder returns for a
// malformed record. Its message has one of the forms
//
//	field "time" at byte 9: expected integer, found string
//	missing required field "action"
//	invalid JSON at byte 14: unexpected end of input
//	invalid JSON at byte 14 in field "location.lat": unexpected end of input
//	invalid record at byte 0: expected object, found array
type DecodeError struct {
	// Field is the dotted path of the field the error is about, with list
	// indexes in brackets ("location.lat", "tags[2]", "items[0].sku"),
	// or "" when the error is not inside a known field.
	Field string
	// Offset is the byte offset in the decoded input: where the bad
	// value or byte starts, or, for a missing field, where its object
	// starts.
	Offset int
	// Msg says what is wrong, without the field and offset.
	Msg  string
	Kind ErrorKind
}

// Error formats the error as documented on DecodeError.
func (e *DecodeError) Error() string {
	var b strings.Builder
	switch {
	case e.Kind == ErrMissing:
		b.WriteString("missing required field ")
		b.WriteString(strconv.Quote(e.Field))
		return b.String()
	case e.Kind == ErrSyntax:
		b.WriteString("invalid JSON at byte ")
		b.WriteString(strconv.Itoa(e.Offset))
		if e.Field != "" {
			b.WriteString(" in field ")
			b.WriteString(strconv.Quote(e.Field))
		}
	case e.Field == "":
		b.WriteString("invalid record at byte ")
		b.WriteString(strconv.Itoa(e.Offset))
	default:
		b.WriteString("field ")
		b.WriteString(strconv.Quote(e.Field))
		b.WriteString(" at byte ")
		b.WriteString(strconv.Itoa(e.Offset))
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// InField prefixes the field path of err, a *DecodeError returned while
// decoding the value of field name, with name ("lat" in "location"
// becomes "location.lat"; "[2]" in "tags" becomes "tags[2]"). Other
// errors and nil are returned unchanged. Generated decoders call it only
// on the error path.
func InField(err error, name string) error {
	if e, ok := err.(*DecodeError); ok {
		switch {
		case e.Field == "":
			e.Field = name
		case e.Field[0] == '[':
			e.Field = name + e.Field
		default:
			e.Field = name + "." + e.Field
		}
	}
	return err
}

// InIndex prefixes the field path of err, a *DecodeError returned while
// decoding element i of a list, with "[i]". Other errors and nil are
// returned unchanged.
func InIndex(err error, i int) error {
	if e, ok := err.(*DecodeError); ok {
		idx := "[" + strconv.Itoa(i) + "]"
		switch {
		case e.Field == "":
			e.Field = idx
		case e.Field[0] == '[':
			e.Field = idx + e.Field
		default:
			e.Field = idx + "." + e.Field
		}
	}
	return err
}

// Missing returns the error for required field name absent from the
// object that starts at byte offset.
func Missing(name string, offset int) error {
	return &DecodeError{Field: name, Offset: offset, Msg: "missing required field", Kind: ErrMissing}
}

// ValueError returns an ErrValue error at byte offset with message msg,
// for generated decoders' own checks (an unknown enum value).
func ValueError(offset int, msg string) error {
	return &DecodeError{Offset: offset, Msg: msg, Kind: ErrValue}
}

// EnumError returns the error for string value got at byte offset that
// is not one of the enum's values; allowed lists them for the message
// (`"Open", "Close"`).
func EnumError(offset int, got []byte, allowed string) error {
	return ValueError(offset, "invalid value "+strconv.Quote(string(got))+", want one of "+allowed)
}

// UnknownField returns the error for a member named name, at byte offset,
// in an object whose schema allows no other properties
// ("additionalProperties": false).
func UnknownField(name []byte, offset int) error {
	return &DecodeError{Field: string(name), Offset: offset, Msg: "unknown field (the schema allows no other properties)", Kind: ErrValue}
}

// BelowMin returns the error for integer v at byte offset that is less
// than the schema's minimum min.
func BelowMin(offset int, v, min int64) error {
	return ValueError(offset, "value "+strconv.FormatInt(v, 10)+" is less than the minimum "+strconv.FormatInt(min, 10))
}

// AboveMax returns the error for integer v at byte offset that is greater
// than the schema's maximum max.
func AboveMax(offset int, v, max int64) error {
	return ValueError(offset, "value "+strconv.FormatInt(v, 10)+" is greater than the maximum "+strconv.FormatInt(max, 10))
}
