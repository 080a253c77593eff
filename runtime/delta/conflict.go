package delta

import (
	"fmt"
)

// Reasons a [ConflictError] gives, named after the exceptions of Delta
// Lake's conflict checker.
const (
	// ConflictProtocolChanged: a concurrent commit changed the protocol,
	// or created the table this transaction was creating.
	ConflictProtocolChanged = "ProtocolChanged"
	// ConflictMetadataChanged: a concurrent commit changed the metadata
	// (schema, partitioning, configuration).
	ConflictMetadataChanged = "MetadataChanged"
	// ConflictConcurrentTransaction: a concurrent commit wrote the same
	// application id (txn appId).
	ConflictConcurrentTransaction = "ConcurrentTransaction"
	// ConflictTxnAlreadyCommitted: a concurrent commit already recorded
	// this application id at this version or later. The error also
	// matches [ErrTxnAlreadyCommitted].
	ConflictTxnAlreadyCommitted = "TxnAlreadyCommitted"
	// ConflictDeleteDelete: a concurrent commit removed a file this
	// transaction removes.
	ConflictDeleteDelete = "ConcurrentDeleteDelete"
	// ConflictDeleteRead: a concurrent commit removed a file this
	// transaction read.
	ConflictDeleteRead = "ConcurrentDeleteRead"
	// ConflictAppend: a concurrent commit added data this transaction
	// should have read, or re-added a file it read.
	ConflictAppend = "ConcurrentAppend"
	// ConflictSameFile: a concurrent commit added a file with the same
	// path as one this transaction adds.
	ConflictSameFile = "ConcurrentAddSameFile"
)

// ConflictError says a commit lost the race for a version to a commit
// that it does not commute with. The transaction must be rebuilt from a
// fresh snapshot (or, for [ConflictTxnAlreadyCommitted], dropped).
type ConflictError struct {
	// Table is the table location.
	Table string
	// Version is the winning commit the transaction conflicts with.
	Version int64
	// Reason is one of the Conflict* constants.
	Reason string
	// Detail names the file, appId or action involved.
	Detail string
	// Err is ErrTxnAlreadyCommitted for ConflictTxnAlreadyCommitted and
	// nil otherwise.
	Err error
}

// Error describes the conflict with the table location and version.
func (e *ConflictError) Error() string {
	msg := fmt.Sprintf("delta: table %s: commit conflicts with version %d: %s", e.Table, e.Version, e.Reason)
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

// Unwrap returns Err.
func (e *ConflictError) Unwrap() error { return e.Err }

// conflictChecker holds what a transaction did, keyed for checking the
// winning commits of lost races against it.
type conflictChecker struct {
	table string
	// serializable is false for a transaction that changes no data
	// (compaction): concurrent appends do not affect it.
	serializable   bool
	readWholeTable bool
	changesMeta    bool
	newTable       bool
	removes        map[string]bool
	adds           map[string]bool
	read           map[string]bool
	txns           map[string]int64
}

// canonicalPath keys a log path by its decoded form, so two writers that
// encode the same file differently still collide.
func canonicalPath(p string) string {
	if d, err := DecodePath(p); err == nil {
		return d
	}
	return p
}

func newConflictChecker(tx *Transaction) *conflictChecker {
	c := &conflictChecker{
		table:          tx.table.Location(),
		serializable:   tx.dataChange(),
		readWholeTable: tx.readWholeTable,
		changesMeta:    tx.metadata != nil || tx.protocol != nil,
		newTable:       tx.readVersion < 0,
		removes:        map[string]bool{},
		adds:           map[string]bool{},
		read:           map[string]bool{},
		txns:           map[string]int64{},
	}
	for _, r := range tx.removes {
		c.removes[canonicalPath(r.Path)] = true
	}
	for _, a := range tx.adds {
		c.adds[canonicalPath(a.Path)] = true
	}
	for _, a := range tx.readFiles {
		c.read[canonicalPath(a.Path)] = true
	}
	for _, x := range tx.txns {
		c.txns[x.AppID] = x.Version
	}
	return c
}

// check returns a *ConflictError when the winning commit at version
// (its actions) does not commute with the transaction. The rules, in the
// order Delta's ConflictChecker applies them:
//
//   - a protocol or metaData change by the winner always conflicts;
//   - a txn action for one of our appIds conflicts; at our version or
//     later it means our write already happened;
//   - a remove of a file we remove conflicts (delete/delete), and so does
//     a remove of a file we read (or, having read the whole table, any
//     data-changing remove);
//   - an add conflicts when it re-adds a file we read, reuses the path of
//     a file we add, or, having read the whole table in a data-changing
//     transaction, adds data we should have seen; when we change the
//     metadata or protocol ourselves, any data-changing add conflicts
//     (its files were written against the old schema).
//
// Blind appends therefore commute with each other, and a compaction
// (dataChange=false) commutes with appends.
func (c *conflictChecker) check(version int64, actions []*Action) error {
	conflict := func(reason, format string, args ...any) error {
		return &ConflictError{Table: c.table, Version: version, Reason: reason, Detail: fmt.Sprintf(format, args...)}
	}
	for _, a := range actions {
		switch {
		case a.Protocol != nil && c.newTable:
			return conflict(ConflictProtocolChanged, "the table was created concurrently (several writers creating a table in an empty location)")
		case a.Protocol != nil:
			return conflict(ConflictProtocolChanged, "protocol changed to %d/%d", a.Protocol.MinReaderVersion, a.Protocol.MinWriterVersion)
		case a.Metadata != nil:
			return conflict(ConflictMetadataChanged, "metadata changed (table id %s)", a.Metadata.ID)
		}
	}
	for _, a := range actions {
		if a.Txn == nil {
			continue
		}
		ours, ok := c.txns[a.Txn.AppID]
		if !ok {
			continue
		}
		if a.Txn.Version >= ours {
			e := conflict(ConflictTxnAlreadyCommitted, "app %s is at version %d, this commit writes %d", a.Txn.AppID, a.Txn.Version, ours).(*ConflictError)
			e.Err = ErrTxnAlreadyCommitted
			return e
		}
		return conflict(ConflictConcurrentTransaction, "app %s committed version %d concurrently", a.Txn.AppID, a.Txn.Version)
	}
	for _, a := range actions {
		if a.Remove == nil {
			continue
		}
		p := canonicalPath(a.Remove.Path)
		if c.removes[p] {
			return conflict(ConflictDeleteDelete, "both removed %s", a.Remove.Path)
		}
		if c.read[p] || (c.readWholeTable && a.Remove.DataChange) {
			return conflict(ConflictDeleteRead, "file %s that this transaction read was removed", a.Remove.Path)
		}
	}
	for _, a := range actions {
		if a.Add == nil {
			continue
		}
		p := canonicalPath(a.Add.Path)
		if c.read[p] {
			return conflict(ConflictAppend, "file %s that this transaction read was re-added", a.Add.Path)
		}
		if c.adds[p] {
			return conflict(ConflictSameFile, "both added %s", a.Add.Path)
		}
		if a.Add.DataChange && ((c.readWholeTable && c.serializable) || c.changesMeta) {
			return conflict(ConflictAppend, "file %s was added concurrently", a.Add.Path)
		}
	}
	return nil
}
