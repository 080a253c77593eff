package stream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/streamgen/streamgen/runtime/checkpoint"
	"github.com/streamgen/streamgen/runtime/trigger"
)

// loopState is where the query stands between batches.
type loopState struct {
	sched *trigger.Scheduler
	// nextID is the ID of the next batch to run.
	nextID int64
	// start holds where the next batch starts reading, per source.
	start []json.RawMessage
	// wm is the watermark (ms) the next batch runs with; lastBatchWm the
	// one the last batch ran with. wm > lastBatchWm calls for a no-data
	// batch.
	wm, lastBatchWm int64
	// rerun is the logged offsets of an uncommitted batch to run first.
	rerun *checkpoint.OffsetSeq
	// commitStart says the sources must be told (again) that start is
	// committed: the previous run may have stopped before it told them.
	commitStart      bool
	lastTriggerStart time.Time
	idle             bool
}

// pollInterval is how long the Default trigger waits after a trigger
// without new data: the PollInterval option, else the shortest of
// trigger.PollInterval and the intervals the PollingSources ask for.
func (q *Query) pollInterval() time.Duration {
	if q.cfg.pollSet {
		return q.cfg.pollInterval
	}
	d := q.cfg.pollInterval
	for _, s := range q.sources {
		if ps, ok := s.(PollingSource); ok && ps.PollInterval() > 0 {
			d = min(d, ps.PollInterval())
		}
	}
	return d
}

// recover sets the loop state from the checkpoint's recovery plan.
func (q *Query) recover(ctx context.Context) error {
	ls := &q.ls
	ls.sched = trigger.NewScheduler(q.cfg.trigger,
		trigger.WithClock(q.cfg.clock), trigger.WithPollInterval(q.pollInterval()))
	r, err := q.cp.RecoveryPlan(ctx)
	if err != nil {
		return fmt.Errorf("stream: recover: %w", err)
	}
	ls.nextID = r.BatchID
	switch r.Action {
	case checkpoint.StartFresh:
		ls.start, err = q.startOffsets(ctx, nil)
	case checkpoint.ContinueAfter:
		if err = q.checkLogged(r.Start, r.BatchID-1); err != nil {
			return err
		}
		ls.start, err = q.startOffsets(ctx, r.Start.Offsets)
		ls.wm = r.Commit.NextBatchWatermarkMs
		ls.lastBatchWm = r.Start.Metadata.BatchWatermarkMs
		ls.commitStart = true
	case checkpoint.RerunBatch:
		if err = q.checkLogged(r.Offsets, r.BatchID); err != nil {
			return err
		}
		var from []json.RawMessage
		if r.Start != nil {
			if err = q.checkLogged(r.Start, r.BatchID-1); err != nil {
				return err
			}
			from = r.Start.Offsets
		}
		ls.start, err = q.startOffsets(ctx, from)
		ls.rerun = r.Offsets
		ls.wm = r.Offsets.Metadata.BatchWatermarkMs
		ls.lastBatchWm = ls.wm
	}
	if err != nil {
		return err
	}
	q.cfg.logger.Info("stream: query starting", q.logAttrs("checkpoint", q.cp.Location(),
		"recovery", r.Action.String(), "batch", r.BatchID, "trigger", q.cfg.trigger.String())...)
	return nil
}

// checkLogged checks logged offsets against the query: one offset per
// source, and the same pinned settings.
func (q *Query) checkLogged(s *checkpoint.OffsetSeq, batchID int64) error {
	if len(s.Offsets) != len(q.sources) {
		return fmt.Errorf("stream: offsets of batch %d in %s hold %d sources but the query has %d; "+
			"sources cannot be added or removed on an existing checkpoint: use a new checkpoint location",
			batchID, q.cp.Location(), len(s.Offsets), len(q.sources))
	}
	for k, v := range q.cfg.conf {
		if old, ok := s.Metadata.Conf[k]; ok && old != v {
			return fmt.Errorf("stream: offsets of batch %d in %s pin %s=%s but the query runs with %s; "+
				"use a new checkpoint location", batchID, q.cp.Location(), k, old, v)
		}
	}
	return nil
}

// startOffsets returns the compacted logged offsets, asking a source for
// its initial offset where none is logged (logged is nil for batch 0).
func (q *Query) startOffsets(ctx context.Context, logged []json.RawMessage) ([]json.RawMessage, error) {
	start := make([]json.RawMessage, len(q.sources))
	for i, s := range q.sources {
		if logged != nil && logged[i] != nil {
			start[i] = logged[i]
			continue
		}
		off, err := s.InitialOffset(ctx)
		if err != nil {
			return nil, fmt.Errorf("stream: source %d (%s): initial offset: %w", i, s.Description(), err)
		}
		if start[i], err = compactOffset(off); err != nil {
			return nil, fmt.Errorf("stream: source %d (%s): invalid initial offset %q: %w", i, s.Description(), off, err)
		}
	}
	return start, nil
}

// fail turns a batch's error into the query's: nil when ctx is done (an
// interruption), a *checkpoint.ConcurrentQueryError as is, otherwise
// prefixed with the batch ID.
func (q *Query) fail(ctx context.Context, batchID int64, err error) error {
	if ctx.Err() != nil {
		q.cfg.logger.Info("stream: batch interrupted; it runs again at the next start",
			q.logAttrs("batch", batchID, "cause", err)...)
		return nil
	}
	var cqe *checkpoint.ConcurrentQueryError
	if errors.As(err, &cqe) {
		return cqe
	}
	return fmt.Errorf("stream: batch %d: %w", batchID, err)
}

// loop runs the query until it stops, and returns the error that stopped
// it.
func (q *Query) loop(ctx, waitCtx context.Context) error {
	ls := &q.ls
	q.postStarted()
	if ls.commitStart {
		if err := q.commitSources(ctx, ls.start); err != nil {
			return q.fail(ctx, ls.nextID-1, err)
		}
	}
	if q.cfg.trigger.Kind() == trigger.KindAvailableNow {
		from := ls.start
		if ls.rerun != nil {
			from = q.rerunEnd()
		}
		for i, s := range q.sources {
			if s, ok := s.(AvailableNowSource); ok {
				if err := s.PrepareAvailableNow(ctx, from[i]); err != nil {
					return q.fail(ctx, ls.nextID, fmt.Errorf("source %d (%s): prepare available now: %w", i, s.Description(), err))
				}
			}
		}
	}
	if ls.rerun != nil && !q.isStopping() {
		now := q.cfg.clock.Now()
		q.beginTrigger()
		q.setStatus(Status{Message: "Processing new data", IsDataAvailable: true, IsTriggerActive: true})
		end := q.rerunEnd()
		q.cfg.logger.Info("stream: re-running uncommitted batch", q.logAttrs("batch", ls.nextID)...)
		err := q.runBatch(ctx, batchPlan{
			id: ls.nextID, start: ls.start, end: end, latest: end,
			tsMs: ls.rerun.Metadata.BatchTimestampMs, wmMs: ls.rerun.Metadata.BatchWatermarkMs,
			rerun: true, triggerStart: now,
		})
		if err != nil {
			return q.fail(ctx, ls.nextID, err)
		}
		ls.rerun = nil
		q.endTrigger(true)
	}
	for {
		if q.isStopping() || ctx.Err() != nil {
			return nil
		}
		start, err := q.wait(waitCtx)
		if err != nil {
			return nil // stopped or cancelled while waiting
		}
		ran, err := q.trigger(ctx, start)
		if err != nil {
			return q.fail(ctx, ls.nextID, err)
		}
		switch q.cfg.trigger.Kind() {
		case trigger.KindOnce:
			return nil
		case trigger.KindAvailableNow:
			if !ran {
				return nil
			}
		}
	}
}

// rerunEnd returns the end offsets of the batch to re-run; a source
// without a logged offset has no data in it.
func (q *Query) rerunEnd() []json.RawMessage {
	end := make([]json.RawMessage, len(q.sources))
	for i, off := range q.ls.rerun.Offsets {
		end[i] = off
		if off == nil {
			end[i] = q.ls.start[i]
		}
	}
	return end
}

// wait blocks until the next trigger may start. A Default trigger's idle
// poll is cut short by ProcessAllAvailable. The error is waitCtx's: the
// query is stopping.
func (q *Query) wait(waitCtx context.Context) (time.Time, error) {
	idle := q.ls.idle
	q.mu.Lock()
	if q.wakePending {
		q.wakePending = false
		idle = false
	}
	wctx := waitCtx
	var cancel context.CancelFunc
	t := q.cfg.trigger
	if idle && (t.Kind() != trigger.KindProcessingTime || t.Interval() <= 0) {
		wctx, cancel = context.WithCancel(waitCtx)
		q.cancelWait = cancel
	}
	q.mu.Unlock()
	start, err := q.ls.sched.Wait(wctx, idle)
	if cancel != nil {
		q.mu.Lock()
		q.cancelWait = nil
		q.mu.Unlock()
		cancel()
	}
	if err != nil {
		if waitCtx.Err() != nil {
			return time.Time{}, err
		}
		return q.cfg.clock.Now(), nil // woken by ProcessAllAvailable
	}
	return start, nil
}

// beginTrigger counts a trigger and marks it active.
func (q *Query) beginTrigger() int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.triggerSeq++
	q.status.IsTriggerActive = true
	return q.triggerSeq
}

// endTrigger marks the end of a trigger that ran a batch.
func (q *Query) endTrigger(hasData bool) {
	q.mu.Lock()
	q.status = Status{Message: "Waiting for next trigger", IsDataAvailable: hasData}
	q.broadcast()
	q.mu.Unlock()
}

// trigger runs one trigger that started at start: new offsets, and a batch
// when there is new data or the watermark moved. It reports whether a
// batch ran.
func (q *Query) trigger(ctx context.Context, start time.Time) (bool, error) {
	ls := &q.ls
	seq := q.beginTrigger()
	descs := make([]string, len(q.sources))
	for i, s := range q.sources {
		descs[i] = s.Description()
	}
	q.mu.Lock()
	q.status.Message = "Getting offsets from " + strings.Join(descs, ", ")
	q.mu.Unlock()

	t0 := q.cfg.clock.Now()
	latest := make([]json.RawMessage, len(q.sources))
	hasData := false
	for i, s := range q.sources {
		var off json.RawMessage
		var err error
		if as, ok := s.(AllAvailableSource); ok && q.cfg.trigger.Kind() == trigger.KindOnce {
			off, err = as.LatestOffsetAllAvailable(ctx, ls.start[i])
		} else {
			off, err = s.LatestOffset(ctx, ls.start[i])
		}
		if err != nil {
			return false, fmt.Errorf("source %d (%s): latest offset: %w", i, descs[i], err)
		}
		c, err := compactOffset(off)
		if err != nil {
			return false, fmt.Errorf("source %d (%s): invalid latest offset %q: %w", i, descs[i], off, err)
		}
		if c == nil {
			c = ls.start[i]
		}
		latest[i] = c
		hasData = hasData || !sameOffset(ls.start[i], c)
	}
	latestDur := q.cfg.clock.Now().Sub(t0)

	wmMoved := q.cfg.watermarkDelay > 0 && ls.wm > ls.lastBatchWm
	if !hasData && !wmMoved {
		q.mu.Lock()
		q.idleSeq = seq
		q.status = Status{Message: "Waiting for data to arrive"}
		q.broadcast()
		q.mu.Unlock()
		ls.lastTriggerStart = start
		if !ls.idle {
			ls.idle = true
			q.postIdle(start)
		}
		return false, nil
	}
	ls.idle = false
	q.setStatus(Status{Message: "Processing new data", IsDataAvailable: hasData, IsTriggerActive: true})
	err := q.runBatch(ctx, batchPlan{
		id: ls.nextID, start: ls.start, end: latest, latest: latest,
		tsMs: start.UnixMilli(), wmMs: ls.wm, triggerStart: start, latestDur: latestDur,
	})
	if err != nil {
		return false, err
	}
	q.endTrigger(hasData)
	return true, nil
}

// batchPlan is a batch about to run.
type batchPlan struct {
	id                 int64
	start, end, latest []json.RawMessage
	tsMs, wmMs         int64
	rerun              bool
	triggerStart       time.Time
	latestDur          time.Duration
}

// runBatch runs one batch under the write-ahead protocol and records its
// progress.
func (q *Query) runBatch(ctx context.Context, p batchPlan) error {
	ls := &q.ls
	clock := q.cfg.clock
	durs := map[string]int64{DurationLatestOffset: p.latestDur.Milliseconds(), DurationWALCommit: 0}
	if !p.rerun {
		t := clock.Now()
		err := q.cp.WriteOffsets(ctx, p.id, &checkpoint.OffsetSeq{
			Metadata: checkpoint.OffsetSeqMetadata{
				BatchWatermarkMs: p.wmMs,
				BatchTimestampMs: p.tsMs,
				Conf:             maps.Clone(q.cfg.conf),
			},
			Offsets: p.end,
		})
		if err != nil {
			return err
		}
		durs[DurationWALCommit] = clock.Now().Sub(t).Milliseconds()
	}

	b := &Batch{
		QueryID:   q.ID(),
		ID:        p.id,
		Start:     append([]json.RawMessage(nil), p.start...),
		End:       append([]json.RawMessage(nil), p.end...),
		Timestamp: time.UnixMilli(p.tsMs).UTC(),
		Watermark: time.UnixMilli(p.wmMs).UTC(),
		Rerun:     p.rerun,
	}
	t := clock.Now()
	res, err := q.run(ctx, b)
	durs[DurationAddBatch] = clock.Now().Sub(t).Milliseconds()
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err // interrupted: leave the batch uncommitted
	}
	if res.SourceRows != nil && len(res.SourceRows) != len(q.sources) {
		return fmt.Errorf("runner reported rows for %d sources, the query has %d", len(res.SourceRows), len(q.sources))
	}
	if res.SourceMetrics != nil && len(res.SourceMetrics) != len(q.sources) {
		return fmt.Errorf("runner reported metrics for %d sources, the query has %d", len(res.SourceMetrics), len(q.sources))
	}

	next := p.wmMs
	if d := q.cfg.watermarkDelay; d > 0 && !res.MaxEventTime.IsZero() {
		next = max(next, res.MaxEventTime.UnixMilli()-d.Milliseconds())
	}
	t = clock.Now()
	if err := q.cp.WriteCommit(ctx, p.id, checkpoint.CommitMetadata{NextBatchWatermarkMs: next}); err != nil {
		return err
	}
	if err := q.commitSources(ctx, p.end); err != nil {
		return err
	}
	if keepFrom := p.id + 1 - int64(q.cfg.minRetain); keepFrom > 0 {
		if err := q.cp.Purge(ctx, keepFrom); err != nil {
			return err
		}
	}
	end := clock.Now()
	durs[DurationCommitOffsets] = end.Sub(t).Milliseconds()
	durs[DurationTriggerExecution] = end.Sub(p.triggerStart).Milliseconds()

	prog := q.progress(ctx, p, res, durs)
	ls.start = p.end
	ls.lastBatchWm = p.wmMs
	ls.wm = next
	ls.nextID = p.id + 1
	ls.lastTriggerStart = p.triggerStart
	q.record(prog)
	q.cfg.logger.Debug("stream: batch committed", q.logAttrs("batch", p.id, "rerun", p.rerun,
		"inputRows", prog.NumInputRows, "outputRows", prog.Sink.NumOutputRows,
		"nextWatermarkMs", next, "durationMs", durs[DurationTriggerExecution])...)
	return nil
}

// commitSources tells every source with an offset that end is committed.
func (q *Query) commitSources(ctx context.Context, end []json.RawMessage) error {
	for i, s := range q.sources {
		if end[i] == nil {
			continue
		}
		if err := s.Commit(ctx, end[i]); err != nil {
			return fmt.Errorf("source %d (%s): commit: %w", i, s.Description(), err)
		}
	}
	return nil
}

// progress builds the progress report of a committed batch.
func (q *Query) progress(ctx context.Context, p batchPlan, res BatchResult, durs map[string]int64) Progress {
	n := len(q.sources)
	rows := res.NumInputRows
	srcRows := res.SourceRows
	switch {
	case srcRows == nil:
		srcRows = make([]int64, n)
		if n == 1 {
			srcRows[0] = rows
		}
	case rows == 0:
		for _, r := range srcRows {
			rows += r
		}
	}
	sinceLast := int64(0)
	if !q.ls.lastTriggerStart.IsZero() {
		sinceLast = p.triggerStart.Sub(q.ls.lastTriggerStart).Milliseconds()
	}
	total := durs[DurationTriggerExecution]
	rate := func(rows, ms int64) float64 {
		if ms <= 0 {
			return 0
		}
		return float64(rows) * 1000 / float64(ms)
	}
	eventTime := map[string]string{}
	if q.cfg.watermarkDelay > 0 {
		eventTime["watermark"] = formatTime(time.UnixMilli(p.wmMs))
	}
	if !res.MaxEventTime.IsZero() {
		eventTime["max"] = formatTime(res.MaxEventTime)
	}
	ops := append([]StateOperatorProgress{}, res.StateOperators...)
	sources := make([]SourceProgress, n)
	for i, s := range q.sources {
		var metrics map[string]string
		if res.SourceMetrics != nil {
			metrics = maps.Clone(res.SourceMetrics[i])
		}
		if ms, ok := s.(MetricsSource); ok {
			if m := ms.Metrics(ctx, p.end[i]); len(m) > 0 {
				if metrics == nil {
					metrics = make(map[string]string, len(m))
				}
				maps.Copy(metrics, m)
			}
		}
		if len(metrics) == 0 {
			metrics = nil
		}
		sources[i] = SourceProgress{
			Description:            s.Description(),
			StartOffset:            p.start[i],
			EndOffset:              p.end[i],
			LatestOffset:           p.latest[i],
			NumInputRows:           srcRows[i],
			InputRowsPerSecond:     rate(srcRows[i], sinceLast),
			ProcessedRowsPerSecond: rate(srcRows[i], total),
			Metrics:                metrics,
		}
	}
	var sinkMetrics map[string]string
	if len(res.SinkMetrics) > 0 {
		sinkMetrics = maps.Clone(res.SinkMetrics)
	}
	q.mu.Lock()
	runID := q.runID
	q.mu.Unlock()
	return Progress{
		ID:                     q.ID(),
		RunID:                  runID,
		Name:                   q.cfg.name,
		Timestamp:              formatTime(p.triggerStart),
		BatchID:                p.id,
		BatchDuration:          total,
		NumInputRows:           rows,
		InputRowsPerSecond:     rate(rows, sinceLast),
		ProcessedRowsPerSecond: rate(rows, total),
		DurationMs:             durs,
		EventTime:              eventTime,
		StateOperators:         ops,
		Sources:                sources,
		Sink:                   SinkProgress{Description: q.cfg.sinkDesc, NumOutputRows: res.NumOutputRows, Metrics: sinkMetrics},
	}
}

// record keeps a progress report and hands it to the listeners.
func (q *Query) record(p Progress) {
	q.mu.Lock()
	if len(q.recent) == q.cfg.recentSize {
		copy(q.recent, q.recent[1:])
		q.recent = q.recent[:len(q.recent)-1]
	}
	q.recent = append(q.recent, p)
	q.mu.Unlock()
	for _, l := range q.cfg.listeners {
		if l, ok := l.(ListenerProgress); ok {
			l.OnProgress(p)
		}
	}
}

func (q *Query) postStarted() {
	ev := StartedEvent{ID: q.ID(), RunID: q.RunID(), Name: q.cfg.name, Timestamp: q.cfg.clock.Now()}
	for _, l := range q.cfg.listeners {
		if l, ok := l.(ListenerStarted); ok {
			l.OnStarted(ev)
		}
	}
}

func (q *Query) postIdle(at time.Time) {
	ev := IdleEvent{ID: q.ID(), RunID: q.RunID(), Timestamp: at}
	for _, l := range q.cfg.listeners {
		if l, ok := l.(ListenerIdle); ok {
			l.OnIdle(ev)
		}
	}
}
