package quarantine

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
)

// Record is one malformed input record.
type Record struct {
	// Raw is the record as read (for a line, without its line end).
	Raw []byte
	// File is the storage URL of the file (or other origin) the record
	// was read from.
	File string
	// Line is the 1-based line number of the record in File; 0 when the
	// origin has no lines.
	Line int
	// Offset is the byte offset of the record's start in File (or its
	// offset in a partition, for sources without files).
	Offset int64
	// Err says why the record is malformed.
	Err string
}

// Batch is the malformed records met by one read of one source in one
// query batch. Reading the same range again (a re-run after a crash)
// yields the same Batch.
type Batch struct {
	// QueryID is the ID of the query that read the records, stable
	// across restarts.
	QueryID string
	// Source is the index of the source among the query's sources.
	Source int
	// Version is the batch's idempotency key: it strictly increases from
	// one batch of (QueryID, Source) to the next, and a re-run of a batch
	// has the same Version. The files source uses the batch's end
	// source-log offset.
	Version int64
	// Records are the malformed records, in the order they were read.
	Records []Record
}

// Writer receives the malformed records of each batch.
//
// A batch re-run after a crash is handed over again with the same
// content: implementations must write each (QueryID, Source, Version)
// at most once and report success for a batch already written. An error
// fails the read, and with it the query batch.
type Writer interface {
	// Write stores b's records, unless that batch was written before.
	Write(ctx context.Context, b Batch) error
}

// AppID returns the application ID under which the batches of source
// of query queryID are recorded: "<queryID>/quarantine/<source>" (the
// Delta txn appId of [Delta]).
func AppID(queryID string, source int) string {
	return queryID + "/quarantine/" + strconv.Itoa(source)
}

// check validates a batch's key.
func (b *Batch) check() error {
	switch {
	case b.QueryID == "":
		return fmt.Errorf("quarantine: batch of source %d, version %d: empty query ID", b.Source, b.Version)
	case b.Source < 0:
		return fmt.Errorf("quarantine: batch of query %s: negative source index %d", b.QueryID, b.Source)
	case b.Version < 0:
		return fmt.Errorf("quarantine: batch of query %s, source %d: negative version %d", b.QueryID, b.Source, b.Version)
	}
	return nil
}

// Memory is an in-memory Writer for tests: it keeps the batches it was
// handed, each (QueryID, Source, Version) once. It is safe for
// concurrent use.
type Memory struct {
	mu      sync.Mutex
	seen    map[memKey]bool
	batches []Batch
}

type memKey struct {
	queryID string
	source  int
	version int64
}

// NewMemory returns an empty Memory.
func NewMemory() *Memory { return &Memory{seen: map[memKey]bool{}} }

// Write implements Writer: it keeps a deep copy of b unless a batch with
// the same key was written before. A batch without records is not kept.
func (m *Memory) Write(ctx context.Context, b Batch) error {
	if err := b.check(); err != nil {
		return err
	}
	if len(b.Records) == 0 {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := memKey{b.QueryID, b.Source, b.Version}
	if m.seen[k] {
		return nil
	}
	m.seen[k] = true
	m.batches = append(m.batches, cloneBatch(b))
	return nil
}

// Batches returns deep copies of the batches written, in write order.
func (m *Memory) Batches() []Batch {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Batch, len(m.batches))
	for i, b := range m.batches {
		out[i] = cloneBatch(b)
	}
	return out
}

// Records returns copies of the records of every batch written, in
// write order.
func (m *Memory) Records() []Record {
	var out []Record
	for _, b := range m.Batches() {
		out = append(out, b.Records...)
	}
	return out
}

func cloneBatch(b Batch) Batch {
	b.Records = slices.Clone(b.Records)
	for i := range b.Records {
		b.Records[i].Raw = slices.Clone(b.Records[i].Raw)
	}
	return b
}
