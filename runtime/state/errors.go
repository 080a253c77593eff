package state

import (
	"fmt"

	"github.com/streamgen/streamgen/runtime/storage"
)

const fixCorrupt = "restore the file from a backup or start the query from a new checkpoint location"

// CorruptError says a state file cannot be trusted: it is truncated, its
// checksum does not match, its header or a record is malformed, or a key or
// value in it does not decode. The message names the file.
type CorruptError struct {
	// Path is the location of the file (storage.Storage.URL).
	Path string
	// Reason says what is wrong.
	Reason string
	// Err is the underlying cause, such as a key's decoding error, or nil.
	Err error
}

// Error formats the error as "state: <path>: <reason>: <fix>".
func (e *CorruptError) Error() string {
	return "state: " + e.Path + ": " + e.Reason + ": " + fixCorrupt
}

// Unwrap returns the underlying cause, if any.
func (e *CorruptError) Unwrap() error { return e.Err }

// MissingFileError says a delta file needed to load a version does not
// exist: it was purged (the version is older than what the checkpoint
// retains) or lost. errors.Is(err, storage.ErrNotExist) is true for it.
type MissingFileError struct {
	// Version is the version being loaded.
	Version int64
	// Path is the location of the missing file.
	Path string
}

// Error formats the error as "state: version 12 needs <path>: not found …".
func (e *MissingFileError) Error() string {
	return fmt.Sprintf("state: version %d needs %s: not found (purged or lost): "+
		"restore it or start the query from a new checkpoint location", e.Version, e.Path)
}

// Unwrap returns storage.ErrNotExist.
func (e *MissingFileError) Unwrap() error { return storage.ErrNotExist }

// LayoutMismatchError says a state file was written for another key/state
// layout (the fingerprint given with the Fingerprint option) than the
// running pipeline's: its grouping keys or aggregates changed, and the old
// state cannot be read as the new one.
type LayoutMismatchError struct {
	// Path is the location of the file.
	Path string
	// Stored is the fingerprint in the file.
	Stored string
	// Current is the pipeline's fingerprint.
	Current string
}

// Error says what changed and what to do.
func (e *LayoutMismatchError) Error() string {
	return fmt.Sprintf("state: %s: state was written for key/state layout %q; this pipeline has %q: "+
		"the grouping keys or aggregates changed: start the query from a new checkpoint location", e.Path, e.Stored, e.Current)
}
