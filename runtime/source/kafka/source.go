package kafka

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamgen/streamgen/runtime/checkpoint"
	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/stream"
	"github.com/streamgen/streamgen/runtime/streamimpl"
)

// Source is the Kafka source. It implements stream.Source,
// stream.AvailableNowSource, stream.AllAvailableSource and
// stream.MetricsSource. Its methods are safe for concurrent use, although
// the engine calls them one at a time. Close releases its connections.
type Source[T any] struct {
	cfg        cfg
	index      int
	cp         *checkpoint.Checkpoint
	newDecoder func() streamimpl.Decoder[T]
	cl         *kgo.Client
	adm        *kadm.Client
	log        *checkpoint.SourceLog[Offsets]
	desc       string

	mu sync.Mutex
	// initial is the query's initial offsets once known.
	initial Offsets
	// latest is the newest end offsets listed (by LatestOffset or
	// Metrics), for the lag metrics; nil before any listing.
	latest Offsets
	// fixed is the end fixed by PrepareAvailableNow, or nil.
	fixed Offsets
	// lastTrigger is when the last batch was let through by the
	// MinOffsetsPerTrigger rule (zero: never, in this process).
	lastTrigger time.Time
}

var (
	_ stream.AvailableNowSource = (*Source[struct{}])(nil)
	_ stream.AllAvailableSource = (*Source[struct{}])(nil)
	_ stream.MetricsSource      = (*Source[struct{}])(nil)
	_ stream.PollingSource      = (*Source[struct{}])(nil)
)

// New returns the Kafka source number sourceIndex (its index in the
// query's sources), decoding record values with decoders made by
// newDecoder (one per Read). It opens the source's log in cp, where the
// initial offsets are recorded, and a franz-go client; it does not
// contact the brokers yet. Close the source when the query is done.
func New[T any](ctx context.Context, cp *checkpoint.Checkpoint, sourceIndex int,
	newDecoder func() streamimpl.Decoder[T], opts ...Opt) (*Source[T], error) {
	c := cfg{failOnLoss: true, maxDelay: DefaultMaxTriggerDelay, logger: slog.Default(), now: time.Now, fetchMax: 4 << 20}
	for _, o := range opts {
		o.apply(&c)
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	if cp == nil || newDecoder == nil {
		return nil, fmt.Errorf("kafka: New needs a checkpoint and a decoder constructor")
	}
	log, err := checkpoint.OpenSourceLog[Offsets](ctx, cp, sourceIndex, checkpoint.CompactInterval(0))
	if err != nil {
		return nil, fmt.Errorf("kafka: %w", err)
	}
	kopts := []kgo.Opt{kgo.SeedBrokers(c.bootstrap...), kgo.ClientID("streamgen")}
	if c.tls != nil {
		kopts = append(kopts, kgo.DialTLSConfig(c.tls.Clone()))
	}
	if c.sasl != nil {
		kopts = append(kopts, kgo.SASL(c.sasl.mechanismFor()))
	}
	kopts = append(kopts, c.clientOpts...)
	cl, err := kgo.NewClient(kopts...)
	if err != nil {
		return nil, fmt.Errorf("kafka: client for %s: %w", strings.Join(c.bootstrap, ","), err)
	}
	s := &Source[T]{cfg: c, index: sourceIndex, cp: cp, newDecoder: newDecoder, cl: cl, adm: kadm.NewClient(cl), log: log}
	switch {
	case c.subscribe != nil:
		s.desc = "KafkaV2[Subscribe[" + strings.Join(c.subscribe, ",") + "]]"
	case c.pattern != nil:
		s.desc = "KafkaV2[SubscribePattern[" + c.patternSrc + "]]"
	default:
		s.desc = "KafkaV2[Assign[" + tpList(assignParts(c.assign)) + "]]"
	}
	return s, nil
}

func assignParts(a map[string][]int32) []TopicPartition {
	o := Offsets{}
	for t, ps := range a {
		for _, p := range ps {
			o.Set(TopicPartition{t, p}, 0)
		}
	}
	return o.Partitions()
}

// Close closes the source's client. The source must not be used after.
func (s *Source[T]) Close() { s.cl.Close() }

// PollInterval is how long an idle query waits before asking the brokers
// for new offsets again: 10ms, Spark's pollingDelay. One ListOffsets
// request per partition leader is cheap, and it bounds how long a record
// produced to an idle topic waits before its batch starts (see
// stream.PollingSource).
func (s *Source[T]) PollInterval() time.Duration { return 10 * time.Millisecond }

// Description returns Spark's description of the source, such as
// "KafkaV2[Subscribe[events]]".
func (s *Source[T]) Description() string { return s.desc }

// InitialOffset implements stream.Source: the offsets a new query starts
// from. The first call for a checkpoint resolves StartingTimestamp or
// StartingOffsets against the cluster and records the result in the
// source log (sources/<i>/0, as Spark's KafkaSource does); every later
// call, in this process or after a restart, returns what was recorded.
func (s *Source[T]) InitialOffset(ctx context.Context) (json.RawMessage, error) {
	off, err := s.initialOffsets(ctx)
	if err != nil {
		return nil, err
	}
	return off.JSON(), nil
}

func (s *Source[T]) initialOffsets(ctx context.Context) (Offsets, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.initial != nil {
		return s.initial, nil
	}
	logged, err := s.log.Get(ctx, 0)
	switch {
	case err == nil:
		if len(logged) != 1 || logged[0] == nil {
			return nil, fmt.Errorf("kafka: initial offsets in %s/0: want one offsets entry, found %d", s.log.Dir(), len(logged))
		}
		s.initial = logged[0]
		return s.initial, nil
	case !storage.IsNotExist(err):
		return nil, fmt.Errorf("kafka: read the initial offsets: %w", err)
	}
	off, err := s.resolveStart(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.log.Add(ctx, 0, []Offsets{off}); err != nil {
		return nil, fmt.Errorf("kafka: record the initial offsets: %w", err)
	}
	s.cfg.logger.Info("kafka: initial offsets recorded", "source", s.desc, "offsets", string(off.JSON()))
	s.initial = off
	return off, nil
}

// resolveStart resolves the starting offsets of a new query.
func (s *Source[T]) resolveStart(ctx context.Context) (Offsets, error) {
	top, err := s.discover(ctx)
	if err != nil {
		return nil, err
	}
	if s.cfg.assign != nil {
		for _, tp := range assignParts(s.cfg.assign) {
			if _, ok := top.parts[tp]; !ok {
				return nil, fmt.Errorf("kafka: assigned partition %s does not exist", tp)
			}
		}
	}
	tps := top.sorted()
	out := Offsets{}
	put := func(m map[TopicPartition]int64) {
		for tp, off := range m {
			out.Set(tp, off)
		}
	}
	switch {
	case s.cfg.startingTS != nil:
		m, err := s.listOffsets(ctx, tps, s.cfg.startingTS.UnixMilli())
		if err != nil {
			return nil, err
		}
		put(m)
	case s.cfg.starting.kind == startEarliest:
		m, err := s.listOffsets(ctx, tps, listEarliest)
		if err != nil {
			return nil, err
		}
		put(m)
	case s.cfg.starting.kind == startLatest:
		m, err := s.listOffsets(ctx, tps, listLatest)
		if err != nil {
			return nil, err
		}
		put(m)
	default:
		sp := Offsets(s.cfg.starting.specific)
		if s.cfg.assign == nil {
			want := Offsets{}
			for _, tp := range tps {
				want.Set(tp, 0)
			}
			if err := s.cfg.starting.checkCovers(partsOf(want)); err != nil {
				return nil, err
			}
		}
		earliest, err := s.listOffsets(ctx, tps, listEarliest)
		if err != nil {
			return nil, err
		}
		latest, err := s.listOffsets(ctx, tps, listLatest)
		if err != nil {
			return nil, err
		}
		for _, tp := range tps {
			want, _ := sp.Get(tp)
			lo, ok1 := earliest[tp]
			hi, ok2 := latest[tp]
			if !ok1 || !ok2 {
				return nil, fmt.Errorf("kafka: startingOffsets: partition %s disappeared while resolving", tp)
			}
			switch {
			case want == earliestOffset:
				want = lo
			case want == latestOffset:
				want = hi
			case want > hi:
				return nil, fmt.Errorf("kafka: startingOffsets: offset %d of %s is past its latest offset %d", want, tp, hi)
			case want < lo:
				if s.cfg.failOnLoss {
					return nil, &DataLossError{TP: tp, From: want, To: lo,
						Reason: "startingOffsets names offsets that are no longer available (earliest is " + strconv.FormatInt(lo, 10) + ")"}
				}
				s.cfg.logger.Warn("kafka: startingOffsets names offsets no longer available; starting at the earliest",
					"source", s.desc, "partition", tp.String(), "offset", want, "earliest", lo)
				want = lo
			}
			out.Set(tp, want)
		}
	}
	return out, nil
}

func partsOf(o Offsets) map[string][]int32 {
	m := map[string][]int32{}
	for _, tp := range o.Partitions() {
		m[tp.Topic] = append(m[tp.Topic], tp.Partition)
	}
	return m
}

// DataLossError is the error of offsets the query has not read that are
// no longer available, under FailOnDataLoss(true): records deleted by
// retention or DeleteRecords, a deleted partition or topic, a log whose
// offsets went back.
type DataLossError struct {
	// TP is the partition.
	TP TopicPartition
	// From and To are the offsets lost, [From, To); To is -1 when the
	// end is unknown (the partition is gone).
	From, To int64
	// Reason says what happened.
	Reason string
}

// Error formats the error.
func (e *DataLossError) Error() string {
	rng := fmt.Sprintf("[%d, %d)", e.From, e.To)
	if e.To < 0 {
		rng = fmt.Sprintf("from %d on", e.From)
	}
	return fmt.Sprintf("kafka: data loss in topic %q partition %d: offsets %s were not read and are lost: %s; "+
		"if this is expected (retention, a deleted topic), restart with failOnDataLoss=false to continue from the earliest available offset",
		e.TP.Topic, e.TP.Partition, rng, e.Reason)
}

// LatestOffset implements stream.Source: the offsets of the newest
// records now, limited by MaxOffsetsPerTrigger (split over partitions in
// proportion to their backlog) and held back at start by
// MinOffsetsPerTrigger until MaxTriggerDelay; after PrepareAvailableNow,
// never past the offsets fixed then. New partitions are included from
// offset 0 (their earliest). A partition that is gone, or whose latest
// offset went back, is data loss (see FailOnDataLoss): with
// FailOnDataLoss(false) it is dropped from the offset, or its end moved
// back, and Read records the loss.
func (s *Source[T]) LatestOffset(ctx context.Context, start json.RawMessage) (json.RawMessage, error) {
	return s.latestOffset(ctx, start, true)
}

// LatestOffsetAllAvailable implements stream.AllAvailableSource: it is
// LatestOffset without MaxOffsetsPerTrigger and MinOffsetsPerTrigger.
func (s *Source[T]) LatestOffsetAllAvailable(ctx context.Context, start json.RawMessage) (json.RawMessage, error) {
	return s.latestOffset(ctx, start, false)
}

func (s *Source[T]) latestOffset(ctx context.Context, start json.RawMessage, limit bool) (json.RawMessage, error) {
	from, err := ParseOffsets(start)
	if err != nil {
		return nil, err
	}
	if from == nil {
		if from, err = s.initialOffsets(ctx); err != nil {
			return nil, err
		}
	}
	latest, err := s.listLatest(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.latest = latest.Clone()
	fixed := s.fixed
	s.mu.Unlock()

	until := Offsets{}
	for _, tp := range from.Partitions() {
		begin, _ := from.Get(tp)
		end, ok := latest.Get(tp)
		switch {
		case !ok:
			if err := s.dataLoss(tp, begin, -1, "the partition no longer exists"); err != nil {
				return nil, err
			}
			continue // dropped from the offset
		case end < begin:
			if err := s.dataLoss(tp, begin, begin, fmt.Sprintf("the partition's latest offset went back from %d to %d (was the topic re-created?)", begin, end)); err != nil {
				return nil, err
			}
		}
		until.Set(tp, end)
	}
	for _, tp := range latest.Partitions() {
		if _, ok := from.Get(tp); !ok {
			end, _ := latest.Get(tp)
			until.Set(tp, end)
		}
	}
	if fixed != nil {
		for _, tp := range until.Partitions() {
			f, ok := fixed.Get(tp)
			begin, inFrom := from.Get(tp)
			switch {
			case ok:
				end, _ := until.Get(tp)
				until.Set(tp, min(end, f))
			case inFrom:
				until.Set(tp, begin)
			default:
				delete(until[tp.Topic], tp.Partition) // appeared after PrepareAvailableNow: next run
				if len(until[tp.Topic]) == 0 {
					delete(until, tp.Topic)
				}
			}
		}
	}
	if limit {
		if fixed == nil && s.cfg.minOffsets > 0 && s.delayBatch(from, until) {
			return from.JSON(), nil
		}
		if s.cfg.maxOffsets > 0 {
			until, err = s.rateLimit(ctx, s.cfg.maxOffsets, from, until)
			if err != nil {
				return nil, err
			}
		}
	}
	return until.JSON(), nil
}

// listLatest discovers the partitions and lists their latest offsets.
func (s *Source[T]) listLatest(ctx context.Context) (Offsets, error) {
	top, err := s.discover(ctx)
	if err != nil {
		return nil, err
	}
	m, err := s.listOffsets(ctx, top.sorted(), listLatest)
	if err != nil {
		return nil, err
	}
	out := Offsets{}
	for tp, off := range m {
		out.Set(tp, off)
	}
	return out, nil
}

// dataLoss reports lost offsets found while planning: a *DataLossError
// under FailOnDataLoss(true), a warning otherwise (Read records it).
func (s *Source[T]) dataLoss(tp TopicPartition, from, to int64, reason string) error {
	if s.cfg.failOnLoss {
		return &DataLossError{TP: tp, From: from, To: to, Reason: reason}
	}
	s.cfg.logger.Warn("kafka: data loss (failOnDataLoss=false): continuing", "source", s.desc,
		"partition", tp.String(), "from", from, "to", to, "reason", reason)
	return nil
}

// delayBatch is Spark's KafkaMicroBatchStream.delayBatch: whether to hold
// the batch back because fewer than MinOffsetsPerTrigger offsets are new
// and MaxTriggerDelay has not passed since the last batch let through.
func (s *Source[T]) delayBatch(from, until Offsets) bool {
	now := s.cfg.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Sub(s.lastTrigger) >= s.cfg.maxDelay {
		s.lastTrigger = now
		return false
	}
	var n int64
	for _, tp := range until.Partitions() {
		end, _ := until.Get(tp)
		begin, _ := from.Get(tp) // 0 for a new partition, as Spark
		n += end - begin
	}
	if n < s.cfg.minOffsets {
		s.cfg.logger.Debug("kafka: holding the batch back for minOffsetsPerTrigger", "source", s.desc, "newOffsets", n, "minOffsetsPerTrigger", s.cfg.minOffsets)
		return true
	}
	s.lastTrigger = now
	return false
}

// rateLimit is Spark's KafkaMicroBatchStream.rateLimit: it splits limit
// over the partitions in proportion to their backlog (until - from; from
// is the earliest offset for a new partition), rounding each share down,
// or up when it is below 1 so that no partition starves.
func (s *Source[T]) rateLimit(ctx context.Context, limit int64, from, until Offsets) (Offsets, error) {
	var newParts []TopicPartition
	for _, tp := range until.Partitions() {
		if _, ok := from.Get(tp); !ok {
			newParts = append(newParts, tp)
		}
	}
	fromNew := map[TopicPartition]int64{}
	if len(newParts) > 0 {
		var err error
		if fromNew, err = s.listOffsets(ctx, newParts, listEarliest); err != nil {
			return nil, err
		}
	}
	return rateLimit(limit, from, until, fromNew), nil
}

// rateLimit is the arithmetic of Source.rateLimit.
func rateLimit(limit int64, from, until Offsets, fromNew map[TopicPartition]int64) Offsets {
	begin := func(tp TopicPartition) (int64, bool) {
		if b, ok := from.Get(tp); ok {
			return b, true
		}
		b, ok := fromNew[tp]
		return b, ok
	}
	sizes := map[TopicPartition]int64{}
	var total float64
	for _, tp := range until.Partitions() {
		end, _ := until.Get(tp)
		if b, ok := begin(tp); ok && end-b > 0 {
			sizes[tp] = end - b
			total += float64(end - b)
		}
	}
	if total < 1 {
		return until
	}
	out := Offsets{}
	for _, tp := range until.Partitions() {
		end, _ := until.Get(tp)
		size, ok := sizes[tp]
		if !ok {
			out.Set(tp, end)
			continue
		}
		b, _ := begin(tp)
		prorate := float64(limit) * (float64(size) / total)
		var share int64
		if prorate < 1 {
			share = int64(math.Ceil(prorate))
		} else {
			share = int64(math.Floor(prorate))
		}
		off := b + share
		if share > math.MaxInt64-b {
			off = math.MaxInt64
		}
		out.Set(tp, min(end, off))
	}
	return out
}

// PrepareAvailableNow implements stream.AvailableNowSource: it fixes the
// end at the latest offsets of the partitions that exist now; partitions
// created later are left for the next run.
func (s *Source[T]) PrepareAvailableNow(ctx context.Context, start json.RawMessage) error {
	latest, err := s.listLatest(ctx)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.fixed = latest
	s.latest = latest.Clone()
	s.mu.Unlock()
	s.cfg.logger.Debug("kafka: available-now end fixed", "source", s.desc, "offsets", string(latest.JSON()))
	return nil
}

// The keys of the lag metrics that Metrics returns (Spark's).
const (
	MetricMinOffsetsBehindLatest = "minOffsetsBehindLatest"
	MetricMaxOffsetsBehindLatest = "maxOffsetsBehindLatest"
	MetricAvgOffsetsBehindLatest = "avgOffsetsBehindLatest"
)

// Metrics implements stream.MetricsSource: how many offsets each
// partition's end in end is behind the latest offsets the source listed
// last (in the trigger's LatestOffset, or under AvailableNow the end fixed
// by PrepareAvailableNow; Metrics lists them itself when this process has
// not yet, as for a batch re-run after a restart): their minimum, maximum
// and mean, as Spark reports them. An invalid end or a failed listing
// gives nil (logged).
func (s *Source[T]) Metrics(ctx context.Context, end json.RawMessage) map[string]string {
	to, err := ParseOffsets(end)
	if err != nil {
		s.cfg.logger.Warn("kafka: lag metrics: invalid end offset", "source", s.desc, "error", err)
		return nil
	}
	s.mu.Lock()
	latest := s.latest
	if s.fixed != nil {
		latest = s.fixed
	}
	s.mu.Unlock()
	if latest == nil {
		if latest, err = s.listLatest(ctx); err != nil {
			s.cfg.logger.Warn("kafka: lag metrics: cannot list the latest offsets", "source", s.desc, "error", err)
			return nil
		}
		s.mu.Lock()
		s.latest = latest
		s.mu.Unlock()
	}
	tps := latest.Partitions()
	if len(tps) == 0 {
		return nil
	}
	var lo, hi, sum int64 = math.MaxInt64, 0, 0
	for _, tp := range tps {
		l, _ := latest.Get(tp)
		e, _ := to.Get(tp)
		behind := max(l-e, 0)
		lo, hi, sum = min(lo, behind), max(hi, behind), sum+behind
	}
	return map[string]string{
		MetricMinOffsetsBehindLatest: strconv.FormatInt(lo, 10),
		MetricMaxOffsetsBehindLatest: strconv.FormatInt(hi, 10),
		MetricAvgOffsetsBehindLatest: strconv.FormatFloat(float64(sum)/float64(len(tps)), 'f', -1, 64),
	}
}

// Commit implements stream.Source: with CommitToGroup it commits end to
// the consumer group, for lag tools; otherwise it does nothing. Committing
// the same offsets again is harmless.
func (s *Source[T]) Commit(ctx context.Context, end json.RawMessage) error {
	if s.cfg.commitGroup == "" {
		return nil
	}
	to, err := ParseOffsets(end)
	if err != nil || len(to) == 0 {
		return err
	}
	os := kadm.Offsets{}
	for _, tp := range to.Partitions() {
		off, _ := to.Get(tp)
		os.Add(kadm.Offset{Topic: tp.Topic, Partition: tp.Partition, At: off, LeaderEpoch: -1})
	}
	if err := s.adm.CommitAllOffsets(ctx, s.cfg.commitGroup, os); err != nil {
		return fmt.Errorf("kafka: commit offsets %s to consumer group %q: %w", to.JSON(), s.cfg.commitGroup, err)
	}
	return nil
}
