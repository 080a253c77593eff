// Package ordergen writes the internet orders of the orders_stream and
// customer_counts examples into a Delta table, as an order system (or a
// Spark job) would: append commits of new orders, an UPDATE commit that
// rewrites a data file with changed statuses, and OPTIMIZE.
//
// Orders are deterministic: order n of a seed is always the same
// ([Options.Order]), so a test (or a second run) knows exactly what the
// table holds. Order n is "ord-<n, 8 digits>", placed at
// Start + n×Spacing plus a jitter below Jitter, by one of Customers
// customers (the low-numbered ones more often), for 5.00 to 500.00 with
// cents, placed (60%), paid (30%) or cancelled (10%).
//
// Each append commit records the Delta txn action {appId: "ordergen",
// version: the next order number}: a later run continues from there, and
// a commit that would write orders the table already holds is refused
// (delta.ErrTxnAlreadyCommitted) instead of duplicating them.
package ordergen

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/streamgen/streamgen/examples/orders_stream/ordersstream"
	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/storage"
)

// AppID is the txn application id of ordergen's append commits; its
// version is the number of the next order to write.
const AppID = "ordergen"

// Options say what the orders look like.
type Options struct {
	// Seed chooses the orders: the same seed gives the same order n.
	Seed uint64
	// Customers is the number of customers, cust-001 … (default 25).
	Customers int
	// Start is the orderTime of order 0, before its jitter (default
	// 2024-05-01T09:00:00Z).
	Start time.Time
	// Spacing is the time between consecutive orders (default 3s).
	Spacing time.Duration
	// Jitter bounds the random delay, in whole milliseconds, added to
	// each orderTime (default 20s): orders arrive out of order by less
	// than that, less than the pipelines' 1-minute watermark delay.
	Jitter time.Duration
}

func (o Options) withDefaults() Options {
	if o.Customers <= 0 {
		o.Customers = 25
	}
	if o.Start.IsZero() {
		o.Start = time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)
	}
	if o.Spacing <= 0 {
		o.Spacing = 3 * time.Second
	}
	if o.Jitter <= 0 {
		o.Jitter = 20 * time.Second
	}
	return o
}

// OrderID returns the id of order n.
func OrderID(n int64) string { return fmt.Sprintf("ord-%08d", n) }

// OrderNumber returns n for the id of order n.
func OrderNumber(id string) (int64, error) {
	if len(id) < 5 || id[:4] != "ord-" {
		return 0, fmt.Errorf("ordergen: %q is not an order id", id)
	}
	return strconv.ParseInt(id[4:], 10, 64)
}

// Order returns order n as it is first written (an UPDATE may change its
// status later).
func (o Options) Order(n int64) ordersstream.Order {
	o = o.withDefaults()
	rng := rand.New(rand.NewPCG(o.Seed, uint64(n)))
	// The product of two uniform numbers favours the low customer numbers.
	c := 1 + int(float64(o.Customers)*rng.Float64()*rng.Float64())
	cents := 500 + rng.Int64N(49501)
	status := ordersstream.OrderStatusPlaced
	switch p := rng.IntN(10); {
	case p >= 9:
		status = ordersstream.OrderStatusCancelled
	case p >= 6:
		status = ordersstream.OrderStatusPaid
	}
	jitter := time.Duration(rng.Int64N(int64(o.Jitter/time.Millisecond))) * time.Millisecond
	return ordersstream.Order{
		OrderID:    OrderID(n),
		CustomerID: fmt.Sprintf("cust-%03d", c),
		Amount:     float64(cents) / 100,
		Status:     status,
		OrderTime:  o.Start.Add(time.Duration(n)*o.Spacing + jitter),
	}
}

// Config is one run of the generator.
type Config struct {
	Options
	// Commits is the number of append commits; PerCommit the orders in
	// each (one data file per commit).
	Commits, PerCommit int
	// First is the number of the first order to append; -1 continues
	// after the orders already in the table (its txn for AppID, 0 for a
	// new table).
	First int64
	// Update, after the appends, commits an UPDATE: the orders still
	// placed among the newest PerCommit ones are marked paid, each data
	// file holding one of them is removed and its rewrite added
	// (dataChange=true), as Spark's UPDATE does.
	Update bool
	// Optimize, last, compacts the table's small files (an OPTIMIZE
	// commit, dataChange=false) when there are two or more.
	Optimize bool
	// Writer configures the data files (zero: the defaults).
	Writer delta.WriterOptions
}

// Result says what a run committed.
type Result struct {
	// First and Next are the numbers of the first order appended and of
	// the one after the last (Next == First when nothing was appended).
	First, Next int64
	// Appends are the versions of the append commits.
	Appends []int64
	// UpdateVersion is the UPDATE commit, -1 without one. UpdateFrom and
	// UpdateTo bound the order numbers it covered (UpdateTo excluded),
	// Updated the orders it marked paid, Copied the other rows of the
	// rewritten files, and UpdatedFiles the files it rewrote.
	UpdateVersion        int64
	UpdateFrom, UpdateTo int64
	Updated, Copied      int64
	UpdatedFiles         int
	// OptimizeVersion is the OPTIMIZE commit, -1 without one.
	OptimizeVersion int64
}

// UpdateRange returns the order numbers an UPDATE after appending up to
// next covers: the newest perCommit orders, [next−perCommit, next).
func UpdateRange(next int64, perCommit int) (from, to int64) {
	return max(0, next-int64(perCommit)), next
}

// Run appends cfg.Commits commits of cfg.PerCommit orders to the Delta
// table in store (creating it with the first commit), then the UPDATE and
// the OPTIMIZE cfg asks for.
func Run(ctx context.Context, store storage.Storage, cfg Config) (Result, error) {
	res := Result{UpdateVersion: -1, OptimizeVersion: -1}
	if cfg.Commits < 0 || cfg.PerCommit < 1 {
		return res, errors.New("ordergen: -commits must be at least 0 and -orders at least 1")
	}
	t := delta.Open(store)
	next := cfg.First
	if next < 0 {
		next = 0
		snap, err := t.Snapshot(ctx)
		switch {
		case errors.Is(err, delta.ErrNotATable):
		case err != nil:
			return res, fmt.Errorf("ordergen: %w", err)
		default:
			if txn, ok := snap.Txns[AppID]; ok {
				next = txn.Version
			}
		}
	}
	res.First, res.Next = next, next
	orders := make([]ordersstream.Order, cfg.PerCommit)
	for range cfg.Commits {
		for i := range orders {
			orders[i] = cfg.Order(next + int64(i))
		}
		v, err := appendOrders(ctx, t, orders, next+int64(len(orders)), cfg.Writer)
		if err != nil {
			return res, err
		}
		next += int64(len(orders))
		res.Next = next
		res.Appends = append(res.Appends, v)
	}
	if cfg.Update {
		res.UpdateFrom, res.UpdateTo = UpdateRange(next, cfg.PerCommit)
		if err := update(ctx, t, &res, cfg.Writer); err != nil {
			return res, err
		}
	}
	if cfg.Optimize {
		r, err := t.Optimize(ctx, delta.OptimizeOptions{Writer: cfg.Writer})
		if err != nil {
			return res, fmt.Errorf("ordergen: %w", err)
		}
		res.OptimizeVersion = r.Version
	}
	return res, nil
}

// appendOrders commits orders as one data file, with the txn saying that
// the orders before next are written.
func appendOrders(ctx context.Context, t *delta.Table, orders []ordersstream.Order, next int64, wo delta.WriterOptions) (int64, error) {
	tx, err := t.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("ordergen: %w", err)
	}
	mode := "Append"
	if tx.ReadVersion() < 0 {
		mode = "ErrorIfExists"
		tx.SetMetadata(delta.Metadata{SchemaString: ordersstream.OrderDeltaSchema().SchemaString()})
	}
	adds, err := delta.WriteTyped(ctx, t.Storage(), ordersstream.OrderDeltaSchema(), nil, orders, nil, wo)
	if err != nil {
		return 0, fmt.Errorf("ordergen: write orders: %w", err)
	}
	tx.Add(adds...)
	tx.SetTxn(AppID, next)
	tx.SetOperation("WRITE", map[string]any{"mode": mode, "partitionBy": "[]"})
	v, err := tx.Commit(ctx)
	if err != nil {
		delta.DeleteDataFiles(ctx, t.Storage(), adds, nil)
		return 0, fmt.Errorf("ordergen: commit orders %s to %s: %w", orders[0].OrderID, orders[len(orders)-1].OrderID, err)
	}
	return v, nil
}

// update commits the UPDATE of res.UpdateFrom … res.UpdateTo: every data
// file holding a placed order of that range is rewritten with those
// orders paid. Nothing is committed when no order matches.
func update(ctx context.Context, t *delta.Table, res *Result, wo delta.WriterOptions) error {
	tx, err := t.Begin(ctx)
	if err != nil {
		return fmt.Errorf("ordergen: update: %w", err)
	}
	snap := tx.Snapshot()
	if snap == nil {
		return nil // no table: nothing to update
	}
	cols, err := columns(snap.Schema)
	if err != nil {
		return err
	}
	now := time.Now()
	var rewritten []ordersstream.Order
	var adds []*delta.Add
	for _, f := range snap.Files {
		rows, err := snap.ReadFile(ctx, f)
		if err != nil {
			return fmt.Errorf("ordergen: update: %w", err)
		}
		rewritten = rewritten[:0]
		var hit int64
		for _, r := range rows {
			o, err := cols.order(r)
			if err != nil {
				return fmt.Errorf("ordergen: update: %s: %w", f.Path, err)
			}
			n, err := OrderNumber(o.OrderID)
			if err != nil {
				return fmt.Errorf("ordergen: update: %s: %w", f.Path, err)
			}
			if n >= res.UpdateFrom && n < res.UpdateTo && o.Status == ordersstream.OrderStatusPlaced {
				o.Status = ordersstream.OrderStatusPaid
				hit++
			}
			rewritten = append(rewritten, o)
		}
		if hit == 0 {
			continue
		}
		a, err := delta.WriteTyped(ctx, t.Storage(), ordersstream.OrderDeltaSchema(), nil, rewritten, nil, wo)
		if err != nil {
			delta.DeleteDataFiles(ctx, t.Storage(), adds, nil)
			return fmt.Errorf("ordergen: update: rewrite %s: %w", f.Path, err)
		}
		adds = append(adds, a...)
		tx.ReadFiles(f)
		tx.Remove(delta.RemoveFor(f, now, true))
		res.Updated += hit
		res.Copied += int64(len(rows)) - hit
		res.UpdatedFiles++
	}
	if res.UpdatedFiles == 0 {
		return nil
	}
	tx.Add(adds...)
	pred := fmt.Sprintf("((status = 'placed') AND (orderId >= '%s') AND (orderId < '%s'))", OrderID(res.UpdateFrom), OrderID(res.UpdateTo))
	tx.SetOperation("UPDATE", map[string]any{"predicate": `["` + pred + `"]`})
	tx.SetOperationMetrics(map[string]string{
		"numUpdatedRows":  strconv.FormatInt(res.Updated, 10),
		"numCopiedRows":   strconv.FormatInt(res.Copied, 10),
		"numAddedFiles":   strconv.Itoa(len(adds)),
		"numRemovedFiles": strconv.Itoa(res.UpdatedFiles),
	})
	v, err := tx.Commit(ctx)
	if err != nil {
		delta.DeleteDataFiles(ctx, t.Storage(), adds, nil)
		return fmt.Errorf("ordergen: commit the update: %w", err)
	}
	res.UpdateVersion = v
	return nil
}

// orderColumns are the positions of the Order fields in a table's rows.
type orderColumns struct{ id, customer, amount, status, time int }

func columns(s *delta.StructType) (orderColumns, error) {
	pos := map[string]int{}
	for i, f := range s.Fields {
		pos[f.Name] = i
	}
	var c orderColumns
	for name, p := range map[string]*int{"orderId": &c.id, "customerId": &c.customer, "amount": &c.amount, "status": &c.status, "orderTime": &c.time} {
		i, ok := pos[name]
		if !ok {
			return c, fmt.Errorf("ordergen: the table has no column %s: it is not an orders table", name)
		}
		*p = i
	}
	return c, nil
}

// order converts a row of the table to an Order.
func (c orderColumns) order(r delta.Row) (ordersstream.Order, error) {
	var o ordersstream.Order
	var ok [5]bool
	o.OrderID, ok[0] = r[c.id].(string)
	o.CustomerID, ok[1] = r[c.customer].(string)
	o.Amount, ok[2] = r[c.amount].(float64)
	var status string
	status, ok[3] = r[c.status].(string)
	o.Status = ordersstream.OrderStatus(status)
	o.OrderTime, ok[4] = r[c.time].(time.Time)
	if ok != [5]bool{true, true, true, true, true} {
		return o, fmt.Errorf("row %v does not match the Order schema", r)
	}
	return o, nil
}
