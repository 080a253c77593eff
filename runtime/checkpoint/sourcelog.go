package checkpoint

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/streamgen/streamgen/runtime/storage"
)

// DefaultCompactInterval is how often a SourceLog compacts by default:
// every 10 batches (Spark's spark.sql.streaming.fileSource.log.compactInterval).
const DefaultCompactInterval = 10

// compactSuffix marks a compaction file (Spark's COMPACT_FILE_SUFFIX).
const compactSuffix = ".compact"

// SourceLogOpt configures OpenSourceLog.
type SourceLogOpt interface{ applySourceLog(*sourceLogCfg) }

type sourceLogOpt func(*sourceLogCfg)

func (o sourceLogOpt) applySourceLog(c *sourceLogCfg) { o(c) }

type sourceLogCfg struct {
	compactInterval int
	retain          int
}

// CompactInterval sets every how many batches the log is compacted,
// overriding the default of 10; 0 turns compaction off. When the log
// already holds compaction files, the interval is derived from them the
// way Spark does (SPARK-18187), so changing this option never breaks an
// existing log.
func CompactInterval(k int) SourceLogOpt {
	return sourceLogOpt(func(c *sourceLogCfg) { c.compactInterval = k })
}

// RetainBatches sets how many of the log's most recent batches stay in
// individual files after a compaction, overriding the checkpoint's
// MinBatchesToRetain (default 100). Older files are deleted once a newer
// compaction file holds their entries.
func RetainBatches(n int) SourceLogOpt {
	return sourceLogOpt(func(c *sourceLogCfg) { c.retain = n })
}

// SourceLog is an append-only, batch-numbered log of JSON entries kept by
// one source under sources/<i>/ (Spark's CompactibleFileStreamLog, as used
// by FileStreamSourceLog for the file source's seen files). Its batch IDs
// are the source's own, consecutive from 0; they need not match the
// query's batch IDs (the file source's offset names a source-log batch).
//
// Each batch is one file, written once with PutIfAbsent:
//
//	sources/0/3
//	v1
//	{"path":"file:///data/a.json","timestamp":1700000000000,"batchId":3}
//	{"path":"file:///data/b.json","timestamp":1700000000500,"batchId":3}
//
// Every CompactInterval batches (batch N with (N+1) % interval == 0) the
// batch is written as N.compact instead, holding every entry of batches 0
// to N, and files older than the newest RetainBatches batches are deleted
// once a compaction file covers them. All reads the newest compaction file
// plus the files after it.
//
// When compaction is on, every entry must encode as a JSON object with a
// numeric "batchId" field equal to the batch it is added in (Spark's
// FileEntry has one): Get uses it to pick a batch's entries out of a
// compaction file. Add checks it.
type SourceLog[T any] struct {
	cp       *Checkpoint
	dir      string
	interval int64
	retain   int64
}

// OpenSourceLog opens the log of source number source (its index in the
// query's source order) under sources/<source>/.
func OpenSourceLog[T any](ctx context.Context, cp *Checkpoint, source int, opts ...SourceLogOpt) (*SourceLog[T], error) {
	if source < 0 {
		return nil, fmt.Errorf("checkpoint: open source log: negative source index %d", source)
	}
	cfg := sourceLogCfg{compactInterval: DefaultCompactInterval, retain: cp.cfg.minBatchesToRetain}
	for _, o := range opts {
		o.applySourceLog(&cfg)
	}
	if cfg.compactInterval < 0 {
		return nil, fmt.Errorf("checkpoint: open source log: CompactInterval must not be negative, got %d", cfg.compactInterval)
	}
	if cfg.retain < 1 {
		return nil, fmt.Errorf("checkpoint: open source log: RetainBatches must be at least 1, got %d", cfg.retain)
	}
	l := &SourceLog[T]{cp: cp, dir: sourceDir(source), interval: int64(cfg.compactInterval), retain: int64(cfg.retain)}
	if l.interval > 0 {
		files, err := l.files(ctx)
		if err != nil {
			return nil, err
		}
		var compacts []int64
		for _, f := range files {
			if f.compact {
				compacts = append(compacts, f.id)
			}
		}
		switch n := len(compacts); {
		case n >= 2:
			l.interval = compacts[n-1] - compacts[n-2]
		case n == 1:
			l.interval = deriveCompactInterval(l.interval, compacts[0])
		}
	}
	return l, nil
}

// deriveCompactInterval picks an interval compatible with a log whose only
// compaction file is batch latest: the smallest divisor of latest+1 that
// is at least want (Spark's CompactibleFileStreamLog.deriveCompactInterval).
func deriveCompactInterval(want, latest int64) int64 {
	n := latest + 1
	if n <= want {
		return n
	}
	if want < n/2 {
		for i := want; i <= n/2; i++ {
			if n%i == 0 {
				return i
			}
		}
	}
	return n
}

// Dir returns the location of the log's directory.
func (l *SourceLog[T]) Dir() string { return l.cp.store.URL(l.dir) }

// CompactInterval returns the compaction interval in use (0: none).
func (l *SourceLog[T]) CompactInterval() int { return int(l.interval) }

// sourceFile is one batch of the log; a batch may exist in both forms
// after a change of compaction interval.
type sourceFile struct {
	id      int64
	delta   bool // "N" exists
	compact bool // "N.compact" exists
}

func (l *SourceLog[T]) name(id int64, compact bool) string {
	n := path.Join(l.dir, strconv.FormatInt(id, 10))
	if compact {
		n += compactSuffix
	}
	return n
}

// files lists the log's batches in ascending order.
func (l *SourceLog[T]) files(ctx context.Context) ([]sourceFile, error) {
	infos, err := l.cp.store.ListFrom(ctx, l.dir, "")
	if err != nil {
		return nil, fmt.Errorf("checkpoint: list %s: %w", l.Dir(), err)
	}
	byID := map[int64]*sourceFile{}
	var out []sourceFile
	for _, fi := range infos {
		base := path.Base(fi.Name)
		compact := strings.HasSuffix(base, compactSuffix)
		id, ok := parseBatchName(strings.TrimSuffix(base, compactSuffix))
		if !ok {
			continue
		}
		f := byID[id]
		if f == nil {
			f = &sourceFile{id: id}
			byID[id] = f
		}
		if compact {
			f.compact = true
		} else {
			f.delta = true
		}
	}
	for _, f := range byID {
		out = append(out, *f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out, nil
}

// Latest returns the newest batch ID in the log, or -1 when it is empty.
func (l *SourceLog[T]) Latest(ctx context.Context) (int64, error) {
	files, err := l.files(ctx)
	if err != nil || len(files) == 0 {
		return -1, err
	}
	return files[len(files)-1].id, nil
}

// Add appends batchID's entries; batchID must be Latest()+1. If the batch
// exists already, another query owns the checkpoint and the error is a
// *ConcurrentQueryError. A compaction batch is written as batchID.compact
// holding every entry so far, and then files no longer needed are
// deleted (see RetainBatches).
func (l *SourceLog[T]) Add(ctx context.Context, batchID int64, entries []T) error {
	files, err := l.files(ctx)
	if err != nil {
		return err
	}
	latest := int64(-1)
	if len(files) > 0 {
		f := files[len(files)-1]
		latest = f.id
		if batchID <= latest {
			if i := sort.Search(len(files), func(i int) bool { return files[i].id >= batchID }); i < len(files) && files[i].id == batchID {
				return &ConcurrentQueryError{Path: l.cp.store.URL(l.name(batchID, files[i].compact && !files[i].delta))}
			}
			return &ConcurrentQueryError{Path: l.cp.store.URL(l.name(latest, f.compact && !f.delta))}
		}
	}
	if batchID != latest+1 {
		return fmt.Errorf("checkpoint: source log %s: add batch %d: the newest batch is %d; batches must be added in order",
			l.Dir(), batchID, latest)
	}
	lines := make([][]byte, 0, len(entries))
	for i, e := range entries {
		line, err := marshalLine(e)
		if err != nil {
			return fmt.Errorf("checkpoint: source log %s: add batch %d: entry %d: %w", l.Dir(), batchID, i, err)
		}
		if l.interval > 0 {
			id, err := entryBatchID(line)
			if err != nil || id != batchID {
				return fmt.Errorf("checkpoint: source log %s: add batch %d: entry %d is %s, want a JSON object with \"batchId\":%d (compacted source logs need each entry's batch ID)",
					l.Dir(), batchID, i, line, batchID)
			}
		}
		lines = append(lines, line)
	}
	compact := l.interval > 0 && (batchID+1)%l.interval == 0
	if compact && batchID > 0 {
		prior, err := l.readLines(ctx, files)
		if err != nil {
			return err
		}
		lines = append(prior, lines...)
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "v%d", SourceLogVersion)
	for _, line := range lines {
		buf.WriteByte('\n')
		buf.Write(line)
	}
	if err := l.cp.put(ctx, l.name(batchID, compact), buf.Bytes()); err != nil {
		return err
	}
	if compact {
		return l.Purge(ctx, batchID+1-l.retain)
	}
	return nil
}

// entryBatchID reads the "batchId" field of an encoded entry.
func entryBatchID(line []byte) (int64, error) {
	var e struct {
		BatchID *int64 `json:"batchId"`
	}
	if err := json.Unmarshal(line, &e); err != nil {
		return 0, err
	}
	if e.BatchID == nil {
		return 0, fmt.Errorf(`no "batchId" field`)
	}
	return *e.BatchID, nil
}

// readFile reads one batch file and returns its entry lines.
func (l *SourceLog[T]) readFile(ctx context.Context, name string) ([][]byte, error) {
	data, err := l.cp.store.Read(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: source log %s: %w", l.Dir(), err)
	}
	lines, err := parseVersioned(data, SourceLogVersion)
	if err != nil {
		return nil, withPath(l.cp.store.URL(name), err)
	}
	out := make([][]byte, len(lines))
	for i, line := range lines {
		if !json.Valid([]byte(line)) {
			var v any
			err := json.Unmarshal([]byte(line), &v)
			return nil, withPath(l.cp.store.URL(name), corruptAt(i+2, err, "invalid entry JSON"))
		}
		out[i] = []byte(line)
	}
	return out, nil
}

// readLines returns every entry line of the log: the newest compaction
// file, then each later batch file.
func (l *SourceLog[T]) readLines(ctx context.Context, files []sourceFile) ([][]byte, error) {
	if len(files) == 0 {
		return nil, nil
	}
	start := 0
	for i := len(files) - 1; i >= 0; i-- {
		if files[i].compact {
			start = i
			break
		}
	}
	first := files[start]
	if !first.compact && first.id != 0 {
		return nil, &CorruptError{
			Path:   l.Dir(),
			Reason: fmt.Sprintf("%s before batch %d with no compaction file covering them", missingBatches(0, first.id-1), first.id),
			Fix:    fixGap,
		}
	}
	var out [][]byte
	for i := start; i < len(files); i++ {
		f := files[i]
		if i > start && f.id != files[i-1].id+1 {
			return nil, &CorruptError{
				Path:   l.Dir(),
				Reason: fmt.Sprintf("%s between %d and %d", missingBatches(files[i-1].id+1, f.id-1), files[i-1].id, f.id),
				Fix:    fixGap,
			}
		}
		// The starting batch is read in its compacted form; later ones
		// as plain files where they exist.
		compact := f.compact && (i == start || !f.delta)
		lines, err := l.readFile(ctx, l.name(f.id, compact))
		if err != nil {
			return nil, err
		}
		out = append(out, lines...)
	}
	return out, nil
}

func missingBatches(lo, hi int64) string {
	if lo == hi {
		return fmt.Sprintf("batch %d is missing", lo)
	}
	return fmt.Sprintf("batches %d to %d are missing", lo, hi)
}

// decode decodes entry lines; name is where they came from, for errors.
func (l *SourceLog[T]) decode(lines [][]byte) ([]T, error) {
	out := make([]T, 0, len(lines))
	for _, line := range lines {
		var e T
		if err := json.Unmarshal(line, &e); err != nil {
			return nil, fmt.Errorf("checkpoint: source log %s: decode entry %s: %w", l.Dir(), line, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// All returns every entry of the log in the order added, reading the
// newest compaction file and the batch files after it. A gap in the batch
// files after it is a *CorruptError.
func (l *SourceLog[T]) All(ctx context.Context) ([]T, error) {
	files, err := l.files(ctx)
	if err != nil {
		return nil, err
	}
	lines, err := l.readLines(ctx, files)
	if err != nil {
		return nil, err
	}
	return l.decode(lines)
}

// Get returns the entries added in batchID. A batch that survives only
// inside a compaction file is picked out of it by the entries' "batchId"
// field. A batch that was never added gives an error satisfying
// storage.IsNotExist.
func (l *SourceLog[T]) Get(ctx context.Context, batchID int64) ([]T, error) {
	files, err := l.files(ctx)
	if err != nil {
		return nil, err
	}
	i := sort.Search(len(files), func(i int) bool { return files[i].id >= batchID })
	if i < len(files) && files[i].id == batchID && files[i].delta {
		lines, err := l.readFile(ctx, l.name(batchID, false))
		if err != nil {
			return nil, err
		}
		return l.decode(lines)
	}
	// The first compaction file at or after batchID holds its entries.
	for ; i < len(files); i++ {
		if !files[i].compact {
			continue
		}
		name := l.name(files[i].id, true)
		lines, err := l.readFile(ctx, name)
		if err != nil {
			return nil, err
		}
		var mine [][]byte
		for n, line := range lines {
			id, err := entryBatchID(line)
			if err != nil {
				return nil, withPath(l.cp.store.URL(name), corruptAt(n+2, err, "entry without a batch ID in a compaction file"))
			}
			if id == batchID {
				mine = append(mine, line)
			}
		}
		return l.decode(mine)
	}
	return nil, fmt.Errorf("checkpoint: source log %s: batch %d: %w", l.Dir(), batchID, storage.ErrNotExist)
}

// Purge deletes the batch files (both forms) older than the newest
// compaction file at or before keepFrom: that compaction file holds all
// their entries, so All and Get still see them. With no such compaction
// file, nothing is deleted. Files are deleted oldest first.
func (l *SourceLog[T]) Purge(ctx context.Context, keepFrom int64) error {
	files, err := l.files(ctx)
	if err != nil {
		return err
	}
	cut := int64(-1)
	for _, f := range files {
		if f.id > keepFrom {
			break
		}
		if f.compact {
			cut = f.id
		}
	}
	for _, f := range files {
		if f.id >= cut {
			break
		}
		for _, form := range []struct{ ok, compact bool }{{f.delta, false}, {f.compact, true}} {
			if !form.ok {
				continue
			}
			name := l.name(f.id, form.compact)
			if err := l.cp.store.Delete(ctx, name); err != nil {
				return fmt.Errorf("checkpoint: purge %s: %w", l.cp.store.URL(name), err)
			}
		}
	}
	return nil
}
