package monitor_test

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/streamgen/streamgen/runtime/monitor"
	"github.com/streamgen/streamgen/runtime/stream"
)

// exposition gathers g and returns its streamgen_ families in the text
// format.
func exposition(t *testing.T, g prometheus.Gatherer) string {
	t.Helper()
	families, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for _, f := range families {
		if !strings.HasPrefix(f.GetName(), "streamgen_") {
			continue
		}
		if _, err := expfmt.MetricFamilyToText(&b, f); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

// progressA is the sequence of batches of query qa: two file sources and
// a Delta sink, the last batch without data nor metrics, with values a
// Metrics must ignore.
func progressA() []stream.Progress {
	p := func(batch, rows, durationMs int64, inRate, procRate float64) stream.Progress {
		return stream.Progress{ID: "qa", Name: "alpha", BatchID: batch, NumInputRows: rows, BatchDuration: durationMs,
			InputRowsPerSecond: inRate, ProcessedRowsPerSecond: procRate}
	}
	src := func(desc string, rows int64, metrics map[string]string) stream.SourceProgress {
		return stream.SourceProgress{Description: desc, NumInputRows: rows, Metrics: metrics}
	}
	const a, b, sink = "FileSource[/in/a]", "FileSource[/in/b]", "DeltaSink[/out/a]"

	p0 := p(0, 100, 1500, 50, 66.5)
	p0.EventTime = map[string]string{"watermark": "2026-01-01T10:00:01.500Z", "max": "2026-01-01T10:00:09.000Z"}
	p0.Sources = []stream.SourceProgress{
		src(a, 60, map[string]string{"numFilesRead": "3", "numBytesRead": "3000", "numMalformedRows": "2",
			"numQuarantinedRows": "2", "numDroppedMalformedRows": "0", "numFilesBehindLatest": "5",
			"numBytesBehindLatest": "5000"}),
		src(b, 40, map[string]string{"numFilesRead": "1", "numBytesRead": "1000", "numFilesBehindLatest": "0",
			"numBytesBehindLatest": "100"}),
	}
	p0.Sink = stream.SinkProgress{Description: sink, NumOutputRows: 90,
		Metrics: map[string]string{"committedVersion": "7", "numFilesAdded": "2", "numFilesRemoved": "0"}}

	p1 := p(1, 50, 250, 10, 200)
	p1.Sources = []stream.SourceProgress{
		src(a, 50, map[string]string{"numFilesRead": "5", "numBytesRead": "5000", "numMalformedRows": "1",
			"numQuarantinedRows": "0", "numDroppedMalformedRows": "1", "numFilesBehindLatest": "0",
			"numBytesBehindLatest": "0"}),
		// Unparsable and negative counts are ignored; the bytes behind
		// are not reported, so they stay at 100.
		src(b, 0, map[string]string{"numFilesRead": "x", "numBytesRead": "-5", "numFilesBehindLatest": "2"}),
	}
	p1.Sink = stream.SinkProgress{Description: sink, NumOutputRows: -1,
		Metrics: map[string]string{"committedVersion": "8", "numFilesAdded": "1", "numFilesRemoved": "3"}}

	p2 := p(2, 0, 700_000, 0, 0)
	p2.EventTime = map[string]string{"watermark": "2026-01-01T10:00:05.000Z"}
	p2.Sources = []stream.SourceProgress{
		src(a, 0, map[string]string{"numFilesBehindLatest": "lots", "numMalformedRows": " 4"}),
		src(b, 0, nil),
	}
	p2.Sink = stream.SinkProgress{Description: sink, NumOutputRows: 0, Metrics: map[string]string{"committedVersion": ""}}
	return []stream.Progress{p0, p1, p2}
}

func TestMetricsExposition(t *testing.T) {
	m := monitor.NewMetrics()
	m.OnStarted(stream.StartedEvent{ID: "qc", Name: "gamma\xff"}) // started, no batch yet
	m.OnStarted(stream.StartedEvent{ID: "qa", Name: "alpha"})
	m.OnStarted(stream.StartedEvent{ID: "qb"})
	for _, p := range progressA() {
		m.OnProgress(p)
	}
	m.OnProgress(stream.Progress{ID: "qb", NumInputRows: 7, BatchDuration: 1, InputRowsPerSecond: 7,
		ProcessedRowsPerSecond: 7000, Sources: []stream.SourceProgress{{Description: "RateSource", NumInputRows: 7}},
		Sink: stream.SinkProgress{Description: "ConsoleSink", NumOutputRows: 7}})

	const (
		qa   = `{name="alpha",query_id="qa"}`
		qb   = `{name="",query_id="qb"}`
		qc   = `{name="gamma` + "\uFFFD" + `",query_id="qc"}`
		a0   = `{description="FileSource[/in/a]",name="alpha",query_id="qa",source="0"}`
		a1   = `{description="FileSource[/in/b]",name="alpha",query_id="qa",source="1"}`
		b0   = `{description="RateSource",name="",query_id="qb",source="0"}`
		sink = `{description="DeltaSink[/out/a]",name="alpha",query_id="qa"}`
	)
	want := `# HELP streamgen_query_batch_duration_seconds Duration of the query's triggers that completed a batch.
# TYPE streamgen_query_batch_duration_seconds histogram
` + buckets(strings.TrimSuffix(qb, "}"), map[string]int{"0.001": 1}) +
		`streamgen_query_batch_duration_seconds_sum` + qb + ` 0.001
streamgen_query_batch_duration_seconds_count` + qb + ` 1
` + buckets(strings.TrimSuffix(qa, "}"), map[string]int{"0.25": 1, "2.5": 1, "+Inf": 1}) +
		`streamgen_query_batch_duration_seconds_sum` + qa + ` 701.75
streamgen_query_batch_duration_seconds_count` + qa + ` 3
# HELP streamgen_query_batches_total Micro-batches completed by the query, no-data batches included.
# TYPE streamgen_query_batches_total counter
streamgen_query_batches_total` + qb + ` 1
streamgen_query_batches_total` + qa + ` 3
streamgen_query_batches_total` + qc + ` 0
# HELP streamgen_query_input_rows_per_second Input rate of the latest batch: its rows over the time since the previous trigger.
# TYPE streamgen_query_input_rows_per_second gauge
streamgen_query_input_rows_per_second` + qb + ` 7
streamgen_query_input_rows_per_second` + qa + ` 0
# HELP streamgen_query_input_rows_total Rows read from the query's sources.
# TYPE streamgen_query_input_rows_total counter
streamgen_query_input_rows_total` + qb + ` 7
streamgen_query_input_rows_total` + qa + ` 150
streamgen_query_input_rows_total` + qc + ` 0
# HELP streamgen_query_last_batch_id ID of the latest completed batch.
# TYPE streamgen_query_last_batch_id gauge
streamgen_query_last_batch_id` + qb + ` 0
streamgen_query_last_batch_id` + qa + ` 2
# HELP streamgen_query_output_rows_total Rows written to the query's sink.
# TYPE streamgen_query_output_rows_total counter
streamgen_query_output_rows_total` + qb + ` 7
streamgen_query_output_rows_total` + qa + ` 90
streamgen_query_output_rows_total` + qc + ` 0
# HELP streamgen_query_processed_rows_per_second Processing rate of the latest batch: its rows over its duration.
# TYPE streamgen_query_processed_rows_per_second gauge
streamgen_query_processed_rows_per_second` + qb + ` 7000
streamgen_query_processed_rows_per_second` + qa + ` 0
# HELP streamgen_query_watermark_seconds Event-time watermark of the latest batch that had one, in seconds since the Unix epoch.
# TYPE streamgen_query_watermark_seconds gauge
streamgen_query_watermark_seconds` + qa + ` 1.767261605e+09
# HELP streamgen_sink_added_files_total Files the sink added to its table.
# TYPE streamgen_sink_added_files_total counter
streamgen_sink_added_files_total` + sink + ` 3
# HELP streamgen_sink_committed_version Table version the sink committed last.
# TYPE streamgen_sink_committed_version gauge
streamgen_sink_committed_version` + sink + ` 8
# HELP streamgen_sink_removed_files_total Files the sink removed from its table.
# TYPE streamgen_sink_removed_files_total counter
streamgen_sink_removed_files_total` + sink + ` 3
# HELP streamgen_source_dropped_malformed_rows_total Malformed rows of the source dropped.
# TYPE streamgen_source_dropped_malformed_rows_total counter
streamgen_source_dropped_malformed_rows_total` + a0 + ` 1
# HELP streamgen_source_input_rows_total Rows read from the source.
# TYPE streamgen_source_input_rows_total counter
streamgen_source_input_rows_total` + a0 + ` 110
streamgen_source_input_rows_total` + a1 + ` 40
streamgen_source_input_rows_total` + b0 + ` 7
# HELP streamgen_source_lag_bytes Bytes of the source not yet read after the latest batch.
# TYPE streamgen_source_lag_bytes gauge
streamgen_source_lag_bytes` + a0 + ` 0
streamgen_source_lag_bytes` + a1 + ` 100
# HELP streamgen_source_lag_files Files of the source not yet read after the latest batch.
# TYPE streamgen_source_lag_files gauge
streamgen_source_lag_files` + a0 + ` 0
streamgen_source_lag_files` + a1 + ` 2
# HELP streamgen_source_malformed_rows_total Malformed rows met in the source.
# TYPE streamgen_source_malformed_rows_total counter
streamgen_source_malformed_rows_total` + a0 + ` 3
# HELP streamgen_source_quarantined_rows_total Rows of the source written to quarantine.
# TYPE streamgen_source_quarantined_rows_total counter
streamgen_source_quarantined_rows_total` + a0 + ` 2
# HELP streamgen_source_read_bytes_total Bytes read from the source.
# TYPE streamgen_source_read_bytes_total counter
streamgen_source_read_bytes_total` + a0 + ` 8000
streamgen_source_read_bytes_total` + a1 + ` 1000
# HELP streamgen_source_read_files_total Files read from the source.
# TYPE streamgen_source_read_files_total counter
streamgen_source_read_files_total` + a0 + ` 8
streamgen_source_read_files_total` + a1 + ` 1
`
	if diff := cmp.Diff(want, exposition(t, m.Registry())); diff != "" {
		t.Errorf("exposition (-want +got):\n%s", diff)
	}
	if got, want := m.Totals("qa"), (monitor.Totals{Batches: 3, InputRows: 150, OutputRows: 90}); got != want {
		t.Errorf("Totals(qa) = %+v, want %+v", got, want)
	}

	// The registry also holds the Go runtime and process collectors.
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range families {
		names[f.GetName()] = true
	}
	for _, name := range []string{"go_goroutines", "process_start_time_seconds"} {
		if !names[name] {
			t.Errorf("registry lacks %s", name)
		}
	}
}

// TestMetricsConcurrent checks, under -race, that listening and scraping
// may run at once, and that the counts add up.
func TestMetricsConcurrent(t *testing.T) {
	m := monitor.NewMetrics()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 50 {
				m.OnProgress(stream.Progress{ID: "q", BatchID: int64(i), NumInputRows: int64(g + 1),
					Sources: []stream.SourceProgress{{Description: "s", NumInputRows: int64(g + 1),
						Metrics: map[string]string{"numFilesRead": "1"}}}})
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			if _, err := m.Registry().Gather(); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Wait()
	text := exposition(t, m.Registry())
	for _, line := range []string{
		`streamgen_query_batches_total{name="",query_id="q"} 200`,
		`streamgen_query_input_rows_total{name="",query_id="q"} 500`, // 50 × (1+2+3+4)
		`streamgen_source_read_files_total{description="s",name="",query_id="q",source="0"} 200`,
	} {
		if !strings.Contains(text, "\n"+line+"\n") {
			t.Errorf("exposition lacks %q:\n%s", line, text)
		}
	}
}
