package monitor

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/streamgen/streamgen/runtime/stream"
)

// ContentType is the content type of /metrics: Prometheus' text
// exposition format, version 0.0.4.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// Exposition returns q's metrics in Prometheus' text exposition format,
// as /metrics serves them (see Handler). m may be nil.
func Exposition(q *stream.Query, m *Metrics) []byte {
	labels := `{query_id="` + escapeLabel(q.ID()) + `",name="` + escapeLabel(q.Name()) + `"}`
	var b bytes.Buffer
	family := func(name, typ, help string, v float64) {
		b.WriteString("# HELP " + name + " " + escapeHelp(help) + "\n")
		b.WriteString("# TYPE " + name + " " + typ + "\n")
		b.WriteString(name + labels + " " + formatValue(v) + "\n")
	}
	if m != nil {
		t := m.Totals(q.ID())
		family("streamgen_query_batches_total", "counter",
			"Micro-batches completed by the query, no-data batches included.", float64(t.Batches))
		family("streamgen_query_input_rows_total", "counter",
			"Rows read from the query's sources.", float64(t.InputRows))
		family("streamgen_query_output_rows_total", "counter",
			"Rows written to the query's sink.", float64(t.OutputRows))
	}
	if p := q.LastProgress(); p != nil {
		family("streamgen_query_last_batch_id", "gauge",
			"ID of the latest completed batch.", float64(p.BatchID))
		family("streamgen_query_input_rows_per_second", "gauge",
			"Input rate of the latest batch: its rows over the time since the previous trigger.", p.InputRowsPerSecond)
		family("streamgen_query_processed_rows_per_second", "gauge",
			"Processing rate of the latest batch: its rows over its duration.", p.ProcessedRowsPerSecond)
		family("streamgen_query_batch_duration_seconds", "gauge",
			"Duration of the latest batch's trigger.", float64(p.BatchDuration)/1000)
		if wm, ok := p.EventTime["watermark"]; ok {
			if t, err := time.Parse(stream.TimeLayout, wm); err == nil {
				family("streamgen_query_watermark_seconds", "gauge",
					"Event-time watermark of the latest batch, in seconds since the Unix epoch.", float64(t.UnixMilli())/1000)
			}
		}
	}
	active := 0.0
	if q.IsActive() {
		active = 1
	}
	family("streamgen_query_active", "gauge", "Whether the query is running (1) or not (0).", active)
	return b.Bytes()
}

// formatValue writes a sample value: integers without exponent, other
// numbers in Go's shortest form, and +Inf, -Inf, NaN as Prometheus spells
// them.
func formatValue(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

var (
	labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
)

// escapeLabel escapes a label value: backslash, double quote and line
// feed.
func escapeLabel(s string) string { return labelEscaper.Replace(s) }

// escapeHelp escapes a HELP text: backslash and line feed.
func escapeHelp(s string) string { return helpEscaper.Replace(s) }
