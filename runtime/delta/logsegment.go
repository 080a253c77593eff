package delta

import "github.com/streamgen/streamgen/runtime/storage"

// LogSegment is the set of log files that reconstruct one version. Its
// invariants: Commits are contiguous, ascending, start right after the
// checkpoint's version (or at 0 without one) and end at Version; a
// checkpoint is complete (all of its parts are present).
type LogSegment struct {
	// Version is the version the segment reconstructs.
	Version int64
	// Checkpoint is the newest complete checkpoint at or below Version, or
	// nil when the segment replays from version 0.
	Checkpoint *CheckpointFiles
	// Commits are the JSON commit files after the checkpoint.
	Commits []storage.FileInfo
}

// CheckpointFiles is one complete classic or multi-part checkpoint.
type CheckpointFiles struct {
	Version int64
	// Parts are the checkpoint's files in part order (one for a classic
	// checkpoint).
	Parts []storage.FileInfo
}
