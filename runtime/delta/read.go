package delta

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/streamgen/streamgen/runtime/storage"
)

// Snapshot returns the latest snapshot of the table. A location without a
// log gives an error wrapping ErrNotATable; a table this reader cannot
// read gives an *UnsupportedFeatureError.
//
// Snapshot always reads the log from the newest checkpoint (a reader that
// must see the table as it is on storage); a transaction's Begin builds on
// the last snapshot the Table read instead (see snapcache.go).
func (t *Table) Snapshot(ctx context.Context) (*Snapshot, error) {
	s, err := t.snapshot(ctx, -1)
	if err != nil {
		return nil, err
	}
	t.latest.store(s)
	return s, nil
}

// SnapshotAt returns the snapshot of version (time travel by version). A
// version that does not exist or can no longer be reconstructed (its
// commits were cleaned up) gives an error wrapping ErrVersionNotFound.
func (t *Table) SnapshotAt(ctx context.Context, version int64) (*Snapshot, error) {
	if version < 0 {
		return nil, fmt.Errorf("delta: table %s: %w: negative version %d", t.Location(), ErrVersionNotFound, version)
	}
	return t.snapshot(ctx, version)
}

func (t *Table) snapshot(ctx context.Context, target int64) (*Snapshot, error) {
	seg, err := t.buildLogSegment(ctx, target)
	if err != nil {
		return nil, err
	}
	return t.snapshotFromSegment(ctx, seg)
}

// snapshotFromSegment replays seg into a snapshot.
func (t *Table) snapshotFromSegment(ctx context.Context, seg *LogSegment) (*Snapshot, error) {
	r := newReplay()
	if seg.Checkpoint != nil {
		actions, err := t.readCheckpoint(ctx, seg.Checkpoint)
		if err != nil {
			return nil, err
		}
		for _, a := range actions {
			if err := r.apply(a); err != nil {
				return nil, &CorruptLogError{Table: t.Location(), File: seg.Checkpoint.Parts[0].Name,
					Version: seg.Checkpoint.Version, Reason: err.Error()}
			}
		}
	}
	var last []*Action
	for i, fi := range seg.Commits {
		v := seg.Version - int64(len(seg.Commits)-1-i)
		actions, err := t.readCommitFile(ctx, fi.Name, v)
		if err != nil {
			return nil, err
		}
		for n, a := range actions {
			if err := r.apply(a); err != nil {
				return nil, &CorruptLogError{Table: t.Location(), File: fi.Name, Version: v,
					Reason: fmt.Sprintf("action %d: %v", n+1, err)}
			}
		}
		last = actions
	}
	s, err := r.finish(t, seg)
	if err != nil {
		return nil, err
	}
	if n := len(seg.Commits); n > 0 {
		s.Timestamp = commitTime(last, seg.Commits[n-1])
	} else {
		// Built from a checkpoint alone: use the commit when it is still
		// there, else the checkpoint file's time.
		ts, err := t.CommitTimestamp(ctx, seg.Version)
		if err != nil {
			ts = seg.Checkpoint.Parts[0].ModTime
		}
		s.Timestamp = ts
	}
	return s, nil
}

// readCommitFile reads and parses one JSON commit. Each non-blank line is
// one action; a bad line is a *CorruptLogError naming file and line.
func (t *Table) readCommitFile(ctx context.Context, name string, version int64) ([]*Action, error) {
	data, err := t.store.Read(ctx, name)
	if err != nil {
		if storage.IsNotExist(err) {
			return nil, &CorruptLogError{Table: t.Location(), File: name, Version: version,
				Reason: "commit file disappeared while reading (was the log cleaned up concurrently?)"}
		}
		return nil, fmt.Errorf("delta: table %s: read %s: %w", t.Location(), name, err)
	}
	return parseCommit(t.Location(), name, version, data)
}

// parseCommit parses the lines of a commit file.
func parseCommit(table, name string, version int64, data []byte) ([]*Action, error) {
	var out []*Action
	for lineNo := 1; len(data) > 0; lineNo++ {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		a, err := ParseAction(line)
		if err != nil {
			return nil, &CorruptLogError{Table: table, File: name, Version: version,
				Reason: fmt.Sprintf("line %d: %v", lineNo, err)}
		}
		if a != nil {
			out = append(out, a)
		}
	}
	return out, nil
}

// ReadCommit returns the actions of the JSON commit of version, in file
// order. A missing commit gives an error wrapping ErrVersionNotFound.
func (t *Table) ReadCommit(ctx context.Context, version int64) ([]*Action, error) {
	name := CommitFileName(version)
	data, err := t.store.Read(ctx, name)
	if err != nil {
		if storage.IsNotExist(err) {
			return nil, fmt.Errorf("delta: table %s: %w: commit %s does not exist", t.Location(), ErrVersionNotFound, name)
		}
		return nil, fmt.Errorf("delta: table %s: read %s: %w", t.Location(), name, err)
	}
	return parseCommit(t.Location(), name, version, data)
}

// commitTime is the timestamp of a commit: its inCommitTimestamp, else
// commitInfo.timestamp, else the file's modification time.
func commitTime(actions []*Action, fi storage.FileInfo) time.Time {
	for _, a := range actions {
		if ci := a.CommitInfo; ci != nil {
			if ci.InCommitTimestamp != nil {
				return time.UnixMilli(*ci.InCommitTimestamp).UTC()
			}
			if ci.Timestamp != nil {
				return time.UnixMilli(*ci.Timestamp).UTC()
			}
			break
		}
	}
	return fi.ModTime
}

// CommitTimestamp returns the commit time of version: inCommitTimestamp,
// else commitInfo.timestamp, else the commit file's modification time. A
// missing commit gives an error wrapping ErrVersionNotFound.
func (t *Table) CommitTimestamp(ctx context.Context, version int64) (time.Time, error) {
	name := CommitFileName(version)
	fi, err := t.store.Stat(ctx, name)
	if err != nil {
		if storage.IsNotExist(err) {
			return time.Time{}, fmt.Errorf("delta: table %s: %w: commit %s does not exist", t.Location(), ErrVersionNotFound, name)
		}
		return time.Time{}, fmt.Errorf("delta: table %s: stat %s: %w", t.Location(), name, err)
	}
	actions, err := t.ReadCommit(ctx, version)
	if err != nil {
		return time.Time{}, err
	}
	return commitTime(actions, fi), nil
}

// commitTimes returns the timestamps of every commit still in the log, in
// version order, made monotonic as Delta does: a commit whose time is not
// after its predecessor's gets the predecessor's time plus 1ms.
func (t *Table) commitTimes(ctx context.Context) (versions []int64, times []time.Time, err error) {
	files, err := t.listLog(ctx, 0)
	if err != nil {
		return nil, nil, err
	}
	for _, f := range files {
		if f.Type != LogPathCommit {
			continue
		}
		actions, err := t.readCommitFile(ctx, f.File.Name, f.Version)
		if err != nil {
			return nil, nil, err
		}
		ts := commitTime(actions, f.File)
		if n := len(times); n > 0 && versions[n-1] == f.Version-1 && !ts.After(times[n-1]) {
			ts = times[n-1].Add(time.Millisecond)
		}
		versions = append(versions, f.Version)
		times = append(times, ts)
	}
	if len(versions) == 0 {
		return nil, nil, fmt.Errorf("delta: table %s: %w: no commits in %s", t.Location(), ErrNotATable, LogDir)
	}
	return versions, times, nil
}

// SnapshotAsOf returns the snapshot of the latest version whose commit
// timestamp (see [Table.CommitTimestamp], made monotonic) is at or before
// ts (time travel by timestamp). A time before the first available commit
// gives an error wrapping ErrVersionNotFound that names the earliest
// available time. The snapshot's Timestamp is the commit's own time, as
// [Table.CommitTimestamp] gives it (not the monotonic adjustment).
func (t *Table) SnapshotAsOf(ctx context.Context, ts time.Time) (*Snapshot, error) {
	versions, times, err := t.commitTimes(ctx)
	if err != nil {
		return nil, err
	}
	idx := -1
	for i, ct := range times {
		if ct.After(ts) {
			break
		}
		idx = i
	}
	if idx < 0 {
		return nil, fmt.Errorf("delta: table %s: %w: timestamp %s is before the earliest available commit (version %d at %s)",
			t.Location(), ErrVersionNotFound, ts.UTC().Format(time.RFC3339Nano), versions[0], times[0].UTC().Format(time.RFC3339Nano))
	}
	return t.SnapshotAt(ctx, versions[idx])
}
