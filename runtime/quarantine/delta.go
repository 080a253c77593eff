package quarantine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/streamgen/streamgen/runtime/delta"
)

// Operation is the commitInfo operation of the commits of [Delta], as
// for a streaming sink.
const Operation = "STREAMING UPDATE"

// The column names of the quarantine table, in schema order.
const (
	ColSource        = "source"
	ColFile          = "file"
	ColLine          = "line"
	ColOffset        = "offset"
	ColRaw           = "raw"
	ColRawBytes      = "raw_bytes"
	ColError         = "error"
	ColQueryID       = "query_id"
	ColQuarantinedAt = "quarantined_at"
)

// Schema returns the schema of the quarantine table (see the package
// documentation). Each call returns a new value.
func Schema() *delta.StructType {
	return &delta.StructType{Fields: []delta.StructField{
		{Name: ColSource, Type: delta.Integer},
		{Name: ColFile, Type: delta.String},
		{Name: ColLine, Type: delta.Long, Nullable: true},
		{Name: ColOffset, Type: delta.Long},
		{Name: ColRaw, Type: delta.String, Nullable: true},
		{Name: ColRawBytes, Type: delta.Binary, Nullable: true},
		{Name: ColError, Type: delta.String},
		{Name: ColQueryID, Type: delta.String},
		{Name: ColQuarantinedAt, Type: delta.Timestamp},
	}}
}

// Opt configures [NewDelta].
type Opt interface{ apply(*Delta) }

type opt func(*Delta)

func (o opt) apply(d *Delta) { o(d) }

// Clock sets the clock of the quarantined_at column and of the data
// files' modificationTime, overriding the default of the table's commit
// clock ([delta.CommitOptions]), else time.Now.
func Clock(now func() time.Time) Opt { return opt(func(d *Delta) { d.clock = now }) }

// Logger sets the logger, overriding the default slog.Default().
func Logger(l *slog.Logger) Opt { return opt(func(d *Delta) { d.logger = l }) }

// ParquetOptions sets the Parquet writer options of the data files,
// overriding the defaults of [delta.WriterOptions].
func ParquetOptions(o delta.WriterOptions) Opt { return opt(func(d *Delta) { d.writer = o }) }

// maxCreateRetries bounds the attempts of a write that loses the race to
// create the table.
const maxCreateRetries = 3

// Delta is a [Writer] appending the malformed records to a Delta table,
// one commit per batch, exactly once (see the package documentation). It
// is safe for concurrent use; its writes are serialised.
type Delta struct {
	table  *delta.Table
	clock  func() time.Time
	logger *slog.Logger
	writer delta.WriterOptions

	mu sync.Mutex
}

var _ Writer = (*Delta)(nil)

// NewDelta returns a Writer appending to table. It does no I/O: the table
// is created or checked by the first Write.
func NewDelta(table *delta.Table, opts ...Opt) *Delta {
	d := &Delta{table: table}
	for _, o := range opts {
		o.apply(d)
	}
	if d.logger == nil {
		d.logger = slog.Default()
	}
	return d
}

// Table returns the table the writer appends to.
func (d *Delta) Table() *delta.Table { return d.table }

func (d *Delta) now() time.Time {
	if d.clock != nil {
		return d.clock()
	}
	if c := d.table.CommitOptions().Clock; c != nil {
		return c()
	}
	return time.Now()
}

// Write implements [Writer]: it appends b's records to the table in one
// commit carrying txn{appId: AppID(b.QueryID, b.Source), version:
// b.Version}, or does nothing when the table already records that appId
// at b.Version or later. A batch without records commits nothing.
func (d *Delta) Write(ctx context.Context, b Batch) error {
	if d.table == nil {
		return errors.New("quarantine: nil table")
	}
	if err := b.check(); err != nil {
		return err
	}
	if len(b.Records) == 0 {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for attempt := 1; ; attempt++ {
		retry, err := d.write(ctx, b)
		if err == nil {
			return nil
		}
		if !retry || attempt == maxCreateRetries {
			return fmt.Errorf("quarantine: table %s: source %d, version %d: %w", d.table.Location(), b.Source, b.Version, err)
		}
		d.logger.Info("quarantine: lost the race to create the table; retrying",
			"table", d.table.Location(), "source", b.Source, "version", b.Version, "err", err)
	}
}

// write makes one attempt at committing b. It reports whether a failure
// is worth retrying from a fresh snapshot: the commit lost the race to
// create the table.
func (d *Delta) write(ctx context.Context, b Batch) (bool, error) {
	appID := AppID(b.QueryID, b.Source)
	tx, err := d.table.Begin(ctx)
	if err != nil {
		return false, err
	}
	schema := Schema()
	snap := tx.Snapshot()
	creating := snap == nil
	if creating {
		tx.SetMetadata(delta.Metadata{SchemaString: schema.SchemaString(), PartitionColumns: []string{}})
	} else {
		if cur, ok := snap.Txns[appID]; ok && cur.Version >= b.Version {
			d.logger.Info("quarantine: batch already quarantined, skipping",
				"table", d.table.Location(), "appId", appID, "version", b.Version,
				"tableTxnVersion", cur.Version, "tableVersion", snap.Version)
			return false, nil
		}
		if err := checkSchema(snap); err != nil {
			return false, err
		}
	}
	now := d.now().UTC().Truncate(time.Microsecond)
	rows := make([]delta.Row, len(b.Records))
	for i, r := range b.Records {
		rows[i] = toRow(b, r, now)
	}
	wopts := d.writer
	if wopts.Now == nil {
		wopts.Now = d.now
	}
	adds, err := delta.WriteRows(ctx, d.table.Storage(), schema, nil, rows, wopts)
	if err != nil {
		d.deleteFiles(ctx, adds)
		return false, err
	}
	tx.Add(adds...)
	tx.SetTxn(appID, b.Version)
	tx.SetOperation(Operation, map[string]any{
		"outputMode": "Append",
		"queryId":    b.QueryID,
		"epochId":    strconv.FormatInt(b.Version, 10),
	})
	version, err := tx.Commit(ctx)
	if err != nil {
		var conflict *delta.ConflictError
		isConflict := errors.As(err, &conflict)
		if isConflict || errors.Is(err, delta.ErrTxnAlreadyCommitted) {
			// The commit certainly did not happen: the files are garbage.
			d.deleteFiles(ctx, adds)
		}
		if errors.Is(err, delta.ErrTxnAlreadyCommitted) {
			d.logger.Info("quarantine: batch quarantined concurrently, skipping",
				"table", d.table.Location(), "appId", appID, "version", b.Version, "err", err)
			return false, nil
		}
		retry := creating && isConflict &&
			(conflict.Reason == delta.ConflictProtocolChanged || conflict.Reason == delta.ConflictMetadataChanged)
		return retry, err
	}
	d.logger.Debug("quarantine: batch quarantined", "table", d.table.Location(), "appId", appID,
		"version", b.Version, "tableVersion", version, "records", len(rows))
	return false, nil
}

// toRow converts a record to a row of Schema.
func toRow(b Batch, r Record, now time.Time) delta.Row {
	var line, raw, rawBytes any
	if r.Line != 0 {
		line = int64(r.Line)
	}
	if utf8.Valid(r.Raw) {
		raw = string(r.Raw)
	} else {
		rawBytes = append([]byte{}, r.Raw...)
	}
	return delta.Row{int32(b.Source), r.File, line, r.Offset, raw, rawBytes, r.Err, b.QueryID, now}
}

// checkSchema refuses a table whose schema is not the quarantine schema.
func checkSchema(snap *delta.Snapshot) error {
	if len(snap.Metadata.PartitionColumns) > 0 {
		return fmt.Errorf("not a quarantine table: it is partitioned by %s", strings.Join(snap.Metadata.PartitionColumns, ", "))
	}
	want := Schema()
	got := snap.Schema
	same := got != nil && len(got.Fields) == len(want.Fields)
	if same {
		for i, f := range want.Fields {
			g := got.Fields[i]
			if g.Name != f.Name || g.Type.String() != f.Type.String() || g.Nullable != f.Nullable {
				same = false
				break
			}
		}
	}
	if !same {
		return fmt.Errorf("not a quarantine table: its schema is %s, want %s", got, want)
	}
	return nil
}

// deleteFiles removes data files written for a commit that did not
// happen. Failures are logged: the files are unreferenced either way.
func (d *Delta) deleteFiles(ctx context.Context, adds []*delta.Add) {
	ctx = context.WithoutCancel(ctx)
	for _, a := range adds {
		name, err := a.DecodedPath()
		if err == nil {
			err = d.table.Storage().Delete(ctx, name)
		}
		if err != nil {
			d.logger.Warn("quarantine: cannot delete an uncommitted data file", "table", d.table.Location(),
				"file", a.Path, "err", err)
		}
	}
}
