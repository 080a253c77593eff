package delta

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
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
// the same LogSegment. A checkpoint's actions are not the commits' (adds
// and tombstones have dataChange=false, expired tombstones are gone), so
// when a newer checkpoint appears the snapshot is rebuilt on it: from
// what a reader of it gets (checkpointedSnapshot) when this Table wrote
// it, else by reading the table afresh. The table is read afresh too when
// the listing does not continue the cached snapshot (its own version file
// is gone, a commit is missing).
//
// The cache also runs the Table's background checkpoints (see
// Transaction.postCommit), at most one at a time.
type latestCache struct {
	mu   sync.Mutex
	snap *Snapshot
	// written is what a reader gets from the newest checkpoint this
	// Table put (checkpointedSnapshot), until the cached snapshot is
	// built on that checkpoint or a newer one.
	written *Snapshot
	// writing counts the puts in progress of checkpoints by this Table,
	// by version: such a file may already be listed, but whether it is
	// ours is known only when the put returns. Until then a Begin goes on
	// without it, as it would have a moment earlier.
	writing map[int64]int

	// The background checkpoint: running while its goroutine lives,
	// next the newest checkpoint that came due meanwhile, idle closed
	// when the goroutine ends.
	bgRunning bool
	bgNext    *checkpointJob
	bgIdle    chan struct{}
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
	if c.written != nil && s.Segment.Checkpoint != nil && s.Segment.Checkpoint.Version >= c.written.Version {
		c.written = nil // used, or superseded
	}
}

// beginWrite records that this Table puts the checkpoint of version.
func (c *latestCache) beginWrite(version int64) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.writing == nil {
		c.writing = map[int64]int{}
	}
	c.writing[version]++
}

// endWrite records the end of a put of the checkpoint of version; when
// it created the file, cp (if not nil) is what a reader of it gets.
func (c *latestCache) endWrite(version int64, cp *Snapshot, created bool) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.writing[version]--; c.writing[version] <= 0 {
		delete(c.writing, version)
	}
	if created && cp != nil && (c.written == nil || cp.Version > c.written.Version) {
		c.written = cp
	}
}

// checkpoints returns written and whether a put of the checkpoint of a
// version is in progress.
func (c *latestCache) checkpoints() (written *Snapshot, writing func(int64) bool) {
	if c == nil {
		return nil, func(int64) bool { return false }
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	busy := make(map[int64]bool, len(c.writing))
	for v := range c.writing {
		busy[v] = true
	}
	return c.written, func(v int64) bool { return busy[v] }
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
// after it (or from the checkpoint this Table wrote and the commits after
// that), prev itself when there is nothing new, or nil when the table must
// be read afresh: the log does not continue prev, or it has a newer
// checkpoint that this Table did not write.
func (t *Table) advance(ctx context.Context, prev *Snapshot) (*Snapshot, error) {
	prevCheckpoint := int64(-1)
	if prev.Segment.Checkpoint != nil {
		prevCheckpoint = prev.Segment.Checkpoint.Version
	}
	written, writing := t.latest.checkpoints()
	if written != nil && written.Version <= prevCheckpoint {
		written = nil
	}
	// List from prev's version, or from the checkpoint this Table wrote
	// when prev is past it (the checkpoint was written in the background
	// while later commits were made).
	start := prev.Version
	if written != nil {
		start = min(start, written.Version)
	}
	files, err := t.listLog(ctx, start)
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
	// The newest complete checkpoint after prev's, leaving out the ones
	// this Table is still putting.
	var newer *CheckpointFiles
	for v, parts := range cps {
		if v <= prevCheckpoint || writing(v) || (newer != nil && v < newer.Version) {
			continue
		}
		if c := completeCheckpoint(v, parts); c != nil {
			newer = c
		}
	}
	base, checkpoint, baseCommits := prev, prev.Segment.Checkpoint, prev.Segment.Commits
	switch {
	case newer == nil:
		if latest == prev.Version {
			return prev, nil
		}
	case written != nil && newer.Version == written.Version && len(newer.Parts) == 1 &&
		newer.Parts[0].Name == CheckpointFileName(written.Version):
		// Ours (a classic checkpoint is preferred to any other of its
		// version, and its put succeeded): build on what it holds.
		base, checkpoint, baseCommits = written, newer, nil
	default:
		return nil, nil // another writer's checkpoint: read the table afresh from it
	}
	if latest < base.Version {
		return nil, nil
	}
	for v := base.Version + 1; v <= latest; v++ {
		if _, ok := commits[v]; !ok {
			return nil, nil // a gap: read afresh
		}
	}
	newActions := make([][]*Action, 0, latest-base.Version)
	for v := base.Version + 1; v <= latest; v++ {
		actions, err := t.readCommitFile(ctx, commits[v].Name, v)
		if err != nil {
			return nil, err
		}
		newActions = append(newActions, actions)
	}
	// The segment: the base's checkpoint and commits, then the new ones.
	seg := &LogSegment{Version: latest, Checkpoint: checkpoint,
		Commits: append(slices.Clip(baseCommits), make([]storage.FileInfo, 0, latest-base.Version)...)}
	for v := base.Version + 1; v <= latest; v++ {
		seg.Commits = append(seg.Commits, commits[v])
	}
	s := appendOnlyAdvance(t, base, newActions, seg)
	if s == nil {
		r := replayFrom(base)
		for i, actions := range newActions {
			for n, a := range actions {
				if err := r.apply(a); err != nil {
					v := base.Version + 1 + int64(i)
					return nil, &CorruptLogError{Table: t.Location(), File: commits[v].Name, Version: v,
						Reason: fmt.Sprintf("action %d: %v", n+1, err)}
				}
			}
		}
		if s, err = r.finish(t, seg); err != nil {
			return nil, err
		}
	}
	s.Timestamp = base.Timestamp
	if n := len(newActions); n > 0 {
		s.Timestamp = commitTime(newActions[n-1], commits[latest])
	}
	return s, nil
}

// appendOnlyAdvance returns the snapshot after base and the actions of
// the commits that follow it (seg's) when those commits only add files
// the base has neither as a file nor as a tombstone and set txns (a
// streaming append), or nil: then the commits must be replayed. It is
// what replayFrom, apply and finish give, built without decoding,
// hashing and sorting all of the table's files again: the new files are
// inserted into base's sorted ones.
func appendOnlyAdvance(t *Table, base *Snapshot, commits [][]*Action, seg *LogSegment) *Snapshot {
	type added struct {
		key fileKey
		add *Add
	}
	var adds []added
	var txns map[string]Txn
	for _, actions := range commits {
		for _, a := range actions {
			// The cases of replay.apply, in its order.
			switch {
			case a.Protocol != nil, a.Metadata != nil:
				return nil
			case a.Add != nil:
				if a.Add.DeletionVector != nil {
					return nil // finish refuses it, with its message
				}
				p, err := DecodePath(a.Add.Path)
				if err != nil {
					return nil // apply reports it
				}
				adds = append(adds, added{fileKey{p, ""}, a.Add})
			case a.Remove != nil, a.DomainMetadata != nil:
				return nil
			case a.Txn != nil:
				if txns == nil {
					txns = maps.Clone(base.Txns)
					if txns == nil {
						txns = map[string]Txn{}
					}
				}
				txns[a.Txn.AppID] = *a.Txn
			}
		}
	}
	slices.SortStableFunc(adds, func(a, b added) int { return compareKeys(a.key, b.key) })
	for i := 1; i < len(adds); i++ {
		if adds[i].key == adds[i-1].key {
			return nil // added twice: the later one wins
		}
	}
	// Where each new file goes among base's, which must not hold it.
	pos := make([]int, len(adds))
	for i, a := range adds {
		j, found := slices.BinarySearchFunc(base.Files, a.key, func(f *Add, k fileKey) int {
			p, _ := DecodePath(f.Path) // decoded when base was built
			return compareKeys(fileKey{p, dvUniqueID(f.DeletionVector)}, k)
		})
		if found {
			return nil
		}
		if _, found := slices.BinarySearchFunc(base.Tombstones, a.key, func(r *Remove, k fileKey) int {
			p, _ := DecodePath(r.Path)
			return compareKeys(fileKey{p, dvUniqueID(r.DeletionVector)}, k)
		}); found {
			return nil
		}
		pos[i] = j
	}
	files := make([]*Add, 0, len(base.Files)+len(adds))
	prev := 0
	for i, a := range adds {
		files = append(files, base.Files[prev:pos[i]]...)
		files = append(files, a.add)
		prev = pos[i]
	}
	files = append(files, base.Files[prev:]...)
	if txns == nil {
		txns = maps.Clone(base.Txns)
		if txns == nil {
			txns = map[string]Txn{}
		}
	}
	domains := maps.Clone(base.Domains)
	if domains == nil {
		domains = map[string]DomainMetadata{}
	}
	m := base.Metadata
	r := &replay{metadata: &m, txns: txns}
	r.expireTxns(t)
	return &Snapshot{
		Version:    seg.Version,
		Protocol:   base.Protocol,
		Metadata:   base.Metadata,
		Schema:     base.Schema,
		Files:      files,
		Tombstones: base.Tombstones,
		Txns:       txns,
		Domains:    domains,
		Segment:    seg,
		table:      t,
	}
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

// compareKeys orders file keys as a snapshot's Files and Tombstones are
// sorted (sortKeys): by decoded path, then deletion vector id.
func compareKeys(a, b fileKey) int {
	if c := strings.Compare(a.path, b.path); c != 0 {
		return c
	}
	return strings.Compare(a.dv, b.dv)
}
