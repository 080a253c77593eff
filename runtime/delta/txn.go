package delta

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/streamgen/streamgen/runtime/storage"
)

// Defaults of [CommitOptions].
const (
	// DefaultMaxRetries bounds the attempts of one commit after lost races.
	DefaultMaxRetries = 100
	// DefaultCheckpointInterval is the checkpoint interval of a table
	// whose configuration has no delta.checkpointInterval.
	DefaultCheckpointInterval = 10
)

// AppendOnlyKey is the table property that forbids removing data: with
// "true", commits may only remove files with dataChange=false.
const AppendOnlyKey = "delta.appendOnly"

// CheckpointIntervalKey is the table property that sets how many commits
// separate two checkpoints.
const CheckpointIntervalKey = "delta.checkpointInterval"

// ErrTxnAlreadyCommitted says that a transaction's [Transaction.SetTxn]
// application version is already recorded in the table: the write happened
// before (for instance before a crash) and must not be repeated. A
// streaming sink treats it as success.
var ErrTxnAlreadyCommitted = errors.New("transaction already committed")

// ErrTooManyRetries says a commit lost the race for the next version more
// often than [CommitOptions.MaxRetries] allows, each time without a
// logical conflict. The transaction can be retried from scratch.
var ErrTooManyRetries = errors.New("too many concurrent commits")

// CommitOptions configures how the transactions of a [Table] commit. The
// zero value selects every default.
type CommitOptions struct {
	// MaxRetries bounds the commit attempts after lost races
	// (default DefaultMaxRetries).
	MaxRetries int
	// CheckpointInterval overrides the table's delta.checkpointInterval
	// (default DefaultCheckpointInterval); a negative value disables
	// checkpoints.
	CheckpointInterval int
	// Clock returns the commit time (default time.Now). Tests inject a
	// fixed clock to get deterministic commits.
	Clock func() time.Time
	// NewID returns a fresh UUID string for commitInfo.txnId and new
	// tables' metaData.id (default uuid.NewString).
	NewID func() string
	// EngineInfo is written as commitInfo.engineInfo (default
	// "streamgen/<module version>").
	EngineInfo string
	// Logger receives warnings such as a failed checkpoint (default
	// slog.Default()).
	Logger *slog.Logger
	// Backoff is the base delay between two attempts; it doubles with
	// every attempt up to 64 times, with jitter (default 1ms).
	Backoff time.Duration
	// BackgroundCheckpoints writes a due checkpoint in the background
	// instead of before Commit returns, so that a streaming writer's
	// next commit does not wait for it (see [Table.WaitCheckpoints]).
	// Off by default: a program or test that removes the table's
	// directory, or exits, right after its last commit would race a
	// checkpoint still being written (an exit is safe, but the
	// checkpoint is lost).
	BackgroundCheckpoints bool
}

// WithCommitOptions returns a Table on the same store whose transactions
// commit with o.
func (t *Table) WithCommitOptions(o CommitOptions) *Table {
	c := *t
	c.commit = o
	c.latest = &latestCache{} // its clock may expire txns differently
	return &c
}

// CommitOptions returns the options the table's transactions commit with.
func (t *Table) CommitOptions() CommitOptions { return t.commit }

func (t *Table) now() time.Time {
	if t.commit.Clock != nil {
		return t.commit.Clock()
	}
	return time.Now()
}

func (t *Table) newID() string {
	if t.commit.NewID != nil {
		return t.commit.NewID()
	}
	return uuid.NewString()
}

func (t *Table) logger() *slog.Logger {
	if t.commit.Logger != nil {
		return t.commit.Logger
	}
	return slog.Default()
}

func (t *Table) maxRetries() int {
	if t.commit.MaxRetries > 0 {
		return t.commit.MaxRetries
	}
	return DefaultMaxRetries
}

func (t *Table) engineInfo() string {
	if t.commit.EngineInfo != "" {
		return t.commit.EngineInfo
	}
	return defaultEngineInfo()
}

var defaultEngineInfo = sync.OnceValue(func() string {
	v := "dev"
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Path == "github.com/streamgen/streamgen" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		} else {
			for _, d := range bi.Deps {
				if d.Path == "github.com/streamgen/streamgen" && d.Version != "" {
					v = d.Version
				}
			}
		}
	}
	return "streamgen/" + v
})

// Transaction collects the actions of one commit, made against the
// snapshot it was begun from. It is not safe for concurrent use. Commit
// it once with [Transaction.Commit].
type Transaction struct {
	table       *Table
	snap        *Snapshot
	readVersion int64

	metadata *Metadata
	protocol *Protocol
	adds     []*Add
	removes  []*Remove
	txns     []Txn

	operation string
	params    map[string]any
	metrics   map[string]string

	readFiles      []*Add
	readWholeTable bool

	committed bool
}

// Begin starts a transaction on the latest snapshot of the table. For a
// table that does not exist yet ReadVersion is -1 and the transaction must
// set the metadata (and may set the protocol, default 1/2) before it
// commits version 0.
func (t *Table) Begin(ctx context.Context) (*Transaction, error) {
	snap, err := t.latestSnapshot(ctx)
	if err != nil {
		if errors.Is(err, ErrNotATable) {
			return &Transaction{table: t, readVersion: -1}, nil
		}
		return nil, fmt.Errorf("delta: begin transaction on %s: %w", t.Location(), err)
	}
	return t.BeginAt(snap), nil
}

// BeginAt starts a transaction that reads snap, a snapshot of t. Its
// commit conflicts with what was committed after snap as if it had been
// begun when snap was the latest version.
func (t *Table) BeginAt(snap *Snapshot) *Transaction {
	return &Transaction{table: t, snap: snap, readVersion: snap.Version}
}

// ReadVersion returns the version the transaction read, -1 for a table
// that does not exist yet.
func (tx *Transaction) ReadVersion() int64 { return tx.readVersion }

// Snapshot returns the snapshot the transaction read, nil for a new table.
// Reading its files does not by itself make the transaction conflict with
// concurrent writers: declare what was read with [Transaction.ReadFiles]
// or [Transaction.ReadWholeTable].
func (tx *Transaction) Snapshot() *Snapshot { return tx.snap }

// Table returns the table the transaction commits to.
func (tx *Transaction) Table() *Table { return tx.table }

// SetMetadata replaces the table's metadata with m. For a new table an
// empty ID, format, configuration or creation time is filled in at commit.
func (tx *Transaction) SetMetadata(m Metadata) { tx.metadata = &m }

// SetProtocol replaces the table's protocol with p.
func (tx *Transaction) SetProtocol(p Protocol) { tx.protocol = &p }

// Add records data files that join the table.
func (tx *Transaction) Add(adds ...*Add) { tx.adds = append(tx.adds, adds...) }

// Remove records data files that leave the table. A zero
// DeletionTimestamp is set to the commit time.
func (tx *Transaction) Remove(removes ...*Remove) { tx.removes = append(tx.removes, removes...) }

// SetTxn records that this commit carries version of the application
// appID (a streaming query's batch id). Commit refuses with
// [ErrTxnAlreadyCommitted] when the table already holds appID at version
// or later, which makes retried streaming writes exactly-once.
func (tx *Transaction) SetTxn(appID string, version int64) {
	for i := range tx.txns {
		if tx.txns[i].AppID == appID {
			tx.txns[i].Version = version
			return
		}
	}
	tx.txns = append(tx.txns, Txn{AppID: appID, Version: version})
}

// SetOperation names the operation for commitInfo (e.g. "WRITE",
// "STREAMING UPDATE", "OPTIMIZE") and its operationParameters.
func (tx *Transaction) SetOperation(op string, params map[string]any) {
	tx.operation = op
	tx.params = params
}

// SetOperationMetrics sets commitInfo.operationMetrics entries, replacing
// the ones Commit computes from the actions (numFiles, numOutputRows,
// numOutputBytes, numRemovedFiles, numRemovedBytes).
func (tx *Transaction) SetOperationMetrics(m map[string]string) {
	if tx.metrics == nil {
		tx.metrics = map[string]string{}
	}
	for k, v := range m {
		tx.metrics[k] = v
	}
}

// ReadFiles declares that the transaction's result depends on the content
// of these files of its snapshot: the commit conflicts with a concurrent
// commit that removes or re-adds any of them.
func (tx *Transaction) ReadFiles(files ...*Add) { tx.readFiles = append(tx.readFiles, files...) }

// ReadWholeTable declares that the transaction's result depends on the
// whole table: the commit conflicts with any concurrent commit that
// changes data (adds or removes files with dataChange).
func (tx *Transaction) ReadWholeTable() { tx.readWholeTable = true }

// isBlindAppend reports whether the commit only adds data without reading.
func (tx *Transaction) isBlindAppend() bool {
	if len(tx.removes) > 0 || tx.metadata != nil || tx.protocol != nil || tx.readWholeTable || len(tx.readFiles) > 0 {
		return false
	}
	for _, a := range tx.adds {
		if !a.DataChange {
			return false
		}
	}
	return true
}

// dataChange reports whether any action of the commit changes data.
func (tx *Transaction) dataChange() bool {
	if tx.metadata != nil || tx.protocol != nil {
		return true
	}
	for _, a := range tx.adds {
		if a.DataChange {
			return true
		}
	}
	for _, r := range tx.removes {
		if r.DataChange {
			return true
		}
	}
	return false
}

// Commit writes the transaction as the next version of the table and
// returns that version. When another writer took the version first, Commit
// reads the winning commits and, unless they conflict logically with this
// transaction (a [*ConflictError]), retries at the following version.
//
// After committing a version that is a multiple of the checkpoint interval
// Commit writes a checkpoint before it returns (in the background with
// [CommitOptions.BackgroundCheckpoints]); a checkpoint failure is logged,
// not returned, since the commit itself succeeded.
func (tx *Transaction) Commit(ctx context.Context) (int64, error) {
	t := tx.table
	if tx.committed {
		return -1, fmt.Errorf("delta: table %s: transaction already committed", t.Location())
	}
	now := t.now()
	if err := tx.validate(now); err != nil {
		return -1, err
	}
	if tx.snap != nil {
		for _, x := range tx.txns {
			if cur, ok := tx.snap.Txns[x.AppID]; ok && cur.Version >= x.Version {
				return -1, fmt.Errorf("delta: table %s: app %s version %d (table has %d): %w",
					t.Location(), x.AppID, x.Version, cur.Version, ErrTxnAlreadyCommitted)
			}
		}
	}
	data, err := tx.encode(now)
	if err != nil {
		return -1, fmt.Errorf("delta: table %s: encode commit: %w", t.Location(), err)
	}
	checker := newConflictChecker(tx)
	version := tx.readVersion + 1
	maxAttempts := t.maxRetries() + 1
	for attempt := 0; ; attempt++ {
		err := t.store.PutIfAbsent(ctx, CommitFileName(version), data)
		if storage.IsUnknownOutcome(err) {
			err = tx.resolveUnknown(ctx, version, data, err)
		}
		if err == nil {
			break
		}
		if errors.Is(err, errRetrySameVersion) && attempt+1 < maxAttempts {
			if err := sleepBackoff(ctx, t.commit.Backoff, attempt); err != nil {
				return -1, fmt.Errorf("delta: table %s: commit %d: %w", t.Location(), version, err)
			}
			continue
		}
		if !storage.IsExist(err) {
			return -1, fmt.Errorf("delta: table %s: commit %d: %w", t.Location(), version, err)
		}
		next, err := tx.checkWinners(ctx, checker, version)
		if err != nil {
			return -1, err
		}
		if attempt+1 >= maxAttempts {
			return -1, fmt.Errorf("delta: table %s: commit %d: gave up after %d attempts: %w",
				t.Location(), version, attempt+1, ErrTooManyRetries)
		}
		t.logger().Debug("delta: lost commit race, retrying",
			"table", t.Location(), "version", version, "next", next, "attempt", attempt+1)
		version = next
		if err := sleepBackoff(ctx, t.commit.Backoff, attempt); err != nil {
			return -1, fmt.Errorf("delta: table %s: commit %d: %w", t.Location(), version, err)
		}
	}
	tx.committed = true
	tx.postCommit(ctx, version)
	return version, nil
}

// errRetrySameVersion says that a commit of unknown outcome did not land
// (the version file is absent): the same version is tried again.
var errRetrySameVersion = errors.New("commit did not land; retrying the same version")

// resolveUnknown decides a commit whose PutIfAbsent had an unknown outcome
// (on an object store: no answer came back, or the store's retry of our
// own write was refused) by reading the version file back. The commit's
// bytes are unique to this transaction (commitInfo carries its txnId), so
// equal bytes mean the commit is ours (nil), other bytes that another
// writer took the version (ErrExist: the usual conflict check follows),
// and no file that it did not land (errRetrySameVersion: putting it again
// is safe, as a late arrival of our first request would then be refused
// and resolved here as ours).
func (tx *Transaction) resolveUnknown(ctx context.Context, version int64, data []byte, cause error) error {
	t := tx.table
	outcome, err := storage.ResolvePut(ctx, t.store, CommitFileName(version), data)
	switch {
	case err == nil && outcome == storage.PutOurs:
		t.logger().Info("delta: commit of unknown outcome is ours",
			"table", t.Location(), "version", version, "cause", cause.Error())
		return nil
	case err == nil:
		return fmt.Errorf("%w (after: %v)", storage.ErrExist, cause)
	case storage.IsNotExist(err):
		return fmt.Errorf("%w: %v", errRetrySameVersion, cause)
	default:
		return fmt.Errorf("%w; resolving it by reading the version back: %w", cause, err)
	}
}

// checkWinners reads the commits from version on (the first of them is
// known to exist), checks each against the transaction, and returns the
// version to try next.
func (tx *Transaction) checkWinners(ctx context.Context, checker *conflictChecker, version int64) (int64, error) {
	t := tx.table
	for v := version; ; v++ {
		actions, err := t.ReadCommit(ctx, v)
		if err != nil {
			if v > version && isMissingCommit(err) {
				return v, nil
			}
			return -1, fmt.Errorf("delta: table %s: commit %d: read winning commit %d: %w", t.Location(), version, v, err)
		}
		if err := checker.check(v, actions); err != nil {
			return -1, err
		}
	}
}

func isMissingCommit(err error) bool {
	return storage.IsNotExist(err) || errors.Is(err, ErrVersionNotFound)
}

// sleepBackoff waits before attempt+1: base·2^min(attempt,6), jittered in
// [½, 1½), and never for the first retry so a writer that merely fell
// behind catches up at once.
func sleepBackoff(ctx context.Context, base time.Duration, attempt int) error {
	if attempt == 0 {
		return ctx.Err()
	}
	if base <= 0 {
		base = time.Millisecond
	}
	d := base << min(attempt-1, 6)
	d = d/2 + rand.N(d)
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// postCommit writes a checkpoint when version is due for one: before
// Commit returns, or in the background when
// CommitOptions.BackgroundCheckpoints says so. A background checkpoint never delays a commit: at most
// one is written at a time per Table; a checkpoint that comes due while
// one is being written is written after it (only the newest of those),
// and a failure is logged. The checkpoint file is put atomically and
// _last_checkpoint after it, so a process that exits meanwhile leaves no
// partial checkpoint: only none, or one the hint does not name yet (a
// reader lists the log past the hint). [Table.WaitCheckpoints] waits for
// the background checkpoints.
func (tx *Transaction) postCommit(ctx context.Context, version int64) {
	t := tx.table
	interval := tx.checkpointInterval()
	if interval <= 0 || version <= 0 || version%int64(interval) != 0 {
		return
	}
	// The table's newest snapshot is usually the one before this commit:
	// advancing it reads one commit (ours) instead of the log segment.
	// When another writer committed since, the checkpoint reads the
	// version afresh.
	snap, err := t.latestSnapshot(ctx)
	if err != nil || snap.Version != version {
		snap = nil
	}
	job := &checkpointJob{ctx: context.WithoutCancel(ctx), version: version, snap: snap}
	if !t.commit.BackgroundCheckpoints || t.latest == nil {
		job.run(t)
		return
	}
	t.latest.startCheckpoint(t, job)
}

// checkpointJob is a checkpoint of version due after a commit; snap is
// the snapshot of version when the committer had it.
type checkpointJob struct {
	ctx     context.Context
	version int64
	snap    *Snapshot
}

func (j *checkpointJob) run(t *Table) {
	snap, err := j.snap, error(nil)
	if snap == nil {
		snap, err = t.SnapshotAt(j.ctx, j.version)
	}
	if err == nil {
		err = t.WriteCheckpoint(j.ctx, snap)
	}
	if err != nil {
		t.logger().Warn("delta: checkpoint failed", "table", t.Location(), "version", j.version, "err", err)
	}
}

// startCheckpoint writes job's checkpoint in the background, after the
// one being written if there is one.
func (c *latestCache) startCheckpoint(t *Table, job *checkpointJob) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bgRunning {
		if c.bgNext == nil || job.version > c.bgNext.version {
			c.bgNext = job
		}
		return
	}
	c.bgRunning = true
	c.bgIdle = make(chan struct{})
	go func() {
		for job != nil {
			job.run(t)
			c.mu.Lock()
			job, c.bgNext = c.bgNext, nil
			if job == nil {
				c.bgRunning = false
				close(c.bgIdle)
			}
			c.mu.Unlock()
		}
	}()
}

// WaitCheckpoints waits until the checkpoints that commits of this Table
// write in the background are written (or have failed, which is logged),
// or until ctx is done. A program that wants the checkpoint on storage
// before it exits, or a test that looks for it, calls it after its last
// commit; an exit without it is safe (see [Transaction.Commit]).
func (t *Table) WaitCheckpoints(ctx context.Context) error {
	c := t.latest
	if c == nil {
		return nil
	}
	c.mu.Lock()
	idle := c.bgIdle
	c.mu.Unlock()
	if idle == nil {
		return nil
	}
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (tx *Transaction) checkpointInterval() int {
	if ci := tx.table.commit.CheckpointInterval; ci != 0 {
		return ci
	}
	var conf map[string]string
	if tx.metadata != nil {
		conf = tx.metadata.Configuration
	} else if tx.snap != nil {
		conf = tx.snap.Metadata.Configuration
	}
	if s, ok := conf[CheckpointIntervalKey]; ok {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n > 0 {
			return n
		}
	}
	return DefaultCheckpointInterval
}

// validate checks the transaction before its first commit attempt and
// fills in the defaults of a new table's metadata and protocol.
func (tx *Transaction) validate(now time.Time) error {
	t := tx.table
	loc := t.Location()
	fail := func(format string, args ...any) error {
		return fmt.Errorf("delta: table %s: commit %d: %s", loc, tx.readVersion+1, fmt.Sprintf(format, args...))
	}
	if tx.readVersion < 0 {
		if tx.metadata == nil {
			return fail("a new table needs metadata")
		}
		if tx.protocol == nil {
			tx.protocol = &Protocol{MinReaderVersion: 1, MinWriterVersion: 2}
		}
		m := tx.metadata
		if m.ID == "" {
			m.ID = t.newID()
		}
		if m.Format.Provider == "" {
			m.Format.Provider = "parquet"
		}
		if m.Format.Options == nil {
			m.Format.Options = map[string]string{}
		}
		if m.CreatedTime == nil {
			ms := now.UnixMilli()
			m.CreatedTime = &ms
		}
	}
	if m := tx.metadata; m != nil {
		if m.Format.Provider != "parquet" {
			return fail("unsupported data format %q", m.Format.Provider)
		}
		if m.PartitionColumns == nil {
			m.PartitionColumns = []string{}
		}
		if m.Configuration == nil {
			m.Configuration = map[string]string{}
		}
		if m.Format.Options == nil {
			m.Format.Options = map[string]string{}
		}
		schema, err := m.Schema()
		if err != nil {
			return fail("metadata: %v", err)
		}
		seen := map[string]bool{}
		for _, c := range m.PartitionColumns {
			if seen[c] {
				return fail("partition column %q listed twice", c)
			}
			seen[c] = true
			f, i := schema.Field(c)
			if i < 0 {
				return fail("partition column %q is not in the schema %s", c, schema)
			}
			switch f.Type.(type) {
			case PrimitiveType, DecimalType:
			default:
				return fail("partition column %q has type %s; partition columns must be primitive", c, f.Type)
			}
		}
	}
	protocol := tx.protocol
	if protocol == nil && tx.snap != nil {
		protocol = &tx.snap.Protocol
	}
	if tx.protocol != nil && tx.snap != nil {
		if tx.protocol.MinReaderVersion < tx.snap.Protocol.MinReaderVersion ||
			tx.protocol.MinWriterVersion < tx.snap.Protocol.MinWriterVersion {
			return fail("protocol %d/%d would downgrade the table's %d/%d", tx.protocol.MinReaderVersion,
				tx.protocol.MinWriterVersion, tx.snap.Protocol.MinReaderVersion, tx.snap.Protocol.MinWriterVersion)
		}
	}
	if protocol != nil {
		if err := CheckWriteSupport(loc, *protocol); err != nil {
			return fmt.Errorf("delta: commit %d: %w", tx.readVersion+1, err)
		}
	}
	partCols := tx.partitionColumns()
	for _, a := range tx.adds {
		if a == nil {
			return fail("nil add")
		}
		if err := checkRelativePath(a.Path); err != nil {
			return fail("add %q: %v", a.Path, err)
		}
		if a.Size < 0 {
			return fail("add %q: negative size %d", a.Path, a.Size)
		}
		if len(a.PartitionValues) != len(partCols) {
			return fail("add %q: partition values for %d columns, the table has %d (%s)",
				a.Path, len(a.PartitionValues), len(partCols), strings.Join(partCols, ", "))
		}
		for _, c := range partCols {
			if _, ok := a.PartitionValues[c]; !ok {
				return fail("add %q: no value for partition column %q", a.Path, c)
			}
		}
		if a.PartitionValues == nil {
			a.PartitionValues = map[string]*string{}
		}
	}
	appendOnly := false
	if tx.metadata != nil {
		appendOnly = tx.metadata.Configuration[AppendOnlyKey] == "true"
	} else if tx.snap != nil {
		appendOnly = tx.snap.Metadata.Configuration[AppendOnlyKey] == "true"
	}
	for _, r := range tx.removes {
		if r == nil {
			return fail("nil remove")
		}
		if appendOnly && r.DataChange {
			return fail("remove %q: the table is append-only (%s=true); only dataChange=false removes (compaction) are allowed", r.Path, AppendOnlyKey)
		}
		if r.Path == "" {
			return fail("remove with an empty path")
		}
		if r.DeletionTimestamp == nil {
			ms := now.UnixMilli()
			r.DeletionTimestamp = &ms
		}
	}
	for _, x := range tx.txns {
		if x.AppID == "" {
			return fail("txn with an empty appId")
		}
	}
	return nil
}

// partitionColumns returns the partition columns the commit writes for.
func (tx *Transaction) partitionColumns() []string {
	if tx.metadata != nil {
		return tx.metadata.PartitionColumns
	}
	if tx.snap != nil {
		return tx.snap.Metadata.PartitionColumns
	}
	return nil
}

// checkRelativePath refuses absolute paths, URIs and parent references: a
// streamgen writer only adds files under the table root.
func checkRelativePath(p string) error {
	if p == "" {
		return errors.New("empty path")
	}
	if strings.HasPrefix(p, "/") || strings.Contains(p, "://") || strings.Contains(p, "\\") {
		return errors.New("path must be relative to the table root")
	}
	dec, err := DecodePath(p)
	if err != nil {
		return err
	}
	if c := path.Clean(dec); c == ".." || strings.HasPrefix(c, "../") || strings.HasPrefix(dec, "/") {
		return errors.New("path leaves the table root")
	}
	return nil
}

// encode builds the commit file: commitInfo, protocol, metaData, txn,
// removes, adds, one action per newline-terminated line.
func (tx *Transaction) encode(now time.Time) ([]byte, error) {
	t := tx.table
	ms := now.UnixMilli()
	ci := &CommitInfo{
		Timestamp:           &ms,
		Operation:           tx.operation,
		OperationParameters: tx.params,
		EngineInfo:          t.engineInfo(),
		TxnID:               t.newID(),
		OperationMetrics:    tx.operationMetrics(),
	}
	if ci.Operation == "" {
		ci.Operation = "WRITE"
		if tx.readVersion < 0 {
			ci.Operation = "CREATE TABLE"
			if ci.OperationParameters == nil && tx.metadata != nil {
				ci.OperationParameters = createTableParams(tx.metadata)
			}
		}
	}
	if ci.OperationParameters == nil {
		ci.OperationParameters = map[string]any{}
	}
	if tx.readVersion >= 0 {
		rv := tx.readVersion
		ci.ReadVersion = &rv
	}
	if tx.dataChange() {
		ci.IsolationLevel = "Serializable"
	} else {
		ci.IsolationLevel = "SnapshotIsolation"
	}
	blind := tx.isBlindAppend()
	ci.IsBlindAppend = &blind

	actions := []*Action{{CommitInfo: ci}}
	if tx.protocol != nil {
		actions = append(actions, &Action{Protocol: tx.protocol})
	}
	if tx.metadata != nil {
		actions = append(actions, &Action{Metadata: tx.metadata})
	}
	for i := range tx.txns {
		x := tx.txns[i]
		x.LastUpdated = &ms
		actions = append(actions, &Action{Txn: &x})
	}
	for _, r := range tx.removes {
		actions = append(actions, &Action{Remove: r})
	}
	for _, a := range tx.adds {
		actions = append(actions, &Action{Add: a})
	}
	var buf []byte
	for _, a := range actions {
		line, err := a.MarshalLine()
		if err != nil {
			return nil, err
		}
		buf = append(buf, line...)
		buf = append(buf, '\n')
	}
	return buf, nil
}

// createTableParams returns Spark's operationParameters of a CREATE
// TABLE commit: isManaged, partitionBy and properties as JSON strings.
func createTableParams(m *Metadata) map[string]any {
	parts, _ := json.Marshal(m.PartitionColumns)
	props, _ := json.Marshal(m.Configuration)
	params := map[string]any{
		"isManaged":   "false",
		"partitionBy": string(parts),
		"properties":  string(props),
	}
	if m.Description != nil {
		params["description"] = *m.Description
	}
	return params
}

// operationMetrics computes the standard metrics of the commit's actions
// and overlays the ones set with SetOperationMetrics.
func (tx *Transaction) operationMetrics() map[string]string {
	m := map[string]string{}
	if len(tx.adds) > 0 {
		var bytes, rows int64
		haveRows := true
		for _, a := range tx.adds {
			bytes += a.Size
			if n, ok := statsNumRecords(a.Stats); ok {
				rows += n
			} else {
				haveRows = false
			}
		}
		m["numFiles"] = strconv.Itoa(len(tx.adds))
		m["numOutputBytes"] = strconv.FormatInt(bytes, 10)
		if haveRows {
			m["numOutputRows"] = strconv.FormatInt(rows, 10)
		}
	}
	if len(tx.removes) > 0 {
		var bytes int64
		for _, r := range tx.removes {
			if r.Size != nil {
				bytes += *r.Size
			}
		}
		m["numRemovedFiles"] = strconv.Itoa(len(tx.removes))
		m["numRemovedBytes"] = strconv.FormatInt(bytes, 10)
	}
	for k, v := range tx.metrics {
		m[k] = v
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

// statsNumRecords extracts numRecords from an add's stats JSON.
func statsNumRecords(stats string) (int64, bool) {
	if stats == "" {
		return 0, false
	}
	var s struct {
		NumRecords *int64 `json:"numRecords"`
	}
	if json.Unmarshal([]byte(stats), &s) != nil || s.NumRecords == nil {
		return 0, false
	}
	return *s.NumRecords, true
}

// RemoveFor returns the remove action that tombstones add at time
// deletion, carrying its partition values, size and stats as Spark does
// (extendedFileMetadata).
func RemoveFor(add *Add, deletion time.Time, dataChange bool) *Remove {
	ms := deletion.UnixMilli()
	ext := true
	size := add.Size
	return &Remove{
		Path:                 add.Path,
		DeletionTimestamp:    &ms,
		DataChange:           dataChange,
		ExtendedFileMetadata: &ext,
		PartitionValues:      add.PartitionValues,
		Size:                 &size,
		Stats:                add.Stats,
		Tags:                 add.Tags,
	}
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
