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

// Operator is one stateful aggregation of a running query. Its methods
// are called from the query's goroutine, one batch at a time.
type Operator[K comparable, S any, KP state.Codec[K], SP state.Codec[S]] struct {
	dir   storage.Storage
	cfg   Config[K]
	store *state.Store[K, S, KP, SP]

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
	switch {
	case cfg.Mode < Append || cfg.Mode > Complete:
		return nil, fmt.Errorf("aggregate: invalid mode %v", cfg.Mode)
	case cfg.Mode == Append && (cfg.WindowEnd == nil || !cfg.Watermark):
		return nil, fmt.Errorf("aggregate: append mode needs a window and a watermark, or no window would ever be final")
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
	case o.open || o.store.Version() != b.ID:
		// The changes of a failed attempt to drop, or a re-run of a
		// batch whose state version was already committed.
		if err := o.store.Reload(ctx, b.ID); err != nil {
			return fmt.Errorf("aggregate: batch %d: %w", b.ID, err)
		}
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
func (o *Operator[K, S, KP, SP]) State(k K) *S { return o.store.GetOrCreate(k) }

// Finish hands the batch's output to emit (per the mode; see the package
// documentation), evicts the state the watermark passed, commits the
// state as version b.ID+1 and returns the operator's progress. emit must
// not keep the pointers.
func (o *Operator[K, S, KP, SP]) Finish(ctx context.Context, emit func(k *K, s *S)) (stream.StateOperatorProgress, error) {
	st := o.store
	expired := func(k *K) bool {
		return o.cfg.WindowEnd != nil && o.cfg.Watermark && !o.cfg.WindowEnd(k).After(o.watermark)
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
		st.DeleteFunc(func(k K, _ *S) bool { return expired(&k) })
	case Append:
		st.DeleteFunc(func(k K, s *S) bool {
			if !expired(&k) {
				return false
			}
			emit(&k, s)
			return true
		})
	}
	m := st.Metrics()
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
