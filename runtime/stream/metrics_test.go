package stream_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/sink/memory"
	"github.com/streamgen/streamgen/runtime/stream"
	"github.com/streamgen/streamgen/runtime/trigger/triggertest"
)

// lagSource is a fakeSource that reports how many rows it holds after a
// batch's end, and a key the Runner reports too.
type lagSource struct {
	*fakeSource
	calls []string
}

func (s *lagSource) Metrics(_ context.Context, end json.RawMessage) map[string]string {
	s.calls = append(s.calls, string(end))
	s.mu.Lock()
	defer s.mu.Unlock()
	return map[string]string{
		"rowsBehindLatest": strconv.Itoa(len(s.rows) - parseOffset(end)),
		"shared":           "source",
	}
}

// The Runner's source and sink metrics and a MetricsSource's own land in
// the progress, merged, with the MetricsSource winning on a shared key.
func TestProgressMetricsJSON(t *testing.T) {
	clock := triggertest.NewClock(t0)
	fake := newSource("a", 2, events(0, 3, secs)...)
	src := &lagSource{fakeSource: fake}
	p := newPipeline(clock, memory.New[event](memory.Name("events")), fake)
	p.advance = 250 * time.Millisecond
	var runnerMaps []map[string]string
	run := func(ctx context.Context, b *stream.Batch) (stream.BatchResult, error) {
		res, err := p.run(ctx, b)
		m := map[string]string{"numRowsRead": strconv.FormatInt(res.SourceRows[0], 10), "shared": "runner"}
		runnerMaps = append(runnerMaps, m)
		res.SourceMetrics = []map[string]string{m}
		res.SinkMetrics = map[string]string{"committedVersion": strconv.FormatInt(b.ID+10, 10)}
		return res, err
	}
	q := newQuery(t, t.TempDir(), []stream.Source{src}, run, clock,
		stream.Name("events"), stream.RunIDs(func() string { return "0b4c6c2e-0000-4000-8000-000000000001" }),
		stream.SinkDescription(p.sink.Description()))
	start(t, context.Background(), q)
	processAll(t, q)
	q.Stop()
	recent := q.RecentProgress()
	if len(recent) != 2 {
		t.Fatalf("%d progress reports, want 2", len(recent))
	}
	for _, m := range runnerMaps {
		m["shared"] = "changed later" // the progress holds copies
	}
	const want = `{
  "id": "8f1c2a3e-5b6d-4e7f-9a0b-1c2d3e4f5a6b",
  "runId": "0b4c6c2e-0000-4000-8000-000000000001",
  "name": "events",
  "timestamp": "2026-01-01T10:00:00.250Z",
  "batchId": 1,
  "batchDuration": 250,
  "numInputRows": 1,
  "inputRowsPerSecond": 4,
  "processedRowsPerSecond": 4,
  "durationMs": {
    "addBatch": 250,
    "commitOffsets": 0,
    "latestOffset": 0,
    "triggerExecution": 250,
    "walCommit": 0
  },
  "eventTime": {
    "max": "2026-01-01T10:00:02.000Z"
  },
  "stateOperators": [],
  "sources": [
    {
      "description": "FakeSource[a]",
      "startOffset": {
        "offset": 2
      },
      "endOffset": {
        "offset": 3
      },
      "latestOffset": {
        "offset": 3
      },
      "numInputRows": 1,
      "inputRowsPerSecond": 4,
      "processedRowsPerSecond": 4,
      "metrics": {
        "numRowsRead": "1",
        "rowsBehindLatest": "0",
        "shared": "source"
      }
    }
  ],
  "sink": {
    "description": "MemorySink[events]",
    "numOutputRows": 1,
    "metrics": {
      "committedVersion": "11"
    }
  }
}`
	if diff := cmp.Diff(want, recent[1].String()); diff != "" {
		t.Errorf("progress JSON (-want +got):\n%s", diff)
	}
	wantFirst := map[string]string{"numRowsRead": "2", "rowsBehindLatest": "1", "shared": "source"}
	if diff := cmp.Diff(wantFirst, recent[0].Sources[0].Metrics); diff != "" {
		t.Errorf("batch 0 source metrics (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{`{"offset":2}`, `{"offset":3}`}, src.calls); diff != "" {
		t.Errorf("Metrics calls (-want +got):\n%s", diff)
	}
}

// A MetricsSource's metrics stand alone when the Runner reports none; a
// Runner's metrics for the wrong number of sources fail the batch.
func TestProgressMetricsWithoutRunnerMetricsAndMismatch(t *testing.T) {
	clock := triggertest.NewClock(t0)
	fake := newSource("a", 0, events(0, 2, secs)...)
	src := &lagSource{fakeSource: fake}
	p := newPipeline(clock, memory.New[event](), fake)
	q := newQuery(t, t.TempDir(), []stream.Source{src}, p.run, clock)
	start(t, context.Background(), q)
	processAll(t, q)
	q.Stop()
	lp := q.LastProgress()
	if diff := cmp.Diff(map[string]string{"rowsBehindLatest": "0", "shared": "source"}, lp.Sources[0].Metrics); diff != "" {
		t.Errorf("source metrics (-want +got):\n%s", diff)
	}
	if lp.Sink.Metrics != nil {
		t.Errorf("sink metrics %v, want nil", lp.Sink.Metrics)
	}

	bad := func(ctx context.Context, b *stream.Batch) (stream.BatchResult, error) {
		res, err := p.run(ctx, b)
		res.SourceMetrics = []map[string]string{nil, {"x": "1"}}
		return res, err
	}
	q = newQuery(t, t.TempDir(), []stream.Source{newSource("b", 0, events(0, 1, secs)...)}, bad, clock)
	start(t, context.Background(), q)
	err := await(t, q)
	if want := "stream: batch 0: runner reported metrics for 2 sources, the query has 1"; err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
}
