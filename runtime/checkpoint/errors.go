package checkpoint

import (
	"fmt"

	"github.com/streamgen/streamgen/runtime/storage"
)

// The fixes CorruptError suggests.
const (
	fixCorrupt = "the file is corrupt; restore it from a backup or use a new checkpoint location"
	fixGap     = "the log is corrupt; restore the missing files or use a new checkpoint location"
	fixUpgrade = "upgrade streamgen"
)

// ConcurrentQueryError says that a file this query was about to write
// (offsets/N, commits/N, a source log entry, the plan) already exists:
// another query is running on the same checkpoint, or ran there after this
// one read it. Checkpoint files are never overwritten, so the write is
// refused and the query must stop.
//
// errors.Is(err, storage.ErrExist) is true for a ConcurrentQueryError.
type ConcurrentQueryError struct {
	// Path is the location of the file that already existed.
	Path string
}

// Error names the existing file and says what to do.
func (e *ConcurrentQueryError) Error() string {
	return fmt.Sprintf("checkpoint: %s already exists: another query owns the checkpoint; "+
		"stop the other query or use a new checkpoint location", e.Path)
}

// Unwrap returns storage.ErrExist.
func (e *ConcurrentQueryError) Unwrap() error { return storage.ErrExist }

// CorruptError says a checkpoint file or log cannot be trusted: an
// unsupported or malformed version line, JSON that does not parse, a gap
// in the batch IDs, a commit without its offsets. Its message names the
// file (and line, when there is one) and the fix.
type CorruptError struct {
	// Path is the location of the file or log directory at fault.
	Path string
	// Line is the 1-based line at fault, or 0 when the problem is not on
	// one line.
	Line int
	// Reason says what is wrong.
	Reason string
	// Fix says what the user can do about it.
	Fix string
	// Err is the underlying cause, such as a JSON syntax error, or nil.
	Err error
}

// Error formats the error as "checkpoint: <path>[:<line>]: <reason>: <fix>".
func (e *CorruptError) Error() string {
	loc := e.Path
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.Path, e.Line)
	}
	return "checkpoint: " + loc + ": " + e.Reason + ": " + e.Fix
}

// Unwrap returns the underlying cause, if any.
func (e *CorruptError) Unwrap() error { return e.Err }

// fileError is a parse failure inside one file, before the file's location
// is known; (*Checkpoint).corrupt turns it into a CorruptError.
type fileError struct {
	line   int
	reason string
	fix    string
	err    error
}

func (e *fileError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.reason) }

func corruptAt(line int, err error, format string, args ...any) *fileError {
	reason := fmt.Sprintf(format, args...)
	if err != nil {
		reason += " (" + err.Error() + ")"
	}
	return &fileError{line: line, reason: reason, fix: fixCorrupt, err: err}
}

// withPath places a fileError in the file at path.
func withPath(path string, err error) error {
	fe, ok := err.(*fileError)
	if !ok {
		return err
	}
	return &CorruptError{Path: path, Line: fe.line, Reason: fe.reason, Fix: fe.fix, Err: fe.err}
}
