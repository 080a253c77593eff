package delta

import (
	"context"
	"errors"
	"math"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func strp(s string) *string { return &s }

func TestParsePartitionValue(t *testing.T) {
	cases := []struct {
		in   *string
		typ  DataType
		want any
	}{
		{nil, String, nil},
		{strp(""), String, nil},
		{strp(""), Long, nil},
		{strp("null"), String, "null"},
		{strp("a/b"), String, "a/b"},
		{strp("hello"), Binary, []byte("hello")},
		{strp("-9223372036854775808"), Long, int64(math.MinInt64)},
		{strp("2147483647"), Integer, int32(math.MaxInt32)},
		{strp("-32768"), Short, int16(math.MinInt16)},
		{strp("127"), Byte, int8(127)},
		{strp("9.9"), Double, 9.9},
		{strp("10.0"), Float, float32(10)},
		{strp("NaN"), Double, math.NaN()},
		{strp("true"), Boolean, true},
		{strp("FALSE"), Boolean, false},
		{strp("2021-09-08"), Date, DateValue(18878)},
		{strp("1969-12-31"), Date, DateValue(-1)},
		{strp("2021-09-08 11:11:11"), Timestamp, time.Date(2021, 9, 8, 11, 11, 11, 0, time.UTC)},
		{strp("2020-01-01 08:09:10.001"), Timestamp, time.Date(2020, 1, 1, 8, 9, 10, 1e6, time.UTC)},
		{strp("1969-01-01 00:00:00"), Timestamp, time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC)},
		{strp("1970-01-01T00:00:00.123456Z"), Timestamp, time.Date(1970, 1, 1, 0, 0, 0, 123456000, time.UTC)},
		{strp("2000-01-01T00:00:00.000-08:00"), Timestamp, time.Date(2000, 1, 1, 8, 0, 0, 0, time.UTC)},
		{strp("2021-09-08 11:11:11.1234567"), TimestampNTZ, time.Date(2021, 9, 8, 11, 11, 11, 123456000, time.UTC)},
		{strp("12.000000000000000000"), DecimalType{38, 18}, Decimal{Unscaled: mustBig("12000000000000000000"), Scale: 18}},
		{strp("-1.5"), DecimalType{5, 2}, Decimal{Unscaled: mustBig("-150"), Scale: 2}},
	}
	opt := cmp.Options{rowCmp, cmp.Comparer(func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) })}
	for _, c := range cases {
		got, err := ParsePartitionValue(c.in, c.typ)
		if err != nil {
			t.Errorf("ParsePartitionValue(%v, %s): %v", deref(c.in), c.typ, err)
			continue
		}
		if !cmp.Equal(c.want, got, opt) {
			t.Errorf("ParsePartitionValue(%v, %s) = %#v, want %#v", deref(c.in), c.typ, got, c.want)
		}
	}
	for _, bad := range []struct {
		in  string
		typ DataType
	}{
		{"x", Long}, {"128", Byte}, {"maybe", Boolean}, {"2021-13-01", Date}, {"yesterday", Timestamp},
		{"1.234", DecimalType{5, 2}}, {"1", &ArrayType{ElementType: Long}},
	} {
		if _, err := ParsePartitionValue(&bad.in, bad.typ); err == nil {
			t.Errorf("ParsePartitionValue(%q, %s) succeeded", bad.in, bad.typ)
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

func TestFormatPartitionValue(t *testing.T) {
	cases := []struct {
		v    any
		typ  DataType
		want *string
	}{
		{nil, String, nil},
		{"a/b", String, strp("a/b")},
		{[]byte("hello"), Binary, strp("hello")},
		{"", String, nil},
		{[]byte{}, Binary, nil},
		{int64(-5), Long, strp("-5")},
		{int32(7), Integer, strp("7")},
		{int16(7), Short, strp("7")},
		{int8(-7), Byte, strp("-7")},
		{float64(9.9), Double, strp("9.9")},
		{float64(10), Double, strp("10.0")},
		{float64(1e7), Double, strp("1.0E7")},
		{float64(1.5e-5), Double, strp("1.5E-5")},
		{float32(0.5), Float, strp("0.5")},
		{math.Inf(-1), Double, strp("-Infinity")},
		{true, Boolean, strp("true")},
		{DateValue(18878), Date, strp("2021-09-08")},
		{time.Date(1970, 1, 2, 8, 45, 0, 0, time.UTC), Timestamp, strp("1970-01-02 08:45:00")},
		{time.Date(2020, 1, 1, 8, 9, 10, 1e6, time.UTC), Timestamp, strp("2020-01-01 08:09:10.001")},
		{time.Date(2020, 1, 1, 8, 9, 10, 123456789, time.FixedZone("x", 3600)), Timestamp, strp("2020-01-01 07:09:10.123456")},
		{Decimal{Unscaled: mustBig("12"), Scale: 0}, DecimalType{38, 18}, strp("12.000000000000000000")},
	}
	for _, c := range cases {
		got, err := FormatPartitionValue(c.v, c.typ)
		if err != nil {
			t.Errorf("FormatPartitionValue(%v, %s): %v", c.v, c.typ, err)
			continue
		}
		if deref(got) != deref(c.want) {
			t.Errorf("FormatPartitionValue(%v, %s) = %s, want %s", c.v, c.typ, deref(got), deref(c.want))
		}
		back, err := ParsePartitionValue(got, c.typ)
		if err != nil {
			t.Errorf("round trip %v: %v", c.v, err)
		} else if renderValue(back) != renderValue(canonicalPartition(c.v)) {
			t.Errorf("round trip %v (%s): got %s", c.v, c.typ, renderValue(back))
		}
	}
	if _, err := FormatPartitionValue("x", Long); err == nil {
		t.Error("FormatPartitionValue(string as long) succeeded")
	}
}

// canonicalPartition is what reading a written partition value gives.
func canonicalPartition(v any) any {
	switch x := v.(type) {
	case time.Time:
		return x.UTC().Truncate(time.Microsecond)
	case string:
		if x == "" {
			return nil
		}
	case []byte:
		if len(x) == 0 {
			return nil
		}
	}
	return v
}

func TestEscapePartitionName(t *testing.T) {
	cases := map[string]string{
		"a/b":           "a%2Fb",
		"b b":           "b b",
		"%":             "%25",
		"😈":             "😈",
		"11:11:11":      "11%3A11%3A11",
		"a=b?c#d":       "a%3Db%3Fc%23d",
		"x\x01\x7f{[]^": "x%01%7F%7B%5B%5D%5E",
		`q"'*\`:         "q%22%27%2A%5C",
		"plain-_.~+,":   "plain-_.~+,",
	}
	for in, want := range cases {
		if got := escapePartitionName(in); got != want {
			t.Errorf("escapePartitionName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestPartitionedWriteRoundTrip writes rows partitioned by a column of
// every partitionable type (null and values that need escaping
// included) and reads them back through a snapshot.
func TestPartitionedWriteRoundTrip(t *testing.T) {
	ctx := context.Background()
	schema := mustSchema(t, `{"type":"struct","fields":[
 {"name":"id","type":"long","nullable":false,"metadata":{}},
 {"name":"ps","type":"string","nullable":true,"metadata":{}},
 {"name":"pl","type":"long","nullable":true,"metadata":{}},
 {"name":"pi","type":"integer","nullable":true,"metadata":{}},
 {"name":"psh","type":"short","nullable":true,"metadata":{}},
 {"name":"pb","type":"byte","nullable":true,"metadata":{}},
 {"name":"pbo","type":"boolean","nullable":true,"metadata":{}},
 {"name":"pf","type":"float","nullable":true,"metadata":{}},
 {"name":"pd","type":"double","nullable":true,"metadata":{}},
 {"name":"pdt","type":"date","nullable":true,"metadata":{}},
 {"name":"pts","type":"timestamp","nullable":true,"metadata":{}},
 {"name":"pdec","type":"decimal(12,5)","nullable":true,"metadata":{}},
 {"name":"pbin","type":"binary","nullable":true,"metadata":{}},
 {"name":"data","type":"string","nullable":true,"metadata":{}}]}`)
	parts := []string{"ps", "pl", "pi", "psh", "pb", "pbo", "pf", "pd", "pdt", "pts", "pdec", "pbin"}
	strs := []any{"a/b", "b b", "%", "😈", "x=y", nil, "null", "11:11:11"}
	var rows []Row
	for i := range 24 {
		s := strs[i%len(strs)]
		r := Row{int64(i), s, int64(i % 3), int32(-i % 2), int16(i % 2), int8(i % 2), i%2 == 0, float32(i%2) + 0.5, float64(i%3) * 1.25,
			DateValue(18000 + i%2), time.Date(2021, 9, 8, 11, 11, 11, (i%2)*123456000, time.UTC), dec(t, "-1.5", 5), []byte{'b', byte('0' + i%2)}, "row"}
		if i%5 == 4 { // every partition null
			for _, p := range parts {
				_, j := schema.Field(p)
				r[j] = nil
			}
		}
		rows = append(rows, r)
	}
	store := newLocal(t)
	adds, err := WriteRows(ctx, store, schema, parts, rows, WriterOptions{Compression: "snappy"})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, a := range adds {
		if len(a.PartitionValues) != len(parts) {
			t.Errorf("%s: partitionValues %v", a.Path, a.PartitionValues)
		}
		if !a.DataChange || a.Size <= 0 || a.ModificationTime <= 0 {
			t.Errorf("%s: add %+v", a.Path, a)
		}
		name, err := a.DecodedPath()
		if err != nil {
			t.Fatal(err)
		}
		if EncodePath(name) != a.Path {
			t.Errorf("path %s is not EncodePath(%s)", a.Path, name)
		}
		if _, err := store.Stat(ctx, name); err != nil {
			t.Errorf("data file %s: %v", name, err)
		}
		// Directories are Hive-style, in partition column order.
		dirs := strings.Split(name, "/")
		for k, p := range parts {
			want := p + "=" + HiveDefaultPartition
			if v := a.PartitionValues[p]; v != nil {
				want = p + "=" + escapePartitionName(*v)
			}
			if dirs[k] != want {
				t.Errorf("%s: dir %d = %q, want %q", name, k, dirs[k], want)
			}
		}
		if !strings.HasSuffix(name, "-c000.snappy.parquet") {
			t.Errorf("name %s", name)
		}
		seen[name] = true
		// Data files hold only the data columns.
		data, _ := store.Read(ctx, name)
		ps, err := SchemaFromParquet(data)
		if err != nil {
			t.Fatal(err)
		}
		if ps.String() != "struct<id:long,data:string>" {
			t.Errorf("%s: data file schema %s", name, ps)
		}
	}
	if len(seen) != len(adds) {
		t.Errorf("duplicate file names")
	}
	// Check a few escaped paths explicitly.
	var paths []string
	for _, a := range adds {
		paths = append(paths, a.Path)
	}
	for _, want := range []string{"ps=a%252Fb/pl=0/", "ps=b%20b/", "ps=%2525/", "ps=x%253Dy/", "ps=11%253A11%253A11/", "ps=__HIVE_DEFAULT_PARTITION__/pl=__HIVE_DEFAULT_PARTITION__/"} {
		if !slices.ContainsFunc(paths, func(p string) bool { return strings.HasPrefix(p, want) }) {
			t.Errorf("no path starts with %s in %v", want, paths)
		}
	}
	emoji := false
	for _, p := range paths {
		if dp, _ := url.PathUnescape(p); strings.HasPrefix(dp, "ps=😈/") {
			emoji = true
		}
	}
	if !emoji {
		t.Errorf("no emoji partition dir")
	}

	snap := handSnapshot(Open(store), schema, parts, adds)
	got, err := snap.Rows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Expected: the input, except that an empty string partition would
	// read back as null (none here) and timestamps are UTC micros.
	slices.SortFunc(got, func(a, b Row) int { return int(a[0].(int64) - b[0].(int64)) })
	if diff := cmp.Diff(rows, got, rowCmp); diff != "" {
		t.Errorf("partitioned round trip (-want +got):\n%s", diff)
	}
}

func TestEmptyStringPartitionIsNull(t *testing.T) {
	ctx := context.Background()
	schema := mustSchema(t, `{"type":"struct","fields":[{"name":"p","type":"string","nullable":true,"metadata":{}},{"name":"v","type":"integer","nullable":true,"metadata":{}}]}`)
	store := newLocal(t)
	adds, err := WriteRows(ctx, store, schema, []string{"p"}, []Row{{"", int32(1)}, {nil, int32(2)}}, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Both rows land in the null partition, as Spark does.
	if len(adds) != 1 || adds[0].PartitionValues["p"] != nil || !strings.HasPrefix(adds[0].Path, "p=__HIVE_DEFAULT_PARTITION__/") {
		t.Fatalf("adds %+v", adds[0])
	}
	got, err := handSnapshot(Open(store), schema, []string{"p"}, adds).Rows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Row{{nil, int32(1)}, {nil, int32(2)}}, got); diff != "" {
		t.Error(diff)
	}
}

// TestPartitionValuesNotFromDirectory: the reader must use
// add.partitionValues even when directory names disagree.
func TestPartitionValuesNotFromDirectory(t *testing.T) {
	ctx := context.Background()
	schema := mustSchema(t, `{"type":"struct","fields":[{"name":"v","type":"integer","nullable":true,"metadata":{}},{"name":"p","type":"string","nullable":true,"metadata":{}}]}`)
	store := newLocal(t)
	adds, err := WriteRows(ctx, store, schema, []string{"p"}, []Row{{int32(1), "dir"}}, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	adds[0].PartitionValues["p"] = strp("log")
	got, err := handSnapshot(Open(store), schema, []string{"p"}, adds).Rows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Row{{int32(1), "log"}}, got); diff != "" {
		t.Error(diff)
	}
	// A deletion vector is refused, not ignored.
	adds[0].DeletionVector = &DeletionVector{StorageType: "u"}
	_, err = handSnapshot(Open(store), schema, []string{"p"}, adds).Rows(ctx)
	var ufe *UnsupportedFeatureError
	if err == nil || !errors.As(err, &ufe) || ufe.Feature != "deletionVectors" {
		t.Errorf("DV err = %v", err)
	}
}
