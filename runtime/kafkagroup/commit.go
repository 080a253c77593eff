package kafkagroup

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/quarantine"
	"github.com/streamgen/streamgen/runtime/source/kafka"
	"github.com/streamgen/streamgen/runtime/stream"
	"github.com/streamgen/streamgen/runtime/streamimpl"
)

// errNullValue is the decoding error of a record without a value.
var errNullValue = errors.New("null value (tombstone)")

// ErrStale says a batch was not committed because the table's txn of one
// of its partitions is no longer the one the batch was read after: another
// process of the group wrote the partition (it was assigned to it by a
// rebalance this process has not seen yet, or while this process's
// session had expired). The batch's rows are dropped and the process
// seeks its partitions again from the table.
var ErrStale = errors.New("kafkagroup: another process wrote a partition of the batch")

// TableVersions returns the txn version (the last offset written) the
// latest snapshot of table records for each partition of query, leaving
// out the partitions it records nothing for. A table that does not exist
// records nothing.
func TableVersions(ctx context.Context, table *delta.Table, query string, tps []kafka.TopicPartition) (map[kafka.TopicPartition]int64, error) {
	snap, err := table.Snapshot(ctx)
	if errors.Is(err, delta.ErrNotATable) {
		return map[kafka.TopicPartition]int64{}, nil
	}
	if err != nil {
		return nil, err
	}
	return versionsIn(snap, query, tps), nil
}

func versionsIn(snap *delta.Snapshot, query string, tps []kafka.TopicPartition) map[kafka.TopicPartition]int64 {
	m := map[kafka.TopicPartition]int64{}
	for _, tp := range tps {
		if x, ok := snap.Txns[AppID(query, tp.Topic, tp.Partition)]; ok {
			m[tp] = x.Version
		}
	}
	return m
}

// tableVersions returns the txn version of each partition of tps, the
// offset before the one to read next. A partition the table has no txn
// for gets one first: resolve gives its starting offset s, and a commit
// carrying only txn{version: s-1} records it, so that whoever is assigned
// the partition next continues from there (losing that commit's race to
// another process recording the same partition re-reads the table).
func (g *Group[In, Out]) tableVersions(ctx context.Context, tps []kafka.TopicPartition,
	resolve func(context.Context, []kafka.TopicPartition) (map[kafka.TopicPartition]int64, error)) (map[kafka.TopicPartition]int64, error) {
	t := g.cfg.Table
	for attempt := 0; ; attempt++ {
		snap, err := t.Snapshot(ctx)
		if err != nil {
			return nil, fmt.Errorf("kafkagroup: table %s: %w", t.Location(), err)
		}
		versions := versionsIn(snap, g.cfg.Query, tps)
		var missing []kafka.TopicPartition
		for _, tp := range tps {
			if _, ok := versions[tp]; !ok {
				missing = append(missing, tp)
			}
		}
		if len(missing) == 0 {
			return versions, nil
		}
		starts, err := resolve(ctx, missing)
		if err != nil {
			return nil, err
		}
		tx := t.BeginAt(snap)
		for _, tp := range missing {
			s, ok := starts[tp]
			if !ok {
				return nil, fmt.Errorf("kafkagroup: no %s offset for %s/%d", g.cfg.StartingOffsets, tp.Topic, tp.Partition)
			}
			tx.SetTxn(AppID(g.cfg.Query, tp.Topic, tp.Partition), s-1)
			versions[tp] = s - 1
		}
		tx.SetOperation(Operation, map[string]any{"outputMode": "Append", "queryId": g.cfg.Query, "startingOffsets": g.cfg.StartingOffsets})
		_, err = tx.Commit(ctx)
		if err == nil {
			g.cfg.Logger.Info("kafkagroup: recorded starting offsets", "query", g.cfg.Query, "startingOffsets", g.cfg.StartingOffsets, "partitions", len(missing))
			return versions, nil
		}
		var ce *delta.ConflictError
		if !errors.As(err, &ce) || attempt >= 10 {
			return nil, fmt.Errorf("kafkagroup: record starting offsets: %w", err)
		}
	}
}

// resolveStarts lists the starting offset (earliest or latest) of each
// partition.
func (g *Group[In, Out]) resolveStarts(ctx context.Context, tps []kafka.TopicPartition) (map[kafka.TopicPartition]int64, error) {
	topics := map[string]bool{}
	var names []string
	for _, tp := range tps {
		if !topics[tp.Topic] {
			topics[tp.Topic] = true
			names = append(names, tp.Topic)
		}
	}
	list := g.admin.ListEndOffsets
	if g.cfg.StartingOffsets == StartEarliest {
		list = g.admin.ListStartOffsets
	}
	listed, err := list(ctx, names...)
	if err == nil {
		err = listed.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("kafkagroup: list %s offsets: %w", g.cfg.StartingOffsets, err)
	}
	m := map[kafka.TopicPartition]int64{}
	for _, tp := range tps {
		if o, ok := listed.Lookup(tp.Topic, tp.Partition); ok {
			m[tp] = o.Offset
		}
	}
	return m, nil
}

// partBatch is a partition's share of a batch.
type partBatch struct {
	first, last int64
	records     int64
	bad         []quarantine.Record
	// lost is the range of offsets found gone (FailOnDataLoss false):
	// the txn moves past it.
	lost *lostRange
}

// commit writes the batch's rows and commits them with one txn per
// partition. A stale batch (another process wrote one of its
// partitions since this one read the table) is dropped and the
// partitions sought again; other errors stop the Group.
func (g *Group[In, Out]) commit(ctx context.Context, cl *kgo.Client, dec streamimpl.Decoder[In], b *batch) error {
	cfg := &g.cfg
	t := cfg.Table
	began := cfg.Clock()
	parts := map[kafka.TopicPartition]*partBatch{}
	var order []kafka.TopicPartition
	g.mu.Lock()
	owned := make(map[kafka.TopicPartition]int64, len(g.owned))
	for tp, p := range g.owned {
		owned[tp] = p.version
	}
	g.mu.Unlock()

	w, err := delta.NewTypedWriter[Out](t.Storage(), cfg.Schema, delta.TypedWriterOptions[Out]{
		WriterOptions: cfg.Writer, PartitionColumns: cfg.PartitionColumns, PartitionValues: cfg.PartitionValues,
	})
	if err != nil {
		return fmt.Errorf("kafkagroup: %w", err)
	}
	var rows []Out
	flush := func() error {
		if len(rows) == 0 {
			return nil
		}
		err := w.Write(ctx, rows)
		clear(rows)
		rows = rows[:0]
		return err
	}
	emit := func(o *Out) error {
		rows = append(rows, *o)
		if len(rows) >= 1024 {
			return flush()
		}
		return nil
	}
	var row In
	var rec kafka.Record
	var malformed, quarantined, dropped int64
	var recBytes int64
	for _, r := range b.recs {
		tp := kafka.TopicPartition{Topic: r.Topic, Partition: r.Partition}
		if _, ok := owned[tp]; !ok {
			continue // lost with the session: its next owner reads it
		}
		pb := parts[tp]
		if pb == nil {
			pb = &partBatch{first: r.Offset}
			parts[tp] = pb
			order = append(order, tp)
		}
		pb.last = r.Offset
		pb.records++
		recBytes += int64(len(r.Key) + len(r.Value))
		var derr error
		if r.Value == nil {
			derr = errNullValue
		} else {
			derr = dec.Decode(r.Value, &row)
		}
		if derr != nil {
			malformed++
			switch cfg.OnMalformed {
			case kafka.FailMalformed:
				w.Abort(ctx)
				return &kafka.MalformedError{TP: tp, Offset: r.Offset, Err: derr}
			case kafka.DropMalformed:
				dropped++
			default:
				raw := bytes.Clone(r.Value)
				if raw == nil {
					raw = []byte{}
				}
				pb.bad = append(pb.bad, quarantine.Record{Raw: raw, File: fmt.Sprintf("kafka:%s/%d", tp.Topic, tp.Partition), Offset: r.Offset, Err: derr.Error()})
			}
			continue
		}
		rec = kafka.Record{Key: r.Key, Value: r.Value, Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Timestamp: r.Timestamp}
		if r.Attrs.TimestampType() == 1 {
			rec.TimestampType = kafka.LogAppendTime
		}
		if cfg.Process == nil {
			err = emit(any(&row).(*Out))
		} else {
			err = cfg.Process(&row, &rec, emit)
		}
		if err == nil {
			continue
		}
		w.Abort(ctx)
		return fmt.Errorf("kafkagroup: %s/%d@%d: %w", tp.Topic, tp.Partition, r.Offset, err)
	}
	// Lost ranges: the partition's txn moves past them, each is
	// quarantined (if a writer is set) with its first offset.
	var offsetsLost, lostRanges int64
	for _, tp := range sortedKeys(b.losses) {
		lr := b.losses[tp]
		if _, ok := owned[tp]; !ok {
			continue // revoked: its next owner finds the loss again
		}
		pb := parts[tp]
		if pb == nil {
			pb = &partBatch{first: lr.from, last: lr.to - 1}
			parts[tp] = pb
			order = append(order, tp)
		}
		pb.first = min(pb.first, lr.from)
		pb.last = max(pb.last, lr.to-1)
		pb.lost = &lr
		offsetsLost += lr.to - lr.from
		lostRanges++
		if cfg.Quarantine != nil {
			pb.bad = append(pb.bad, quarantine.Record{Raw: []byte{}, File: fmt.Sprintf("kafka:%s/%d", tp.Topic, tp.Partition), Offset: lr.from,
				Err: fmt.Sprintf("data loss: offsets [%d, %d) of topic %q partition %d were skipped: %s", lr.from, lr.to, tp.Topic, tp.Partition, lr.reason)})
			sort.SliceStable(pb.bad, func(i, j int) bool { return pb.bad[i].Offset < pb.bad[j].Offset })
		}
	}
	if len(parts) == 0 {
		w.Abort(ctx)
		return nil
	}
	if err := flush(); err != nil {
		w.Abort(ctx)
		return fmt.Errorf("kafkagroup: write rows: %w", err)
	}
	numRows := w.NumRows()
	adds, err := w.Close(ctx)
	if err != nil {
		return fmt.Errorf("kafkagroup: write rows: %w", err)
	}
	discard := func() {
		delta.DeleteDataFiles(ctx, t.Storage(), adds, func(a *delta.Add, err error) {
			cfg.Logger.Warn("kafkagroup: deleting an uncommitted data file failed", "path", a.Path, "err", err)
		})
	}

	// The malformed records go first: a crash before the data commit
	// quarantines them again only past what the quarantine table records.
	for _, tp := range order {
		n, err := g.quarantine(ctx, tp, parts[tp].bad)
		if err != nil {
			discard()
			var ce *delta.ConflictError
			if errors.As(err, &ce) {
				return g.stale(ctx, cl, err)
			}
			return fmt.Errorf("kafkagroup: quarantine %s/%d: %w", tp.Topic, tp.Partition, err)
		}
		quarantined += n
	}

	snap, err := t.Snapshot(ctx)
	if err != nil {
		discard()
		return fmt.Errorf("kafkagroup: %w", err)
	}
	tx := t.BeginAt(snap)
	for _, tp := range order {
		app := AppID(cfg.Query, tp.Topic, tp.Partition)
		x, ok := snap.Txns[app]
		if !ok || x.Version != owned[tp] {
			discard()
			have := "none"
			if ok {
				have = strconv.FormatInt(x.Version, 10)
			}
			return g.stale(ctx, cl, fmt.Errorf("%w: %s: the table records offset %s, this process read after %d", ErrStale, app, have, owned[tp]))
		}
		tx.SetTxn(app, parts[tp].last)
	}
	tx.Add(adds...)
	tx.SetOperation(Operation, map[string]any{"outputMode": "Append", "queryId": cfg.Query})
	version, err := tx.Commit(ctx)
	if err != nil {
		var ce *delta.ConflictError
		if errors.As(err, &ce) || errors.Is(err, delta.ErrTxnAlreadyCommitted) {
			discard()
			return g.stale(ctx, cl, fmt.Errorf("%w: %w", ErrStale, err))
		}
		// The outcome may be unknown (the data files may be referenced):
		// leave them; the next owner re-reads from the table.
		return fmt.Errorf("kafkagroup: commit: %w", err)
	}

	g.mu.Lock()
	for _, tp := range order {
		if p, ok := g.owned[tp]; ok {
			p.version = parts[tp].last
		}
	}
	g.stats.Commits++
	var nrec int64
	for _, pb := range parts {
		nrec += pb.records
	}
	g.stats.Records += nrec
	g.stats.Rows += numRows
	g.stats.Malformed += malformed
	g.stats.Quarantined += quarantined
	g.stats.OffsetsLost += offsetsLost
	g.stats.DataLossRanges += lostRanges
	id := g.batchID
	g.batchID++
	prevTrig := g.lastTrig
	g.lastTrig = began
	g.mu.Unlock()

	if cfg.CommitToGroup {
		offs := map[string]map[int32]kgo.EpochOffset{}
		for _, tp := range order {
			if offs[tp.Topic] == nil {
				offs[tp.Topic] = map[int32]kgo.EpochOffset{}
			}
			offs[tp.Topic][tp.Partition] = kgo.EpochOffset{Epoch: -1, Offset: parts[tp].last + 1}
		}
		cl.CommitOffsets(ctx, offs, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, _ *kmsg.OffsetCommitResponse, err error) {
			if err != nil {
				cfg.Logger.Debug("kafkagroup: committing offsets to the group failed (only lag tools read them)", "err", err)
			}
		})
	}
	g.report(id, began, prevTrig, order, parts, nrec, numRows, version, len(adds), map[string]int64{
		"numMalformedRows": malformed, "numQuarantinedRows": quarantined, "numDroppedMalformedRows": dropped, "numBytesRead": recBytes,
		"numOffsetsLost": offsetsLost, "numDataLossRanges": lostRanges,
	})
	return nil
}

// stale drops a batch that another process's commit made stale and seeks
// every owned partition again from the table.
func (g *Group[In, Out]) stale(ctx context.Context, cl *kgo.Client, cause error) error {
	g.cfg.Logger.Info("kafkagroup: batch dropped; seeking from the table", "query", g.cfg.Query, "reason", cause.Error())
	snap, err := g.cfg.Table.Snapshot(ctx)
	if err != nil {
		return fmt.Errorf("kafkagroup: re-seek after a stale batch: %w", err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.stats.Stale++
	clear(g.losses) // the partitions' owners find them again
	set := map[string]map[int32]kgo.EpochOffset{}
	for tp, p := range g.owned {
		x, ok := snap.Txns[AppID(g.cfg.Query, tp.Topic, tp.Partition)]
		if !ok {
			continue // cannot happen: assignment records a txn
		}
		p.version = x.Version
		p.next = x.Version + 1
		if set[tp.Topic] == nil {
			set[tp.Topic] = map[int32]kgo.EpochOffset{}
		}
		set[tp.Topic][tp.Partition] = kgo.EpochOffset{Epoch: -1, Offset: x.Version + 1}
	}
	cl.SetOffsets(set)
	return nil
}

// sortedKeys returns m's partitions sorted.
func sortedKeys[V any](m map[kafka.TopicPartition]V) []kafka.TopicPartition {
	tps := make([]kafka.TopicPartition, 0, len(m))
	for tp := range m {
		tps = append(tps, tp)
	}
	sortTPs(tps)
	return tps
}

// quarantine hands a partition's malformed records to the quarantine
// writer as one batch keyed by the partition's appId (QueryID) and its
// last offset (Version). With a Delta quarantine table the records at or
// before the offset its txn records are left out first: they were
// quarantined by an earlier attempt whose data commit did not land, so
// each record is quarantined once. With another writer a record can be
// handed over again after such an attempt.
func (g *Group[In, Out]) quarantine(ctx context.Context, tp kafka.TopicPartition, recs []quarantine.Record) (int64, error) {
	if len(recs) == 0 {
		return 0, nil
	}
	qid := AppID(g.cfg.Query, tp.Topic, tp.Partition)
	if qt, ok := g.cfg.Quarantine.(interface{ Table() *delta.Table }); ok {
		snap, err := qt.Table().Snapshot(ctx)
		switch {
		case errors.Is(err, delta.ErrNotATable):
		case err != nil:
			return 0, err
		default:
			if x, ok := snap.Txns[quarantine.AppID(qid, 0)]; ok {
				i := 0
				for i < len(recs) && recs[i].Offset <= x.Version {
					i++
				}
				recs = recs[i:]
			}
		}
	}
	if len(recs) == 0 {
		return 0, nil
	}
	err := g.cfg.Quarantine.Write(ctx, quarantine.Batch{QueryID: qid, Source: 0, Version: recs[len(recs)-1].Offset, Records: recs})
	return int64(len(recs)), err
}

// report records the commit's progress and tells the listeners.
func (g *Group[In, Out]) report(id int64, began, prevTrig time.Time, order []kafka.TopicPartition, parts map[kafka.TopicPartition]*partBatch,
	nrec, nrows, version int64, files int, metrics map[string]int64) {
	cfg := &g.cfg
	now := cfg.Clock()
	dur := now.Sub(began)
	start := map[string]map[string]int64{}
	end := map[string]map[string]int64{}
	for _, tp := range order {
		if start[tp.Topic] == nil {
			start[tp.Topic], end[tp.Topic] = map[string]int64{}, map[string]int64{}
		}
		p := strconv.Itoa(int(tp.Partition))
		start[tp.Topic][p] = parts[tp].first
		end[tp.Topic][p] = parts[tp].last + 1
	}
	sj, _ := json.Marshal(start)
	ej, _ := json.Marshal(end)
	rate := func(d time.Duration) float64 {
		if d <= 0 {
			return 0
		}
		return float64(nrec) / d.Seconds()
	}
	sm := map[string]string{"numRecordsRead": strconv.FormatInt(nrec, 10)}
	for k, v := range metrics {
		sm[k] = strconv.FormatInt(v, 10)
	}
	p := stream.Progress{
		ID: cfg.Query, RunID: g.runID, Name: cfg.Query,
		Timestamp:              began.UTC().Format(stream.TimeLayout),
		BatchID:                id,
		BatchDuration:          dur.Milliseconds(),
		NumInputRows:           nrec,
		InputRowsPerSecond:     rate(began.Sub(prevTrig)),
		ProcessedRowsPerSecond: rate(dur),
		DurationMs:             map[string]int64{"addBatch": dur.Milliseconds(), "triggerExecution": dur.Milliseconds()},
		StateOperators:         []stream.StateOperatorProgress{},
		Sources: []stream.SourceProgress{{
			Description:  fmt.Sprintf("KafkaGroup[%s: %s]", cfg.Group, topicsDesc(cfg.Topics, cfg.TopicPattern)),
			StartOffset:  sj,
			EndOffset:    ej,
			LatestOffset: ej,
			NumInputRows: nrec, InputRowsPerSecond: rate(began.Sub(prevTrig)), ProcessedRowsPerSecond: rate(dur),
			Metrics: sm,
		}},
		Sink: stream.SinkProgress{
			Description:   "DeltaSink[" + cfg.Table.Location() + "]",
			NumOutputRows: nrows,
			Metrics:       map[string]string{"committedVersion": strconv.FormatInt(version, 10), "numFilesAdded": strconv.Itoa(files)},
		},
	}
	g.mu.Lock()
	g.recent = append(g.recent, p)
	if len(g.recent) > DefaultRecentProgress {
		g.recent = slices.Delete(g.recent, 0, len(g.recent)-DefaultRecentProgress)
	}
	g.mu.Unlock()
	for _, l := range cfg.Listeners {
		if lp, ok := l.(stream.ListenerProgress); ok {
			lp.OnProgress(p)
		}
	}
}

// topicsDesc names the topics in the source description: a,b or the
// pattern.
func topicsDesc(topics []string, pattern string) string {
	if pattern != "" {
		return "pattern " + pattern
	}
	return strings.Join(topics, ",")
}
