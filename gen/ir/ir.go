// Package ir is the generator's validated, Go-agnostic model of a user's
// program: the records described by JSON Schemas and the pipelines
// described by specs. Loading (gen/load) builds it, Check validates it
// and collects every error, and planning (gen/plan) turns it into Go
// decisions. The IR serialises to JSON (`streamgen ir --json`).
//
// # JSON
//
// Records and pipelines encode as their struct tags say; pointers to
// records (a Ref's Record, a step's input) are written as names. A Type
// (Field.Type, List.Elem, Agg.Type) is an object tagged by "kind":
//
//	{"kind":"scalar","scalar":"int32","min":0,"max":1000}  // min, max when set
//	{"kind":"timestamp","unit":"epoch-seconds"}            // rfc3339, epoch-seconds, epoch-millis
//	{"kind":"date"}
//	{"kind":"enum","values":["Open","Close"]}
//	{"kind":"list","elem":{"kind":"scalar","scalar":"string"},"elemNullable":true}
//	{"kind":"ref","record":"Location"}
//
// DecodeType reads one back; Field and Agg decode their Type with it (a
// Ref's Record is left nil: resolve it by name against Program.Records).
// Steps carry their kind in "op". Records and Pipelines are sorted by
// name, fields and steps are in spec order and positions are relative to
// the module (or the common directory of the specs), so the encoding of a
// program is deterministic.
package ir

import (
	"github.com/streamgen/streamgen/gen/diag"
)

// Program is everything one generator run works on. Records and
// Pipelines are sorted by Name.
type Program struct {
	Records   []*Record   `json:"records"`
	Pipelines []*Pipeline `json:"pipelines"`
}

// Record returns the record named name, or nil.
func (p *Program) Record(name string) *Record {
	for _, r := range p.Records {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// Record is one object type from a JSON Schema: a top-level schema or a
// $defs entry (nested object types become records of their own).
type Record struct {
	// Name is the record's name in PascalCase words as the user gave them
	// (the schema's title, its $defs key, or the file name): "Event",
	// "SensorReading". Go identifiers are chosen from it by gen/plan.
	Name string `json:"name"`
	// ID identifies the schema node: the file's $id or path plus the JSON
	// pointer ("schemas/event.json#", "schemas/order.json#/$defs/Item").
	ID string `json:"id"`
	// Doc is the schema's description, if any.
	Doc string `json:"doc,omitempty"`
	// Fields are in the order of the schema's properties.
	Fields []*Field `json:"fields"`
	// Source is the schema file the record comes from, slash-separated and
	// relative, as printed in the generated file's "// source:" line.
	Source string `json:"source"`
	// Closed is true when the schema says "additionalProperties": false:
	// an object with a property not in Fields is malformed. Otherwise
	// unknown properties are skipped.
	Closed bool     `json:"closed,omitempty"`
	Pos    diag.Pos `json:"pos"`
}

// Field returns the field whose JSON name is name, or nil.
func (r *Record) Field(name string) *Field {
	for _, f := range r.Fields {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// FieldNames returns the JSON names of the fields in order (for "did you
// mean" hints).
func (r *Record) FieldNames() []string {
	out := make([]string, len(r.Fields))
	for i, f := range r.Fields {
		out[i] = f.Name
	}
	return out
}

// Field is one property of a record.
type Field struct {
	// Name is the JSON property name exactly as in the schema.
	Name string `json:"name"`
	Doc  string `json:"doc,omitempty"`
	Type Type   `json:"type"`
	// Required is true when the property is listed in "required": a
	// record without it is malformed.
	Required bool `json:"required"`
	// Nullable is true when the type admits null (["T","null"]). A
	// field that is not required is also optional in Go (a pointer or
	// zero value; gen/plan decides).
	Nullable bool     `json:"nullable"`
	Pos      diag.Pos `json:"pos"`
}

// Type is a field type. The set is closed: *Scalar, *Timestamp, *Date,
// *Enum, *List, *Ref.
type Type interface {
	// String describes the type for messages: "string", "int64",
	// "timestamp(epoch-seconds)", "list<string>", "Event".
	String() string
	isType()
}

// ScalarKind is a primitive JSON Schema type refined by format and bounds.
type ScalarKind string

// The scalar kinds.
const (
	String  ScalarKind = "string"
	Int32   ScalarKind = "int32" // "integer" whose bounds fit in 32 bits
	Int64   ScalarKind = "int64" // any other "integer"
	Float64 ScalarKind = "float64"
	Bool    ScalarKind = "bool"
	UUID    ScalarKind = "uuid" // "string" with format "uuid": kept as text, validated
)

// Scalar is a primitive value.
type Scalar struct {
	Kind ScalarKind `json:"kind"`
	// Min and Max, when set, are inclusive bounds of an Int32 or Int64
	// ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"
	// normalised to inclusive integers): a value outside them is
	// malformed, as JSON Schema validation says.
	Min *int64 `json:"min,omitempty"`
	Max *int64 `json:"max,omitempty"`
}

func (s *Scalar) String() string { return string(s.Kind) }
func (*Scalar) isType()          {}

// TimeUnit says how a timestamp is written in JSON.
type TimeUnit string

// The timestamp encodings.
const (
	// RFC3339 is a JSON string with format "date-time".
	RFC3339 TimeUnit = "rfc3339"
	// EpochSeconds is a JSON integer of seconds since the Unix epoch
	// (the {"time":1469501675} events), marked by the schema annotation
	// documented in the README.
	EpochSeconds TimeUnit = "epoch-seconds"
	// EpochMillis is a JSON integer of milliseconds since the epoch.
	EpochMillis TimeUnit = "epoch-millis"
)

// Timestamp is an instant, stored as a UTC timestamp (microseconds) in
// Delta.
type Timestamp struct {
	Unit TimeUnit `json:"unit"`
}

func (t *Timestamp) String() string { return "timestamp(" + string(t.Unit) + ")" }
func (*Timestamp) isType()          {}

// Date is a calendar date written as "YYYY-MM-DD" (format "date").
type Date struct{}

func (*Date) String() string { return "date" }
func (*Date) isType()        {}

// Enum is a string restricted to Values (in schema order).
type Enum struct {
	Values []string `json:"values"`
}

func (e *Enum) String() string { return "enum" }
func (*Enum) isType()          {}

// List is a JSON array of Elem.
type List struct {
	Elem Type `json:"elem"`
	// ElemNullable is true when elements may be null.
	ElemNullable bool `json:"elemNullable"`
}

func (l *List) String() string { return "list<" + l.Elem.String() + ">" }
func (*List) isType()          {}

// Ref is a nested object: a field whose type is another record.
type Ref struct {
	Record *Record `json:"-"`
	// Name is Record.Name, kept for JSON dumps.
	Name string `json:"record"`
}

func (r *Ref) String() string { return r.Name }
func (*Ref) isType()          {}
