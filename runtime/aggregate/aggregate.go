// Package aggregate is the stateful streaming aggregation operator that
// generated pipelines run (Spark's StateStoreRestore/StateStoreSave pair):
// each micro-batch folds its rows into per-key state kept in a
// runtime/state store, then the output mode decides which results leave
// and which state is evicted.
//
// Per batch b (see Operator):
//
//  1. Begin loads the state as of version b.ID (the state after batch
//     b.ID-1). A running query keeps its store between batches; a re-run
//     batch reloads its start version.
//  2. For each input row: Late reports a row whose event time is at or
//     before the batch's watermark (Spark's rule); it is dropped and
//     counted (numRowsDroppedByWatermark). State(k) returns the key's
//     state, created empty, for the generated Add.
//  3. Finish emits the results of the output mode, evicts state, commits
//     version b.ID+1 and purges old versions:
//     - Complete: every key, every batch; nothing is evicted and no row
//     is late (Spark: complete mode keeps all state, so the watermark
//     drops nothing).
//     - Update: the keys updated by this batch; then keys whose window
//     ends at or before the watermark are evicted.
//     - Append: only the keys whose window ends at or before the
//     watermark, once, as they are evicted (a window is final when the
//     watermark passes its end). Without a window a key never leaves:
//     the generator refuses append mode there, as Spark does.
//
// The watermark is the batch's (stream.Batch.Watermark, computed at the
// end of the previous batch), so a batch whose only purpose is to move it
// (a no-data batch) emits and evicts what it passed.
//
// # Session windows
//
// An operator made by NewSession aggregates over session windows (Spark's
// session_window(time, gap)): per group (the grouping keys), an event at t
// alone is the session [t, t+gap); sessions of a group that overlap
// (start < other's end and end > other's start: touching sessions stay
// apart) are one session, whose start is the earliest event and whose end
// the latest event plus the gap. The state store holds one entry per
// session, keyed by the group and the session's start (the generated key's
// WindowStart); its state holds the end (WindowEnd). State(k), with k
// holding the row's event time as its start, finds the group's sessions
// overlapping [t, t+gap) in an in-memory index (group → sessions sorted
// by start, rebuilt from the store whenever it is loaded) and returns
// either a new session's state, the one session's, or the merge of all of
// them under the earliest start (the merged keys are deleted and the
// merged key put, so the state files record the merge). The row's Add then
// extends the end.
//
// A session is final when the watermark reaches its end: append mode
// emits it once and evicts it when its end is at or before the watermark.
// A row that is not late (its time is after the watermark) cannot reach a
// session that ended at or before the watermark, so an emitted session
// never changes. Complete mode emits every session every batch and evicts
// nothing. Update mode is refused, as Spark refuses it (SPARK-36463).
package aggregate

import (
	"context"
	"fmt"
	"time"

	"github.com/streamgen/streamgen/runtime/state"
	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/stream"
)

// Mode is an output mode.
type Mode int

// The output modes.
const (
	// Append emits each window once, when the watermark passes its end.
	Append Mode = iota
	// Update emits the keys the batch changed.
	Update
	// Complete emits every key every batch.
	Complete
)

// String returns "append", "update" or "complete".
func (m Mode) String() string {
	switch m {
	case Append:
		return "append"
	case Update:
		return "update"
	case Complete:
		return "complete"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// OperatorName is the operator's name in progress reports, Spark's.
const OperatorName = "stateStoreSave"

// Config describes an aggregation to New.
type Config[K any] struct {
	// Mode is the output mode.
	Mode Mode
	// WindowEnd returns a key's window end (exclusive); nil when the
	// aggregation has no window.
	WindowEnd func(k *K) time.Time
	// Watermark says whether the pipeline defines a watermark: without
	// one no row is late and no state is evicted.
	Watermark bool
	// Fingerprint identifies the key and state layout: a store written
	// for another layout is refused (see state.Fingerprint).
	Fingerprint string
	// Retain is how many batches of state versions are kept, as the
	// checkpoint keeps its batches (checkpoint.MinBatchesToRetain);
	// default 100.
	Retain int64
}

// Session describes a session window to NewSession: how the operator
// reads and sets a session's start in a key, and reads a session's end and
// merges sessions in a state. The generated key holds the session's start
// (its WindowStart field), the generated state its end (WindowEnd, which
// Add extends) and Merge.
type Session[K, S any] struct {
	// Gap is the session gap: an event at t alone is the session
	// [t, t+Gap). It must be positive.
	Gap time.Duration
	// Start returns a pointer to the session start held in k. A key
	// passed to State holds the row's event time there; the keys the
	// operator stores and emits hold their session's start.
	Start func(k *K) *time.Time
	// End returns the end (exclusive) of the session whose state is s:
	// its latest event plus Gap, as the state's Add keeps it.
	End func(s *S) time.Time
	// Merge adds the rows of o to s and makes s's end the later of both.
	Merge func(s, o *S)
}

// Operator is one stateful aggregation of a running query. Its methods
// are called from the query's goroutine, one batch at a time.
type Operator[K comparable, S any, KP state.Codec[K], SP state.Codec[S]] struct {
	dir   storage.Storage
	cfg   Config[K]
	store *state.Store[K, S, KP, SP]

	// Session windows (NewSession): sess is nil for other aggregations.
	// groups indexes the sessions in the store by group (the encoding of
	// the key with a zero start), each group's sessions sorted by start;
	// it is rebuilt from the store whenever the store is loaded.
	sess   *Session[K, S]
	groups map[string]*sessionGroup[S]
	kbuf   []byte

	// open says a batch began and did not commit: the store may hold
	// its changes.
	open bool

	// Per batch.
	batch     int64
	watermark time.Time
	late      int64
}

// New returns the operator keeping its state in dir, the checkpoint's
// state/<operator>/<partition> directory (see state.Dir and state.Sub).
func New[K comparable, S any, KP state.Codec[K], SP state.Codec[S]](dir storage.Storage, cfg Config[K]) (*Operator[K, S, KP, SP], error) {
	if cfg.Mode == Append && (cfg.WindowEnd == nil || !cfg.Watermark) {
		return nil, fmt.Errorf("aggregate: append mode needs a window and a watermark, or no window would ever be final")
	}
	return newOperator[K, S, KP, SP](dir, cfg)
}

func newOperator[K comparable, S any, KP state.Codec[K], SP state.Codec[S]](dir storage.Storage, cfg Config[K]) (*Operator[K, S, KP, SP], error) {
	if cfg.Mode < Append || cfg.Mode > Complete {
		return nil, fmt.Errorf("aggregate: invalid mode %v", cfg.Mode)
	}
	if cfg.Retain <= 0 {
		cfg.Retain = 100
	}
	return &Operator[K, S, KP, SP]{dir: dir, cfg: cfg, batch: -1}, nil
}

// Begin prepares batch b: the state as of version b.ID.
func (o *Operator[K, S, KP, SP]) Begin(ctx context.Context, b *stream.Batch) error {
	o.batch, o.watermark, o.late = b.ID, b.Watermark, 0
	switch {
	case o.store == nil:
		st, err := state.Open[K, S, KP, SP](ctx, o.dir, b.ID, state.Fingerprint(o.cfg.Fingerprint))
		if err != nil {
			return fmt.Errorf("aggregate: batch %d: %w", b.ID, err)
		}
		o.store = st
		o.indexSessions()
	case o.open || o.store.Version() != b.ID:
		// The changes of a failed attempt to drop, or a re-run of a
		// batch whose state version was already committed.
		if err := o.store.Reload(ctx, b.ID); err != nil {
			return fmt.Errorf("aggregate: batch %d: %w", b.ID, err)
		}
		o.indexSessions()
	}
	o.open = true
	return nil
}

// Late reports whether a row with event time t is late for the batch,
// and counts it when it is: at or before the watermark, in update and
// append modes with a watermark.
func (o *Operator[K, S, KP, SP]) Late(t time.Time) bool {
	if !o.cfg.Watermark || o.cfg.Mode == Complete || t.After(o.watermark) {
		return false
	}
	o.late++
	return true
}

// State returns k's state, created empty when k is new. The pointer is
// valid until Finish.
//
// For a session window (NewSession), k holds the row's event time t as
// its session start, and State returns the state of the session the row
// joins, for the caller to add the row to (the state's Add extends the
// session's end to t+gap): a new session [t, t+gap) when none of k's
// group overlaps that range, else the one overlapping session, or the
// merge of all the overlapping ones, stored under the earliest start. The
// pointer is valid until the next call of State or Finish.
func (o *Operator[K, S, KP, SP]) State(k K) *S {
	if o.sess != nil {
		return o.sessionState(k)
	}
	return o.store.GetOrCreate(k)
}

// Finish hands the batch's output to emit (per the mode; see the package
// documentation), evicts the state the watermark passed, commits the
// state as version b.ID+1 and returns the operator's progress. emit must
// not keep the pointers.
func (o *Operator[K, S, KP, SP]) Finish(ctx context.Context, emit func(k *K, s *S)) (stream.StateOperatorProgress, error) {
	st := o.store
	expired := func(k *K, s *S) bool {
		if !o.cfg.Watermark {
			return false
		}
		switch {
		case o.sess != nil:
			return !o.sess.End(s).After(o.watermark)
		case o.cfg.WindowEnd != nil:
			return !o.cfg.WindowEnd(k).After(o.watermark)
		}
		return false
	}
	switch o.cfg.Mode {
	case Complete:
		for k, s := range st.All() {
			emit(&k, s)
		}
	case Update:
		for k, s := range st.Updated() {
			emit(&k, s)
		}
		st.DeleteFunc(func(k K, s *S) bool { return expired(&k, s) })
	case Append:
		st.DeleteFunc(func(k K, s *S) bool {
			if !expired(&k, s) {
				return false
			}
			emit(&k, s)
			o.unindexSession(k)
			return true
		})
	}
	m := st.Metrics()
	m.MemoryUsedBytes += o.sessionIndexBytes()
	next := o.batch + 1
	if err := st.Commit(ctx, next); err != nil {
		return stream.StateOperatorProgress{}, fmt.Errorf("aggregate: batch %d: %w", o.batch, err)
	}
	o.open = false
	if next%10 == 0 && next > o.cfg.Retain {
		if err := st.Purge(ctx, next-o.cfg.Retain); err != nil {
			return stream.StateOperatorProgress{}, fmt.Errorf("aggregate: batch %d: purge: %w", o.batch, err)
		}
	}
	return stream.StateOperatorProgress{
		OperatorName:              OperatorName,
		NumRowsTotal:              m.NumRowsTotal,
		NumRowsUpdated:            m.NumRowsUpdated,
		NumRowsRemoved:            m.NumRowsRemoved,
		NumRowsDroppedByWatermark: o.late,
		MemoryUsedBytes:           m.MemoryUsedBytes,
	}, nil
}
