package deltasource

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/streamgen/streamgen/runtime/checkpoint"
	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/stream"
)

// DefaultMaxFilesPerTrigger is Spark's default maxFilesPerTrigger for a
// Delta source.
const DefaultMaxFilesPerTrigger = 1000

// Config configures a Delta source of rows T.
type Config[T any] struct {
	// Table is the source table.
	Table *delta.Table
	// Schema is the record's Delta schema (the generated
	// <Rec>DeltaSchema()): the table must have these columns (matched by
	// name, case-insensitively) with these types. Other table columns are
	// ignored. A missing column or another type stops the query at start,
	// and when a later metaData action changes them.
	Schema *delta.StructType
	// FromRow fills r from row, which holds Schema's columns in Schema's
	// order (the source projects table rows by name). row is reused from
	// row to row (its values are not): FromRow copies what it keeps.
	FromRow func(row delta.Row, r *T) error
	// MaxFilesPerTrigger caps the files of a batch; 0 means
	// DefaultMaxFilesPerTrigger (1000), or no cap when MaxBytesPerTrigger
	// is set, as in Spark.
	MaxFilesPerTrigger int
	// MaxBytesPerTrigger is a soft cap on the bytes of a batch (Spark's):
	// files are taken until their total reaches it, so the file that
	// crosses it is the batch's last, and a batch has at least one file.
	// 0 means none.
	MaxBytesPerTrigger int64
	// StartingVersion starts at the changes of this version, without the
	// snapshot. Nil (and neither StartingLatest nor StartingTimestamp)
	// reads the latest snapshot at the query's start, then the changes
	// after it.
	StartingVersion *int64
	// StartingLatest starts with the changes committed after the query's
	// start (startingVersion "latest").
	StartingLatest bool
	// StartingTimestamp starts at the changes of the first version
	// committed at or after this time.
	StartingTimestamp *time.Time
	// IgnoreDeletes skips commits that remove files without adding any
	// (partition-boundary deletes).
	IgnoreDeletes bool
	// IgnoreChanges lets commits that rewrite files (remove and add)
	// through: their added files are read, so unchanged rows of a
	// rewritten file are streamed again. It implies IgnoreDeletes.
	IgnoreChanges bool
	// SkipChangeCommits skips every commit that removes a file with
	// dataChange=true, whatever else it holds.
	SkipChangeCommits bool
	// Logger logs skipped commits and compatible schema changes; nil
	// means slog.Default().
	Logger *slog.Logger
}

// Offset is the source's offset, Spark's DeltaSourceOffset: every file
// up to and including file Index of version ReservoirVersion has been
// read; Index -1 is the start of the version (nothing of it read). With
// IsStartingVersion the files are those of the initial snapshot at
// ReservoirVersion (sorted by modification time, then path), otherwise
// the data-changing add actions of the commit ReservoirVersion, in commit
// order.
type Offset struct {
	SourceVersion     int64  `json:"sourceVersion"`
	ReservoirID       string `json:"reservoirId"`
	ReservoirVersion  int64  `json:"reservoirVersion"`
	Index             int64  `json:"index"`
	IsStartingVersion bool   `json:"isStartingVersion"`
}

// OffsetVersion is the only DeltaSourceOffset sourceVersion this source
// writes and reads.
const OffsetVersion = 1

// JSON encodes the offset as Spark does.
func (o Offset) JSON() json.RawMessage {
	b, _ := json.Marshal(o)
	return b
}

// ParseOffset parses a DeltaSourceOffset.
func ParseOffset(raw json.RawMessage) (Offset, error) {
	var o struct {
		SourceVersion     *int64  `json:"sourceVersion"`
		ReservoirID       *string `json:"reservoirId"`
		ReservoirVersion  *int64  `json:"reservoirVersion"`
		Index             *int64  `json:"index"`
		IsStartingVersion *bool   `json:"isStartingVersion"`
	}
	bad := func(why string) (Offset, error) {
		return Offset{}, fmt.Errorf("deltasource: invalid offset %s: %s", raw, why)
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		return bad(err.Error())
	}
	switch {
	case o.SourceVersion == nil || o.ReservoirID == nil || o.ReservoirVersion == nil || o.Index == nil || o.IsStartingVersion == nil:
		return bad(`want {"sourceVersion":1,"reservoirId":…,"reservoirVersion":N,"index":I,"isStartingVersion":B}`)
	case *o.SourceVersion != OffsetVersion:
		return bad(fmt.Sprintf("sourceVersion %d is not supported (this source reads version %d)", *o.SourceVersion, OffsetVersion))
	case *o.ReservoirVersion < 0 || *o.Index < -1:
		return bad("negative version or index")
	}
	return Offset{SourceVersion: OffsetVersion, ReservoirID: *o.ReservoirID, ReservoirVersion: *o.ReservoirVersion,
		Index: *o.Index, IsStartingVersion: *o.IsStartingVersion}, nil
}

// pos is a position in the stream: after file i of version v (-1: the
// start of v), in the initial snapshot of v when snap is set.
type pos struct {
	v, i int64
	snap bool
}

// before reports whether the file (v, i) is at or before p's bound: its
// version is before p's, or the same with an index not after p's.
func (p pos) covers(v, i int64) bool { return v < p.v || (v == p.v && i <= p.i) }

// Source is the Delta table source. It implements stream.Source,
// stream.AvailableNowSource, stream.AllAvailableSource and
// stream.MetricsSource. Its methods are safe for concurrent use, although
// the engine calls them one at a time.
type Source[T any] struct {
	cfg      Config[T]
	table    *delta.Table
	store    storage.Storage
	log      *checkpoint.SourceLog[Offset]
	logger   *slog.Logger
	maxFiles int

	mu sync.Mutex
	// inited says init ran: tableID and latest are known.
	inited  bool
	tableID string
	// latest is the newest commit version listed.
	latest int64
	// latestSnap is the latest snapshot read by init, until the initial
	// snapshot or base took what they need from it.
	latestSnap *delta.Snapshot
	// initial is the initial offset, once resolved or read from the
	// source log.
	initial *Offset
	// snap is the initial snapshot the stream reads, when loaded.
	snap *initialSnapshot
	// base is a read context known without a commit of its own (from a
	// snapshot), that the chain of versions can start from.
	base *readCtx
	// vers caches the commits read, by version.
	vers map[int64]*version
	// availEnd is the last version of an AvailableNow run, -1 without.
	availEnd int64
}

var (
	_ stream.AvailableNowSource = (*Source[struct{}])(nil)
	_ stream.AllAvailableSource = (*Source[struct{}])(nil)
	_ stream.MetricsSource      = (*Source[struct{}])(nil)
)

// New returns the Delta source number sourceIndex (its index in the
// query's sources) of the query whose checkpoint is cp. It opens the
// source's log in cp (sources/<i>/, where the initial offset is recorded)
// and does no other I/O: the table is first read by InitialOffset or
// LatestOffset.
func New[T any](ctx context.Context, cp *checkpoint.Checkpoint, sourceIndex int, cfg Config[T]) (*Source[T], error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cp == nil {
		return nil, errors.New("deltasource: nil checkpoint")
	}
	log, err := checkpoint.OpenSourceLog[Offset](ctx, cp, sourceIndex, checkpoint.CompactInterval(0))
	if err != nil {
		return nil, fmt.Errorf("deltasource: %w", err)
	}
	s := &Source[T]{
		cfg: cfg, table: cfg.Table, store: cfg.Table.Storage(), log: log, logger: cfg.Logger,
		maxFiles: cfg.MaxFilesPerTrigger, latest: -1, vers: map[int64]*version{}, availEnd: -1,
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	if s.maxFiles == 0 {
		s.maxFiles = DefaultMaxFilesPerTrigger
		if cfg.MaxBytesPerTrigger > 0 {
			s.maxFiles = math.MaxInt
		}
	}
	return s, nil
}

func (c *Config[T]) validate() error {
	n := 0
	if c.StartingVersion != nil {
		n++
	}
	if c.StartingLatest {
		n++
	}
	if c.StartingTimestamp != nil {
		n++
	}
	switch {
	case c.Table == nil:
		return errors.New("deltasource: Config.Table is nil")
	case c.Schema == nil || len(c.Schema.Fields) == 0:
		return errors.New("deltasource: Config.Schema has no columns")
	case c.FromRow == nil:
		return errors.New("deltasource: Config.FromRow is nil")
	case c.MaxFilesPerTrigger < 0:
		return fmt.Errorf("deltasource: maxFilesPerTrigger must not be negative, got %d", c.MaxFilesPerTrigger)
	case c.MaxBytesPerTrigger < 0:
		return fmt.Errorf("deltasource: maxBytesPerTrigger must not be negative, got %d", c.MaxBytesPerTrigger)
	case n > 1:
		return errors.New("deltasource: set only one of startingVersion, startingVersion latest and startingTimestamp")
	case c.StartingVersion != nil && *c.StartingVersion < 0:
		return fmt.Errorf("deltasource: startingVersion must not be negative, got %d", *c.StartingVersion)
	}
	return nil
}

// Description returns Spark's "DeltaSource[<table location>]".
func (s *Source[T]) Description() string { return "DeltaSource[" + s.table.Location() + "]" }

// init reads the latest snapshot once per process: the table's ID (which
// every offset must carry), its protocol and its latest version. s.mu is
// held.
func (s *Source[T]) init(ctx context.Context) error {
	if s.inited {
		return nil
	}
	snap, err := s.table.Snapshot(ctx)
	if err != nil {
		if errors.Is(err, delta.ErrNotATable) {
			return fmt.Errorf("deltasource: %s is not a Delta table (yet): %w", s.table.Location(), err)
		}
		return fmt.Errorf("deltasource: %w", err)
	}
	s.tableID, s.latest, s.latestSnap, s.inited = snap.Metadata.ID, snap.Version, snap, true
	return nil
}

// releaseLatest drops the latest snapshot init read (all of its add
// actions) once the initial snapshot or the stream's start took what they
// need, keeping its read context as the base. s.mu is held.
func (s *Source[T]) releaseLatest() {
	if s.latestSnap == nil {
		return
	}
	if s.base == nil {
		s.base = s.newReadCtx(s.latestSnap, nil, true)
	}
	s.latestSnap = nil
}

// InitialOffset implements stream.Source: the offset a new query starts
// from, just before its first file. The first call for a checkpoint
// resolves the start (the latest snapshot's version, StartingVersion,
// "latest" or StartingTimestamp) and records it in the source log
// (sources/<i>/0); every later call, in this process or after a restart,
// returns what was recorded. It checks the table's schema at the start
// version against the record's.
func (s *Source[T]) InitialOffset(ctx context.Context) (json.RawMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.initialOffset(ctx)
	if err != nil {
		return nil, err
	}
	return o.JSON(), nil
}

func (s *Source[T]) initialOffset(ctx context.Context) (Offset, error) {
	if s.initial != nil {
		return *s.initial, nil
	}
	if err := s.init(ctx); err != nil {
		return Offset{}, err
	}
	logged, err := s.log.Get(ctx, 0)
	switch {
	case err == nil:
		if len(logged) != 1 {
			return Offset{}, fmt.Errorf("deltasource: initial offset in %s/0: want one offset, found %d", s.log.Dir(), len(logged))
		}
		o := logged[0]
		if _, err := s.parse(ctx, o.JSON()); err != nil {
			return Offset{}, err
		}
		s.initial = &o
		return o, nil
	case !storage.IsNotExist(err):
		return Offset{}, fmt.Errorf("deltasource: read the initial offset: %w", err)
	}
	o, err := s.resolveStart(ctx)
	if err != nil {
		return Offset{}, err
	}
	if err := s.log.Add(ctx, 0, []Offset{o}); err != nil {
		return Offset{}, fmt.Errorf("deltasource: record the initial offset: %w", err)
	}
	s.logger.Info("deltasource: initial offset recorded", "source", s.Description(), "offset", string(o.JSON()))
	s.initial = &o
	return o, nil
}

// resolveStart resolves where a new query starts and checks the schema
// there. s.mu is held and init ran.
func (s *Source[T]) resolveStart(ctx context.Context) (Offset, error) {
	o := Offset{SourceVersion: OffsetVersion, ReservoirID: s.tableID, Index: -1}
	var v int64
	switch {
	case s.cfg.StartingLatest:
		v = s.latest + 1
	case s.cfg.StartingVersion != nil:
		v = *s.cfg.StartingVersion
		if v > s.latest {
			return Offset{}, fmt.Errorf("deltasource: table %s: startingVersion %d is after the latest version %d", s.table.Location(), v, s.latest)
		}
	case s.cfg.StartingTimestamp != nil:
		var err error
		if v, err = s.versionAtTimestamp(ctx, *s.cfg.StartingTimestamp); err != nil {
			return Offset{}, err
		}
	default:
		o.ReservoirVersion, o.IsStartingVersion = s.latestSnap.Version, true
		if _, err := s.loadSnapshot(ctx, o.ReservoirVersion); err != nil {
			return Offset{}, err
		}
		return o, nil
	}
	o.ReservoirVersion = v
	if v <= s.latest {
		// The changes of v are read with the metadata as of v: check it
		// now, and that v's commit is still in the log.
		if _, err := s.store.Stat(ctx, delta.CommitFileName(v)); err != nil {
			if storage.IsNotExist(err) {
				return Offset{}, fmt.Errorf("deltasource: table %s: the commit of starting version %d is no longer in the log (cleaned up): %w",
					s.table.Location(), v, delta.ErrVersionNotFound)
			}
			return Offset{}, fmt.Errorf("deltasource: %w", err)
		}
		rc, err := s.rcBefore(ctx, v)
		if err != nil {
			return Offset{}, err
		}
		if rc.err != nil {
			return Offset{}, rc.err
		}
	} else if _, err := s.baseRC(); err != nil {
		return Offset{}, err
	}
	return o, nil
}

// versionAtTimestamp returns the first version committed at or after ts
// (Spark's startingTimestamp): the latest version when ts is after every
// commit plus one, and the earliest commit in the log when ts is before
// them all.
func (s *Source[T]) versionAtTimestamp(ctx context.Context, ts time.Time) (int64, error) {
	snap, err := s.table.SnapshotAsOf(ctx, ts)
	switch {
	case err == nil:
		if !snap.Timestamp.Before(ts) {
			return snap.Version, nil
		}
		return snap.Version + 1, nil
	case errors.Is(err, delta.ErrVersionNotFound):
		infos, lerr := s.store.ListFrom(ctx, delta.LogDir, "")
		if lerr != nil {
			return 0, fmt.Errorf("deltasource: list %s: %w", s.store.URL(delta.LogDir), lerr)
		}
		for _, fi := range infos {
			if lp := delta.ParseLogPath(fi); lp.Type == delta.LogPathCommit {
				return lp.Version, nil
			}
		}
		return 0, fmt.Errorf("deltasource: startingTimestamp: %w", err)
	default:
		return 0, fmt.Errorf("deltasource: startingTimestamp: %w", err)
	}
}

// parse parses an offset of the stream (nil: the initial offset) and
// checks that it belongs to the table. s.mu is held.
func (s *Source[T]) parse(ctx context.Context, raw json.RawMessage) (pos, error) {
	var o Offset
	if len(raw) == 0 || string(raw) == "null" {
		var err error
		if o, err = s.initialOffset(ctx); err != nil {
			return pos{}, err
		}
	} else {
		var err error
		if o, err = ParseOffset(raw); err != nil {
			return pos{}, err
		}
	}
	if o.ReservoirID != s.tableID {
		return pos{}, &TableChangedError{Table: s.table.Location(), CheckpointID: o.ReservoirID, TableID: s.tableID, Version: -1}
	}
	return pos{v: o.ReservoirVersion, i: o.Index, snap: o.IsStartingVersion}, nil
}

func (s *Source[T]) encode(p pos) json.RawMessage {
	return Offset{SourceVersion: OffsetVersion, ReservoirID: s.tableID, ReservoirVersion: p.v, Index: p.i, IsStartingVersion: p.snap}.JSON()
}

// LatestOffset implements stream.Source: the end of the next batch from
// start, within maxFilesPerTrigger and maxBytesPerTrigger. It lists the
// log from the newest version seen (not the whole log), reads the
// commits the batch needs and returns start when there is nothing new.
// A commit that stops the stream (a delete or update without the
// options, an incompatible schema, an unsupported protocol, a replaced
// table) ends the batch just before it, so that everything before it is
// processed; the next call returns its error.
func (s *Source[T]) LatestOffset(ctx context.Context, start json.RawMessage) (json.RawMessage, error) {
	return s.latestOffset(ctx, start, true)
}

// LatestOffsetAllAvailable implements stream.AllAvailableSource: it is
// LatestOffset without the read limits.
func (s *Source[T]) LatestOffsetAllAvailable(ctx context.Context, start json.RawMessage) (json.RawMessage, error) {
	return s.latestOffset(ctx, start, false)
}

func (s *Source[T]) latestOffset(ctx context.Context, start json.RawMessage, limit bool) (json.RawMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.releaseLatest()
	if err := s.init(ctx); err != nil {
		return nil, err
	}
	from, err := s.parse(ctx, start)
	if err != nil {
		return nil, err
	}
	through := s.availEnd
	if through < 0 {
		if err := s.listTail(ctx); err != nil {
			return nil, err
		}
		through = s.latest
	}
	adm := admission{limit: limit, files: s.maxFiles, bytes: s.cfg.MaxBytesPerTrigger}
	end, stopped, err := s.walk(ctx, from, pos{v: through, i: math.MaxInt64}, adm.full, func(f fileRef) (bool, error) {
		return adm.admit(f.add), nil
	})
	if err != nil && (!stopped || end == from) {
		return nil, err
	}
	if end == from {
		if len(start) == 0 {
			return s.encode(from), nil
		}
		return start, nil
	}
	return s.encode(end), nil
}

// admission is Spark's AdmissionLimits: files are admitted while fewer
// than maxFiles were and the bytes admitted are below maxBytes.
type admission struct {
	limit bool
	files int
	bytes int64 // 0: no byte limit
	took  int64
}

func (a *admission) admit(add *delta.Add) bool {
	if !a.limit {
		return true
	}
	if a.full() {
		return false
	}
	a.files--
	a.took += add.Size
	return true
}

func (a *admission) full() bool {
	return a.limit && (a.files <= 0 || (a.bytes > 0 && a.took >= a.bytes))
}

// PrepareAvailableNow implements stream.AvailableNowSource: it lists the
// log once and fixes the end of the run at its latest version; commits
// made later wait for the next run.
func (s *Source[T]) PrepareAvailableNow(ctx context.Context, start json.RawMessage) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.init(ctx); err != nil {
		return err
	}
	if err := s.listTail(ctx); err != nil {
		return err
	}
	s.availEnd = s.latest
	return nil
}

// Commit implements stream.Source: it drops the cached commits and
// snapshot files the stream has read up to end. It never fails on a
// valid offset and may be called again with the same end.
func (s *Source[T]) Commit(ctx context.Context, end json.RawMessage) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.init(ctx); err != nil {
		return err
	}
	p, err := s.parse(ctx, end)
	if err != nil {
		return err
	}
	for v, ver := range s.vers {
		if v < p.v-1 {
			delete(s.vers, v)
		} else if v == p.v-1 && !ver.released {
			// Kept for its read context, which the next version's
			// files are read with unless that version changes it.
			s.vers[v] = &version{v: v, rc: ver.rc, err: ver.err, released: true}
		}
	}
	if s.snap != nil && !p.snap {
		s.snap.files = nil
		s.snap.dropped = true
	}
	return nil
}

// The keys of the lag metrics that Metrics returns: Spark's
// numFilesOutstanding and numBytesOutstanding, and the number of
// versions not completely read.
const (
	MetricFilesOutstanding     = "numFilesOutstanding"
	MetricBytesOutstanding     = "numBytesOutstanding"
	MetricVersionsBehindLatest = "numVersionsBehindLatest"
)

// metricsMaxCommits bounds the commits Metrics reads to count the files
// outstanding; beyond it numFilesOutstanding and numBytesOutstanding are
// left out.
const metricsMaxCommits = 1000

// Metrics implements stream.MetricsSource: the lag at the end of the
// batch ending at end, against the newest version listed (under
// AvailableNow, the run's last version): numVersionsBehindLatest,
// numFilesOutstanding and numBytesOutstanding (the files and bytes a
// later batch reads up to that version, initial snapshot included).
// It does not list the log when the process has listed it; it reads the
// commits not read yet (at most 1000; beyond, the file counts are left
// out) and caches them for the batches that follow.
func (s *Source[T]) Metrics(ctx context.Context, end json.RawMessage) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	warn := func(msg string, err error) map[string]string {
		s.logger.Warn("deltasource: lag metrics: "+msg, "source", s.Description(), "error", err)
		return nil
	}
	if err := s.init(ctx); err != nil {
		return warn("cannot read the table", err)
	}
	p, err := s.parse(ctx, end)
	if err != nil {
		return warn("invalid end offset", err)
	}
	through := s.latest
	if s.availEnd >= 0 {
		through = s.availEnd
	}
	behind := through - p.v + 1
	if p.snap {
		behind = through - p.v
	}
	out := map[string]string{MetricVersionsBehindLatest: strconv.FormatInt(max(behind, 0), 10)}
	if through-p.v > metricsMaxCommits {
		return out
	}
	var files, bytes int64
	_, stopped, err := s.walk(ctx, p, pos{v: through, i: math.MaxInt64}, nil, func(f fileRef) (bool, error) {
		files++
		bytes += f.add.Size
		return true, nil
	})
	if err != nil && !stopped {
		// The files before a commit that stops the stream are counted;
		// an I/O error leaves the counts out.
		s.logger.Warn("deltasource: lag metrics: cannot read the log", "source", s.Description(), "error", err)
		return out
	}
	out[MetricFilesOutstanding] = strconv.FormatInt(files, 10)
	out[MetricBytesOutstanding] = strconv.FormatInt(bytes, 10)
	return out
}
