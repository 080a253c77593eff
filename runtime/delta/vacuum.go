package delta

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// DefaultRetention is the default retention of [Table.Vacuum] and the
// shortest one it accepts without Force: Delta's
// delta.deletedFileRetentionDuration default of one week.
const DefaultRetention = 7 * 24 * time.Hour

// DeletedFileRetentionKey is the table property that sets how long
// removed files must stay on storage for readers of older versions.
const DeletedFileRetentionKey = "delta.deletedFileRetentionDuration"

// SetTransactionRetentionKey is the table property that sets how long
// snapshots keep txn (transaction identifier) actions: older ones, by
// lastUpdated, are expired and ignored.
const SetTransactionRetentionKey = "delta.setTransactionRetentionDuration"

// VacuumOptions configures [Table.Vacuum].
type VacuumOptions struct {
	// Retention is how long an unreferenced file is kept after its last
	// modification. Zero selects the table's
	// delta.deletedFileRetentionDuration (default DefaultRetention); a
	// negative value means no retention at all (every unreferenced file
	// goes), which needs Force.
	Retention time.Duration
	// Force allows a retention shorter than the table's configured one
	// (Spark's retentionDurationCheck.enabled=false). Readers of versions
	// older than the retention, and writers still committing files
	// written earlier, may then fail.
	Force bool
	// DryRun lists the files that would be deleted without deleting them
	// or committing anything.
	DryRun bool
	// Now returns the current time (default the table's clock).
	Now func() time.Time
}

// VacuumResult reports what [Table.Vacuum] deleted (or, with DryRun,
// would delete).
type VacuumResult struct {
	// Files are the storage names (relative to the table root) of the
	// deleted files, sorted.
	Files []string
	// Bytes is their total size.
	Bytes int64
	// Retention is the retention applied, and Cutoff the modification
	// time before which unreferenced files were deleted.
	Retention time.Duration
	Cutoff    time.Time
	// ReadVersion is the snapshot whose files were kept.
	ReadVersion int64
	// StartVersion and EndVersion are the "VACUUM START" and "VACUUM END"
	// commits, -1 for a dry run.
	StartVersion, EndVersion int64
}

// Vacuum deletes the files under the table root that the table no longer
// needs: files that are not referenced by an active add of the latest
// snapshot nor by a tombstone younger than the retention, and whose
// modification time is older than the retention. Hidden paths (any
// directory or file name starting with '_' or '.', except partition
// directories and _change_data) are never touched, so _delta_log and
// in-flight temporary files are safe.
//
// Unless DryRun, the run is recorded in the log as a "VACUUM START"
// commit before anything is deleted and a "VACUUM END" commit after, as
// Delta Lake 2.x does; both hold only commitInfo.
func (t *Table) Vacuum(ctx context.Context, opts VacuumOptions) (*VacuumResult, error) {
	fail := func(err error) (*VacuumResult, error) {
		return nil, fmt.Errorf("delta: table %s: vacuum: %w", t.Location(), err)
	}
	nowFn := opts.Now
	if nowFn == nil {
		nowFn = t.now
	}
	snap, err := t.Snapshot(ctx)
	if err != nil {
		return nil, fmt.Errorf("delta: vacuum: %w", err)
	}
	if err := CheckWriteSupport(t.Location(), snap.Protocol); err != nil {
		return nil, fmt.Errorf("delta: vacuum: %w", err)
	}
	configured := DefaultRetention
	if s, ok := snap.Metadata.Configuration[DeletedFileRetentionKey]; ok {
		d, err := ParseInterval(s)
		if err != nil {
			return fail(fmt.Errorf("table property %s: %w", DeletedFileRetentionKey, err))
		}
		configured = d
	}
	retention := opts.Retention
	switch {
	case retention == 0:
		retention = configured
	case retention < 0:
		retention = 0
	}
	if retention < configured && !opts.Force {
		return fail(fmt.Errorf("retention %s is shorter than the table's %s (%s): readers of older versions and "+
			"concurrent writers could lose files; use a longer retention or force it", retention, configured, DeletedFileRetentionKey))
	}
	now := nowFn()
	cutoff := now.Add(-retention)
	res := &VacuumResult{Retention: retention, Cutoff: cutoff, ReadVersion: snap.Version, StartVersion: -1, EndVersion: -1}

	root := strings.TrimSuffix(t.store.URL(""), "/") + "/"
	keep := map[string]bool{}
	relative := func(p string) (string, bool) {
		d, err := DecodePath(p)
		if err != nil {
			return "", false
		}
		if rest, ok := strings.CutPrefix(d, "file:"); ok && strings.HasPrefix(rest, "/") {
			// file:/abs (Hadoop's Path.toUri) or file:///abs.
			d = "/" + strings.TrimLeft(rest, "/")
		}
		if strings.Contains(d, "://") || strings.HasPrefix(d, "/") {
			rel, ok := strings.CutPrefix(d, root)
			return rel, ok
		}
		return d, true
	}
	for _, f := range snap.Files {
		if p, ok := relative(f.Path); ok {
			keep[p] = true
		}
	}
	for _, r := range snap.Tombstones {
		if r.DeletionTimestamp != nil && time.UnixMilli(*r.DeletionTimestamp).Before(cutoff) {
			continue
		}
		if p, ok := relative(r.Path); ok {
			keep[p] = true
		}
	}
	partCols := snap.Metadata.PartitionColumns
	all, err := t.store.List(ctx, "")
	if err != nil {
		return fail(err)
	}
	for _, fi := range all {
		if isHiddenPath(fi.Name, partCols) || keep[fi.Name] || !fi.ModTime.Before(cutoff) {
			continue
		}
		res.Files = append(res.Files, fi.Name)
		res.Bytes += fi.Size
	}
	if opts.DryRun {
		return res, nil
	}

	// VACUUM START.
	start := t.BeginAt(snap)
	start.SetOperation("VACUUM START", map[string]any{
		"retentionCheckEnabled":    !opts.Force,
		"defaultRetentionMillis":   configured.Milliseconds(),
		"specifiedRetentionMillis": retention.Milliseconds(),
	})
	start.SetOperationMetrics(map[string]string{
		"numFilesToDelete":   strconv.Itoa(len(res.Files)),
		"sizeOfDataToDelete": strconv.FormatInt(res.Bytes, 10),
	})
	if res.StartVersion, err = start.Commit(ctx); err != nil {
		return fail(err)
	}
	var delErr error
	deleted := 0
	for _, name := range res.Files {
		if err := t.store.Delete(ctx, name); err != nil {
			delErr = err
			break
		}
		deleted++
	}
	status := "COMPLETED"
	if delErr != nil {
		status = "FAILED"
	}
	end := &Transaction{table: t, snap: snap, readVersion: res.StartVersion}
	end.SetOperation("VACUUM END", map[string]any{"status": status})
	end.SetOperationMetrics(map[string]string{
		"numDeletedFiles":        strconv.Itoa(deleted),
		"numVacuumedDirectories": "0",
	})
	// VACUUM END is recorded even when a delete failed (with status
	// FAILED), so the log shows the run; ctx may be done by then.
	endCtx := context.WithoutCancel(ctx)
	res.EndVersion, err = end.Commit(endCtx)
	if delErr != nil {
		return fail(fmt.Errorf("deleted %d of %d files: %w", deleted, len(res.Files), errors.Join(delErr, err)))
	}
	if err != nil {
		return fail(err)
	}
	return res, nil
}

// isHiddenPath reports whether any component of the storage name name is
// hidden from VACUUM, as Spark's DeltaTableUtils.isHiddenDirectory: it
// starts with '_' or '.', and is not a partition directory
// ("<column>=...") nor _change_data or _delta_index.
func isHiddenPath(name string, partitionColumns []string) bool {
	for _, seg := range strings.Split(name, "/") {
		if !strings.HasPrefix(seg, "_") && !strings.HasPrefix(seg, ".") {
			continue
		}
		if strings.HasPrefix(seg, "_change_data") || strings.HasPrefix(seg, "_delta_index") {
			continue
		}
		partDir := false
		for _, c := range partitionColumns {
			if strings.HasPrefix(seg, c+"=") || strings.HasPrefix(seg, escapePartitionName(c)+"=") {
				partDir = true
				break
			}
		}
		if !partDir {
			return true
		}
	}
	return false
}

var intervalRE = regexp.MustCompile(`^(?i)\s*(?:interval\s+)?(\d+)\s*(\w+?)s?\s*$`)

// ParseInterval parses a Delta duration property such as "interval 1
// week", "interval 7 days", "168 hours" or "30 minutes".
func ParseInterval(s string) (time.Duration, error) {
	m := intervalRE.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("invalid interval %q", s)
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid interval %q: %w", s, err)
	}
	var unit time.Duration
	switch strings.ToLower(m[2]) {
	case "week":
		unit = 7 * 24 * time.Hour
	case "day":
		unit = 24 * time.Hour
	case "hour":
		unit = time.Hour
	case "minute":
		unit = time.Minute
	case "second":
		unit = time.Second
	case "millisecond":
		unit = time.Millisecond
	default:
		return 0, fmt.Errorf("invalid interval %q: unknown unit %q", s, m[2])
	}
	return time.Duration(n) * unit, nil
}
