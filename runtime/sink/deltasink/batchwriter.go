package deltasink

import (
	"context"
	"errors"
	"fmt"

	"github.com/streamgen/streamgen/runtime/delta"
)

// BatchWriter streams the rows of one micro-batch into the table: rows
// are encoded into Parquet files as they are written (see
// [delta.TypedWriter]), so the batch is never held in memory, and
// [BatchWriter.Commit] makes them one commit, exactly as [Sink.AddBatch]
// does with the same rows (same actions, txn, commitInfo, metrics and
// exactly-once handling). Start one with [Sink.BeginBatch]; end it with
// Commit or Abort (deferring Abort is safe: it does nothing after
// Commit). A BatchWriter is not safe for concurrent use.
type BatchWriter[T any] struct {
	s       *Sink[T]
	queryID string
	res     Result
	tx      *delta.Transaction    // nil when skipped
	w       *delta.TypedWriter[T] // nil when skipped
	removes []*delta.Remove
	err     error // a failed Write's error
	ended   bool
}

// BeginBatch starts batch batchID of query queryID, in Append or
// Complete mode (Complete: Commit also removes every file the table held;
// Update mode needs the whole batch to find the changed keys: use
// AddBatch). It opens the transaction and checks the table's schema; when
// the table
// already holds the batch (or a later one) of the query, the batch is
// skipped: Write discards the rows and Commit records the skip in
// LastResult and Metrics as AddBatch does. Until the batch's Commit or
// Abort, other batches of the sink wait.
func (s *Sink[T]) BeginBatch(ctx context.Context, queryID string, batchID int64) (*BatchWriter[T], error) {
	if s.cfg.mode == Update {
		return nil, fmt.Errorf("deltasink: table %s: batch %d: BeginBatch needs Append or Complete mode, the sink is in %s mode (use AddBatch)",
			s.table.Location(), batchID, s.cfg.mode)
	}
	return s.begin(ctx, queryID, batchID)
}

// begin is BeginBatch for Append and Complete modes (AddBatch's path).
func (s *Sink[T]) begin(ctx context.Context, queryID string, batchID int64) (*BatchWriter[T], error) {
	if err := s.checkBatchIDs(queryID, batchID); err != nil {
		return nil, err
	}
	s.batchMu.Lock()
	tx, eff, res, skipped, err := s.start(ctx, queryID, batchID)
	if err != nil {
		s.batchMu.Unlock()
		return nil, err
	}
	b := &BatchWriter[T]{s: s, queryID: queryID, res: res}
	if skipped {
		return b, nil
	}
	b.w, err = delta.NewTypedWriter(s.table.Storage(), eff, delta.TypedWriterOptions[T]{
		WriterOptions:    s.writerOptions(),
		PartitionColumns: s.cfg.partitionCols,
		PartitionValues:  s.partitionValues,
	})
	if err != nil {
		s.batchMu.Unlock()
		return nil, s.errorf(batchID, "%w", err)
	}
	b.tx = tx
	if snap := tx.Snapshot(); s.cfg.mode == Complete && snap != nil {
		tx.ReadWholeTable()
		for _, a := range snap.Files {
			b.removes = append(b.removes, removeFor(a))
		}
	}
	return b, nil
}

// Skipped reports whether the table already holds the batch, so that
// Write discards its rows.
func (b *BatchWriter[T]) Skipped() bool { return b.res.Skipped }

// errEnded is returned by the methods of a committed or aborted batch.
var errEnded = errors.New("the batch was already committed or aborted")

// Write writes rows of the batch into new data files. The caller may
// reuse rows, and the memory their strings and slices point to, as soon
// as Write returns. A failed Write aborts the batch (its files are
// deleted); Commit then returns the error.
func (b *BatchWriter[T]) Write(ctx context.Context, rows []T) error {
	switch {
	case b.err != nil:
		return b.err
	case b.ended:
		return b.s.errorf(b.res.BatchID, "%w", errEnded)
	case b.w == nil: // skipped
		return nil
	}
	if err := b.w.Write(ctx, rows); err != nil {
		b.err = b.s.errorf(b.res.BatchID, "%w", err)
		b.Abort(ctx)
		return b.err
	}
	return nil
}

// Commit commits the batch's files as one commit of the table (see
// [Sink.AddBatch]) and records its result for [Sink.LastResult] and
// [Sink.Metrics]; for a skipped batch it only records the skip. On an
// error the files are deleted unless the commit may have happened.
func (b *BatchWriter[T]) Commit(ctx context.Context) error {
	if b.err != nil {
		return b.err
	}
	if b.ended {
		return b.s.errorf(b.res.BatchID, "%w", errEnded)
	}
	b.ended = true
	s := b.s
	defer s.batchMu.Unlock()
	res := b.res
	if b.w != nil {
		adds, err := b.w.Close(ctx)
		if err != nil {
			return s.errorf(res.BatchID, "%w", err)
		}
		res.NumOutputRows = b.w.NumRows()
		if res, err = s.commit(ctx, b.tx, b.queryID, res, adds, b.removes); err != nil {
			return err
		}
	}
	s.setLast(res)
	return nil
}

// Abort abandons the batch: the files written so far are deleted and
// nothing is committed or recorded. It does nothing after Commit.
func (b *BatchWriter[T]) Abort(ctx context.Context) {
	if b.ended {
		return
	}
	b.ended = true
	if b.w != nil {
		b.w.Abort(ctx)
	}
	b.s.batchMu.Unlock()
}
