package kafkagroup

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/source/kafka"
	"github.com/streamgen/streamgen/runtime/stream"
)

// ErrNotStarted is returned by AwaitTermination before Start.
var ErrNotStarted = errors.New("kafkagroup: not started")

// Group is one process of a consumer group appending a Kafka topic to a
// Delta table. Create it with New and run it with Start; a Group runs
// once. Its methods are safe for concurrent use.
type Group[In, Out any] struct {
	cfg   Config[In, Out]
	runID string

	stopOnce sync.Once
	stopCh   chan struct{}
	done     chan struct{}
	started  bool

	mu       sync.Mutex
	err      error
	owned    map[kafka.TopicPartition]*partState
	pending  map[kafka.TopicPartition]bool // assigned, not yet sought
	joined   bool
	ends     map[kafka.TopicPartition]int64 // AvailableNow: the end offsets at start
	batchID  int64
	recent   []stream.Progress
	stats    Stats
	lastTrig time.Time
	// fatal is an error found outside the poll loop (data loss met while
	// assigning, under FailOnDataLoss): collect returns it.
	fatal error
	// losses are the lost ranges found and skipped (without
	// FailOnDataLoss), not yet in a batch: collect hands them to the next
	// commit, which records them.
	losses map[kafka.TopicPartition]lostRange

	startMu sync.Mutex
	// admin is a client outside the group, for listing offsets; set
	// before the group client exists.
	admin *kadm.Client
}

// partState is what the Group knows of a partition it owns.
type partState struct {
	// version is the partition's txn version in the table as of the last
	// commit or seek: the last offset written. The next commit of the
	// partition lands only if the table still holds exactly it.
	version int64
	// next is the offset the consumer fetches next: version + 1 after a
	// seek, the offset after the last record polled since.
	next int64
}

// lostRange is a range of offsets [from, to) of a partition that was gone
// before it was written (see Config.FailOnDataLoss); to == from for an
// offset that went back.
type lostRange struct {
	from, to int64
	reason   string
}

// Stats counts what a Group did.
type Stats struct {
	// Commits is the number of data commits made.
	Commits int64
	// Records is the number of records committed (valid or malformed).
	Records int64
	// Rows is the number of rows appended to the table.
	Rows int64
	// Malformed is the number of malformed records met in committed
	// batches; Quarantined of them were handed to the quarantine writer.
	Malformed, Quarantined int64
	// Stale is the number of batches dropped because another process
	// had written one of their partitions (after a rebalance), each
	// followed by a re-seek from the table.
	Stale int64
	// Seeks is the number of partition assignments sought from the
	// table.
	Seeks int64
	// OffsetsLost is the number of offsets skipped because their records
	// were gone before they were written (Config.FailOnDataLoss false),
	// in DataLossRanges ranges; each is counted by the process whose
	// commit recorded it.
	OffsetsLost, DataLossRanges int64
}

// New validates cfg and returns a Group, not started. It creates the
// table from cfg.Schema when it does not exist yet and checks an existing
// table's partition columns.
func New[In, Out any](ctx context.Context, cfg Config[In, Out]) (*Group[In, Out], error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	g := &Group[In, Out]{
		cfg:     cfg,
		runID:   uuid.NewString(),
		stopCh:  make(chan struct{}),
		done:    make(chan struct{}),
		owned:   map[kafka.TopicPartition]*partState{},
		pending: map[kafka.TopicPartition]bool{},
		losses:  map[kafka.TopicPartition]lostRange{},
	}
	if err := g.ensureTable(ctx); err != nil {
		return nil, err
	}
	return g, nil
}

// ensureTable creates the table when it does not exist (losing that race
// to another process of the group is fine) and checks its partitioning.
func (g *Group[In, Out]) ensureTable(ctx context.Context) error {
	t := g.cfg.Table
	for attempt := 0; ; attempt++ {
		tx, err := t.Begin(ctx)
		if err != nil {
			return fmt.Errorf("kafkagroup: %w", err)
		}
		if snap := tx.Snapshot(); snap != nil {
			if !slices.Equal(snap.Metadata.PartitionColumns, g.cfg.PartitionColumns) {
				return fmt.Errorf("kafkagroup: table %s is partitioned by %q, the pipeline by %q",
					t.Location(), snap.Metadata.PartitionColumns, g.cfg.PartitionColumns)
			}
			if ret := snap.Metadata.Configuration[delta.SetTransactionRetentionKey]; ret != "" {
				g.cfg.Logger.Warn("kafkagroup: the table expires txns; a partition idle for longer is read again from its starting offset",
					"table", t.Location(), delta.SetTransactionRetentionKey, ret)
			}
			return nil
		}
		tx.SetMetadata(delta.Metadata{SchemaString: g.cfg.Schema.SchemaString(), PartitionColumns: g.cfg.PartitionColumns})
		if _, err := tx.Commit(ctx); err != nil {
			var ce *delta.ConflictError
			if errors.As(err, &ce) && attempt < 3 {
				continue // another process created it: check it
			}
			return fmt.Errorf("kafkagroup: create table: %w", err)
		}
		g.cfg.Logger.Info("kafkagroup: created table", "table", t.Location())
		return nil
	}
}

// Name returns the query name.
func (g *Group[In, Out]) Name() string { return g.cfg.Query }

// ID returns the query name, which identifies the query in the table.
func (g *Group[In, Out]) ID() string { return g.cfg.Query }

// RunID returns the ID of this run.
func (g *Group[In, Out]) RunID() string { return g.runID }

// Start joins the group and runs until Stop, ctx is done (which
// interrupts the batch in hand: it is not committed and is read again by
// whoever owns its partitions next), an error, or under AvailableNow the
// end of the assigned partitions.
func (g *Group[In, Out]) Start(ctx context.Context) error {
	g.startMu.Lock()
	defer g.startMu.Unlock()
	if g.started {
		return errors.New("kafkagroup: a Group runs once")
	}
	g.started = true
	g.lastTrig = g.cfg.Clock()
	go func() {
		err := g.run(ctx)
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			err = nil
		}
		g.mu.Lock()
		g.err = err
		g.mu.Unlock()
		if err != nil {
			g.cfg.Logger.Error("kafkagroup: stopped", "query", g.cfg.Query, "err", err)
		}
		for _, l := range g.cfg.Listeners {
			if lt, ok := l.(stream.ListenerTerminated); ok {
				lt.OnTerminated(stream.TerminatedEvent{ID: g.cfg.Query, RunID: g.runID, Err: err})
			}
		}
		close(g.done)
	}()
	return nil
}

// Stop ends the run after the batch in hand is committed.
func (g *Group[In, Out]) Stop() { g.stopOnce.Do(func() { close(g.stopCh) }) }

// Done is closed when the run ended.
func (g *Group[In, Out]) Done() <-chan struct{} { return g.done }

// Err returns the error the run ended with, nil while it runs or after
// a clean end.
func (g *Group[In, Out]) Err() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}

// IsActive reports whether the run is going on.
func (g *Group[In, Out]) IsActive() bool {
	g.startMu.Lock()
	started := g.started
	g.startMu.Unlock()
	select {
	case <-g.done:
		return false
	default:
		return started
	}
}

// AwaitTermination waits for the end of the run and returns its error.
func (g *Group[In, Out]) AwaitTermination(ctx context.Context) error {
	g.startMu.Lock()
	started := g.started
	g.startMu.Unlock()
	if !started {
		return ErrNotStarted
	}
	select {
	case <-g.done:
		return g.Err()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stats returns the counts so far.
func (g *Group[In, Out]) Stats() Stats {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.stats
}

// LastProgress returns the latest commit's progress, nil before one.
func (g *Group[In, Out]) LastProgress() *stream.Progress {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.recent) == 0 {
		return nil
	}
	p := g.recent[len(g.recent)-1]
	return &p
}

// RecentProgress returns the progress of the latest commits, oldest
// first.
func (g *Group[In, Out]) RecentProgress() []stream.Progress {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.recent)
}

// Assigned returns the partitions the process owns, sorted, with the
// last offset the table records for each.
func (g *Group[In, Out]) Assigned() map[kafka.TopicPartition]int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	m := make(map[kafka.TopicPartition]int64, len(g.owned))
	for tp, p := range g.owned {
		m[tp] = p.version
	}
	return m
}

func (g *Group[In, Out]) stopping() bool {
	select {
	case <-g.stopCh:
		return true
	default:
		return false
	}
}

// run is the Group's loop: collect a batch (rebalances wait), commit it,
// let rebalances through.
func (g *Group[In, Out]) run(ctx context.Context) error {
	admin, err := kgo.NewClient(g.cfg.Client...)
	if err != nil {
		return fmt.Errorf("kafkagroup: kafka client: %w", err)
	}
	defer admin.Close()
	g.admin = kadm.NewClient(admin)
	cl, err := g.newClient()
	if err != nil {
		return err
	}
	defer func() {
		cl.AllowRebalance()
		cl.Close() // leaves the group: its partitions move at once
	}()
	if g.cfg.AvailableNow {
		ends, err := g.listEnds(ctx)
		if err != nil {
			return err
		}
		g.mu.Lock()
		g.ends = ends
		g.mu.Unlock()
	}
	// pollCtx ends polling on Stop; the batch in hand is still committed.
	pollCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-g.stopCh:
			cancel()
		case <-pollCtx.Done():
		}
	}()
	dec := g.cfg.NewDecoder()
	for {
		b, err := g.collect(ctx, pollCtx, cl)
		if err != nil {
			return err
		}
		if len(b.recs) > 0 || len(b.losses) > 0 {
			if err := g.commit(ctx, cl, dec, b); err != nil {
				return err
			}
		}
		cl.AllowRebalance()
		if err := ctx.Err(); err != nil {
			return err
		}
		if g.stopping() {
			return nil
		}
		if g.cfg.AvailableNow && g.caughtUp() {
			g.cfg.Logger.Info("kafkagroup: available-now: the assigned partitions are read to their end", "query", g.cfg.Query)
			return nil
		}
	}
}

// newClient returns the group consumer: no auto-commit, rebalances
// blocked while a batch is in hand, and offsets of new assignments taken
// from the table.
func (g *Group[In, Out]) newClient() (*kgo.Client, error) {
	opts := slices.Clone(g.cfg.Client)
	opts = append(opts,
		kgo.ConsumerGroup(g.cfg.Group),
		kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(),
		kgo.AdjustFetchOffsetsFn(g.adjustOffsets),
		kgo.OnPartitionsAssigned(g.onAssigned),
		kgo.OnPartitionsRevoked(g.onRevoked),
		kgo.OnPartitionsLost(g.onRevoked),
		// An offset out of range (below the log start: retention or
		// DeleteRecords removed records before they were written) is
		// returned as a fetch error, never reset silently: collect
		// handles it per FailOnDataLoss.
		kgo.ConsumeStartOffset(kgo.NewOffset().AtStart()),
		kgo.ConsumeResetOffset(kgo.NoResetOffset()),
	)
	if g.cfg.TopicPattern != "" {
		// franz-go matches anywhere in a name and skips internal topics.
		opts = append(opts, kgo.ConsumeTopics(wholeName(g.cfg.TopicPattern)), kgo.ConsumeRegex())
	} else {
		opts = append(opts, kgo.ConsumeTopics(g.cfg.Topics...))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafkagroup: kafka client: %w", err)
	}
	return cl, nil
}

// onAssigned notes the partitions being assigned: franz-go calls it after
// every join, before it fetches their offsets (adjustOffsets), even when
// nothing new is assigned.
func (g *Group[In, Out]) onAssigned(_ context.Context, _ *kgo.Client, assigned map[string][]int32) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.joined = true
	for t, ps := range assigned {
		for _, p := range ps {
			g.pending[kafka.TopicPartition{Topic: t, Partition: p}] = true
		}
	}
}

// onRevoked forgets revoked or lost partitions. A batch holding records
// of them cannot be in hand (BlockRebalanceOnPoll), except after a lost
// session, and then its commit finds them not owned and drops them.
func (g *Group[In, Out]) onRevoked(_ context.Context, _ *kgo.Client, revoked map[string][]int32) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for t, ps := range revoked {
		for _, p := range ps {
			delete(g.owned, kafka.TopicPartition{Topic: t, Partition: p})
			delete(g.pending, kafka.TopicPartition{Topic: t, Partition: p})
			delete(g.losses, kafka.TopicPartition{Topic: t, Partition: p}) // its next owner finds it again
		}
	}
	if len(revoked) > 0 {
		g.cfg.Logger.Info("kafkagroup: partitions revoked", "query", g.cfg.Query, "partitions", fmtPartitions(revoked))
	}
}

// adjustOffsets is called by franz-go with the newly assigned partitions
// before it fetches them: each starts after the offset its txn records.
func (g *Group[In, Out]) adjustOffsets(ctx context.Context, offsets map[string]map[int32]kgo.Offset) (map[string]map[int32]kgo.Offset, error) {
	var tps []kafka.TopicPartition
	for t, ps := range offsets {
		for p := range ps {
			tps = append(tps, kafka.TopicPartition{Topic: t, Partition: p})
		}
	}
	sortTPs(tps)
	var versions map[kafka.TopicPartition]int64
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		versions, err = g.tableVersions(ctx, tps, g.resolveStarts)
		if err == nil || ctx.Err() != nil {
			break
		}
		g.cfg.Logger.Warn("kafkagroup: reading the table's offsets failed; retrying", "query", g.cfg.Query, "err", err)
		time.Sleep(time.Duration(100<<attempt) * time.Millisecond)
	}
	if err != nil {
		return nil, err
	}
	// Offsets below the log start were deleted before they were written.
	var starts kadm.ListedOffsets
	for attempt := 0; attempt < 5; attempt++ {
		starts, err = g.admin.ListStartOffsets(ctx, topicsOf(tps)...)
		if err == nil {
			err = starts.Error()
		}
		if err == nil || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Duration(100<<attempt) * time.Millisecond)
	}
	if err != nil {
		return nil, fmt.Errorf("kafkagroup: list start offsets: %w", err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	desc := map[string][]int32{}
	for _, tp := range tps {
		v := versions[tp]
		next := v + 1
		if o, ok := starts.Lookup(tp.Topic, tp.Partition); ok && next < o.Offset {
			lr := lostRange{from: next, to: o.Offset, reason: fmt.Sprintf(
				"the table records offset %d as written and the earliest available offset is %d (deleted by retention or DeleteRecords)", v, o.Offset)}
			if err := g.lostLocked(tp, lr); err != nil {
				return nil, err
			}
			next = o.Offset
		}
		offsets[tp.Topic][tp.Partition] = kgo.NewOffset().At(next).WithEpoch(-1)
		g.owned[tp] = &partState{version: v, next: next}
		delete(g.pending, tp)
		desc[tp.Topic] = append(desc[tp.Topic], tp.Partition)
		g.stats.Seeks++
	}
	g.cfg.Logger.Info("kafkagroup: partitions assigned", "query", g.cfg.Query, "partitions", fmtPartitions(desc))
	return offsets, nil
}

// lostLocked handles offsets of tp that are gone (g.mu held): under
// FailOnDataLoss it sets the Group's fatal error and returns it; otherwise
// it logs a warning and keeps the range for the next commit to record.
func (g *Group[In, Out]) lostLocked(tp kafka.TopicPartition, lr lostRange) error {
	if g.cfg.FailOnDataLoss {
		if g.fatal == nil {
			g.fatal = fmt.Errorf("kafkagroup: %w", &kafka.DataLossError{TP: tp, From: lr.from, To: lr.to, Reason: lr.reason})
		}
		return g.fatal
	}
	g.cfg.Logger.Warn("kafkagroup: data loss (failOnDataLoss=false): skipping offsets", "query", g.cfg.Query,
		"topic", tp.Topic, "partition", tp.Partition, "from", lr.from, "to", lr.to, "reason", lr.reason)
	if prev, ok := g.losses[tp]; ok && prev.from <= lr.from {
		// Not recorded yet: one range from the first lost offset.
		lr.from = prev.from
		lr.to = max(lr.to, prev.to)
	}
	g.losses[tp] = lr
	return nil
}

// outOfRange handles a fetch of tp that found its offset out of range:
// below the log start the records between were lost; past the log end the
// partition's offsets went back (a re-created topic, a truncated log).
// Either is data loss (see Config.FailOnDataLoss); without
// FailOnDataLoss the partition is sought to the log start, or end, and
// the range kept for the next commit. An offset back within the log by
// now is fetched again.
func (g *Group[In, Out]) outOfRange(ctx context.Context, cl *kgo.Client, tp kafka.TopicPartition) error {
	g.mu.Lock()
	p := g.owned[tp]
	var from int64
	if p != nil {
		from = p.next
	}
	g.mu.Unlock()
	if p == nil {
		return nil // revoked meanwhile
	}
	starts, err := g.admin.ListStartOffsets(ctx, tp.Topic)
	if err == nil {
		err = starts.Error()
	}
	var ends kadm.ListedOffsets
	if err == nil {
		ends, err = g.admin.ListEndOffsets(ctx, tp.Topic)
		if err == nil {
			err = ends.Error()
		}
	}
	if err != nil {
		g.cfg.Logger.Warn("kafkagroup: offset out of range; listing the partition's offsets failed, retrying", "topic", tp.Topic, "partition", tp.Partition, "err", err)
		return nil // the next fetch fails again
	}
	so, ok1 := starts.Lookup(tp.Topic, tp.Partition)
	eo, ok2 := ends.Lookup(tp.Topic, tp.Partition)
	if !ok1 || !ok2 {
		return nil
	}
	var lr lostRange
	seek := from
	switch {
	case from < so.Offset:
		lr = lostRange{from: from, to: so.Offset, reason: fmt.Sprintf("the earliest available offset is %d (deleted by retention or DeleteRecords)", so.Offset)}
		seek = so.Offset
	case from > eo.Offset:
		lr = lostRange{from: from, to: from, reason: fmt.Sprintf("the partition's offset went back from %d to %d (was the topic re-created? then use a new query name)", from, eo.Offset)}
		seek = eo.Offset
	default:
		g.cfg.Logger.Warn("kafkagroup: offset out of range, now within the log: fetching it again", "topic", tp.Topic, "partition", tp.Partition, "offset", from)
	}
	g.mu.Lock()
	if g.owned[tp] != p || p.next != from {
		g.mu.Unlock()
		return nil // revoked or sought meanwhile
	}
	if lr.reason != "" {
		if err := g.lostLocked(tp, lr); err != nil {
			g.mu.Unlock()
			return err
		}
	}
	p.next = seek
	g.mu.Unlock()
	cl.SetOffsets(map[string]map[int32]kgo.EpochOffset{tp.Topic: {tp.Partition: {Epoch: -1, Offset: seek}}})
	return nil
}

// takeLosses returns the fatal error, or the lost ranges not yet in a
// batch.
func (g *Group[In, Out]) takeLosses() (map[kafka.TopicPartition]lostRange, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.fatal != nil {
		return nil, g.fatal
	}
	if len(g.losses) == 0 {
		return nil, nil
	}
	l := g.losses
	g.losses = map[kafka.TopicPartition]lostRange{}
	return l, nil
}

func topicsOf(tps []kafka.TopicPartition) []string {
	var names []string
	for _, tp := range tps {
		if !slices.Contains(names, tp.Topic) {
			names = append(names, tp.Topic)
		}
	}
	return names
}

// listEnds lists the end offsets of every partition of the topics.
func (g *Group[In, Out]) listEnds(ctx context.Context) (map[kafka.TopicPartition]int64, error) {
	var listed kadm.ListedOffsets
	var err error
	for attempt := 0; attempt < 10; attempt++ {
		listed, err = g.admin.ListEndOffsets(ctx, g.cfg.Topics...) // every topic with a TopicPattern
		if err == nil {
			err = listed.Error()
		}
		if err == nil || ctx.Err() != nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		return nil, fmt.Errorf("kafkagroup: list end offsets of %q: %w", g.cfg.Topics, err)
	}
	ends := map[kafka.TopicPartition]int64{}
	var re *regexp.Regexp
	if g.cfg.TopicPattern != "" {
		re = regexp.MustCompile(wholeName(g.cfg.TopicPattern)) // checked by New
	}
	listed.Each(func(o kadm.ListedOffset) {
		if re != nil && !re.MatchString(o.Topic) {
			return
		}
		ends[kafka.TopicPartition{Topic: o.Topic, Partition: o.Partition}] = o.Offset
	})
	return ends, nil
}

// caughtUp reports, under AvailableNow, whether every partition the
// process owns has been written up to its end offset at start.
func (g *Group[In, Out]) caughtUp() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.joined || len(g.pending) > 0 {
		return false // a process joined without partitions is done
	}
	for tp, p := range g.owned {
		if end, ok := g.ends[tp]; ok && p.version+1 < end {
			return false
		}
	}
	return true
}

// batch is the records of one commit, in the order polled, and the lost
// ranges it records.
type batch struct {
	recs   []*kgo.Record
	losses map[kafka.TopicPartition]lostRange
	start  time.Time
}

// collect polls records until MaxRecords, MaxWait after the first one, or
// Stop. Rebalances wait from the first record on (until the caller's
// AllowRebalance); while no record came they go through.
func (g *Group[In, Out]) collect(ctx, pollCtx context.Context, cl *kgo.Client) (*batch, error) {
	b := &batch{}
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if pollCtx.Err() != nil {
			return b, nil
		}
		wait := g.cfg.MaxWait
		if len(b.recs) > 0 {
			wait = b.start.Add(g.cfg.MaxWait).Sub(g.cfg.Clock())
			if wait <= 0 {
				return b, nil
			}
		}
		pctx, cancel := context.WithTimeout(pollCtx, wait)
		fs := cl.PollRecords(pctx, g.cfg.MaxRecords-len(b.recs))
		cancel()
		if fs.IsClientClosed() {
			return nil, errors.New("kafkagroup: the Kafka client was closed")
		}
		n := len(b.recs)
		fs.EachRecord(func(r *kgo.Record) { b.recs = append(b.recs, r) })
		g.mu.Lock()
		for _, r := range b.recs[n:] {
			if p := g.owned[kafka.TopicPartition{Topic: r.Topic, Partition: r.Partition}]; p != nil {
				p.next = max(p.next, r.Offset+1)
			}
		}
		g.mu.Unlock()
		var fatal error
		var outOfRange []kafka.TopicPartition
		fs.EachError(func(t string, p int32, err error) {
			if fatal != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return
			}
			var dl *kgo.ErrDataLoss
			switch {
			case errors.Is(err, kgo.ErrClientClosed):
				fatal = fmt.Errorf("kafkagroup: fetch %s/%d: %w", t, p, err)
			case errors.Is(err, kerr.OffsetOutOfRange):
				outOfRange = append(outOfRange, kafka.TopicPartition{Topic: t, Partition: p})
			case errors.As(err, &dl) && g.cfg.FailOnDataLoss:
				// The log was truncated under the consumer (an unclean
				// leader election); franz-go resumed at ResetTo.
				fatal = fmt.Errorf("kafkagroup: %w", &kafka.DataLossError{TP: kafka.TopicPartition{Topic: t, Partition: p},
					From: min(dl.ResetTo, dl.ConsumedTo), To: max(dl.ResetTo, dl.ConsumedTo), Reason: dl.Error()})
			default:
				// franz-go retries the others (a leader moving, a lost
				// group session, a rebalance).
				g.cfg.Logger.Warn("kafkagroup: fetch error", "topic", t, "partition", p, "err", err)
			}
		})
		if fatal != nil {
			return nil, fatal
		}
		for _, tp := range outOfRange {
			if err := g.outOfRange(ctx, cl, tp); err != nil {
				return nil, err
			}
		}
		losses, err := g.takeLosses()
		if err != nil {
			return nil, err
		}
		if len(losses) > 0 {
			// Recorded at once, with the records in hand.
			b.losses = losses
			return b, nil
		}
		if len(b.recs) == 0 {
			cl.AllowRebalance()
			if g.cfg.AvailableNow && g.caughtUp() {
				return b, nil
			}
			continue
		}
		if n == 0 {
			b.start = g.cfg.Clock()
		}
		if len(b.recs) >= g.cfg.MaxRecords {
			return b, nil
		}
	}
}

// sortTPs sorts by topic, then partition.
func sortTPs(tps []kafka.TopicPartition) {
	sort.Slice(tps, func(i, j int) bool {
		if tps[i].Topic != tps[j].Topic {
			return tps[i].Topic < tps[j].Topic
		}
		return tps[i].Partition < tps[j].Partition
	})
}

func fmtPartitions(m map[string][]int32) string {
	topics := make([]string, 0, len(m))
	for t := range m {
		topics = append(topics, t)
	}
	sort.Strings(topics)
	s := ""
	for _, t := range topics {
		ps := slices.Clone(m[t])
		slices.Sort(ps)
		if s != "" {
			s += " "
		}
		s += fmt.Sprintf("%s%v", t, ps)
	}
	return s
}

// wholeName anchors a topic pattern so that it matches whole names.
func wholeName(pattern string) string { return `^(?:` + pattern + `)$` }
