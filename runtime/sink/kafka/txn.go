package kafka

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"
)

// The exactly-once protocol. Each batch is one transaction of the
// producer with the sink's transactional ID. A batch that wrote records
// also commits, in its transaction, the offset batchID+1 of the sink's
// topic, partition 0, for the consumer group named like the
// transactional ID (no consumer ever joins it), with batchMarker JSON as
// the offset's metadata. Kafka makes the offset visible exactly when the
// transaction's records are, so the group's committed offset is the last
// batch whose records are in the topic.

// batchMarker is the metadata of the offset that records a batch.
type batchMarker struct {
	Writer  string `json:"writer"` // markerWriter
	QueryID string `json:"queryId"`
	BatchID int64  `json:"batchId"`
}

// markerWriter identifies the sink's offsets.
const markerWriter = "streamgen-kafka-sink"

// Retry bounds for the transaction coordinator's transient answers
// (CONCURRENT_TRANSACTIONS while a previous transaction completes,
// UNSTABLE_OFFSET_COMMIT while a fenced one is aborted).
const (
	retryBackoff = 20 * time.Millisecond
	retryMax     = 2 * time.Second
	retryFor     = 2 * time.Minute
)

// transactionalVersions caps the protocol versions of the transactional
// client below KIP-890 part 2 (EndTxn v5, TxnOffsetCommit v5): the sink
// adds its offsets to the transaction itself, with AddOffsetsToTxn then
// TxnOffsetCommit by topic name, the protocol every Kafka since 0.11
// honours (franz-go only issues those requests for a group consumer).
func transactionalVersions() *kversion.Versions {
	v := kversion.Stable()
	for _, k := range []int16{int16(kmsg.EndTxn), int16(kmsg.TxnOffsetCommit)} {
		if max, ok := v.LookupMaxKeyVersion(k); ok && max > 4 {
			v.SetMaxKeyVersion(k, 4)
		}
	}
	return v
}

// beginTxn is BeginBatch in exactly-once mode, with batchMu held.
func (s *Sink[T]) beginTxn(ctx context.Context, w *BatchWriter[T]) error {
	if s.txcl == nil {
		id := s.cfg.TransactionalID
		if id == "" {
			id = defaultTransactionalID(w.queryID, s.cfg.Topic)
		}
		cl, err := s.newClient(kgo.TransactionalID(id), kgo.MaxVersions(transactionalVersions()))
		if err != nil {
			return s.errorf(w.batchID, "transactional producer %s: %w", id, err)
		}
		s.txcl, s.txnID, s.queryID = cl, id, w.queryID
	} else if s.cfg.TransactionalID == "" && w.queryID != s.queryID {
		return s.errorf(w.batchID, "query %s: the sink's transactional ID %s is that of query %s (use one sink per query)",
			w.queryID, s.txnID, s.queryID)
	}
	w.cl = s.txcl
	// The first call initializes the producer ID, which fences an
	// earlier producer with the same transactional ID and aborts its
	// open transaction.
	if _, _, err := s.txcl.ProducerID(ctx); err != nil {
		return s.errorf(w.batchID, "transactional producer %s: %w", s.txnID, err)
	}
	if !s.lastKnown {
		if err := s.fetchLast(ctx); err != nil {
			return s.errorf(w.batchID, "%w", err)
		}
	}
	if s.lastQuery == w.queryID && w.batchID <= s.lastBatch {
		w.skipped = true
		s.logger.Info("kafka sink: the topic already holds the batch, skipping it",
			"batch", w.batchID, "committedBatch", s.lastBatch, "transactionalId", s.txnID)
		return nil
	}
	if err := s.txcl.BeginTransaction(); err != nil {
		return s.errorf(w.batchID, "begin transaction %s: %w", s.txnID, err)
	}
	return nil
}

// fetchLast reads the last batch the sink's transactions recorded.
func (s *Sink[T]) fetchLast(ctx context.Context) error {
	var resps kadm.OffsetResponses
	err := retry(ctx, func() error {
		var err error
		resps, err = s.adm.FetchOffsets(kadm.RequireStable(ctx), s.txnID)
		if errors.Is(err, kerr.GroupIDNotFound) { // no batch recorded yet
			resps, err = nil, nil
		}
		if err != nil {
			return err
		}
		if o, ok := resps.Lookup(s.cfg.Topic, 0); ok && o.Err != nil {
			return o.Err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("fetch the last committed batch (group %s): %w", s.txnID, err)
	}
	s.lastQuery, s.lastBatch = "", -1
	o, ok := resps.Lookup(s.cfg.Topic, 0)
	if ok && o.At >= 0 {
		var m batchMarker
		if err := json.Unmarshal([]byte(o.Metadata), &m); err != nil || m.Writer != markerWriter || m.BatchID+1 != o.At {
			return fmt.Errorf("group %s holds offset %d for %s/0 with metadata %q, which the Kafka sink did not write: use another transactional ID",
				s.txnID, o.At, s.cfg.Topic, o.Metadata)
		}
		s.lastQuery, s.lastBatch = m.QueryID, m.BatchID
	}
	s.lastKnown = true
	s.logger.Debug("kafka sink: last committed batch", "transactionalId", s.txnID, "query", s.lastQuery, "batch", s.lastBatch)
	return nil
}

// commitTxn is Commit in exactly-once mode.
func (w *BatchWriter[T]) commitTxn(ctx context.Context) error {
	s := w.s
	if err := w.flush(ctx); err != nil {
		return err
	}
	if w.sent > 0 {
		if err := s.recordBatch(ctx, w.queryID, w.batchID); err != nil {
			return s.errorf(w.batchID, "record the batch in transaction %s: %w", s.txnID, err)
		}
	}
	s.lastKnown = false // until the commit is known
	if err := s.txcl.EndTransaction(ctx, kgo.TryCommit); err != nil {
		return s.errorf(w.batchID, "commit transaction %s: %w", s.txnID, err)
	}
	if w.sent > 0 {
		s.lastQuery, s.lastBatch = w.queryID, w.batchID
	}
	s.lastKnown = true
	return nil
}

// abortTxn aborts the open transaction.
func (s *Sink[T]) abortTxn(ctx context.Context, batchID int64) {
	if err := s.txcl.EndTransaction(ctx, kgo.TryAbort); err != nil {
		s.lastKnown = false
		s.logger.Warn("kafka sink: abort transaction", "batch", batchID, "transactionalId", s.txnID, "err", err)
	}
}

// recordBatch adds the offset recording the batch to the open
// transaction.
func (s *Sink[T]) recordBatch(ctx context.Context, queryID string, batchID int64) error {
	id, epoch, err := s.txcl.ProducerID(ctx)
	if err != nil {
		return err
	}
	meta, err := json.Marshal(batchMarker{Writer: markerWriter, QueryID: queryID, BatchID: batchID})
	if err != nil {
		return err
	}
	err = retry(ctx, func() error {
		req := kmsg.NewPtrAddOffsetsToTxnRequest()
		req.TransactionalID, req.ProducerID, req.ProducerEpoch, req.Group = s.txnID, id, epoch, s.txnID
		resp, err := req.RequestWith(ctx, s.txcl)
		if err != nil {
			return err
		}
		return kerr.ErrorForCode(resp.ErrorCode)
	})
	if err != nil {
		return fmt.Errorf("add offsets to transaction: %w", err)
	}
	return retry(ctx, func() error {
		req := kmsg.NewPtrTxnOffsetCommitRequest()
		req.TransactionalID, req.Group, req.ProducerID, req.ProducerEpoch = s.txnID, s.txnID, id, epoch
		req.Generation, req.MemberID = -1, "" // not a group member: an "admin" commit
		p := kmsg.NewTxnOffsetCommitRequestTopicPartition()
		p.Partition, p.Offset, p.LeaderEpoch = 0, batchID+1, -1
		m := string(meta)
		p.Metadata = &m
		t := kmsg.NewTxnOffsetCommitRequestTopic()
		t.Topic, t.Partitions = s.cfg.Topic, []kmsg.TxnOffsetCommitRequestTopicPartition{p}
		req.Topics = []kmsg.TxnOffsetCommitRequestTopic{t}
		resp, err := req.RequestWith(ctx, s.txcl)
		if err != nil {
			return err
		}
		for _, rt := range resp.Topics {
			for _, rp := range rt.Partitions {
				if err := kerr.ErrorForCode(rp.ErrorCode); err != nil {
					return fmt.Errorf("commit offset of %s/%d: %w", rt.Topic, rp.Partition, err)
				}
			}
		}
		if len(resp.Topics) == 0 {
			return errors.New("commit offset: empty response")
		}
		return nil
	})
}

// retry calls fn until it succeeds, fails with an error that is neither
// a retriable Kafka error nor CONCURRENT_TRANSACTIONS, or retryFor has
// passed.
func retry(ctx context.Context, fn func() error) error {
	deadline := time.Now().Add(retryFor)
	backoff := retryBackoff
	for {
		err := fn()
		var ke *kerr.Error
		if err == nil || !errors.As(err, &ke) || !(ke.Retriable || ke == kerr.ConcurrentTransactions) || time.Now().After(deadline) {
			return err
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (retrying after %w)", ctx.Err(), err)
		case <-t.C:
		}
		backoff = min(2*backoff, retryMax)
	}
}
