package deltasource

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/streamgen/streamgen/runtime/delta"
)

// readCtx is what reading the files of one version needs: a snapshot
// value carrying the table's metadata (schema, partition columns,
// configuration) in force at that version, for Snapshot.ReadFile, and
// the projection of its columns onto the record's.
type readCtx struct {
	version int64
	snap    *delta.Snapshot
	// proj[j] is the table column of the record's column j.
	proj []int
	// err is set when the schema does not fit the record: the stream
	// stops at version.
	err error
}

// initialSnapshot is the snapshot the stream starts with.
type initialSnapshot struct {
	version int64
	// files are the snapshot's files sorted by modification time, then
	// path (Spark's order).
	files []*delta.Add
	rc    *readCtx
	// dropped says files were released once read (see Commit).
	dropped bool
}

// version is one commit as the stream sees it.
type version struct {
	v int64
	// files are the add actions the stream reads, in commit order: the
	// file index of an offset indexes them.
	files []*delta.Add
	// rc is the read context after the commit's metaData and protocol.
	rc *readCtx
	// err stops the stream at this version (see LatestOffset).
	err error
	// released says files were dropped once the stream read them (see
	// Commit); rc is still valid for the next version.
	released bool
}

// fileRef is one file of the stream.
type fileRef struct {
	version, index int64
	add            *delta.Add
	rc             *readCtx
}

// walk visits the files after from up to and including to, in stream
// order: the rest of the initial snapshot when from is in it, then the
// files of each version. take says whether a file is taken; the walk
// stops at the first file not taken, and before reading a version's
// commit when full (if set) reports true. It returns the position after
// the last file taken, with a version whose files were all taken moved
// to the start of the next version (Spark's "isLast" rule). A commit
// that stops the stream ends the walk before it with its error and
// stopped set; other errors are I/O errors. s.mu is held.
func (s *Source[T]) walk(ctx context.Context, from, to pos, full func() bool, take func(fileRef) (bool, error)) (cur pos, stopped bool, err error) {
	cur = from
	if from.snap {
		sn, err := s.loadSnapshot(ctx, from.v)
		if err != nil {
			return cur, false, err
		}
		for i := from.i + 1; i < int64(len(sn.files)); i++ {
			if !to.covers(from.v, i) {
				return cur, false, nil
			}
			ok, err := take(fileRef{version: from.v, index: i, add: sn.files[i], rc: sn.rc})
			if err != nil || !ok {
				return cur, false, err
			}
			cur.i = i
		}
		if to.snap && to.v == from.v {
			return cur, false, nil
		}
		cur = pos{v: from.v + 1, i: -1}
	}
	for v := cur.v; to.covers(v, 0); v++ {
		if full != nil && full() {
			return cur, false, nil
		}
		if err := ctx.Err(); err != nil {
			return cur, false, err
		}
		ver, err := s.version(ctx, v)
		if err != nil {
			return cur, false, err
		}
		if ver.err != nil {
			return cur, true, ver.err
		}
		first := int64(0)
		if v == cur.v {
			first = cur.i + 1
		}
		for i := first; i < int64(len(ver.files)); i++ {
			if !to.covers(v, i) {
				return cur, false, nil
			}
			ok, err := take(fileRef{version: v, index: i, add: ver.files[i], rc: ver.rc})
			if err != nil || !ok {
				return cur, false, err
			}
			cur = pos{v: v, i: i}
		}
		cur = pos{v: v + 1, i: -1}
	}
	return cur, false, nil
}

// listTail lists the log from the version after the newest one seen (one
// ListFrom of _delta_log, never the whole log) and records the newest
// commit. s.mu is held.
func (s *Source[T]) listTail(ctx context.Context) error {
	from := s.latest + 1
	infos, err := s.store.ListFrom(ctx, delta.LogDir, fmt.Sprintf("%020d", from))
	if err != nil {
		return fmt.Errorf("deltasource: list %s: %w", s.store.URL(delta.LogDir), err)
	}
	for _, fi := range infos {
		if lp := delta.ParseLogPath(fi); lp.Type == delta.LogPathCommit && lp.Version > s.latest {
			s.latest = lp.Version
		}
	}
	return nil
}

// loadSnapshot returns the initial snapshot at version v, reading it
// when not loaded (or released). s.mu is held.
func (s *Source[T]) loadSnapshot(ctx context.Context, v int64) (*initialSnapshot, error) {
	if s.snap != nil && s.snap.version == v && !s.snap.dropped {
		return s.snap, nil
	}
	snap := s.latestSnap
	if snap == nil || snap.Version != v {
		var err error
		if snap, err = s.table.SnapshotAt(ctx, v); err != nil {
			return nil, fmt.Errorf("deltasource: initial snapshot at version %d: %w", v, err)
		}
	}
	rc := s.newReadCtx(snap, nil, true)
	if rc.err != nil {
		return nil, rc.err
	}
	if snap.Metadata.ID != s.tableID {
		return nil, &TableChangedError{Table: s.table.Location(), CheckpointID: s.tableID, TableID: snap.Metadata.ID, Version: v}
	}
	files := slices.Clone(snap.Files)
	slices.SortStableFunc(files, func(a, b *delta.Add) int {
		return cmp.Or(cmp.Compare(a.ModificationTime, b.ModificationTime), strings.Compare(a.Path, b.Path))
	})
	s.snap = &initialSnapshot{version: v, files: files, rc: rc}
	return s.snap, nil
}

// baseRC returns the read context of the latest snapshot read by init,
// which a stream starting after it ("latest") builds on. s.mu is held.
func (s *Source[T]) baseRC() (*readCtx, error) {
	if s.base == nil {
		s.base = s.newReadCtx(s.latestSnap, nil, true)
	}
	return s.base, s.base.err
}

// rcBefore returns the read context in force just before the commit of
// v: that of v-1 when it is known, else one built from the snapshot at v
// (whose metadata is the one v's files are read with). s.mu is held.
func (s *Source[T]) rcBefore(ctx context.Context, v int64) (*readCtx, error) {
	if p := s.vers[v-1]; p != nil {
		return p.rc, nil
	}
	if s.snap != nil && s.snap.version == v-1 {
		return s.snap.rc, nil
	}
	if s.base != nil && s.base.version == v-1 {
		return s.base, nil
	}
	if s.latestSnap != nil && s.latestSnap.Version == v-1 {
		return s.baseRC()
	}
	snap, err := s.table.SnapshotAt(ctx, v)
	if err != nil {
		return nil, fmt.Errorf("deltasource: table %s: the metadata as of version %d: %w", s.table.Location(), v, err)
	}
	if snap.Metadata.ID != s.tableID {
		return &readCtx{version: v, err: &TableChangedError{Table: s.table.Location(), CheckpointID: s.tableID, TableID: snap.Metadata.ID, Version: v}}, nil
	}
	return s.newReadCtx(snap, nil, true), nil
}

// version returns the commit of v as the stream sees it, reading and
// checking it when it is not cached. s.mu is held.
func (s *Source[T]) version(ctx context.Context, v int64) (*version, error) {
	if ver := s.vers[v]; ver != nil && !ver.released {
		return ver, nil
	}
	prev, err := s.rcBefore(ctx, v)
	if err != nil {
		return nil, err
	}
	if prev.err != nil {
		ver := &version{v: v, rc: prev, err: prev.err}
		s.vers[v] = ver
		return ver, nil
	}
	actions, err := s.table.ReadCommit(ctx, v)
	if err != nil {
		if errors.Is(err, delta.ErrVersionNotFound) {
			return nil, fmt.Errorf("deltasource: table %s: the commit of version %d, which the stream has not read yet, is no longer in the log (cleaned up after delta.logRetentionDuration); "+
				"start the query on a new checkpoint: %w", s.table.Location(), v, err)
		}
		return nil, fmt.Errorf("deltasource: %w", err)
	}
	ver := s.classify(v, actions, prev)
	s.vers[v] = ver
	return ver, nil
}

// classify checks one commit and picks the files the stream reads from
// it (Spark's verifyStreamHygiene): add actions with dataChange=false
// (OPTIMIZE) are never read; a commit that removes files with
// dataChange=true is an update when it also adds files and a delete
// otherwise, read or skipped as the options say, else it stops the
// stream. A protocol this reader cannot read, a metaData of another
// table or one whose schema no longer fits the record stop the stream.
func (s *Source[T]) classify(v int64, actions []*delta.Action, prev *readCtx) *version {
	ver := &version{v: v, rc: prev}
	var adds []*delta.Add
	var removes int
	var removed, op string
	var meta *delta.Metadata
	var proto *delta.Protocol
	for _, a := range actions {
		switch {
		case a.Add != nil:
			if a.Add.DataChange {
				adds = append(adds, a.Add)
			}
		case a.Remove != nil:
			if a.Remove.DataChange {
				if removes == 0 {
					removed = a.Remove.Path
					if p, err := delta.DecodePath(removed); err == nil {
						removed = p
					}
				}
				removes++
			}
		case a.Metadata != nil:
			meta = a.Metadata
		case a.Protocol != nil:
			proto = a.Protocol
		case a.CommitInfo != nil:
			op = a.CommitInfo.Operation
		}
	}
	if proto != nil {
		if err := delta.CheckReadSupport(s.table.Location(), *proto); err != nil {
			ver.err = fmt.Errorf("deltasource: version %d upgrades the table's protocol: %w", v, err)
			return ver
		}
	}
	if meta != nil || proto != nil {
		snap := *prev.snap
		snap.Version = v
		if proto != nil {
			snap.Protocol = *proto
		}
		if meta != nil {
			if meta.ID != s.tableID {
				ver.err = &TableChangedError{Table: s.table.Location(), CheckpointID: s.tableID, TableID: meta.ID, Version: v}
				return ver
			}
			sch, err := meta.Schema()
			if err != nil {
				ver.err = fmt.Errorf("deltasource: table %s: version %d: schema: %w", s.table.Location(), v, err)
				return ver
			}
			snap.Metadata, snap.Schema = *meta, sch
		}
		ver.rc = s.newReadCtx(&snap, prev, false)
		if ver.rc.err != nil {
			ver.err = ver.rc.err
			return ver
		}
	}
	switch {
	case removes == 0:
		ver.files = adds
		if len(adds) == 0 {
			s.logger.Debug("deltasource: commit without new data skipped", "source", s.Description(), "version", v, "operation", op)
		}
	case s.cfg.SkipChangeCommits:
		s.logger.Info("deltasource: skipping a commit that removes data (skipChangeCommits)", "source", s.Description(),
			"version", v, "operation", op, "removed", removes, "added", len(adds))
	case len(adds) > 0:
		if !s.cfg.IgnoreChanges {
			ver.err = &ChangeError{Table: s.table.Location(), Version: v, Kind: ChangeUpdate, Operation: op, Path: removed, Removed: removes, Added: len(adds)}
			return ver
		}
		ver.files = adds
		s.logger.Info("deltasource: reading the files rewritten by a commit (ignoreChanges)", "source", s.Description(),
			"version", v, "operation", op, "removed", removes, "added", len(adds))
	default:
		if !s.cfg.IgnoreDeletes && !s.cfg.IgnoreChanges {
			ver.err = &ChangeError{Table: s.table.Location(), Version: v, Kind: ChangeDelete, Operation: op, Path: removed, Removed: removes}
			return ver
		}
		s.logger.Info("deltasource: ignoring a commit that deletes data (ignoreDeletes)", "source", s.Description(),
			"version", v, "operation", op, "removed", removes)
	}
	return ver
}

// newReadCtx makes the read context of snap (whose Version is the
// version it is in force at), checking its schema against the record's:
// at the start of the stream (start) or as a change from prev.
func (s *Source[T]) newReadCtx(snap *delta.Snapshot, prev *readCtx, start bool) *readCtx {
	trimmed := *snap
	trimmed.Files, trimmed.Tombstones, trimmed.Txns, trimmed.Domains = nil, nil, nil, nil
	rc := &readCtx{version: snap.Version, snap: &trimmed}
	proj, problems := project(snap.Schema, s.cfg.Schema, prevSchema(prev))
	if len(problems) > 0 {
		rc.err = &SchemaError{Table: s.table.Location(), Version: snap.Version, Start: start, Problems: problems}
		return rc
	}
	rc.proj = proj
	if prev != nil && prev.snap != nil && prev.snap.Schema.String() != snap.Schema.String() {
		s.logger.Info("deltasource: the table's schema changed; the record's columns are unchanged", "source", s.Description(),
			"version", snap.Version, "schema", snap.Schema.String())
	}
	return rc
}

func prevSchema(rc *readCtx) *delta.StructType {
	if rc == nil || rc.snap == nil {
		return nil
	}
	return rc.snap.Schema
}

// findField returns the index of the column named name in st: the exact
// name, else the first that matches case-insensitively (Delta column
// names are case-insensitive); -1 when none.
func findField(st *delta.StructType, name string) int {
	if st == nil {
		return -1
	}
	if _, i := st.Field(name); i >= 0 {
		return i
	}
	for i, f := range st.Fields {
		if strings.EqualFold(f.Name, name) {
			return i
		}
	}
	return -1
}

// project maps each record column to the table column of the same name
// and type. problems describes every record column the table lacks or
// types differently, as a change from old when known.
func project(table, record, old *delta.StructType) (proj []int, problems []string) {
	proj = make([]int, len(record.Fields))
	for j, rf := range record.Fields {
		i := findField(table, rf.Name)
		oi := findField(old, rf.Name)
		switch {
		case i < 0 && oi >= 0:
			problems = append(problems, fmt.Sprintf("column %s was dropped", rf.Name))
		case i < 0:
			problems = append(problems, fmt.Sprintf("column %s is missing", rf.Name))
		case table.Fields[i].Type.String() != rf.Type.String():
			tt := table.Fields[i].Type.String()
			if oi >= 0 && old.Fields[oi].Type.String() != tt {
				problems = append(problems, fmt.Sprintf("column %s changed type from %s to %s (the record reads %s)",
					rf.Name, old.Fields[oi].Type, tt, rf.Type))
			} else {
				problems = append(problems, fmt.Sprintf("column %s is %s, the record reads %s", rf.Name, tt, rf.Type))
			}
		}
		proj[j] = i
	}
	return proj, problems
}
