package kafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamgen/streamgen/runtime/kafkaconn"
)

// Config says where and how rows of type T are written.
type Config[T any] struct {
	// Conn says how to reach the cluster: brokers, TLS, SASL.
	Conn kafkaconn.Conn
	// Topic is the topic the records go to. It must exist: the sink
	// does not create topics.
	Topic string
	// Value appends r's JSON value to dst and returns the extended
	// slice (a generated encoder). Required.
	Value func(dst []byte, r *T) []byte
	// Key appends r's key to dst and returns the extended slice. Nil
	// means records without a key (spread over the partitions by
	// franz-go's sticky partitioner); with a key, the partition is
	// murmur2(key) modulo the number of partitions, as with the Java
	// client.
	Key func(dst []byte, r *T) []byte
	// Headers returns r's record headers. Nil means no headers. The
	// sink copies the values: they may point into r.
	Headers func(r *T) []Header
	// ExactlyOnce writes each batch in one Kafka transaction and
	// records the batch ID in it, so that a re-run of a committed batch
	// writes nothing (see the package documentation). False, the
	// default, is at-least-once.
	ExactlyOnce bool
	// TransactionalID is the producer's transactional ID, in
	// exactly-once mode only. Empty means "streamgen-" + queryID + "-" +
	// Topic, fixed at the first BeginBatch. It must be stable across
	// restarts of the query (that is what fences a crashed instance) and
	// unique to it.
	TransactionalID string
	// Logger receives the sink's logs; nil means slog.Default().
	Logger *slog.Logger
	// ClientOpts are extra franz-go client options, applied after the
	// sink's own (timeouts, linger, batch sizes, tests).
	ClientOpts []kgo.Opt
}

// Header is a record header.
type Header struct {
	Key   string
	Value []byte
}

// Sink writes rows of type T to a Kafka topic, one micro-batch at a time
// through [Sink.BeginBatch]. Batches are written one after another: a
// BeginBatch waits until the previous batch's writer is committed or
// aborted. Close the sink when the query is done.
type Sink[T any] struct {
	cfg    Config[T]
	logger *slog.Logger
	conn   []kgo.Opt   // the connection's options (before cfg.ClientOpts)
	cl     *kgo.Client // at-least-once producing; metadata and offsets in both modes
	adm    *kadm.Client

	batchMu sync.Mutex // held from BeginBatch to Commit or Abort

	// Exactly-once state, guarded by batchMu.
	txcl      *kgo.Client // the transactional producer, created at the first BeginBatch
	txnID     string
	queryID   string // the query that fixed txnID
	lastKnown bool   // lastBatch is what the cluster holds
	lastQuery string // the query of the last committed batch, "" when none
	lastBatch int64  // the last committed batch, -1 when none

	mu   sync.Mutex // guards last
	last Result
}

// Result describes what the latest committed batch did.
type Result struct {
	// BatchID is the batch; -1 before the first.
	BatchID int64
	// Skipped reports that the batch was not written because the topic
	// already held it (exactly-once mode only).
	Skipped bool
	// NumRecords and NumBytes count the records written and their bytes
	// (keys, values, header keys and values).
	NumRecords, NumBytes int64
	// CommittedBatchID is, in exactly-once mode, the last batch the
	// topic's transactions record after this one: the batch itself when
	// it wrote records, an earlier one for a skipped or empty batch (-1
	// when none).
	CommittedBatchID int64
}

// The keys of the sink's progress metrics (SinkProgress.Metrics), as
// Metrics returns them.
const (
	MetricRecordsWritten   = "numRecordsWritten"
	MetricBytesWritten     = "numBytesWritten"
	MetricBatchSkipped     = "batchSkipped"
	MetricCommittedBatchID = "committedBatchId"
)

// New returns a sink for cfg. It connects to the cluster to check that
// the topic exists (and that authentication works), so that a wrong
// topic name or password is reported before the query starts.
func New[T any](ctx context.Context, cfg Config[T]) (*Sink[T], error) {
	fail := func(format string, args ...any) (*Sink[T], error) {
		return nil, fmt.Errorf("kafka sink: "+format, args...)
	}
	switch {
	case cfg.Topic == "":
		return fail("no topic")
	case cfg.Value == nil:
		return fail("topic %s: no value encoder (Config.Value)", cfg.Topic)
	case !cfg.ExactlyOnce && cfg.TransactionalID != "":
		return fail("topic %s: TransactionalID %q is set but ExactlyOnce is not", cfg.Topic, cfg.TransactionalID)
	}
	conn, err := cfg.Conn.Opts()
	if err != nil {
		return fail("topic %s: %w", cfg.Topic, err)
	}
	s := &Sink[T]{cfg: cfg, logger: cfg.Logger, lastBatch: -1, last: Result{BatchID: -1, CommittedBatchID: -1}}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	s.logger = s.logger.With("sink", s.Description())
	s.conn = conn
	if s.cl, err = s.newClient(); err != nil {
		return fail("topic %s: client for %s: %w", cfg.Topic, cfg.Conn, err)
	}
	s.adm = kadm.NewClient(s.cl)
	if err := s.checkTopic(ctx); err != nil {
		s.cl.Close()
		return nil, err
	}
	return s, nil
}

// checkTopic fails unless the topic exists.
func (s *Sink[T]) checkTopic(ctx context.Context) error {
	topics, err := s.adm.ListTopics(ctx, s.cfg.Topic)
	if err != nil {
		return fmt.Errorf("kafka sink: topic %s: metadata from %s: %w%s", s.cfg.Topic, s.cfg.Conn, err, s.authHint(err))
	}
	d, ok := topics[s.cfg.Topic]
	switch {
	case !ok || errors.Is(d.Err, kerr.UnknownTopicOrPartition):
		return fmt.Errorf("kafka sink: topic %s does not exist (the sink does not create topics: create it first)", s.cfg.Topic)
	case d.Err != nil:
		return fmt.Errorf("kafka sink: topic %s: %w", s.cfg.Topic, d.Err)
	}
	return nil
}

// authHint explains an error that a failed SASL authentication may
// cause: Kafka answers SASL_AUTHENTICATION_FAILED, and some brokers
// (kfake, proxies) close the connection instead.
func (s *Sink[T]) authHint(err error) string {
	if s.cfg.Conn.SASL == nil {
		return ""
	}
	if errors.Is(err, kerr.SaslAuthenticationFailed) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Sprintf(" (SASL %s authentication of user %s failed? check the mechanism, the user and the password %v)",
			strings.ToUpper(s.cfg.Conn.SASL.Mechanism), s.cfg.Conn.SASL.User, s.cfg.Conn.SASL.Password)
	}
	return ""
}

// Description returns the sink's description for progress reports:
// "KafkaSink[<topic>]", or "KafkaSink[<topic>, exactly-once]".
func (s *Sink[T]) Description() string {
	if s.cfg.ExactlyOnce {
		return "KafkaSink[" + s.cfg.Topic + ", exactly-once]"
	}
	return "KafkaSink[" + s.cfg.Topic + "]"
}

// LastResult returns what the latest committed batch did; its BatchID is
// -1 before the first.
func (s *Sink[T]) LastResult() Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// Metrics returns the latest committed batch's result as progress
// metrics, for stream.BatchResult.SinkMetrics: numRecordsWritten and
// numBytesWritten (0 for a skipped batch), batchSkipped ("true" or
// "false") and, in exactly-once mode, committedBatchId (Result's
// CommittedBatchID). It returns nil before the first Commit.
func (s *Sink[T]) Metrics() map[string]string {
	r := s.LastResult()
	if r.BatchID < 0 {
		return nil
	}
	m := map[string]string{
		MetricRecordsWritten: strconv.FormatInt(r.NumRecords, 10),
		MetricBytesWritten:   strconv.FormatInt(r.NumBytes, 10),
		MetricBatchSkipped:   strconv.FormatBool(r.Skipped),
	}
	if s.cfg.ExactlyOnce {
		m[MetricCommittedBatchID] = strconv.FormatInt(r.CommittedBatchID, 10)
	}
	return m
}

// TransactionalID returns the transactional ID of the exactly-once
// producer, "" before the first BeginBatch and in at-least-once mode.
func (s *Sink[T]) TransactionalID() string {
	s.batchMu.Lock()
	defer s.batchMu.Unlock()
	return s.txnID
}

// Close closes the sink's clients. Records of a batch that was neither
// committed nor aborted may be lost (at-least-once) or are aborted by the
// next producer with the same transactional ID, or the transaction
// timeout (exactly-once).
func (s *Sink[T]) Close() {
	if s.txcl != nil {
		s.txcl.Close()
	}
	s.cl.Close()
}

// errorf returns an error of batch batchID with the sink's prefix.
func (s *Sink[T]) errorf(batchID int64, format string, args ...any) error {
	return fmt.Errorf("kafka sink: batch %d: "+format, append([]any{batchID}, args...)...)
}

// setLast records a committed batch's result.
func (s *Sink[T]) setLast(r Result) {
	s.mu.Lock()
	s.last = r
	s.mu.Unlock()
}

// newClient returns a client with the connection's options, extra, then
// cfg.ClientOpts.
func (s *Sink[T]) newClient(extra ...kgo.Opt) (*kgo.Client, error) {
	opts := make([]kgo.Opt, 0, len(s.conn)+len(extra)+len(s.cfg.ClientOpts))
	opts = append(append(append(opts, s.conn...), extra...), s.cfg.ClientOpts...)
	return kgo.NewClient(opts...)
}

// defaultTransactionalID is the transactional ID of query queryID's sink
// to topic.
func defaultTransactionalID(queryID, topic string) string {
	return "streamgen-" + queryID + "-" + topic
}
