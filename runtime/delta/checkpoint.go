package delta

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"

	"github.com/streamgen/streamgen/runtime/storage"
)

// LastCheckpointHint is the content of _delta_log/_last_checkpoint: the
// newest checkpoint a writer knew of. It is only a hint: it may be
// missing, stale or corrupt, and readers list the log forward from it.
type LastCheckpointHint struct {
	// Version is the checkpoint's table version.
	Version int64 `json:"version"`
	// Size is the number of actions in the checkpoint.
	Size int64 `json:"size"`
	// Parts is the number of parts of a multi-part checkpoint.
	Parts *int `json:"parts,omitempty"`
	// SizeInBytes is the checkpoint's total size in bytes.
	SizeInBytes *int64 `json:"sizeInBytes,omitempty"`
	// NumOfAddFiles is the number of add actions in the checkpoint.
	NumOfAddFiles *int64 `json:"numOfAddFiles,omitempty"`
	// CheckpointSchema is the checkpoint's schema, when the writer
	// recorded it.
	CheckpointSchema json.RawMessage `json:"checkpointSchema,omitempty"`
	// Checksum is the writer's checksum of the hint, when present.
	Checksum string `json:"checksum,omitempty"`
}

// ParseLastCheckpoint parses the content of _last_checkpoint. It accepts
// the snake_case spellings delta-rs writes (size_in_bytes,
// num_of_add_files) and ignores unknown fields. A missing or negative
// version, or a non-object, is an error.
func ParseLastCheckpoint(data []byte) (LastCheckpointHint, error) {
	var raw struct {
		Version          *int64          `json:"version"`
		Size             *int64          `json:"size"`
		Parts            *int            `json:"parts"`
		SizeInBytes      *int64          `json:"sizeInBytes"`
		SizeInBytesSnake *int64          `json:"size_in_bytes"`
		NumOfAddFiles    *int64          `json:"numOfAddFiles"`
		NumOfAddSnake    *int64          `json:"num_of_add_files"`
		CheckpointSchema json.RawMessage `json:"checkpointSchema"`
		Checksum         string          `json:"checksum"`
	}
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return LastCheckpointHint{}, errors.New("delta: _last_checkpoint is empty")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raw); err != nil {
		return LastCheckpointHint{}, fmt.Errorf("delta: _last_checkpoint: %w", err)
	}
	if raw.Version == nil {
		return LastCheckpointHint{}, errors.New("delta: _last_checkpoint: missing version")
	}
	if *raw.Version < 0 {
		return LastCheckpointHint{}, fmt.Errorf("delta: _last_checkpoint: negative version %d", *raw.Version)
	}
	if raw.Parts != nil && *raw.Parts < 1 {
		return LastCheckpointHint{}, fmt.Errorf("delta: _last_checkpoint: invalid parts %d", *raw.Parts)
	}
	h := LastCheckpointHint{Version: *raw.Version, Parts: raw.Parts, Checksum: raw.Checksum}
	if raw.Size != nil {
		h.Size = *raw.Size
	}
	h.SizeInBytes = raw.SizeInBytes
	if h.SizeInBytes == nil {
		h.SizeInBytes = raw.SizeInBytesSnake
	}
	h.NumOfAddFiles = raw.NumOfAddFiles
	if h.NumOfAddFiles == nil {
		h.NumOfAddFiles = raw.NumOfAddSnake
	}
	if len(raw.CheckpointSchema) > 0 && !bytes.Equal(raw.CheckpointSchema, []byte("null")) {
		h.CheckpointSchema = raw.CheckpointSchema
	}
	return h, nil
}

// readCheckpoint reads every action of a complete checkpoint, parts in
// order. Rows are reassembled generically from the file's own schema, so
// checkpoints of Spark, delta-rs and the kernel (different field order,
// "key_value" or "entries" map groups, missing or extra columns such as
// stats_parsed) all read. commitInfo rows are skipped.
func (t *Table) readCheckpoint(ctx context.Context, cp *CheckpointFiles) ([]*Action, error) {
	var out []*Action
	for _, part := range cp.Parts {
		data, err := t.store.Read(ctx, part.Name)
		if err != nil {
			if storage.IsNotExist(err) {
				return nil, &CorruptLogError{Table: t.Location(), File: part.Name, Version: cp.Version,
					Reason: "checkpoint file disappeared while reading"}
			}
			return nil, fmt.Errorf("delta: table %s: read %s: %w", t.Location(), part.Name, err)
		}
		actions, err := parseCheckpoint(data)
		if err != nil {
			return nil, &CorruptLogError{Table: t.Location(), File: part.Name, Version: cp.Version, Reason: err.Error()}
		}
		out = append(out, actions...)
	}
	return out, nil
}

// checkpointActionKeys are the top-level checkpoint columns that hold
// actions a snapshot needs.
var checkpointActionKeys = map[string]bool{
	TxnKey: true, AddKey: true, RemoveKey: true, MetadataKey: true, ProtocolKey: true,
	DomainMetadataKey: true,
}

// parseCheckpoint decodes the rows of one checkpoint parquet file into
// actions. It never panics on bad input.
func parseCheckpoint(data []byte) (actions []*Action, err error) {
	defer func() {
		if r := recover(); r != nil {
			actions, err = nil, fmt.Errorf("invalid checkpoint parquet: %v", r)
		}
	}()
	if err := checkParquetFooter(data); err != nil {
		return nil, fmt.Errorf("invalid checkpoint parquet: %w", err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("invalid checkpoint parquet: %w", err)
	}
	root := f.Schema()
	fields := root.Fields()
	// Leaf column range of each top-level field.
	type span struct {
		name       string
		node       parquet.Node
		start, end int
	}
	var spans []span
	col := 0
	for _, fld := range fields {
		n := numLeaves(fld)
		if checkpointActionKeys[fld.Name()] {
			spans = append(spans, span{fld.Name(), fld, col, col + n})
		}
		col += n
	}
	buf := make([]parquet.Row, 64)
	rowNo := 0
	for _, rg := range f.RowGroups() {
		rows := rg.Rows()
		for {
			n, rerr := rows.ReadRows(buf)
			for _, row := range buf[:n] {
				rowNo++
				cols := make([][]parquet.Value, col)
				row.Range(func(i int, vs []parquet.Value) bool {
					if i < len(cols) {
						cols[i] = vs
					}
					return true
				})
				var found *Action
				for _, sp := range spans {
					v, err := assembleValue(sp.node, cols[sp.start:sp.end], 0, 0)
					if err != nil {
						rows.Close()
						return nil, fmt.Errorf("row %d: %s: %w", rowNo, sp.name, err)
					}
					if v == nil {
						continue
					}
					line, err := json.Marshal(map[string]any{sp.name: v})
					if err != nil {
						rows.Close()
						return nil, fmt.Errorf("row %d: %s: %w", rowNo, sp.name, err)
					}
					a, err := ParseAction(line)
					if err != nil {
						rows.Close()
						return nil, fmt.Errorf("row %d: %w", rowNo, err)
					}
					if found != nil {
						rows.Close()
						return nil, fmt.Errorf("row %d: more than one action (%s and %s)", rowNo, found.Kind(), a.Kind())
					}
					found = a
				}
				if found != nil {
					actions = append(actions, found)
				}
			}
			if rerr == io.EOF {
				break
			}
			if rerr != nil {
				rows.Close()
				return nil, fmt.Errorf("read rows: %w", rerr)
			}
			if n == 0 {
				break
			}
		}
		if err := rows.Close(); err != nil {
			return nil, fmt.Errorf("read rows: %w", err)
		}
	}
	return actions, nil
}

// numLeaves counts the leaf columns under node.
func numLeaves(node parquet.Node) int {
	if node.Leaf() {
		return 1
	}
	n := 0
	for _, f := range node.Fields() {
		n += numLeaves(f)
	}
	return n
}

func isMapNode(node parquet.Node) bool {
	if node.Leaf() {
		return false
	}
	if lt := node.Type().LogicalType(); lt != nil && isMapLogical(lt) {
		return true
	}
	if ct := node.Type().ConvertedType(); ct != nil && (*ct == deprecated.Map || *ct == deprecated.MapKeyValue) {
		return true
	}
	return false
}

func isListNode(node parquet.Node) bool {
	if node.Leaf() {
		return false
	}
	if lt := node.Type().LogicalType(); lt != nil && isListLogical(lt) {
		return true
	}
	ct := node.Type().ConvertedType()
	return ct != nil && *ct == deprecated.List
}

// assembleValue rebuilds the value of node for one row from its leaf
// columns' values, following the Dremel definition and repetition
// levels: groups become map[string]any, MAP groups map[string]any, LIST
// groups []any, leaves bool, int64, float64 or string. A null is nil.
// def and rep are the levels reached by node's parent.
func assembleValue(node parquet.Node, cols [][]parquet.Value, def, rep int) (any, error) {
	if len(cols) == 0 {
		return nil, nil
	}
	if len(cols[0]) == 0 {
		return nil, fmt.Errorf("column has no value")
	}
	switch {
	case node.Repeated():
		return assembleRepeated(cols, def, rep, func(c [][]parquet.Value, d, r int) (any, error) {
			return assembleRequired(node, c, d, r)
		})
	case node.Optional():
		def++
		if cols[0][0].DefinitionLevel() < def {
			return nil, nil
		}
	}
	return assembleRequired(node, cols, def, rep)
}

// assembleRepeated splits the values of a repeated node into its
// elements and assembles each with elem.
func assembleRepeated(cols [][]parquet.Value, def, rep int, elem func([][]parquet.Value, int, int) (any, error)) ([]any, error) {
	def++
	rep++
	out := []any{}
	if cols[0][0].DefinitionLevel() < def {
		return out, nil
	}
	rest := make([][]parquet.Value, len(cols))
	copy(rest, cols)
	cur := make([][]parquet.Value, len(cols))
	for len(rest[0]) > 0 {
		for i, c := range rest {
			if len(c) == 0 {
				return nil, fmt.Errorf("repeated columns out of step")
			}
			k := 1
			for k < len(c) && c[k].RepetitionLevel() > rep {
				k++
			}
			cur[i], rest[i] = c[:k], c[k:]
		}
		v, err := elem(cur, def, rep)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func assembleRequired(node parquet.Node, cols [][]parquet.Value, def, rep int) (any, error) {
	if node.Leaf() {
		return leafValue(node, cols[0][0])
	}
	fields := node.Fields()
	if (isMapNode(node) || isListNode(node)) && len(fields) == 1 && fields[0].Repeated() && !fields[0].Leaf() {
		inner := fields[0]
		innerFields := inner.Fields()
		if isMapNode(node) && len(innerFields) == 2 {
			kn := numLeaves(innerFields[0])
			m := map[string]any{}
			_, err := assembleRepeated(cols, def, rep, func(c [][]parquet.Value, d, r int) (any, error) {
				k, err := assembleValue(innerFields[0], c[:kn], d, r)
				if err != nil {
					return nil, err
				}
				v, err := assembleValue(innerFields[1], c[kn:], d, r)
				if err != nil {
					return nil, err
				}
				ks, ok := k.(string)
				if !ok {
					ks = fmt.Sprint(k)
				}
				m[ks] = v
				return nil, nil
			})
			return m, err
		}
		if isListNode(node) {
			return assembleRepeated(cols, def, rep, func(c [][]parquet.Value, d, r int) (any, error) {
				if len(innerFields) == 1 {
					return assembleValue(innerFields[0], c, d, r)
				}
				return assembleRequired(inner, c, d, r)
			})
		}
	}
	m := make(map[string]any, len(fields))
	off := 0
	for _, f := range fields {
		n := numLeaves(f)
		if off+n > len(cols) {
			return nil, fmt.Errorf("schema and row disagree")
		}
		v, err := assembleValue(f, cols[off:off+n], def, rep)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name(), err)
		}
		m[f.Name()] = v
		off += n
	}
	return m, nil
}

// cpJulianUnixEpoch is the Julian day number of 1970-01-01.
const cpJulianUnixEpoch = 2440588

func leafValue(node parquet.Node, v parquet.Value) (any, error) {
	if v.IsNull() {
		return nil, nil
	}
	switch v.Kind() {
	case parquet.Boolean:
		return v.Boolean(), nil
	case parquet.Int32:
		return int64(v.Int32()), nil
	case parquet.Int64:
		return v.Int64(), nil
	case parquet.Int96:
		// Legacy timestamp: nanoseconds of the day, then the Julian day.
		i := v.Int96()
		nanos := int64(i[1])<<32 | int64(i[0])
		days := int64(i[2]) - cpJulianUnixEpoch
		return days*86_400_000 + nanos/1_000_000, nil
	case parquet.Float:
		return float64(v.Float()), nil
	case parquet.Double:
		return v.Double(), nil
	case parquet.ByteArray, parquet.FixedLenByteArray:
		return string(v.ByteArray()), nil
	}
	return nil, fmt.Errorf("column %s: unsupported parquet type %v", node.Type(), v.Kind())
}

func isMapLogical(lt *format.LogicalType) bool {
	_, ok := lt.Value.(*format.MapType)
	return ok
}

func isListLogical(lt *format.LogicalType) bool {
	_, ok := lt.Value.(*format.ListType)
	return ok
}

// Checkpoint rows, in the shape of PROTOCOL.md "Checkpoint Schema" and of
// the checkpoints Spark writes: one optional group per action, every
// field optional, maps with optional values, 3-level lists.
type (
	cpRow struct {
		Txn            *cpTxn            `parquet:"txn,optional"`
		Add            *cpAdd            `parquet:"add,optional"`
		Remove         *cpRemove         `parquet:"remove,optional"`
		MetaData       *cpMetadata       `parquet:"metaData,optional"`
		Protocol       *cpProtocol       `parquet:"protocol,optional"`
		DomainMetadata *cpDomainMetadata `parquet:"domainMetadata,optional"`
	}
	cpTxn struct {
		AppID       *string `parquet:"appId,optional"`
		Version     *int64  `parquet:"version,optional"`
		LastUpdated *int64  `parquet:"lastUpdated,optional"`
	}
	cpAdd struct {
		Path             *string            `parquet:"path,optional"`
		PartitionValues  map[string]*string `parquet:"partitionValues,optional"`
		Size             *int64             `parquet:"size,optional"`
		ModificationTime *int64             `parquet:"modificationTime,optional"`
		DataChange       *bool              `parquet:"dataChange,optional"`
		Tags             map[string]*string `parquet:"tags,optional"`
		BaseRowID        *int64             `parquet:"baseRowId,optional"`
		Stats            *string            `parquet:"stats,optional"`
	}
	cpRemove struct {
		Path                 *string            `parquet:"path,optional"`
		DeletionTimestamp    *int64             `parquet:"deletionTimestamp,optional"`
		DataChange           *bool              `parquet:"dataChange,optional"`
		ExtendedFileMetadata *bool              `parquet:"extendedFileMetadata,optional"`
		PartitionValues      map[string]*string `parquet:"partitionValues,optional"`
		Size                 *int64             `parquet:"size,optional"`
		Tags                 map[string]*string `parquet:"tags,optional"`
		Stats                *string            `parquet:"stats,optional"`
	}
	cpFormat struct {
		Provider *string            `parquet:"provider,optional"`
		Options  map[string]*string `parquet:"options,optional"`
	}
	cpMetadata struct {
		ID               *string            `parquet:"id,optional"`
		Name             *string            `parquet:"name,optional"`
		Description      *string            `parquet:"description,optional"`
		Format           *cpFormat          `parquet:"format,optional"`
		SchemaString     *string            `parquet:"schemaString,optional"`
		PartitionColumns []string           `parquet:"partitionColumns,optional,list" parquet-element:",optional"`
		Configuration    map[string]*string `parquet:"configuration,optional"`
		CreatedTime      *int64             `parquet:"createdTime,optional"`
	}
	cpProtocol struct {
		MinReaderVersion *int32   `parquet:"minReaderVersion,optional"`
		MinWriterVersion *int32   `parquet:"minWriterVersion,optional"`
		ReaderFeatures   []string `parquet:"readerFeatures,optional,list" parquet-element:",optional"`
		WriterFeatures   []string `parquet:"writerFeatures,optional,list" parquet-element:",optional"`
	}
	cpDomainMetadata struct {
		Domain        *string `parquet:"domain,optional"`
		Configuration *string `parquet:"configuration,optional"`
		Removed       *bool   `parquet:"removed,optional"`
	}
)

func ptr[T any](v T) *T { return &v }

// optString maps "" to nil.
func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// optMap copies a string map into the checkpoint's optional-value form;
// nil stays nil unless keepEmpty.
func optMap(m map[string]string, keepEmpty bool) map[string]*string {
	if m == nil && !keepEmpty {
		return nil
	}
	out := make(map[string]*string, len(m))
	for k, v := range m {
		out[k] = ptr(v)
	}
	return out
}

// partitionMap copies partition values; a non-nil map is always written
// (PROTOCOL.md: partitionValues is required).
func partitionMap(m map[string]*string) map[string]*string {
	out := make(map[string]*string, len(m))
	for k, v := range m {
		if v != nil {
			v = ptr(*v)
		}
		out[k] = v
	}
	return out
}

// tombstoneRetention returns the table's
// delta.deletedFileRetentionDuration, or the one-week default when it is
// unset or does not parse.
func tombstoneRetention(s *Snapshot) time.Duration {
	if v, ok := s.Metadata.Configuration[DeletedFileRetentionKey]; ok {
		if d, err := ParseInterval(v); err == nil {
			return d
		}
		slog.Debug("delta: ignoring invalid "+DeletedFileRetentionKey, "value", v)
	}
	return DefaultRetention
}

// checkpointRows converts a snapshot into checkpoint rows: protocol,
// metaData, txns, domain metadata, active files, then the tombstones that
// have not expired at the snapshot's time. A tombstone without
// deletionTimestamp is kept. Like Spark, adds and removes are written
// with dataChange=false: a checkpoint records state, not a change.
func checkpointRows(snap *Snapshot) (rows []cpRow, numAdds int) {
	p := snap.Protocol
	// Reader version 3 and writer version 7 require the feature lists to
	// exist (PROTOCOL.md "Table Features"), even when empty.
	if p.ReaderFeatures == nil && p.MinReaderVersion == 3 {
		p.ReaderFeatures = []string{}
	}
	if p.WriterFeatures == nil && p.MinWriterVersion == 7 {
		p.WriterFeatures = []string{}
	}
	rows = append(rows, cpRow{Protocol: &cpProtocol{
		MinReaderVersion: ptr(int32(p.MinReaderVersion)),
		MinWriterVersion: ptr(int32(p.MinWriterVersion)),
		ReaderFeatures:   p.ReaderFeatures,
		WriterFeatures:   p.WriterFeatures,
	}})
	m := snap.Metadata
	rows = append(rows, cpRow{MetaData: &cpMetadata{
		ID:               ptr(m.ID),
		Name:             m.Name,
		Description:      m.Description,
		Format:           &cpFormat{Provider: ptr(m.Format.Provider), Options: optMap(m.Format.Options, true)},
		SchemaString:     ptr(m.SchemaString),
		PartitionColumns: append([]string{}, m.PartitionColumns...),
		Configuration:    optMap(m.Configuration, true),
		CreatedTime:      m.CreatedTime,
	}})
	apps := make([]string, 0, len(snap.Txns))
	for app := range snap.Txns {
		apps = append(apps, app)
	}
	sort.Strings(apps)
	for _, app := range apps {
		tx := snap.Txns[app]
		rows = append(rows, cpRow{Txn: &cpTxn{AppID: ptr(tx.AppID), Version: ptr(tx.Version), LastUpdated: tx.LastUpdated}})
	}
	domains := make([]string, 0, len(snap.Domains))
	for d := range snap.Domains {
		domains = append(domains, d)
	}
	sort.Strings(domains)
	for _, d := range domains {
		dm := snap.Domains[d]
		rows = append(rows, cpRow{DomainMetadata: &cpDomainMetadata{
			Domain: ptr(dm.Domain), Configuration: ptr(dm.Configuration), Removed: ptr(false)}})
	}
	for _, a := range snap.Files {
		rows = append(rows, cpRow{Add: &cpAdd{
			Path:             ptr(a.Path),
			PartitionValues:  partitionMap(a.PartitionValues),
			Size:             ptr(a.Size),
			ModificationTime: ptr(a.ModificationTime),
			DataChange:       ptr(false),
			Tags:             optMap(a.Tags, false),
			BaseRowID:        a.BaseRowID,
			Stats:            optString(a.Stats),
		}})
	}
	numAdds = len(snap.Files)
	cutoff := tombstoneCutoff(snap)
	for _, r := range snap.Tombstones {
		if r.DeletionTimestamp != nil && *r.DeletionTimestamp < cutoff {
			continue // expired: VACUUM may already have deleted the file
		}
		var pv map[string]*string
		if r.PartitionValues != nil {
			pv = partitionMap(r.PartitionValues)
		}
		rows = append(rows, cpRow{Remove: &cpRemove{
			Path:                 ptr(r.Path),
			DeletionTimestamp:    r.DeletionTimestamp,
			DataChange:           ptr(false),
			ExtendedFileMetadata: r.ExtendedFileMetadata,
			PartitionValues:      pv,
			Size:                 r.Size,
			Tags:                 optMap(r.Tags, false),
			Stats:                optString(r.Stats),
		}})
	}
	return rows, numAdds
}

// tombstoneCutoff returns the deletion time (Unix ms) before which a
// tombstone has expired at snap's time and is left out of its checkpoint.
func tombstoneCutoff(snap *Snapshot) int64 {
	return snap.Timestamp.Add(-tombstoneRetention(snap)).UnixMilli()
}

// checkpointedSnapshot returns the snapshot a reader gets from the
// checkpoint that checkpointRows(snap) and encodeCheckpoint write, read
// back with parseCheckpoint and replayed with no commit after it: what
// checkpointRows writes, as the checkpoint's parquet and the action JSON
// give it back. Adds and tombstones get dataChange=false, expired
// tombstones are dropped, fields the checkpoint has no column for
// (clusteringProvider) are gone, and nil lists and maps the checkpoint
// always writes come back empty. Its Segment is the checkpoint alone; its
// Timestamp is snap's (the commit time of its version, which a reader
// takes from that commit).
//
// ok is false when the result cannot be predicted exactly: a file or
// tombstone with a deletion vector (which the checkpoint does not carry,
// so the reader would key it differently). Every string of a snapshot
// comes from decoding JSON, so it is valid UTF-8 and survives the
// checkpoint's JSON step unchanged.
func checkpointedSnapshot(snap *Snapshot) (_ *Snapshot, ok bool) {
	p := snap.Protocol
	p.ReaderFeatures, p.WriterFeatures = slices.Clone(p.ReaderFeatures), slices.Clone(p.WriterFeatures)
	if p.ReaderFeatures == nil && p.MinReaderVersion == 3 {
		p.ReaderFeatures = []string{}
	}
	if p.WriterFeatures == nil && p.MinWriterVersion == 7 {
		p.WriterFeatures = []string{}
	}
	m := snap.Metadata
	m.PartitionColumns = append([]string{}, m.PartitionColumns...)
	m.Configuration = nonNilMap(m.Configuration)
	m.Format.Options = nonNilMap(m.Format.Options)
	files := make([]*Add, len(snap.Files))
	for i, a := range snap.Files {
		if a.DeletionVector != nil {
			return nil, false
		}
		pv := a.PartitionValues
		if pv == nil {
			pv = map[string]*string{}
		}
		files[i] = &Add{Path: a.Path, PartitionValues: pv, Size: a.Size, ModificationTime: a.ModificationTime,
			Stats: a.Stats, Tags: a.Tags, BaseRowID: a.BaseRowID}
	}
	cutoff := tombstoneCutoff(snap)
	tombstones := make([]*Remove, 0, len(snap.Tombstones))
	for _, r := range snap.Tombstones {
		if r.DeletionVector != nil {
			return nil, false
		}
		if r.DeletionTimestamp != nil && *r.DeletionTimestamp < cutoff {
			continue
		}
		tombstones = append(tombstones, &Remove{Path: r.Path, DeletionTimestamp: r.DeletionTimestamp,
			ExtendedFileMetadata: r.ExtendedFileMetadata, PartitionValues: r.PartitionValues, Size: r.Size,
			Stats: r.Stats, Tags: r.Tags})
	}
	domains := make(map[string]DomainMetadata, len(snap.Domains))
	for k, d := range snap.Domains {
		domains[k] = DomainMetadata{Domain: d.Domain, Configuration: d.Configuration}
	}
	return &Snapshot{
		Version:    snap.Version,
		Timestamp:  snap.Timestamp,
		Protocol:   p,
		Metadata:   m,
		Schema:     snap.Schema,
		Files:      files, // same keys as snap's, so in the same order
		Tombstones: tombstones,
		Txns:       maps.Clone(snap.Txns),
		Domains:    domains,
		Segment: &LogSegment{Version: snap.Version, Checkpoint: &CheckpointFiles{Version: snap.Version,
			Parts: []storage.FileInfo{{Name: CheckpointFileName(snap.Version)}}}},
		table: snap.table,
	}, true
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// encodeCheckpoint writes rows as one snappy-compressed parquet file.
func encodeCheckpoint(rows []cpRow) ([]byte, error) {
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[cpRow](&buf, parquet.Compression(&parquet.Snappy),
		parquet.CreatedBy("streamgen", "", ""))
	if _, err := w.Write(rows); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteCheckpoint writes a classic single-file checkpoint of snap.Version
// (PROTOCOL.md "Checkpoints": protocol, metaData, txns, domain metadata,
// active adds and unexpired tombstones), then, last, _last_checkpoint.
// A checkpoint already present for the version is left as it is (a
// checkpoint's content is determined by its version). _last_checkpoint
// is never moved back to an older version.
func (t *Table) WriteCheckpoint(ctx context.Context, snap *Snapshot) error {
	if snap == nil {
		return fmt.Errorf("delta: table %s: write checkpoint: nil snapshot", t.Location())
	}
	if err := CheckReadSupport(t.Location(), snap.Protocol); err != nil {
		return err
	}
	rows, numAdds := checkpointRows(snap)
	data, err := encodeCheckpoint(rows)
	if err != nil {
		return fmt.Errorf("delta: table %s: encode checkpoint of version %d: %w", t.Location(), snap.Version, err)
	}
	name := CheckpointFileName(snap.Version)
	// While the file is being put a Begin that lists it does not use it
	// (see latestCache.writing); once it is ours, the next Begin builds on
	// what a reader of it gets instead of reading it back.
	var cpSnap *Snapshot
	if t.latest != nil {
		if s, ok := checkpointedSnapshot(snap); ok {
			s.table = t
			cpSnap = s
		}
	}
	t.latest.beginWrite(snap.Version)
	err = t.store.PutIfAbsent(ctx, name, data)
	t.latest.endWrite(snap.Version, cpSnap, err == nil)
	switch {
	case storage.IsExist(err):
		// Another writer checkpointed this version first: describe its
		// file, not ours, in the hint.
		existing, rerr := t.store.Read(ctx, name)
		if rerr != nil {
			return fmt.Errorf("delta: table %s: read %s: %w", t.Location(), name, rerr)
		}
		actions, perr := parseCheckpoint(existing)
		if perr != nil {
			return &CorruptLogError{Table: t.Location(), File: name, Version: snap.Version, Reason: perr.Error()}
		}
		adds := 0
		for _, a := range actions {
			if a.Add != nil {
				adds++
			}
		}
		slog.DebugContext(ctx, "delta: checkpoint already exists", "table", t.Location(), "version", snap.Version)
		return t.writeLastCheckpoint(ctx, snap.Version, int64(len(actions)), int64(len(existing)), int64(adds))
	case err != nil:
		return fmt.Errorf("delta: table %s: write %s: %w", t.Location(), name, err)
	}
	return t.writeLastCheckpoint(ctx, snap.Version, int64(len(rows)), int64(len(data)), int64(numAdds))
}

// writeLastCheckpoint replaces _last_checkpoint unless it already names a
// newer checkpoint.
func (t *Table) writeLastCheckpoint(ctx context.Context, version, size, sizeInBytes, numAdds int64) error {
	if h := t.readLastCheckpoint(ctx); h != nil && h.Version > version {
		return nil
	}
	hint := LastCheckpointHint{Version: version, Size: size, SizeInBytes: &sizeInBytes, NumOfAddFiles: &numAdds}
	b, err := json.Marshal(hint)
	if err != nil {
		return fmt.Errorf("delta: table %s: encode _last_checkpoint: %w", t.Location(), err)
	}
	if err := t.store.Put(ctx, LastCheckpointName, b); err != nil {
		return fmt.Errorf("delta: table %s: write %s: %w", t.Location(), LastCheckpointName, err)
	}
	return nil
}
