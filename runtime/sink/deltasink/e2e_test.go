package deltasink_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/checkpoint"
	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/sink/deltasink"
	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/stream"
	"github.com/streamgen/streamgen/runtime/trigger/triggertest"
)

// listSource is an in-memory source of readings; its offset is the
// number of rows, {"offset":N}, and a batch reads at most limit rows.
type listSource struct {
	limit int
	mu    sync.Mutex
	rows  []reading
}

func offsetOf(raw json.RawMessage) int {
	if raw == nil {
		return 0
	}
	var o struct{ Offset int }
	if err := json.Unmarshal(raw, &o); err != nil {
		panic(err)
	}
	return o.Offset
}

func (s *listSource) Description() string { return "ListSource" }

func (s *listSource) InitialOffset(context.Context) (json.RawMessage, error) {
	return json.RawMessage(`{"offset":0}`), nil
}

func (s *listSource) LatestOffset(_ context.Context, start json.RawMessage) (json.RawMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	end := min(len(s.rows), offsetOf(start)+s.limit)
	return json.RawMessage(fmt.Sprintf(`{"offset":%d}`, end)), nil
}

func (s *listSource) Commit(context.Context, json.RawMessage) error { return nil }

func (s *listSource) read(start, end json.RawMessage) []reading {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]reading(nil), s.rows[offsetOf(start):offsetOf(end)]...)
}

// A query writing to the Delta sink is killed (its context cancelled)
// before the sink write, between the data files and the commit, and after
// the table commit but before the checkpoint's commit, and restarted each
// time: the table holds every row exactly once.
func TestQueryKilledAndRestartedWritesEachRowOnce(t *testing.T) {
	cpDir, tableDir := t.TempDir(), t.TempDir()
	var all []reading
	for i := range 20 {
		all = append(all, rd(fmt.Sprintf("Dev%d", i%4), fmt.Sprint("s", i), i))
	}
	src := &listSource{limit: 3, rows: all}
	clock := triggertest.NewClock(t0)
	kills := []struct {
		batch int64
		at    string // "before", "commit" (files written, commit fails), "after"
	}{{1, "before"}, {1, "commit"}, {1, "after"}, {3, "after"}, {5, "commit"}}
	for run := 0; ; run++ {
		ctx, cancel := context.WithCancel(context.Background())
		local, err := storage.NewLocal(tableDir)
		if err != nil {
			t.Fatal(err)
		}
		store := &hookStore{Storage: local}
		sink, err := deltasink.New[reading](delta.Open(store), mustSchema(t, readingSchema), deltasink.Logger(discard))
		if err != nil {
			t.Fatal(err)
		}
		killed := run < len(kills)
		var batches []int64
		var mu sync.Mutex
		runner := func(ctx context.Context, b *stream.Batch) (stream.BatchResult, error) {
			mu.Lock()
			batches = append(batches, b.ID)
			mu.Unlock()
			k := kills[min(run, len(kills)-1)]
			hit := killed && b.ID == k.batch
			if hit && k.at == "before" {
				cancel()
				return stream.BatchResult{}, ctx.Err()
			}
			if hit && k.at == "commit" {
				store.setHook(func(string) error { cancel(); return context.Canceled })
			}
			rows := src.read(b.Start[0], b.End[0])
			if err := sink.AddBatch(ctx, b.QueryID, b.ID, rows); err != nil {
				return stream.BatchResult{}, err
			}
			if hit && k.at == "after" {
				cancel()
				return stream.BatchResult{}, ctx.Err()
			}
			clock.Advance(time.Second)
			return stream.BatchResult{NumInputRows: int64(len(rows)), NumOutputRows: int64(len(rows))}, nil
		}
		cpStore, err := storage.NewLocal(cpDir)
		if err != nil {
			t.Fatal(err)
		}
		cp, err := checkpoint.Open(context.Background(), cpStore, checkpoint.InitialID(queryID))
		if err != nil {
			t.Fatal(err)
		}
		q, err := stream.NewQuery(cp, []stream.Source{src}, runner, stream.Clock(clock), stream.Logger(discard),
			stream.SinkDescription(sink.Description()))
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		wctx, wcancel := context.WithTimeout(context.Background(), 20*time.Second)
		if killed {
			_ = q.AwaitTermination(wctx)
			if q.IsActive() {
				t.Fatalf("run %d: the killed query did not terminate", run)
			}
		} else {
			if err := q.ProcessAllAvailable(wctx); err != nil {
				t.Fatalf("ProcessAllAvailable: %v", err)
			}
			q.Stop()
			if err := q.Err(); err != nil {
				t.Fatal(err)
			}
		}
		wcancel()
		cancel()
		mu.Lock()
		if killed && batches[len(batches)-1] != kills[run].batch {
			t.Fatalf("run %d was killed in batch %d, want %d", run, batches[len(batches)-1], kills[run].batch)
		}
		mu.Unlock()
		if !killed {
			break
		}
	}
	table := openTable(t, tableDir)
	if diff := cmp.Diff(wantRows(all...), tableRows(t, table)); diff != "" {
		t.Errorf("table rows (-want +got):\n%s", diff)
	}
	snap, err := table.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// 20 rows, 3 per batch: batches 0..6, one commit each.
	if snap.Version != 6 || snap.Txns[queryID].Version != 6 {
		t.Errorf("table version %d, txn %+v; want 6 and 6", snap.Version, snap.Txns[queryID])
	}
}
