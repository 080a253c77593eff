package aggregate_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/aggregate"
	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/stream"
)

// key is an action's 10-second tumbling window; end is its end in Unix
// seconds.
type key struct {
	Action string
	End    int64
}

func (k *key) AppendBinary(b []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(k.Action)))
	b = append(b, k.Action...)
	return binary.AppendVarint(b, k.End)
}

func (k *key) UnmarshalBinary(b []byte) error {
	n, w := binary.Uvarint(b)
	if w <= 0 || uint64(len(b)-w) < n {
		return errors.New("bad key")
	}
	k.Action = string(b[w : w+int(n)])
	end, w2 := binary.Varint(b[w+int(n):])
	if w2 <= 0 || w+int(n)+w2 != len(b) {
		return errors.New("bad key")
	}
	k.End = end
	return nil
}

// count is the state: a row count.
type count struct{ N int64 }

func (c *count) AppendBinary(b []byte) []byte { return binary.AppendVarint(b, c.N) }
func (c *count) UnmarshalBinary(b []byte) error {
	n, w := binary.Varint(b)
	if w <= 0 || w != len(b) {
		return errors.New("bad count")
	}
	c.N = n
	return nil
}

type event struct {
	Action string
	Time   int64 // Unix seconds
}

const size = 10 // window size, seconds

func keyOf(e event) key {
	start := e.Time - ((e.Time%size)+size)%size
	return key{Action: e.Action, End: start + size}
}

// result is one emitted row: "action@end=count".
func result(k *key, c *count) string { return fmt.Sprintf("%s@%d=%d", k.Action, k.End, c.N) }

// run is a toy query over an operator: batches of events, each with the
// watermark max(event time) - delay of the batches before it, as the
// engine computes it.
type run struct {
	t     *testing.T
	op    *aggregate.Operator[key, count, *key, *count]
	delay int64
	maxT  int64
	wm    int64
	next  int64
}

func newRun(t *testing.T, dir storage.Storage, mode aggregate.Mode, watermark bool) *run {
	t.Helper()
	op, err := aggregate.New[key, count](dir, aggregate.Config[key]{
		Mode:        mode,
		WindowEnd:   func(k *key) time.Time { return time.Unix(k.End, 0) },
		Watermark:   watermark,
		Fingerprint: "test-key-count-v1",
	})
	if err != nil {
		t.Fatal(err)
	}
	return &run{t: t, op: op, delay: 5, maxT: -1 << 62, wm: 0}
}

// batch runs one batch and returns its sorted output and progress.
func (r *run) batch(events ...event) ([]string, stream.StateOperatorProgress) {
	r.t.Helper()
	ctx := context.Background()
	b := &stream.Batch{ID: r.next, Watermark: time.Unix(r.wm, 0)}
	if err := r.op.Begin(ctx, b); err != nil {
		r.t.Fatal(err)
	}
	for _, e := range events {
		r.maxT = max(r.maxT, e.Time)
		if r.op.Late(time.Unix(e.Time, 0)) {
			continue
		}
		r.op.State(keyOf(e)).N++
	}
	var out []string
	p, err := r.op.Finish(ctx, func(k *key, c *count) { out = append(out, result(k, c)) })
	if err != nil {
		r.t.Fatal(err)
	}
	slices.Sort(out)
	r.wm = max(r.wm, r.maxT-r.delay)
	r.next++
	return out, p
}

func local(t *testing.T) storage.Storage {
	t.Helper()
	s, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestOutputModes(t *testing.T) {
	batches := [][]event{
		{{"open", 1}, {"open", 2}, {"close", 12}}, // wm after: 7
		{{"open", 3}, {"open", 14}},               // open@3 is late (3 <= 7); wm after: 9
		{{"close", 25}, {"open", 9}},              // open@9 late (9 <= 9); wm after: 20
		{},                                        // a no-data batch: wm 20 passes window 20
	}
	type step struct {
		out  []string
		late int64
		keys int64
	}
	for _, tc := range []struct {
		mode aggregate.Mode
		want []step
	}{
		{aggregate.Complete, []step{
			{[]string{"close@20=1", "open@10=2"}, 0, 2},
			{[]string{"close@20=1", "open@10=3", "open@20=1"}, 0, 3}, // complete mode drops nothing
			{[]string{"close@20=1", "close@30=1", "open@10=4", "open@20=1"}, 0, 4},
			{[]string{"close@20=1", "close@30=1", "open@10=4", "open@20=1"}, 0, 4},
		}},
		{aggregate.Update, []step{
			{[]string{"close@20=1", "open@10=2"}, 0, 2},
			{[]string{"open@20=1"}, 1, 3},  // wm 7: nothing ends at or before it
			{[]string{"close@30=1"}, 1, 4}, // wm 9: open@10 not yet; late open@9
			{nil, 0, 1},                    // wm 20: open@10, close@20, open@20 evicted
		}},
		{aggregate.Append, []step{
			{nil, 0, 2},
			{nil, 1, 3},
			{nil, 1, 4},
			{[]string{"close@20=1", "open@10=2", "open@20=1"}, 0, 1}, // final when wm 20 passes their end
		}},
	} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			r := newRun(t, local(t), tc.mode, true)
			for i, evs := range batches {
				out, p := r.batch(evs...)
				w := tc.want[i]
				if diff := cmp.Diff(w.out, out); diff != "" {
					t.Errorf("batch %d output (-want +got):\n%s", i, diff)
				}
				if p.NumRowsDroppedByWatermark != w.late || p.NumRowsTotal != w.keys || p.OperatorName != aggregate.OperatorName {
					t.Errorf("batch %d progress %+v; want %d late, %d keys", i, p, w.late, w.keys)
				}
			}
		})
	}
}

// A query restarted at any batch (a new operator over the same state
// directory) and a batch re-run after a failed attempt give the same
// output as one uninterrupted run.
func TestRestartAndRerun(t *testing.T) {
	batches := [][]event{
		{{"a", 1}, {"b", 2}}, {{"a", 11}, {"a", 12}}, {{"b", 21}}, {{"a", 3}, {"b", 35}}, {}, {{"c", 50}},
	}
	ref := newRun(t, local(t), aggregate.Update, true)
	var want [][]string
	for _, evs := range batches {
		out, _ := ref.batch(evs...)
		want = append(want, out)
	}
	for restartAt := 1; restartAt < len(batches); restartAt++ {
		dir := local(t)
		r := newRun(t, dir, aggregate.Update, true)
		for i, evs := range batches {
			if i == restartAt {
				// A failed attempt of batch i: rows folded, no Finish.
				if err := r.op.Begin(context.Background(), &stream.Batch{ID: r.next, Watermark: time.Unix(r.wm, 0)}); err != nil {
					t.Fatal(err)
				}
				r.op.State(key{"zz", 0}).N = 99
				// The process restarts: a new operator, same directory.
				fresh := newRun(t, dir, aggregate.Update, true)
				fresh.next, fresh.wm, fresh.maxT = r.next, r.wm, r.maxT
				r = fresh
			}
			out, _ := r.batch(evs...)
			if diff := cmp.Diff(want[i], out); diff != "" {
				t.Errorf("restart at %d: batch %d output (-want +got):\n%s", restartAt, i, diff)
			}
		}
	}
	// The same operator re-running a batch after a failed attempt.
	r := newRun(t, local(t), aggregate.Update, true)
	for i, evs := range batches {
		if err := r.op.Begin(context.Background(), &stream.Batch{ID: r.next, Watermark: time.Unix(r.wm, 0)}); err != nil {
			t.Fatal(err)
		}
		r.op.State(key{"zz", 0}).N = 99 // never committed
		out, _ := r.batch(evs...)
		if diff := cmp.Diff(want[i], out); diff != "" {
			t.Errorf("re-run of batch %d output (-want +got):\n%s", i, diff)
		}
	}
}

func TestWithoutWatermarkNothingIsLateOrEvicted(t *testing.T) {
	r := newRun(t, local(t), aggregate.Update, false)
	r.batch(event{"a", 100})
	out, p := r.batch(event{"a", 1}) // far behind, but no watermark
	if diff := cmp.Diff([]string{"a@10=1"}, out); diff != "" || p.NumRowsDroppedByWatermark != 0 || p.NumRowsTotal != 2 {
		t.Errorf("output %v, progress %+v; want a@10=1, nothing late, 2 keys", out, p)
	}
}

func TestNewRefusesAppendWithoutWatermark(t *testing.T) {
	_, err := aggregate.New[key, count](local(t), aggregate.Config[key]{Mode: aggregate.Append, WindowEnd: func(k *key) time.Time { return time.Unix(k.End, 0) }})
	if err == nil {
		t.Fatal("append mode without a watermark accepted")
	}
}
