package deltacounts

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/generated_test/internal/deltatable"
	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/trigger"
)

func testConfig(dir string) DeltaCountsConfig {
	cfg := DefaultDeltaCountsConfig()
	cfg.SourcePath = filepath.Join(dir, "orders")
	cfg.SinkPath = filepath.Join(dir, "customer_counts")
	cfg.CheckpointPath = filepath.Join(dir, "checkpoint")
	cfg.Trigger = trigger.AvailableNow()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	return cfg
}

func run(t *testing.T, cfg DeltaCountsConfig) {
	t.Helper()
	ctx := context.Background()
	q, err := NewDeltaCounts(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := q.AwaitTermination(ctx); err != nil {
		t.Fatal(err)
	}
}

// orders returns n orders of batch b, spread over 4 customers, every
// fifth without an amount.
func orders(b string, n int) []Order {
	var out []Order
	for i := range n {
		o := Order{OrderID: fmt.Sprintf("%s-%d", b, i), CustomerID: fmt.Sprintf("c-%d", (i*7+len(b))%4)}
		if i%5 != 4 {
			amount := int64(100*i + 5)
			o.AmountCents = &amount
		}
		out = append(out, o)
	}
	return out
}

// expect computes the complete-mode table from the orders the stream
// must count, independently of the generated state: per customer the
// number of orders and the sum of the non-null amounts (null when all
// are null), as sorted "customer/count/total".
func expect(recs []Order) []string {
	type agg struct {
		n     int64
		total *int64
	}
	m := map[string]*agg{}
	for _, o := range recs {
		a := m[o.CustomerID]
		if a == nil {
			a = &agg{}
			m[o.CustomerID] = a
		}
		a.n++
		if o.AmountCents != nil {
			if a.total == nil {
				a.total = new(int64(0))
			}
			*a.total += *o.AmountCents
		}
	}
	var out []string
	for c, a := range m {
		total := "null"
		if a.total != nil {
			total = fmt.Sprint(*a.total)
		}
		out = append(out, fmt.Sprintf("%s/%d/%s", c, a.n, total))
	}
	sort.Strings(out)
	return out
}

func sinkRows(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, r := range deltatable.DirRows(t, dir) {
		total := "null"
		if r[2] != nil {
			total = fmt.Sprint(r[2])
		}
		out = append(out, fmt.Sprintf("%v/%v/%s", r[0], r[1], total))
	}
	sort.Strings(out)
	return out
}

// NewDeltaCounts (orders per customer, complete mode) over a table built
// with runtime/delta: appends, an UPDATE (skipped: skipChangeCommits, so
// the rewritten orders are neither counted again nor uncounted), OPTIMIZE
// (skipped: no data change), then restarts on the same checkpoint that
// count only the new appends. After each run the sink table is the whole
// result, equal to the aggregation of every appended order.
func TestPipeline(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir)
	src := deltatable.New(t, cfg.SourcePath, OrderDeltaSchema())
	var counted []Order
	add := func(rs []Order) []*delta.Add {
		_, adds := deltatable.Append(src, rs...)
		counted = append(counted, rs...)
		return adds
	}
	first := add(orders("a", 9))
	add(orders("bb", 6))
	// Starting with an UPDATE in the log: the initial snapshot reads its
	// file, as the table's current state.
	deltatable.Update(src, first, orders("a", 3)...)
	counted = append(orders("a", 3), counted[9:]...)
	run(t, cfg)
	if diff := cmp.Diff(expect(counted), sinkRows(t, cfg.SinkPath)); diff != "" {
		t.Fatalf("after the first run (-want +got):\n%s", diff)
	}

	// After the start: an append, an UPDATE rewriting it, OPTIMIZE, an
	// append.
	mid := add(orders("ccc", 7))
	deltatable.Update(src, mid, Order{OrderID: "ccc-0", CustomerID: "c-9"})
	if v := src.Optimize(); v < 0 {
		t.Fatal("OPTIMIZE compacted nothing")
	}
	add(orders("dddd", 5))
	run(t, cfg)
	if diff := cmp.Diff(expect(counted), sinkRows(t, cfg.SinkPath)); diff != "" {
		t.Fatalf("after the restart (-want +got):\n%s", diff)
	}

	// Nothing new: the table stays as it is.
	run(t, cfg)
	if diff := cmp.Diff(expect(counted), sinkRows(t, cfg.SinkPath)); diff != "" {
		t.Fatalf("after a run without new commits (-want +got):\n%s", diff)
	}
}
