package delta

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/streamgen/streamgen/runtime/storage"
)

// latestCache keeps the newest snapshot a Table has read, so that the
// next transaction's Begin replays only the commits after it: one
// listing of the log from that version, plus one read per new commit,
// instead of reading _last_checkpoint, the checkpoint and every commit
// after it again. On an object store that is what a streaming writer's
// Begin costs per batch (one LIST when nobody else committed).
//
// A snapshot built incrementally is the one a full replay gives: the same
// actions are reconciled in the same order, on the same checkpoint, with
// the same LogSegment. When a newer checkpoint appears (once per
// checkpoint interval) or the listing does not continue the cached
// snapshot (its own version file is gone, a commit is missing) the table
// is read afresh.
type latestCache struct {
	mu   sync.Mutex
	snap *Snapshot
}

func (c *latestCache) load() *Snapshot {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.snap
}

// store keeps s unless a newer snapshot is kept already.
func (c *latestCache) store(s *Snapshot) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.snap == nil || s.Version >= c.snap.Version {
		c.snap = s
	}
}

// latestSnapshot returns the latest snapshot, advancing the cached one
// when it can.
func (t *Table) latestSnapshot(ctx context.Context) (*Snapshot, error) {
	if prev := t.latest.load(); prev != nil {
		s, err := t.advance(ctx, prev)
		if err != nil {
			return nil, err
		}
		if s != nil {
			t.latest.store(s)
			return s, nil
		}
	}
	s, err := t.snapshot(ctx, -1)
	if err != nil {
		return nil, err
	}
	t.latest.store(s)
	return s, nil
}

// advance returns the latest snapshot built from prev and the commits
// after it, prev itself when there are none, or nil when the log does not
// continue prev and the table must be read afresh.
func (t *Table) advance(ctx context.Context, prev *Snapshot) (*Snapshot, error) {
	files, err := t.listLog(ctx, prev.Version)
	if err != nil {
		return nil, err
	}
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
	if _, ok := commits[prev.Version]; !ok && completeCheckpoint(prev.Version, cps[prev.Version]) == nil {
		return nil, nil // prev's own version is gone: the log changed under us
	}
	prevCheckpoint := int64(-1)
	if prev.Segment.Checkpoint != nil {
		prevCheckpoint = prev.Segment.Checkpoint.Version
	}
	for v, parts := range cps {
		if v > prevCheckpoint && completeCheckpoint(v, parts) != nil {
			// A newer checkpoint: read the table afresh from it, once per
			// checkpoint interval. (Files and tombstones from a checkpoint
			// are not the commits' actions: dataChange is false there and
			// expired tombstones are gone.)
			return nil, nil
		}
	}
	if latest == prev.Version {
		return prev, nil
	}
	for v := prev.Version + 1; v <= latest; v++ {
		if _, ok := commits[v]; !ok {
			return nil, nil // a gap: read afresh
		}
	}
	r := replayFrom(prev)
	var last []*Action
	for v := prev.Version + 1; v <= latest; v++ {
		name := commits[v].Name
		actions, err := t.readCommitFile(ctx, name, v)
		if err != nil {
			return nil, err
		}
		for n, a := range actions {
			if err := r.apply(a); err != nil {
				return nil, &CorruptLogError{Table: t.Location(), File: name, Version: v,
					Reason: fmt.Sprintf("action %d: %v", n+1, err)}
			}
		}
		last = actions
	}
	// The segment: prev's checkpoint (no newer one exists) and its
	// commits, then the new ones.
	seg := &LogSegment{Version: latest, Checkpoint: prev.Segment.Checkpoint,
		Commits: append(slices.Clip(prev.Segment.Commits), make([]storage.FileInfo, 0, latest-prev.Version)...)}
	for v := prev.Version + 1; v <= latest; v++ {
		seg.Commits = append(seg.Commits, commits[v])
	}
	s, err := r.finish(t, seg)
	if err != nil {
		return nil, err
	}
	s.Timestamp = commitTime(last, commits[latest])
	return s, nil
}

// replayFrom returns a replay holding prev's state, to which later
// commits can be applied.
func replayFrom(prev *Snapshot) *replay {
	r := newReplay()
	p, m := prev.Protocol, prev.Metadata
	r.protocol, r.metadata = &p, &m
	for _, a := range prev.Files {
		// Paths decoded when prev was built: an error is impossible.
		path, _ := DecodePath(a.Path)
		r.files[fileKey{path, dvUniqueID(a.DeletionVector)}] = a
	}
	for _, rm := range prev.Tombstones {
		path, _ := DecodePath(rm.Path)
		r.tombstones[fileKey{path, dvUniqueID(rm.DeletionVector)}] = rm
	}
	maps.Copy(r.txns, prev.Txns)
	maps.Copy(r.domains, prev.Domains)
	return r
}
