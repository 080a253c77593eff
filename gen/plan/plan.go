// Package plan makes every Go decision of a generator run once: the
// package, the files and their kinds, and every identifier and Go type.
// Emitters (gen/emit) only render what the plan says; they never invent
// names.
package plan

import "github.com/streamgen/streamgen/gen/ir"

// Plan is the Go shape of one generated package.
type Plan struct {
	// PkgPath is the import path of the generated package.
	PkgPath string
	// PkgName is its package name.
	PkgName string
	// Records are the planned records, sorted by GoName.
	Records []*Record
	// Files are the files to generate, sorted by Path.
	Files []*File
}

// FileKind says which emitter renders a file.
type FileKind string

// The kinds of generated file (one concept each).
const (
	KindRecord    FileKind = "record"    // <record>.go: struct, enum types, Delta schema
	KindDecode    FileKind = "decode"    // <record>_decode.go: reflection-free JSON decoder
	KindPipeline  FileKind = "pipeline"  // <pipeline>_pipeline.go
	KindStreamgen FileKind = "streamgen" // streamgen.go: package doc, version handshake
	KindMain      FileKind = "main"      // cmd/<pipeline>/main.go
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
	// Fields are in schema order.
	Fields []*Field
}

// Field is the Go shape of one ir.Field.
type Field struct {
	IR *ir.Field
	// GoName is the struct field's name ("DeviceID", "Temperature").
	GoName string
	// Pointer is true when the Go field is a pointer (*T): the field is
	// nullable or not required and its type has no natural "absent"
	// value. Lists are never pointers (nil means absent/null).
	Pointer bool
	// EnumType is the named Go string type of an enum field
	// ("EventAction"), with constants EnumConsts in Values order.
	EnumType   string
	EnumConsts []string
	// Ref is the planned record of a nested object field (also for a
	// list of objects).
	Ref *Record
}
