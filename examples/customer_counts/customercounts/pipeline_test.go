package customercounts_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/examples/customer_counts/customercounts"
	"github.com/streamgen/streamgen/examples/orders_stream/ordergen"
	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/trigger"
)

// TestPipeline runs the example in process, as demo.sh runs the binary:
// orders appended to internetorders by ordergen, the pipeline run
// available-now; then more orders, an UPDATE commit and an OPTIMIZE, and
// the pipeline again on the same checkpoint. After each run the output
// table (complete mode: the whole result) must hold exactly one row per
// customer with a brute-force count of that customer's orders, each order
// counted once: the UPDATE rewrites orders already counted and is
// skipped (skipChangeCommits), OPTIMIZE changes no data. The second run
// reads only the new orders and adds them to the counts in its state.
func TestPipeline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	cfg := customercounts.DefaultCustomerCountsConfig()
	cfg.SourcePath = filepath.Join(dir, "tables", "internetorders")
	cfg.SinkPath = filepath.Join(dir, "tables", "customer_counts")
	cfg.CheckpointPath = filepath.Join(dir, "checkpoints", "customer_counts")
	cfg.Trigger = trigger.AvailableNow()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	source, err := storage.NewLocal(cfg.SourcePath)
	if err != nil {
		t.Fatal(err)
	}

	gen := ordergen.Options{Seed: 4, Customers: 40}
	var written int64
	rounds := []ordergen.Config{
		// An UPDATE before the first run too: the query starts from the
		// snapshot, which holds the rewritten file and not the original.
		{Options: gen, First: -1, Commits: 3, PerCommit: 120, Update: true},
		{Options: gen, First: -1, Commits: 2, PerCommit: 120, Update: true, Optimize: true},
	}
	for round, gc := range rounds {
		res, err := ordergen.Run(ctx, source, gc)
		if err != nil {
			t.Fatal(err)
		}
		if res.UpdateVersion < 0 {
			t.Fatalf("round %d: no UPDATE commit", round)
		}
		newOrders := res.Next - written
		written = res.Next

		q, err := customercounts.NewCustomerCounts(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if err := q.AwaitTermination(ctx); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		var read int64
		for _, p := range q.RecentProgress() {
			read += p.NumInputRows
		}
		if read != newOrders {
			t.Errorf("round %d read %d rows, want the %d new orders (the UPDATE's and OPTIMIZE's files skipped)", round, read, newOrders)
		}
		if diff := cmp.Diff(perCustomer(gen, written), tableRows(t, cfg.SinkPath)); diff != "" {
			t.Errorf("round %d: the table (-brute force +got):\n%s", round, diff)
		}
	}
}

// perCustomer is the expected table after orders 0 … n-1:
// "customerId,orders" per customer with an order, sorted.
func perCustomer(gen ordergen.Options, n int64) []string {
	counts := map[string]int64{}
	for i := range n {
		counts[gen.Order(i).CustomerID]++
	}
	var want []string
	for c, k := range counts {
		want = append(want, fmt.Sprintf("%s,%d", c, k))
	}
	slices.Sort(want)
	return want
}

// tableRows returns the output table's rows as sorted "customerId,orders"
// lines.
func tableRows(t *testing.T, dir string) []string {
	t.Helper()
	st, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := delta.Open(st).Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rows, err := snap.Rows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, fmt.Sprintf("%s,%d", r[0], r[1]))
	}
	slices.Sort(got)
	return got
}
