package planprint

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/streamgen/streamgen/runtime/delta"
)

// FormatVersion is the version of the plan record this package writes and
// the newest it reads. Any change to the record's fields bumps it; Decode
// reads every older version (converting it to this one) and refuses newer
// ones.
const FormatVersion = 1

// Plan is the fingerprint of a pipeline: everything a restart on the same
// checkpoint and table must agree with. It is written by Encode as
// indented JSON with fields in declaration order, map keys sorted and no
// HTML escaping, so equal plans have equal bytes.
//
// Positions (every Pos field) say where an element is in the spec, for
// messages; they never take part in a comparison or in [Plan.Fingerprint].
type Plan struct {
	// Version is the record's format version. Encode writes
	// FormatVersion whatever it holds; Decode sets it to FormatVersion.
	Version int `json:"version"`
	// Pipeline is the spec's pipeline name.
	Pipeline string `json:"pipeline"`
	// Sources are the inputs in checkpoint order (sources/0, sources/1, …).
	Sources []Source `json:"sources"`
	// Steps are the row-at-a-time steps (where, select, map, watermark),
	// in order: they may change between restarts, and are recorded to
	// report what changed.
	Steps []Step `json:"steps,omitempty"`
	// Operators are the stateful operators in order; operator i keeps its
	// state in the checkpoint's state/<i>.
	Operators []Operator `json:"operators,omitempty"`
	// OutputMode is append, update or complete.
	OutputMode OutputMode `json:"outputMode"`
	// OutputModePos is where the spec sets the output mode (the sink
	// when it does not).
	OutputModePos Pos  `json:"outputModePos,omitzero"`
	Sink          Sink `json:"sink"`
	// Pos is the pipeline's node in the spec; changes without a position
	// of their own are reported there.
	Pos Pos `json:"pos,omitzero"`
}

// Pos is a position in a spec or schema file (gen/diag.Pos). It is
// written in JSON as its String, "streamgen.yaml:14:7".
type Pos struct {
	File string
	Line int
	Col  int
}

// MarshalJSON writes p as "file:line:col".
func (p Pos) MarshalJSON() ([]byte, error) { return marshal(p.String()) }

// UnmarshalJSON reads "file:line:col", "file:line" or "file".
func (p *Pos) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("position: %w", err)
	}
	*p = Pos{File: s}
	// Up to two trailing numbers are the line and column.
	var nums []int
	for range 2 {
		i := strings.LastIndexByte(p.File, ':')
		if i < 0 {
			break
		}
		n, err := strconv.Atoi(p.File[i+1:])
		if err != nil || n <= 0 {
			break
		}
		nums = append([]int{n}, nums...)
		p.File = p.File[:i]
	}
	if len(nums) > 0 {
		p.Line = nums[0]
	}
	if len(nums) > 1 {
		p.Col = nums[1]
	}
	return nil
}

// IsValid reports whether p names at least a file.
func (p Pos) IsValid() bool { return p.File != "" || p.Line > 0 }

// String formats p as file:line:col, file:line or file.
func (p Pos) String() string {
	switch {
	case p.Line > 0 && p.Col > 0:
		return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
	case p.Line > 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return p.File
}

// Duration is a time.Duration written in JSON as Go's duration text
// ("10m0s"), so a plan record is readable.
type Duration time.Duration

// MarshalJSON writes d as a quoted duration.
func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(strconv.Quote(time.Duration(d).String())), nil
}

// UnmarshalJSON reads a quoted duration.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// String formats d shortly: 10m, 1h30m, 1.5s.
func (d Duration) String() string {
	t := time.Duration(d).String()
	if strings.HasSuffix(t, "m0s") {
		t = strings.TrimSuffix(t, "0s")
	}
	if strings.HasSuffix(t, "h0m") {
		t = strings.TrimSuffix(t, "0m")
	}
	return t
}

// SourceKind is the kind of an input source. A source's kind, and for
// files its format, is the type of the input: it never changes on a
// checkpoint.
type SourceKind string

// The source kinds (gen/ir.SourceKind).
const (
	SourceFiles SourceKind = "files"
	SourceKafka SourceKind = "kafka"
	SourceDelta SourceKind = "delta"
	SourceRate  SourceKind = "rate"
)

var sourceKinds = map[SourceKind]bool{SourceFiles: true, SourceKafka: true, SourceDelta: true, SourceRate: true}

// Source is one input. Its identity (what its offsets in the checkpoint
// are offsets of) is Kind plus, by kind:
//
//	files  Format (json | csv) and Path (the glob)
//	kafka  exactly one of Subscribe (sorted), SubscribePattern, Assign
//	delta  Path (the table location)
//	rate   nothing
//
// Everything else (rate limits, starting offsets, bootstrap servers,
// malformed-record policy, the Kafka value format…) goes in Options, which
// may change between restarts.
type Source struct {
	Kind             SourceKind        `json:"kind"`
	Format           string            `json:"format,omitempty"`
	Path             string            `json:"path,omitempty"`
	Subscribe        []string          `json:"subscribe,omitempty"`
	SubscribePattern string            `json:"subscribePattern,omitempty"`
	Assign           []TopicPartitions `json:"assign,omitempty"`
	// Schema is the source's record: the rows it produces.
	Schema []Field `json:"schema"`
	// Options are the source's other options as text ("maxFilesPerTrigger":
	// "100"), defaults applied.
	Options map[string]string `json:"options,omitempty"`
	Pos     Pos               `json:"pos,omitzero"`
}

// TopicPartitions is one assigned topic's partitions, sorted.
type TopicPartitions struct {
	Topic      string  `json:"topic"`
	Partitions []int32 `json:"partitions"`
}

// Step is one row-at-a-time step, recorded to report changes (they are
// all allowed).
type Step struct {
	// Op is where, select, map or watermark.
	Op string `json:"op"`
	// Text describes the step: the condition of a where, the columns of
	// a select ("device, temp as temperature"), the function of a map
	// ("example.com/enrich.Enrich"), "time 10m" for a watermark.
	Text string `json:"text"`
	Pos  Pos    `json:"pos,omitzero"`
}

// OperatorKind is the kind of a stateful operator.
type OperatorKind string

// The stateful operators.
const (
	// OpAggregate is a groupBy with aggregates, optionally windowed.
	OpAggregate OperatorKind = "aggregate"
)

var operatorKinds = map[OperatorKind]bool{OpAggregate: true}

// Operator is one stateful operator: what its state in the checkpoint is
// keyed by and holds.
type Operator struct {
	Kind OperatorKind `json:"kind"`
	// Keys are the grouping keys in order, with their input types.
	Keys []Field `json:"keys"`
	// Window is the event-time window, or nil.
	Window *Window `json:"window,omitempty"`
	// Aggregates are in spec order.
	Aggregates []Aggregate `json:"aggregates"`
	// Watermark is the pipeline's watermark, or nil. Its delay may
	// change; its column may not.
	Watermark *Watermark `json:"watermark,omitempty"`
	// StateVersion is the version of the state's key and value encodings
	// (the generated <P>StateVersion).
	StateVersion int `json:"stateVersion"`
	// StateFingerprint is the layout fingerprint the operator gives the
	// state store (aggregate.Config.Fingerprint, state.Fingerprint): the
	// store refuses files written with another, so a plan whose
	// fingerprint differs is refused here first, with a better message.
	StateFingerprint string `json:"stateFingerprint"`
	Pos              Pos    `json:"pos,omitzero"`
}

// Aggregate is one aggregate of an operator: Func over Input into the
// result column Name of type Type.
type Aggregate struct {
	// Func is the function (gen/ir.AggFunc): count, sum, min, max, avg,
	// first, last, count_distinct, approx_count_distinct.
	Func string `json:"func"`
	// Input is the input column, "" for count(*).
	Input    string `json:"input,omitempty"`
	Name     string `json:"name"`
	Type     Type   `json:"type"`
	Nullable bool   `json:"nullable,omitempty"`
	Pos      Pos    `json:"pos,omitzero"`
}

// WindowKind is the kind of event-time window.
type WindowKind string

// The windows.
const (
	Tumbling WindowKind = "tumbling"
	Sliding  WindowKind = "sliding"
	Session  WindowKind = "session"
)

// Window is an event-time window over Column.
type Window struct {
	Kind        WindowKind `json:"kind"`
	Column      string     `json:"column"`
	Size        Duration   `json:"size,omitempty"`
	Slide       Duration   `json:"slide,omitempty"`
	Gap         Duration   `json:"gap,omitempty"`
	StartOffset Duration   `json:"startOffset,omitempty"`
	Pos         Pos        `json:"pos,omitzero"`
}

// Watermark is the event-time column and its allowed lateness.
type Watermark struct {
	Column string   `json:"column"`
	Delay  Duration `json:"delay"`
	Pos    Pos      `json:"pos,omitzero"`
}

// OutputMode is the sink's output mode.
type OutputMode string

// The output modes.
const (
	Append   OutputMode = "append"
	Update   OutputMode = "update"
	Complete OutputMode = "complete"
)

var outputModes = map[OutputMode]bool{Append: true, Update: true, Complete: true}

// SinkKind is the kind of the output sink.
type SinkKind string

// The sinks (gen/ir.SinkKind).
const (
	SinkDelta        SinkKind = "delta"
	SinkMemory       SinkKind = "memory"
	SinkConsole      SinkKind = "console"
	SinkKafka        SinkKind = "kafka"
	SinkForeachBatch SinkKind = "foreachBatch"
)

var sinkKinds = map[SinkKind]bool{SinkDelta: true, SinkMemory: true, SinkConsole: true, SinkKafka: true, SinkForeachBatch: true}

// Sink is the output. For a Delta sink, Table, PartitionBy and MergeSchema
// are set; Schema is the output record as the sink writes it (for Delta,
// the table schema the generated code declares).
type Sink struct {
	Kind        SinkKind `json:"kind"`
	Table       string   `json:"table,omitempty"`
	PartitionBy []string `json:"partitionBy,omitempty"`
	// MergeSchema lets the sink's commit add nullable columns to the
	// table.
	MergeSchema bool    `json:"mergeSchema,omitempty"`
	Schema      []Field `json:"schema"`
	// Options are the sink's other options as text (Kafka "topic",
	// "targetFileSize", memory "name"…); they may change.
	Options map[string]string `json:"options,omitempty"`
	Pos     Pos               `json:"pos,omitzero"`
}

// Field is a named, typed column: of a record, a grouping key, a result.
type Field struct {
	Name     string `json:"name"`
	Type     Type   `json:"type"`
	Nullable bool   `json:"nullable,omitempty"`
	Pos      Pos    `json:"pos,omitzero"`
}

// String formats f for messages: "temperature double",
// "site string (nullable)".
func (f Field) String() string {
	s := f.Name + " " + f.Type.String()
	if f.Nullable {
		s += " (nullable)"
	}
	return s
}

// Type is a Delta column type: a primitive (Name "long", "string",
// "decimal(10,2)", …) or Name "struct", "array" or "map" with their
// parts. It encodes as Spark's schema JSON does: a primitive as its name,
// the others as {"type":"struct","fields":[…]},
// {"type":"array","elementType":…,"containsNull":…},
// {"type":"map","keyType":…,"valueType":…,"valueContainsNull":…}.
type Type struct {
	Name string
	// Fields are a struct's fields.
	Fields []Field
	// Elem and ContainsNull describe an array's elements.
	Elem         *Type
	ContainsNull bool
	// Key, Value and ValueContainsNull describe a map.
	Key, Value        *Type
	ValueContainsNull bool
}

// The primitive types, as Delta names them.
var (
	String       = Type{Name: "string"}
	Long         = Type{Name: "long"}
	Integer      = Type{Name: "integer"}
	Short        = Type{Name: "short"}
	Byte         = Type{Name: "byte"}
	Float        = Type{Name: "float"}
	Double       = Type{Name: "double"}
	Boolean      = Type{Name: "boolean"}
	Binary       = Type{Name: "binary"}
	Date         = Type{Name: "date"}
	Timestamp    = Type{Name: "timestamp"}
	TimestampNTZ = Type{Name: "timestamp_ntz"}
)

// Decimal returns decimal(precision, scale).
func Decimal(precision, scale int) Type {
	return Type{Name: fmt.Sprintf("decimal(%d,%d)", precision, scale)}
}

// StructOf returns a struct of fields.
func StructOf(fields ...Field) Type { return Type{Name: "struct", Fields: fields} }

// ArrayOf returns an array of elem.
func ArrayOf(elem Type, containsNull bool) Type {
	return Type{Name: "array", Elem: &elem, ContainsNull: containsNull}
}

// MapOf returns a map from key to value.
func MapOf(key, value Type, valueContainsNull bool) Type {
	return Type{Name: "map", Key: &key, Value: &value, ValueContainsNull: valueContainsNull}
}

var primitives = map[string]bool{
	"string": true, "long": true, "integer": true, "short": true, "byte": true, "float": true,
	"double": true, "boolean": true, "binary": true, "date": true, "timestamp": true,
	"timestamp_ntz": true, "void": true,
}

var decimalRE = regexp.MustCompile(`^decimal\((\d+),(\d+)\)$`)

// decimal returns the precision and scale of a decimal type.
func (t Type) decimal() (p, s int, ok bool) {
	m := decimalRE.FindStringSubmatch(t.Name)
	if m == nil {
		return 0, 0, false
	}
	p, _ = strconv.Atoi(m[1])
	s, _ = strconv.Atoi(m[2])
	return p, s, true
}

// IsPrimitive reports whether t is neither struct, array nor map.
func (t Type) IsPrimitive() bool {
	return t.Name != "struct" && t.Name != "array" && t.Name != "map"
}

// String returns t in Spark's simple form, as delta.DataType's String
// does: "long", "array<string>", "struct<a:integer,b:string>".
func (t Type) String() string {
	switch t.Name {
	case "struct":
		var b strings.Builder
		b.WriteString("struct<")
		for i, f := range t.Fields {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(f.Name + ":" + f.Type.String())
		}
		b.WriteByte('>')
		return b.String()
	case "array":
		return "array<" + t.Elem.String() + ">"
	case "map":
		return "map<" + t.Key.String() + "," + t.Value.String() + ">"
	}
	return t.Name
}

// equal reports whether t and u are the same type, nested nullability
// included, positions ignored.
func (t Type) equal(u Type) bool {
	if t.Name != u.Name {
		return false
	}
	switch t.Name {
	case "struct":
		return fieldsEqual(t.Fields, u.Fields)
	case "array":
		return t.ContainsNull == u.ContainsNull && t.Elem.equal(*u.Elem)
	case "map":
		return t.ValueContainsNull == u.ValueContainsNull && t.Key.equal(*u.Key) && t.Value.equal(*u.Value)
	}
	return true
}

func fieldsEqual(a, b []Field) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || a[i].Nullable != b[i].Nullable || !a[i].Type.equal(b[i].Type) {
			return false
		}
	}
	return true
}

// MarshalJSON writes t as Spark's schema JSON does (without metadata).
func (t Type) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	switch t.Name {
	case "struct":
		b.WriteString(`{"type":"struct","fields":`)
		fs := t.Fields
		if fs == nil {
			fs = []Field{}
		}
		fb, err := marshal(fs)
		if err != nil {
			return nil, err
		}
		b.Write(fb)
		b.WriteByte('}')
	case "array":
		if t.Elem == nil {
			return nil, fmt.Errorf("array type without an element type")
		}
		eb, err := t.Elem.MarshalJSON()
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, `{"type":"array","elementType":%s,"containsNull":%t}`, eb, t.ContainsNull)
	case "map":
		if t.Key == nil || t.Value == nil {
			return nil, fmt.Errorf("map type without a key or value type")
		}
		kb, err := t.Key.MarshalJSON()
		if err != nil {
			return nil, err
		}
		vb, err := t.Value.MarshalJSON()
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, `{"type":"map","keyType":%s,"valueType":%s,"valueContainsNull":%t}`, kb, vb, t.ValueContainsNull)
	case "":
		return nil, fmt.Errorf("type without a name")
	default:
		b.WriteString(strconv.Quote(t.Name))
	}
	return b.Bytes(), nil
}

// UnmarshalJSON reads a type written by MarshalJSON; an unknown primitive
// is an error.
func (t *Type) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '"' {
		var name string
		if err := json.Unmarshal(data, &name); err != nil {
			return err
		}
		if !primitives[name] {
			if _, _, ok := (Type{Name: name}).decimal(); !ok {
				return fmt.Errorf("unknown type %q", name)
			}
		}
		*t = Type{Name: name}
		return nil
	}
	var obj struct {
		Type              string          `json:"type"`
		Fields            []Field         `json:"fields"`
		ElementType       json.RawMessage `json:"elementType"`
		ContainsNull      bool            `json:"containsNull"`
		KeyType           json.RawMessage `json:"keyType"`
		ValueType         json.RawMessage `json:"valueType"`
		ValueContainsNull bool            `json:"valueContainsNull"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&obj); err != nil {
		return err
	}
	sub := func(raw json.RawMessage, what string) (*Type, error) {
		if len(raw) == 0 {
			return nil, fmt.Errorf("%s type without %s", obj.Type, what)
		}
		var u Type
		if err := u.UnmarshalJSON(raw); err != nil {
			return nil, err
		}
		return &u, nil
	}
	switch obj.Type {
	case "struct":
		*t = Type{Name: "struct", Fields: obj.Fields}
	case "array":
		e, err := sub(obj.ElementType, "elementType")
		if err != nil {
			return err
		}
		*t = Type{Name: "array", Elem: e, ContainsNull: obj.ContainsNull}
	case "map":
		k, err := sub(obj.KeyType, "keyType")
		if err != nil {
			return err
		}
		v, err := sub(obj.ValueType, "valueType")
		if err != nil {
			return err
		}
		*t = Type{Name: "map", Key: k, Value: v, ValueContainsNull: obj.ValueContainsNull}
	default:
		return fmt.Errorf("unknown type %q", obj.Type)
	}
	return nil
}

// TypeOf converts a Delta type.
func TypeOf(dt delta.DataType) Type {
	switch dt := dt.(type) {
	case *delta.StructType:
		return StructOf(FieldsOf(dt)...)
	case *delta.ArrayType:
		return ArrayOf(TypeOf(dt.ElementType), dt.ContainsNull)
	case *delta.MapType:
		return MapOf(TypeOf(dt.KeyType), TypeOf(dt.ValueType), dt.ValueContainsNull)
	case nil:
		return Type{}
	}
	return Type{Name: dt.String()}
}

// FieldsOf converts a Delta schema (nil gives nil); positions are empty.
func FieldsOf(st *delta.StructType) []Field {
	if st == nil {
		return nil
	}
	out := make([]Field, len(st.Fields))
	for i, f := range st.Fields {
		out[i] = Field{Name: f.Name, Type: TypeOf(f.Type), Nullable: f.Nullable}
	}
	return out
}

// Delta converts t to a Delta type.
func (t Type) Delta() delta.DataType {
	switch t.Name {
	case "struct":
		return DeltaSchema(t.Fields)
	case "array":
		return &delta.ArrayType{ElementType: t.Elem.Delta(), ContainsNull: t.ContainsNull}
	case "map":
		return &delta.MapType{KeyType: t.Key.Delta(), ValueType: t.Value.Delta(), ValueContainsNull: t.ValueContainsNull}
	}
	if p, s, ok := t.decimal(); ok {
		return delta.DecimalType{Precision: p, Scale: s}
	}
	return delta.PrimitiveType(t.Name)
}

// DeltaSchema converts fields to a Delta schema.
func DeltaSchema(fields []Field) *delta.StructType {
	st := &delta.StructType{Fields: make([]delta.StructField, len(fields))}
	for i, f := range fields {
		st.Fields[i] = delta.StructField{Name: f.Name, Type: f.Type.Delta(), Nullable: f.Nullable}
	}
	return st
}
