package monitor_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/checkpoint"
	"github.com/streamgen/streamgen/runtime/monitor"
	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/stream"
	"github.com/streamgen/streamgen/runtime/trigger/triggertest"
)

const (
	queryID = "8f1c2a3e-5b6d-4e7f-9a0b-1c2d3e4f5a6b"
	runID   = "0b4c6c2e-0000-4000-8000-000000000001"
	// queryName needs escaping in a label value.
	queryName = "iot \"status\" \\ sink\nv2"
)

// t0 is 2026-01-01T10:00:00Z.
var t0 = time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)

// source is an in-memory source of event times; its offset is the
// number of rows, {"offset":N}, and it reads at most 2 rows per batch.
type source struct {
	mu   sync.Mutex
	rows []time.Time
}

func offset(n int) json.RawMessage { return json.RawMessage(fmt.Sprintf(`{"offset":%d}`, n)) }

func parseOffset(raw json.RawMessage) int {
	var o struct{ Offset int }
	if raw != nil {
		if err := json.Unmarshal(raw, &o); err != nil {
			panic(err)
		}
	}
	return o.Offset
}

func (s *source) Description() string { return "FakeSource" }
func (s *source) InitialOffset(context.Context) (json.RawMessage, error) {
	return offset(0), nil
}
func (s *source) LatestOffset(_ context.Context, start json.RawMessage) (json.RawMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return offset(min(len(s.rows), parseOffset(start)+2)), nil
}
func (s *source) Commit(context.Context, json.RawMessage) error { return nil }

func (s *source) read(start, end json.RawMessage) []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.rows[parseOffset(start):parseOffset(end)]...)
}

// newQuery returns a query over src whose batches take 250ms of the fake
// clock each, or fail with failWith.
func newQuery(t *testing.T, src *source, m *monitor.Metrics, failWith error) *stream.Query {
	t.Helper()
	clock := triggertest.NewClock(t0)
	run := func(_ context.Context, b *stream.Batch) (stream.BatchResult, error) {
		if failWith != nil {
			return stream.BatchResult{}, failWith
		}
		rows := src.read(b.Start[0], b.End[0])
		res := stream.BatchResult{NumInputRows: int64(len(rows)), NumOutputRows: int64(len(rows))}
		for _, r := range rows {
			if r.After(res.MaxEventTime) {
				res.MaxEventTime = r
			}
		}
		clock.Advance(250 * time.Millisecond)
		return res, nil
	}
	store, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cp, err := checkpoint.Open(context.Background(), store, checkpoint.InitialID(queryID))
	if err != nil {
		t.Fatal(err)
	}
	q, err := stream.NewQuery(cp, []stream.Source{src}, run,
		stream.Clock(clock), stream.Logger(slog.New(slog.DiscardHandler)),
		stream.Name(queryName), stream.RunIDs(func() string { return runID }),
		stream.WatermarkDelay(time.Second), stream.Listeners(m))
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func get(t *testing.T, h http.Handler, method, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec
}

// streamgenLines keeps the lines of a text exposition that belong to
// streamgen_ families (HELP, TYPE and samples), dropping go_, process_ and
// any other family.
func streamgenLines(text string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(text, "\n") {
		name := strings.TrimPrefix(strings.TrimPrefix(line, "# HELP "), "# TYPE ")
		if strings.HasPrefix(name, "streamgen_") {
			b.WriteString(line)
		}
	}
	return b.String()
}

func TestHandler(t *testing.T) {
	src := &source{rows: []time.Time{t0, t0.Add(time.Second), t0.Add(2 * time.Second)}}
	m := monitor.NewMetrics()
	q := newQuery(t, src, m, nil)
	h := monitor.Handler(q, m)
	labels := `{name="iot \"status\" \\ sink\nv2",query_id="8f1c2a3e-5b6d-4e7f-9a0b-1c2d3e4f5a6b"}`

	// Before the start: counters at zero, not active, no batch gauges.
	rec := get(t, h, http.MethodGet, "/metrics")
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4; charset=utf-8") {
		t.Errorf("Content-Type %q", ct)
	}
	for _, family := range []string{"\ngo_goroutines ", "\nprocess_start_time_seconds "} {
		if !strings.Contains(rec.Body.String(), family) {
			t.Errorf("/metrics lacks %q:\n%s", family, rec.Body)
		}
	}
	wantBefore := `# HELP streamgen_query_active Whether the query is running (1) or not (0).
# TYPE streamgen_query_active gauge
streamgen_query_active` + labels + ` 0
# HELP streamgen_query_batches_total Micro-batches completed by the query, no-data batches included.
# TYPE streamgen_query_batches_total counter
streamgen_query_batches_total` + labels + ` 0
# HELP streamgen_query_failed Whether the query terminated with an error (1) or not (0).
# TYPE streamgen_query_failed gauge
streamgen_query_failed` + labels + ` 0
# HELP streamgen_query_input_rows_total Rows read from the query's sources.
# TYPE streamgen_query_input_rows_total counter
streamgen_query_input_rows_total` + labels + ` 0
# HELP streamgen_query_output_rows_total Rows written to the query's sink.
# TYPE streamgen_query_output_rows_total counter
streamgen_query_output_rows_total` + labels + ` 0
`
	if diff := cmp.Diff(wantBefore, streamgenLines(rec.Body.String())); diff != "" {
		t.Errorf("/metrics before start (-want +got):\n%s", diff)
	}
	if body := get(t, h, http.MethodGet, "/progress/last").Body.String(); body != "null\n" {
		t.Errorf("/progress/last before the first batch: %q", body)
	}
	rec = get(t, h, http.MethodGet, "/progress")
	if want := `{
  "id": "8f1c2a3e-5b6d-4e7f-9a0b-1c2d3e4f5a6b",
  "runId": "",
  "name": "iot \"status\" \\ sink\nv2",
  "isActive": false,
  "status": {
    "message": "Initializing sources",
    "isDataAvailable": false,
    "isTriggerActive": false
  },
  "recentProgress": []
}
`; rec.Body.String() != want {
		t.Errorf("/progress before start:\n%s\nwant\n%s", rec.Body, want)
	}

	// Two batches with data, then a no-data batch moving the watermark;
	// each takes 250ms.
	ctx := context.Background()
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(q.Stop)
	pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := q.ProcessAllAvailable(pctx); err != nil {
		t.Fatal(err)
	}
	if n := len(q.RecentProgress()); n != 3 {
		t.Fatalf("%d batches, want 3", n)
	}

	srcLabels := `{description="FakeSource",name="iot \"status\" \\ sink\nv2",query_id="8f1c2a3e-5b6d-4e7f-9a0b-1c2d3e4f5a6b",source="0"}`
	labelsOpen := strings.TrimSuffix(labels, "}")
	want := `# HELP streamgen_query_active Whether the query is running (1) or not (0).
# TYPE streamgen_query_active gauge
streamgen_query_active` + labels + ` 1
# HELP streamgen_query_batch_duration_seconds Duration of the query's triggers that completed a batch.
# TYPE streamgen_query_batch_duration_seconds histogram
` + buckets(labelsOpen, map[string]int{"0.25": 3}) +
		`streamgen_query_batch_duration_seconds_sum` + labels + ` 0.75
streamgen_query_batch_duration_seconds_count` + labels + ` 3
# HELP streamgen_query_batches_total Micro-batches completed by the query, no-data batches included.
# TYPE streamgen_query_batches_total counter
streamgen_query_batches_total` + labels + ` 3
# HELP streamgen_query_failed Whether the query terminated with an error (1) or not (0).
# TYPE streamgen_query_failed gauge
streamgen_query_failed` + labels + ` 0
# HELP streamgen_query_input_rows_per_second Input rate of the latest batch: its rows over the time since the previous trigger.
# TYPE streamgen_query_input_rows_per_second gauge
streamgen_query_input_rows_per_second` + labels + ` 0
# HELP streamgen_query_input_rows_total Rows read from the query's sources.
# TYPE streamgen_query_input_rows_total counter
streamgen_query_input_rows_total` + labels + ` 3
# HELP streamgen_query_last_batch_id ID of the latest completed batch.
# TYPE streamgen_query_last_batch_id gauge
streamgen_query_last_batch_id` + labels + ` 2
# HELP streamgen_query_output_rows_total Rows written to the query's sink.
# TYPE streamgen_query_output_rows_total counter
streamgen_query_output_rows_total` + labels + ` 3
# HELP streamgen_query_processed_rows_per_second Processing rate of the latest batch: its rows over its duration.
# TYPE streamgen_query_processed_rows_per_second gauge
streamgen_query_processed_rows_per_second` + labels + ` 0
# HELP streamgen_query_watermark_seconds Event-time watermark of the latest batch that had one, in seconds since the Unix epoch.
# TYPE streamgen_query_watermark_seconds gauge
streamgen_query_watermark_seconds` + labels + ` 1.767261601e+09
# HELP streamgen_source_input_rows_total Rows read from the source.
# TYPE streamgen_source_input_rows_total counter
streamgen_source_input_rows_total` + srcLabels + ` 3
`
	if diff := cmp.Diff(want, streamgenLines(get(t, h, http.MethodGet, "/metrics").Body.String())); diff != "" {
		t.Errorf("/metrics (-want +got):\n%s", diff)
	}

	// /progress: the query's report, recentProgress as the query has it.
	rec = get(t, h, http.MethodGet, "/progress")
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	var shape map[string]json.RawMessage
	if err := json.Unmarshal(rec.Body.Bytes(), &shape); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range shape {
		keys = append(keys, k)
	}
	if diff := cmp.Diff([]string{"id", "isActive", "name", "recentProgress", "runId", "status"}, sorted(keys)); diff != "" {
		t.Errorf("/progress keys (-want +got):\n%s", diff)
	}
	var report monitor.QueryReport
	if err := json.Unmarshal(rec.Body.Bytes(), &report); err != nil {
		t.Fatal(err)
	}
	if report.ID != queryID || report.RunID != runID || report.Name != queryName || !report.IsActive {
		t.Errorf("report header: %+v", report)
	}
	wantRecent, _ := json.Marshal(q.RecentProgress())
	gotRecent, _ := json.Marshal(report.RecentProgress)
	if string(gotRecent) != string(wantRecent) {
		t.Errorf("recentProgress:\n%s\nwant\n%s", gotRecent, wantRecent)
	}
	if report.RecentProgress[1].BatchID != 1 || report.RecentProgress[1].NumInputRows != 1 ||
		report.RecentProgress[1].Sink.NumOutputRows != 1 {
		t.Errorf("batch 1 progress: %v", report.RecentProgress[1])
	}

	// /progress/last: the latest batch, as Progress.String has it.
	rec = get(t, h, http.MethodGet, "/progress/last")
	if want := q.LastProgress().String() + "\n"; rec.Body.String() != want {
		t.Errorf("/progress/last:\n%s\nwant\n%s", rec.Body, want)
	}

	// After Stop: inactive, still healthy, counters kept.
	q.Stop()
	wantStopped := strings.Replace(want, "streamgen_query_active"+labels+" 1", "streamgen_query_active"+labels+" 0", 1)
	if diff := cmp.Diff(wantStopped, streamgenLines(get(t, h, http.MethodGet, "/metrics").Body.String())); diff != "" {
		t.Errorf("/metrics after Stop (-want +got):\n%s", diff)
	}
	if rec := get(t, h, http.MethodGet, "/healthz"); rec.Code != http.StatusOK || rec.Body.String() != "ok\n" {
		t.Errorf("/healthz after Stop: %d %q", rec.Code, rec.Body)
	}
}

// bucketBounds are the buckets of streamgen_query_batch_duration_seconds as the exposition writes
// them.
var bucketBounds = []string{
	"0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5",
	"1", "2.5", "5", "10", "25", "60", "120", "300", "600", "+Inf",
}

// buckets writes the bucket lines of streamgen_query_batch_duration_seconds
// for the series whose labels are labelsOpen (without the closing brace),
// given how many observations fall in each bucket (not cumulated), by
// upper bound.
func buckets(labelsOpen string, in map[string]int) string {
	var b strings.Builder
	n := 0
	for _, le := range bucketBounds {
		n += in[le]
		fmt.Fprintf(&b, "streamgen_query_batch_duration_seconds_bucket%s,le=%q} %d\n", labelsOpen, le, n)
	}
	return b.String()
}

func TestFailedQuery(t *testing.T) {
	src := &source{rows: []time.Time{t0}}
	q := newQuery(t, src, monitor.NewMetrics(), errors.New("sink unreachable"))
	h := monitor.Handler(q, nil)
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := q.AwaitTermination(ctx); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("AwaitTermination: %v", err)
	}
	rec := get(t, h, http.MethodGet, "/healthz")
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "sink unreachable") {
		t.Errorf("/healthz: %d %q", rec.Code, rec.Body)
	}
	var report monitor.QueryReport
	if err := json.Unmarshal(get(t, h, http.MethodGet, "/progress").Body.Bytes(), &report); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(report.Exception, "sink unreachable") || report.IsActive ||
		!strings.HasPrefix(report.Status.Message, "Terminated with error") {
		t.Errorf("report: %+v", report)
	}
	// Without Metrics there are only the state gauges.
	labels := `{name="iot \"status\" \\ sink\nv2",query_id="8f1c2a3e-5b6d-4e7f-9a0b-1c2d3e4f5a6b"}`
	want := `# HELP streamgen_query_active Whether the query is running (1) or not (0).
# TYPE streamgen_query_active gauge
streamgen_query_active` + labels + ` 0
# HELP streamgen_query_failed Whether the query terminated with an error (1) or not (0).
# TYPE streamgen_query_failed gauge
streamgen_query_failed` + labels + ` 1
`
	body := get(t, h, http.MethodGet, "/metrics").Body.String()
	if diff := cmp.Diff(want, streamgenLines(body)); diff != "" {
		t.Errorf("/metrics without Metrics (-want +got):\n%s", diff)
	}
	if !strings.Contains(body, "\ngo_goroutines ") {
		t.Errorf("/metrics without Metrics lacks go_goroutines:\n%s", body)
	}
}

func TestRouting(t *testing.T) {
	q := newQuery(t, &source{}, nil, nil)
	h := monitor.Handler(q, nil)
	for _, tc := range []struct {
		method, path string
		code         int
	}{
		{http.MethodGet, "/metrics", http.StatusOK},
		{http.MethodHead, "/metrics", http.StatusOK},
		{http.MethodGet, "/progress", http.StatusOK},
		{http.MethodGet, "/progress/last", http.StatusOK},
		{http.MethodGet, "/healthz", http.StatusOK},
		{http.MethodGet, "/", http.StatusNotFound},
		{http.MethodGet, "/nope", http.StatusNotFound},
		{http.MethodGet, "/progress/", http.StatusNotFound},
		{http.MethodGet, "/progress/first", http.StatusNotFound},
		{http.MethodGet, "/metrics/x", http.StatusNotFound},
		{http.MethodPost, "/metrics", http.StatusMethodNotAllowed},
		{http.MethodPut, "/progress", http.StatusMethodNotAllowed},
		{http.MethodDelete, "/progress/last", http.StatusMethodNotAllowed},
		{http.MethodPost, "/healthz", http.StatusMethodNotAllowed},
	} {
		rec := get(t, h, tc.method, tc.path)
		if rec.Code != tc.code {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, rec.Code, tc.code)
		}
		if tc.code == http.StatusMethodNotAllowed && !strings.Contains(rec.Header().Get("Allow"), "GET") {
			t.Errorf("%s %s: Allow %q", tc.method, tc.path, rec.Header().Get("Allow"))
		}
	}
}

func TestMetricsTotals(t *testing.T) {
	m := monitor.NewMetrics()
	m.OnProgress(stream.Progress{ID: "a", NumInputRows: 5, Sink: stream.SinkProgress{NumOutputRows: 4}})
	m.OnProgress(stream.Progress{ID: "a", NumInputRows: 2, Sink: stream.SinkProgress{NumOutputRows: -1}})
	m.OnProgress(stream.Progress{ID: "b", NumInputRows: 1, Sink: stream.SinkProgress{NumOutputRows: 1}})
	if got, want := m.Totals("a"), (monitor.Totals{Batches: 2, InputRows: 7, OutputRows: 4}); got != want {
		t.Errorf("Totals(a) = %+v, want %+v", got, want)
	}
	if got, want := m.Totals("b"), (monitor.Totals{Batches: 1, InputRows: 1, OutputRows: 1}); got != want {
		t.Errorf("Totals(b) = %+v, want %+v", got, want)
	}
	if got := m.Totals("c"); got != (monitor.Totals{}) {
		t.Errorf("Totals(c) = %+v", got)
	}
}

func TestServe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	q := newQuery(t, &source{}, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- monitor.ServeListener(ctx, ln, monitor.Handler(q, nil)) }()
	resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "ok\n" {
		t.Errorf("GET /healthz: %d %q", resp.StatusCode, body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("ServeListener after cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ServeListener did not return after cancel")
	}
	if _, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		t.Error("listener still open after shutdown")
	}

	err = monitor.Serve(context.Background(), "127.0.0.1:-1", http.NotFoundHandler())
	if err == nil || !strings.HasPrefix(err.Error(), "monitor: ") {
		t.Errorf("Serve on a bad address: %v", err)
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}
