package delta

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"
)

// ReadParquet decodes the Parquet file in data into rows aligned with
// schema. Columns are matched by name (exactly, else ignoring case); a
// field the file lacks reads as null, as do void fields. Physical types
// are converted to the Delta types: INT96 and TIMESTAMP millis/micros/nanos
// to timestamps, INT32/INT64/FIXED_LEN_BYTE_ARRAY/BYTE_ARRAY decimals,
// 3-level and legacy 2-level LISTs, MAP and MAP_KEY_VALUE groups, and
// integers widened or narrowed to the Delta width.
func ReadParquet(data []byte, schema *StructType) ([]Row, error) {
	rows, err := readParquet(data, schema)
	if err != nil {
		return nil, fmt.Errorf("delta: read parquet: %w", err)
	}
	return rows, nil
}

// readParquet is ReadParquet without the message prefix; it never panics.
func readParquet(data []byte, schema *StructType) (rows []Row, err error) {
	defer func() {
		if r := recover(); r != nil {
			rows, err = nil, fmt.Errorf("malformed parquet file: %v", r)
		}
	}()
	if err := checkParquetFooter(data); err != nil {
		return nil, err
	}
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)),
		parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, err
	}
	root := f.Root()
	top := make([]*rnode, len(schema.Fields))
	for i, fld := range schema.Fields {
		if fld.Type == Void {
			continue
		}
		col := childColumn(root, fld.Name)
		if col == nil {
			continue // schema evolution: the file predates the column
		}
		n, err := buildReadNode(col, fld.Type, 0, 0, false)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", fld.Name, err)
		}
		top[i] = n
	}
	numCols := len(f.Schema().Columns())
	// The footer's row count is untrusted: cap the preallocation.
	rows = make([]Row, 0, min(f.NumRows(), 1<<16))
	cur := &cursor{vals: make([][]parquet.Value, numCols), pos: make([]int, numCols)}
	buf := make([]parquet.Row, 256)
	for _, rg := range f.RowGroups() {
		if err := func() error {
			rr := rg.Rows()
			defer rr.Close()
			for {
				n, rerr := rr.ReadRows(buf)
				for _, prow := range buf[:n] {
					cur.reset(prow)
					row := make(Row, len(schema.Fields))
					for i, tn := range top {
						if tn == nil {
							continue
						}
						v, err := tn.read(cur)
						if err != nil {
							return fmt.Errorf("column %s: %w", schema.Fields[i].Name, err)
						}
						row[i] = v
					}
					rows = append(rows, row)
				}
				if errors.Is(rerr, io.EOF) {
					return nil
				}
				if rerr != nil {
					return rerr
				}
			}
		}(); err != nil {
			return nil, err
		}
	}
	return rows, nil
}

// childColumn returns the child of col named name, matching exactly and
// then ignoring case (Spark resolves columns case-insensitively).
func childColumn(col *parquet.Column, name string) *parquet.Column {
	if c := col.Column(name); c != nil {
		return c
	}
	for _, c := range col.Columns() {
		if strings.EqualFold(c.Name(), name) {
			return c
		}
	}
	return nil
}

// cursor holds the leaf values of one Parquet record, split by column, and
// the read position in each column.
type cursor struct {
	vals [][]parquet.Value
	pos  []int
}

func (c *cursor) reset(row parquet.Row) {
	for i := range c.vals {
		c.vals[i] = c.vals[i][:0]
		c.pos[i] = 0
	}
	start := 0
	for i := 1; i <= len(row); i++ {
		if i == len(row) || row[i].Column() != row[start].Column() {
			col := row[start].Column()
			if col >= 0 && col < len(c.vals) {
				c.vals[col] = row[start:i]
			}
			start = i
		}
	}
}

func (c *cursor) peek(col int) (parquet.Value, error) {
	if c.pos[col] >= len(c.vals[col]) {
		return parquet.Value{}, fmt.Errorf("column chunk %d ends early (inconsistent levels)", col)
	}
	return c.vals[col][c.pos[col]], nil
}

type rkind int

const (
	rLeaf rkind = iota
	rStruct
	rList
	rMap
	rSkip // a Parquet subtree with no Delta field: consumed and discarded
)

// rnode reads one value of a Delta type from the leaf columns of a
// Parquet subtree (Dremel record assembly).
type rnode struct {
	kind     rkind
	optional bool
	// def is the definition level at which this node is present.
	def int
	// leaves are the leaf column indexes under the node that read() will
	// consume; leaves[0] is the probe for nullness.
	leaves []int
	// leaf
	col  int
	conv func(parquet.Value) (any, error)
	// struct (fields aligned with the Delta struct; nil = missing) and
	// skip (children of the Parquet group)
	fields []*rnode
	// list and map: repeated child presence and repetition levels
	repDef, repLevel int
	elem             *rnode
	key, val         *rnode
	// skip: the node is a repeated Parquet field
	repeated bool
}

// buildReadNode compiles the reader for col as Delta type t. def and rep
// are the levels of col's parent; asElem says col is a repeated node whose
// levels the caller already counted (a legacy list element).
func buildReadNode(col *parquet.Column, t DataType, def, rep int, asElem bool) (*rnode, error) {
	n := &rnode{}
	if !asElem {
		switch {
		case col.Optional():
			def++
			n.optional = true
		case col.Repeated():
			// An unannotated repeated field is a list of required elements.
			at, ok := t.(*ArrayType)
			if !ok {
				return nil, fmt.Errorf("repeated parquet field %s cannot be read as %s", col.Name(), t)
			}
			n.kind = rList
			n.def = def
			n.repDef, n.repLevel = def+1, rep+1
			elem, err := buildReadNode(col, at.ElementType, def+1, rep+1, true)
			if err != nil {
				return nil, err
			}
			n.elem = elem
			n.leaves = elem.leaves
			return n, nil
		}
	}
	n.def = def
	switch t := t.(type) {
	case *StructType:
		if col.Leaf() {
			return nil, fmt.Errorf("parquet %s is a primitive, schema wants %s", col.Name(), t)
		}
		n.kind = rStruct
		n.fields = make([]*rnode, len(t.Fields))
		used := map[*parquet.Column]bool{}
		for i, f := range t.Fields {
			if f.Type == Void {
				continue
			}
			c := childColumn(col, f.Name)
			if c == nil {
				continue
			}
			fn, err := buildReadNode(c, f.Type, def, rep, false)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f.Name, err)
			}
			used[c] = true
			n.fields[i] = fn
			n.leaves = append(n.leaves, fn.leaves...)
		}
		// Consume the leaves of Parquet fields the schema lacks too, so
		// that nullness can always be probed and levels stay aligned.
		for _, c := range col.Columns() {
			if !used[c] {
				sn := buildSkipNode(c, def, rep)
				n.fields = append(n.fields, sn)
				n.leaves = append(n.leaves, sn.leaves...)
			}
		}
		if len(n.leaves) == 0 {
			return nil, fmt.Errorf("parquet group %s has no columns", col.Name())
		}
	case *ArrayType:
		if col.Leaf() {
			return nil, fmt.Errorf("parquet %s is a primitive, schema wants %s", col.Name(), t)
		}
		children := col.Columns()
		if len(children) != 1 || !children[0].Repeated() {
			return nil, fmt.Errorf("parquet %s is not a LIST group (want one repeated child)", col.Name())
		}
		rc := children[0]
		n.kind = rList
		n.repDef, n.repLevel = def+1, rep+1
		var err error
		_, elemIsStruct := t.ElementType.(*StructType)
		switch {
		case rc.Leaf(), len(rc.Columns()) > 1:
			// Legacy 2-level list: the repeated field is the element.
			n.elem, err = buildReadNode(rc, t.ElementType, def+1, rep+1, true)
		case elemIsStruct && (rc.Name() == "array" || rc.Name() == col.Name()+"_tuple"):
			n.elem, err = buildReadNode(rc, t.ElementType, def+1, rep+1, true)
		default:
			// 3-level list: repeated group list { element }.
			n.elem, err = buildReadNode(rc.Columns()[0], t.ElementType, def+1, rep+1, false)
		}
		if err != nil {
			return nil, fmt.Errorf("element: %w", err)
		}
		n.leaves = n.elem.leaves
	case *MapType:
		if col.Leaf() {
			return nil, fmt.Errorf("parquet %s is a primitive, schema wants %s", col.Name(), t)
		}
		children := col.Columns()
		if len(children) != 1 || !children[0].Repeated() || children[0].Leaf() || len(children[0].Columns()) == 0 {
			return nil, fmt.Errorf("parquet %s is not a MAP group (want repeated key_value group)", col.Name())
		}
		kv := children[0]
		n.kind = rMap
		n.repDef, n.repLevel = def+1, rep+1
		var err error
		if n.key, err = buildReadNode(kv.Columns()[0], t.KeyType, def+1, rep+1, false); err != nil {
			return nil, fmt.Errorf("key: %w", err)
		}
		n.leaves = append(n.leaves, n.key.leaves...)
		if len(kv.Columns()) > 1 && t.ValueType != Void {
			if n.val, err = buildReadNode(kv.Columns()[1], t.ValueType, def+1, rep+1, false); err != nil {
				return nil, fmt.Errorf("value: %w", err)
			}
			n.leaves = append(n.leaves, n.val.leaves...)
		}
		for _, c := range kv.Columns()[min(2, len(kv.Columns())):] {
			sn := buildSkipNode(c, def+1, rep+1)
			n.fields = append(n.fields, sn)
			n.leaves = append(n.leaves, sn.leaves...)
		}
	default:
		if !col.Leaf() {
			return nil, fmt.Errorf("parquet %s is a group, schema wants %s", col.Name(), t)
		}
		conv, err := leafConverter(col.Type(), t)
		if err != nil {
			return nil, err
		}
		n.kind = rLeaf
		n.col = col.Index()
		n.conv = conv
		n.leaves = []int{n.col}
	}
	return n, nil
}

// buildSkipNode compiles a reader that consumes one value of col's
// subtree and returns nothing.
func buildSkipNode(col *parquet.Column, def, rep int) *rnode {
	n := &rnode{kind: rSkip}
	switch {
	case col.Optional():
		def++
		n.optional = true
	case col.Repeated():
		n.repeated = true
		n.repDef, n.repLevel = def+1, rep+1
		def++
		rep++
	}
	n.def = def
	if col.Leaf() {
		n.col = col.Index()
		n.leaves = []int{n.col}
		return n
	}
	for _, c := range col.Columns() {
		sn := buildSkipNode(c, def, rep)
		n.fields = append(n.fields, sn)
		n.leaves = append(n.leaves, sn.leaves...)
	}
	return n
}

// skipAll advances every consumed column of n by one value: how a null or
// empty subtree is encoded.
func (n *rnode) skipAll(c *cursor) {
	for _, l := range n.leaves {
		c.pos[l]++
	}
}

func (n *rnode) read(c *cursor) (any, error) {
	if n.kind == rSkip && n.repeated {
		return nil, n.readSkipRepeated(c)
	}
	if n.optional {
		v, err := c.peek(n.leaves[0])
		if err != nil {
			return nil, err
		}
		if v.DefinitionLevel() < n.def {
			n.skipAll(c)
			return nil, nil
		}
	}
	switch n.kind {
	case rLeaf:
		v, err := c.peek(n.col)
		if err != nil {
			return nil, err
		}
		c.pos[n.col]++
		if v.IsNull() || v.DefinitionLevel() < n.def {
			return nil, nil
		}
		return n.conv(v)
	case rStruct:
		row := make(Row, 0, len(n.fields))
		for _, f := range n.fields {
			if f == nil {
				row = append(row, nil)
				continue
			}
			v, err := f.read(c)
			if err != nil {
				return nil, err
			}
			if f.kind != rSkip {
				row = append(row, v)
			}
		}
		return row, nil
	case rList, rMap:
		return n.readRepeated(c)
	case rSkip:
		if len(n.fields) == 0 {
			c.pos[n.col]++
			return nil, nil
		}
		for _, f := range n.fields {
			if _, err := f.read(c); err != nil {
				return nil, err
			}
		}
		return nil, nil
	}
	return nil, fmt.Errorf("internal: bad read node")
}

func (n *rnode) readRepeated(c *cursor) (any, error) {
	probe := n.leaves[0]
	v, err := c.peek(probe)
	if err != nil {
		return nil, err
	}
	if v.DefinitionLevel() < n.repDef {
		n.skipAll(c)
		if n.kind == rMap {
			return []MapEntry{}, nil
		}
		return []any{}, nil
	}
	var list []any
	var entries []MapEntry
	for {
		if n.kind == rList {
			e, err := n.elem.read(c)
			if err != nil {
				return nil, err
			}
			list = append(list, e)
		} else {
			k, err := n.key.read(c)
			if err != nil {
				return nil, err
			}
			var val any
			if n.val != nil {
				if val, err = n.val.read(c); err != nil {
					return nil, err
				}
			}
			for _, s := range n.fields {
				if _, err := s.read(c); err != nil {
					return nil, err
				}
			}
			entries = append(entries, MapEntry{Key: k, Value: val})
		}
		if c.pos[probe] >= len(c.vals[probe]) || c.vals[probe][c.pos[probe]].RepetitionLevel() != n.repLevel {
			break
		}
	}
	if n.kind == rMap {
		return entries, nil
	}
	return list, nil
}

// readSkipRepeated consumes a repeated Parquet field the schema lacks.
func (n *rnode) readSkipRepeated(c *cursor) error {
	probe := n.leaves[0]
	v, err := c.peek(probe)
	if err != nil {
		return err
	}
	if v.DefinitionLevel() < n.repDef {
		n.skipAll(c)
		return nil
	}
	inner := *n
	inner.repeated = false
	inner.optional = false
	for {
		if _, err := inner.read(c); err != nil {
			return err
		}
		if c.pos[probe] >= len(c.vals[probe]) || c.vals[probe][c.pos[probe]].RepetitionLevel() != n.repLevel {
			return nil
		}
	}
}

// julianUnixEpoch is the Julian day number of 1970-01-01 (INT96 dates).
const julianUnixEpoch = 2440588

// leafConverter returns the function turning a non-null value of a Parquet
// leaf of type pt into the Row value of Delta type t.
func leafConverter(pt parquet.Type, t DataType) (func(parquet.Value) (any, error), error) {
	kind := pt.Kind()
	var lt format.LogicalTypeValue
	if l := pt.LogicalType(); l != nil {
		lt = l.Value
	}
	mismatch := func() (func(parquet.Value) (any, error), error) {
		return nil, fmt.Errorf("parquet type %s cannot be read as %s", pt, t)
	}
	switch t := t.(type) {
	case DecimalType:
		pscale := 0
		if d, ok := lt.(*format.DecimalType); ok {
			pscale = int(d.Scale)
		}
		var unscaled func(parquet.Value) *big.Int
		switch kind {
		case parquet.Int32:
			unscaled = func(v parquet.Value) *big.Int { return big.NewInt(int64(v.Int32())) }
		case parquet.Int64:
			unscaled = func(v parquet.Value) *big.Int { return big.NewInt(v.Int64()) }
		case parquet.FixedLenByteArray, parquet.ByteArray:
			unscaled = func(v parquet.Value) *big.Int { return bigFromTwosComplement(v.ByteArray()) }
		default:
			return mismatch()
		}
		return func(v parquet.Value) (any, error) {
			d, err := rescaleDecimal(Decimal{Unscaled: unscaled(v), Scale: pscale}, t.Scale)
			if err != nil {
				return nil, err
			}
			return d, nil
		}, nil
	case PrimitiveType:
		switch t {
		case String:
			if kind != parquet.ByteArray && kind != parquet.FixedLenByteArray {
				return mismatch()
			}
			return func(v parquet.Value) (any, error) { return string(v.ByteArray()), nil }, nil
		case Binary:
			if kind != parquet.ByteArray && kind != parquet.FixedLenByteArray {
				return mismatch()
			}
			return func(v parquet.Value) (any, error) { return bytes.Clone(v.ByteArray()), nil }, nil
		case Long, Integer, Short, Byte:
			var get func(parquet.Value) int64
			switch kind {
			case parquet.Int32:
				get = func(v parquet.Value) int64 { return int64(v.Int32()) }
			case parquet.Int64:
				get = func(v parquet.Value) int64 { return v.Int64() }
			default:
				return mismatch()
			}
			switch t {
			case Long:
				return func(v parquet.Value) (any, error) { return get(v), nil }, nil
			case Integer:
				return func(v parquet.Value) (any, error) {
					x := get(v)
					if x < math.MinInt32 || x > math.MaxInt32 {
						return nil, fmt.Errorf("value %d overflows integer", x)
					}
					return int32(x), nil
				}, nil
			case Short:
				return func(v parquet.Value) (any, error) {
					x := get(v)
					if x < math.MinInt16 || x > math.MaxInt16 {
						return nil, fmt.Errorf("value %d overflows short", x)
					}
					return int16(x), nil
				}, nil
			default:
				return func(v parquet.Value) (any, error) {
					x := get(v)
					if x < math.MinInt8 || x > math.MaxInt8 {
						return nil, fmt.Errorf("value %d overflows byte", x)
					}
					return int8(x), nil
				}, nil
			}
		case Float:
			if kind != parquet.Float {
				return mismatch()
			}
			return func(v parquet.Value) (any, error) { return v.Float(), nil }, nil
		case Double:
			switch kind {
			case parquet.Double:
				return func(v parquet.Value) (any, error) { return v.Double(), nil }, nil
			case parquet.Float:
				return func(v parquet.Value) (any, error) { return float64(v.Float()), nil }, nil
			}
			return mismatch()
		case Boolean:
			if kind != parquet.Boolean {
				return mismatch()
			}
			return func(v parquet.Value) (any, error) { return v.Boolean(), nil }, nil
		case Date:
			switch kind {
			case parquet.Int32:
				return func(v parquet.Value) (any, error) { return DateValue(v.Int32()), nil }, nil
			case parquet.Int96, parquet.Int64:
				tc, err := timestampConverter(kind, lt)
				if err != nil {
					return nil, err
				}
				return func(v parquet.Value) (any, error) { return DateOf(tc(v)), nil }, nil
			}
			return mismatch()
		case Timestamp, TimestampNTZ:
			if kind == parquet.Int32 {
				if _, ok := lt.(*format.DateType); ok {
					return func(v parquet.Value) (any, error) { return DateValue(v.Int32()).Time(), nil }, nil
				}
			}
			tc, err := timestampConverter(kind, lt)
			if err != nil {
				return mismatch()
			}
			return func(v parquet.Value) (any, error) { return tc(v), nil }, nil
		}
	}
	return mismatch()
}

// timestampConverter decodes INT96 (Julian day + nanos of day) and INT64
// timestamps in the unit of the logical type (micros when unannotated),
// truncated to microseconds, in UTC.
func timestampConverter(kind parquet.Kind, lt format.LogicalTypeValue) (func(parquet.Value) time.Time, error) {
	switch kind {
	case parquet.Int96:
		return func(v parquet.Value) time.Time { return int96Time(v.Int96()) }, nil
	case parquet.Int64:
		unit := int64(time.Microsecond)
		if ts, ok := lt.(*format.TimestampType); ok {
			switch ts.Unit.Value.(type) {
			case *format.MilliSeconds:
				unit = int64(time.Millisecond)
			case *format.NanoSeconds:
				unit = 1
			}
		}
		switch unit {
		case int64(time.Millisecond):
			return func(v parquet.Value) time.Time { return time.UnixMilli(v.Int64()).UTC() }, nil
		case 1:
			return func(v parquet.Value) time.Time {
				return time.Unix(0, v.Int64()).UTC().Truncate(time.Microsecond)
			}, nil
		default:
			return func(v parquet.Value) time.Time { return time.UnixMicro(v.Int64()).UTC() }, nil
		}
	}
	return nil, fmt.Errorf("physical type %s is not a timestamp", kind)
}

// int96Time decodes an INT96 timestamp: 8 little-endian bytes of
// nanoseconds within the day, then 4 bytes of Julian day.
func int96Time(i deprecated.Int96) time.Time {
	nanos := int64(uint64(i[0]) | uint64(i[1])<<32)
	day := int64(int32(i[2])) - julianUnixEpoch
	return time.Unix(day*86400, nanos).UTC().Truncate(time.Microsecond)
}

// bigFromTwosComplement decodes a big-endian two's complement integer.
func bigFromTwosComplement(b []byte) *big.Int {
	x := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		x.Sub(x, new(big.Int).Lsh(big.NewInt(1), uint(len(b))*8))
	}
	return x
}

// SchemaFromParquet derives a Delta schema from the schema of the Parquet
// file in data: strings from STRING/UTF8/ENUM/JSON byte arrays, decimals
// from any DECIMAL annotation, timestamps from INT96 and TIMESTAMP
// (isAdjustedToUTC=false gives timestamp_ntz), dates, small ints from
// INT(8|16), lists, maps and structs from groups. Optional fields are
// nullable.
func SchemaFromParquet(data []byte) (schema *StructType, err error) {
	defer func() {
		if r := recover(); r != nil {
			schema, err = nil, fmt.Errorf("delta: parquet schema: malformed parquet file: %v", r)
		}
	}()
	if err := checkParquetFooter(data); err != nil {
		return nil, fmt.Errorf("delta: parquet schema: %w", err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)),
		parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, fmt.Errorf("delta: parquet schema: %w", err)
	}
	st, err := structFromGroup(f.Root())
	if err != nil {
		return nil, fmt.Errorf("delta: parquet schema: %w", err)
	}
	return st, nil
}

func structFromGroup(col *parquet.Column) (*StructType, error) {
	st := &StructType{}
	for _, c := range col.Columns() {
		t, nullable, err := deltaTypeOf(c)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.Name(), err)
		}
		st.Fields = append(st.Fields, StructField{Name: c.Name(), Type: t, Nullable: nullable})
	}
	return st, nil
}

// deltaTypeOf maps one Parquet field (with its repetition) to a Delta type.
func deltaTypeOf(c *parquet.Column) (DataType, bool, error) {
	if c.Repeated() {
		t, err := deltaTypeOfNode(c)
		if err != nil {
			return nil, false, err
		}
		return &ArrayType{ElementType: t, ContainsNull: false}, false, nil
	}
	t, err := deltaTypeOfNode(c)
	return t, c.Optional(), err
}

// deltaTypeOfNode maps a Parquet node ignoring its own repetition.
func deltaTypeOfNode(c *parquet.Column) (DataType, error) {
	if !c.Leaf() {
		var lt format.LogicalTypeValue
		if l := c.Type().LogicalType(); l != nil {
			lt = l.Value
		}
		ct := c.Type().ConvertedType()
		children := c.Columns()
		isList := false
		isMap := false
		switch lt.(type) {
		case *format.ListType:
			isList = true
		case *format.MapType:
			isMap = true
		}
		if ct != nil && *ct == deprecated.MapKeyValue {
			isMap = true
		}
		if isList && len(children) == 1 && children[0].Repeated() {
			rc := children[0]
			var et DataType
			var containsNull bool
			var err error
			switch {
			case rc.Leaf(), len(rc.Columns()) > 1, rc.Name() == "array", rc.Name() == c.Name()+"_tuple":
				et, err = deltaTypeOfNode(rc)
			default:
				et, containsNull, err = deltaTypeOf(rc.Columns()[0])
			}
			if err != nil {
				return nil, err
			}
			return &ArrayType{ElementType: et, ContainsNull: containsNull}, nil
		}
		if isMap && len(children) == 1 && children[0].Repeated() && len(children[0].Columns()) >= 1 {
			kv := children[0].Columns()
			kt, _, err := deltaTypeOf(kv[0])
			if err != nil {
				return nil, err
			}
			var vt DataType = Void
			vnull := true
			if len(kv) > 1 {
				if vt, vnull, err = deltaTypeOf(kv[1]); err != nil {
					return nil, err
				}
			}
			return &MapType{KeyType: kt, ValueType: vt, ValueContainsNull: vnull}, nil
		}
		return structFromGroup(c)
	}
	pt := c.Type()
	var lt format.LogicalTypeValue
	if l := pt.LogicalType(); l != nil {
		lt = l.Value
	}
	if d, ok := lt.(*format.DecimalType); ok {
		return DecimalType{Precision: int(d.Precision), Scale: int(d.Scale)}, nil
	}
	switch pt.Kind() {
	case parquet.Boolean:
		return Boolean, nil
	case parquet.Int32:
		switch l := lt.(type) {
		case *format.DateType:
			return Date, nil
		case *format.IntType:
			switch l.BitWidth {
			case 8:
				return Byte, nil
			case 16:
				return Short, nil
			case 64:
				return Long, nil
			}
		}
		return Integer, nil
	case parquet.Int64:
		if ts, ok := lt.(*format.TimestampType); ok {
			if !ts.IsAdjustedToUTC {
				return TimestampNTZ, nil
			}
			return Timestamp, nil
		}
		return Long, nil
	case parquet.Int96:
		return Timestamp, nil
	case parquet.Float:
		return Float, nil
	case parquet.Double:
		return Double, nil
	case parquet.ByteArray, parquet.FixedLenByteArray:
		switch lt.(type) {
		case *format.StringType, *format.EnumType, *format.JsonType:
			return String, nil
		}
		return Binary, nil
	}
	return nil, fmt.Errorf("unsupported parquet type %s", pt)
}

// parquetNumRows returns the row count in the footer of a Parquet file.
func parquetNumRows(data []byte) (n int64, err error) {
	defer func() {
		if r := recover(); r != nil {
			n, err = 0, fmt.Errorf("malformed parquet file: %v", r)
		}
	}()
	if err := checkParquetFooter(data); err != nil {
		return 0, err
	}
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)),
		parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return 0, err
	}
	return f.NumRows(), nil
}
