// Package spec is the grammar of streamgen's YAML pipeline specs, as Go
// types. gen/load decodes a spec file into a Pipeline (keeping the
// file:line:col of every node), gen/ir turns it into a checked
// ir.Pipeline, and schemas/pipeline.schema.json is generated from these
// types (go generate runs ./internal/schemagen), so the doc comments here
// are also what editors show. README.md in this directory documents the
// grammar with examples.
//
// YAML keys are the json tag names. A key the grammar does not know is an
// error (with a "did you mean" hint), never ignored.
package spec

//go:generate go run ./internal/schemagen -o ../../schemas/pipeline.schema.json

// Pipeline is one pipeline spec: a source, steps over its records, a sink,
// a trigger and a checkpoint.
type Pipeline struct {
	// Name names the pipeline: lowercase letters, digits and underscores,
	// starting with a letter ("action_counts"). It names the generated
	// package, types (ActionCountsResult) and binary, and is the default
	// query name.
	Name string `json:"name" jsonschema:"pattern=^[a-z][a-z0-9_]*$"`
	// Source is where records come from: exactly one of files, kafka,
	// delta or rate.
	Source Source `json:"source"`
	// OnMalformed is the default policy for records a source cannot
	// decode (bad JSON, wrong type, missing required field): quarantine
	// (the default: raw bytes, origin and error go to a quarantine table),
	// drop (counted in progress) or fail (stop the query with the
	// location). A source's own onMalformed overrides it.
	OnMalformed string `json:"onMalformed,omitempty" jsonschema:"enum=quarantine,enum=drop,enum=fail"`
	// Steps transform the source's records in order: where, select, map,
	// watermark, and at most one groupBy (with aggregate), which must be
	// the last step.
	Steps []Step `json:"steps,omitempty"`
	// Sink is where results go: exactly one of delta, memory, console,
	// kafka or foreachBatch.
	Sink Sink `json:"sink"`
	// Trigger says when micro-batches run: at most one of processingTime,
	// once or availableNow. Absent: the next batch starts as soon as the
	// previous one ends (polling when idle).
	Trigger *Trigger `json:"trigger,omitempty"`
	// Checkpoint is the query's checkpoint directory (offsets, commits,
	// state), relative to the working directory of the running binary
	// (its -checkpoint flag overrides it). Required unless the sink is
	// memory or console, as in Spark.
	Checkpoint string `json:"checkpoint,omitempty"`
}

// Source is a pipeline's input. Exactly one of its fields is set.
type Source struct {
	// Files reads new files appearing under a directory or glob.
	Files *FilesSource `json:"files,omitempty"`
	// Kafka reads the values of Kafka records.
	Kafka *KafkaSource `json:"kafka,omitempty"`
	// Delta reads a Delta table: its snapshot, then each new commit.
	Delta *DeltaSource `json:"delta,omitempty"`
	// Rate generates {timestamp, value} rows at a fixed rate, for tests and
	// benchmarks.
	Rate *RateSource `json:"rate,omitempty"`
}

// FilesSource reads files of records (JSON lines or CSV) as they appear.
// Files are taken in order of modification time, then name; a source log
// in the checkpoint makes restarts neither skip nor repeat a file.
type FilesSource struct {
	// Path is a directory or a glob ("data/events", "data/*/part-*.json"),
	// relative to the running binary's working directory (-source-path
	// overrides it).
	Path string `json:"path"`
	// Format is the file format: json (one JSON object per line, the
	// default) or csv (with a header line).
	Format string `json:"format,omitempty" jsonschema:"enum=json,enum=csv"`
	// Schema is the JSON Schema file of one record, relative to this spec
	// file.
	Schema string `json:"schema"`
	// MaxFilesPerTrigger caps the number of new files per micro-batch
	// (default: no limit).
	MaxFilesPerTrigger int `json:"maxFilesPerTrigger,omitempty" jsonschema:"minimum=1"`
	// MaxBytesPerTrigger caps the bytes of new files per micro-batch
	// ("128MiB"); at least one file is always taken. With
	// maxFilesPerTrigger, the first limit reached wins.
	MaxBytesPerTrigger Size `json:"maxBytesPerTrigger,omitempty"`
	// LatestFirst processes the newest files first (useful to catch up
	// on a large backlog).
	LatestFirst bool `json:"latestFirst,omitempty"`
	// MaxFileAge ignores files older than this relative to the newest file
	// seen ("7d", the default, as in Spark). Ignored with latestFirst and
	// maxFilesPerTrigger both set.
	MaxFileAge Duration `json:"maxFileAge,omitempty"`
	// CleanSource says what happens to a file once its batch is committed:
	// off (the default), archive (move it under sourceArchiveDir) or
	// delete.
	CleanSource string `json:"cleanSource,omitempty" jsonschema:"enum=off,enum=archive,enum=delete"`
	// SourceArchiveDir is where archived files go; required with
	// cleanSource: archive, and must not be under path.
	SourceArchiveDir string `json:"sourceArchiveDir,omitempty"`
	// Header says whether CSV files start with a header line naming the
	// columns (default true). CSV only.
	Header *bool `json:"header,omitempty"`
	// Delimiter is the CSV field separator, one character (default ",").
	// CSV only.
	Delimiter string `json:"delimiter,omitempty" jsonschema:"minLength=1,maxLength=1"`
	// OnMalformed overrides the pipeline's onMalformed for this source.
	OnMalformed string `json:"onMalformed,omitempty" jsonschema:"enum=quarantine,enum=drop,enum=fail"`
}

// KafkaSource reads records from Kafka topics (Spark's option names and
// meanings). The record value is decoded with schema; key, topic,
// partition, offset, timestamp and headers travel with it. Offsets are
// kept in the checkpoint, not in Kafka.
type KafkaSource struct {
	// BootstrapServers are the brokers to connect to ("host:9092").
	BootstrapServers []string `json:"bootstrapServers" jsonschema:"minItems=1"`
	// Subscribe is a list of topics to read. Exactly one of subscribe,
	// subscribePattern and assign is set.
	Subscribe []string `json:"subscribe,omitempty"`
	// SubscribePattern is a regular expression (Go RE2 syntax) matching
	// the topics to read; new matching topics are picked up.
	SubscribePattern string `json:"subscribePattern,omitempty"`
	// Assign lists exact partitions to read: topic → partition numbers.
	Assign map[string][]int32 `json:"assign,omitempty"`
	// StartingOffsets is where a new query starts: earliest, latest (the
	// default) or per partition (topic → partition → offset, with -2
	// meaning earliest and -1 latest). Decided once, then kept in the
	// checkpoint.
	StartingOffsets *KafkaOffsets `json:"startingOffsets,omitempty"`
	// StartingTimestamp starts a new query at the first offset whose
	// timestamp is at or after this instant (RFC 3339 or epoch
	// milliseconds); takes precedence over startingOffsets.
	StartingTimestamp *Time `json:"startingTimestamp,omitempty"`
	// MaxOffsetsPerTrigger caps the records per micro-batch, split over
	// partitions by backlog.
	MaxOffsetsPerTrigger int64 `json:"maxOffsetsPerTrigger,omitempty" jsonschema:"minimum=1"`
	// MinOffsetsPerTrigger makes a batch wait until this many records are
	// available, or until maxTriggerDelay has passed.
	MinOffsetsPerTrigger int64 `json:"minOffsetsPerTrigger,omitempty" jsonschema:"minimum=1"`
	// MaxTriggerDelay is the longest a batch waits for
	// minOffsetsPerTrigger (default 15m).
	MaxTriggerDelay Duration `json:"maxTriggerDelay,omitempty"`
	// FailOnDataLoss stops the query when offsets it needs were deleted
	// (default true); false continues and records the skipped range in
	// quarantine and progress.
	FailOnDataLoss *bool `json:"failOnDataLoss,omitempty"`
	// IncludeHeaders keeps the records' headers with each row.
	IncludeHeaders bool `json:"includeHeaders,omitempty"`
	// CommitToGroup, when set, also commits processed offsets to this
	// consumer group, for lag-monitoring tools. The checkpoint stays the
	// source of truth.
	CommitToGroup string `json:"commitToGroup,omitempty"`
	// ConsumerGroup, when set, shares the topics among every running copy
	// of the pipeline through this Kafka consumer group (scale-out for
	// append-only pipelines; the Delta sink records offsets per partition).
	ConsumerGroup string `json:"consumerGroup,omitempty"`
	// TLS enables TLS to the brokers.
	TLS *TLS `json:"tls,omitempty"`
	// SASL authenticates to the brokers (Event Hubs: PLAIN with username
	// "$ConnectionString").
	SASL *SASL `json:"sasl,omitempty"`
	// Format is the encoding of record values: json (the default).
	Format string `json:"format,omitempty" jsonschema:"enum=json"`
	// Schema is the JSON Schema file of a record value, relative to this
	// spec file.
	Schema string `json:"schema"`
	// OnMalformed overrides the pipeline's onMalformed for this source.
	OnMalformed string `json:"onMalformed,omitempty" jsonschema:"enum=quarantine,enum=drop,enum=fail"`
}

// TLS configures TLS to Kafka brokers. An empty tls: {} uses the system
// roots.
type TLS struct {
	// CAFile is a PEM file of CA certificates to trust instead of the
	// system roots.
	CAFile string `json:"caFile,omitempty"`
	// CertFile is a PEM client certificate (mutual TLS); needs keyFile.
	CertFile string `json:"certFile,omitempty"`
	// KeyFile is the PEM private key of certFile.
	KeyFile string `json:"keyFile,omitempty"`
	// ServerName overrides the name checked against the brokers'
	// certificates.
	ServerName string `json:"serverName,omitempty"`
	// InsecureSkipVerify accepts any broker certificate. For tests only.
	InsecureSkipVerify bool `json:"insecureSkipVerify,omitempty"`
}

// SASL configures SASL authentication to Kafka brokers. Secrets come from
// the environment or a file, never from the spec, and are never logged.
type SASL struct {
	// Mechanism is PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.
	Mechanism string `json:"mechanism" jsonschema:"enum=PLAIN,enum=SCRAM-SHA-256,enum=SCRAM-SHA-512"`
	// Username is the SASL user name.
	Username string `json:"username"`
	// PasswordEnv names the environment variable holding the password.
	// Exactly one of passwordEnv and passwordFile is set.
	PasswordEnv string `json:"passwordEnv,omitempty"`
	// PasswordFile is a file holding the password (trailing newline
	// removed).
	PasswordFile string `json:"passwordFile,omitempty"`
}

// DeltaSource reads a Delta table as a stream: the snapshot at the start
// version, then the files added by each new commit.
type DeltaSource struct {
	// Path is the table's directory (-source-path overrides it).
	Path string `json:"path"`
	// Schema is the JSON Schema file of one row, relative to this spec
	// file. It must match the table's schema.
	Schema string `json:"schema"`
	// MaxFilesPerTrigger caps the files per micro-batch (default 1000).
	MaxFilesPerTrigger int `json:"maxFilesPerTrigger,omitempty" jsonschema:"minimum=1"`
	// MaxBytesPerTrigger caps the bytes per micro-batch ("1GiB"); the
	// first limit reached wins, and at least one file is always taken.
	MaxBytesPerTrigger Size `json:"maxBytesPerTrigger,omitempty"`
	// StartingVersion starts at this table version (its changes only, no
	// snapshot), or at latest (only changes after the query starts).
	StartingVersion *Version `json:"startingVersion,omitempty"`
	// StartingTimestamp starts at the first version committed at or after
	// this instant ("2024-01-31" or RFC 3339). At most one of
	// startingVersion and startingTimestamp.
	StartingTimestamp *Time `json:"startingTimestamp,omitempty"`
	// IgnoreDeletes skips commits that only delete data (at partition
	// boundaries).
	IgnoreDeletes bool `json:"ignoreDeletes,omitempty"`
	// IgnoreChanges re-emits the rows of files rewritten by updates,
	// merges and deletes (downstream sees duplicates).
	IgnoreChanges bool `json:"ignoreChanges,omitempty"`
	// SkipChangeCommits skips every commit that removes or rewrites data.
	// Without one of ignoreDeletes, ignoreChanges and skipChangeCommits,
	// such a commit stops the query with an error naming the version.
	SkipChangeCommits bool `json:"skipChangeCommits,omitempty"`
}

// RateSource generates rows {timestamp, value} (value counting up from 0)
// at a fixed rate. Its record is named Rate.
type RateSource struct {
	// RowsPerSecond is how many rows to generate per second (default 1).
	RowsPerSecond int64 `json:"rowsPerSecond,omitempty" jsonschema:"minimum=1"`
	// RampUpTime is how long to ramp up to rowsPerSecond (default 0s).
	RampUpTime Duration `json:"rampUpTime,omitempty"`
	// NumPartitions is the number of generator partitions (default 1).
	NumPartitions int `json:"numPartitions,omitempty" jsonschema:"minimum=1"`
}

// Step is one transformation. Exactly one of where, select, map,
// watermark and groupBy is set; aggregate goes with groupBy.
type Step struct {
	// Where keeps the rows for which this Go expression over the row's
	// fields is true (`action != "" && temperature > 20`).
	Where string `json:"where,omitempty"`
	// Select projects the row: each item is a field name, or {column, as}
	// to rename, or {as, expr} to derive a new field from a Go expression.
	// The result is a new record type (<Pipeline>Row).
	Select []SelectItem `json:"select,omitempty"`
	// Map calls a user Go function on every row.
	Map *Map `json:"map,omitempty"`
	// Watermark declares the event-time column and how late rows may be:
	// watermark = max event time seen − delay.
	Watermark *Watermark `json:"watermark,omitempty"`
	// GroupBy groups rows by keys and an optional window; aggregate says
	// what to compute per group. Must be the last step.
	GroupBy *GroupBy `json:"groupBy,omitempty"`
	// Aggregate names the aggregates computed per group, in order:
	// output field → count() | count(f) | sum(f) | min(f) | max(f) |
	// avg(f) | first(f) | last(f) | count_distinct(f) |
	// approx_count_distinct(f). Only with groupBy.
	Aggregate Aggregates `json:"aggregate,omitempty"`
}

// SelectItem is one output field of a select: a plain field name (YAML
// scalar "time"), a rename {column: action, as: kind}, or a derived field
// {as: kind, expr: "strings.ToLower(action)"}.
type SelectItem struct {
	// Column is the input field to keep.
	Column string `json:"column,omitempty"`
	// As is the output field name (default: column).
	As string `json:"as,omitempty"`
	// Expr is a Go expression over the input fields computing the output
	// field; its Go type gives the field's type.
	Expr string `json:"expr,omitempty"`
}

// Map calls a user Go function on every row. The function is
// func(In) Out, func(In) (Out, error) or func(context.Context, In) (Out,
// error), where In and Out are struct types of the user's own package (it
// cannot import generated code): In's fields are taken from the row by
// name and must have the row's Go types; Out becomes the row type of the
// following steps. A non-nil error is handled by onMalformed.
type Map struct {
	// Func is the function's import path and name:
	// "example.com/me/enrich.Enrich".
	Func string `json:"func"`
}

// Watermark sets the event-time watermark.
type Watermark struct {
	// Column is the event-time field: a timestamp.
	Column string `json:"column"`
	// Delay is how late a row may arrive ("10m").
	Delay Duration `json:"delay"`
}

// GroupBy groups rows for aggregation.
type GroupBy struct {
	// Keys are the grouping fields (scalars, timestamps, dates or enums),
	// in output order.
	Keys []string `json:"keys,omitempty"`
	// Window groups rows also by an event-time window; it appears in
	// results as window_start and window_end timestamp columns after the
	// keys.
	Window *Window `json:"window,omitempty"`
}

// Window is a tumbling (size), sliding (size and slide) or session (gap)
// window over a timestamp field. Windows start inclusive and end
// exclusive, aligned to the Unix epoch plus startOffset.
type Window struct {
	// Column is the event-time field: a timestamp.
	Column string `json:"column"`
	// Size is the window length ("1h"); tumbling and sliding windows.
	Size Duration `json:"size,omitempty"`
	// Slide is how far consecutive sliding windows are apart ("30m"); at
	// most size. Sliding windows only.
	Slide Duration `json:"slide,omitempty"`
	// Gap closes a session window after this long without rows ("5m").
	// Session windows only (no size or slide).
	Gap Duration `json:"gap,omitempty"`
	// StartOffset shifts window boundaries from the epoch ("15m" for
	// windows starting at :15); less than slide (or size).
	StartOffset Duration `json:"startOffset,omitempty"`
}

// Aggregates are the aggregates of a groupBy, in order. In YAML it is a
// mapping from output field name to aggregate call:
//
//	aggregate: {count: count(), latest: max(time), total: sum(temperature)}
type Aggregates []Aggregate

// Aggregate is one output field of an aggregation.
type Aggregate struct {
	// As is the output field name.
	As string `json:"as"`
	// Expr is the aggregate call, such as count() or max(time).
	Expr string `json:"expr"`
}

// Sink is a pipeline's output. Exactly one of its fields is set.
type Sink struct {
	// Delta writes a Delta table, exactly once per batch.
	Delta *DeltaSink `json:"delta,omitempty"`
	// Memory keeps results in memory under a name (tests, demos).
	Memory *MemorySink `json:"memory,omitempty"`
	// Console prints each batch as a table.
	Console *ConsoleSink `json:"console,omitempty"`
	// Kafka writes rows as JSON record values.
	Kafka *KafkaSink `json:"kafka,omitempty"`
	// ForeachBatch calls a user Go function with each batch.
	ForeachBatch *ForeachBatchSink `json:"foreachBatch,omitempty"`
}

// SinkOptions are the options every sink has.
type SinkOptions struct {
	// OutputMode is append (the default: new rows only; with an
	// aggregation, each window once the watermark passes its end), update
	// (rows changed in this batch) or complete (the whole result every
	// batch; needs an aggregation).
	OutputMode string `json:"outputMode,omitempty" jsonschema:"enum=append,enum=update,enum=complete"`
}

// DeltaSink writes a Delta table: append adds files, complete replaces
// the table's contents, update merges changed rows by key; each batch is
// committed exactly once (txn appId = query id, version = batch id).
type DeltaSink struct {
	SinkOptions
	// Path is the table's directory (-sink-path overrides it).
	Path string `json:"path"`
	// PartitionBy are the partition columns, in order.
	PartitionBy []string `json:"partitionBy,omitempty"`
	// TargetFileSize is the size Parquet files are cut at ("128MiB", the
	// default).
	TargetFileSize Size `json:"targetFileSize,omitempty"`
	// MergeSchema lets the table gain new nullable columns when the
	// record gains fields.
	MergeSchema bool `json:"mergeSchema,omitempty"`
}

// MemorySink keeps results in memory, queryable from Go by name.
type MemorySink struct {
	SinkOptions
	// Name is the table's name (default: the pipeline's name).
	Name string `json:"name,omitempty"`
}

// ConsoleSink prints every batch as a table on standard output.
type ConsoleSink struct {
	SinkOptions
	// NumRows is how many rows to print per batch (default 20).
	NumRows int `json:"numRows,omitempty" jsonschema:"minimum=1"`
	// Truncate cuts long values to 20 characters (default true).
	Truncate *bool `json:"truncate,omitempty"`
}

// KafkaSink writes each row as a JSON record value to a topic.
type KafkaSink struct {
	SinkOptions
	// BootstrapServers are the brokers to connect to ("host:9092").
	BootstrapServers []string `json:"bootstrapServers" jsonschema:"minItems=1"`
	// Topic is the topic to write to.
	Topic string `json:"topic"`
	// Key is the field whose value becomes the record key (default: no
	// key).
	Key string `json:"key,omitempty"`
	// Headers are the record headers: header name → the field whose
	// value, as text (encoded as the key is), becomes the header's value
	// ({device: device_id, source: site}). Headers are written in name
	// order; a header whose field is null is left out of that record.
	// Lists and records cannot be header values.
	Headers map[string]string `json:"headers,omitempty"`
	// ExactlyOnce writes each batch in a Kafka transaction keyed by the
	// batch id; otherwise delivery is at least once (idempotent producer).
	ExactlyOnce bool `json:"exactlyOnce,omitempty"`
	// TLS enables TLS to the brokers.
	TLS *TLS `json:"tls,omitempty"`
	// SASL authenticates to the brokers.
	SASL *SASL `json:"sasl,omitempty"`
}

// ForeachBatchSink calls a user Go function with each batch:
// func(ctx context.Context, batchID int64, rows []T) error, where T is a
// struct type of the user's package whose fields are taken from the
// result row by name (as for map). batchID makes writes idempotent.
type ForeachBatchSink struct {
	SinkOptions
	// Func is the function's import path and name:
	// "example.com/me/publish.Batch".
	Func string `json:"func"`
}

// Trigger says when micro-batches run. At most one field is set.
type Trigger struct {
	// ProcessingTime runs a batch every interval ("10s"), aligned to
	// multiples of it; an overrun starts the next batch at once.
	ProcessingTime Duration `json:"processingTime,omitempty"`
	// Once runs one batch of everything available, then stops.
	Once bool `json:"once,omitempty"`
	// AvailableNow processes everything available at start, in as many
	// batches as the read limits need, then stops.
	AvailableNow bool `json:"availableNow,omitempty"`
}
