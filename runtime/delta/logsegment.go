package delta

import (
	"context"
	"fmt"
	"log/slog"
	"slices"

	"github.com/streamgen/streamgen/runtime/storage"
)

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

// readLastCheckpoint reads and parses _last_checkpoint. A missing, empty
// or corrupt hint gives nil: it is only a hint, and the log is listed
// from version 0 instead.
func (t *Table) readLastCheckpoint(ctx context.Context) *LastCheckpointHint {
	data, err := t.store.Read(ctx, LastCheckpointName)
	if err != nil {
		if !storage.IsNotExist(err) {
			slog.DebugContext(ctx, "delta: cannot read _last_checkpoint; listing the log from version 0",
				"table", t.Location(), "err", err)
		}
		return nil
	}
	h, err := ParseLastCheckpoint(data)
	if err != nil {
		slog.DebugContext(ctx, "delta: ignoring corrupt _last_checkpoint; listing the log from version 0",
			"table", t.Location(), "err", err)
		return nil
	}
	return &h
}

// listLog lists the commit and V1 checkpoint files of the log whose
// version is at least start, in name order. Other files are ignored.
func (t *Table) listLog(ctx context.Context, start int64) ([]LogPath, error) {
	infos, err := t.store.ListFrom(ctx, LogDir, versionPrefix(start))
	if err != nil {
		return nil, fmt.Errorf("delta: table %s: list %s: %w", t.Location(), LogDir, err)
	}
	out := make([]LogPath, 0, len(infos))
	for _, fi := range infos {
		lp := ParseLogPath(fi)
		switch lp.Type {
		case LogPathCommit, LogPathClassicCheckpoint, LogPathMultiPartCheckpoint:
			if lp.Version >= start {
				out = append(out, lp)
			}
		}
	}
	return out, nil
}

// listStart returns the version to list the log from for a read of
// target (-1 for the latest version): the _last_checkpoint hint's
// version when it is usable, else 0.
func (t *Table) listStart(ctx context.Context, target int64) int64 {
	h := t.readLastCheckpoint(ctx)
	if h == nil || (target >= 0 && h.Version > target) {
		return 0
	}
	return h.Version
}

// buildLogSegment finds the files that reconstruct version target (-1 for
// the latest). It lists from the _last_checkpoint hint and falls back to
// a listing from version 0 when the hint leads nowhere.
func (t *Table) buildLogSegment(ctx context.Context, target int64) (*LogSegment, error) {
	start := t.listStart(ctx, target)
	files, err := t.listLog(ctx, start)
	if err != nil {
		return nil, err
	}
	seg, err := t.segmentFrom(files, target, start)
	if err != nil && start > 0 && ctx.Err() == nil {
		slog.DebugContext(ctx, "delta: _last_checkpoint hint unusable; listing the log from version 0",
			"table", t.Location(), "hint", start, "err", err)
		if files, err = t.listLog(ctx, 0); err != nil {
			return nil, err
		}
		seg, err = t.segmentFrom(files, target, 0)
	}
	return seg, err
}

// segmentFrom builds the LogSegment of target (-1: latest) from a listing
// that starts at version start.
func (t *Table) segmentFrom(files []LogPath, target, start int64) (*LogSegment, error) {
	commits := map[int64]storage.FileInfo{}
	cps := map[int64][]LogPath{}
	latest := int64(-1)
	for _, f := range files {
		if f.Type == LogPathCommit {
			commits[f.Version] = f.File
		} else {
			cps[f.Version] = append(cps[f.Version], f)
		}
		latest = max(latest, f.Version)
	}
	if latest < 0 {
		if start > 0 {
			return nil, &CorruptLogError{Table: t.Location(), Version: start,
				Reason: fmt.Sprintf("no log files at or after version %d", start)}
		}
		return nil, fmt.Errorf("delta: table %s: %w: no commits or checkpoints in %s", t.Location(), ErrNotATable, LogDir)
	}
	explicit := target >= 0
	if !explicit {
		target = latest
	} else if target > latest {
		return nil, fmt.Errorf("delta: table %s: %w: version %d does not exist (latest version is %d)",
			t.Location(), ErrVersionNotFound, target, latest)
	}
	// The newest complete checkpoint at or below target.
	var cp *CheckpointFiles
	cpVersions := make([]int64, 0, len(cps))
	for v := range cps {
		cpVersions = append(cpVersions, v)
	}
	slices.Sort(cpVersions)
	earliest := int64(-1) // earliest reconstructable version
	if _, ok := commits[0]; ok && start == 0 {
		earliest = 0
	}
	for i := len(cpVersions) - 1; i >= 0; i-- {
		v := cpVersions[i]
		c := completeCheckpoint(v, cps[v])
		if c == nil {
			slog.Debug("delta: skipping incomplete checkpoint", "table", t.Location(), "version", v)
			continue
		}
		if earliest < 0 || v < earliest {
			earliest = v
		}
		if cp == nil && v <= target {
			cp = c
		}
	}
	if earliest < 0 || target < earliest {
		if explicit {
			if earliest < 0 {
				return nil, fmt.Errorf("delta: table %s: %w: version %d cannot be reconstructed: the log has no commit 0 and no complete checkpoint",
					t.Location(), ErrVersionNotFound, target)
			}
			return nil, fmt.Errorf("delta: table %s: %w: version %d cannot be reconstructed: the earliest reconstructable version is %d (older commits were cleaned up)",
				t.Location(), ErrVersionNotFound, target, earliest)
		}
		return nil, &CorruptLogError{Table: t.Location(), Version: target,
			Reason: "the log has no commit 0 and no complete checkpoint to start from"}
	}
	seg := &LogSegment{Version: target, Checkpoint: cp}
	from := int64(0)
	if cp != nil {
		from = cp.Version + 1
	}
	for v := from; v <= target; v++ {
		fi, ok := commits[v]
		if !ok {
			return nil, &CorruptLogError{Table: t.Location(), Version: v,
				Reason: fmt.Sprintf("versions not contiguous: missing version %d", v)}
		}
		seg.Commits = append(seg.Commits, fi)
	}
	return seg, nil
}

// completeCheckpoint returns the checkpoint of version v among files when
// one is complete: a classic checkpoint, or a multi-part checkpoint with
// all of its parts. A classic checkpoint is preferred.
func completeCheckpoint(v int64, files []LogPath) *CheckpointFiles {
	byNum := map[int]map[int]storage.FileInfo{}
	for _, f := range files {
		switch f.Type {
		case LogPathClassicCheckpoint:
			return &CheckpointFiles{Version: v, Parts: []storage.FileInfo{f.File}}
		case LogPathMultiPartCheckpoint:
			if byNum[f.NumParts] == nil {
				byNum[f.NumParts] = map[int]storage.FileInfo{}
			}
			byNum[f.NumParts][f.Part] = f.File
		}
	}
	nums := make([]int, 0, len(byNum))
	for n := range byNum {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	for _, n := range nums {
		parts := byNum[n]
		if len(parts) != n {
			continue
		}
		c := &CheckpointFiles{Version: v}
		for i := 1; i <= n; i++ {
			c.Parts = append(c.Parts, parts[i])
		}
		return c
	}
	return nil
}

// LatestVersion returns the newest version in the log (a commit or a
// checkpoint). It lists from the _last_checkpoint hint. A location
// without commits or checkpoints gives an error wrapping ErrNotATable.
func (t *Table) LatestVersion(ctx context.Context) (int64, error) {
	start := t.listStart(ctx, -1)
	for {
		files, err := t.listLog(ctx, start)
		if err != nil {
			return 0, err
		}
		if len(files) > 0 {
			return files[len(files)-1].Version, nil
		}
		if start == 0 {
			return 0, fmt.Errorf("delta: table %s: %w: no commits or checkpoints in %s", t.Location(), ErrNotATable, LogDir)
		}
		start = 0
	}
}
