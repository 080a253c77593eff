package state_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	actioncounts "github.com/streamgen/streamgen/generated_test/events/want"
	"github.com/streamgen/streamgen/runtime/state"
	"github.com/streamgen/streamgen/runtime/storage"
)

type actionStore = state.Store[actioncounts.ActionCountsKey, actioncounts.ActionCountsState,
	*actioncounts.ActionCountsKey, *actioncounts.ActionCountsState]

func events(seed uint64, n int) []actioncounts.Event {
	rng := rand.New(rand.NewPCG(seed, 1))
	base := time.Unix(1469501675, 0).UTC()
	out := make([]actioncounts.Event, n)
	for i := range out {
		a := actioncounts.EventActionOpen
		if rng.IntN(3) == 0 {
			a = actioncounts.EventActionClose
		}
		out[i] = actioncounts.Event{Time: base.Add(time.Duration(rng.IntN(48*3600)) * time.Second), Action: a}
	}
	return out
}

func openActions(t testing.TB, st storage.Storage, v int64) *actionStore {
	t.Helper()
	s, err := state.Open[actioncounts.ActionCountsKey, actioncounts.ActionCountsState](context.Background(), st, v,
		state.Fingerprint(fmt.Sprintf("ActionCounts/v%d", actioncounts.ActionCountsStateVersion)), state.SnapshotInterval(4))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func results(s *actionStore) map[actioncounts.ActionCountsResult]bool {
	m := map[actioncounts.ActionCountsResult]bool{}
	for k, v := range s.All() {
		m[v.Result(&k)] = true
	}
	return m
}

// TestGeneratedActionCounts runs the generated windowed count over batches
// of events through the store, evicting windows behind a watermark, and
// checks every version reloads to the same results as the running store.
func TestGeneratedActionCounts(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := openActions(t, st, 0)
	var history []map[actioncounts.ActionCountsResult]bool
	history = append(history, results(s))
	all := events(1, 6000)
	for v := int64(1); v <= 12; v++ {
		batch := all[(v-1)*500 : v*500]
		var maxTime time.Time
		for i := range batch {
			k, _ := actioncounts.ActionCountsKeyOf(&batch[i])
			s.GetOrCreate(k).Add(&batch[i])
			if batch[i].Time.After(maxTime) {
				maxTime = batch[i].Time
			}
		}
		watermark := maxTime.Add(-30 * time.Hour)
		evicted := s.DeleteFunc(func(k actioncounts.ActionCountsKey, _ *actioncounts.ActionCountsState) bool {
			return !k.WindowEnd().After(watermark)
		})
		m := s.Metrics()
		if m.NumRowsRemoved != int64(evicted) || m.NumRowsTotal != int64(s.Len()) || m.NumRowsUpdated == 0 {
			t.Fatalf("batch %d: metrics %+v, evicted %d", v, m, evicted)
		}
		if err := s.Commit(ctx, v); err != nil {
			t.Fatal(err)
		}
		history = append(history, results(s))
	}
	for v := range history {
		got := results(openActions(t, st, int64(v)))
		if len(got) != len(history[v]) {
			t.Fatalf("version %d: %d groups, want %d", v, len(got), len(history[v]))
		}
		for r := range history[v] {
			if !got[r] {
				t.Fatalf("version %d: missing %+v", v, r)
			}
		}
	}
}

// TestGeneratedBytesPerKey measures the memory per group of the generated
// ActionCountsKey (action and window start as a time.Time) with its state
// (count and max(time)).
func TestGeneratedBytesPerKey(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 1M keys")
	}
	const n = 1_000_000
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	st, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	before := heap()
	s := openActions(t, st, 0)
	base := time.Unix(0, 0).UTC()
	for i := range n {
		ev := actioncounts.Event{Time: base.Add(time.Duration(i/2) * time.Hour), Action: actioncounts.EventActionOpen}
		if i%2 == 1 {
			ev.Action = actioncounts.EventActionClose
		}
		k, _ := actioncounts.ActionCountsKeyOf(&ev)
		s.GetOrCreate(k).Add(&ev)
	}
	after := heap()
	est := s.Metrics().MemoryUsedBytes
	runtime.KeepAlive(s)
	measured := float64(after-before) / n
	t.Logf("generated ActionCountsKey + ActionCountsState: %.1f bytes/key measured, %.1f estimated", measured, float64(est)/n)
	if e := float64(est) / n; e < measured*0.8 || e > measured*1.2 {
		t.Errorf("estimate %.1f bytes/key, measured %.1f", e, measured)
	}
}
