package delta

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// DefaultTargetFileSize is the size OPTIMIZE packs small files into, as
// Spark's spark.databricks.delta.optimize.maxFileSize.
const DefaultTargetFileSize = 128 << 20

// OptimizeOptions configures [Table.Optimize].
type OptimizeOptions struct {
	// TargetFileSize is the size of the files OPTIMIZE writes: small files
	// are packed into bins of at most this many bytes (of input files).
	// Default DefaultTargetFileSize.
	TargetFileSize int64
	// MinFileSize is the size below which a file is a candidate for
	// compaction. Default three quarters of TargetFileSize.
	MinFileSize int64
	// Partition restricts OPTIMIZE to the partitions whose values equal
	// these (column name to partition value as in the log); nil means
	// every partition.
	Partition map[string]string
	// Writer configures the data files written.
	Writer WriterOptions
	// DryRun plans the bins and reports what would be compacted without
	// reading, writing or committing anything.
	DryRun bool
}

// OptimizeResult reports what [Table.Optimize] did (or, with DryRun,
// would do).
type OptimizeResult struct {
	// Version is the OPTIMIZE commit, or -1 when nothing was committed.
	Version int64
	// ReadVersion is the snapshot the files were chosen from.
	ReadVersion int64
	// FilesRemoved and BytesRemoved describe the compacted files.
	FilesRemoved int
	BytesRemoved int64
	// FilesAdded and BytesAdded describe the files written (zero for a
	// dry run).
	FilesAdded int
	BytesAdded int64
	// Partitions is the number of partitions that had a bin to compact;
	// Bins the number of bins.
	Partitions int
	Bins       int
	// FilesConsidered is the number of active files in the selected
	// partitions.
	FilesConsidered int
	// Removed and Added are the paths of the files removed and added, as
	// in the log.
	Removed []string
	Added   []string
}

// optimizeBin is a set of small files of one partition that are rewritten
// into one or more target-size files.
type optimizeBin struct {
	partition map[string]*string
	files     []*Add
	size      int64
}

// Optimize compacts the small files of the table (bin-packing, like
// Delta's OPTIMIZE without ZORDER): per partition, files smaller than
// MinFileSize are grouped, by ascending size, into bins of up to
// TargetFileSize bytes; each bin of two or more files is read and
// rewritten with the same partition values. All removes and adds (with
// dataChange=false, so streaming readers skip them) go into one commit
// with operation "OPTIMIZE". When there is nothing to compact nothing is
// committed and Version is -1.
//
// The commit declares the files it read: a concurrent commit that removes
// one of them makes Optimize fail with a [*ConflictError] (the files it
// wrote are then orphans for [Table.Vacuum]); concurrent appends commute.
func (t *Table) Optimize(ctx context.Context, opts OptimizeOptions) (*OptimizeResult, error) {
	if opts.TargetFileSize <= 0 {
		opts.TargetFileSize = DefaultTargetFileSize
	}
	if opts.MinFileSize <= 0 {
		opts.MinFileSize = opts.TargetFileSize / 4 * 3
	}
	if opts.Writer.TargetFileSize <= 0 {
		opts.Writer.TargetFileSize = opts.TargetFileSize
	}
	fail := func(err error) (*OptimizeResult, error) {
		return nil, fmt.Errorf("delta: table %s: optimize: %w", t.Location(), err)
	}
	snap, err := t.Snapshot(ctx)
	if err != nil {
		return nil, fmt.Errorf("delta: optimize: %w", err)
	}
	if err := CheckWriteSupport(t.Location(), snap.Protocol); err != nil {
		return nil, fmt.Errorf("delta: optimize: %w", err)
	}
	partCols := snap.Metadata.PartitionColumns
	for col := range opts.Partition {
		if !containsString(partCols, col) {
			return fail(fmt.Errorf("%q is not a partition column (partition columns: %s)", col, strings.Join(partCols, ", ")))
		}
	}
	res := &OptimizeResult{Version: -1, ReadVersion: snap.Version}

	// Group the candidate files by partition.
	groups := map[string][]*Add{}
	var keys []string
	for _, f := range snap.Files {
		if !partitionMatches(f.PartitionValues, opts.Partition) {
			continue
		}
		res.FilesConsidered++
		if f.DeletionVector != nil || f.Size >= opts.MinFileSize {
			continue
		}
		k := partitionKey(partCols, f.PartitionValues)
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], f)
	}
	sort.Strings(keys)
	var bins []*optimizeBin
	for _, k := range keys {
		pb := packBins(groups[k], opts.TargetFileSize)
		if len(pb) > 0 {
			res.Partitions++
		}
		bins = append(bins, pb...)
	}
	res.Bins = len(bins)
	for _, b := range bins {
		for _, f := range b.files {
			res.FilesRemoved++
			res.BytesRemoved += f.Size
			res.Removed = append(res.Removed, f.Path)
		}
	}
	if len(bins) == 0 || opts.DryRun {
		return res, nil
	}

	tx := t.BeginAt(snap)
	now := t.now()
	for _, b := range bins {
		var rows []Row
		for _, f := range b.files {
			r, err := snap.ReadFile(ctx, f)
			if err != nil {
				return fail(err)
			}
			rows = append(rows, r...)
		}
		adds, err := WriteRows(ctx, t.store, snap.Schema, partCols, rows, opts.Writer)
		if err != nil {
			return fail(err)
		}
		for _, a := range adds {
			if partitionKey(partCols, a.PartitionValues) != partitionKey(partCols, b.partition) {
				return fail(fmt.Errorf("rewritten file %s has partition values %s, want %s", a.Path,
					partitionLabel(partCols, a.PartitionValues), partitionLabel(partCols, b.partition)))
			}
			a.DataChange = false
			res.FilesAdded++
			res.BytesAdded += a.Size
			res.Added = append(res.Added, a.Path)
		}
		tx.ReadFiles(b.files...)
		for _, f := range b.files {
			tx.Remove(RemoveFor(f, now, false))
		}
		tx.Add(adds...)
	}
	predicate := "[]"
	if len(opts.Partition) > 0 {
		var conds []string
		for _, c := range sortedKeys(opts.Partition) {
			conds = append(conds, strconv.Quote(fmt.Sprintf("(%s = '%s')", c, opts.Partition[c])))
		}
		predicate = "[" + strings.Join(conds, ",") + "]"
	}
	tx.SetOperation("OPTIMIZE", map[string]any{"predicate": predicate, "zOrderBy": "[]"})
	tx.SetOperationMetrics(map[string]string{
		"numRemovedFiles":           strconv.Itoa(res.FilesRemoved),
		"numRemovedBytes":           strconv.FormatInt(res.BytesRemoved, 10),
		"numAddedFiles":             strconv.Itoa(res.FilesAdded),
		"numAddedBytes":             strconv.FormatInt(res.BytesAdded, 10),
		"numBatches":                strconv.Itoa(res.Bins),
		"totalConsideredFiles":      strconv.Itoa(res.FilesConsidered),
		"partitionsOptimized":       strconv.Itoa(res.Partitions),
		"totalFilesSkipped":         strconv.Itoa(res.FilesConsidered - res.FilesRemoved),
		"numDeletionVectorsRemoved": "0",
	})
	v, err := tx.Commit(ctx)
	if err != nil {
		var ce *ConflictError
		if errors.As(err, &ce) {
			return nil, err
		}
		return fail(err)
	}
	res.Version = v
	return res, nil
}

// packBins groups files (all of one partition) by ascending size into bins
// whose total stays within target; bins of a single file are dropped, as
// rewriting one file gains nothing.
func packBins(files []*Add, target int64) []*optimizeBin {
	files = append([]*Add(nil), files...)
	sort.Slice(files, func(i, j int) bool {
		if files[i].Size != files[j].Size {
			return files[i].Size < files[j].Size
		}
		return files[i].Path < files[j].Path
	})
	var bins []*optimizeBin
	cur := &optimizeBin{}
	flush := func() {
		if len(cur.files) > 1 {
			bins = append(bins, cur)
		}
		cur = &optimizeBin{}
	}
	for _, f := range files {
		if len(cur.files) > 0 && cur.size+f.Size > target {
			flush()
		}
		cur.files = append(cur.files, f)
		cur.partition = f.PartitionValues
		cur.size += f.Size
	}
	flush()
	return bins
}

// partitionLabel renders partition values in column order for
// messages; a null value prints as <null>.
func partitionLabel(cols []string, values map[string]*string) string {
	var b strings.Builder
	for i, c := range cols {
		if i > 0 {
			b.WriteByte('/')
		}
		b.WriteString(c)
		b.WriteByte('=')
		if v := values[c]; v != nil {
			b.WriteString(strconv.Quote(*v))
		} else {
			b.WriteString("<null>")
		}
	}
	return b.String()
}

// partitionMatches reports whether values satisfies the filter (every
// filtered column has that non-null value).
func partitionMatches(values map[string]*string, filter map[string]string) bool {
	for c, want := range filter {
		v := values[c]
		if v == nil || *v != want {
			return false
		}
	}
	return true
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
