package delta

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/google/uuid"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/compress/zstd"
	"github.com/parquet-go/parquet-go/encoding"

	"github.com/streamgen/streamgen/runtime/storage"
)

// WriterOptions configure [WriteRows], [WriteTyped] and [TypedWriter].
type WriterOptions struct {
	// Compression is the Parquet codec: "zstd" (the default), "snappy"
	// or "none".
	Compression string
	// CompressionLevel is the zstd level, 1 to 22, mapped to one of the
	// encoder's four speeds: 1-2 fastest, 3-5 default, 6-9 better, 10-22
	// best; 0 means 3, zstd's default. Other codecs ignore it.
	CompressionLevel int
	// Encoding chooses the data encodings. "" or "compact" (the default):
	// RLE_DICTIONARY for string and binary columns, a column falling back
	// to PLAIN once its dictionary passes 1 MiB in a row group (as
	// parquet-mr does), and DELTA_BINARY_PACKED for INT32 and INT64
	// columns (integers, dates, timestamps, decimals of up to 18 digits):
	// sorted or clustered numbers such as event times shrink to a few
	// bits a value, so there is far less for the codec to do. "plain":
	// PLAIN everywhere, for readers without the DELTA_* encodings (Spark's
	// vectorized reader before 3.3). (Before this option, strings were
	// written DELTA_LENGTH_BYTE_ARRAY, parquet-go's default.)
	Encoding string
	// TargetFileSize is the size in bytes at which a file is closed and
	// the next one started (default 128 MiB). The estimate counts
	// buffered data uncompressed, so files come out at or below it.
	TargetFileSize int64
	// RowGroupRows caps the rows of one row group (default 1Mi rows).
	RowGroupRows int64
	// Prefix starts every file name (default "part").
	Prefix string
	// Now gives the add actions' modificationTime (default time.Now).
	Now func() time.Time
}

const (
	defaultTargetFileSize = 128 << 20
	defaultRowGroupRows   = 1 << 20
	// writeBatchRows is how many rows are handed to the Parquet writer
	// between two file size checks.
	writeBatchRows = 1024
)

func (o WriterOptions) withDefaults() (WriterOptions, compress.Codec, string, error) {
	if o.TargetFileSize <= 0 {
		o.TargetFileSize = defaultTargetFileSize
	}
	if o.RowGroupRows <= 0 {
		o.RowGroupRows = defaultRowGroupRows
	}
	if o.Prefix == "" {
		o.Prefix = "part"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	switch strings.ToLower(o.Encoding) {
	case "", "compact", "plain":
	default:
		return o, nil, "", fmt.Errorf("delta: write: unknown encoding %q (want compact or plain)", o.Encoding)
	}
	switch strings.ToLower(o.Compression) {
	case "", "zstd":
		codec, err := zstdCodec(o.CompressionLevel)
		if err != nil {
			return o, nil, "", err
		}
		return o, codec, ".zstd", nil
	case "snappy":
		return o, &parquet.Snappy, ".snappy", nil
	case "none", "uncompressed":
		return o, &parquet.Uncompressed, "", nil
	}
	return o, nil, "", fmt.Errorf("delta: write: unknown compression %q (want zstd, snappy or none)", o.Compression)
}

// zstdCodecs are the zstd codecs by encoder speed, shared by every
// writer: a codec pools its encoders, which are costly to make (their
// match tables are megabytes).
var zstdCodecs = [...]*zstd.Codec{
	zstd.SpeedFastest:           {Level: zstd.SpeedFastest},
	zstd.SpeedDefault:           &parquet.Zstd,
	zstd.SpeedBetterCompression: {Level: zstd.SpeedBetterCompression},
	zstd.SpeedBestCompression:   {Level: zstd.SpeedBestCompression},
}

// zstdCodec returns the shared codec of a zstd level (0: the default).
func zstdCodec(level int) (*zstd.Codec, error) {
	if level == 0 {
		return &parquet.Zstd, nil
	}
	if level < 1 || level > 22 {
		return nil, fmt.Errorf("delta: write: zstd level %d out of range 1..22", level)
	}
	// klauspost/compress's EncoderLevelFromZstd mapping.
	switch {
	case level < 3:
		return zstdCodecs[zstd.SpeedFastest], nil
	case level < 6:
		return zstdCodecs[zstd.SpeedDefault], nil
	case level < 10:
		return zstdCodecs[zstd.SpeedBetterCompression], nil
	}
	return zstdCodecs[zstd.SpeedBestCompression], nil
}

// dictionaryMaxBytes is the dictionary size past which a column's pages
// fall back to PLAIN for the rest of the row group (parquet-mr's
// parquet.dictionary.page.size default).
const dictionaryMaxBytes = 1 << 20

func writerOptions(o WriterOptions, codec compress.Codec) []parquet.WriterOption {
	opts := []parquet.WriterOption{
		parquet.Compression(codec),
		// Version 1 data pages are what every reader (Spark, DuckDB,
		// delta-rs, older parquet-mr) handles.
		parquet.DataPageVersion(1),
		parquet.MaxRowsPerRowGroup(o.RowGroupRows),
		parquet.CreatedBy("streamgen", "", ""),
	}
	if strings.EqualFold(o.Encoding, "plain") {
		// parquet-go's own default for byte arrays is
		// DELTA_LENGTH_BYTE_ARRAY.
		opts = append(opts, parquet.DefaultEncodingFor(parquet.ByteArray, &parquet.Plain))
	} else {
		opts = append(opts,
			parquet.DefaultEncodingFor(parquet.ByteArray, &parquet.RLEDictionary),
			parquet.DictionaryMaxBytes(dictionaryMaxBytes),
			parquet.DefaultEncodingFor(parquet.Int32, &parquet.DeltaBinaryPacked),
			parquet.DefaultEncodingFor(parquet.Int64, &parquet.DeltaBinaryPacked),
		)
	}
	return opts
}

// fileNamer hands out "<prefix>-<seq>-<uuid>-c000<codec>.parquet" names.
type fileNamer struct {
	prefix, codec string
	seq           int
}

func (n *fileNamer) next(dir string) string {
	name := fmt.Sprintf("%s%s-%05d-%s-c000%s.parquet", dir, n.prefix, n.seq, uuid.NewString(), n.codec)
	n.seq++
	return name
}

// partitionLayout resolves partition columns against the schema.
type partitionLayout struct {
	columns    []string
	partFields []int // schema index of each partition column
	dataFields []int // schema indexes of the data columns
}

func newPartitionLayout(schema *StructType, partitionColumns []string) (*partitionLayout, error) {
	if schema == nil {
		return nil, fmt.Errorf("nil schema")
	}
	l := &partitionLayout{columns: partitionColumns}
	isPart := map[int]bool{}
	for _, c := range partitionColumns {
		f, i := schema.Field(c)
		if i < 0 {
			return nil, fmt.Errorf("partition column %q is not in the schema", c)
		}
		switch f.Type.(type) {
		case PrimitiveType, DecimalType:
		default:
			return nil, fmt.Errorf("partition column %q has type %s; partition columns must be primitive", c, f.Type)
		}
		if isPart[i] {
			return nil, fmt.Errorf("partition column %q listed twice", c)
		}
		isPart[i] = true
		l.partFields = append(l.partFields, i)
	}
	for i := range schema.Fields {
		if !isPart[i] {
			l.dataFields = append(l.dataFields, i)
		}
	}
	return l, nil
}

// partitionKey serialises partition values into a grouping key.
func partitionKey(columns []string, values map[string]*string) string {
	return string(appendPartitionKey(nil, columns, values))
}

// appendPartitionKey appends the grouping key of partition values to dst.
func appendPartitionKey(dst []byte, columns []string, values map[string]*string) []byte {
	for _, c := range columns {
		if v := values[c]; v == nil || *v == "" {
			dst = append(dst, 'N')
		} else {
			dst = append(dst, 'V')
			dst = strconv.AppendInt(dst, int64(len(*v)), 10)
			dst = append(dst, ':')
			dst = append(dst, *v...)
		}
	}
	return dst
}

// WriteRows writes rows (aligned with schema; partition columns included
// in the rows but not stored in the data files) to new Parquet files
// under the table root, at least one per distinct partition, in
// Hive-style directories ("col=value/", values escaped as Spark does,
// __HIVE_DEFAULT_PARTITION__ for null). It returns one add action per file
// (percent-encoded path, exact size, every partition column in
// partitionValues, dataChange=true, stats with numRecords and
// minValues/maxValues/nullCount of the data columns). Nothing is
// committed: hand the adds to a transaction. No rows give no files.
func WriteRows(ctx context.Context, store storage.Storage, schema *StructType, partitionColumns []string, rows []Row, opts WriterOptions) ([]*Add, error) {
	opts, codec, codecName, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	layout, err := newPartitionLayout(schema, partitionColumns)
	if err != nil {
		return nil, fmt.Errorf("delta: write: %w", err)
	}
	plan, err := newWritePlan(schema, layout.dataFields)
	if err != nil {
		return nil, fmt.Errorf("delta: write: %w", err)
	}
	for ri, r := range rows {
		if len(r) != len(schema.Fields) {
			return nil, fmt.Errorf("delta: write: row %d has %d values, schema has %d fields", ri, len(r), len(schema.Fields))
		}
	}
	groups, err := groupByPartition(rows, partitionColumns, func(ri int) (map[string]*string, error) {
		values := make(map[string]*string, len(partitionColumns))
		for j, fi := range layout.partFields {
			s, err := FormatPartitionValue(rows[ri][fi], schema.Fields[fi].Type)
			if err != nil {
				return nil, fmt.Errorf("delta: write: row %d: column %s: %w", ri, partitionColumns[j], err)
			}
			values[partitionColumns[j]] = s
		}
		return values, nil
	})
	if err != nil {
		return nil, err
	}
	namer := &fileNamer{prefix: opts.Prefix, codec: codecName}
	var adds []*Add
	data := make([]any, len(layout.dataFields))
	for _, g := range groups {
		dir := partitionDir(partitionColumns, g.values)
		for start := 0; start < len(g.rows); {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			var buf bytes.Buffer
			w := parquet.NewWriter(&buf, append(writerOptions(opts, codec), plan.schema)...)
			stats := newStatsCollector(schema, layout.dataFields)
			batch := make([]parquet.Row, 0, writeBatchRows)
			var slab parquet.Row // backing store of the batch's rows
			end := start
			for end < len(g.rows) {
				batch = batch[:0]
				slab = slab[:0]
				var bounds []int
				for ; end < len(g.rows) && len(batch) < writeBatchRows; end++ {
					r := g.rows[end]
					for k, fi := range layout.dataFields {
						data[k] = r[fi]
					}
					var err error
					if slab, err = plan.shred(slab, data); err != nil {
						return nil, fmt.Errorf("delta: write: row %d: %w", end, err)
					}
					stats.add(data)
					bounds = append(bounds, len(slab))
					batch = append(batch, nil)
				}
				prev := 0
				for k, b := range bounds {
					batch[k] = slab[prev:b:b]
					prev = b
				}
				if _, err := w.WriteRows(batch); err != nil {
					return nil, fmt.Errorf("delta: write: %w", err)
				}
				if w.Size() >= opts.TargetFileSize {
					break
				}
			}
			if err := w.Close(); err != nil {
				return nil, fmt.Errorf("delta: write: %w", err)
			}
			add, err := putDataFile(ctx, store, namer.next(dir), buf.Bytes(), g.values, partitionColumns, stats.json(), opts)
			if err != nil {
				return nil, err
			}
			adds = append(adds, add)
			start = end
		}
	}
	return adds, nil
}

// putDataFile stores one data file and describes it as an add action.
func putDataFile(ctx context.Context, store storage.Storage, name string, data []byte, values map[string]*string, partitionColumns []string, stats string, opts WriterOptions) (*Add, error) {
	if err := store.Put(ctx, name, data); err != nil {
		return nil, fmt.Errorf("delta: write %s: %w", name, err)
	}
	return newDataFileAdd(name, int64(len(data)), values, partitionColumns, stats, opts), nil
}

// checkTypedSchema verifies that T's Parquet columns are data columns of
// schema (a partition or unknown column in T would be written into the
// data files).
func checkTypedSchema[T any](schema *StructType, layout *partitionLayout) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("type %T: %v", *new(T), r)
		}
	}()
	ps := parquet.SchemaOf(new(T))
	isData := map[string]bool{}
	for _, i := range layout.dataFields {
		isData[schema.Fields[i].Name] = true
	}
	for _, f := range ps.Fields() {
		if !isData[f.Name()] {
			return fmt.Errorf("type %T: parquet column %q is not a data column of the table", *new(T), f.Name())
		}
	}
	return nil
}

// statsFromFile builds the stats JSON of a written file (size bytes read
// from r) from its column chunk statistics. Only leaves reached through structs get min/max and
// null counts; array and map columns get none (their null count is not in
// the footer); decimals stored as byte arrays get no min/max (Parquet-go
// orders them as unsigned bytes).
func statsFromFile(r io.ReaderAt, size int64, schema *StructType, dataFields []int) (string, error) {
	f, err := parquet.OpenFile(r, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return "", err
	}
	// The file must read back as the table schema: this catches Go
	// struct tags that map a column to an incompatible Parquet type.
	for _, i := range dataFields {
		fld := schema.Fields[i]
		if col := childColumn(f.Root(), fld.Name); col != nil && fld.Type != Void {
			if _, err := buildReadNode(col, fld.Type, 0, 0, false); err != nil {
				return "", fmt.Errorf("column %s: %w", fld.Name, err)
			}
		}
	}
	c := newStatsCollector(schema, dataFields)
	c.records = f.NumRows()
	seen := map[*statsNode]bool{}
	leaves := map[string]*parquet.Column{}
	var walk func(col *parquet.Column)
	walk = func(col *parquet.Column) {
		if col.Leaf() {
			leaves[strings.Join(col.Path(), "\x00")] = col
			return
		}
		for _, ch := range col.Columns() {
			walk(ch)
		}
	}
	walk(f.Root())
	for ri, rg := range f.Metadata().RowGroups {
		for _, cc := range rg.Columns {
			path := cc.MetaData.PathInSchema
			n := findStatsLeaf(c.root, path)
			if n == nil {
				continue
			}
			seen[n] = true
			st := cc.MetaData.Statistics
			n.nulls += st.NullCount
			if !n.minmax || n.bad {
				continue
			}
			col := leaves[strings.Join(path, "\x00")]
			if col == nil {
				n.bad = true
				continue
			}
			kind := col.Type().Kind()
			if _, isDec := n.typ.(DecimalType); isDec && (kind == parquet.ByteArray || kind == parquet.FixedLenByteArray) {
				n.bad = true
				continue
			}
			nonNull := cc.MetaData.NumValues - st.NullCount
			if nonNull == 0 {
				continue
			}
			if st.MinValue == nil || st.MaxValue == nil {
				n.bad = true
				continue
			}
			if kind == parquet.Float || kind == parquet.Double {
				// The footer's min/max leave NaN out; Spark orders NaN
				// above every number, so a column holding one gets no
				// min/max, as in WriteRows.
				nan, err := chunkHasNaN(f.RowGroups()[ri].ColumnChunks()[col.Index()])
				if err != nil {
					return "", fmt.Errorf("column %s: %w", strings.Join(path, "."), err)
				}
				if nan {
					n.bad = true
					continue
				}
			}
			conv, err := leafConverter(col.Type(), n.typ)
			if err != nil {
				return "", fmt.Errorf("column %s: %w", strings.Join(path, "."), err)
			}
			lo, err1 := conv(kind.Value(st.MinValue))
			hi, err2 := conv(kind.Value(st.MaxValue))
			if err1 != nil || err2 != nil {
				n.bad = true
				continue
			}
			n.observeMinMax(lo, hi)
		}
	}
	// Leaves the file lacks are all null; arrays and maps are unknown.
	var mark func(nodes []*statsNode)
	mark = func(nodes []*statsNode) {
		for _, n := range nodes {
			switch {
			case n == nil:
			case n.children != nil:
				mark(n.children)
			case !seen[n]:
				switch n.typ.(type) {
				case *ArrayType, *MapType:
					n.noNulls = true
				default:
					n.nulls = c.records
				}
			}
		}
	}
	mark(c.root)
	return c.json(), nil
}

// chunkHasNaN reports whether a FLOAT or DOUBLE column chunk holds a NaN.
func chunkHasNaN(cc parquet.ColumnChunk) (bool, error) {
	pages := cc.Pages()
	defer pages.Close()
	buf := make([]parquet.Value, 1024)
	for {
		p, err := pages.ReadPage()
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		vr := p.Values()
		for {
			n, err := vr.ReadValues(buf)
			for _, v := range buf[:n] {
				if v.IsNull() {
					continue
				}
				if (v.Kind() == parquet.Double && math.IsNaN(v.Double())) ||
					(v.Kind() == parquet.Float && math.IsNaN(float64(v.Float()))) {
					parquet.Release(p)
					return true, nil
				}
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				parquet.Release(p)
				return false, err
			}
		}
		parquet.Release(p)
	}
}

// findStatsLeaf follows a Parquet column path through struct stats nodes
// to a primitive leaf; paths into arrays and maps give nil.
func findStatsLeaf(nodes []*statsNode, path []string) *statsNode {
	for len(path) > 0 {
		var found *statsNode
		for _, n := range nodes {
			if n != nil && n.name == path[0] {
				found = n
				break
			}
		}
		if found == nil {
			return nil
		}
		path = path[1:]
		if len(path) == 0 {
			if found.children != nil {
				return nil
			}
			switch found.typ.(type) {
			case *ArrayType, *MapType:
				return nil
			}
			return found
		}
		if found.children == nil {
			return nil
		}
		nodes = found.children
	}
	return nil
}

// writePlan is the Parquet schema of a table's data columns and the
// shredder turning Row values into Parquet leaf values with levels.
type writePlan struct {
	schema  *parquet.Schema
	fields  []*wnode // aligned with the data columns; nil for void
	numCols int
	cols    [][]parquet.Value // scratch, one slice per leaf column
}

type wkind int

const (
	wLeaf wkind = iota
	wStruct
	wList
	wMap
)

// wnode shreds the values of one Delta field.
type wnode struct {
	kind     wkind
	name     string
	nullable bool
	// first and last bound the leaf columns under the node.
	first, last int
	// leaf
	col  int
	conv func(any) (parquet.Value, error)
	// struct (nil entries are void fields)
	fields []*wnode
	// list/map: repetition level of the repeated group
	rep      int
	elem     *wnode
	key, val *wnode
}

func newWritePlan(schema *StructType, dataFields []int) (*writePlan, error) {
	p := &writePlan{}
	var group orderedGroup
	next := 0
	for _, i := range dataFields {
		f := schema.Fields[i]
		if f.Type == Void {
			p.fields = append(p.fields, nil)
			continue
		}
		node, wn, err := buildWriteNode(f.Name, f.Type, f.Nullable, 0, &next)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", f.Name, err)
		}
		p.fields = append(p.fields, wn)
		group = append(group, orderedField{Node: node, name: f.Name})
	}
	if len(group) == 0 {
		return nil, fmt.Errorf("schema has no data columns to write")
	}
	p.schema = parquet.NewSchema("spark_schema", group)
	p.numCols = next
	if got := len(p.schema.Columns()); got != next {
		return nil, fmt.Errorf("internal: parquet schema has %d columns, planned %d", got, next)
	}
	p.cols = make([][]parquet.Value, next)
	return p, nil
}

// buildWriteNode maps a Delta type to its Parquet node (see the type
// mapping in the package docs of WriteRows) and its shredder. rep is the
// repetition level of the enclosing repeated group.
func buildWriteNode(name string, t DataType, nullable bool, rep int, next *int) (parquet.Node, *wnode, error) {
	wn := &wnode{name: name, nullable: nullable, first: *next}
	var node parquet.Node
	switch t := t.(type) {
	case *StructType:
		var group orderedGroup
		wn.kind = wStruct
		for _, f := range t.Fields {
			if f.Type == Void {
				wn.fields = append(wn.fields, nil)
				continue
			}
			cn, cw, err := buildWriteNode(f.Name, f.Type, f.Nullable, rep, next)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", f.Name, err)
			}
			wn.fields = append(wn.fields, cw)
			group = append(group, orderedField{Node: cn, name: f.Name})
		}
		if len(group) == 0 {
			return nil, nil, fmt.Errorf("struct has no non-void fields")
		}
		node = group
	case *ArrayType:
		wn.kind = wList
		wn.rep = rep + 1
		en, ew, err := buildWriteNode("element", t.ElementType, t.ContainsNull, rep+1, next)
		if err != nil {
			return nil, nil, fmt.Errorf("element: %w", err)
		}
		wn.elem = ew
		node = parquet.List(en)
	case *MapType:
		wn.kind = wMap
		wn.rep = rep + 1
		kn, kw, err := buildWriteNode("key", t.KeyType, false, rep+1, next)
		if err != nil {
			return nil, nil, fmt.Errorf("key: %w", err)
		}
		vn, vw, err := buildWriteNode("value", t.ValueType, t.ValueContainsNull, rep+1, next)
		if err != nil {
			return nil, nil, fmt.Errorf("value: %w", err)
		}
		wn.key, wn.val = kw, vw
		node = parquet.Map(kn, vn)
	default:
		leaf, conv, err := leafWriter(t)
		if err != nil {
			return nil, nil, err
		}
		wn.kind = wLeaf
		wn.col = *next
		wn.conv = conv
		*next++
		node = leaf
	}
	wn.last = *next
	if nullable {
		node = parquet.Optional(node)
	} else {
		node = parquet.Required(node)
	}
	return node, wn, nil
}

// decimalBytes is the fixed length of a FIXED_LEN_BYTE_ARRAY decimal of
// the given precision: the fewest bytes whose two's complement range
// holds 10^precision - 1 (Spark's minBytesForPrecision).
func decimalBytes(precision int) int {
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(precision)), nil)
	for n := 1; ; n++ {
		if new(big.Int).Lsh(big.NewInt(1), uint(8*n-1)).Cmp(limit) >= 0 {
			return n
		}
	}
}

// leafWriter returns the Parquet leaf of a primitive or decimal type and
// the conversion of its Row values.
func leafWriter(t DataType) (parquet.Node, func(any) (parquet.Value, error), error) {
	bad := func(v any) (parquet.Value, error) {
		return parquet.Value{}, fmt.Errorf("value %v (%T) is not a %s", v, v, t)
	}
	switch t := t.(type) {
	case DecimalType:
		var pt parquet.Type
		n := 0
		switch {
		case t.Precision <= 9:
			pt = parquet.Int32Type
		case t.Precision <= 18:
			pt = parquet.Int64Type
		default:
			n = decimalBytes(t.Precision)
			pt = parquet.FixedLenByteArrayType(n)
		}
		limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(t.Precision)), nil)
		return parquet.Decimal(t.Scale, t.Precision, pt), func(v any) (parquet.Value, error) {
			d, ok := v.(Decimal)
			if !ok || d.Unscaled == nil {
				return bad(v)
			}
			d, err := rescaleDecimal(d, t.Scale)
			if err != nil {
				return parquet.Value{}, err
			}
			if new(big.Int).Abs(d.Unscaled).Cmp(limit) >= 0 {
				return parquet.Value{}, fmt.Errorf("decimal %s overflows %s", d, t)
			}
			switch {
			case t.Precision <= 9:
				return parquet.Int32Value(int32(d.Unscaled.Int64())), nil
			case t.Precision <= 18:
				return parquet.Int64Value(d.Unscaled.Int64()), nil
			}
			return parquet.FixedLenByteArrayValue(twosComplement(d.Unscaled, n)), nil
		}, nil
	case PrimitiveType:
		switch t {
		case String:
			return parquet.String(), func(v any) (parquet.Value, error) {
				s, ok := v.(string)
				if !ok {
					return bad(v)
				}
				return parquet.ByteArrayValue(unsafe.Slice(unsafe.StringData(s), len(s))), nil
			}, nil
		case Binary:
			return parquet.Leaf(parquet.ByteArrayType), func(v any) (parquet.Value, error) {
				b, ok := v.([]byte)
				if !ok {
					return bad(v)
				}
				return parquet.ByteArrayValue(b), nil
			}, nil
		case Long:
			return parquet.Leaf(parquet.Int64Type), func(v any) (parquet.Value, error) {
				n, ok := intValue(v)
				if !ok {
					return bad(v)
				}
				return parquet.Int64Value(n), nil
			}, nil
		case Integer, Short, Byte:
			var node parquet.Node
			var lo, hi int64
			switch t {
			case Integer:
				node, lo, hi = parquet.Leaf(parquet.Int32Type), math.MinInt32, math.MaxInt32
			case Short:
				node, lo, hi = parquet.Int(16), math.MinInt16, math.MaxInt16
			default:
				node, lo, hi = parquet.Int(8), math.MinInt8, math.MaxInt8
			}
			return node, func(v any) (parquet.Value, error) {
				n, ok := intValue(v)
				if !ok {
					return bad(v)
				}
				if n < lo || n > hi {
					return parquet.Value{}, fmt.Errorf("value %d overflows %s", n, t)
				}
				return parquet.Int32Value(int32(n)), nil
			}, nil
		case Float:
			return parquet.Leaf(parquet.FloatType), func(v any) (parquet.Value, error) {
				f, ok := v.(float32)
				if !ok {
					return bad(v)
				}
				return parquet.FloatValue(f), nil
			}, nil
		case Double:
			return parquet.Leaf(parquet.DoubleType), func(v any) (parquet.Value, error) {
				switch f := v.(type) {
				case float64:
					return parquet.DoubleValue(f), nil
				case float32:
					return parquet.DoubleValue(float64(f)), nil
				}
				return bad(v)
			}, nil
		case Boolean:
			return parquet.Leaf(parquet.BooleanType), func(v any) (parquet.Value, error) {
				b, ok := v.(bool)
				if !ok {
					return bad(v)
				}
				return parquet.BooleanValue(b), nil
			}, nil
		case Date:
			return parquet.Date(), func(v any) (parquet.Value, error) {
				switch d := v.(type) {
				case DateValue:
					return parquet.Int32Value(int32(d)), nil
				case time.Time:
					return parquet.Int32Value(int32(DateOf(d))), nil
				}
				return bad(v)
			}, nil
		case Timestamp, TimestampNTZ:
			return parquet.TimestampAdjusted(parquet.Microsecond, t == Timestamp), func(v any) (parquet.Value, error) {
				ts, ok := v.(time.Time)
				if !ok {
					return bad(v)
				}
				return parquet.Int64Value(ts.UnixMicro()), nil
			}, nil
		}
	}
	return nil, nil, fmt.Errorf("type %s cannot be written to parquet", t)
}

// twosComplement encodes x big-endian in n bytes.
func twosComplement(x *big.Int, n int) []byte {
	out := make([]byte, n)
	if x.Sign() >= 0 {
		x.FillBytes(out)
		return out
	}
	// 2^(8n) + x
	y := new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), uint(8*n)), x)
	y.FillBytes(out)
	return out
}

// shred appends the Parquet row of one row's data values (leaf values
// with repetition and definition levels, in column order) to dst.
func (p *writePlan) shred(dst parquet.Row, values []any) (parquet.Row, error) {
	for i := range p.cols {
		p.cols[i] = p.cols[i][:0]
	}
	for i, n := range p.fields {
		if n == nil {
			continue
		}
		if err := n.shred(values[i], 0, 0, p.cols); err != nil {
			return nil, fmt.Errorf("column %s: %w", n.name, err)
		}
	}
	for _, c := range p.cols {
		dst = append(dst, c...)
	}
	return dst, nil
}

func (n *wnode) writeNull(rep, def int, cols [][]parquet.Value) {
	for c := n.first; c < n.last; c++ {
		cols[c] = append(cols[c], parquet.NullValue().Level(rep, def, c))
	}
}

// shred writes value v of the node; rep and def are the levels at which
// the parent is present.
func (n *wnode) shred(v any, rep, def int, cols [][]parquet.Value) error {
	if v == nil {
		if !n.nullable {
			return fmt.Errorf("%s: null in a non-nullable field", n.name)
		}
		n.writeNull(rep, def, cols)
		return nil
	}
	if n.nullable {
		def++
	}
	switch n.kind {
	case wLeaf:
		pv, err := n.conv(v)
		if err != nil {
			return err
		}
		cols[n.col] = append(cols[n.col], pv.Level(rep, def, n.col))
	case wStruct:
		var r []any
		switch x := v.(type) {
		case Row:
			r = x
		case []any:
			r = x
		default:
			return fmt.Errorf("%s: value %T is not a struct Row", n.name, v)
		}
		if len(r) != len(n.fields) {
			return fmt.Errorf("%s: struct value has %d fields, type has %d", n.name, len(r), len(n.fields))
		}
		for i, f := range n.fields {
			if f == nil {
				continue
			}
			if err := f.shred(r[i], rep, def, cols); err != nil {
				return fmt.Errorf("%s.%w", n.name, err)
			}
		}
	case wList:
		list, ok := v.([]any)
		if !ok {
			rv := reflect.ValueOf(v)
			if rv.Kind() != reflect.Slice || rv.Type() == reflect.TypeFor[[]byte]() {
				return fmt.Errorf("%s: value %T is not an array ([]any)", n.name, v)
			}
			list = make([]any, rv.Len())
			for i := range list {
				list[i] = rv.Index(i).Interface()
			}
		}
		if len(list) == 0 {
			n.writeNull(rep, def, cols)
			return nil
		}
		for i, e := range list {
			r := rep
			if i > 0 {
				r = n.rep
			}
			if err := n.elem.shred(e, r, def+1, cols); err != nil {
				return fmt.Errorf("%s[%d]: %w", n.name, i, err)
			}
		}
	case wMap:
		entries, ok := v.([]MapEntry)
		if !ok {
			return fmt.Errorf("%s: value %T is not a map ([]MapEntry)", n.name, v)
		}
		if len(entries) == 0 {
			n.writeNull(rep, def, cols)
			return nil
		}
		for i, e := range entries {
			r := rep
			if i > 0 {
				r = n.rep
			}
			if e.Key == nil {
				return fmt.Errorf("%s: null map key", n.name)
			}
			if err := n.key.shred(e.Key, r, def+1, cols); err != nil {
				return fmt.Errorf("%s: %w", n.name, err)
			}
			if err := n.val.shred(e.Value, r, def+1, cols); err != nil {
				return fmt.Errorf("%s: %w", n.name, err)
			}
		}
	}
	return nil
}

// orderedGroup is a Parquet group whose fields keep the schema's order
// (parquet.Group sorts them by name; Spark keeps declaration order).
type orderedGroup []parquet.Field

type orderedField struct {
	parquet.Node
	name string
}

func (f orderedField) Name() string { return f.name }

func (f orderedField) Value(base reflect.Value) reflect.Value {
	if base.Kind() == reflect.Map {
		return base.MapIndex(reflect.ValueOf(f.name))
	}
	return reflect.Value{}
}

func (g orderedGroup) ID() int                     { return 0 }
func (g orderedGroup) String() string              { return parquet.Group(g.asGroup()).String() }
func (g orderedGroup) Type() parquet.Type          { return parquet.Group{}.Type() }
func (g orderedGroup) Optional() bool              { return false }
func (g orderedGroup) Repeated() bool              { return false }
func (g orderedGroup) Required() bool              { return true }
func (g orderedGroup) Leaf() bool                  { return false }
func (g orderedGroup) Fields() []parquet.Field     { return slices.Clone(g) }
func (g orderedGroup) Encoding() encoding.Encoding { return nil }
func (g orderedGroup) Compression() compress.Codec { return nil }
func (g orderedGroup) GoType() reflect.Type        { return reflect.TypeFor[map[string]any]() }
func (g orderedGroup) asGroup() map[string]parquet.Node {
	m := make(map[string]parquet.Node, len(g))
	for _, f := range g {
		m[f.Name()] = f
	}
	return m
}

// partitionGroup is the rows of one partition, in input order.
type partitionGroup[R any] struct {
	values map[string]*string
	rows   []R
}

// groupByPartition splits rows by their serialised partition values,
// keeping partitions in first-seen order and rows in input order within
// each. valuesOf gives row i's values; it is not called for an
// unpartitioned table, whose rows form one group (none when empty).
func groupByPartition[R any](rows []R, partitionColumns []string, valuesOf func(i int) (map[string]*string, error)) ([]*partitionGroup[R], error) {
	if len(partitionColumns) == 0 {
		if len(rows) == 0 {
			return nil, nil
		}
		return []*partitionGroup[R]{{values: map[string]*string{}, rows: rows}}, nil
	}
	var groups []*partitionGroup[R]
	byKey := map[string]*partitionGroup[R]{}
	for i := range rows {
		values, err := valuesOf(i)
		if err != nil {
			return nil, err
		}
		key := partitionKey(partitionColumns, values)
		g := byKey[key]
		if g == nil {
			g = &partitionGroup[R]{values: values}
			byKey[key] = g
			groups = append(groups, g)
		}
		g.rows = append(g.rows, rows[i])
	}
	return groups, nil
}
