package delta

import (
	"github.com/streamgen/streamgen/runtime/storage"
)

// LogDir is the name of the transaction log directory under a table root.
const LogDir = "_delta_log"

// Table is a Delta table at a storage root. Every read of the latest
// version lists the log, so a Table may be shared by goroutines and sees
// other writers' commits; it keeps the newest snapshot it read, from which
// the next one is built by replaying only the commits after it.
type Table struct {
	store storage.Storage
	// commit configures the writers of this table (see txn.go).
	commit CommitOptions
	// latest is the newest snapshot read (see snapcache.go).
	latest *latestCache
}

// Open returns the table rooted at store. It does no I/O: a table that
// does not exist yet can be created with a first commit.
func Open(store storage.Storage) *Table { return &Table{store: store, latest: &latestCache{}} }

// Storage returns the store the table lives on.
func (t *Table) Storage() storage.Storage { return t.store }

// Location returns the table root for messages.
func (t *Table) Location() string { return t.store.URL("") }
