package checkpoint

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"sort"
	"strconv"

	"github.com/google/uuid"

	"github.com/streamgen/streamgen/runtime/storage"
)

// Names of the entries in a checkpoint directory, as Spark names them.
const (
	// MetadataFile holds the query ID: {"id":"<uuid>"}.
	MetadataFile = "metadata"
	// OffsetsDir holds the offsets log, one OffsetSeq file per batch.
	OffsetsDir = "offsets"
	// CommitsDir holds the commit log, one CommitMetadata file per batch.
	CommitsDir = "commits"
	// SourcesDir holds one directory per source (sources/0, sources/1, …)
	// for the source's own logs, such as the file source's seen-files log.
	SourcesDir = "sources"
	// StateDir is reserved for the state store (state/<operator>/…).
	StateDir = "state"
)

// DefaultMinBatchesToRetain is how many recent batches Purge keeps by
// default (Spark's spark.sql.streaming.minBatchesToRetain).
const DefaultMinBatchesToRetain = 100

// Opt configures Open.
type Opt interface{ apply(*cfg) }

type opt func(*cfg)

func (o opt) apply(c *cfg) { o(c) }

type cfg struct {
	minBatchesToRetain int
	logger             *slog.Logger
	initialID          string
}

func (c *cfg) validate() error {
	if c.minBatchesToRetain < 1 {
		return fmt.Errorf("checkpoint: MinBatchesToRetain must be at least 1, got %d", c.minBatchesToRetain)
	}
	if c.initialID != "" {
		if _, err := uuid.Parse(c.initialID); err != nil {
			return fmt.Errorf("checkpoint: InitialID %q is not a UUID: %w", c.initialID, err)
		}
	}
	return nil
}

// MinBatchesToRetain sets how many of the most recent batches PurgeExpired
// keeps in offsets/ and commits/, overriding the default of 100 (Spark's
// spark.sql.streaming.minBatchesToRetain). It must be at least 1; whatever
// the value, the entries a restart needs are never deleted.
func MinBatchesToRetain(n int) Opt { return opt(func(c *cfg) { c.minBatchesToRetain = n }) }

// Logger sets the logger for warnings and purge notes, overriding the
// default slog.Default().
func Logger(l *slog.Logger) Opt { return opt(func(c *cfg) { c.logger = l }) }

// InitialID sets the query ID written to the metadata file when the
// checkpoint is new, overriding the default random UUID. It has no effect
// on an existing checkpoint, whose ID never changes. The ID must be a UUID.
func InitialID(id string) Opt { return opt(func(c *cfg) { c.initialID = id }) }

// Checkpoint is a streaming query's checkpoint directory, laid out and
// formatted as Spark Structured Streaming's:
//
//	metadata       {"id":"<uuid>"}: the query ID, stable across restarts
//	offsets/N      what batch N reads (OffsetSeq), written before it runs
//	commits/N      batch N is done (CommitMetadata), written after the sink
//	sources/<i>/…  source i's own logs (SourceLog)
//	state/…        reserved for the state store
//	streamgen/…    streamgen's own records (runtime/planprint's plan.json)
//
// Every file this package writes is written once, atomically (temp file
// then link, through storage.Storage.PutIfAbsent), and never overwritten.
// Finding a file already present when writing offsets/N or commits/N
// means another query runs on the same checkpoint: the write fails with a
// *ConcurrentQueryError.
//
// A Checkpoint is safe for concurrent use; it keeps no state besides the
// query ID.
type Checkpoint struct {
	store storage.Storage
	cfg   cfg
	id    string
}

// Open opens the checkpoint rooted at store, creating its metadata file
// with a new query ID if there is none. The query ID is read back from an
// existing metadata file, so it is stable across restarts; two queries
// opening a new checkpoint at once agree on one ID.
func Open(ctx context.Context, store storage.Storage, opts ...Opt) (*Checkpoint, error) {
	c := &Checkpoint{
		store: store,
		cfg:   cfg{minBatchesToRetain: DefaultMinBatchesToRetain, logger: slog.Default()},
	}
	for _, o := range opts {
		o.apply(&c.cfg)
	}
	if err := c.cfg.validate(); err != nil {
		return nil, err
	}
	id, err := c.readID(ctx)
	if err == nil {
		c.id = id
		return c, nil
	}
	if !storage.IsNotExist(err) {
		return nil, err
	}
	// A new ID for a checkpoint that already ran batches would break
	// exactly-once: the Delta sink's txn appId is the query ID.
	if ids, err := c.batchIDs(ctx, OffsetsDir); err != nil {
		return nil, err
	} else if len(ids) > 0 {
		return nil, &CorruptError{
			Path:   c.store.URL(MetadataFile),
			Reason: fmt.Sprintf("missing, but %s holds batches: the query ID is lost", c.store.URL(OffsetsDir)),
			Fix:    fixCorrupt,
		}
	}
	id = c.cfg.initialID
	if id == "" {
		id = uuid.NewString()
	}
	data, err := marshalLine(metadata{ID: id})
	if err != nil {
		return nil, fmt.Errorf("checkpoint: encode metadata: %w", err)
	}
	if err := store.PutIfAbsent(ctx, MetadataFile, data); err != nil {
		if !storage.IsExist(err) {
			return nil, fmt.Errorf("checkpoint: create query metadata: %w", err)
		}
		// Another query created it first: use its ID.
		if id, err = c.readID(ctx); err != nil {
			return nil, err
		}
	}
	c.id = id
	return c, nil
}

// metadata is the metadata file (Spark's StreamMetadata).
type metadata struct {
	ID string `json:"id"`
}

// readID reads the query ID; a missing file gives an error satisfying
// storage.IsNotExist.
func (c *Checkpoint) readID(ctx context.Context) (string, error) {
	data, err := c.store.Read(ctx, MetadataFile)
	if err != nil {
		if storage.IsNotExist(err) {
			return "", err
		}
		return "", fmt.Errorf("checkpoint: read query metadata: %w", err)
	}
	var m metadata
	if err := json.Unmarshal(data, &m); err != nil {
		return "", withPath(c.store.URL(MetadataFile), corruptAt(0, err, "invalid query metadata JSON"))
	}
	if m.ID == "" {
		return "", withPath(c.store.URL(MetadataFile), corruptAt(0, nil, `missing query "id"`))
	}
	if _, err := uuid.Parse(m.ID); err != nil {
		return "", withPath(c.store.URL(MetadataFile), corruptAt(0, nil, "query id %q is not a UUID", m.ID))
	}
	return m.ID, nil
}

// ID returns the query ID, stable across restarts of the query on this
// checkpoint (Spark's StreamingQuery.id). The Delta sink uses it as the
// txn appId.
func (c *Checkpoint) ID() string { return c.id }

// Storage returns the store the checkpoint lives on, for components that
// keep their files under it (the state store under StateDir).
func (c *Checkpoint) Storage() storage.Storage { return c.store }

// Location returns a human-readable location of the checkpoint directory.
func (c *Checkpoint) Location() string { return c.store.URL("") }

// MinBatchesToRetain returns the configured retention; see the option of
// the same name.
func (c *Checkpoint) MinBatchesToRetain() int { return c.cfg.minBatchesToRetain }

func batchName(dir string, batchID int64) string {
	return path.Join(dir, strconv.FormatInt(batchID, 10))
}

// parseBatchName returns the batch ID of a file named by a canonical
// decimal number. Other names (Hadoop's .crc files, stray files) are not
// batches.
func parseBatchName(base string) (int64, bool) {
	id, err := strconv.ParseInt(base, 10, 64)
	if err != nil || id < 0 || strconv.FormatInt(id, 10) != base {
		return 0, false
	}
	return id, true
}

// batchIDs lists the batch files of a log directory in ascending order.
func (c *Checkpoint) batchIDs(ctx context.Context, dir string) ([]int64, error) {
	infos, err := c.store.ListFrom(ctx, dir, "")
	if err != nil {
		return nil, fmt.Errorf("checkpoint: list %s: %w", c.store.URL(dir), err)
	}
	var ids []int64
	for _, fi := range infos {
		if id, ok := parseBatchName(path.Base(fi.Name)); ok {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids, nil
}

// checkContiguous reports a gap in a log's batch IDs: the engine writes
// batches in order and Purge deletes from the oldest up, so a hole means
// files were lost.
func (c *Checkpoint) checkContiguous(dir string, ids []int64) error {
	for i := 1; i < len(ids); i++ {
		if ids[i] == ids[i-1]+1 {
			continue
		}
		lo, hi := ids[i-1], ids[i]
		var what string
		if hi-lo == 2 {
			what = fmt.Sprintf("batch %d is missing", lo+1)
		} else {
			what = fmt.Sprintf("batches %d to %d are missing", lo+1, hi-1)
		}
		return &CorruptError{
			Path:   c.store.URL(dir),
			Reason: fmt.Sprintf("%s between %d and %d", what, lo, hi),
			Fix:    fixGap,
		}
	}
	return nil
}

// latest returns the newest batch ID of a log directory after checking it
// for gaps, or -1 when the log is empty.
func (c *Checkpoint) latest(ctx context.Context, dir string) (int64, error) {
	ids, err := c.batchIDs(ctx, dir)
	if err != nil {
		return 0, err
	}
	if err := c.checkContiguous(dir, ids); err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return -1, nil
	}
	return ids[len(ids)-1], nil
}

// put writes a new checkpoint file; an existing one means another query.
func (c *Checkpoint) put(ctx context.Context, name string, data []byte) error {
	if err := c.store.PutIfAbsent(ctx, name, data); err != nil {
		if storage.IsExist(err) {
			return &ConcurrentQueryError{Path: c.store.URL(name)}
		}
		return fmt.Errorf("checkpoint: write %s: %w", c.store.URL(name), err)
	}
	return nil
}

// exists reports whether name exists.
func (c *Checkpoint) exists(ctx context.Context, name string) (bool, error) {
	if _, err := c.store.Stat(ctx, name); err != nil {
		if storage.IsNotExist(err) {
			return false, nil
		}
		return false, fmt.Errorf("checkpoint: stat %s: %w", c.store.URL(name), err)
	}
	return true, nil
}

// Offsets returns offsets/batchID. A missing file gives an error
// satisfying storage.IsNotExist.
func (c *Checkpoint) Offsets(ctx context.Context, batchID int64) (*OffsetSeq, error) {
	name := batchName(OffsetsDir, batchID)
	data, err := c.store.Read(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: offsets of batch %d: %w", batchID, err)
	}
	s, err := parseOffsetSeq(data)
	if err != nil {
		return nil, withPath(c.store.URL(name), err)
	}
	return s, nil
}

// LatestOffsets returns the newest batch in the offsets log and its
// offsets, or -1 and nil when the log is empty. A gap in the log's batch
// IDs is a *CorruptError.
func (c *Checkpoint) LatestOffsets(ctx context.Context) (int64, *OffsetSeq, error) {
	n, err := c.latest(ctx, OffsetsDir)
	if err != nil || n < 0 {
		return -1, nil, err
	}
	s, err := c.Offsets(ctx, n)
	if err != nil {
		return -1, nil, err
	}
	return n, s, nil
}

// WriteOffsets writes offsets/batchID, the write-ahead record of what the
// batch will read, before the batch reads anything. Batches are written in
// order: offsets/batchID-1 must exist (except for batch 0). If
// offsets/batchID exists already, another query owns the checkpoint and
// the error is a *ConcurrentQueryError.
func (c *Checkpoint) WriteOffsets(ctx context.Context, batchID int64, s *OffsetSeq) error {
	if batchID < 0 {
		return fmt.Errorf("checkpoint: write offsets: negative batch ID %d", batchID)
	}
	if s == nil {
		return fmt.Errorf("checkpoint: write offsets of batch %d: nil OffsetSeq", batchID)
	}
	data, err := s.marshal()
	if err != nil {
		return fmt.Errorf("checkpoint: write offsets of batch %d: %w", batchID, err)
	}
	if batchID > 0 {
		prev := batchName(OffsetsDir, batchID-1)
		ok, err := c.exists(ctx, prev)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("checkpoint: write offsets of batch %d: %s does not exist: batches must be written in order",
				batchID, c.store.URL(prev))
		}
	}
	return c.put(ctx, batchName(OffsetsDir, batchID), data)
}

// Commit returns commits/batchID. A missing file gives an error satisfying
// storage.IsNotExist.
func (c *Checkpoint) Commit(ctx context.Context, batchID int64) (CommitMetadata, error) {
	name := batchName(CommitsDir, batchID)
	data, err := c.store.Read(ctx, name)
	if err != nil {
		return CommitMetadata{}, fmt.Errorf("checkpoint: commit of batch %d: %w", batchID, err)
	}
	m, err := parseCommit(data)
	if err != nil {
		return CommitMetadata{}, withPath(c.store.URL(name), err)
	}
	return m, nil
}

// LatestCommit returns the newest committed batch and its commit metadata,
// or -1 and zero metadata when nothing is committed. A gap in the log's
// batch IDs is a *CorruptError.
func (c *Checkpoint) LatestCommit(ctx context.Context) (int64, CommitMetadata, error) {
	n, err := c.latest(ctx, CommitsDir)
	if err != nil || n < 0 {
		return -1, CommitMetadata{}, err
	}
	m, err := c.Commit(ctx, n)
	if err != nil {
		return -1, CommitMetadata{}, err
	}
	return n, m, nil
}

// WriteCommit writes commits/batchID once the batch's output is durable.
// offsets/batchID must exist. If commits/batchID exists already, another
// query owns the checkpoint and the error is a *ConcurrentQueryError.
func (c *Checkpoint) WriteCommit(ctx context.Context, batchID int64, m CommitMetadata) error {
	if batchID < 0 {
		return fmt.Errorf("checkpoint: write commit: negative batch ID %d", batchID)
	}
	data, err := m.marshal()
	if err != nil {
		return fmt.Errorf("checkpoint: write commit of batch %d: %w", batchID, err)
	}
	off := batchName(OffsetsDir, batchID)
	ok, err := c.exists(ctx, off)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("checkpoint: write commit of batch %d: %s does not exist: write the offsets before the commit",
			batchID, c.store.URL(off))
	}
	return c.put(ctx, batchName(CommitsDir, batchID), data)
}

// errNotExist reports whether err says a file is missing (and is not a
// corrupt-file error).
func errNotExist(err error) bool {
	var ce *CorruptError
	return storage.IsNotExist(err) && !errors.As(err, &ce)
}
