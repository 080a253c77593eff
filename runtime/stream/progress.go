package stream

import (
	"encoding/json"
	"time"
)

// TimeLayout is how progress reports write instants: RFC 3339 in UTC with
// milliseconds, as Spark does ("2026-01-01T10:00:00.000Z").
const TimeLayout = "2006-01-02T15:04:05.000Z"

func formatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// The keys of Progress.DurationMs, Spark's names.
const (
	// DurationLatestOffset is the time spent asking sources for offsets.
	DurationLatestOffset = "latestOffset"
	// DurationWALCommit is the time spent writing offsets/N.
	DurationWALCommit = "walCommit"
	// DurationAddBatch is the time the Runner took: reading, processing
	// and writing the sink.
	DurationAddBatch = "addBatch"
	// DurationCommitOffsets is the time spent writing commits/N, committing
	// the sources and purging the checkpoint.
	DurationCommitOffsets = "commitOffsets"
	// DurationTriggerExecution is the whole trigger.
	DurationTriggerExecution = "triggerExecution"
)

// Progress reports one micro-batch, in the JSON shape of Spark's
// StreamingQueryProgress. Rates are 0 when undefined (no previous trigger,
// or a zero duration), where Spark leaves them out. A Progress handed out
// by a Query must not be modified.
type Progress struct {
	// ID is the query ID, stable across restarts.
	ID string `json:"id"`
	// RunID is the ID of this run of the query.
	RunID string `json:"runId"`
	// Name is the query's name, or "".
	Name string `json:"name"`
	// Timestamp is the trigger's start, in TimeLayout.
	Timestamp string `json:"timestamp"`
	// BatchID is the batch's ID.
	BatchID int64 `json:"batchId"`
	// BatchDuration is the trigger's duration in milliseconds.
	BatchDuration int64 `json:"batchDuration"`
	// NumInputRows is the number of rows read from all sources.
	NumInputRows int64 `json:"numInputRows"`
	// InputRowsPerSecond is NumInputRows over the time since the previous
	// trigger started.
	InputRowsPerSecond float64 `json:"inputRowsPerSecond"`
	// ProcessedRowsPerSecond is NumInputRows over the trigger's duration.
	ProcessedRowsPerSecond float64 `json:"processedRowsPerSecond"`
	// DurationMs holds the durations of the trigger's phases in
	// milliseconds, keyed by the Duration* names.
	DurationMs map[string]int64 `json:"durationMs"`
	// EventTime holds "watermark" (the batch's watermark, when a
	// WatermarkDelay is set) and "max" (the largest event time of the
	// batch, when it had any), in TimeLayout.
	EventTime map[string]string `json:"eventTime,omitempty"`
	// StateOperators reports the stateful operators.
	StateOperators []StateOperatorProgress `json:"stateOperators"`
	// Sources reports each source, in source order.
	Sources []SourceProgress `json:"sources"`
	// Sink reports the sink.
	Sink SinkProgress `json:"sink"`
}

// String returns the progress as indented JSON, like Spark's prettyJson.
func (p Progress) String() string {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return "stream: progress: " + err.Error()
	}
	return string(b)
}

// SourceProgress reports one source in a Progress (Spark's
// SourceProgress).
type SourceProgress struct {
	// Description is the source's Description().
	Description string `json:"description"`
	// StartOffset is where the batch started reading (null for none).
	StartOffset json.RawMessage `json:"startOffset"`
	// EndOffset is where the batch stopped reading.
	EndOffset json.RawMessage `json:"endOffset"`
	// LatestOffset is the latest offset the source reported in this
	// trigger.
	LatestOffset json.RawMessage `json:"latestOffset"`
	// NumInputRows is the number of rows read from the source.
	NumInputRows int64 `json:"numInputRows"`
	// InputRowsPerSecond is NumInputRows over the time since the previous
	// trigger started.
	InputRowsPerSecond float64 `json:"inputRowsPerSecond"`
	// ProcessedRowsPerSecond is NumInputRows over the trigger's duration.
	ProcessedRowsPerSecond float64 `json:"processedRowsPerSecond"`
	// Metrics holds the source's metrics of the batch, as decimal
	// strings: those the Runner reported in BatchResult.SourceMetrics,
	// merged with a MetricsSource's own; nil (left out of the JSON) when
	// there are none.
	Metrics map[string]string `json:"metrics,omitempty"`
}

// SinkProgress reports the sink in a Progress (Spark's SinkProgress).
type SinkProgress struct {
	// Description is the sink's description (see SinkDescription).
	Description string `json:"description"`
	// NumOutputRows is the number of rows written, or -1 when unknown.
	NumOutputRows int64 `json:"numOutputRows"`
	// Metrics holds the sink's metrics of the batch, as decimal strings,
	// from BatchResult.SinkMetrics; nil (left out of the JSON) when there
	// are none.
	Metrics map[string]string `json:"metrics,omitempty"`
}

// StateOperatorProgress reports one stateful operator (Spark's
// StateOperatorProgress); the Runner fills it in BatchResult.
type StateOperatorProgress struct {
	// OperatorName names the operator, such as "stateStoreSave".
	OperatorName string `json:"operatorName"`
	// NumRowsTotal is the number of keys in the state after the batch.
	NumRowsTotal int64 `json:"numRowsTotal"`
	// NumRowsUpdated is the number of keys updated by the batch.
	NumRowsUpdated int64 `json:"numRowsUpdated"`
	// NumRowsRemoved is the number of keys evicted by the batch.
	NumRowsRemoved int64 `json:"numRowsRemoved"`
	// NumRowsDroppedByWatermark is the number of late rows dropped.
	NumRowsDroppedByWatermark int64 `json:"numRowsDroppedByWatermark"`
	// MemoryUsedBytes is the state's memory footprint.
	MemoryUsedBytes int64 `json:"memoryUsedBytes"`
	// CustomMetrics holds operator-specific counters.
	CustomMetrics map[string]int64 `json:"customMetrics,omitempty"`
}

// Status is what a query is doing right now (Spark's
// StreamingQueryStatus).
type Status struct {
	// Message says it in words: "Initializing sources", "Getting offsets
	// from …", "Processing new data", "Waiting for data to arrive",
	// "Waiting for next trigger", "Stopped", "Terminated with error: …".
	Message string `json:"message"`
	// IsDataAvailable says whether the latest trigger found new data.
	IsDataAvailable bool `json:"isDataAvailable"`
	// IsTriggerActive says whether a trigger is being executed.
	IsTriggerActive bool `json:"isTriggerActive"`
}

// Listener receives a query's events. It is any value implementing one or
// more of ListenerStarted, ListenerProgress, ListenerIdle and
// ListenerTerminated (so new events never break existing listeners).
// Listeners are called synchronously from the query's goroutine, in
// order: OnStarted, then OnProgress per batch and OnIdle when the query
// becomes idle, then OnTerminated. They must return promptly and must not
// call the query's Stop or AwaitTermination, which wait for that
// goroutine.
type Listener any

// ListenerStarted is a Listener told when the query starts.
type ListenerStarted interface {
	// OnStarted is called once, before the first batch.
	OnStarted(StartedEvent)
}

// ListenerProgress is a Listener told about every batch.
type ListenerProgress interface {
	// OnProgress is called after each committed batch.
	OnProgress(Progress)
}

// ProgressFunc adapts a function to a ListenerProgress, as
// http.HandlerFunc adapts one to a Handler:
//
//	stream.Listeners(stream.ProgressFunc(func(p stream.Progress) { … }))
type ProgressFunc func(Progress)

// OnProgress calls f(p).
func (f ProgressFunc) OnProgress(p Progress) { f(p) }

// ListenerIdle is a Listener told when the query becomes idle.
type ListenerIdle interface {
	// OnIdle is called when a trigger finds no new data after one that
	// ran a batch (or after the start), not on every idle poll.
	OnIdle(IdleEvent)
}

// ListenerTerminated is a Listener told when the query ends.
type ListenerTerminated interface {
	// OnTerminated is called once, when the query has stopped.
	OnTerminated(TerminatedEvent)
}

// StartedEvent is the event of a query start.
type StartedEvent struct {
	// ID is the query ID.
	ID string
	// RunID is the run's ID.
	RunID string
	// Name is the query's name.
	Name string
	// Timestamp is when the query started.
	Timestamp time.Time
}

// IdleEvent is the event of a query becoming idle.
type IdleEvent struct {
	// ID is the query ID.
	ID string
	// RunID is the run's ID.
	RunID string
	// Timestamp is the idle trigger's start.
	Timestamp time.Time
}

// TerminatedEvent is the event of a query ending.
type TerminatedEvent struct {
	// ID is the query ID.
	ID string
	// RunID is the run's ID.
	RunID string
	// Err is the error that stopped the query, or nil.
	Err error
}
