// Package memory is the in-memory sink (Spark's memory sink): a typed
// table of rows kept in the process, for tests and small demos.
//
// A Sink is idempotent per batch ID like Spark's MemorySink: a batch whose
// ID is not newer than the last one added is skipped, so a batch re-run
// after a crash is not added twice. There is no global registry of named
// sinks: the caller keeps the *Sink and reads it with Rows.
package memory

import (
	"context"
	"fmt"
	"sync"
)

// Opt configures New.
type Opt interface{ apply(*cfg) }

type opt func(*cfg)

func (o opt) apply(c *cfg) { o(c) }

type cfg struct {
	name     string
	complete bool
}

// Name sets the sink's name, shown in its Description, overriding the
// default of no name.
func Name(name string) Opt { return opt(func(c *cfg) { c.name = name }) }

// Complete sets complete output mode: each batch replaces all rows,
// overriding the default append mode, where each batch adds its rows.
func Complete() Opt { return opt(func(c *cfg) { c.complete = true }) }

// Sink is an in-memory sink of rows of type T. It is safe for concurrent
// use.
type Sink[T any] struct {
	cfg cfg

	mu      sync.Mutex
	rows    []T
	latest  int64
	batches int
}

// New returns an empty sink.
func New[T any](opts ...Opt) *Sink[T] {
	s := &Sink[T]{latest: -1}
	for _, o := range opts {
		o.apply(&s.cfg)
	}
	return s
}

// Name returns the sink's name.
func (s *Sink[T]) Name() string { return s.cfg.name }

// Description returns "MemorySink" or "MemorySink[name]", for progress
// reports.
func (s *Sink[T]) Description() string {
	if s.cfg.name == "" {
		return "MemorySink"
	}
	return "MemorySink[" + s.cfg.name + "]"
}

// AddBatch adds the rows of batch batchID (append mode) or replaces all
// rows with them (complete mode). A batch ID not newer than the latest
// added is skipped: it is a re-run of a batch the sink already holds. The
// rows are copied.
func (s *Sink[T]) AddBatch(ctx context.Context, batchID int64, rows []T) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory: add batch %d: %w", batchID, err)
	}
	if batchID < 0 {
		return fmt.Errorf("memory: add batch %d: negative batch ID", batchID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if batchID <= s.latest {
		return nil
	}
	if s.cfg.complete {
		s.rows = append([]T(nil), rows...)
	} else {
		s.rows = append(s.rows, rows...)
	}
	s.latest = batchID
	s.batches++
	return nil
}

// Rows returns a copy of the sink's rows, in the order they were added.
func (s *Sink[T]) Rows() []T {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]T(nil), s.rows...)
}

// Len returns the number of rows.
func (s *Sink[T]) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.rows)
}

// LatestBatchID returns the ID of the latest batch added, or -1.
func (s *Sink[T]) LatestBatchID() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.latest
}

// NumBatches returns how many batches were added (skipped re-runs not
// counted).
func (s *Sink[T]) NumBatches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.batches
}
