// Package memory is the in-memory sink (Spark's memory sink): a typed
// table of rows kept in the process, for tests and small demos.
//
// A Sink is idempotent per batch ID like Spark's MemorySink: a batch whose
// ID is not newer than the last one added is skipped, so a batch re-run
// after a crash is not added twice. There is no global registry of named
// sinks: the caller keeps the *Sink and reads it with Rows.
//
// The three output modes: append (the default) adds each batch's rows;
// complete ([Complete]) replaces all rows with the batch's; update
// ([Update]) upserts the batch's rows by key, so the sink holds the
// current result table (Spark's memory sink appends update-mode rows
// instead, leaving every version of a changed row; a keyed table is what a
// test or a dashboard wants to read). In update mode a row keeps the place
// of the row it replaces and new keys come last.
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
	key      func(row any) string // update mode
}

// Name sets the sink's name, shown in its Description, overriding the
// default of no name.
func Name(name string) Opt { return opt(func(c *cfg) { c.name = name }) }

// Complete sets complete output mode: each batch replaces all rows,
// overriding the default append mode, where each batch adds its rows.
func Complete() Opt { return opt(func(c *cfg) { c.complete = true }) }

// Update sets update output mode: each batch's rows replace the rows with
// the same key (key returns a row's grouping key, such as its grouping
// columns and window encoded), others are added. It overrides Complete.
func Update[T any](key func(*T) string) Opt {
	return opt(func(c *cfg) {
		c.complete = false
		c.key = func(row any) string { return key(row.(*T)) }
	})
}

// Sink is an in-memory sink of rows of type T. It is safe for concurrent
// use.
type Sink[T any] struct {
	cfg cfg

	mu      sync.Mutex
	rows    []T
	index   map[string]int // update mode: key → position in rows
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

// AddBatch adds the rows of batch batchID (append mode), replaces all
// rows with them (complete mode) or upserts them by key (update mode). A batch ID not newer than the latest
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
	switch {
	case s.cfg.complete:
		s.rows = append([]T(nil), rows...)
	case s.cfg.key != nil:
		if s.index == nil {
			s.index = map[string]int{}
		}
		for i := range rows {
			k := s.cfg.key(&rows[i])
			if at, ok := s.index[k]; ok {
				s.rows[at] = rows[i]
				continue
			}
			s.index[k] = len(s.rows)
			s.rows = append(s.rows, rows[i])
		}
	default:
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
