package memory_test

import (
	"context"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/sink/memory"
)

type row struct {
	Device string
	N      int
}

func TestAppendSkipsSeenBatches(t *testing.T) {
	ctx := context.Background()
	s := memory.New[row](memory.Name("devices"))
	in := []row{{"a", 1}, {"b", 2}}
	if err := s.AddBatch(ctx, 0, in); err != nil {
		t.Fatal(err)
	}
	in[0].N = 99 // the sink copied the rows
	if err := s.AddBatch(ctx, 1, []row{{"c", 3}}); err != nil {
		t.Fatal(err)
	}
	// A re-run of batch 1 (and a stale batch 0) are skipped.
	for _, id := range []int64{1, 0} {
		if err := s.AddBatch(ctx, id, []row{{"dup", 0}}); err != nil {
			t.Fatal(err)
		}
	}
	want := []row{{"a", 1}, {"b", 2}, {"c", 3}}
	if diff := cmp.Diff(want, s.Rows()); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	got := s.Rows()
	got[0].N = -1 // Rows returns a copy
	if s.Rows()[0].N != 1 {
		t.Error("Rows does not return a copy")
	}
	if s.LatestBatchID() != 1 || s.NumBatches() != 2 || s.Len() != 3 {
		t.Errorf("latest %d, batches %d, len %d; want 1, 2, 3", s.LatestBatchID(), s.NumBatches(), s.Len())
	}
	if s.Description() != "MemorySink[devices]" || s.Name() != "devices" {
		t.Errorf("description %q name %q", s.Description(), s.Name())
	}
	if memory.New[row]().Description() != "MemorySink" {
		t.Error("unnamed description")
	}
}

func TestCompleteReplaces(t *testing.T) {
	ctx := context.Background()
	s := memory.New[row](memory.Complete())
	_ = s.AddBatch(ctx, 0, []row{{"a", 1}, {"b", 1}})
	_ = s.AddBatch(ctx, 1, []row{{"a", 2}, {"b", 1}, {"c", 1}})
	_ = s.AddBatch(ctx, 1, []row{{"stale", 0}})
	want := []row{{"a", 2}, {"b", 1}, {"c", 1}}
	if diff := cmp.Diff(want, s.Rows()); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	_ = s.AddBatch(ctx, 2, nil)
	if s.Len() != 0 {
		t.Errorf("empty complete batch left %d rows", s.Len())
	}
}

func TestUpdateUpsertsByKey(t *testing.T) {
	ctx := context.Background()
	s := memory.New[row](memory.Update(func(r *row) string { return r.Device }))
	steps := []struct {
		id   int64
		rows []row
		want []row
	}{
		{0, []row{{"a", 1}, {"b", 1}}, []row{{"a", 1}, {"b", 1}}},
		// a changes in place, c is new and comes last.
		{1, []row{{"c", 1}, {"a", 2}}, []row{{"a", 2}, {"b", 1}, {"c", 1}}},
		// A re-run of batch 1 with other rows is skipped.
		{1, []row{{"a", 99}}, []row{{"a", 2}, {"b", 1}, {"c", 1}}},
		// Two rows of one key in a batch: the last wins.
		{2, []row{{"b", 5}, {"b", 6}}, []row{{"a", 2}, {"b", 6}, {"c", 1}}},
		{3, nil, []row{{"a", 2}, {"b", 6}, {"c", 1}}},
	}
	for _, st := range steps {
		if err := s.AddBatch(ctx, st.id, st.rows); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(st.want, s.Rows()); diff != "" {
			t.Errorf("after batch %d, rows (-want +got):\n%s", st.id, diff)
		}
	}
}

func TestAddBatchErrors(t *testing.T) {
	s := memory.New[row]()
	if err := s.AddBatch(context.Background(), -1, nil); err == nil {
		t.Error("negative batch ID accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.AddBatch(ctx, 0, []row{{"a", 1}}); err == nil || s.Len() != 0 {
		t.Errorf("cancelled context: err %v, len %d", err, s.Len())
	}
}

func TestConcurrentUse(t *testing.T) {
	s := memory.New[int]()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = s.AddBatch(context.Background(), int64(i), []int{i})
			_ = s.Rows()
		}()
	}
	wg.Wait()
	if s.LatestBatchID() != 7 {
		t.Errorf("latest %d", s.LatestBatchID())
	}
}
