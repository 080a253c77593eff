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
	"regexp"
	"strconv"
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

func TestMetricsAndProgress(t *testing.T) {
	src := &source{rows: []time.Time{t0, t0.Add(time.Second), t0.Add(2 * time.Second)}}
	m := monitor.NewMetrics()
	q := newQuery(t, src, m, nil)
	h := monitor.Handler(q, m)
	labels := `{query_id="8f1c2a3e-5b6d-4e7f-9a0b-1c2d3e4f5a6b",name="iot \"status\" \\ sink\nv2"}`

	// Before the start: zero counters, no batch gauges, no progress.
	rec := get(t, h, http.MethodGet, "/metrics")
	if ct := rec.Header().Get("Content-Type"); ct != "text/plain; version=0.0.4; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	parseExposition(t, rec.Body.String())
	wantBefore := `# HELP streamgen_query_batches_total Micro-batches completed by the query, no-data batches included.
# TYPE streamgen_query_batches_total counter
streamgen_query_batches_total` + labels + ` 0
# HELP streamgen_query_input_rows_total Rows read from the query's sources.
# TYPE streamgen_query_input_rows_total counter
streamgen_query_input_rows_total` + labels + ` 0
# HELP streamgen_query_output_rows_total Rows written to the query's sink.
# TYPE streamgen_query_output_rows_total counter
streamgen_query_output_rows_total` + labels + ` 0
# HELP streamgen_query_active Whether the query is running (1) or not (0).
# TYPE streamgen_query_active gauge
streamgen_query_active` + labels + ` 0
`
	if diff := cmp.Diff(wantBefore, rec.Body.String()); diff != "" {
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

	// Two batches with data, then a no-data batch moving the watermark.
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

	rec = get(t, h, http.MethodGet, "/metrics")
	got := parseExposition(t, rec.Body.String())
	want := map[string]float64{
		"streamgen_query_batches_total" + labels:             3,
		"streamgen_query_input_rows_total" + labels:          3,
		"streamgen_query_output_rows_total" + labels:         3,
		"streamgen_query_last_batch_id" + labels:             2,
		"streamgen_query_input_rows_per_second" + labels:     0,
		"streamgen_query_processed_rows_per_second" + labels: 0,
		"streamgen_query_batch_duration_seconds" + labels:    0.25,
		"streamgen_query_watermark_seconds" + labels:         float64(t0.Unix() + 1),
		"streamgen_query_active" + labels:                    1,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("/metrics samples (-want +got):\n%s\n%s", diff, rec.Body)
	}
	wantText := wantBefore[:strings.Index(wantBefore, "# HELP streamgen_query_active")] +
		`# HELP streamgen_query_last_batch_id ID of the latest completed batch.
# TYPE streamgen_query_last_batch_id gauge
streamgen_query_last_batch_id` + labels + ` 2
# HELP streamgen_query_input_rows_per_second Input rate of the latest batch: its rows over the time since the previous trigger.
# TYPE streamgen_query_input_rows_per_second gauge
streamgen_query_input_rows_per_second` + labels + ` 0
# HELP streamgen_query_processed_rows_per_second Processing rate of the latest batch: its rows over its duration.
# TYPE streamgen_query_processed_rows_per_second gauge
streamgen_query_processed_rows_per_second` + labels + ` 0
# HELP streamgen_query_batch_duration_seconds Duration of the latest batch's trigger.
# TYPE streamgen_query_batch_duration_seconds gauge
streamgen_query_batch_duration_seconds` + labels + ` 0.25
# HELP streamgen_query_watermark_seconds Event-time watermark of the latest batch, in seconds since the Unix epoch.
# TYPE streamgen_query_watermark_seconds gauge
streamgen_query_watermark_seconds` + labels + ` 1767261601
# HELP streamgen_query_active Whether the query is running (1) or not (0).
# TYPE streamgen_query_active gauge
streamgen_query_active` + labels + ` 1
`
	wantText = strings.Replace(wantText, "batches_total"+labels+" 0", "batches_total"+labels+" 3", 1)
	wantText = strings.Replace(wantText, "input_rows_total"+labels+" 0", "input_rows_total"+labels+" 3", 1)
	wantText = strings.Replace(wantText, "output_rows_total"+labels+" 0", "output_rows_total"+labels+" 3", 1)
	if diff := cmp.Diff(wantText, rec.Body.String()); diff != "" {
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
	got = parseExposition(t, get(t, h, http.MethodGet, "/metrics").Body.String())
	if got["streamgen_query_active"+labels] != 0 || got["streamgen_query_batches_total"+labels] != 3 {
		t.Errorf("after Stop: %v", got)
	}
	if rec := get(t, h, http.MethodGet, "/healthz"); rec.Code != http.StatusOK || rec.Body.String() != "ok\n" {
		t.Errorf("/healthz after Stop: %d %q", rec.Code, rec.Body)
	}
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
	// Without Metrics there are no counters.
	body := get(t, h, http.MethodGet, "/metrics").Body.String()
	got := parseExposition(t, body)
	if len(got) != 1 || strings.Contains(body, "_total") {
		t.Errorf("/metrics without Metrics:\n%s", body)
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

var (
	metricName = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	labelName  = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

// parseExposition parses text with parse, failing the test on an error.
func parseExposition(t *testing.T, text string) map[string]float64 {
	t.Helper()
	samples, err := parse(text)
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	return samples
}

// parse checks text strictly against the Prometheus text format 0.0.4 as
// this package writes it and returns each sample's value keyed by its
// series exactly as written (name and labels): every line ends with a
// line feed; each family has one HELP then one TYPE (counter or gauge)
// before its samples, and appears once; counters end in _total and are
// not negative; label names are valid and not repeated, values quoted
// with only \\, \" and \n escapes; a sample has no timestamp; values
// parse as floats; no series repeats.
func parse(text string) (map[string]float64, error) {
	if !strings.HasSuffix(text, "\n") {
		return nil, errors.New("no final line feed")
	}
	samples := map[string]float64{}
	seen := map[string]bool{}
	var family, typ string
	for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		fail := func(format string, args ...any) error {
			return fmt.Errorf("line %d %q: %s", i+1, line, fmt.Sprintf(format, args...))
		}
		switch {
		case strings.HasPrefix(line, "# HELP "):
			name, help, ok := strings.Cut(strings.TrimPrefix(line, "# HELP "), " ")
			if !ok || !metricName.MatchString(name) || help == "" {
				return nil, fail("bad HELP")
			}
			if seen[name] {
				return nil, fail("family %s repeated", name)
			}
			for j := 0; j < len(help); j++ {
				if help[j] != '\\' {
					continue
				}
				if j+1 == len(help) || (help[j+1] != '\\' && help[j+1] != 'n') {
					return nil, fail("bad escape in HELP")
				}
				j++
			}
			seen[name], family, typ = true, name, ""
		case strings.HasPrefix(line, "# TYPE "):
			name, kind, ok := strings.Cut(strings.TrimPrefix(line, "# TYPE "), " ")
			if !ok || name != family || typ != "" {
				return nil, fail("TYPE not right after its HELP")
			}
			if kind != "counter" && kind != "gauge" {
				return nil, fail("type %q", kind)
			}
			if kind == "counter" && !strings.HasSuffix(name, "_total") {
				return nil, fail("counter without _total")
			}
			typ = kind
		case strings.HasPrefix(line, "#") || line == "":
			return nil, fail("unexpected comment or blank line")
		default:
			end := strings.IndexAny(line, "{ ")
			if end < 0 {
				return nil, fail("no value")
			}
			name, rest := line[:end], line[end:]
			if name != family || typ == "" {
				return nil, fail("sample outside its family %q", family)
			}
			if rest[0] == '{' {
				var err error
				if rest, err = parseLabels(rest[1:]); err != nil {
					return nil, fail("%v", err)
				}
			}
			value, ok := strings.CutPrefix(rest, " ")
			if !ok || value == "" || strings.Contains(value, " ") {
				return nil, fail("want one space then the value (no timestamp)")
			}
			series := line[:len(line)-len(rest)]
			v, err := strconv.ParseFloat(value, 64)
			if err != nil && value != "+Inf" && value != "-Inf" {
				return nil, fail("value: %v", err)
			}
			if typ == "counter" && v < 0 {
				return nil, fail("negative counter")
			}
			if _, dup := samples[series]; dup {
				return nil, fail("series repeated")
			}
			samples[series] = v
		}
	}
	return samples, nil
}

// parseLabels checks `a="x",b="y"}` strictly and returns what follows.
func parseLabels(s string) (string, error) {
	names := map[string]bool{}
	for {
		name, rest, ok := strings.Cut(s, `="`)
		if !ok || !labelName.MatchString(name) || names[name] {
			return "", fmt.Errorf("bad label name at %q", s)
		}
		names[name] = true
		i := 0
		for ; i < len(rest) && rest[i] != '"'; i++ {
			if rest[i] == '\\' {
				if i+1 == len(rest) || !strings.ContainsRune(`\"n`, rune(rest[i+1])) {
					return "", errors.New("bad escape in label value")
				}
				i++
			}
		}
		if i == len(rest) {
			return "", errors.New("unterminated label value")
		}
		s = rest[i+1:]
		switch {
		case strings.HasPrefix(s, "}"):
			return s[1:], nil
		case strings.HasPrefix(s, ","):
			s = s[1:]
		default:
			return "", fmt.Errorf("bad label separator at %q", s)
		}
	}
}

// TestParserIsStrict checks the test's parser rejects what it should.
func TestParserIsStrict(t *testing.T) {
	const ok = "# HELP x_total X.\n# TYPE x_total counter\nx_total{a=\"b\\\"c\"} 1\n"
	if _, err := parse(ok); err != nil {
		t.Fatalf("valid text: %v", err)
	}
	for _, bad := range []string{
		"# HELP x_total X.\n# TYPE x_total counter\nx_total 1",            // no final line feed
		"# TYPE x_total counter\nx_total 1\n",                             // no HELP
		"# HELP x_total X.\nx_total 1\n",                                  // no TYPE
		"# HELP x X.\n# TYPE x counter\nx 1\n",                            // counter without _total
		"# HELP x X.\n# TYPE x summary\nx 1\n",                            // type
		"# HELP x X.\n# TYPE x gauge\ny 1\n",                              // other family
		"# HELP x X.\n# TYPE x gauge\nx{a=\"b} 1\n",                       // unterminated
		"# HELP x X.\n# TYPE x gauge\nx{a=\"\\t\"} 1\n",                   // bad escape
		"# HELP x X.\n# TYPE x gauge\nx{a=\"1\",a=\"2\"} 1\n",             // repeated label
		"# HELP x X.\n# TYPE x gauge\nx{a=\"1\"} 1 1700000000\n",          // timestamp
		"# HELP x X.\n# TYPE x gauge\nx one\n",                            // value
		"# HELP x X.\n# TYPE x gauge\nx 1\nx 2\n",                         // repeated series
		"# HELP x X.\n# TYPE x gauge\nx 1\n# HELP x X.\n# TYPE x gauge\n", // repeated family
		"# HELP x_total X.\n# TYPE x_total counter\nx_total -1\n",         // negative counter
		"# HELP x X\\q.\n# TYPE x gauge\nx 1\n",                           // bad HELP escape
	} {
		if _, err := parse(bad); err == nil {
			t.Errorf("parse accepted %q", bad)
		}
	}
}
