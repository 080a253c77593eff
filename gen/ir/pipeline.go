package ir

import (
	"time"

	"github.com/streamgen/streamgen/gen/diag"
)

// Pipeline is one validated pipeline spec: source → steps → optional
// aggregation → sink. Every node carries the position of its spec node.
//
// Rows change type along the way: the source's record, then each select
// or map step's Out record, then the aggregation's Result. Output is the
// record that reaches the sink.
type Pipeline struct {
	// Name is the spec's name ("action_counts").
	Name string `json:"name"`
	// Spec is the spec file, slash-separated and relative, as printed in
	// diagnostics and the generated files' "// source:" line.
	Spec   string  `json:"spec"`
	Source *Source `json:"source"`
	// Steps run in order on every row. Aggregation, if any, comes after.
	Steps []Step `json:"steps,omitempty"`
	// Aggregation is the final groupBy, or nil.
	Aggregation *Aggregation `json:"aggregation,omitempty"`
	// Output is the record type of the rows reaching the sink.
	Output *Record `json:"output"`
	// Records are the records this pipeline derives (select, map and
	// aggregation outputs), in step order; the records its source and
	// steps read from schemas are in Program.Records.
	Records []*Record `json:"derived,omitempty"`
	Sink    *Sink     `json:"sink"`
	Trigger Trigger   `json:"trigger"`
	// Checkpoint is the checkpoint directory from the spec ("" when
	// absent: memory and console sinks).
	Checkpoint string `json:"checkpoint,omitempty"`
	// Watermark is the pipeline's watermark step, or nil.
	Watermark *Watermark `json:"-"`
	Pos       diag.Pos   `json:"pos"`
}

// SourceKind names a source.
type SourceKind string

// The sources.
const (
	SourceFiles SourceKind = "files"
	SourceKafka SourceKind = "kafka"
	SourceDelta SourceKind = "delta"
	SourceRate  SourceKind = "rate"
)

// OnMalformed is the policy for records a source cannot decode.
type OnMalformed string

// The policies.
const (
	Quarantine OnMalformed = "quarantine"
	Drop       OnMalformed = "drop"
	Fail       OnMalformed = "fail"
)

// Source is a pipeline's input. Exactly one of Files, Kafka, Delta and
// Rate is set, as Kind says.
type Source struct {
	Kind SourceKind `json:"kind"`
	// Record is the type of the rows the source produces: the root record
	// of its schema file, or the built-in Rate record {timestamp, value}.
	Record *Record `json:"-"`
	// RecordName is Record.Name, for JSON dumps.
	RecordName string `json:"record"`
	// SchemaPath is the schema file as printed in diagnostics ("" for rate).
	SchemaPath string `json:"schemaPath,omitempty"`
	// OnMalformed is the source's policy (the pipeline default applied;
	// quarantine when neither says).
	OnMalformed OnMalformed  `json:"onMalformed"`
	Files       *FilesSource `json:"files,omitempty"`
	Kafka       *KafkaSource `json:"kafka,omitempty"`
	Delta       *DeltaSource `json:"delta,omitempty"`
	Rate        *RateSource  `json:"rate,omitempty"`
	Pos         diag.Pos     `json:"pos"`
}

// FilesSource holds a files source's options with defaults applied (zero
// means no limit).
type FilesSource struct {
	Path               string        `json:"path"`
	Format             string        `json:"format"` // json | csv
	MaxFilesPerTrigger int           `json:"maxFilesPerTrigger,omitempty"`
	MaxBytesPerTrigger int64         `json:"maxBytesPerTrigger,omitempty"`
	LatestFirst        bool          `json:"latestFirst,omitempty"`
	MaxFileAge         time.Duration `json:"maxFileAge"`  // default 7 days
	CleanSource        string        `json:"cleanSource"` // off | archive | delete
	SourceArchiveDir   string        `json:"sourceArchiveDir,omitempty"`
	// CSVHeader and CSVDelimiter apply to format csv (defaults true, ',').
	CSVHeader    bool `json:"csvHeader,omitempty"`
	CSVDelimiter rune `json:"csvDelimiter,omitempty"`
}

// KafkaSource holds a Kafka source's options with defaults applied.
type KafkaSource struct {
	BootstrapServers []string `json:"bootstrapServers"`
	// Exactly one of Subscribe, SubscribePattern and Assign is set.
	Subscribe        []string          `json:"subscribe,omitempty"`
	SubscribePattern string            `json:"subscribePattern,omitempty"`
	Assign           []TopicPartitions `json:"assign,omitempty"`
	StartingOffsets  KafkaStartOffsets `json:"startingOffsets"`
	// StartingTimestamp is the zero time when unset.
	StartingTimestamp    time.Time     `json:"startingTimestamp,omitzero"`
	MaxOffsetsPerTrigger int64         `json:"maxOffsetsPerTrigger,omitempty"`
	MinOffsetsPerTrigger int64         `json:"minOffsetsPerTrigger,omitempty"`
	MaxTriggerDelay      time.Duration `json:"maxTriggerDelay"` // default 15m
	FailOnDataLoss       bool          `json:"failOnDataLoss"`  // default true
	IncludeHeaders       bool          `json:"includeHeaders,omitempty"`
	CommitToGroup        string        `json:"commitToGroup,omitempty"`
	ConsumerGroup        string        `json:"consumerGroup,omitempty"`
	// ConsumerGroupPos is the position of the consumerGroup key, where
	// the rules of a consumer-group pipeline are reported.
	ConsumerGroupPos diag.Pos  `json:"consumerGroupPos,omitzero"`
	Format           string    `json:"format"` // json
	Conn             KafkaConn `json:"conn"`
}

// TopicPartitions is one topic's assigned partitions, sorted.
type TopicPartitions struct {
	Topic      string  `json:"topic"`
	Partitions []int32 `json:"partitions"`
}

// KafkaStartOffsets is where a new Kafka query starts.
type KafkaStartOffsets struct {
	// Mode is earliest, latest or partitions.
	Mode string `json:"mode"`
	// Partitions is set for Mode partitions: offsets per topic and
	// partition (-2 earliest, -1 latest), sorted.
	Partitions []PartitionOffset `json:"partitions,omitempty"`
}

// PartitionOffset is one starting offset.
type PartitionOffset struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
}

// KafkaConn is how to reach brokers: TLS and SASL.
type KafkaConn struct {
	TLS  *KafkaTLS  `json:"tls,omitempty"`
	SASL *KafkaSASL `json:"sasl,omitempty"`
}

// KafkaTLS configures TLS (nil: plaintext).
type KafkaTLS struct {
	CAFile             string `json:"caFile,omitempty"`
	CertFile           string `json:"certFile,omitempty"`
	KeyFile            string `json:"keyFile,omitempty"`
	ServerName         string `json:"serverName,omitempty"`
	InsecureSkipVerify bool   `json:"insecureSkipVerify,omitempty"`
}

// KafkaSASL configures SASL; the password is read at run time from
// PasswordEnv or PasswordFile (exactly one is set).
type KafkaSASL struct {
	Mechanism    string `json:"mechanism"` // PLAIN | SCRAM-SHA-256 | SCRAM-SHA-512
	Username     string `json:"username"`
	PasswordEnv  string `json:"passwordEnv,omitempty"`
	PasswordFile string `json:"passwordFile,omitempty"`
}

// DeltaSource holds a Delta source's options with defaults applied.
type DeltaSource struct {
	Path               string `json:"path"`
	MaxFilesPerTrigger int    `json:"maxFilesPerTrigger"` // default 1000
	MaxBytesPerTrigger int64  `json:"maxBytesPerTrigger,omitempty"`
	// StartingVersion is -1 when unset; StartingLatest is true for
	// "latest".
	StartingVersion   int64     `json:"startingVersion"`
	StartingLatest    bool      `json:"startingLatest,omitempty"`
	StartingTimestamp time.Time `json:"startingTimestamp,omitzero"`
	IgnoreDeletes     bool      `json:"ignoreDeletes,omitempty"`
	IgnoreChanges     bool      `json:"ignoreChanges,omitempty"`
	SkipChangeCommits bool      `json:"skipChangeCommits,omitempty"`
}

// RateSource holds a rate source's options with defaults applied.
type RateSource struct {
	RowsPerSecond int64         `json:"rowsPerSecond"` // default 1
	RampUpTime    time.Duration `json:"rampUpTime,omitempty"`
	NumPartitions int           `json:"numPartitions"` // default 1
}

// RateRecordName is the name of the rate source's record.
const RateRecordName = "Rate"

// NewRateRecord returns the rate source's record {timestamp, value}.
func NewRateRecord(pos diag.Pos) *Record {
	return &Record{
		Name:   RateRecordName,
		ID:     "streamgen:rate",
		Doc:    "Rate is a row of the rate source: a timestamp and a value counting up from 0.",
		Source: pos.File,
		Pos:    pos,
		Fields: []*Field{
			{Name: "timestamp", Type: &Timestamp{Unit: RFC3339}, Required: true, Pos: pos},
			{Name: "value", Type: &Scalar{Kind: Int64}, Required: true, Pos: pos},
		},
	}
}

// Step is one row-at-a-time transformation. The set is closed: *Where,
// *Select, *Map, *Watermark.
type Step interface {
	// Input is the record the step reads.
	Input() *Record
	// Output is the record the step produces (Input for where and
	// watermark).
	Output() *Record
	StepPos() diag.Pos
	isStep()
}

// Where keeps the rows for which Cond is true.
type Where struct {
	// Op is "where" (it tags the step in JSON dumps).
	Op   string   `json:"op"`
	In   *Record  `json:"-"`
	Cond *Expr    `json:"cond"`
	Pos  diag.Pos `json:"pos"`
}

// Select projects each row onto Out's fields.
type Select struct {
	// Op is "select" (it tags the step in JSON dumps).
	Op string  `json:"op"`
	In *Record `json:"-"`
	// Out is the derived record (<Pipeline>Row, <Pipeline>Row2, …).
	Out *Record `json:"out"`
	// Columns are Out's fields in order.
	Columns []*SelectColumn `json:"columns"`
	Pos     diag.Pos        `json:"pos"`
}

// SelectColumn is one output field: a copy (Expr nil, From set) or a
// derived value (Expr set).
type SelectColumn struct {
	// As is the output field's name (Out.Fields[i].Name).
	As string `json:"as"`
	// From is the input field copied, or "".
	From string `json:"from,omitempty"`
	// Expr computes the field, or nil.
	Expr *Expr    `json:"expr,omitempty"`
	Pos  diag.Pos `json:"pos"`
}

// Map calls a user Go function on each row.
type Map struct {
	// Op is "map" (it tags the step in JSON dumps).
	Op   string  `json:"op"`
	In   *Record `json:"-"`
	Func GoFunc  `json:"func"`
	// Out is the record derived from the function's result struct; its
	// Name is the Go type's name and GoType says where the type lives
	// (generated code uses the user's type itself for these rows).
	Out *Record `json:"out"`
	// OutType is the user's result struct type.
	OutType GoType `json:"outType"`
	// OutFields name the Go field of OutType behind each Out field, in
	// Out.Fields order.
	OutFields []string `json:"outFields"`
	// OutBindings bind each Out field to its Go field of OutType, with
	// the Go field's type, in Out.Fields order (OutBindings[i].GoField ==
	// OutFields[i]).
	OutBindings []FieldBinding `json:"outBindings"`
	Pos         diag.Pos       `json:"pos"`
}

// GoFunc is a user Go function and how to call it.
type GoFunc struct {
	// PkgPath and Name locate the function ("example.com/me/enrich",
	// "Enrich").
	PkgPath string `json:"pkgPath"`
	Name    string `json:"name"`
	// Context is true when the first parameter is a context.Context.
	Context bool `json:"context,omitempty"`
	// Error is true when the last result is an error.
	Error bool `json:"error,omitempty"`
	// Arg is the user's struct type the row is converted to, and
	// ArgFields bind its Go fields to record fields: generated code builds
	// Arg{GoField: row.<field>, …} (enum fields converted to string).
	Arg       GoType         `json:"arg"`
	ArgFields []FieldBinding `json:"argFields"`
}

// GoType is a named Go type in a user's package.
type GoType struct {
	PkgPath string `json:"pkgPath"`
	Name    string `json:"name"`
}

// FieldBinding binds a Go struct field of a user type to a record field.
type FieldBinding struct {
	GoField string `json:"goField"`
	// GoType is the Go field's type as go/types writes it, packages
	// named by their names ("int", "*string", "time.Time", "[]int64").
	// For an argument struct it is exactly the type expressions see for
	// Field (the checker requires it); for a map result it is the user's
	// type, which may be int for an int64 field.
	GoType string `json:"goType"`
	// Field is the record field's (JSON) name.
	Field string `json:"field"`
}

// Watermark declares the event-time column and allowed lateness.
type Watermark struct {
	// Op is "watermark" (it tags the step in JSON dumps).
	Op string `json:"op"`
	// Step is the watermark's index in the spec's steps.
	Step   int           `json:"step"`
	In     *Record       `json:"-"`
	Column string        `json:"column"`
	Delay  time.Duration `json:"delay"`
	Pos    diag.Pos      `json:"pos"`
}

func (s *Where) Input() *Record     { return s.In }
func (s *Where) Output() *Record    { return s.In }
func (s *Where) StepPos() diag.Pos  { return s.Pos }
func (*Where) isStep()              {}
func (s *Select) Input() *Record    { return s.In }
func (s *Select) Output() *Record   { return s.Out }
func (s *Select) StepPos() diag.Pos { return s.Pos }
func (*Select) isStep()             {}
func (s *Map) Input() *Record       { return s.In }
func (s *Map) Output() *Record      { return s.Out }
func (s *Map) StepPos() diag.Pos    { return s.Pos }
func (*Map) isStep()                {}
func (s *Watermark) Input() *Record { return s.In }
func (s *Watermark) Output() *Record {
	return s.In
}
func (s *Watermark) StepPos() diag.Pos { return s.Pos }
func (*Watermark) isStep()             {}

// Expr is a Go expression from a spec, parsed and type-checked against
// the record it reads.
//
// The expression was checked in a scope declaring one variable per field
// of the record it reads, named by the field's JSON name, typed as
// Vars[i].GoType says: string, int32, int64, float64, bool, time.Time
// (timestamps and dates), string for enums (the generated code converts:
// string(r.Action)), []T for lists, and *T for fields that are nullable or
// not required (lists excepted). Packages time, strings, math and
// strconv are imported. Generated code evaluates it by binding exactly
// these variables, e.g. `action := string(r.Action)`.
type Expr struct {
	// Src is the expression's text as written.
	Src string `json:"src"`
	// Type is the expression's Go type ("bool", "int64", "time.Time").
	Type string `json:"type"`
	// Vars are the fields the expression uses, in order of first use.
	Vars []ExprVar `json:"vars,omitempty"`
	Pos  diag.Pos  `json:"pos"`
}

// ExprVar is a field used by an expression.
type ExprVar struct {
	Field  string `json:"field"`
	GoType string `json:"goType"`
}

// WindowKind is the kind of event-time window.
type WindowKind string

// The windows.
const (
	Tumbling WindowKind = "tumbling"
	Sliding  WindowKind = "sliding"
	Session  WindowKind = "session"
)

// Window column names in aggregation results.
const (
	WindowStartField = "window_start"
	WindowEndField   = "window_end"
)

// Aggregation groups rows by Keys (and Window) and computes Aggs; its
// rows are Result: the keys, then window_start and window_end when
// windowed, then the aggregates.
type Aggregation struct {
	In *Record `json:"-"`
	// Step is the groupBy's index in the spec's steps.
	Step   int      `json:"step"`
	Keys   []string `json:"keys"`
	Window *Window  `json:"window,omitempty"`
	Aggs   []*Agg   `json:"aggs"`
	// Result is the derived record <Pipeline>Result.
	Result *Record  `json:"result"`
	Pos    diag.Pos `json:"pos"`
}

// Window is an event-time window over Column (a timestamp field).
type Window struct {
	Kind        WindowKind    `json:"kind"`
	Column      string        `json:"column"`
	Size        time.Duration `json:"size,omitempty"`  // tumbling, sliding
	Slide       time.Duration `json:"slide,omitempty"` // sliding
	Gap         time.Duration `json:"gap,omitempty"`   // session
	StartOffset time.Duration `json:"startOffset,omitempty"`
	Pos         diag.Pos      `json:"pos"`
}

// AggFunc is an aggregate function.
type AggFunc string

// The aggregate functions.
const (
	AggCount               AggFunc = "count" // count() rows, or count(f) non-null values
	AggSum                 AggFunc = "sum"
	AggMin                 AggFunc = "min"
	AggMax                 AggFunc = "max"
	AggAvg                 AggFunc = "avg"
	AggFirst               AggFunc = "first"
	AggLast                AggFunc = "last"
	AggCountDistinct       AggFunc = "count_distinct"
	AggApproxCountDistinct AggFunc = "approx_count_distinct" // HyperLogLog
)

// AggFuncs lists the aggregate functions (for hints).
var AggFuncs = []AggFunc{AggCount, AggSum, AggMin, AggMax, AggAvg, AggFirst, AggLast, AggCountDistinct, AggApproxCountDistinct}

// Agg is one aggregate: Func over Field ("" for count()) into the result
// field As, whose type is Type: count and the distinct counts → int64;
// sum of integers → int64, of float64 → float64; avg → float64;
// min/max/first/last → the field's type. The result field is nullable
// (Spark's null for a group without a non-null value) for sum, avg, min,
// max, first and last over a nullable or not-required field; the counts
// are never null.
type Agg struct {
	Func  AggFunc  `json:"func"`
	Field string   `json:"field,omitempty"`
	As    string   `json:"as"`
	Type  Type     `json:"type"`
	Pos   diag.Pos `json:"pos"`
}

// SinkKind names a sink.
type SinkKind string

// The sinks.
const (
	SinkDelta        SinkKind = "delta"
	SinkMemory       SinkKind = "memory"
	SinkConsole      SinkKind = "console"
	SinkKafka        SinkKind = "kafka"
	SinkForeachBatch SinkKind = "foreachBatch"
)

// OutputMode is a sink's output mode (Spark's).
type OutputMode string

// The output modes.
const (
	Append   OutputMode = "append"
	Update   OutputMode = "update"
	Complete OutputMode = "complete"
)

// Sink is a pipeline's output; exactly one of the kind fields is set.
type Sink struct {
	Kind       SinkKind          `json:"kind"`
	OutputMode OutputMode        `json:"outputMode"`
	Delta      *DeltaSink        `json:"delta,omitempty"`
	Memory     *MemorySink       `json:"memory,omitempty"`
	Console    *ConsoleSink      `json:"console,omitempty"`
	Kafka      *KafkaSink        `json:"kafka,omitempty"`
	Foreach    *ForeachBatchSink `json:"foreachBatch,omitempty"`
	Pos        diag.Pos          `json:"pos"`
	// ModePos is the position of the outputMode option (Pos when the
	// spec leaves it out).
	ModePos diag.Pos `json:"modePos"`
}

// DeltaSink holds a Delta sink's options with defaults applied.
type DeltaSink struct {
	Path           string   `json:"path"`
	PartitionBy    []string `json:"partitionBy,omitempty"`
	TargetFileSize int64    `json:"targetFileSize"` // default 128 MiB
	MergeSchema    bool     `json:"mergeSchema,omitempty"`
}

// MemorySink holds a memory sink's options.
type MemorySink struct {
	Name string `json:"name"` // default: the pipeline's name
}

// ConsoleSink holds a console sink's options with defaults applied.
type ConsoleSink struct {
	NumRows  int  `json:"numRows"`  // default 20
	Truncate bool `json:"truncate"` // default true
}

// KafkaSink holds a Kafka sink's options.
type KafkaSink struct {
	BootstrapServers []string `json:"bootstrapServers"`
	Topic            string   `json:"topic"`
	Key              string   `json:"key,omitempty"`
	// Headers are the record headers, sorted by name: each a field of
	// the output record (a scalar, timestamp, date or enum) whose text
	// is the header's value.
	Headers     []KafkaHeader `json:"headers,omitempty"`
	ExactlyOnce bool          `json:"exactlyOnce,omitempty"`
	Conn        KafkaConn     `json:"conn"`
}

// KafkaHeader is one record header of a Kafka sink: Name's value is the
// text of the output record's Field; Pos is the position of the field
// name in the spec.
type KafkaHeader struct {
	Name  string   `json:"name"`
	Field string   `json:"field"`
	Pos   diag.Pos `json:"pos"`
}

// ForeachBatchSink calls Func(ctx, batchID, rows []Func.Arg) error.
type ForeachBatchSink struct {
	Func GoFunc `json:"func"`
}

// TriggerKind is when micro-batches run.
type TriggerKind string

// The triggers.
const (
	TriggerDefault        TriggerKind = "default"
	TriggerProcessingTime TriggerKind = "processingTime"
	TriggerOnce           TriggerKind = "once"
	TriggerAvailableNow   TriggerKind = "availableNow"
)

// Trigger is when micro-batches run.
type Trigger struct {
	Kind TriggerKind `json:"kind"`
	// Interval is set for TriggerProcessingTime.
	Interval time.Duration `json:"interval,omitempty"`
	Pos      diag.Pos      `json:"pos"`
}
