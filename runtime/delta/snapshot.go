package delta

import (
	"time"
)

// Snapshot is the state of a table at one version: the result of replaying
// its LogSegment with the reconciliation rules of PROTOCOL.md.
type Snapshot struct {
	// Version is the table version this snapshot reflects.
	Version int64
	// Timestamp is the commit time of Version (inCommitTimestamp, else
	// commitInfo.timestamp, else the commit file's modification time).
	Timestamp time.Time
	// Protocol and Metadata are the newest of each in the segment.
	Protocol Protocol
	Metadata Metadata
	// Schema is Metadata's parsed schemaString.
	Schema *StructType
	// Files are the active add actions, sorted by decoded path.
	Files []*Add
	// Tombstones are the remove actions still relevant for VACUUM,
	// sorted by decoded path.
	Tombstones []*Remove
	// Txns maps each appId to its latest txn action.
	Txns map[string]Txn
	// Domains maps each domain to its latest, non-removed domainMetadata.
	Domains map[string]DomainMetadata
	// Segment is the log files the snapshot was built from.
	Segment *LogSegment

	table *Table
}

// Table returns the table the snapshot belongs to.
func (s *Snapshot) Table() *Table { return s.table }
