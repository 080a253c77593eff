package kafkagroup

import (
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/quarantine"
	"github.com/streamgen/streamgen/runtime/source/kafka"
	"github.com/streamgen/streamgen/runtime/stream"
	"github.com/streamgen/streamgen/runtime/streamimpl"
	"github.com/streamgen/streamgen/runtime/trigger"
)

// Defaults of [Config].
const (
	// DefaultMaxRecords caps the records of one commit.
	DefaultMaxRecords = 10_000
	// DefaultMaxWait is how long a commit waits for more records after
	// its first one.
	DefaultMaxWait = time.Second
	// DefaultRecentProgress is how many Progress reports a Group keeps.
	DefaultRecentProgress = 100
)

// Operation is the commitInfo operation of every data commit, as the
// Delta sink writes it.
const Operation = "STREAMING UPDATE"

// Starting offsets of a partition the table has no txn for.
const (
	// StartLatest reads only records produced after the partition's
	// first assignment (the default, as Spark's startingOffsets).
	StartLatest = "latest"
	// StartEarliest reads the partition from its earliest offset.
	StartEarliest = "earliest"
)

// Config configures a [Group] reading records of type In from Kafka and
// appending rows of type Out to a Delta table.
type Config[In, Out any] struct {
	// Client holds the franz-go options of the connection: the brokers
	// (kgo.SeedBrokers), TLS, SASL, client ID, timeouts. The group,
	// topics and offset options are set by the Group and must not be in
	// Client.
	Client []kgo.Opt
	// Topics are the topics the group consumes (required unless
	// TopicPattern is set).
	Topics []string
	// TopicPattern, instead of Topics, is a regular expression (Go RE2
	// syntax): the group consumes every topic whose whole name matches
	// it, Kafka's internal topics excepted, including topics created
	// while it runs (as the Kafka source's SubscribePattern).
	TopicPattern string
	// Group is the Kafka consumer group ID the processes share
	// (required).
	Group string
	// Query is the query name: the prefix of the txn appIds,
	// "<Query>-<topic>-<partition>" (required). All processes of the
	// group must use the same name; two pipelines writing one table must
	// use different names.
	Query string

	// NewDecoder returns a decoder of record values (required); each
	// Group run uses one.
	NewDecoder func() streamimpl.Decoder[In]
	// OnMalformed says what happens to a value the decoder rejects or a
	// record without a value: kafka.QuarantineMalformed (the default,
	// needs Quarantine), kafka.DropMalformed or kafka.FailMalformed.
	OnMalformed kafka.MalformedPolicy
	// Quarantine receives the malformed records under
	// QuarantineMalformed.
	Quarantine quarantine.Writer

	// Process turns a decoded record into the rows of the table, calling
	// emit for each (the pipeline's stateless steps); emit's row is
	// copied before emit returns. Nil passes the record through, and
	// then In must be Out.
	Process func(row *In, rec *kafka.Record, emit func(*Out) error) error

	// Table is the Delta table the group appends to (required). It is
	// created with Schema and PartitionColumns when it does not exist.
	Table *delta.Table
	// Schema is the table's schema, every column (required).
	Schema *delta.StructType
	// PartitionColumns are the table's partition columns, if any.
	PartitionColumns []string
	// PartitionValues returns a row's serialised partition values;
	// required with PartitionColumns.
	PartitionValues func(*Out) map[string]*string
	// Writer configures the Parquet files.
	Writer delta.WriterOptions

	// StartingOffsets is where a partition the table has no txn for
	// starts: StartLatest (default) or StartEarliest. The first process
	// assigned such a partition resolves it and records it in the table
	// (a commit carrying only the partition's txn), so that every later
	// assignment continues from the same place.
	StartingOffsets string
	// MaxRecords caps the records of one commit (default
	// DefaultMaxRecords).
	MaxRecords int
	// MaxWait is how long a commit waits for more records once it has
	// one (default DefaultMaxWait). Rebalances wait for the batch in
	// hand, so MaxWait plus a commit's duration must stay well below the
	// group's rebalance timeout (kgo.RebalanceTimeout, default 60 s).
	MaxWait time.Duration
	// AvailableNow stops the Group once every partition it is assigned
	// has been read up to the end offsets the topics had when the Group
	// started (partitions created later are left for the next run).
	AvailableNow bool
	// FailOnDataLoss says what happens when offsets a partition still
	// needs are gone: the offset after its txn version (or its recorded
	// start) is below the partition's log start offset, because
	// retention or DeleteRecords removed the records before they were
	// written, or a fetch finds its offset out of range. True stops the
	// Group with a *kafka.DataLossError naming the topic, partition and
	// offsets lost. False logs a warning, counts the loss in Stats
	// (OffsetsLost, DataLossRanges) and the progress metrics
	// (numOffsetsLost, numDataLossRanges), writes one quarantine record
	// per lost range to Quarantine when it is set (Err starting "data
	// loss:", Offset the first offset lost), and continues from the
	// earliest offset available, moving the partition's txn past the
	// lost range in the next commit. Gaps left by transaction markers or
	// compaction are not data loss. The zero value is false; generated
	// code passes the spec's failOnDataLoss, true by default.
	FailOnDataLoss bool
	// CommitToGroup also commits each table commit's offsets to the
	// consumer group, for lag tools (kafka-consumer-groups, Burrow). The
	// group's offsets are never read back: the table is the truth.
	CommitToGroup bool

	// Logger receives the Group's logs (default slog.Default()).
	Logger *slog.Logger
	// Listeners are told about each commit: stream.ListenerProgress
	// receives a stream.Progress per commit, stream.ListenerTerminated
	// the end of the run.
	Listeners []stream.Listener
	// Clock returns the time (default time.Now); for tests.
	Clock func() time.Time
}

// withDefaults returns c with its defaults filled in, or an error for a
// missing or invalid field.
func (c Config[In, Out]) withDefaults() (Config[In, Out], error) {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch {
	case c.TopicPattern != "" && len(c.Topics) > 0:
		bad("both Topics and TopicPattern: set only one")
	case c.TopicPattern != "":
		if _, err := regexp.Compile(c.TopicPattern); err != nil {
			bad("topic pattern %q: %v", c.TopicPattern, err)
		}
	case len(c.Topics) == 0:
		bad("no topics")
	}
	for _, t := range c.Topics {
		if t == "" {
			bad("empty topic name")
		}
	}
	if c.Group == "" {
		bad("no consumer group (Group)")
	}
	if c.Query == "" {
		bad("no query name (Query): it prefixes the table's txn appIds")
	}
	if c.NewDecoder == nil {
		bad("no decoder (NewDecoder)")
	}
	if c.Table == nil {
		bad("no table")
	}
	if c.Schema == nil {
		bad("no schema")
	}
	if len(c.PartitionColumns) > 0 && c.PartitionValues == nil {
		bad("partition columns %s without PartitionValues", strings.Join(c.PartitionColumns, ", "))
	}
	switch c.OnMalformed {
	case kafka.QuarantineMalformed:
		if c.Quarantine == nil {
			bad("onMalformed quarantine needs a quarantine writer (Quarantine); use kafka.DropMalformed or kafka.FailMalformed to go without")
		}
	case kafka.DropMalformed, kafka.FailMalformed:
	default:
		bad("unknown onMalformed policy %v", c.OnMalformed)
	}
	if c.Process == nil {
		var in *In
		if _, ok := any(in).(*Out); !ok {
			bad("no Process while the record type %T is not the row type %T", *new(In), *new(Out))
		}
	}
	switch c.StartingOffsets {
	case "":
		c.StartingOffsets = StartLatest
	case StartLatest, StartEarliest:
	default:
		bad("startingOffsets %q: want %s or %s", c.StartingOffsets, StartLatest, StartEarliest)
	}
	if c.MaxRecords < 0 || c.MaxWait < 0 {
		bad("negative MaxRecords or MaxWait")
	}
	if c.MaxRecords == 0 {
		c.MaxRecords = DefaultMaxRecords
	}
	if c.MaxWait == 0 {
		c.MaxWait = DefaultMaxWait
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if err := errors.Join(errs...); err != nil {
		return c, fmt.Errorf("kafkagroup: %w", err)
	}
	return c, nil
}

// AppID is the txn appId under which a table records the last offset of
// a partition written by query: "<query>-<topic>-<partition>" (the
// kafka-delta-ingest convention).
func AppID(query, topic string, partition int32) string {
	return fmt.Sprintf("%s-%s-%d", query, topic, partition)
}

// MaxTriggerInterval is the longest processing-time trigger
// [Config.ApplyTrigger] takes: a commit's MaxWait must stay well below
// the group's rebalance timeout (60 s by default), since rebalances wait
// for the batch in hand.
const MaxTriggerInterval = 30 * time.Second

// ApplyTrigger sets AvailableNow and MaxWait from a pipeline's trigger,
// as a generated pipeline's -trigger flag gives it:
//
//   - default: run until Stop, each commit gathering records for up to
//     MaxWait (unchanged);
//   - available-now: AvailableNow (stop once the assigned partitions
//     reach the end offsets they had at start);
//   - an interval such as 10s: run until Stop, each commit gathering
//     records for up to the interval (MaxWait), at most
//     MaxTriggerInterval;
//   - once: an error, since a group has no single batch to run: use
//     available-now.
func (c *Config[In, Out]) ApplyTrigger(t trigger.Trigger) error {
	switch t.Kind() {
	case trigger.KindDefault, "":
	case trigger.KindAvailableNow:
		c.AvailableNow = true
	case trigger.KindProcessingTime:
		d := t.Interval()
		if d > MaxTriggerInterval {
			return fmt.Errorf("kafkagroup: trigger %s: a consumer group's commit interval (MaxWait) must be at most %s, well below the rebalance timeout", t, MaxTriggerInterval)
		}
		if d > 0 {
			c.MaxWait = d
		}
	case trigger.KindOnce:
		return fmt.Errorf("kafkagroup: trigger once is not supported by a consumer group (each process owns a changing set of partitions): use available-now, which stops once they are read to the end offsets at start")
	default:
		return fmt.Errorf("kafkagroup: unknown trigger %s", t)
	}
	return nil
}
