package deltasource

import (
	"fmt"
	"strings"
)

// ChangeKind is the kind of a commit that changes existing data.
type ChangeKind string

// The kinds of ChangeError.
const (
	// ChangeDelete is a commit that removes files (dataChange=true)
	// without adding any: a delete along partition boundaries, a
	// truncate. IgnoreDeletes, IgnoreChanges or SkipChangeCommits let the
	// stream go on.
	ChangeDelete ChangeKind = "delete"
	// ChangeUpdate is a commit that removes files and adds others: an
	// UPDATE, MERGE, a DELETE rewriting files, an overwrite.
	// IgnoreChanges (re-read the added files) or SkipChangeCommits (skip
	// the commit) let the stream go on.
	ChangeUpdate ChangeKind = "update"
)

// ChangeError stops the stream at a commit that deletes or updates data
// when no option allows it (Spark's "Detected deleted data" and
// "Detected a data update" errors).
type ChangeError struct {
	Table   string
	Version int64
	Kind    ChangeKind
	// Operation is the commit's commitInfo.operation, "" when none.
	Operation string
	// Path is the first file the commit removes.
	Path string
	// Removed and Added count the files the commit removes and adds
	// (dataChange=true).
	Removed, Added int
}

func (e *ChangeError) Error() string {
	op := ""
	if e.Operation != "" {
		op = e.Operation + " "
	}
	if e.Kind == ChangeDelete {
		return fmt.Sprintf("deltasource: table %s: version %d deletes data (%sremoves %d file(s), e.g. %s, and adds none); "+
			"the stream stops here: set ignoreDeletes to skip such commits (or ignoreChanges or skipChangeCommits)",
			e.Table, e.Version, op, e.Removed, e.Path)
	}
	return fmt.Sprintf("deltasource: table %s: version %d updates data (%sremoves %d file(s), e.g. %s, and adds %d); "+
		"the stream stops here: set ignoreChanges to read the added files (rows the commit did not change are read again) "+
		"or skipChangeCommits to skip such commits",
		e.Table, e.Version, op, e.Removed, e.Path, e.Added)
}

// SchemaError says the table's schema does not fit the record: a record
// column is missing or has another type, at the start of the stream
// (Start) or after a metaData action of Version.
type SchemaError struct {
	Table    string
	Version  int64
	Start    bool
	Problems []string
}

func (e *SchemaError) Error() string {
	if e.Start {
		return fmt.Sprintf("deltasource: table %s at version %d does not fit the record's schema: %s",
			e.Table, e.Version, strings.Join(e.Problems, "; "))
	}
	return fmt.Sprintf("deltasource: table %s: version %d changes the schema incompatibly with the record: %s; "+
		"the stream stops here: generate the pipeline for the new schema and start it on a new checkpoint "+
		"(startingVersion %d reads the changes from this version on)",
		e.Table, e.Version, strings.Join(e.Problems, "; "), e.Version)
}

// TableChangedError says the table is not the one the checkpoint's
// offsets were taken from (Spark's reservoirId check): it was deleted
// and re-created, or replaced.
type TableChangedError struct {
	Table        string
	CheckpointID string // the reservoirId of the stream
	TableID      string // the table's metaData id now
	// Version is the version whose metadata carries TableID, or -1 when
	// it is the latest snapshot's.
	Version int64
}

func (e *TableChangedError) Error() string {
	at := "now"
	if e.Version >= 0 {
		at = fmt.Sprintf("at version %d", e.Version)
	}
	return fmt.Sprintf("deltasource: table %s: the stream reads the table with id %s but the table's id is %s %s: "+
		"it was deleted and re-created or replaced; start the query on a new checkpoint",
		e.Table, e.CheckpointID, e.TableID, at)
}

// MissingFileError says a data file the stream has not read yet is gone
// from storage: deleted by VACUUM (or by hand) before the stream reached
// its version.
type MissingFileError struct {
	Table   string
	Path    string
	Version int64
	Err     error
}

func (e *MissingFileError) Error() string {
	return fmt.Sprintf("deltasource: table %s: data file %s of version %d is missing: it was deleted (by VACUUM, or by hand) "+
		"before the stream read it; restore it, or start the query on a new checkpoint after version %d: %v",
		e.Table, e.Path, e.Version, e.Version, e.Err)
}

func (e *MissingFileError) Unwrap() error { return e.Err }
