// Package monitor watches streaming queries: the HTTP endpoints behind a
// generated binary's -http flag, Prometheus metrics, and a terminal
// progress bar.
//
// # HTTP
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
//   - /metrics: the Prometheus metrics of a Metrics, through promhttp (text
//     exposition format, or another one the scraper negotiates).
//   - /healthz: 200 "ok" unless the query terminated with an error, then
//     503 and the error.
//
// Any other path is 404 and any other method 405.
//
// # Metrics
//
// The package keeps no global state: a Metrics owns a prometheus.Registry,
// holding the Go runtime and process collectors (go_*, process_*) and the
// metrics below. It is a listener to register on the queries
// (stream.Listeners). Every series is labelled query_id and name (the
// query's ID and name); source series also source (the source's index in
// the query, from 0) and description (its Description), and sink series
// description (the sink's).
//
// Per query, from each batch's stream.Progress:
//
//	streamgen_query_batches_total              counter    batches completed, no-data batches included
//	streamgen_query_input_rows_total           counter    rows read (NumInputRows)
//	streamgen_query_output_rows_total          counter    rows written to the sink (unknown counts left out)
//	streamgen_query_batch_duration_seconds     histogram  trigger durations (see below)
//	streamgen_query_last_batch_id              gauge      the latest batch's ID
//	streamgen_query_input_rows_per_second      gauge      the latest batch's input rate
//	streamgen_query_processed_rows_per_second  gauge      the latest batch's processing rate
//	streamgen_query_watermark_seconds          gauge      the event-time watermark, Unix seconds (once a batch had one)
//
// The buckets of streamgen_query_batch_duration_seconds end at 0.001,
// 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 60,
// 120, 300 and 600 seconds (1 ms to 10 minutes).
//
// Per query, read from the query at scrape time (for the queries passed to
// Handler or Metrics.Watch):
//
//	streamgen_query_active                     gauge      1 while the query runs, else 0
//	streamgen_query_failed                     gauge      1 once the query terminated with an error, else 0
//
// Per source, from stream.SourceProgress (NumInputRows, and the Metrics
// keys in parentheses):
//
//	streamgen_source_input_rows_total              counter  rows read
//	streamgen_source_read_files_total              counter  files read (numFilesRead)
//	streamgen_source_read_bytes_total              counter  bytes read (numBytesRead)
//	streamgen_source_malformed_rows_total          counter  malformed rows met (numMalformedRows)
//	streamgen_source_quarantined_rows_total        counter  rows sent to quarantine (numQuarantinedRows)
//	streamgen_source_dropped_malformed_rows_total  counter  malformed rows dropped (numDroppedMalformedRows)
//	streamgen_source_lag_files                     gauge    files behind the latest, after the batch (numFilesBehindLatest)
//	streamgen_source_lag_bytes                     gauge    bytes behind the latest, after the batch (numBytesBehindLatest)
//
// Per sink, from stream.SinkProgress.Metrics:
//
//	streamgen_sink_committed_version    gauge    the table version committed last (committedVersion)
//	streamgen_sink_added_files_total    counter  files added to the table (numFilesAdded)
//	streamgen_sink_removed_files_total  counter  files removed from the table (numFilesRemoved)
//
// The query counters start at zero when the query starts (or is watched);
// other series appear with the first batch that reports them. A source or
// sink that does not report a key leaves its metric untouched.
//
// # Progress bar
//
// ProgressBar is a listener that redraws one terminal line per batch with
// files and bytes done out of the total, the row rate and an ETA, meant
// for an available-now run on a terminal (see IsTerminal).
package monitor

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/streamgen/streamgen/runtime/stream"
)

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
// documentation). /metrics serves m's registry (Metrics.Registry) through
// promhttp, so it covers every query m listens to; Handler makes m watch
// q (Metrics.Watch). With a nil m, /metrics serves only q's state gauges
// and the Go runtime and process metrics.
func Handler(q *stream.Query, m *Metrics) http.Handler {
	var reg *prometheus.Registry
	if m != nil {
		m.Watch(q)
		reg = m.Registry()
	} else {
		state := &queryCollector{queries: map[string]*stream.Query{}}
		state.add(q)
		reg = newRegistry()
		reg.MustRegister(state)
	}
	h := &handler{q: q}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /progress", h.progress)
	mux.HandleFunc("GET /progress/last", h.last)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError,
	}))
	mux.HandleFunc("GET /healthz", h.healthz)
	return mux
}

type handler struct {
	q *stream.Query
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

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, fmt.Sprintf("monitor: encode JSON: %v", err), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(append(b, '\n'))
}
