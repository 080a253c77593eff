package deltasource_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamgen/streamgen/runtime/checkpoint"
	"github.com/streamgen/streamgen/runtime/delta"
	deltasource "github.com/streamgen/streamgen/runtime/source/delta"
	"github.com/streamgen/streamgen/runtime/storage"
)

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// rec is the test's generated record: its Delta schema is recSchema.
type rec struct {
	ID    int64
	Name  string
	Score int32
	P     string
}

func (r rec) String() string { return fmt.Sprintf("%d/%s/%d/%s", r.ID, r.Name, r.Score, r.P) }

// recSchema is rec's Delta schema (the generated RecDeltaSchema()).
func recSchema() *delta.StructType {
	return &delta.StructType{Fields: []delta.StructField{
		{Name: "id", Type: delta.Long, Nullable: false},
		{Name: "name", Type: delta.String, Nullable: true},
		{Name: "score", Type: delta.Integer, Nullable: true},
		{Name: "p", Type: delta.String, Nullable: true},
	}}
}

// fromRow is rec's generated FromRow.
func fromRow(row delta.Row, r *rec) error {
	if len(row) != 4 {
		return fmt.Errorf("row has %d values, want 4", len(row))
	}
	r.ID = row[0].(int64)
	if v, ok := row[1].(string); ok {
		r.Name = v
	}
	if v, ok := row[2].(int32); ok {
		r.Score = v
	}
	if v, ok := row[3].(string); ok {
		r.P = v
	}
	return nil
}

// tableSchema is the test table's first schema: the record's columns in
// another order (the source projects by name), partitioned by p.
func tableSchema(extra ...delta.StructField) *delta.StructType {
	s := &delta.StructType{Fields: []delta.StructField{
		{Name: "p", Type: delta.String, Nullable: true},
		{Name: "name", Type: delta.String, Nullable: true},
		{Name: "id", Type: delta.Long, Nullable: true},
		{Name: "score", Type: delta.Integer, Nullable: true},
	}}
	s.Fields = append(s.Fields, extra...)
	return s
}

// countingStore counts the listings of a store.
type countingStore struct {
	storage.Storage
	mu       sync.Mutex
	lists    int
	listFrom []string // dir + "|" + start of each ListFrom
}

func (c *countingStore) List(ctx context.Context, prefix string) ([]storage.FileInfo, error) {
	c.mu.Lock()
	c.lists++
	c.mu.Unlock()
	return c.Storage.List(ctx, prefix)
}

func (c *countingStore) ListFrom(ctx context.Context, dir, start string) ([]storage.FileInfo, error) {
	c.mu.Lock()
	c.listFrom = append(c.listFrom, dir+"|"+start)
	c.mu.Unlock()
	return c.Storage.ListFrom(ctx, dir, start)
}

func (c *countingStore) reset() {
	c.mu.Lock()
	c.lists, c.listFrom = 0, nil
	c.mu.Unlock()
}

func (c *countingStore) calls() (int, []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lists, slices.Clone(c.listFrom)
}

// env is a test table and a checkpoint directory.
type env struct {
	t      testing.TB
	dir    string
	store  *countingStore
	table  *delta.Table
	schema *delta.StructType
	cpDir  string
	// adds holds the add actions of each committed version.
	adds map[int64][]*delta.Add
	now  time.Time
}

func newEnv(t testing.TB) *env {
	t.Helper()
	d := t.TempDir()
	st, err := storage.NewLocal(filepath.Join(d, "table"))
	if err != nil {
		t.Fatal(err)
	}
	cs := &countingStore{Storage: st}
	e := &env{t: t, dir: d, store: cs, schema: tableSchema(), cpDir: filepath.Join(d, "cp"),
		adds: map[int64][]*delta.Add{}, now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	e.table = delta.Open(cs).WithCommitOptions(delta.CommitOptions{Clock: e.clock, CheckpointInterval: -1, Logger: discard})
	return e
}

func (e *env) clock() time.Time {
	e.now = e.now.Add(time.Second)
	return e.now
}

func (e *env) checkpoint() *checkpoint.Checkpoint {
	e.t.Helper()
	st, err := storage.NewLocal(e.cpDir)
	if err != nil {
		e.t.Fatal(err)
	}
	cp, err := checkpoint.Open(context.Background(), st, checkpoint.Logger(discard))
	if err != nil {
		e.t.Fatal(err)
	}
	return cp
}

// row makes a table row of e.schema from a record (extra columns null).
func (e *env) row(r rec) delta.Row {
	out := make(delta.Row, len(e.schema.Fields))
	for i, f := range e.schema.Fields {
		switch f.Name {
		case "p":
			out[i] = r.P
		case "name":
			out[i] = r.Name
		case "id":
			out[i] = r.ID
		case "score":
			if f.Type == delta.Long {
				out[i] = int64(r.Score)
			} else {
				out[i] = r.Score
			}
		}
	}
	return out
}

// write writes rs as data files (one per partition) with dataChange set
// as given.
func (e *env) write(dataChange bool, rs ...rec) []*delta.Add {
	e.t.Helper()
	rows := make([]delta.Row, len(rs))
	for i, r := range rs {
		rows[i] = e.row(r)
	}
	adds, err := delta.WriteRows(context.Background(), e.store, e.schema, []string{"p"}, rows, delta.WriterOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, a := range adds {
		a.DataChange = dataChange
	}
	return adds
}

// commit commits a transaction built by fill and returns its version.
func (e *env) commit(op string, fill func(tx *delta.Transaction)) int64 {
	e.t.Helper()
	ctx := context.Background()
	tx, err := e.table.Begin(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	if tx.ReadVersion() < 0 {
		tx.SetMetadata(delta.Metadata{SchemaString: e.schema.SchemaString(), PartitionColumns: []string{"p"}})
	}
	fill(tx)
	if op != "" {
		tx.SetOperation(op, nil)
	}
	v, err := tx.Commit(ctx)
	if err != nil {
		e.t.Fatalf("commit %s: %v", op, err)
	}
	return v
}

// appendRows commits rs as one append; it returns the version and adds.
func (e *env) appendRows(rs ...rec) (int64, []*delta.Add) {
	e.t.Helper()
	adds := e.write(true, rs...)
	v := e.commit("WRITE", func(tx *delta.Transaction) { tx.Add(adds...) })
	e.adds[v] = adds
	return v, adds
}

// remove commits the removal of files (dataChange=true) together with
// the new files of rs: a delete without rs, an update with them.
func (e *env) remove(op string, files []*delta.Add, rs ...rec) (int64, []*delta.Add) {
	e.t.Helper()
	var adds []*delta.Add
	if len(rs) > 0 {
		adds = e.write(true, rs...)
	}
	v := e.commit(op, func(tx *delta.Transaction) {
		for _, f := range files {
			tx.Remove(delta.RemoveFor(f, e.now, true))
		}
		tx.Add(adds...)
	})
	e.adds[v] = adds
	return v, adds
}

// optimize commits a compaction of files into one file per partition
// holding rs, all with dataChange=false.
func (e *env) optimize(files []*delta.Add, rs ...rec) (int64, []*delta.Add) {
	e.t.Helper()
	adds := e.write(false, rs...)
	v := e.commit("OPTIMIZE", func(tx *delta.Transaction) {
		for _, f := range files {
			tx.Remove(delta.RemoveFor(f, e.now, false))
		}
		tx.Add(adds...)
	})
	e.adds[v] = adds
	return v, adds
}

// setSchema commits a metaData action with schema s (same table id).
func (e *env) setSchema(s *delta.StructType) int64 {
	e.t.Helper()
	e.schema = s
	return e.commit("ADD COLUMNS", func(tx *delta.Transaction) {
		m := tx.Snapshot().Metadata
		m.SchemaString = s.SchemaString()
		tx.SetMetadata(m)
	})
}

// newSource opens a source on e's table and checkpoint.
func (e *env) newSource(cfg deltasource.Config[rec]) *deltasource.Source[rec] {
	e.t.Helper()
	cfg.Table = e.table
	if cfg.Schema == nil {
		cfg.Schema = recSchema()
	}
	if cfg.FromRow == nil {
		cfg.FromRow = fromRow
	}
	cfg.Logger = discard
	src, err := deltasource.New(context.Background(), e.checkpoint(), 0, cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	return src
}

// batchOut is one batch as drive saw it.
type batchOut struct {
	Start, End string
	Rows       []string
	Origins    []deltasource.Origin
	Stats      deltasource.Stats
}

// drive runs src as the engine does (InitialOffset, PrepareAvailableNow
// when availableNow, then LatestOffset / Read / Commit until no new
// data) for at most maxBatches batches, and returns the batches and the
// error that stopped it.
func drive[T fmt.Stringer](t testing.TB, src interface {
	InitialOffset(context.Context) (json.RawMessage, error)
	PrepareAvailableNow(context.Context, json.RawMessage) error
	LatestOffset(context.Context, json.RawMessage) (json.RawMessage, error)
	Commit(context.Context, json.RawMessage) error
}, read func(ctx context.Context, start, end json.RawMessage, fn func(T, deltasource.Origin) error) (deltasource.Stats, error),
	start json.RawMessage, availableNow bool, maxBatches int) ([]batchOut, error) {
	t.Helper()
	ctx := context.Background()
	if start == nil {
		var err error
		if start, err = src.InitialOffset(ctx); err != nil {
			return nil, err
		}
	}
	if availableNow {
		if err := src.PrepareAvailableNow(ctx, start); err != nil {
			return nil, err
		}
	}
	var out []batchOut
	for len(out) < maxBatches {
		end, err := src.LatestOffset(ctx, start)
		if err != nil {
			return out, err
		}
		if string(end) == string(start) {
			return out, nil
		}
		b := batchOut{Start: string(start), End: string(end)}
		b.Stats, err = read(ctx, start, end, func(r T, o deltasource.Origin) error {
			b.Rows = append(b.Rows, r.String())
			b.Origins = append(b.Origins, o)
			return nil
		})
		if err != nil {
			return out, err
		}
		if err := src.Commit(ctx, end); err != nil {
			return out, err
		}
		out = append(out, b)
		start = end
	}
	return out, nil
}

// driveRec drives a source of recs.
func driveRec(t testing.TB, src *deltasource.Source[rec], start json.RawMessage, availableNow bool) ([]batchOut, error) {
	t.Helper()
	return drive(t, src, func(ctx context.Context, s, e json.RawMessage, fn func(rec, deltasource.Origin) error) (deltasource.Stats, error) {
		return src.Read(ctx, s, e, func(r *rec, o deltasource.Origin) error { return fn(*r, o) })
	}, start, availableNow, 1000)
}

// allRows concatenates the rows of batches.
func allRows(bs []batchOut) []string {
	var out []string
	for _, b := range bs {
		out = append(out, b.Rows...)
	}
	return out
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// offset formats a DeltaSourceOffset as Spark writes it.
func offset(id string, v, i int64, starting bool) string {
	return fmt.Sprintf(`{"sourceVersion":1,"reservoirId":"%s","reservoirVersion":%d,"index":%d,"isStartingVersion":%t}`, id, v, i, starting)
}

// tableID returns the table's id.
func (e *env) tableID() string {
	e.t.Helper()
	s, err := e.table.Snapshot(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return s.Metadata.ID
}

func errText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func contains(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
