package delta

import (
	"bytes"
	"context"
	"fmt"
	"math/big"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"

	"github.com/streamgen/streamgen/runtime/storage"
)

func mustSchema(t testing.TB, js string) *StructType {
	t.Helper()
	s, err := ParseSchema(js)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func dec(t testing.TB, s string, scale int) Decimal {
	t.Helper()
	d, err := ParseDecimal(s, scale)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

var rowCmp = cmp.Options{
	cmp.Comparer(func(a, b *big.Int) bool { return a.Cmp(b) == 0 }),
}

func newLocal(t testing.TB) storage.Storage {
	t.Helper()
	st, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// rtAllTypesSchema covers every Delta type the writer supports.
const rtAllTypesSchema = `{"type":"struct","fields":[
 {"name":"id","type":"integer","nullable":false,"metadata":{}},
 {"name":"s","type":"string","nullable":true,"metadata":{}},
 {"name":"l","type":"long","nullable":true,"metadata":{}},
 {"name":"sh","type":"short","nullable":true,"metadata":{}},
 {"name":"by","type":"byte","nullable":true,"metadata":{}},
 {"name":"f","type":"float","nullable":true,"metadata":{}},
 {"name":"d","type":"double","nullable":true,"metadata":{}},
 {"name":"bo","type":"boolean","nullable":true,"metadata":{}},
 {"name":"bin","type":"binary","nullable":true,"metadata":{}},
 {"name":"dt","type":"date","nullable":true,"metadata":{}},
 {"name":"ts","type":"timestamp","nullable":true,"metadata":{}},
 {"name":"ntz","type":"timestamp_ntz","nullable":true,"metadata":{}},
 {"name":"d32","type":"decimal(5,2)","nullable":true,"metadata":{}},
 {"name":"d64","type":"decimal(15,3)","nullable":true,"metadata":{}},
 {"name":"dfl","type":"decimal(38,10)","nullable":true,"metadata":{}},
 {"name":"v","type":"void","nullable":true,"metadata":{}},
 {"name":"st","type":{"type":"struct","fields":[
   {"name":"a","type":"integer","nullable":true,"metadata":{}},
   {"name":"b","type":{"type":"struct","fields":[{"name":"c","type":"string","nullable":true,"metadata":{}}]},"nullable":true,"metadata":{}}]},"nullable":true,"metadata":{}},
 {"name":"arrs","type":{"type":"array","elementType":{"type":"struct","fields":[
   {"name":"x","type":"long","nullable":true,"metadata":{}},
   {"name":"y","type":"string","nullable":true,"metadata":{}}]},"containsNull":true},"nullable":true,"metadata":{}},
 {"name":"m","type":{"type":"map","keyType":"string","valueType":"integer","valueContainsNull":true},"nullable":true,"metadata":{}},
 {"name":"aa","type":{"type":"array","elementType":{"type":"array","elementType":"integer","containsNull":true},"containsNull":true},"nullable":true,"metadata":{}},
 {"name":"mm","type":{"type":"map","keyType":"integer","valueType":{"type":"map","keyType":"string","valueType":{"type":"array","elementType":"long","containsNull":false},"valueContainsNull":true},"valueContainsNull":true},"nullable":true,"metadata":{}},
 {"name":"req","type":"string","nullable":false,"metadata":{}}
]}`

func rtAllTypesRows(t testing.TB) []Row {
	return []Row{
		{int32(1), "hello", int64(-9223372036854775808), int16(-32768), int8(-128), float32(1.5), float64(-2.25), true, []byte{0, 1, 255},
			DateValue(-1), ts("1969-12-31T23:59:59.999999Z"), ts("2021-07-01T12:34:56.123456Z"),
			dec(t, "-999.99", 2), dec(t, "123456789012.345", 3), dec(t, "-1234567890123456789012345678.0123456789", 10), nil,
			Row{int32(7), Row{"deep"}},
			[]any{Row{int64(1), "x"}, nil, Row{nil, nil}, Row{int64(3), "z"}},
			[]MapEntry{{Key: "a", Value: int32(1)}, {Key: "b", Value: nil}, {Key: "c", Value: int32(-3)}},
			[]any{[]any{int32(1), int32(2)}, []any{}, nil, []any{nil, int32(4)}},
			[]MapEntry{{Key: int32(1), Value: []MapEntry{{Key: "k", Value: []any{int64(1), int64(2)}}, {Key: "e", Value: []any{}}}}, {Key: int32(2), Value: nil}},
			"r1"},
		{int32(2), "", int64(9223372036854775807), int16(32767), int8(127), float32(-0.0), float64(1e300), false, []byte{},
			DateValue(19000), ts("9999-12-31T23:59:59.999999Z"), ts("0001-01-01T00:00:00Z"),
			dec(t, "0.01", 2), dec(t, "-999999999999.999", 3), dec(t, "9999999999999999999999999999.9999999999", 10), nil,
			Row{nil, nil},
			[]any{},
			[]MapEntry{},
			[]any{[]any{}},
			[]MapEntry{},
			"r2"},
		{int32(3), nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, "r3"},
		{int32(4), "ünïcödé 😈", int64(0), int16(0), int8(0), float32(3.4e38), float64(-1.5e-300), true, []byte("bytes"),
			DateValue(0), ts("1970-01-01T00:00:00Z"), ts("1970-01-01T00:00:00.000001Z"),
			dec(t, "0", 2), dec(t, "0.001", 3), dec(t, "-0.0000000001", 10), nil,
			Row{int32(-1), nil},
			[]any{nil},
			[]MapEntry{{Key: "", Value: nil}},
			[]any{[]any{nil}},
			[]MapEntry{{Key: int32(0), Value: []MapEntry{{Key: "n", Value: nil}}}},
			"r4"},
	}
}

func TestRoundTripAllTypes(t *testing.T) {
	ctx := context.Background()
	schema := mustSchema(t, rtAllTypesSchema)
	rows := rtAllTypesRows(t)
	for _, codec := range []string{"", "snappy", "none"} {
		t.Run("codec="+codec, func(t *testing.T) {
			store := newLocal(t)
			adds, err := WriteRows(ctx, store, schema, nil, rows, WriterOptions{Compression: codec, RowGroupRows: 2})
			if err != nil {
				t.Fatal(err)
			}
			if len(adds) != 1 {
				t.Fatalf("got %d files, want 1", len(adds))
			}
			name, _ := adds[0].DecodedPath()
			data, err := store.Read(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(data)) != adds[0].Size {
				t.Errorf("add.size = %d, file has %d bytes", adds[0].Size, len(data))
			}
			got, err := ReadParquet(data, schema)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(rows, got, rowCmp); diff != "" {
				t.Errorf("round trip mismatch (-want +got):\n%s", diff)
			}
			// The schema derived from the file is the written schema
			// minus the void column, with nullability kept.
			ps, err := SchemaFromParquet(data)
			if err != nil {
				t.Fatal(err)
			}
			want := &StructType{}
			for _, f := range schema.Fields {
				if f.Type != Void {
					want.Fields = append(want.Fields, f)
				}
			}
			if ps.String() != want.String() {
				t.Errorf("SchemaFromParquet = %s\nwant %s", ps, want)
			}
			if diff := cmp.Diff(want.SchemaString(), ps.SchemaString()); diff != "" {
				t.Errorf("SchemaFromParquet (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWriteParquetPhysicalTypes pins the Delta -> Parquet type mapping.
// (parquet-go annotates plain INT32/INT64 columns with INT(32|64,true),
// which readers map to integer/long as without the annotation.)
func TestWriteParquetPhysicalTypes(t *testing.T) {
	ctx := context.Background()
	schema := mustSchema(t, rtAllTypesSchema)
	store := newLocal(t)
	adds, err := WriteRows(ctx, store, schema, nil, rtAllTypesRows(t)[:1], WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	name, _ := adds[0].DecodedPath()
	if !strings.HasPrefix(name, "part-00000-") || !strings.HasSuffix(name, "-c000.zstd.parquet") {
		t.Errorf("file name %q", name)
	}
	data, _ := store.Read(ctx, name)
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	want := `message spark_schema {
	required int32 id (INT(32,true));
	optional binary s (STRING);
	optional int64 l (INT(64,true));
	optional int32 sh (INT(16,true));
	optional int32 by (INT(8,true));
	optional float f;
	optional double d;
	optional boolean bo;
	optional binary bin;
	optional int32 dt (DATE);
	optional int64 ts (TIMESTAMP(isAdjustedToUTC=true,unit=MICROS));
	optional int64 ntz (TIMESTAMP(isAdjustedToUTC=false,unit=MICROS));
	optional int32 d32 (DECIMAL(5,2));
	optional int64 d64 (DECIMAL(15,3));
	optional fixed_len_byte_array(16) dfl (DECIMAL(38,10));
	optional group st {
		optional int32 a (INT(32,true));
		optional group b {
			optional binary c (STRING);
		}
	}
	optional group arrs (LIST) {
		repeated group list {
			optional group element {
				optional int64 x (INT(64,true));
				optional binary y (STRING);
			}
		}
	}
	optional group m (MAP) {
		repeated group key_value {
			required binary key (STRING);
			optional int32 value (INT(32,true));
		}
	}
	optional group aa (LIST) {
		repeated group list {
			optional group element (LIST) {
				repeated group list {
					optional int32 element (INT(32,true));
				}
			}
		}
	}
	optional group mm (MAP) {
		repeated group key_value {
			required int32 key (INT(32,true));
			optional group value (MAP) {
				repeated group key_value {
					required binary key (STRING);
					optional group value (LIST) {
						repeated group list {
							required int64 element (INT(64,true));
						}
					}
				}
			}
		}
	}
	required binary req (STRING);
}`
	if diff := cmp.Diff(want, f.Schema().String()); diff != "" {
		t.Errorf("parquet schema (-want +got):\n%s", diff)
	}
}

func TestDecimalBytes(t *testing.T) {
	// Spark's Decimal.minBytesForPrecision.
	want := map[int]int{1: 1, 2: 1, 3: 2, 9: 4, 10: 5, 18: 8, 19: 9, 20: 9, 28: 12, 38: 16}
	for p, n := range want {
		if got := decimalBytes(p); got != n {
			t.Errorf("decimalBytes(%d) = %d, want %d", p, got, n)
		}
	}
}

func TestWriteRowsErrors(t *testing.T) {
	ctx := context.Background()
	schema := mustSchema(t, `{"type":"struct","fields":[{"name":"a","type":"integer","nullable":false,"metadata":{}},{"name":"p","type":"string","nullable":true,"metadata":{}}]}`)
	store := newLocal(t)
	cases := []struct {
		name  string
		parts []string
		rows  []Row
		opts  WriterOptions
		want  string
	}{
		{"null in required", nil, []Row{{nil, "x"}}, WriterOptions{}, "null in a non-nullable field"},
		{"wrong type", nil, []Row{{"x", "x"}}, WriterOptions{}, "is not a integer"},
		{"overflow", nil, []Row{{int64(1) << 40, "x"}}, WriterOptions{}, "overflows"},
		{"short row", nil, []Row{{int32(1)}}, WriterOptions{}, "has 1 values"},
		{"bad partition column", []string{"zz"}, []Row{{int32(1), "x"}}, WriterOptions{}, `partition column "zz"`},
		{"bad codec", nil, []Row{{int32(1), "x"}}, WriterOptions{Compression: "lzo"}, "unknown compression"},
	}
	for _, c := range cases {
		_, err := WriteRows(ctx, store, schema, c.parts, c.rows, c.opts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
}

func TestReadParquetBadInput(t *testing.T) {
	schema := mustSchema(t, `{"type":"struct","fields":[{"name":"a","type":"integer","nullable":true,"metadata":{}}]}`)
	for _, data := range [][]byte{nil, []byte("PAR1"), []byte("PAR1garbagePAR1"), bytes.Repeat([]byte{0xff}, 100)} {
		if _, err := ReadParquet(data, schema); err == nil {
			t.Errorf("ReadParquet(%q) succeeded", data)
		}
	}
	// A truncated real file.
	store := newLocal(t)
	adds, err := WriteRows(context.Background(), store, schema, nil, []Row{{int32(1)}}, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	name, _ := adds[0].DecodedPath()
	data, _ := store.Read(context.Background(), name)
	for cut := 1; cut < len(data); cut += 7 {
		if _, err := ReadParquet(data[:len(data)-cut], schema); err == nil {
			t.Errorf("truncated by %d: no error", cut)
		}
	}
	// Type mismatch is an error naming the column.
	bad := mustSchema(t, `{"type":"struct","fields":[{"name":"a","type":"string","nullable":true,"metadata":{}}]}`)
	if _, err := ReadParquet(data, bad); err == nil || !strings.Contains(err.Error(), "column a") {
		t.Errorf("mismatch err = %v", err)
	}
}

func TestTargetFileSize(t *testing.T) {
	ctx := context.Background()
	schema := mustSchema(t, `{"type":"struct","fields":[{"name":"a","type":"long","nullable":true,"metadata":{}},{"name":"s","type":"string","nullable":true,"metadata":{}}]}`)
	var rows []Row
	for i := range 20000 {
		rows = append(rows, Row{int64(i), fmt.Sprintf("value-%d-%s", i, strings.Repeat("x", i%50))})
	}
	store := newLocal(t)
	adds, err := WriteRows(ctx, store, schema, nil, rows, WriterOptions{TargetFileSize: 64 << 10, Compression: "none"})
	if err != nil {
		t.Fatal(err)
	}
	if len(adds) < 3 {
		t.Fatalf("got %d files, want several", len(adds))
	}
	snap := handSnapshot(Open(store), schema, nil, adds)
	got, err := snap.Rows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rows, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	names := map[string]bool{}
	total := int64(0)
	for i, a := range adds {
		st, err := ParseStats(a.Stats)
		if err != nil {
			t.Fatal(err)
		}
		total += st.NumRecords
		if !strings.HasPrefix(a.Path, fmt.Sprintf("part-%05d-", i)) {
			t.Errorf("file %d path %s", i, a.Path)
		}
		names[a.Path] = true
	}
	if total != int64(len(rows)) || len(names) != len(adds) {
		t.Errorf("stats numRecords total %d, unique names %d", total, len(names))
	}
}

// renderValue is a canonical text form of a Row value for comparisons
// across writers: decimals normalised, timestamps in UTC micros, floats
// in Go's shortest form, maps sorted by key.
func renderValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("%q", x)
	case []byte:
		return fmt.Sprintf("0x%x", x)
	case Decimal:
		return "dec:" + normDecimal(x)
	case time.Time:
		return x.UTC().Format("2006-01-02T15:04:05.000000Z")
	case DateValue:
		return x.String()
	case float32:
		return fmt.Sprintf("f:%v", x)
	case float64:
		return fmt.Sprintf("f:%v", x)
	case int8, int16, int32, int64:
		n, _ := intValue(x)
		return fmt.Sprintf("%d", n)
	case bool:
		return fmt.Sprint(x)
	case Row:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = renderValue(e)
		}
		return "{" + strings.Join(parts, ",") + "}"
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = renderValue(e)
		}
		return "[" + strings.Join(parts, ",") + "]"
	case []MapEntry:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = renderValue(e.Key) + "=>" + renderValue(e.Value)
		}
		sort.Strings(parts)
		return "map[" + strings.Join(parts, ",") + "]"
	}
	return fmt.Sprintf("?%T:%v", v, v)
}

// normDecimal renders a decimal without trailing fraction zeros.
func normDecimal(d Decimal) string {
	s := d.String()
	if strings.Contains(s, ".") {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// renderRows renders rows as sorted lines.
func renderRows(rows []Row) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = renderValue(r)
	}
	slices.Sort(out)
	return out
}

func mustBig(s string) *big.Int {
	x, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic(s)
	}
	return x
}

type typedEvent struct {
	ID     int64     `parquet:"id"`
	Time   time.Time `parquet:"time,timestamp(microsecond)"`
	Action string    `parquet:"action"`
	Device *string   `parquet:"device,optional"`
	Value  float64   `parquet:"value"`
	Amount int32     `parquet:"amount,decimal(2:9)"`
	Tags   []string  `parquet:"tags,list"`
	Day    string    `parquet:"-"`
}

const typedEventSchema = `{"type":"struct","fields":[
 {"name":"id","type":"long","nullable":false,"metadata":{}},
 {"name":"time","type":"timestamp","nullable":false,"metadata":{}},
 {"name":"action","type":"string","nullable":false,"metadata":{}},
 {"name":"device","type":"string","nullable":true,"metadata":{}},
 {"name":"value","type":"double","nullable":false,"metadata":{}},
 {"name":"amount","type":"decimal(9,2)","nullable":false,"metadata":{}},
 {"name":"tags","type":{"type":"array","elementType":"string","containsNull":false},"nullable":true,"metadata":{}},
 {"name":"day","type":"date","nullable":true,"metadata":{}}]}`

func TestWriteTyped(t *testing.T) {
	ctx := context.Background()
	schema := mustSchema(t, typedEventSchema)
	dev := "phone"
	events := []typedEvent{
		{1, ts("2024-03-01T10:00:00.000001Z"), "click", &dev, 1.5, 1999, []string{"a", "b"}, "2024-03-01"},
		{2, ts("2024-03-02T11:00:00Z"), "view", nil, -3, -5, nil, "2024-03-02"},
		{3, ts("2024-03-01T09:00:00.5Z"), "buy", &dev, 100.25, 0, []string{}, "2024-03-01"},
		{4, ts("2024-03-03T00:00:00Z"), "none", nil, 0, 1, []string{"c"}, ""},
	}
	store := newLocal(t)
	now := time.UnixMilli(1700000000000)
	adds, err := WriteTyped(ctx, store, schema, []string{"day"}, events, func(e *typedEvent) map[string]*string {
		if e.Day == "" {
			return map[string]*string{"day": nil}
		}
		return map[string]*string{"day": &e.Day}
	}, WriterOptions{Compression: "snappy", Prefix: "typed", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if len(adds) != 3 {
		t.Fatalf("%d files, want 3", len(adds))
	}
	wantStats := []string{
		`{"numRecords":2,"minValues":{"id":1,"time":"2024-03-01T09:00:00.500Z","action":"buy","device":"phone","value":1.5,"amount":0.00},"maxValues":{"id":3,"time":"2024-03-01T10:00:00.001Z","action":"click","device":"phone","value":100.25,"amount":19.99},"nullCount":{"id":0,"time":0,"action":0,"device":0,"value":0,"amount":0}}`,
		`{"numRecords":1,"minValues":{"id":2,"time":"2024-03-02T11:00:00.000Z","action":"view","value":-3.0,"amount":-0.05},"maxValues":{"id":2,"time":"2024-03-02T11:00:00.000Z","action":"view","value":-3.0,"amount":-0.05},"nullCount":{"id":0,"time":0,"action":0,"device":1,"value":0,"amount":0}}`,
		`{"numRecords":1,"minValues":{"id":4,"time":"2024-03-03T00:00:00.000Z","action":"none","value":0.0,"amount":0.01},"maxValues":{"id":4,"time":"2024-03-03T00:00:00.000Z","action":"none","value":0.0,"amount":0.01},"nullCount":{"id":0,"time":0,"action":0,"device":1,"value":0,"amount":0}}`,
	}
	wantDirs := []string{"day=2024-03-01/typed-00000-", "day=2024-03-02/typed-00001-", "day=__HIVE_DEFAULT_PARTITION__/typed-00002-"}
	for i, a := range adds {
		if a.Stats != wantStats[i] {
			t.Errorf("file %d stats\n got %s\nwant %s", i, a.Stats, wantStats[i])
		}
		if !strings.HasPrefix(a.Path, wantDirs[i]) || !strings.HasSuffix(a.Path, "-c000.snappy.parquet") {
			t.Errorf("file %d path %s", i, a.Path)
		}
		if a.ModificationTime != now.UnixMilli() || !a.DataChange {
			t.Errorf("file %d: %+v", i, a)
		}
	}
	got, err := handSnapshot(Open(store), schema, []string{"day"}, adds).Rows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d := func(s string) any {
		if s == "" {
			return nil
		}
		v, _ := ParsePartitionValue(&s, Date)
		return v
	}
	want := []Row{
		{int64(1), ts("2024-03-01T10:00:00.000001Z"), "click", "phone", 1.5, dec(t, "19.99", 2), []any{"a", "b"}, d("2024-03-01")},
		{int64(3), ts("2024-03-01T09:00:00.5Z"), "buy", "phone", 100.25, dec(t, "0", 2), []any{}, d("2024-03-01")},
		{int64(2), ts("2024-03-02T11:00:00Z"), "view", nil, -3.0, dec(t, "-0.05", 2), []any{}, d("2024-03-02")},
		{int64(4), ts("2024-03-03T00:00:00Z"), "none", nil, 0.0, dec(t, "0.01", 2), []any{"c"}, nil},
	}
	if diff := cmp.Diff(want, got, rowCmp); diff != "" {
		t.Errorf("typed round trip (-want +got):\n%s", diff)
	}

	// A struct tag with an incompatible type is refused.
	type badEvent struct {
		ID string `parquet:"id"`
	}
	if _, err := WriteTyped(ctx, store, schema, []string{"day"}, []badEvent{{"x"}}, func(*badEvent) map[string]*string { return nil }, WriterOptions{}); err == nil || !strings.Contains(err.Error(), "column id") {
		t.Errorf("bad typed schema: err = %v", err)
	}
	type extraEvent struct {
		ID  int64  `parquet:"id"`
		Day string `parquet:"day"`
	}
	if _, err := WriteTyped(ctx, store, schema, []string{"day"}, []extraEvent{{1, "x"}}, func(*extraEvent) map[string]*string { return nil }, WriterOptions{}); err == nil || !strings.Contains(err.Error(), `"day" is not a data column`) {
		t.Errorf("partition column in T: err = %v", err)
	}
}

// TestReadSchemaEvolution reads a file with a schema that adds fields
// (top-level and nested: read as null), drops fields (top-level and
// nested ones, including repeated and map subtrees, which are skipped)
// and reorders fields, matching by name (case-insensitively as a
// fallback).
func TestReadSchemaEvolution(t *testing.T) {
	ctx := context.Background()
	written := mustSchema(t, `{"type":"struct","fields":[
 {"name":"a","type":"integer","nullable":true,"metadata":{}},
 {"name":"gone","type":"string","nullable":true,"metadata":{}},
 {"name":"st","type":{"type":"struct","fields":[
   {"name":"x","type":"integer","nullable":true,"metadata":{}},
   {"name":"lst","type":{"type":"array","elementType":{"type":"array","elementType":"integer","containsNull":true},"containsNull":true},"nullable":true,"metadata":{}},
   {"name":"mp","type":{"type":"map","keyType":"string","valueType":"long","valueContainsNull":true},"nullable":true,"metadata":{}},
   {"name":"y","type":"string","nullable":true,"metadata":{}}]},"nullable":true,"metadata":{}},
 {"name":"arr","type":{"type":"array","elementType":{"type":"struct","fields":[
   {"name":"p","type":"integer","nullable":true,"metadata":{}},
   {"name":"q","type":{"type":"array","elementType":"integer","containsNull":true},"nullable":true,"metadata":{}}]},"containsNull":true},"nullable":true,"metadata":{}}]}`)
	rows := []Row{
		{int32(1), "g1", Row{int32(10), []any{[]any{int32(1)}, nil, []any{}}, []MapEntry{{Key: "k", Value: int64(1)}}, "y1"}, []any{Row{int32(1), []any{int32(2), int32(3)}}, nil, Row{nil, []any{}}}},
		{int32(2), nil, nil, nil},
		{int32(3), "g3", Row{nil, nil, nil, nil}, []any{}},
		{int32(4), "g4", Row{int32(40), []any{}, []MapEntry{}, "y4"}, []any{Row{int32(7), nil}}},
	}
	store := newLocal(t)
	adds, err := WriteRows(ctx, store, written, nil, rows, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	name, _ := adds[0].DecodedPath()
	data, _ := store.Read(ctx, name)
	read := mustSchema(t, `{"type":"struct","fields":[
 {"name":"ARR","type":{"type":"array","elementType":{"type":"struct","fields":[
   {"name":"q","type":{"type":"array","elementType":"integer","containsNull":true},"nullable":true,"metadata":{}},
   {"name":"new","type":"string","nullable":true,"metadata":{}}]},"containsNull":true},"nullable":true,"metadata":{}},
 {"name":"st","type":{"type":"struct","fields":[
   {"name":"y","type":"string","nullable":true,"metadata":{}},
   {"name":"z","type":"long","nullable":true,"metadata":{}}]},"nullable":true,"metadata":{}},
 {"name":"a","type":"long","nullable":true,"metadata":{}},
 {"name":"b","type":"string","nullable":true,"metadata":{}}]}`)
	got, err := ReadParquet(data, read)
	if err != nil {
		t.Fatal(err)
	}
	want := []Row{
		{[]any{Row{[]any{int32(2), int32(3)}, nil}, nil, Row{[]any{}, nil}}, Row{"y1", nil}, int64(1), nil},
		{nil, nil, int64(2), nil},
		{[]any{}, Row{nil, nil}, int64(3), nil},
		{[]any{Row{nil, nil}}, Row{"y4", nil}, int64(4), nil},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("evolved read (-want +got):\n%s", diff)
	}
}

// legacyList is a LIST-annotated group with arbitrary children, to build
// the legacy list layouts parquet.List cannot.
type legacyList struct{ orderedGroup }

func (legacyList) Type() parquet.Type { return parquet.List(parquet.String()).Type() }

// TestReadLegacyLists reads the backward-compatible LIST layouts of the
// Parquet spec: 2-level (repeated primitive), repeated group with several
// fields, a one-field repeated group named "array" or "<name>_tuple"
// (the group is the element), and an unannotated repeated field.
func TestReadLegacyLists(t *testing.T) {
	i32 := parquet.Leaf(parquet.Int32Type)
	schema := parquet.NewSchema("m", orderedGroup{
		orderedField{parquet.Optional(legacyList{orderedGroup{orderedField{parquet.Repeated(i32), "array"}}}), "two"},
		orderedField{parquet.Optional(legacyList{orderedGroup{orderedField{parquet.Repeated(orderedGroup{
			orderedField{parquet.Required(i32), "a"}, orderedField{parquet.Optional(i32), "b"}}), "bag"}}}), "multi"},
		orderedField{parquet.Optional(legacyList{orderedGroup{orderedField{parquet.Repeated(orderedGroup{
			orderedField{parquet.Optional(i32), "a"}}), "array"}}}), "arr1"},
		orderedField{parquet.Optional(legacyList{orderedGroup{orderedField{parquet.Repeated(orderedGroup{
			orderedField{parquet.Optional(i32), "a"}}), "tup_tuple"}}}), "tup"},
		orderedField{parquet.Repeated(i32), "bare"},
	})
	v := func(x int32, rep, def, col int) parquet.Value { return parquet.Int32Value(x).Level(rep, def, col) }
	null := func(rep, def, col int) parquet.Value { return parquet.NullValue().Level(rep, def, col) }
	// Columns: two=0, multi.a=1, multi.b=2, arr1.a=3, tup.a=4, bare=5.
	prows := []parquet.Row{
		{v(1, 0, 2, 0), v(2, 1, 2, 0), // two = [1,2]
			v(1, 0, 2, 1), v(3, 1, 2, 1), null(0, 2, 2), v(4, 1, 3, 2), // multi = [{1,null},{3,4}]
			v(5, 0, 3, 3), null(1, 2, 3), // arr1 = [{5},{null}]
			v(6, 0, 3, 4),                 // tup = [{6}]
			v(7, 0, 1, 5), v(8, 1, 1, 5)}, // bare = [7,8]
		{null(0, 1, 0), // two = []
			null(0, 0, 1), null(0, 0, 2), // multi = null
			null(0, 0, 3),  // arr1 = null
			null(0, 1, 4),  // tup = []
			null(0, 0, 5)}, // bare = []
	}
	var buf bytes.Buffer
	w := parquet.NewWriter(&buf, schema)
	if _, err := w.WriteRows(prows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	delta := mustSchema(t, `{"type":"struct","fields":[
 {"name":"two","type":{"type":"array","elementType":"integer","containsNull":false},"nullable":true,"metadata":{}},
 {"name":"multi","type":{"type":"array","elementType":{"type":"struct","fields":[{"name":"a","type":"integer","nullable":false,"metadata":{}},{"name":"b","type":"integer","nullable":true,"metadata":{}}]},"containsNull":false},"nullable":true,"metadata":{}},
 {"name":"arr1","type":{"type":"array","elementType":{"type":"struct","fields":[{"name":"a","type":"integer","nullable":true,"metadata":{}}]},"containsNull":false},"nullable":true,"metadata":{}},
 {"name":"tup","type":{"type":"array","elementType":{"type":"struct","fields":[{"name":"a","type":"integer","nullable":true,"metadata":{}}]},"containsNull":false},"nullable":true,"metadata":{}},
 {"name":"bare","type":{"type":"array","elementType":"integer","containsNull":false},"nullable":false,"metadata":{}}]}`)
	got, err := ReadParquet(buf.Bytes(), delta)
	if err != nil {
		t.Fatal(err)
	}
	want := []Row{
		{[]any{int32(1), int32(2)}, []any{Row{int32(1), nil}, Row{int32(3), int32(4)}}, []any{Row{int32(5)}, Row{nil}}, []any{Row{int32(6)}}, []any{int32(7), int32(8)}},
		{[]any{}, nil, nil, []any{}, []any{}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("legacy lists (-want +got):\n%s", diff)
	}
	ps, err := SchemaFromParquet(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if ps.String() != delta.String() {
		t.Errorf("SchemaFromParquet = %s\nwant %s", ps, delta)
	}
}
