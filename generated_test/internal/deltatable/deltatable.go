// Package deltatable builds the source tables of the delta-source golden
// cases' tests (delta_source, delta_counts, delta_all_types) with
// runtime/delta, as another writer would: appends of generated records
// (delta.WriteTyped), commits that rewrite files (an UPDATE: removes and
// adds with dataChange=true) and OPTIMIZE (dataChange=false).
package deltatable

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/storage"
)

// Table is a Delta table in a local directory, written by a test.
type Table struct {
	t      testing.TB
	Dir    string
	Store  storage.Storage
	Table  *delta.Table
	Schema *delta.StructType
}

// New returns the (not yet created) table at dir with schema, a record's
// <Rec>DeltaSchema().
func New(t testing.TB, dir string, schema *delta.StructType) *Table {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	store, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	return &Table{t: t, Dir: dir, Store: store, Table: delta.Open(store), Schema: schema}
}

// write writes rows as one data file.
func write[T any](tb *Table, dataChange bool, rows []T) []*delta.Add {
	tb.t.Helper()
	adds, err := delta.WriteTyped(context.Background(), tb.Store, tb.Schema, nil, rows, nil, delta.WriterOptions{})
	if err != nil {
		tb.t.Fatal(err)
	}
	for _, a := range adds {
		a.DataChange = dataChange
	}
	return adds
}

// commit commits the removes of files and adds as operation op and
// returns the version.
func (tb *Table) commit(op string, remove []*delta.Add, dataChange bool, adds []*delta.Add) int64 {
	tb.t.Helper()
	ctx := context.Background()
	tx, err := tb.Table.Begin(ctx)
	if err != nil {
		tb.t.Fatal(err)
	}
	if tx.ReadVersion() < 0 {
		tx.SetMetadata(delta.Metadata{SchemaString: tb.Schema.SchemaString()})
	}
	for _, f := range remove {
		tx.Remove(delta.RemoveFor(f, time.Now(), dataChange))
	}
	tx.Add(adds...)
	tx.SetOperation(op, nil)
	v, err := tx.Commit(ctx)
	if err != nil {
		tb.t.Fatalf("commit %s: %v", op, err)
	}
	return v
}

// Append commits rows as one data file (a WRITE) and returns the version
// and the file's add action.
func Append[T any](tb *Table, rows ...T) (int64, []*delta.Add) {
	tb.t.Helper()
	adds := write(tb, true, rows)
	return tb.commit("WRITE", nil, true, adds), adds
}

// Update commits an UPDATE: the files of remove are replaced by one file
// holding rows (dataChange=true); it returns the version and the new
// file's add action.
func Update[T any](tb *Table, remove []*delta.Add, rows ...T) (int64, []*delta.Add) {
	tb.t.Helper()
	adds := write(tb, true, rows)
	return tb.commit("UPDATE", remove, true, adds), adds
}

// Optimize compacts the table's small files (runtime/delta's OPTIMIZE,
// dataChange=false) and returns its version, -1 when there was nothing
// to compact.
func (tb *Table) Optimize() int64 {
	tb.t.Helper()
	res, err := tb.Table.Optimize(context.Background(), delta.OptimizeOptions{})
	if err != nil {
		tb.t.Fatal(err)
	}
	return res.Version
}

// Rows returns the rows of the table at store, nil when it is not a table
// yet.
func Rows(t testing.TB, store storage.Storage) []delta.Row {
	t.Helper()
	snap, err := delta.Open(store).Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rows, err := snap.Rows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// DirRows returns the rows of the table in dir.
func DirRows(t testing.TB, dir string) []delta.Row {
	t.Helper()
	store, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	return Rows(t, store)
}
