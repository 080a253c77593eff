package monitor

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/streamgen/streamgen/runtime/stream"
)

// The keys of stream.SourceProgress.Metrics and stream.SinkProgress.Metrics
// that Metrics and ProgressBar read. Values are decimal integers.
const (
	// KeyFilesRead is a source's files read by the batch.
	KeyFilesRead = "numFilesRead"
	// KeyBytesRead is a source's bytes read by the batch.
	KeyBytesRead = "numBytesRead"
	// KeyMalformedRows is a source's malformed rows in the batch.
	KeyMalformedRows = "numMalformedRows"
	// KeyQuarantinedRows is a source's rows sent to quarantine by the batch.
	KeyQuarantinedRows = "numQuarantinedRows"
	// KeyDroppedMalformedRows is a source's malformed rows dropped by the
	// batch.
	KeyDroppedMalformedRows = "numDroppedMalformedRows"
	// KeyFilesBehindLatest is a source's files not yet read after the
	// batch.
	KeyFilesBehindLatest = "numFilesBehindLatest"
	// KeyBytesBehindLatest is a source's bytes not yet read after the
	// batch.
	KeyBytesBehindLatest = "numBytesBehindLatest"
	// KeyCommittedVersion is the table version the sink committed.
	KeyCommittedVersion = "committedVersion"
	// KeyFilesAdded is the sink's files added by the batch.
	KeyFilesAdded = "numFilesAdded"
	// KeyFilesRemoved is the sink's files removed by the batch.
	KeyFilesRemoved = "numFilesRemoved"
)

// batchDurationBuckets are the upper bounds, in seconds, of the buckets of
// streamgen_query_batch_duration_seconds: 1 ms to 10 minutes.
var batchDurationBuckets = []float64{
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
	1, 2.5, 5, 10, 25, 60, 120, 300, 600,
}

// Label names.
var (
	queryLabels  = []string{"query_id", "name"}
	sourceLabels = []string{"query_id", "name", "source", "description"}
	sinkLabels   = []string{"query_id", "name", "description"}
)

// Metrics turns progress reports into Prometheus metrics, kept in a
// registry of its own (see Registry; the package registers nothing
// globally). It is a stream listener, to be passed to stream.Listeners,
// because a query's RecentProgress is a ring and cannot give running
// totals. Series are labelled by query ID and name, so one Metrics may
// listen to several queries, or to successive runs of one query in the
// same process (counters then keep adding up). The package documentation
// lists the metrics. It is safe for concurrent use.
type Metrics struct {
	reg   *prometheus.Registry
	state *queryCollector

	batches       *prometheus.CounterVec
	inputRows     *prometheus.CounterVec
	outputRows    *prometheus.CounterVec
	batchDuration *prometheus.HistogramVec
	lastBatchID   *prometheus.GaugeVec
	inputRate     *prometheus.GaugeVec
	processedRate *prometheus.GaugeVec
	watermark     *prometheus.GaugeVec

	sourceRows     *prometheus.CounterVec
	sourceCounters map[string]*prometheus.CounterVec // by SourceProgress.Metrics key
	sourceGauges   map[string]*prometheus.GaugeVec   // by SourceProgress.Metrics key
	sinkCommitted  *prometheus.GaugeVec
	sinkCounters   map[string]*prometheus.CounterVec // by SinkProgress.Metrics key

	mu     sync.Mutex
	totals map[string]Totals // by query ID
}

var (
	_ stream.ListenerStarted  = (*Metrics)(nil)
	_ stream.ListenerProgress = (*Metrics)(nil)
)

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

// NewMetrics returns a Metrics with no series yet, whose registry holds
// its metrics and the Go runtime and process collectors.
func NewMetrics() *Metrics {
	counter := func(name, help string, labels []string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	}
	gauge := func(name, help string, labels []string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	}
	m := &Metrics{
		reg:   newRegistry(),
		state: &queryCollector{queries: map[string]*stream.Query{}},
		batches: counter("streamgen_query_batches_total",
			"Micro-batches completed by the query, no-data batches included.", queryLabels),
		inputRows: counter("streamgen_query_input_rows_total",
			"Rows read from the query's sources.", queryLabels),
		outputRows: counter("streamgen_query_output_rows_total",
			"Rows written to the query's sink.", queryLabels),
		batchDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "streamgen_query_batch_duration_seconds",
			Help:    "Duration of the query's triggers that completed a batch.",
			Buckets: batchDurationBuckets,
		}, queryLabels),
		lastBatchID: gauge("streamgen_query_last_batch_id",
			"ID of the latest completed batch.", queryLabels),
		inputRate: gauge("streamgen_query_input_rows_per_second",
			"Input rate of the latest batch: its rows over the time since the previous trigger.", queryLabels),
		processedRate: gauge("streamgen_query_processed_rows_per_second",
			"Processing rate of the latest batch: its rows over its duration.", queryLabels),
		watermark: gauge("streamgen_query_watermark_seconds",
			"Event-time watermark of the latest batch that had one, in seconds since the Unix epoch.", queryLabels),
		sourceRows: counter("streamgen_source_input_rows_total",
			"Rows read from the source.", sourceLabels),
		sourceCounters: map[string]*prometheus.CounterVec{
			KeyFilesRead: counter("streamgen_source_read_files_total",
				"Files read from the source.", sourceLabels),
			KeyBytesRead: counter("streamgen_source_read_bytes_total",
				"Bytes read from the source.", sourceLabels),
			KeyMalformedRows: counter("streamgen_source_malformed_rows_total",
				"Malformed rows met in the source.", sourceLabels),
			KeyQuarantinedRows: counter("streamgen_source_quarantined_rows_total",
				"Rows of the source written to quarantine.", sourceLabels),
			KeyDroppedMalformedRows: counter("streamgen_source_dropped_malformed_rows_total",
				"Malformed rows of the source dropped.", sourceLabels),
		},
		sourceGauges: map[string]*prometheus.GaugeVec{
			KeyFilesBehindLatest: gauge("streamgen_source_lag_files",
				"Files of the source not yet read after the latest batch.", sourceLabels),
			KeyBytesBehindLatest: gauge("streamgen_source_lag_bytes",
				"Bytes of the source not yet read after the latest batch.", sourceLabels),
		},
		sinkCommitted: gauge("streamgen_sink_committed_version",
			"Table version the sink committed last.", sinkLabels),
		sinkCounters: map[string]*prometheus.CounterVec{
			KeyFilesAdded: counter("streamgen_sink_added_files_total",
				"Files the sink added to its table.", sinkLabels),
			KeyFilesRemoved: counter("streamgen_sink_removed_files_total",
				"Files the sink removed from its table.", sinkLabels),
		},
		totals: map[string]Totals{},
	}
	m.reg.MustRegister(m.state, m.batches, m.inputRows, m.outputRows, m.batchDuration,
		m.lastBatchID, m.inputRate, m.processedRate, m.watermark, m.sourceRows, m.sinkCommitted)
	for _, c := range m.sourceCounters {
		m.reg.MustRegister(c)
	}
	for _, g := range m.sourceGauges {
		m.reg.MustRegister(g)
	}
	for _, c := range m.sinkCounters {
		m.reg.MustRegister(c)
	}
	return m
}

// newRegistry returns a registry holding the Go runtime and process
// collectors.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Registry returns the registry /metrics serves, so that a program may
// register metrics of its own next to m's.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Watch makes m report q's state (streamgen_query_active and
// streamgen_query_failed), read from q at every scrape, and starts q's
// query counters at zero so they are exported before the first batch.
// Handler calls it. Watching a query again, or another query with the
// same ID (a new run), replaces the previous one.
func (m *Metrics) Watch(q *stream.Query) {
	m.state.add(q)
	m.initQuery(q.ID(), q.Name())
}

// OnStarted starts the query's counters at zero, so they are exported
// before the first batch.
func (m *Metrics) OnStarted(ev stream.StartedEvent) { m.initQuery(ev.ID, ev.Name) }

func (m *Metrics) initQuery(id, name string) {
	l := labelValues(id, name)
	m.batches.WithLabelValues(l...)
	m.inputRows.WithLabelValues(l...)
	m.outputRows.WithLabelValues(l...)
}

// OnProgress adds a completed batch to its query's metrics. Source and
// sink metrics come from the Metrics maps of p's sources and sink (keys
// Key*): a missing key leaves its metric untouched, and a value that is
// not a decimal integer, or a negative one for a counter, is ignored.
func (m *Metrics) OnProgress(p stream.Progress) {
	q := labelValues(p.ID, p.Name)
	m.batches.WithLabelValues(q...).Inc()
	addCount(m.inputRows.WithLabelValues(q...), p.NumInputRows)
	addCount(m.outputRows.WithLabelValues(q...), p.Sink.NumOutputRows)
	m.batchDuration.WithLabelValues(q...).Observe(float64(p.BatchDuration) / 1000)
	m.lastBatchID.WithLabelValues(q...).Set(float64(p.BatchID))
	m.inputRate.WithLabelValues(q...).Set(p.InputRowsPerSecond)
	m.processedRate.WithLabelValues(q...).Set(p.ProcessedRowsPerSecond)
	if wm, ok := p.EventTime["watermark"]; ok {
		if t, err := time.Parse(stream.TimeLayout, wm); err == nil {
			m.watermark.WithLabelValues(q...).Set(float64(t.UnixMilli()) / 1000)
		}
	}
	for i, s := range p.Sources {
		l := labelValues(p.ID, p.Name, strconv.Itoa(i), s.Description)
		addCount(m.sourceRows.WithLabelValues(l...), s.NumInputRows)
		for key, c := range m.sourceCounters {
			if n, ok := metricValue(s.Metrics, key); ok {
				addCount(c.WithLabelValues(l...), n)
			}
		}
		for key, g := range m.sourceGauges {
			if n, ok := metricValue(s.Metrics, key); ok {
				g.WithLabelValues(l...).Set(float64(n))
			}
		}
	}
	l := labelValues(p.ID, p.Name, p.Sink.Description)
	if n, ok := metricValue(p.Sink.Metrics, KeyCommittedVersion); ok {
		m.sinkCommitted.WithLabelValues(l...).Set(float64(n))
	}
	for key, c := range m.sinkCounters {
		if n, ok := metricValue(p.Sink.Metrics, key); ok {
			addCount(c.WithLabelValues(l...), n)
		}
	}

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

// addCount adds n to c, unless n is negative (unknown).
func addCount(c prometheus.Counter, n int64) {
	if n > 0 {
		c.Add(float64(n))
	}
}

// metricValue returns the decimal integer metrics[key], and false when it
// is missing or not a decimal integer.
func metricValue(metrics map[string]string, key string) (int64, bool) {
	v, ok := metrics[key]
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

// labelValues returns vs made valid UTF-8, as Prometheus requires of label
// values.
func labelValues(vs ...string) []string {
	for i, v := range vs {
		vs[i] = strings.ToValidUTF8(v, "\uFFFD")
	}
	return vs
}

// queryCollector collects the state of watched queries at scrape time.
type queryCollector struct {
	mu      sync.Mutex
	queries map[string]*stream.Query // by ID
}

var (
	activeDesc = prometheus.NewDesc("streamgen_query_active",
		"Whether the query is running (1) or not (0).", queryLabels, nil)
	failedDesc = prometheus.NewDesc("streamgen_query_failed",
		"Whether the query terminated with an error (1) or not (0).", queryLabels, nil)
)

func (c *queryCollector) add(q *stream.Query) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.queries[q.ID()] = q
}

// Describe implements prometheus.Collector.
func (c *queryCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- activeDesc
	ch <- failedDesc
}

// Collect implements prometheus.Collector.
func (c *queryCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	qs := make([]*stream.Query, 0, len(c.queries))
	for _, q := range c.queries {
		qs = append(qs, q)
	}
	c.mu.Unlock()
	for _, q := range qs {
		l := labelValues(q.ID(), q.Name())
		ch <- prometheus.MustNewConstMetric(activeDesc, prometheus.GaugeValue, boolValue(q.IsActive()), l...)
		ch <- prometheus.MustNewConstMetric(failedDesc, prometheus.GaugeValue, boolValue(q.Err() != nil), l...)
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
