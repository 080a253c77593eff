package files

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/streamgen/streamgen/runtime/checkpoint"
	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/stream"
	"github.com/streamgen/streamgen/runtime/streamimpl"
)

// FileEntry is one file in the source log (Spark's FileEntry).
type FileEntry struct {
	// Path is the file's name relative to the source root.
	Path string `json:"path"`
	// Timestamp is the file's modification time in Unix milliseconds.
	Timestamp int64 `json:"timestamp"`
	// BatchID is the source-log batch the file was read in.
	BatchID int64 `json:"batchId"`
}

// Offset is the file source's offset, Spark's FileStreamSourceOffset: the
// source-log batch that a query batch reads up to.
type Offset struct {
	LogOffset int64 `json:"logOffset"`
}

// Source is the JSON-lines file source. It implements stream.Source,
// stream.AvailableNowSource, stream.AllAvailableSource and
// stream.MetricsSource. Its methods are safe for concurrent use, although
// the engine calls them one at a time.
type Source[T any] struct {
	store      storage.Storage
	index      int
	queryID    string
	newDecoder func() streamimpl.Decoder[T]
	cfg        cfg
	glob       *glob
	log        *checkpoint.SourceLog[FileEntry]

	mu sync.Mutex
	// seen maps the files in the log to their timestamps and batches.
	seen map[string]seenFile
	// newest is the largest timestamp in seen (ms); -1 when empty.
	newest int64
	// latest is the newest log batch, -1 when none.
	latest int64
	// snapshot is the set of files fixed by PrepareAvailableNow, or nil;
	// snapList is its listing, sorted by name, from which every batch
	// after PrepareAvailableNow is planned without listing the root again.
	snapshot map[string]bool
	snapList []storage.FileInfo
	// tooOld holds files already reported as skipped for their age.
	tooOld map[string]bool
	// cleaned is the newest log batch whose files were cleaned in this
	// process, -1 before the first Commit.
	cleaned int64
	// listing is the latest listing of the candidate files, for the lag
	// metrics; listed says there was one. Under AvailableNow it is
	// snapList.
	listing []storage.FileInfo
	listed  bool
}

// seenFile is a file of the source log.
type seenFile struct {
	// ts is the file's modification time in Unix milliseconds.
	ts int64
	// batch is the log batch that reads it.
	batch int64
}

var (
	_ stream.AvailableNowSource = (*Source[struct{}])(nil)
	_ stream.AllAvailableSource = (*Source[struct{}])(nil)
	_ stream.MetricsSource      = (*Source[struct{}])(nil)
)

// New returns the file source number sourceIndex (its index in the
// query's sources) reading the files of store, the input root, with
// decoders made by newDecoder (one per Read). It opens the source log in
// cp and rebuilds the set of files already read from it; cp's query ID
// keys the quarantined batches.
func New[T any](ctx context.Context, store storage.Storage, cp *checkpoint.Checkpoint, sourceIndex int,
	newDecoder func() streamimpl.Decoder[T], opts ...Opt) (*Source[T], error) {
	c := cfg{glob: "*", logger: slog.Default()}
	for _, o := range opts {
		o.apply(&c)
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	if store == nil || cp == nil || newDecoder == nil {
		return nil, fmt.Errorf("files: New needs a store, a checkpoint and a decoder constructor")
	}
	if c.clean == CleanArchive {
		if err := checkArchive(store, c.archive); err != nil {
			return nil, err
		}
	}
	g, _ := parseGlob(c.glob)
	log, err := checkpoint.OpenSourceLog[FileEntry](ctx, cp, sourceIndex)
	if err != nil {
		return nil, fmt.Errorf("files: %w", err)
	}
	s := &Source[T]{
		store: store, index: sourceIndex, queryID: cp.ID(), newDecoder: newDecoder, cfg: c, glob: g, log: log,
		seen: map[string]seenFile{}, newest: -1, tooOld: map[string]bool{}, cleaned: -1,
	}
	if s.latest, err = log.Latest(ctx); err != nil {
		return nil, fmt.Errorf("files: %w", err)
	}
	entries, err := log.All(ctx)
	if err != nil {
		return nil, fmt.Errorf("files: %w", err)
	}
	for _, e := range entries {
		s.remember(e)
	}
	return s, nil
}

// checkArchive refuses an archive location from which archived files
// would be read again or land back in the source: the source root itself,
// a location inside it (unless under a directory whose name starts with
// "_" or ".", which is never read) and one that contains it. Any two
// stores are compared by the locations of their roots, URL(""): local
// paths (cleaned, absolute for storage.Local) and URLs such as
// s3://bucket/prefix/, with trailing slashes normalised, so that
// s3://b/in and s3://b/in2 are not nested. Stores of different schemes
// (a local directory and a bucket) never are.
func checkArchive(src, archive storage.Storage) error {
	sl, al := rootLocation(src), rootLocation(archive)
	if rel, ok := within(al, sl); ok {
		if rel != "" && hiddenDir(rel) {
			return nil // under a hidden directory: never read
		}
		return fmt.Errorf("files: sourceArchiveDir %s is inside the source directory %s, where archived files would be read again: "+
			"use a directory outside it, or one whose name starts with \"_\"", archive.URL(""), src.URL(""))
	}
	if _, ok := within(sl, al); ok {
		return fmt.Errorf("files: sourceArchiveDir %s contains the source directory %s: archived files could land back in it; use a directory outside it",
			archive.URL(""), src.URL(""))
	}
	return nil
}

// rootLocation returns the location of st's root for comparisons, ending
// in one "/": a local path cleaned and slash-separated, or a URL with its
// scheme in lower case and without its query.
func rootLocation(st storage.Storage) string {
	loc := st.URL("")
	if l, ok := st.(*storage.Local); ok {
		loc = l.Root()
	}
	if scheme, rest, ok := strings.Cut(loc, "://"); ok && filepath.VolumeName(loc) == "" {
		rest, _, _ = strings.Cut(rest, "?")
		rest, _, _ = strings.Cut(rest, "#")
		loc = strings.ToLower(scheme) + "://" + rest
	} else {
		loc = filepath.ToSlash(filepath.Clean(loc))
	}
	return strings.TrimRight(loc, "/") + "/"
}

// within reports whether the location loc is root or inside it, both as
// rootLocation gives them, and returns loc relative to root ("" for root
// itself).
func within(loc, root string) (string, bool) {
	if !strings.HasPrefix(loc, root) {
		return "", false
	}
	return strings.TrimSuffix(loc[len(root):], "/"), true
}

// hiddenDir reports whether a directory of rel, a slash-separated
// relative path, is hidden (starts with "_" or "."): nothing under it is
// read.
func hiddenDir(rel string) bool {
	for _, seg := range strings.Split(rel, "/") {
		if strings.HasPrefix(seg, "_") || strings.HasPrefix(seg, ".") {
			return true
		}
	}
	return false
}

func (s *Source[T]) remember(e FileEntry) {
	s.seen[e.Path] = seenFile{ts: e.Timestamp, batch: e.BatchID}
	s.newest = max(s.newest, e.Timestamp)
}

// Description returns "FileStreamSource[<root>/<glob>]".
func (s *Source[T]) Description() string {
	return "FileStreamSource[" + s.store.URL(s.glob.pattern) + "]"
}

// InitialOffset returns nil: a new query reads from the first log batch.
func (s *Source[T]) InitialOffset(ctx context.Context) (json.RawMessage, error) { return nil, nil }

// ParseOffset parses an offset of the source; nil is before log batch 0
// (-1).
func ParseOffset(off json.RawMessage) (int64, error) {
	if len(off) == 0 || string(off) == "null" {
		return -1, nil
	}
	var o struct {
		LogOffset *int64 `json:"logOffset"`
	}
	if err := json.Unmarshal(off, &o); err != nil || o.LogOffset == nil || *o.LogOffset < -1 {
		return 0, fmt.Errorf("files: invalid offset %s: want {\"logOffset\":N}", off)
	}
	return *o.LogOffset, nil
}

func encodeOffset(n int64) json.RawMessage {
	b, _ := json.Marshal(Offset{LogOffset: n})
	return b
}

// LatestOffset implements stream.Source: it lists the root, writes the
// new files within the read limit to the next source-log batch and
// returns its offset, or returns start when there is no new file. A
// pending log batch after start (written before a crash) is returned
// again as it is. After PrepareAvailableNow it does not list the root:
// it plans the batch from the listing PrepareAvailableNow recorded.
func (s *Source[T]) LatestOffset(ctx context.Context, start json.RawMessage) (json.RawMessage, error) {
	return s.latestOffset(ctx, start, true)
}

// LatestOffsetAllAvailable implements stream.AllAvailableSource: it is
// LatestOffset without MaxFilesPerTrigger and MaxBytesPerTrigger.
func (s *Source[T]) LatestOffsetAllAvailable(ctx context.Context, start json.RawMessage) (json.RawMessage, error) {
	return s.latestOffset(ctx, start, false)
}

func (s *Source[T]) latestOffset(ctx context.Context, start json.RawMessage, limit bool) (json.RawMessage, error) {
	from, err := ParseOffset(start)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case from > s.latest:
		return nil, fmt.Errorf("files: start offset %d is past the newest batch %d of the source log %s: the checkpoint's offsets and source log disagree",
			from, s.latest, s.log.Dir())
	case from < s.latest:
		// Written by a run that stopped before logging the batch's
		// offsets: read exactly those files now (listing the root only
		// for the lag metrics, unless PrepareAvailableNow recorded the
		// listing that the lag is measured against).
		if s.snapshot == nil {
			all, err := s.candidates(ctx)
			if err != nil {
				return nil, err
			}
			s.listing, s.listed = all, true
		}
		s.cfg.logger.Info("files: reusing pending source-log batch", "source", s.Description(), "logOffset", from+1)
		return encodeOffset(from + 1), nil
	}
	picked, err := s.pick(ctx, limit)
	if err != nil || len(picked) == 0 {
		return start, err
	}
	id := s.latest + 1
	entries := make([]FileEntry, len(picked))
	for i, f := range picked {
		entries[i] = FileEntry{Path: f.Name, Timestamp: f.ModTime.UnixMilli(), BatchID: id}
	}
	if err := s.log.Add(ctx, id, entries); err != nil {
		return nil, fmt.Errorf("files: %w", err)
	}
	s.latest = id
	for _, e := range entries {
		s.remember(e)
	}
	s.cfg.logger.Debug("files: new batch of files", "source", s.Description(), "logOffset", id, "files", len(entries))
	return encodeOffset(id), nil
}

// candidates lists the files that match the glob and are not skipped,
// sorted by name. The listing starts at the glob's literal prefix: a
// non-recursive ListFrom of its directory from the literal start of the
// file name for a glob whose only pattern is its last segment, a List of
// the literal prefix otherwise (on an object store, one paged LIST of
// that key prefix).
func (s *Source[T]) candidates(ctx context.Context) ([]storage.FileInfo, error) {
	var infos []storage.FileInfo
	var err error
	if s.glob.flat {
		infos, err = s.store.ListFrom(ctx, strings.TrimSuffix(s.glob.prefix, "/"), s.glob.lit)
	} else {
		infos, err = s.store.List(ctx, s.glob.listPrefix())
	}
	if err != nil {
		return nil, fmt.Errorf("files: list %s: %w", s.store.URL(s.glob.listPrefix()), err)
	}
	out := infos[:0]
	for _, f := range infos {
		if !skipped(f.Name) && s.glob.match(f.Name) {
			out = append(out, f)
		}
	}
	return out, nil
}

// pick returns the next files to read, in order, within the read limits
// when limit is set: from a new listing of the root, or after
// PrepareAvailableNow from the listing it recorded. s.mu is held.
func (s *Source[T]) pick(ctx context.Context, limit bool) ([]storage.FileInfo, error) {
	all := s.snapList
	if s.snapshot == nil {
		var err error
		if all, err = s.candidates(ctx); err != nil {
			return nil, err
		}
		s.listing, s.listed = all, true
	}
	var fresh []storage.FileInfo
	for _, f := range all {
		if _, ok := s.seen[f.Name]; ok {
			continue
		}
		if s.snapshot != nil && !s.snapshot[f.Name] {
			continue
		}
		if s.tooOldNow(f) {
			if !s.tooOld[f.Name] {
				s.tooOld[f.Name] = true
				s.cfg.logger.Warn("files: skipping a file older than maxFileAge before the newest file read",
					"source", s.Description(), "file", s.store.URL(f.Name), "maxFileAge", s.cfg.maxFileAge)
			}
			continue
		}
		fresh = append(fresh, f)
	}
	slices.SortStableFunc(fresh, func(a, b storage.FileInfo) int {
		c := compareInt(a.ModTime.UnixMilli(), b.ModTime.UnixMilli())
		if c == 0 {
			c = strings.Compare(a.Name, b.Name)
		}
		if s.cfg.latestFirst {
			c = -c
		}
		return c
	})
	if !limit {
		return fresh, nil
	}
	n := len(fresh)
	if s.cfg.maxFiles > 0 {
		n = min(n, s.cfg.maxFiles)
	}
	if s.cfg.maxBytes > 0 {
		var sum int64
		for i := 0; i < n; i++ {
			sum += fresh[i].Size
			if sum > s.cfg.maxBytes {
				n = max(i, 1)
				break
			}
		}
	}
	return fresh[:n], nil
}

// tooOldNow reports whether MaxFileAge excludes f, given the files read
// so far. s.mu is held.
func (s *Source[T]) tooOldNow(f storage.FileInfo) bool {
	ageLimit := s.cfg.maxFileAge > 0 && !(s.cfg.maxFiles > 0 && s.cfg.latestFirst) && s.newest >= 0
	return ageLimit && f.ModTime.UnixMilli() < s.newest-s.cfg.maxFileAge.Milliseconds()
}

// The keys of the lag metrics that Metrics returns.
const (
	MetricFilesBehindLatest = "numFilesBehindLatest"
	MetricBytesBehindLatest = "numBytesBehindLatest"
)

// Metrics implements stream.MetricsSource: the lag behind the input at the
// end of the batch ending at end, from the latest listing of the root
// (made by the batch's LatestOffset or PrepareAvailableNow, or by Metrics
// itself when the process has not listed the root yet: a re-run batch
// after a restart). Metrics never lists the root when the process has
// listed it: the engine calls it after the batch that the same trigger's
// LatestOffset planned, whose listing is as fresh as a new one would be
// for that batch (and under AvailableNow the listing is the one fixed at
// the start). numFilesBehindLatest and
// numBytesBehindLatest count and sum the sizes of the listed files that no
// log batch up to end reads and that a later batch may read: files in
// pending log batches after end, and new files that MaxFileAge does not
// exclude and, under AvailableNow, that belong to the files fixed by
// PrepareAvailableNow. An invalid end or a failed listing gives nil
// (logged).
func (s *Source[T]) Metrics(ctx context.Context, end json.RawMessage) map[string]string {
	to, err := ParseOffset(end)
	if err != nil {
		s.cfg.logger.Warn("files: lag metrics: invalid end offset", "source", s.Description(), "error", err)
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.listed {
		all, err := s.candidates(ctx)
		if err != nil {
			s.cfg.logger.Warn("files: lag metrics: cannot list the source", "source", s.Description(), "error", err)
			return nil
		}
		s.listing, s.listed = all, true
	}
	var files, bytes int64
	for _, f := range s.listing {
		if sf, ok := s.seen[f.Name]; ok {
			if sf.batch <= to {
				continue
			}
		} else if (s.snapshot != nil && !s.snapshot[f.Name]) || s.tooOldNow(f) {
			continue
		}
		files++
		bytes += f.Size
	}
	return map[string]string{
		MetricFilesBehindLatest: strconv.FormatInt(files, 10),
		MetricBytesBehindLatest: strconv.FormatInt(bytes, 10),
	}
}

func compareInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// PrepareAvailableNow implements stream.AvailableNowSource: it fixes the
// files to read at those listed now; files that appear later are left for
// the next run. Pending log batches are read as well. As in Spark, this
// is the run's only listing of the root: every later LatestOffset plans
// its batch from it, and Metrics measures the lag against it.
func (s *Source[T]) PrepareAvailableNow(ctx context.Context, start json.RawMessage) error {
	all, err := s.candidates(ctx)
	if err != nil {
		return err
	}
	snap := make(map[string]bool, len(all))
	for _, f := range all {
		snap[f.Name] = true
	}
	s.mu.Lock()
	s.snapshot, s.snapList = snap, all
	s.listing, s.listed = all, true
	s.mu.Unlock()
	return nil
}

// Files returns the entries of the source-log batches (start, end], in
// order: the files a batch with those offsets reads.
func (s *Source[T]) Files(ctx context.Context, start, end json.RawMessage) ([]FileEntry, error) {
	from, err := ParseOffset(start)
	if err != nil {
		return nil, err
	}
	to, err := ParseOffset(end)
	if err != nil {
		return nil, err
	}
	if to < from {
		return nil, fmt.Errorf("files: end offset %d is before start offset %d", to, from)
	}
	var out []FileEntry
	for id := from + 1; id <= to; id++ {
		es, err := s.log.Get(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("files: source-log batch %d: %w", id, err)
		}
		out = append(out, es...)
	}
	return out, nil
}

// Commit implements stream.Source: with CleanSource it archives or
// deletes the files of the log batches up to end that this process has
// not cleaned yet (the first Commit after a start cleans end's batch
// only; earlier ones were cleaned before). Failures are logged, not
// returned (Spark's best effort).
func (s *Source[T]) Commit(ctx context.Context, end json.RawMessage) error {
	if s.cfg.clean == CleanOff {
		return nil
	}
	to, err := ParseOffset(end)
	if err != nil || to < 0 {
		return err
	}
	s.mu.Lock()
	from := s.cleaned
	if from < 0 || from >= to {
		from = to - 1
	}
	s.mu.Unlock()
	entries, err := s.Files(ctx, encodeOffset(from), end)
	if err != nil {
		s.cfg.logger.Warn("files: cleanSource: cannot read the source log", "source", s.Description(), "error", err)
		return nil
	}
	for _, e := range entries {
		if ctx.Err() != nil {
			return nil
		}
		s.clean(ctx, e.Path)
	}
	s.mu.Lock()
	s.cleaned = max(s.cleaned, to)
	s.mu.Unlock()
	return nil
}

// clean archives or deletes one file, logging failures.
func (s *Source[T]) clean(ctx context.Context, name string) {
	warn := func(msg string, err error) {
		s.cfg.logger.Warn("files: cleanSource: "+msg, "source", s.Description(), "file", s.store.URL(name), "error", err)
	}
	if s.cfg.clean == CleanDelete {
		if err := s.store.Delete(ctx, name); err != nil {
			warn("cannot delete", err)
		}
		return
	}
	data, err := s.store.Read(ctx, name)
	if err != nil {
		if !storage.IsNotExist(err) {
			warn("cannot read", err)
		}
		return // already archived
	}
	if err := s.cfg.archive.PutIfAbsent(ctx, name, data); err != nil {
		if !storage.IsExist(err) && !storage.IsUnknownOutcome(err) {
			warn("cannot archive", err)
			return
		}
		// Archived before a crash (ErrExist), or perhaps by this very
		// write, whose answer was lost (an object store's unknown
		// outcome), or another file of that name was: the source file
		// goes only if the archive holds its bytes.
		out, rerr := storage.ResolvePut(ctx, s.cfg.archive, name, data)
		switch {
		case out == storage.PutOurs:
		case out == storage.PutTheirs:
			s.cfg.logger.Warn("files: cleanSource: another file of that name is archived already; leaving this one in place",
				"source", s.Description(), "file", s.store.URL(name), "archived", s.cfg.archive.URL(name))
			return
		default:
			warn("cannot archive", fmt.Errorf("%w; reading the archive back: %w", err, rerr))
			return
		}
	}
	if err := s.store.Delete(ctx, name); err != nil {
		warn("archived but cannot delete", err)
	}
}
