package stream_test

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/sink/memory"
	"github.com/streamgen/streamgen/runtime/stream"
	"github.com/streamgen/streamgen/runtime/trigger/triggertest"
)

// A typed source, a memory sink and a runner copying rows, killed
// mid-batch (its context cancelled) several times and restarted: the sink
// holds every row exactly once.
func TestKilledAndRestartedHoldsEveryRowOnce(t *testing.T) {
	dir := t.TempDir()
	clock := triggertest.NewClock(t0)
	all := events(0, 20, secs)
	src := newSource("a", 3, all[:10]...)
	sink := memory.New[event]()
	kills := []struct {
		batch     int64
		afterSink bool
	}{
		{1, false}, // before the sink write
		{1, true},  // the re-run, after the sink write
		{3, true},
		{5, false},
	}
	var lastKilled int64 = -1
	for run := 0; ; run++ {
		ctx, cancel := context.WithCancel(context.Background())
		p := newPipeline(clock, sink, src)
		p.advance = time.Second
		if run < len(kills) {
			k := kills[run]
			kill := func(ctx context.Context, b *stream.Batch) error {
				if b.ID == k.batch {
					cancel()
					return ctx.Err()
				}
				return nil
			}
			if k.afterSink {
				p.setHooks(nil, kill)
			} else {
				p.setHooks(kill, nil)
			}
		}
		q := newQuery(t, dir, p.asSources(), p.run, clock)
		start(t, ctx, q)
		if run == 2 {
			src.add(all[10:]...) // more data arrives meanwhile
		}
		if run < len(kills) {
			if err := await(t, q); err != nil {
				t.Fatalf("run %d: a killed query reports %v", run, err)
			}
			bs := p.recorded()
			if got := bs[len(bs)-1].ID; got != kills[run].batch {
				t.Fatalf("run %d was killed in batch %d, want %d", run, got, kills[run].batch)
			}
			if lastKilled >= 0 && (!bs[0].Rerun || bs[0].ID != lastKilled) {
				t.Errorf("run %d started with %+v, want a re-run of batch %d", run, bs[0], lastKilled)
			}
			lastKilled = kills[run].batch
			cancel()
			continue
		}
		processAll(t, q)
		q.Stop()
		cancel()
		if err := q.Err(); err != nil {
			t.Fatal(err)
		}
		break
	}
	got := sink.Rows()
	sort.Slice(got, func(i, j int) bool { return got[i].ID < got[j].ID })
	if diff := cmp.Diff(all, got); diff != "" {
		t.Errorf("sink rows (-want +got):\n%s", diff)
	}
	if sink.LatestBatchID() != 6 { // 20 rows, 3 per batch
		t.Errorf("latest batch %d, want 6", sink.LatestBatchID())
	}
}

// Stop lets the running batch finish and commit, then ends the query.
func TestStopFinishesTheCurrentBatch(t *testing.T) {
	dir := t.TempDir()
	clock := triggertest.NewClock(t0)
	src := newSource("a", 1, events(0, 3, secs)...)
	p := newPipeline(clock, memory.New[event](), src)
	entered, release := make(chan struct{}), make(chan struct{})
	p.setHooks(func(context.Context, *stream.Batch) error {
		close(entered)
		<-release
		return nil
	}, nil)
	q := newQuery(t, dir, p.asSources(), p.run, clock)
	start(t, context.Background(), q)
	<-entered
	stopped := make(chan struct{})
	go func() {
		q.Stop()
		close(stopped)
	}()
	for !q.Stopping() {
		time.Sleep(time.Millisecond)
	}
	select {
	case <-stopped:
		t.Fatal("Stop returned while a batch was running")
	default:
	}
	p.setHooks(nil, nil)
	close(release)
	<-stopped
	if err := q.Err(); err != nil {
		t.Fatal(err)
	}
	if n := len(p.recorded()); n != 1 {
		t.Errorf("%d batches ran, want 1", n)
	}
	if files := listCP(t, dir); !cmp.Equal(files, []string{"commits/0", "metadata", "offsets/0"}) {
		t.Errorf("checkpoint files: %v", files)
	}
}
