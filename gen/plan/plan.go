// Package plan makes every Go decision of a generator run once: the
// package, the files and their kinds, and every identifier and Go type.
// Emitters (gen/emit) only render what the plan says; they never invent
// names.
//
// [Build] turns a checked ir.Program into a Plan for one pipeline's
// package. The rules, applied in this order:
//
//   - Identifiers are MixedCaps through one initialism table
//     (gen/internal/naming): record "sensor_reading" → SensorReading,
//     field "device_id" → DeviceID, "user_urls" → UserURLs.
//   - A record's decoder is <Record>Decoder, its Delta schema function
//     <Record>DeltaSchema, its fingerprint constant
//     <record>SchemaFingerprint (unexported).
//   - An enum field gets the named string type <Record><Field> with one
//     constant <Record><Field><Value> per value (values Pascal-cased; a
//     value with no letters or digits, such as "", is spelled Empty or
//     ValueN).
//   - Receivers are the lower-cased initials of the type's first two
//     words, the same on every method ("SensorReading" → sr).
//   - A field is a pointer (*T) when it is nullable or not required,
//     except lists: a nil slice is the absent or null list. List
//     elements are pointers when they are nullable (and not lists).
//   - Go types: string and uuid → string; enum → its named string type;
//     int32, int64, float64, bool → themselves; timestamp (any unit) →
//     time.Time (UTC); date → delta.DateValue (see GoDate); list → []T;
//     object → the nested record's struct.
//   - Two names that map to the same Go identifier are reported at both
//     user positions; nothing is renamed silently.
//   - Records: the pipeline's source record and the records it nests
//     (decoded), and the records its steps derive (select outputs, the
//     aggregation result; no decoder). User Go types (map outputs) are
//     not generated. A program without pipelines plans all its records.
//   - Files: <record_snake>.go (KindRecord), <record_snake>_decode.go
//     (KindDecode, when Config.Decoders, for decoded records),
//     <record_snake>_csv_decode.go (KindCSVDecode, when Config.Decoders,
//     for the record of a files source with format csv),
//     <record_snake>_delta_decode.go (KindDeltaDecode, for the record of
//     a delta source and the records it nests: <record>FromDeltaRow),
//     streamgen.go (KindStreamgen), <pipeline>_state.go (KindState, for
//     a pipeline with a groupBy: see Aggregation), and for a runnable
//     pipeline <pipeline>_pipeline.go (KindPipeline: the constructor) and
//     cmd/<pipeline-name>/main.go (KindMain: package main; not for a
//     package outside a module, which cannot be imported): see Runnable.
//     Sorted by path. A record whose snake name would make a test file or
//     a build-constrained file (event_test, reading_linux) or collide with
//     streamgen.go gets "_record" appended.
package plan

import (
	"github.com/streamgen/streamgen/gen/ir"
)

// Plan is the Go shape of one generated package.
type Plan struct {
	// PkgPath is the import path of the generated package.
	PkgPath string
	// PkgName is its package name.
	PkgName string
	// Pipeline is the pipeline the package is generated for; nil when the
	// program has no pipeline (only records are generated).
	Pipeline *ir.Pipeline
	// Specs are the spec files the package comes from (the pipeline's
	// file), slash-separated and relative, for the package doc.
	Specs []string
	// GenVersion is the generated-code contract version
	// (streamimpl.GenVersion) written into the version handshake.
	GenVersion int
	// Records are the planned records, sorted by GoName.
	Records []*Record
	// Aggregation is the key and state shape of the pipeline's groupBy
	// (a KindState file), or nil.
	Aggregation *Aggregation
	// Runnable is the constructor and main package of the pipeline (the
	// KindPipeline and KindMain files), or nil when it uses a feature
	// generated pipelines do not run yet: Unsupported lists them.
	Runnable    *Runnable
	Unsupported []string
	// Files are the files to generate, sorted by Path.
	Files []*File
}

// FileKind says which emitter renders a file.
type FileKind string

// The kinds of generated file (one concept each).
const (
	KindRecord    FileKind = "record"    // <record>.go: struct, enum types, Delta schema
	KindDecode    FileKind = "decode"    // <record>_decode.go: reflection-free JSON decoder
	KindCSVDecode FileKind = "csvdecode" // <record>_csv_decode.go: CSV decoder of a csv files source's record
	// KindDeltaDecode is <record>_delta_decode.go: the converter from a
	// Delta table row (delta.Row) of a delta source's record (and of the
	// records it nests), Record.DeltaRowFunc.
	KindDeltaDecode FileKind = "deltadecode"
	KindPipeline    FileKind = "pipeline"  // <pipeline>_pipeline.go
	KindStreamgen   FileKind = "streamgen" // streamgen.go: package doc, version handshake
	KindMain        FileKind = "main"      // cmd/<pipeline>/main.go
)

// File is one generated file.
type File struct {
	// Path is relative to the output directory, slash-separated.
	Path string
	Kind FileKind
	// Source is the user file it comes from, for the "// source:" line.
	Source string
	// Record is set for KindRecord and KindDecode.
	Record *Record
	// Pipeline is set for KindPipeline and KindMain.
	Pipeline *ir.Pipeline
}

// Record is the Go shape of one ir.Record.
type Record struct {
	IR *ir.Record
	// GoName is the struct's name ("Event", "SensorReading").
	GoName string
	// Receiver is the receiver name used on every method ("e", "sr").
	Receiver string
	// DecoderName is the decoder type's name ("EventDecoder").
	DecoderName string
	// DeltaSchemaFunc names the function returning the record's Delta
	// schema ("EventDeltaSchema").
	DeltaSchemaFunc string
	// FingerprintConst names the unexported constant holding the record's
	// schema fingerprint ("eventSchemaFingerprint").
	FingerprintConst string
	// Fingerprint is "sha256:<hex>" of the record's canonical shape
	// (field names, types, required, nullable; nested records expanded;
	// docs and positions left out): it changes exactly when the data
	// changes shape.
	Fingerprint string
	// Fields are in schema order.
	Fields []*Field
	// Enums are the enum types the record's fields declare, in field
	// order. A field copied from another record by a step (an
	// aggregation key) shares that record's enum type and declares none.
	Enums []*Enum
	// Decode is true for the records the pipeline's source decodes (and
	// the records they nest): they get a KindDecode file. Records derived
	// by steps (select outputs, aggregation results) do not.
	Decode bool
	// CSVDecoderName names the record's CSV decoder type
	// ("ReadingCSVDecoder", in a KindCSVDecode file) and CSVColumnsVar
	// the unexported array of its columns ("readingCSVColumns"); both are
	// set only for the record of a files source with format csv (and
	// Config.Decoders).
	CSVDecoderName, CSVColumnsVar string
	// DeltaRowFunc names the unexported function converting a row of a
	// Delta table to the record, func(row delta.Row, r *Rec) error
	// ("orderFromDeltaRow", in a KindDeltaDecode file); set only for the
	// record of a delta source and the records it nests.
	DeltaRowFunc string
}

// Field is the Go shape of one ir.Field.
type Field struct {
	IR *ir.Field
	// GoName is the struct field's name ("DeviceID", "Temperature").
	GoName string
	// Pointer is true when the Go field is a pointer (*T): the field is
	// nullable or not required. Lists are never pointers (nil means
	// absent/null).
	Pointer bool
	// Type is the field's full Go type (Type.Pointer == Pointer).
	Type *Type
	// EnumType is the named Go string type of an enum field, or of the
	// elements of a list of enums ("EventAction"), with constants
	// EnumConsts in Values order.
	EnumType   string
	EnumConsts []string
	// Enum is the planned enum type, when EnumType is set.
	Enum *Enum
	// Ref is the planned record of a nested object field (also for a
	// list of objects).
	Ref *Record
}

// Enum is the Go shape of an ir.Enum field type.
type Enum struct {
	// GoName is the named string type ("EventAction").
	GoName string
	// Receiver is the receiver of its methods ("ea").
	Receiver string
	// Values are the JSON values, in schema order; Consts names their
	// constants, index for index ("EventActionOpen").
	Values []string
	Consts []string
	// Field is the field whose type it is.
	Field *Field
}

// GoKind is the kind of a planned Go type.
type GoKind string

// The Go types generated code uses.
const (
	GoString  GoKind = "string"    // ir String and UUID
	GoInt32   GoKind = "int32"     // ir Int32
	GoInt64   GoKind = "int64"     // ir Int64
	GoFloat64 GoKind = "float64"   // ir Float64
	GoBool    GoKind = "bool"      // ir Bool
	GoTime    GoKind = "time.Time" // ir Timestamp (any unit), in UTC
	// GoDate is ir Date: days since the Unix epoch, the runtime's date
	// value (DateValue.Time gives the time.Time at midnight UTC). Not
	// time.Time: parquet-go v0.32.0's typed writer ignores the DATE
	// logical type of a time.Time field and writes nanoseconds truncated
	// to 32 bits.
	GoDate   GoKind = "delta.DateValue"
	GoEnum   GoKind = "enum"   // the named string type Type.Name
	GoStruct GoKind = "struct" // the record Type.Record
	GoSlice  GoKind = "slice"  // []Type.Elem
)

// Type is a planned Go type.
type Type struct {
	Kind GoKind
	// Pointer wraps the type in *.
	Pointer bool
	// Name is the type name for GoEnum and GoStruct.
	Name string
	// Elem is the element type for GoSlice.
	Elem *Type
	// Record is the nested record for GoStruct.
	Record *Record
	// IR is the ir type the Go type represents.
	IR ir.Type
}

// String returns the type in Go syntax: "*time.Time", "[]*string",
// "EventAction", "*Location".
func (t *Type) String() string {
	s := ""
	switch t.Kind {
	case GoEnum, GoStruct:
		s = t.Name
	case GoSlice:
		s = "[]" + t.Elem.String()
	default:
		s = string(t.Kind)
	}
	if t.Pointer {
		s = "*" + s
	}
	return s
}
