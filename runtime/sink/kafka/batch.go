package kafka

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// abortTimeout bounds Abort, which runs on a context that is often
// already canceled (the query stopping).
const abortTimeout = 30 * time.Second

// BatchWriter writes the rows of one micro-batch. Start one with
// [Sink.BeginBatch]; end it with Commit or Abort (deferring Abort is
// safe: it does nothing after Commit). A BatchWriter is not safe for
// concurrent use.
type BatchWriter[T any] struct {
	s       *Sink[T]
	queryID string
	batchID int64
	cl      *kgo.Client // the producer: s.cl, or s.txcl in exactly-once mode
	skipped bool        // the topic already holds the batch
	ended   bool

	promiseFn func(*kgo.Record, error) // w.promise

	errMu   sync.Mutex
	prodErr error // the first produce error
	records atomic.Int64
	bytes   atomic.Int64
	sent    int64 // records handed to the producer
}

// errEnded is returned by the methods of a committed or aborted batch.
var errEnded = errors.New("the batch was already committed or aborted")

// BeginBatch starts batch batchID of query queryID. In exactly-once mode
// it first fences any earlier producer with the same transactional ID
// (aborting its open transaction) and reads the last batch the topic's
// transactions recorded: when the topic already holds this batch (or a
// later one) of the query, the writer is skipped: Write discards the
// rows and Commit records the skip. Otherwise it begins the batch's
// transaction. Until the batch's Commit or Abort, other batches of the
// sink wait.
func (s *Sink[T]) BeginBatch(ctx context.Context, queryID string, batchID int64) (*BatchWriter[T], error) {
	if batchID < 0 {
		return nil, s.errorf(batchID, "negative batch ID")
	}
	s.batchMu.Lock()
	w := &BatchWriter[T]{s: s, queryID: queryID, batchID: batchID, cl: s.cl}
	w.promiseFn = w.promise
	if !s.cfg.ExactlyOnce {
		return w, nil
	}
	if err := s.beginTxn(ctx, w); err != nil {
		s.batchMu.Unlock()
		return nil, err
	}
	return w, nil
}

// Skipped reports whether the topic already holds the batch, so that
// Write discards its rows (exactly-once mode only).
func (w *BatchWriter[T]) Skipped() bool { return w.skipped }

// Write encodes rows into records and hands them to the producer, which
// sends them in the background; Commit waits for them. The caller may
// reuse rows, and the memory their strings and slices point to, as soon
// as Write returns. Write blocks while the producer's buffer is full. It
// returns the first error of a record already sent, if any; the batch
// must then be aborted (Commit returns the error too).
func (w *BatchWriter[T]) Write(ctx context.Context, rows []T) error {
	switch {
	case w.ended:
		return w.s.errorf(w.batchID, "%w", errEnded)
	case w.skipped:
		return nil
	}
	if err := w.produceErr(); err != nil {
		return err
	}
	cfg := &w.s.cfg
	// One arena per call: the producer keeps the slices until the
	// records are acknowledged, so it is never reused.
	var arena []byte
	for i := range rows {
		r := &rows[i]
		rec := &kgo.Record{Topic: cfg.Topic}
		start := len(arena)
		arena = cfg.Value(arena, r)
		rec.Value = arena[start:len(arena):len(arena)]
		if rec.Value == nil {
			rec.Value = []byte{} // a value, never a tombstone
		}
		if cfg.Key != nil {
			start = len(arena)
			arena = cfg.Key(arena, r)
			rec.Key = arena[start:len(arena):len(arena)]
			if rec.Key == nil {
				rec.Key = []byte{}
			}
		}
		if cfg.Headers != nil {
			hs := cfg.Headers(r)
			if len(hs) > 0 {
				rec.Headers = make([]kgo.RecordHeader, len(hs))
				for j, h := range hs {
					start = len(arena)
					arena = append(arena, h.Value...)
					rec.Headers[j] = kgo.RecordHeader{Key: h.Key, Value: arena[start:len(arena):len(arena)]}
				}
			}
		}
		w.sent++
		w.cl.Produce(ctx, rec, w.promiseFn)
		if i%1024 == 1023 {
			if err := w.produceErr(); err != nil {
				return err
			}
		}
	}
	return w.produceErr()
}

// promise is the producer's callback for each record.
func (w *BatchWriter[T]) promise(r *kgo.Record, err error) {
	if err != nil {
		w.setProduceErr(err)
		return
	}
	w.records.Add(1)
	w.bytes.Add(recordBytes(r))
}

// recordBytes is the size of r's key, value and headers.
func recordBytes(r *kgo.Record) int64 {
	n := len(r.Key) + len(r.Value)
	for _, h := range r.Headers {
		n += len(h.Key) + len(h.Value)
	}
	return int64(n)
}

// setProduceErr keeps the first produce error.
func (w *BatchWriter[T]) setProduceErr(err error) {
	w.errMu.Lock()
	if w.prodErr == nil {
		w.prodErr = err
	}
	w.errMu.Unlock()
}

// produceErr returns the first produce error, wrapped, or nil.
func (w *BatchWriter[T]) produceErr() error {
	w.errMu.Lock()
	err := w.prodErr
	w.errMu.Unlock()
	if err == nil {
		return nil
	}
	return w.s.errorf(w.batchID, "produce to %s: %w", w.s.cfg.Topic, err)
}

// flush waits until every record handed to the producer is acknowledged
// and returns the first produce error.
func (w *BatchWriter[T]) flush(ctx context.Context) error {
	if err := w.cl.Flush(ctx); err != nil {
		return w.s.errorf(w.batchID, "flush to %s: %w", w.s.cfg.Topic, err)
	}
	if err := w.produceErr(); err != nil {
		return err
	}
	if n := w.records.Load(); n != w.sent {
		return w.s.errorf(w.batchID, "produce to %s: %d of %d records acknowledged", w.s.cfg.Topic, n, w.sent)
	}
	return nil
}

// Commit makes the batch durable. At-least-once: it waits until every
// record is acknowledged by the brokers (acks=all) and returns the first
// produce error. Exactly-once: it also records the batch ID in the
// transaction and commits it. It records the batch's result for
// [Sink.LastResult] and [Sink.Metrics]; for a skipped batch it only
// records the skip. On an error the batch is aborted.
func (w *BatchWriter[T]) Commit(ctx context.Context) error {
	if w.ended {
		return w.s.errorf(w.batchID, "%w", errEnded)
	}
	s := w.s
	res := Result{BatchID: w.batchID, Skipped: w.skipped}
	var err error
	switch {
	case w.skipped:
	case s.cfg.ExactlyOnce:
		err = w.commitTxn(ctx)
	default:
		err = w.flush(ctx)
	}
	if err != nil {
		w.abort(ctx)
		return err
	}
	w.ended = true
	defer s.batchMu.Unlock()
	res.NumRecords, res.NumBytes = w.records.Load(), w.bytes.Load()
	res.CommittedBatchID = -1
	if s.cfg.ExactlyOnce {
		res.CommittedBatchID = s.lastBatch
	}
	s.setLast(res)
	s.logger.Debug("kafka sink: batch committed", "batch", w.batchID, "records", res.NumRecords, "bytes", res.NumBytes, "skipped", res.Skipped)
	return nil
}

// Abort abandons the batch. Exactly-once: the transaction is aborted, so
// read_committed consumers never see its records. At-least-once: the
// records not yet sent are dropped, but those already written stay (a
// re-run of the batch writes them again). It does nothing after Commit.
func (w *BatchWriter[T]) Abort(ctx context.Context) {
	if w.ended {
		return
	}
	w.abort(ctx)
}

// abort ends the batch without committing it.
func (w *BatchWriter[T]) abort(ctx context.Context) {
	w.ended = true
	defer w.s.batchMu.Unlock()
	if w.skipped {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
	defer cancel()
	if err := w.cl.AbortBufferedRecords(ctx); err != nil {
		w.s.logger.Warn("kafka sink: abort buffered records", "batch", w.batchID, "err", err)
	}
	if w.s.cfg.ExactlyOnce {
		w.s.abortTxn(ctx, w.batchID)
	}
}

// String describes the writer for logs.
func (w *BatchWriter[T]) String() string {
	return fmt.Sprintf("%s batch %d", w.s.Description(), w.batchID)
}
