// Package deltasink is the Delta Lake sink of streaming queries (Spark's
// DeltaSink): each micro-batch becomes exactly one commit of the table,
// whatever the number of restarts.
//
// # Exactly once
//
// Every commit carries txn{appId: queryID, version: batchID} beside its
// data. Before writing anything, AddBatch (or BeginBatch) looks the query
// up in the latest snapshot: a batch whose ID is not newer than the recorded version
// was committed before (the query crashed after the table commit but
// before its checkpoint's commits/N) and is skipped. A concurrent commit
// of the same batch that wins the race makes the commit fail with
// [delta.ErrTxnAlreadyCommitted]; that too counts as success, and the data
// files this attempt wrote are deleted. Files written by an attempt that
// crashed before its commit stay behind as orphans that no snapshot
// references (VACUUM removes them); the re-run writes fresh files.
//
// An empty batch still commits (txn and commitInfo, plus the removes of
// Complete mode), as Spark's sink does: the batch is recorded in the table
// and a Complete-mode empty result empties the table.
//
// # Streaming a batch
//
// In Append mode a batch need not be collected first: [Sink.BeginBatch]
// returns a [BatchWriter] whose Write encodes rows into the data files as
// they come and whose Commit makes the same commit AddBatch makes for the
// same rows. AddBatch itself writes Append and Complete batches through
// one.
//
// # Output modes
//
//   - Append: the batch's rows are written as new files (blind append).
//   - Complete: every active file is removed and the batch's rows added,
//     in one commit; the commit reads the whole table, so a concurrent
//     data change makes it conflict rather than survive the replacement.
//   - Update: a keyed merge. The batch's rows are the changed rows, one per
//     key (the last one wins when a key repeats); every file holding a row
//     with one of those keys is removed and its other rows are written
//     again with the new rows, in one commit. It needs [KeyColumns] and
//     [ToRow]. Every active file is read to find the keys (no data
//     skipping yet), and the commit reads the whole table.
//
// # Schema
//
// The first commit creates the table from the sink's schema and partition
// columns (protocol 1/2). An existing table must have the same partition
// columns, in the same order, and the same columns with the same types;
// with [MergeSchema], nullable columns the table lacks are appended to its
// schema by a metaData action in the batch's commit, and rows written
// before read them as null.
//
// # Metrics
//
// [Sink.Metrics] gives the latest batch's progress metrics, for
// stream.BatchResult.SinkMetrics: committedVersion, the table version
// holding the batch (the new commit, or for a skipped re-run the commit
// that recorded it, found among the 16 latest commits, else the version
// of the snapshot that showed it), and numFilesAdded and numFilesRemoved
// (0 for a skipped batch).
package deltasink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/streamgen/streamgen/runtime/delta"
)

// Operation is the commitInfo operation of every commit of the sink.
const Operation = "STREAMING UPDATE"

// Result describes what the latest batch (AddBatch, or a BatchWriter's
// Commit) did.
type Result struct {
	// BatchID is the batch's ID.
	BatchID int64
	// Version is the table version committed, -1 when the batch was
	// skipped.
	Version int64
	// CommittedVersion is the table version holding the batch: Version
	// when committed; for a skipped batch the version whose txn recorded
	// it when the sink could find it (the winning commit of a race, or a
	// recent commit of the log), else the version of the snapshot that
	// showed it was committed. -1 before the first batch.
	CommittedVersion int64
	// Skipped says the batch was already in the table (a re-run).
	Skipped bool
	// NumOutputRows is the number of rows of the batch written (for
	// Update mode, after removing repeated keys); 0 when skipped.
	NumOutputRows int64
	// NumAddedFiles and NumRemovedFiles count the commit's add and
	// remove actions.
	NumAddedFiles   int
	NumRemovedFiles int
}

// Sink writes micro-batches of rows of type T to a Delta table. T is a
// struct whose `parquet:"..."` tags name the schema's data columns (see
// [delta.WriteTyped]). A Sink is safe for concurrent use; batches are
// written one at a time (a batch started with [Sink.BeginBatch] holds the
// sink until its Commit or Abort).
type Sink[T any] struct {
	table           *delta.Table
	schema          *delta.StructType
	cfg             cfg
	partitionValues func(*T) map[string]*string
	toRow           func(*T) delta.Row
	logger          *slog.Logger

	batchMu sync.Mutex // held from the start of a batch to its end
	mu      sync.Mutex // guards last
	last    Result
}

// New returns a sink writing rows of type T with the given schema (every
// column, partition columns included) to table. It does no I/O: the table
// is created or checked by the first AddBatch.
func New[T any](table *delta.Table, schema *delta.StructType, opts ...Opt) (*Sink[T], error) {
	if table == nil {
		return nil, errors.New("deltasink: nil table")
	}
	loc := table.Location()
	fail := func(format string, args ...any) (*Sink[T], error) {
		return nil, fmt.Errorf("deltasink: table %s: %s", loc, fmt.Sprintf(format, args...))
	}
	if schema == nil || len(schema.Fields) == 0 {
		return fail("the sink's schema has no columns")
	}
	s := &Sink[T]{table: table, schema: schema, last: Result{Version: -1, BatchID: -1, CommittedVersion: -1}}
	for _, o := range opts {
		o.apply(&s.cfg)
	}
	c := &s.cfg
	var zero T
	if reflect.TypeOf(zero) == nil || reflect.TypeOf(zero).Kind() != reflect.Struct {
		return fail("row type %T is not a struct", zero)
	}
	seen := map[string]bool{}
	for _, f := range schema.Fields {
		if seen[strings.ToLower(f.Name)] {
			return fail("the sink's schema has column %q twice (names are case-insensitive)", f.Name)
		}
		seen[strings.ToLower(f.Name)] = true
	}
	for _, col := range c.partitionCols {
		f, i := schema.Field(col)
		if i < 0 {
			return fail("partition column %q is not in the sink's schema %s", col, schema)
		}
		switch f.Type.(type) {
		case delta.PrimitiveType, delta.DecimalType:
		default:
			return fail("partition column %q has type %s; partition columns must be primitive", col, f.Type)
		}
	}
	if c.partitionValues != nil {
		f, ok := c.partitionValues.(func(*T) map[string]*string)
		if !ok {
			return fail("PartitionBy's values function is a %T, the sink's rows are %T", c.partitionValues, zero)
		}
		s.partitionValues = f
	}
	if c.toRow != nil {
		f, ok := c.toRow.(func(*T) delta.Row)
		if !ok {
			return fail("ToRow's function is a %T, the sink's rows are %T", c.toRow, zero)
		}
		s.toRow = f
	}
	switch c.mode {
	case Append, Complete:
		if len(c.keyColumns) > 0 {
			return fail("KeyColumns only applies to Update mode, not %s", c.mode)
		}
		if len(c.partitionCols) > 0 && s.partitionValues == nil {
			return fail("%s mode with PartitionBy(%q) needs the partition values function", c.mode, c.partitionCols)
		}
	case Update:
		if len(c.keyColumns) == 0 {
			return fail("Update mode needs KeyColumns")
		}
		if s.toRow == nil {
			return fail("Update mode needs ToRow")
		}
		for _, k := range c.keyColumns {
			if _, i := schema.Field(k); i < 0 {
				return fail("key column %q is not in the sink's schema %s", k, schema)
			}
		}
	default:
		return fail("unknown output mode %s", c.mode)
	}
	s.logger = c.logger
	if s.logger == nil {
		s.logger = slog.Default()
	}
	return s, nil
}

// Description returns the sink's description for progress reports:
// "DeltaSink[<table location>]" unless set with [Description].
func (s *Sink[T]) Description() string {
	if s.cfg.description != "" {
		return s.cfg.description
	}
	return "DeltaSink[" + s.table.Location() + "]"
}

// Table returns the table the sink writes.
func (s *Sink[T]) Table() *delta.Table { return s.table }

// Mode returns the sink's output mode.
func (s *Sink[T]) Mode() Mode { return s.cfg.mode }

// LastResult returns what the latest batch did (AddBatch, or a
// BatchWriter's Commit); its BatchID is -1 before the first.
func (s *Sink[T]) LastResult() Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// The keys of the sink's progress metrics (SinkProgress.Metrics), as
// Metrics returns them.
const (
	MetricCommittedVersion = "committedVersion"
	MetricFilesAdded       = "numFilesAdded"
	MetricFilesRemoved     = "numFilesRemoved"
)

// Metrics returns the latest batch's result (AddBatch, or a BatchWriter's
// Commit) as progress metrics, for
// stream.BatchResult.SinkMetrics: committedVersion (Result's
// CommittedVersion), numFilesAdded and numFilesRemoved (0 for a skipped
// batch), as decimal integers. It returns nil before the first AddBatch.
func (s *Sink[T]) Metrics() map[string]string {
	r := s.LastResult()
	if r.BatchID < 0 {
		return nil
	}
	return map[string]string{
		MetricCommittedVersion: strconv.FormatInt(r.CommittedVersion, 10),
		MetricFilesAdded:       strconv.Itoa(r.NumAddedFiles),
		MetricFilesRemoved:     strconv.Itoa(r.NumRemovedFiles),
	}
}

// holdingSearchDepth is how many commits back from the snapshot version
// the sink looks for the commit of a skipped batch.
const holdingSearchDepth = 16

// holdingVersion returns the version, among the holdingSearchDepth
// commits up to snapVersion, whose txn records batchID of queryID, or
// snapVersion when none does (or the log cannot be read: the commits may
// have been cleaned up after a checkpoint).
func (s *Sink[T]) holdingVersion(ctx context.Context, snapVersion int64, queryID string, batchID int64) int64 {
	for v := snapVersion; v >= 0 && v > snapVersion-holdingSearchDepth; v-- {
		actions, err := s.table.ReadCommit(ctx, v)
		if err != nil {
			break
		}
		for _, a := range actions {
			if a.Txn != nil && a.Txn.AppID == queryID {
				if a.Txn.Version == batchID {
					return v
				}
				if a.Txn.Version < batchID {
					return snapVersion // older than the batch: it is not further back
				}
			}
		}
	}
	return snapVersion
}

// now is the clock of the data files' modificationTime.
func (s *Sink[T]) now() time.Time {
	if s.cfg.clock != nil {
		return s.cfg.clock()
	}
	if c := s.table.CommitOptions().Clock; c != nil {
		return c()
	}
	return time.Now()
}

// errorf wraps an error of the sink with the table location and batch.
func (s *Sink[T]) errorf(batchID int64, format string, args ...any) error {
	return fmt.Errorf("deltasink: table %s: batch %d: %w", s.table.Location(), batchID, fmt.Errorf(format, args...))
}

// AddBatch writes the rows of batch batchID of query queryID as one commit
// of the table, in the sink's output mode, or does nothing when the table
// already holds that batch (or a later one) of the query. See the package
// documentation for the exactly-once rule. Append and Complete modes
// write through a [BatchWriter] (see [Sink.BeginBatch] to stream a batch
// instead of collecting its rows).
func (s *Sink[T]) AddBatch(ctx context.Context, queryID string, batchID int64, rows []T) error {
	if s.cfg.mode == Update {
		return s.addUpdateBatch(ctx, queryID, batchID, rows)
	}
	b, err := s.begin(ctx, queryID, batchID)
	if err != nil {
		return err
	}
	if err := b.Write(ctx, rows); err != nil {
		b.Abort(ctx)
		return err
	}
	return b.Commit(ctx)
}

// checkBatchIDs refuses an empty query ID or a negative batch ID.
func (s *Sink[T]) checkBatchIDs(queryID string, batchID int64) error {
	if queryID == "" {
		return fmt.Errorf("deltasink: table %s: batch %d: empty query ID", s.table.Location(), batchID)
	}
	if batchID < 0 {
		return fmt.Errorf("deltasink: table %s: batch %d: negative batch ID", s.table.Location(), batchID)
	}
	return nil
}

// setLast records the latest batch's result.
func (s *Sink[T]) setLast(res Result) {
	s.mu.Lock()
	s.last = res
	s.mu.Unlock()
}

// start opens the batch's transaction. When the table already holds the
// batch it returns skipped and the skip's result; otherwise the
// transaction and the schema the commit writes (see prepareSchema).
func (s *Sink[T]) start(ctx context.Context, queryID string, batchID int64) (tx *delta.Transaction, eff *delta.StructType, res Result, skipped bool, err error) {
	res = Result{BatchID: batchID, Version: -1, CommittedVersion: -1}
	tx, err = s.table.Begin(ctx)
	if err != nil {
		return nil, nil, res, false, s.errorf(batchID, "%w", err)
	}
	if snap := tx.Snapshot(); snap != nil {
		if cur, ok := snap.Txns[queryID]; ok && cur.Version >= batchID {
			s.logger.Info("deltasink: batch already committed, skipping",
				"table", s.table.Location(), "queryId", queryID, "batchId", batchID,
				"tableTxnVersion", cur.Version, "tableVersion", snap.Version)
			res.Skipped = true
			res.CommittedVersion = s.holdingVersion(ctx, snap.Version, queryID, batchID)
			return nil, nil, res, true, nil
		}
	}
	eff, err = s.prepareSchema(tx)
	if err != nil {
		return nil, nil, res, false, fmt.Errorf("deltasink: table %s: batch %d: %w", s.table.Location(), batchID, err)
	}
	return tx, eff, res, false, nil
}

// writerOptions are the sink's Parquet writer options, with its clock.
func (s *Sink[T]) writerOptions() delta.WriterOptions {
	wopts := s.cfg.writer
	if wopts.Now == nil {
		wopts.Now = s.now
	}
	return wopts
}

// addUpdateBatch is AddBatch in Update mode: a merge of the batch's rows
// into the files holding their keys.
func (s *Sink[T]) addUpdateBatch(ctx context.Context, queryID string, batchID int64, rows []T) error {
	if err := s.checkBatchIDs(queryID, batchID); err != nil {
		return err
	}
	s.batchMu.Lock()
	defer s.batchMu.Unlock()
	tx, eff, res, skipped, err := s.start(ctx, queryID, batchID)
	if err != nil {
		return err
	}
	if !skipped {
		adds, removes, n, err := s.merge(ctx, tx, eff, rows, s.writerOptions())
		if err != nil {
			s.deleteFiles(ctx, adds)
			return s.errorf(batchID, "%w", err)
		}
		res.NumOutputRows = n
		if res, err = s.commit(ctx, tx, queryID, res, adds, removes); err != nil {
			return err
		}
	}
	s.setLast(res)
	return nil
}

// commit commits the batch's adds and removes with its txn and
// commitInfo. A commit that lost to a concurrent commit of the same batch
// counts as a skipped batch; the files of a commit that certainly did not
// happen are deleted.
func (s *Sink[T]) commit(ctx context.Context, tx *delta.Transaction, queryID string, res Result, adds []*delta.Add, removes []*delta.Remove) (Result, error) {
	batchID := res.BatchID
	tx.Remove(removes...)
	tx.Add(adds...)
	tx.SetTxn(queryID, batchID)
	tx.SetOperation(Operation, map[string]any{
		"outputMode": s.cfg.mode.String(),
		"queryId":    queryID,
		"epochId":    strconv.FormatInt(batchID, 10),
	})
	var bytes, fileRows int64
	for _, a := range adds {
		bytes += a.Size
	}
	fileRows = res.NumOutputRows
	if s.cfg.mode == Update {
		fileRows = countRows(adds, fileRows)
	}
	tx.SetOperationMetrics(map[string]string{
		"numAddedFiles":   strconv.Itoa(len(adds)),
		"numRemovedFiles": strconv.Itoa(len(removes)),
		"numOutputRows":   strconv.FormatInt(fileRows, 10),
		"numOutputBytes":  strconv.FormatInt(bytes, 10),
	})
	version, err := tx.Commit(ctx)
	if err != nil {
		var conflict *delta.ConflictError
		notCommitted := errors.Is(err, delta.ErrTxnAlreadyCommitted) || errors.As(err, &conflict)
		if notCommitted {
			// The commit certainly did not happen: the files are garbage.
			s.deleteFiles(ctx, adds)
		}
		if errors.Is(err, delta.ErrTxnAlreadyCommitted) {
			s.logger.Info("deltasink: batch committed concurrently, skipping",
				"table", s.table.Location(), "queryId", queryID, "batchId", batchID, "err", err)
			res.Skipped = true
			res.NumOutputRows = 0
			if errors.As(err, &conflict) {
				res.CommittedVersion = conflict.Version // the winner holds the batch
			} else {
				res.CommittedVersion = s.holdingVersion(ctx, tx.ReadVersion(), queryID, batchID)
			}
			return res, nil
		}
		return res, fmt.Errorf("deltasink: table %s: batch %d: %w", s.table.Location(), batchID, err)
	}
	res.Version = version
	res.CommittedVersion = version
	res.NumAddedFiles = len(adds)
	res.NumRemovedFiles = len(removes)
	s.logger.Debug("deltasink: batch committed", "table", s.table.Location(), "queryId", queryID,
		"batchId", batchID, "version", version, "mode", s.cfg.mode.String(), "rows", res.NumOutputRows,
		"addedFiles", len(adds), "removedFiles", len(removes))
	return res, nil
}

// countRows sums the numRecords of the adds' stats, or returns fallback
// when a file has none.
func countRows(adds []*delta.Add, fallback int64) int64 {
	var n int64
	for _, a := range adds {
		st, err := delta.ParseStats(a.Stats)
		if a.Stats == "" || err != nil {
			return fallback
		}
		n += st.NumRecords
	}
	return n
}

// removeFor tombstones a file with dataChange; its deletion timestamp is
// left for the commit to set to the commit time.
func removeFor(a *delta.Add) *delta.Remove {
	r := delta.RemoveFor(a, time.Time{}, true)
	r.DeletionTimestamp = nil
	return r
}

// deleteFiles removes data files written for a commit that did not happen.
// Failures are logged: the files are unreferenced either way.
func (s *Sink[T]) deleteFiles(ctx context.Context, adds []*delta.Add) {
	delta.DeleteDataFiles(ctx, s.table.Storage(), adds, func(a *delta.Add, err error) {
		s.logger.Warn("deltasink: cannot delete an uncommitted data file", "table", s.table.Location(),
			"file", a.Path, "err", err)
	})
}

// prepareSchema sets the metadata of a new table, or checks the existing
// table's schema and partition columns against the sink's, adding a
// metadata update when MergeSchema adds columns. It returns the schema the
// commit writes: the table's, plus any added columns at the end.
func (s *Sink[T]) prepareSchema(tx *delta.Transaction) (*delta.StructType, error) {
	snap := tx.Snapshot()
	if snap == nil {
		parts := s.cfg.partitionCols
		if parts == nil {
			parts = []string{}
		}
		tx.SetMetadata(delta.Metadata{SchemaString: s.schema.SchemaString(), PartitionColumns: parts})
		return s.schema, nil
	}
	if !slices.Equal(snap.Metadata.PartitionColumns, s.cfg.partitionCols) {
		return nil, fmt.Errorf("the table is partitioned by %s, the sink by %s",
			listCols(snap.Metadata.PartitionColumns), listCols(s.cfg.partitionCols))
	}
	eff, changed, err := mergeSchemas(snap.Schema, s.schema, s.cfg.mergeSchema)
	if err != nil {
		return nil, err
	}
	if changed {
		m := snap.Metadata
		m.SchemaString = eff.SchemaString()
		tx.SetMetadata(m)
	}
	return eff, nil
}

// listCols formats column names as [a, b], or "no columns".
func listCols(cols []string) string {
	if len(cols) == 0 {
		return "no columns"
	}
	return "[" + strings.Join(cols, ", ") + "]"
}

// mergeSchemas compares the table's schema with the sink's. Every table
// column must be in the sink's schema with the same type (and not be
// nullable there if it is not in the table); a sink column the table
// lacks is appended when merge is set and it is nullable. All differences
// are reported, in table then sink column order.
func mergeSchemas(table, sink *delta.StructType, merge bool) (*delta.StructType, bool, error) {
	var problems []string
	for _, tf := range table.Fields {
		sf, i := sink.Field(tf.Name)
		if i < 0 {
			if alt, ok := fieldFold(sink, tf.Name); ok {
				problems = append(problems, fmt.Sprintf("column %q of the table is %q in the sink's schema (names differ in case)", tf.Name, alt.Name))
			} else {
				problems = append(problems, fmt.Sprintf("column %q (%s) of the table is missing from the sink's schema", tf.Name, tf.Type))
			}
			continue
		}
		if tf.Type.String() != sf.Type.String() {
			problems = append(problems, fmt.Sprintf("column %q has type %s in the table but %s in the sink's schema", tf.Name, tf.Type, sf.Type))
			continue
		}
		if !tf.Nullable && sf.Nullable {
			problems = append(problems, fmt.Sprintf("column %q is not nullable in the table but nullable in the sink's schema", tf.Name))
		}
	}
	eff := &delta.StructType{Fields: slices.Clone(table.Fields)}
	for _, sf := range sink.Fields {
		if _, i := table.Field(sf.Name); i >= 0 {
			continue
		}
		if _, ok := fieldFold(table, sf.Name); ok {
			continue // reported above
		}
		switch {
		case !merge:
			problems = append(problems, fmt.Sprintf("column %q (%s) is not in the table's schema (MergeSchema is off)", sf.Name, sf.Type))
		case !sf.Nullable:
			problems = append(problems, fmt.Sprintf("column %q (%s) is not nullable: MergeSchema only adds nullable columns", sf.Name, sf.Type))
		default:
			eff.Fields = append(eff.Fields, sf)
		}
	}
	if len(problems) > 0 {
		return nil, false, fmt.Errorf("schema mismatch: %s", strings.Join(problems, "; "))
	}
	return eff, len(eff.Fields) > len(table.Fields), nil
}

// fieldFold finds a field whose name equals name case-insensitively.
func fieldFold(s *delta.StructType, name string) (delta.StructField, bool) {
	for _, f := range s.Fields {
		if strings.EqualFold(f.Name, name) {
			return f, true
		}
	}
	return delta.StructField{}, false
}

// merge writes Update mode's files: it converts the batch's rows to
// generic rows aligned with eff (the last row of a repeated key wins),
// reads every active file, removes those holding a changed key and writes
// their other rows again together with the new rows. It returns the adds
// (also on a write error, for clean-up), the removes and the number of
// new rows.
func (s *Sink[T]) merge(ctx context.Context, tx *delta.Transaction, eff *delta.StructType, rows []T, wopts delta.WriterOptions) ([]*delta.Add, []*delta.Remove, int64, error) {
	// Position of each sink column in eff.
	pos := make([]int, len(s.schema.Fields))
	for i, f := range s.schema.Fields {
		_, pos[i] = eff.Field(f.Name)
	}
	keyIdx := make([]int, len(s.cfg.keyColumns))
	for i, k := range s.cfg.keyColumns {
		_, keyIdx[i] = eff.Field(k)
	}
	var out []delta.Row
	byKey := map[string]int{}
	for i := range rows {
		g := s.toRow(&rows[i])
		if len(g) != len(s.schema.Fields) {
			return nil, nil, 0, fmt.Errorf("ToRow returned %d values for row %d, the sink's schema has %d columns", len(g), i, len(s.schema.Fields))
		}
		r := make(delta.Row, len(eff.Fields))
		for j, v := range g {
			r[pos[j]] = v
		}
		k, err := encodeKey(r, keyIdx)
		if err != nil {
			return nil, nil, 0, fmt.Errorf("row %d: %w", i, err)
		}
		if j, ok := byKey[k]; ok {
			out[j] = r
			continue
		}
		byKey[k] = len(out)
		out = append(out, r)
	}
	newRows := int64(len(out))
	var removes []*delta.Remove
	if snap := tx.Snapshot(); snap != nil && len(out) > 0 {
		tx.ReadWholeTable()
		for _, a := range snap.Files {
			old, err := snap.ReadFile(ctx, a)
			if err != nil {
				return nil, nil, 0, err
			}
			hit := false
			kept := make([]delta.Row, 0, len(old))
			for _, r := range old {
				k, err := encodeKey(r, keyIdx)
				if err != nil {
					return nil, nil, 0, fmt.Errorf("file %s: %w", a.Path, err)
				}
				if _, ok := byKey[k]; ok {
					hit = true
					continue
				}
				if len(r) < len(eff.Fields) { // columns added by this commit
					r = append(r, make(delta.Row, len(eff.Fields)-len(r))...)
				}
				kept = append(kept, r)
			}
			if !hit {
				continue
			}
			tx.ReadFiles(a)
			removes = append(removes, removeFor(a))
			out = append(out, kept...)
		}
	}
	adds, err := delta.WriteRows(ctx, s.table.Storage(), eff, s.cfg.partitionCols, out, wopts)
	if err != nil {
		return adds, nil, 0, err
	}
	return adds, removes, newRows, nil
}

// encodeKey returns the canonical encoding of a row's key columns. Values
// of one logical value encode alike whatever their Go type: every integer
// as int64, float32 as float64, times in UTC microseconds, decimals as
// reduced fractions.
func encodeKey(r delta.Row, idx []int) (string, error) {
	var b strings.Builder
	for _, i := range idx {
		if i >= len(r) {
			b.WriteString("N;")
			continue
		}
		switch v := r[i].(type) {
		case nil:
			b.WriteString("N")
		case string:
			fmt.Fprintf(&b, "S%d:%s", len(v), v)
		case []byte:
			fmt.Fprintf(&b, "B%d:%s", len(v), v)
		case bool:
			fmt.Fprintf(&b, "Z%t", v)
		case int:
			fmt.Fprintf(&b, "I%d", v)
		case int64:
			fmt.Fprintf(&b, "I%d", v)
		case int32:
			fmt.Fprintf(&b, "I%d", v)
		case int16:
			fmt.Fprintf(&b, "I%d", v)
		case int8:
			fmt.Fprintf(&b, "I%d", v)
		case float64:
			fmt.Fprintf(&b, "F%s", strconv.FormatFloat(v, 'g', -1, 64))
		case float32:
			fmt.Fprintf(&b, "F%s", strconv.FormatFloat(float64(v), 'g', -1, 64))
		case time.Time:
			fmt.Fprintf(&b, "T%d", v.UnixMicro())
		case delta.DateValue:
			fmt.Fprintf(&b, "D%d", int32(v))
		case delta.Decimal:
			if v.Unscaled == nil {
				b.WriteString("N")
				break
			}
			q := new(big.Rat).SetFrac(v.Unscaled, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(v.Scale)), nil))
			fmt.Fprintf(&b, "M%s", q.RatString())
		default:
			return "", fmt.Errorf("key column %d has a value of type %T, which cannot be a key", i, v)
		}
		b.WriteByte(';')
	}
	return b.String(), nil
}
