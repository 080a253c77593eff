package delta

import (
	"fmt"
	"log/slog"
	"sort"
	"strconv"
)

// fileKey identifies a logical file in action reconciliation: the decoded
// path plus the deletion vector's unique id (empty without one).
type fileKey struct {
	path string
	dv   string
}

// dvUniqueID returns the unique id of a deletion vector as PROTOCOL.md
// defines it (storageType + pathOrInlineDv, plus "@offset" when set), or
// "" for nil.
func dvUniqueID(dv *DeletionVector) string {
	if dv == nil {
		return ""
	}
	id := dv.StorageType + dv.PathOrInlineDv
	if dv.Offset != nil {
		id += "@" + strconv.FormatInt(int64(*dv.Offset), 10)
	}
	return id
}

// replay reconciles actions in log order (checkpoint first, then commits
// ascending) per PROTOCOL.md "Action Reconciliation".
type replay struct {
	protocol   *Protocol
	metadata   *Metadata
	files      map[fileKey]*Add
	tombstones map[fileKey]*Remove
	txns       map[string]Txn
	domains    map[string]DomainMetadata
}

func newReplay() *replay {
	return &replay{
		files:      map[fileKey]*Add{},
		tombstones: map[fileKey]*Remove{},
		txns:       map[string]Txn{},
		domains:    map[string]DomainMetadata{},
	}
}

// apply folds one action into the state. The later action for a key
// always wins, so actions must be applied oldest first. The error is a
// bad path; the caller adds the file and line.
func (r *replay) apply(a *Action) error {
	switch {
	case a.Protocol != nil:
		p := *a.Protocol
		r.protocol = &p
	case a.Metadata != nil:
		m := *a.Metadata
		r.metadata = &m
	case a.Add != nil:
		p, err := DecodePath(a.Add.Path)
		if err != nil {
			return err
		}
		k := fileKey{p, dvUniqueID(a.Add.DeletionVector)}
		delete(r.tombstones, k)
		r.files[k] = a.Add
	case a.Remove != nil:
		p, err := DecodePath(a.Remove.Path)
		if err != nil {
			return err
		}
		k := fileKey{p, dvUniqueID(a.Remove.DeletionVector)}
		delete(r.files, k)
		r.tombstones[k] = a.Remove
	case a.Txn != nil:
		r.txns[a.Txn.AppID] = *a.Txn
	case a.DomainMetadata != nil:
		if a.DomainMetadata.Removed {
			delete(r.domains, a.DomainMetadata.Domain)
		} else {
			r.domains[a.DomainMetadata.Domain] = *a.DomainMetadata
		}
	}
	// commitInfo, cdc and unknown actions do not change the snapshot.
	return nil
}

// sortedFiles returns the active adds sorted by decoded path (then
// deletion vector id).
func (r *replay) sortedFiles() []*Add {
	keys := make([]fileKey, 0, len(r.files))
	for k := range r.files {
		keys = append(keys, k)
	}
	sortKeys(keys)
	out := make([]*Add, len(keys))
	for i, k := range keys {
		out[i] = r.files[k]
	}
	return out
}

// sortedTombstones returns the tombstones sorted like sortedFiles.
func (r *replay) sortedTombstones() []*Remove {
	keys := make([]fileKey, 0, len(r.tombstones))
	for k := range r.tombstones {
		keys = append(keys, k)
	}
	sortKeys(keys)
	out := make([]*Remove, len(keys))
	for i, k := range keys {
		out[i] = r.tombstones[k]
	}
	return out
}

func sortKeys(keys []fileKey) {
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].path != keys[j].path {
			return keys[i].path < keys[j].path
		}
		return keys[i].dv < keys[j].dv
	})
}

// finish validates the replayed state and turns it into a snapshot. The
// protocol is checked before anything else is trusted.
func (r *replay) finish(t *Table, seg *LogSegment) (*Snapshot, error) {
	loc := t.Location()
	if r.protocol == nil {
		return nil, &CorruptLogError{Table: loc, Version: seg.Version,
			Reason: "no protocol action found in the log segment" + segmentDesc(seg)}
	}
	if err := CheckReadSupport(loc, *r.protocol); err != nil {
		return nil, err
	}
	if r.metadata == nil {
		return nil, &CorruptLogError{Table: loc, Version: seg.Version,
			Reason: "no metaData action found in the log segment" + segmentDesc(seg)}
	}
	r.expireTxns(t)
	s := &Snapshot{
		Version:    seg.Version,
		Protocol:   *r.protocol,
		Metadata:   *r.metadata,
		Files:      r.sortedFiles(),
		Tombstones: r.sortedTombstones(),
		Txns:       r.txns,
		Domains:    r.domains,
		Segment:    seg,
		table:      t,
	}
	for _, f := range s.Files {
		if f.DeletionVector != nil {
			return nil, &UnsupportedFeatureError{Table: loc, Feature: FeatureDeletionVectors,
				Detail: fmt.Sprintf("file %s has a deletion vector; %s", f.Path, readerFeatureDetail[FeatureDeletionVectors])}
		}
	}
	if s.Metadata.SchemaString != "" {
		schema, err := s.Metadata.Schema()
		if err != nil {
			return nil, &CorruptLogError{Table: loc, Version: seg.Version,
				Reason: fmt.Sprintf("metaData.schemaString: %v", err)}
		}
		s.Schema = schema
	}
	return s, nil
}

// expireTxns drops the txn actions that
// delta.setTransactionRetentionDuration has expired: a snapshot ignores a
// transaction identifier whose lastUpdated is at or before now (the
// table's clock) minus the retention. Without the property, or without
// lastUpdated, a txn never expires.
func (r *replay) expireTxns(t *Table) {
	v, ok := r.metadata.Configuration[SetTransactionRetentionKey]
	if !ok || len(r.txns) == 0 {
		return
	}
	d, err := ParseInterval(v)
	if err != nil {
		slog.Debug("delta: ignoring invalid "+SetTransactionRetentionKey, "table", t.Location(), "value", v)
		return
	}
	cutoff := t.now().Add(-d).UnixMilli()
	for app, x := range r.txns {
		if x.LastUpdated != nil && *x.LastUpdated <= cutoff {
			delete(r.txns, app)
		}
	}
}

func segmentDesc(seg *LogSegment) string {
	if seg.Checkpoint != nil {
		return fmt.Sprintf(" (checkpoint %d + %d commits up to version %d)", seg.Checkpoint.Version, len(seg.Commits), seg.Version)
	}
	return fmt.Sprintf(" (commits 0 to %d)", seg.Version)
}
