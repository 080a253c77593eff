// Package monitor serves a streaming query's progress over HTTP: the
// endpoints behind a generated binary's -http flag.
//
// Handler serves, for GET (and HEAD) only:
//
//   - /progress: a QueryReport as indented JSON, {"id", "runId", "name",
//     "isActive", "status", "exception", "recentProgress"}, where
//     recentProgress is the query's RecentProgress (Spark's
//     query.recentProgress: the latest batches, oldest first, each in the
//     shape of Spark's StreamingQueryProgress) and status is Spark's
//     StreamingQueryStatus.
//   - /progress/last: the latest batch's progress (Spark's
//     query.lastProgress), or null before the first batch.
//   - /metrics: Prometheus metrics in the text exposition format 0.0.4
//     (see Handler for the list).
//   - /healthz: 200 "ok" unless the query terminated with an error, then
//     503 and the error.
//
// Any other path is 404 and any other method 405. The package keeps no
// global state: counters live in a Metrics, registered on the query as a
// listener.
package monitor

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"

	"github.com/streamgen/streamgen/runtime/stream"
)

// Metrics accumulates counters from progress reports: it is a
// stream.ListenerProgress, to be passed to stream.Listeners, because a
// query's RecentProgress is a ring and cannot give running totals.
// Counters are kept per query ID, so one Metrics may listen to several
// queries, or to successive runs of one query in the same process. It is
// safe for concurrent use.
type Metrics struct {
	mu     sync.Mutex
	totals map[string]Totals // by query ID
}

var _ stream.ListenerProgress = (*Metrics)(nil)

// Totals are a query's counters since the Metrics was created.
type Totals struct {
	// Batches is the number of batches completed (no-data batches
	// included).
	Batches int64
	// InputRows is the sum of the batches' NumInputRows.
	InputRows int64
	// OutputRows is the sum of the batches' sink NumOutputRows, leaving
	// out batches whose output was unknown (-1).
	OutputRows int64
}

// NewMetrics returns a Metrics with every counter at zero.
func NewMetrics() *Metrics { return &Metrics{totals: map[string]Totals{}} }

// OnProgress adds a completed batch to its query's counters.
func (m *Metrics) OnProgress(p stream.Progress) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.totals[p.ID]
	t.Batches++
	t.InputRows += p.NumInputRows
	if p.Sink.NumOutputRows > 0 {
		t.OutputRows += p.Sink.NumOutputRows
	}
	m.totals[p.ID] = t
}

// Totals returns the counters of the query with ID queryID (all zero for
// a query never seen).
func (m *Metrics) Totals(queryID string) Totals {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.totals[queryID]
}

// QueryReport is the document served at /progress.
type QueryReport struct {
	// ID is the query ID, stable across restarts.
	ID string `json:"id"`
	// RunID is the ID of the query's current run.
	RunID string `json:"runId"`
	// Name is the query's name, or "".
	Name string `json:"name"`
	// IsActive says whether the query is running.
	IsActive bool `json:"isActive"`
	// Status is what the query is doing now.
	Status stream.Status `json:"status"`
	// Exception is the error that stopped the query, or absent.
	Exception string `json:"exception,omitempty"`
	// RecentProgress holds the latest batches' progress, oldest first.
	RecentProgress []stream.Progress `json:"recentProgress"`
}

// Report returns q's current QueryReport.
func Report(q *stream.Query) QueryReport {
	r := QueryReport{
		ID:             q.ID(),
		RunID:          q.RunID(),
		Name:           q.Name(),
		IsActive:       q.IsActive(),
		Status:         q.Status(),
		RecentProgress: q.RecentProgress(),
	}
	if err := q.Err(); err != nil {
		r.Exception = err.Error()
	}
	if r.RecentProgress == nil {
		r.RecentProgress = []stream.Progress{}
	}
	return r
}

// Handler returns the HTTP handler of query q (see the package
// documentation). m, registered on q with stream.Listeners, supplies the
// counters of /metrics; with a nil m those are left out. /metrics serves,
// each labelled {query_id, name}:
//
//	streamgen_query_batches_total              counter  batches completed
//	streamgen_query_input_rows_total           counter  rows read
//	streamgen_query_output_rows_total          counter  rows written to the sink
//	streamgen_query_last_batch_id              gauge    the latest batch's ID
//	streamgen_query_input_rows_per_second      gauge    the latest batch's input rate
//	streamgen_query_processed_rows_per_second  gauge    the latest batch's processing rate
//	streamgen_query_batch_duration_seconds     gauge    the latest batch's duration
//	streamgen_query_watermark_seconds          gauge    the event-time watermark, Unix seconds
//	streamgen_query_active                     gauge    1 while the query runs, else 0
//
// The gauges of the latest batch are left out before the first batch, and
// the watermark when the query has none.
func Handler(q *stream.Query, m *Metrics) http.Handler {
	h := &handler{q: q, m: m}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /progress", h.progress)
	mux.HandleFunc("GET /progress/last", h.last)
	mux.HandleFunc("GET /metrics", h.metrics)
	mux.HandleFunc("GET /healthz", h.healthz)
	return mux
}

type handler struct {
	q *stream.Query
	m *Metrics
}

func (h *handler) progress(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, Report(h.q))
}

func (h *handler) last(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, h.q.LastProgress()) // nil encodes as null
}

func (h *handler) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := h.q.Err(); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "query failed: %v\n", err)
		return
	}
	fmt.Fprintln(w, "ok")
}

func (h *handler) metrics(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", ContentType)
	_, _ = w.Write(Exposition(h.q, h.m))
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, fmt.Sprintf("monitor: encode JSON: %v", err), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(append(b, '\n'))
}
