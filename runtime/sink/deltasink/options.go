package deltasink

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/streamgen/streamgen/runtime/delta"
)

// Mode is a streaming output mode (Spark's OutputMode).
type Mode int

// The output modes of the sink.
const (
	// Append adds each batch's rows to the table.
	Append Mode = iota
	// Complete replaces the whole table with each batch's rows.
	Complete
	// Update upserts each batch's rows by their key columns: a row
	// replaces the table's row with the same key, if any.
	Update
)

// String returns the mode as Spark writes it in commitInfo's outputMode:
// "Append", "Complete" or "Update".
func (m Mode) String() string {
	switch m {
	case Append:
		return "Append"
	case Complete:
		return "Complete"
	case Update:
		return "Update"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Opt configures [New].
type Opt interface{ apply(*cfg) }

type opt func(*cfg)

func (o opt) apply(c *cfg) { o(c) }

// cfg holds the options; the typed functions are kept as any and checked
// against the sink's row type in New.
type cfg struct {
	mode            Mode
	partitionCols   []string
	partitionValues any // func(*T) map[string]*string
	toRow           any // func(*T) delta.Row
	keyColumns      []string
	writer          delta.WriterOptions
	mergeSchema     bool
	description     string
	clock           func() time.Time
	logger          *slog.Logger
}

// OutputMode sets the output mode, overriding the default Append.
func OutputMode(m Mode) Opt { return opt(func(c *cfg) { c.mode = m }) }

// PartitionBy partitions the table by cols (Hive-style directories),
// overriding the default of no partitioning. values returns a row's
// serialised partition values (see [delta.FormatPartitionValue]); the
// partition columns must not be Parquet columns of T (tag them
// `parquet:"-"`), since their values live in the log, not in the files.
// Update mode takes the partition values from [ToRow]'s rows instead, and
// values may be nil there.
func PartitionBy[T any](cols []string, values func(*T) map[string]*string) Opt {
	return opt(func(c *cfg) {
		c.partitionCols = append([]string(nil), cols...)
		if values != nil {
			c.partitionValues = values
		} else {
			c.partitionValues = nil
		}
	})
}

// Writer sets the Parquet writer options (target file size, compression,
// row group size), overriding the defaults of [delta.WriterOptions].
func Writer(o delta.WriterOptions) Opt { return opt(func(c *cfg) { c.writer = o }) }

// MergeSchema allows the sink to add nullable columns of its schema that
// an existing table lacks, with a metaData action in the batch's commit,
// overriding the default false, which refuses any schema difference.
// Every other difference (a type change, a column missing from the sink's
// schema, a nullability change, a non-nullable new column) is refused
// either way.
func MergeSchema(on bool) Opt { return opt(func(c *cfg) { c.mergeSchema = on }) }

// KeyColumns names the columns of the schema that make up the grouping
// key of Update mode (required there, not allowed in the other modes).
func KeyColumns(cols ...string) Opt {
	return opt(func(c *cfg) { c.keyColumns = append([]string(nil), cols...) })
}

// ToRow sets the conversion of a typed row to a generic row aligned with
// the sink's schema, partition columns included (required in Update
// mode, which merges typed rows with rows read back from the table; the
// generator emits it). Its values use the Go types of [delta.Row].
func ToRow[T any](f func(*T) delta.Row) Opt {
	return opt(func(c *cfg) {
		if f != nil {
			c.toRow = f
		} else {
			c.toRow = nil
		}
	})
}

// Description sets the sink's description in progress reports,
// overriding the default "DeltaSink[<table location>]".
func Description(d string) Opt { return opt(func(c *cfg) { c.description = d }) }

// Clock sets the clock of the data files' modificationTime, overriding
// the default of the writer options' Now, else the table's commit clock,
// else time.Now. Commit timestamps come from the table's
// [delta.CommitOptions].
func Clock(now func() time.Time) Opt { return opt(func(c *cfg) { c.clock = now }) }

// Logger sets the logger, overriding the default slog.Default().
func Logger(l *slog.Logger) Opt { return opt(func(c *cfg) { c.logger = l }) }
