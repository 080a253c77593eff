package delta

import (
	"errors"
	"fmt"
)

// ErrNotATable is returned when a location has no _delta_log with commits.
var ErrNotATable = errors.New("not a Delta table")

// ErrVersionNotFound is returned for time travel to a version or time the
// log cannot reconstruct.
var ErrVersionNotFound = errors.New("version not found")

// UnsupportedFeatureError says the table needs a protocol version or table
// feature this reader or writer does not implement. Feature names the
// feature as the protocol does (e.g. "deletionVectors", "columnMapping"),
// or "readerVersion 2" when only a version is known.
type UnsupportedFeatureError struct {
	Table   string
	Feature string
	// Detail explains what the feature does, for the message.
	Detail string
}

func (e *UnsupportedFeatureError) Error() string {
	msg := fmt.Sprintf("delta: table %s: unsupported feature %q", e.Table, e.Feature)
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

// CorruptLogError says a log or checkpoint file cannot be trusted: it does
// not parse, versions are missing, or required actions are absent. File is
// the storage name at fault, when one is.
type CorruptLogError struct {
	Table   string
	File    string
	Version int64
	Reason  string
}

func (e *CorruptLogError) Error() string {
	if e.File != "" {
		return fmt.Sprintf("delta: table %s: corrupt log file %s: %s", e.Table, e.File, e.Reason)
	}
	return fmt.Sprintf("delta: table %s: corrupt log at version %d: %s", e.Table, e.Version, e.Reason)
}
