package stream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/streamgen/streamgen/runtime/checkpoint"
)

// ErrNotStarted is returned by ProcessAllAvailable before Start.
var ErrNotStarted = errors.New("stream: query not started")

// Query is a streaming query: the micro-batch loop over a checkpoint, its
// sources and a Runner. Create it with NewQuery and run it with Start; a
// Query runs once, so restarting means a new Query on the same checkpoint.
// Its methods are safe for concurrent use.
type Query struct {
	cp      *checkpoint.Checkpoint
	sources []Source
	run     Runner
	cfg     cfg

	mu          sync.Mutex
	started     bool
	terminated  bool
	stopping    bool
	runID       string
	status      Status
	recent      []Progress // ring of the last cfg.recentSize, oldest first
	err         error
	stopWait    context.CancelFunc // cancels trigger waits on Stop
	cancelWait  context.CancelFunc // cuts an idle poll short, for ProcessAllAvailable
	wakePending bool
	triggerSeq  int64 // triggers started
	idleSeq     int64 // the newest trigger that found nothing to do
	changed     chan struct{}
	done        chan struct{}

	// ls is the loop's state, owned by Start and then the loop goroutine.
	ls loopState
}

// NewQuery returns a query over the checkpoint cp reading sources, whose
// batches run. The order of sources is the order of the offsets in the
// checkpoint and must not change across restarts.
func NewQuery(cp *checkpoint.Checkpoint, sources []Source, run Runner, opts ...Opt) (*Query, error) {
	if cp == nil {
		return nil, errors.New("stream: nil checkpoint")
	}
	if len(sources) == 0 {
		return nil, errors.New("stream: a query needs at least one source")
	}
	for i, s := range sources {
		if s == nil {
			return nil, fmt.Errorf("stream: source %d is nil", i)
		}
	}
	if run == nil {
		return nil, errors.New("stream: nil Runner")
	}
	c := defaultCfg()
	for _, o := range opts {
		o.apply(&c)
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	if !c.minRetainSet {
		c.minRetain = cp.MinBatchesToRetain()
	}
	return &Query{
		cp:      cp,
		sources: append([]Source(nil), sources...),
		run:     run,
		cfg:     c,
		status:  Status{Message: "Initializing sources"},
		changed: make(chan struct{}),
		done:    make(chan struct{}),
	}, nil
}

// ID returns the query ID, stored in the checkpoint and stable across
// restarts.
func (q *Query) ID() string { return q.cp.ID() }

// RunID returns the ID of this run, new on every Start; "" before Start.
func (q *Query) RunID() string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.runID
}

// Name returns the query's name.
func (q *Query) Name() string { return q.cfg.name }

// Status returns what the query is doing right now.
func (q *Query) Status() Status {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.status
}

// LastProgress returns the progress of the latest batch, or nil before
// the first.
func (q *Query) LastProgress() *Progress {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.recent) == 0 {
		return nil
	}
	p := q.recent[len(q.recent)-1]
	return &p
}

// RecentProgress returns the progress of the latest batches, oldest
// first, at most RecentProgressSize of them.
func (q *Query) RecentProgress() []Progress {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]Progress(nil), q.recent...)
}

// Err returns the error that stopped the query, or nil while it runs or
// when it stopped without one (Stop, a cancelled context, the end of a
// Once or AvailableNow query).
func (q *Query) Err() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.err
}

// IsActive reports whether the query was started and has not terminated.
func (q *Query) IsActive() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.started && !q.terminated
}

// Start recovers the query's position from the checkpoint, synchronously,
// and then runs the micro-batch loop in a new goroutine. An error while
// recovering (a corrupt checkpoint, a source that fails to give its
// initial offset) is returned, and the query is terminated with it.
// Cancelling ctx interrupts the query at once, mid-batch if need be.
func (q *Query) Start(ctx context.Context) error {
	q.mu.Lock()
	if q.started || q.terminated {
		q.mu.Unlock()
		return errors.New("stream: a query can be started only once; create a new Query to restart it")
	}
	q.started = true
	q.runID = q.cfg.runIDs()
	q.mu.Unlock()

	if err := q.recover(ctx); err != nil {
		q.mu.Lock()
		q.err = err
		q.terminated = true
		q.status = Status{Message: "Terminated with error: " + err.Error()}
		close(q.done)
		q.broadcast()
		q.mu.Unlock()
		return err
	}
	waitCtx, cancel := context.WithCancel(ctx)
	q.mu.Lock()
	q.stopWait = cancel
	if q.stopping {
		cancel()
	}
	q.mu.Unlock()
	go func() {
		err := q.loop(ctx, waitCtx)
		cancel()
		q.terminate(err)
	}()
	return nil
}

// Stop asks the query to stop after the current batch, waits until it
// has, and returns. Stopping is not an error: Err stays nil unless the
// query failed. Stop before Start terminates the query.
func (q *Query) Stop() {
	q.mu.Lock()
	q.stopping = true
	if q.stopWait != nil {
		q.stopWait()
	}
	if !q.started && !q.terminated {
		q.terminated = true
		q.status = Status{Message: "Stopped"}
		close(q.done)
		q.broadcast()
	}
	q.mu.Unlock()
	<-q.done
}

// AwaitTermination blocks until the query terminates, then returns Err, or
// until ctx is done and returns ctx.Err().
func (q *Query) AwaitTermination(ctx context.Context) error {
	select {
	case <-q.done:
		return q.Err()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Done returns a channel closed when the query has terminated.
func (q *Query) Done() <-chan struct{} { return q.done }

// ProcessAllAvailable blocks until everything available from the sources
// when it is called has been processed and committed: until a trigger that
// started after the call found no new data. It cuts a Default trigger's
// idle poll short, but waits for a ProcessingTime trigger's next interval.
// It returns the query's error if it fails meanwhile, nil if it terminates
// normally, and ctx.Err() if ctx is done first. It is meant for tests.
func (q *Query) ProcessAllAvailable(ctx context.Context) error {
	q.mu.Lock()
	if !q.started && !q.terminated {
		q.mu.Unlock()
		return ErrNotStarted
	}
	target := q.triggerSeq
	if q.cancelWait != nil {
		q.cancelWait()
		q.cancelWait = nil
	} else {
		q.wakePending = true
	}
	for {
		if q.terminated {
			err := q.err
			q.mu.Unlock()
			return err
		}
		if q.idleSeq > target {
			q.mu.Unlock()
			return nil
		}
		ch := q.changed
		q.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		q.mu.Lock()
	}
}

// broadcast wakes the goroutines waiting for a change; q.mu is held.
func (q *Query) broadcast() {
	close(q.changed)
	q.changed = make(chan struct{})
}

// terminate records the end of the loop and tells the listeners.
func (q *Query) terminate(err error) {
	q.mu.Lock()
	q.err = err
	if err != nil {
		q.status = Status{Message: "Terminated with error: " + err.Error()}
	} else {
		q.status = Status{Message: "Stopped"}
	}
	runID := q.runID
	q.mu.Unlock()
	if err != nil {
		q.cfg.logger.Error("stream: query failed", q.logAttrs("error", err)...)
	} else {
		q.cfg.logger.Info("stream: query stopped", q.logAttrs()...)
	}
	for _, l := range q.cfg.listeners {
		if l, ok := l.(ListenerTerminated); ok {
			l.OnTerminated(TerminatedEvent{ID: q.ID(), RunID: runID, Err: err})
		}
	}
	q.mu.Lock()
	q.terminated = true
	close(q.done)
	q.broadcast()
	q.mu.Unlock()
}

func (q *Query) isStopping() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.stopping
}

func (q *Query) setStatus(s Status) {
	q.mu.Lock()
	q.status = s
	q.mu.Unlock()
}

func (q *Query) logAttrs(kv ...any) []any {
	return append([]any{"query", q.cfg.name, "id", q.ID(), "runId", q.runID}, kv...)
}

// checkpointConf is the conf written to every offsets/N.
func (q *Query) checkpointConf() map[string]string { return q.cfg.conf }

// compactOffset returns off compacted, nil for nil or JSON null.
func compactOffset(off json.RawMessage) (json.RawMessage, error) {
	if off == nil {
		return nil, nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, off); err != nil {
		return nil, err
	}
	if buf.String() == "null" {
		return nil, nil
	}
	return json.RawMessage(buf.Bytes()), nil
}

// sameOffset reports whether two offsets are the same; both are compacted.
func sameOffset(a, b json.RawMessage) bool {
	if (a == nil) != (b == nil) {
		return false
	}
	return bytes.Equal(a, b)
}
