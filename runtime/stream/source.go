package stream

import (
	"context"
	"encoding/json"
	"time"
)

// Source is one input of a query. Offsets are opaque JSON owned by the
// source: the engine only stores them in the checkpoint, compares them
// (as compacted JSON) and hands them back. A batch reads the range
// (start, end] of each source: start is exclusive, end inclusive.
type Source interface {
	// Description names the source in progress reports and errors, such
	// as "FileStreamSource[/data/in/*.json]".
	Description() string
	// InitialOffset returns where a new query starts reading, before any
	// data. It must return the same offset every time it is called for
	// the same checkpoint (a source that resolves something at start,
	// such as Kafka's "latest", records it in its source log), because a
	// re-run of batch 0 starts from it again. Nil means the source has no
	// offset yet.
	InitialOffset(ctx context.Context) (json.RawMessage, error)
	// LatestOffset returns the end offset of the next batch starting at
	// start, honouring the source's read limit (maxFilesPerTrigger,
	// maxOffsetsPerTrigger). It returns start (or nil) when there is no
	// new data. Once PrepareAvailableNow was called it never returns an
	// offset past the end fixed then.
	LatestOffset(ctx context.Context, start json.RawMessage) (json.RawMessage, error)
	// Commit tells the source that everything up to end is processed
	// and committed in the checkpoint (cleanSource, Kafka's commit to a
	// consumer group). It may be called again with the same end after a
	// restart, so it must be idempotent.
	Commit(ctx context.Context, end json.RawMessage) error
}

// AvailableNowSource is a Source that supports the AvailableNow trigger
// (Spark's SupportsTriggerAvailableNow): PrepareAvailableNow is called once
// when the query starts, before any batch, and fixes the end of the data
// to process; LatestOffset then never goes past it. Sources that do not
// implement it are read until LatestOffset reports no new data.
type AvailableNowSource interface {
	Source
	// PrepareAvailableNow fixes the end offset at everything available
	// now; start is where the query's next new batch begins.
	PrepareAvailableNow(ctx context.Context, start json.RawMessage) error
}

// AllAvailableSource is a Source with a read limit that it can lift
// (Spark's ReadLimit.allAvailable). The Once trigger reads everything
// available in its one batch through LatestOffsetAllAvailable; for sources
// without it, Once reads one batch within the read limit.
type AllAvailableSource interface {
	Source
	// LatestOffsetAllAvailable is LatestOffset without the read limit.
	LatestOffsetAllAvailable(ctx context.Context, start json.RawMessage) (json.RawMessage, error)
}

// PollingSource is a Source that asks the Default trigger to poll it
// more often than trigger.PollInterval when a trigger found no new data: asking a Kafka broker for its latest offsets is one cheap
// request, so the Kafka source asks for 10ms (Spark's pollingDelay),
// which is what bounds the latency of an idle query. The engine polls at
// the shortest of trigger.PollInterval and the intervals its sources ask
// for, unless the PollInterval option sets one.
type PollingSource interface {
	Source
	// PollInterval is how long the query may wait before asking the
	// source again for new data; positive.
	PollInterval() time.Duration
}

// MetricsSource is a Source that reports metrics of its own at the end of
// each batch, such as how far it lags behind the newest input (the files
// source's numFilesBehindLatest, Kafka's offsets behind latest). The
// engine calls Metrics once per committed batch, after the batch's
// Commit, with the batch's end offset (nil when the source has no offset
// yet), and merges the result into the source's SourceProgress.Metrics
// (see BatchResult.SourceMetrics for the rule). A re-run batch gets no
// LatestOffset call before it, so Metrics may be the first call of a
// restarted process.
type MetricsSource interface {
	Source
	// Metrics returns the source's metrics as of the end of the batch
	// ending at end, as decimal strings keyed by metric name. It should
	// be cheap, reporting what the source learnt while listing or
	// fetching offsets; it has no error: a source that cannot compute a
	// metric leaves it out (and may log why).
	Metrics(ctx context.Context, end json.RawMessage) map[string]string
}

// Batch is one micro-batch as the Runner sees it. Its slices belong to the
// Runner for the duration of the call.
type Batch struct {
	// QueryID is the query's ID, stable across restarts: the Delta sink's
	// txn appId.
	QueryID string
	// ID is the batch ID, the Delta sink's txn version.
	ID int64
	// Start holds each source's start offset (exclusive), in source
	// order; nil for a source without an offset yet.
	Start []json.RawMessage
	// End holds each source's end offset (inclusive). End[i] equals
	// Start[i] when source i has no new data in this batch.
	End []json.RawMessage
	// Timestamp is the batch's processing time (current_timestamp() in
	// Spark), in milliseconds, identical when the batch is re-run.
	Timestamp time.Time
	// Watermark is the event-time watermark as of the batch start: state
	// whose window ends at or before it can be emitted and evicted, and
	// rows older than it are late. It is the Unix epoch when no watermark
	// is defined or none was computed yet.
	Watermark time.Time
	// Rerun says that the batch ran before but was not committed (the
	// query stopped or crashed): its output may already be in the sink,
	// which must skip or replace it by batch ID.
	Rerun bool
}

// HasData reports whether any source has new data in the batch; a batch
// without is a no-data batch, run to move the watermark.
func (b *Batch) HasData() bool {
	for i := range b.End {
		if !sameOffset(b.Start[i], b.End[i]) {
			return true
		}
	}
	return false
}

// BatchResult is what the Runner reports about a batch it ran.
type BatchResult struct {
	// NumInputRows is the number of rows read from all sources. When it
	// is zero and SourceRows is set, it is their sum.
	NumInputRows int64
	// NumOutputRows is the number of rows written to the sink, or -1 when
	// unknown (Spark's convention).
	NumOutputRows int64
	// MaxEventTime is the largest event time in the batch, for the
	// watermark; the zero time when the batch had no event times.
	MaxEventTime time.Time
	// SourceRows holds the rows read per source, in source order; nil
	// with a single source means all NumInputRows came from it.
	SourceRows []int64
	// StateOperators reports the batch's stateful operators, copied into
	// Progress.StateOperators.
	StateOperators []StateOperatorProgress
	// SourceMetrics holds each source's metrics of the batch (such as the
	// files source's numFilesRead), in source order, or is nil; an entry
	// may be nil. It is copied into SourceProgress.Metrics, merged with
	// what a MetricsSource reports: on a key present in both, the
	// MetricsSource's value wins. Values are decimal strings.
	SourceMetrics []map[string]string
	// SinkMetrics holds the sink's metrics of the batch (such as the
	// Delta sink's committedVersion), copied into SinkProgress.Metrics.
	SinkMetrics map[string]string
}

// Runner runs one micro-batch: it reads each source's range with the
// typed readers, runs the pipeline's steps and state, and writes the sink
// idempotently by b.ID. It must stop promptly when ctx is done.
type Runner func(ctx context.Context, b *Batch) (BatchResult, error)
