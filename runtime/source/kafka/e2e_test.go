package kafka_test

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/sink/memory"
	"github.com/streamgen/streamgen/runtime/source/kafka"
	"github.com/streamgen/streamgen/runtime/stream"
	"github.com/streamgen/streamgen/runtime/trigger"
)

// runQuery runs one available-now query kafka → sink with a fresh source
// and checkpoint view, cancelled after the sink write of batch killAfter
// when it is not negative. It returns the batch IDs the runner saw and
// the last progress.
func runQuery(t *testing.T, e *env, sink *memory.Sink[reading], killAfter int64) ([]int64, *stream.Progress) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cp := e.checkpoint()
	src := e.sourceOn(cp, kafka.Subscribe("readings"), kafka.StartingOffsets("earliest"), kafka.MaxOffsetsPerTrigger(7))
	var seen []int64
	run := func(ctx context.Context, b *stream.Batch) (stream.BatchResult, error) {
		seen = append(seen, b.ID)
		var rows []reading
		st, err := src.Read(ctx, b.Start[0], b.End[0], func(r *reading, _ *kafka.Record) error {
			rows = append(rows, *r)
			return nil
		})
		if err != nil {
			return stream.BatchResult{}, err
		}
		if err := sink.AddBatch(ctx, b.ID, rows); err != nil {
			return stream.BatchResult{}, err
		}
		if b.ID == killAfter {
			cancel()
			return stream.BatchResult{}, ctx.Err()
		}
		return stream.BatchResult{NumInputRows: st.Rows, NumOutputRows: int64(len(rows)),
			SourceMetrics: []map[string]string{st.Metrics()}}, nil
	}
	q, err := stream.NewQuery(cp, []stream.Source{src}, run, stream.Trigger(trigger.AvailableNow()), stream.Logger(discard))
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer wcancel()
	if err := q.AwaitTermination(wctx); err != nil {
		t.Fatal(err)
	}
	return seen, q.LastProgress()
}

func sortedReadings(rs []reading) []reading {
	rs = append([]reading(nil), rs...)
	sort.Slice(rs, func(i, j int) bool {
		if rs[i].Device != rs[j].Device {
			return rs[i].Device < rs[j].Device
		}
		return rs[i].Temp < rs[j].Temp
	})
	return rs
}

// A whole query, killed after a sink write and restarted, with records
// arriving in between: every record is in the sink exactly once.
func TestQueryKafkaToMemoryExactlyOnce(t *testing.T) {
	e := newEnv(t)
	e.createTopic("readings", 3)
	var all []reading
	all = append(all, e.produceReadings("readings", 0, "p0", 10)...)
	all = append(all, e.produceReadings("readings", 1, "p1", 6)...)
	all = append(all, e.produceReadings("readings", 2, "p2", 4)...)
	sink := memory.New[reading]()

	// 20 records, 7 per batch: batches 0, 1, 2; killed after the sink
	// write of batch 1, before its commit.
	seen, _ := runQuery(t, e, sink, 1)
	if diff := cmp.Diff([]int64{0, 1}, seen); diff != "" {
		t.Errorf("run 1 batches (-want +got):\n%s", diff)
	}
	all = append(all, e.produceReadings("readings", 1, "p1-late", 5)...)
	seen, p := runQuery(t, e, sink, -1)
	if len(seen) < 3 || seen[0] != 1 {
		t.Errorf("run 2 batches = %v, want a re-run of 1 first", seen)
	}
	if diff := cmp.Diff(sortedReadings(all), sortedReadings(sink.Rows())); diff != "" {
		t.Errorf("sink rows (-want +got):\n%s", diff)
	}
	if p == nil || len(p.Sources) != 1 {
		t.Fatalf("last progress = %+v", p)
	}
	m := p.Sources[0].Metrics
	if m["maxOffsetsBehindLatest"] != "0" || m["numRecordsRead"] == "" {
		t.Errorf("last progress metrics = %v", m)
	}
	// Nothing new: a third run runs no batch.
	if seen, _ := runQuery(t, e, sink, -1); len(seen) != 0 {
		t.Errorf("run 3 ran batches %v", seen)
	}
}
