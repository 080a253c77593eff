package ordergen_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/examples/orders_stream/ordergen"
	"github.com/streamgen/streamgen/examples/orders_stream/ordersstream"
	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/storage"
)

// TestOrders checks the orders themselves: the same seed and number give
// the same order, another seed other orders, and every field within its
// documented range.
func TestOrders(t *testing.T) {
	o := ordergen.Options{Seed: 5}
	start := time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)
	statuses := map[ordersstream.OrderStatus]int{}
	same := 0
	for n := range int64(2000) {
		a := o.Order(n)
		if b := o.Order(n); a != b {
			t.Fatalf("order %d differs between calls: %+v, %+v", n, a, b)
		}
		if a == (ordergen.Options{Seed: 6}).Order(n) {
			same++
		}
		if a.OrderID != fmt.Sprintf("ord-%08d", n) {
			t.Errorf("order %d has id %q", n, a.OrderID)
		}
		if m, err := ordergen.OrderNumber(a.OrderID); err != nil || m != n {
			t.Errorf("OrderNumber(%q) = %d, %v", a.OrderID, m, err)
		}
		lo := start.Add(time.Duration(n) * 3 * time.Second)
		if a.OrderTime.Before(lo) || !a.OrderTime.Before(lo.Add(20*time.Second)) || a.OrderTime.Truncate(time.Millisecond) != a.OrderTime {
			t.Errorf("order %d at %v, want [%v, +20s) in whole milliseconds", n, a.OrderTime, lo)
		}
		var c int
		if _, err := fmt.Sscanf(a.CustomerID, "cust-%03d", &c); err != nil || c < 1 || c > 25 {
			t.Errorf("order %d: customer %q", n, a.CustomerID)
		}
		if a.Amount < 5 || a.Amount > 500 || math.Round(a.Amount*100)/100 != a.Amount {
			t.Errorf("order %d: amount %v", n, a.Amount)
		}
		if !a.Status.Valid() {
			t.Errorf("order %d: status %q", n, a.Status)
		}
		statuses[a.Status]++
	}
	if same > 0 {
		t.Errorf("%d orders are the same for seeds 5 and 6", same)
	}
	// Roughly 60% placed, 30% paid, 10% cancelled.
	for s, want := range map[ordersstream.OrderStatus]int{"placed": 1200, "paid": 600, "cancelled": 200} {
		if got := statuses[s]; got < want*8/10 || got > want*12/10 {
			t.Errorf("%d orders %s of 2000, want about %d", got, s, want)
		}
	}
}

// TestRun writes a table in two runs (the second continues, then updates
// and optimizes) and compares its contents and log with what the seed
// predicts: orders 0 … 249 as Options.Order gives them, the placed ones
// among the newest 50 paid; one WRITE commit per 50 orders, an UPDATE
// removing exactly the last append's file and adding its rewrite
// (dataChange=true), an OPTIMIZE changing no data.
func TestRun(t *testing.T) {
	ctx := context.Background()
	store, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	opts := ordergen.Options{Seed: 11}
	r1, err := ordergen.Run(ctx, store, ordergen.Config{Options: opts, Commits: 3, PerCommit: 50, First: -1})
	if err != nil {
		t.Fatal(err)
	}
	if r1.First != 0 || r1.Next != 150 || !slices.Equal(r1.Appends, []int64{0, 1, 2}) || r1.UpdateVersion != -1 || r1.OptimizeVersion != -1 {
		t.Fatalf("first run: %+v", r1)
	}
	r2, err := ordergen.Run(ctx, store, ordergen.Config{Options: opts, Commits: 2, PerCommit: 50, First: -1, Update: true, Optimize: true})
	if err != nil {
		t.Fatal(err)
	}
	if r2.First != 150 || r2.Next != 250 || !slices.Equal(r2.Appends, []int64{3, 4}) || r2.UpdateVersion != 5 || r2.OptimizeVersion != 6 ||
		r2.UpdateFrom != 200 || r2.UpdateTo != 250 || r2.UpdatedFiles != 1 {
		t.Fatalf("second run: %+v", r2)
	}

	// The prediction.
	var want []string
	var updated int64
	for n := range int64(250) {
		o := opts.Order(n)
		if n >= 200 && o.Status == "placed" {
			o.Status = "paid"
			updated++
		}
		want = append(want, fmt.Sprintf("%s,%s,%.2f,%s,%s", o.OrderID, o.CustomerID, o.Amount, o.Status, o.OrderTime.Format(time.RFC3339Nano)))
	}
	if updated == 0 || r2.Updated != updated || r2.Copied != 50-updated {
		t.Errorf("the update marked %d orders paid and copied %d, want %d and %d", r2.Updated, r2.Copied, updated, 50-updated)
	}
	tbl := delta.Open(store)
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, contents(t, snap)); diff != "" {
		t.Errorf("table contents (-predicted +got):\n%s", diff)
	}
	if len(snap.Files) != 1 {
		t.Errorf("%d files after OPTIMIZE, want 1", len(snap.Files))
	}
	if txn := snap.Txns[ordergen.AppID]; txn.Version != 250 {
		t.Errorf("txn %s at %d, want 250", ordergen.AppID, txn.Version)
	}

	// The log, commit by commit.
	var lastAppend *delta.Add
	for v := range int64(7) {
		actions, err := tbl.ReadCommit(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		var op string
		var adds []*delta.Add
		var removes []*delta.Remove
		for _, a := range actions {
			switch {
			case a.CommitInfo != nil:
				op = a.CommitInfo.Operation
			case a.Add != nil:
				adds = append(adds, a.Add)
			case a.Remove != nil:
				removes = append(removes, a.Remove)
			}
		}
		switch {
		case v <= 4:
			if op != "WRITE" || len(adds) != 1 || len(removes) != 0 || !adds[0].DataChange {
				t.Errorf("version %d: %s with %d adds, %d removes, want WRITE with one data-changing add", v, op, len(adds), len(removes))
			}
			lastAppend = adds[0]
		case v == 5:
			if op != "UPDATE" || len(adds) != 1 || len(removes) != 1 || !adds[0].DataChange || !removes[0].DataChange {
				t.Fatalf("version 5: %s with %d adds, %d removes, want UPDATE removing and adding one file, dataChange=true", op, len(adds), len(removes))
			}
			if removes[0].Path != lastAppend.Path {
				t.Errorf("the UPDATE removed %s, want the last append's %s", removes[0].Path, lastAppend.Path)
			}
		case v == 6:
			if op != "OPTIMIZE" || len(adds) != 1 || len(removes) != 5 {
				t.Errorf("version 6: %s with %d adds, %d removes, want OPTIMIZE of the 5 files into 1", op, len(adds), len(removes))
			}
			for _, a := range adds {
				if a.DataChange {
					t.Errorf("OPTIMIZE adds %s with dataChange=true", a.Path)
				}
			}
			for _, r := range removes {
				if r.DataChange {
					t.Errorf("OPTIMIZE removes %s with dataChange=true", r.Path)
				}
			}
		}
	}

	// Writing orders the table holds again is refused, not duplicated.
	_, err = ordergen.Run(ctx, store, ordergen.Config{Options: opts, Commits: 1, PerCommit: 50, First: 0})
	if !errors.Is(err, delta.ErrTxnAlreadyCommitted) {
		t.Errorf("re-writing orders 0-49: %v, want ErrTxnAlreadyCommitted", err)
	}
	snap, err = tbl.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Version != 6 {
		t.Errorf("table at version %d after the refused run, want 6", snap.Version)
	}
}

// contents returns the table's rows as sorted CSV lines.
func contents(t *testing.T, snap *delta.Snapshot) []string {
	t.Helper()
	rows, err := snap.Rows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, fmt.Sprintf("%s,%s,%.2f,%s,%s", r[0], r[1], r[2], r[3], r[4].(time.Time).UTC().Format(time.RFC3339Nano)))
	}
	slices.Sort(got)
	return got
}
