package cli

import (
	"bytes"
	"math"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/delta"
)

// allTypesSchema has one column of every Delta type.
var allTypesSchema = &delta.StructType{Fields: []delta.StructField{
	{Name: "s", Type: delta.String, Nullable: true},
	{Name: "l", Type: delta.Long, Nullable: true},
	{Name: "i", Type: delta.Integer, Nullable: true},
	{Name: "sh", Type: delta.Short, Nullable: true},
	{Name: "b", Type: delta.Byte, Nullable: true},
	{Name: "f", Type: delta.Float, Nullable: true},
	{Name: "d", Type: delta.Double, Nullable: true},
	{Name: "ok", Type: delta.Boolean, Nullable: true},
	{Name: "bin", Type: delta.Binary, Nullable: true},
	{Name: "dt", Type: delta.Date, Nullable: true},
	{Name: "ts", Type: delta.Timestamp, Nullable: true},
	{Name: "ntz", Type: delta.TimestampNTZ, Nullable: true},
	{Name: "dec", Type: delta.DecimalType{Precision: 10, Scale: 2}, Nullable: true},
	{Name: "st", Type: &delta.StructType{Fields: []delta.StructField{
		{Name: "x", Type: delta.Double, Nullable: true},
		{Name: "tags", Type: &delta.ArrayType{ElementType: delta.String, ContainsNull: true}, Nullable: true},
	}}, Nullable: true},
	{Name: "arr", Type: &delta.ArrayType{ElementType: delta.Long, ContainsNull: true}, Nullable: true},
	{Name: "m", Type: &delta.MapType{KeyType: delta.String, ValueType: delta.Integer, ValueContainsNull: true}, Nullable: true},
	{Name: "mi", Type: &delta.MapType{KeyType: delta.Integer, ValueType: delta.String, ValueContainsNull: true}, Nullable: true},
	{Name: "v", Type: delta.Void, Nullable: true},
}}

func allTypesRows() []delta.Row {
	ts := time.Date(2016, 7, 26, 2, 14, 35, 0, time.UTC)
	return []delta.Row{
		{
			"a \"quoted\", <b>", int64(-9007199254740993), int32(7), int16(-3), int8(127),
			float32(1.1), 2.5, true, []byte{0, 1, 0xfe}, delta.DateOf(ts), ts, ts.Add(123456 * time.Microsecond),
			delta.Decimal{Unscaled: big.NewInt(-1234), Scale: 2},
			delta.Row{1e21, []any{"x", nil}},
			[]any{int64(1), nil, int64(3)},
			[]delta.MapEntry{{Key: "k2", Value: int32(2)}, {Key: "k1", Value: nil}},
			[]delta.MapEntry{{Key: int32(1), Value: "one"}},
			nil,
		},
		{
			"line1\nline2\té", nil, nil, nil, nil,
			float32(math.Inf(1)), math.NaN(), false, []byte{}, delta.DateValue(0), ts.Add(500 * time.Millisecond), ts,
			delta.Decimal{Unscaled: big.NewInt(5), Scale: 2},
			delta.Row{nil, nil},
			[]any{},
			[]delta.MapEntry{},
			nil,
			nil,
		},
		make(delta.Row, 18),
	}
}

func renderAll(t *testing.T, format string, limitTruncated bool) string {
	t.Helper()
	var buf bytes.Buffer
	w, err := newRowWriter(&buf, format, allTypesSchema)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range allTypesRows() {
		if err := w.WriteRow(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(limitTruncated); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestRenderAllTypes(t *testing.T) {
	tests := []struct {
		format string
		want   string
	}{
		{"jsonl", `{"s":"a \"quoted\", <b>","l":-9007199254740993,"i":7,"sh":-3,"b":127,"f":1.1,"d":2.5,"ok":true,"bin":"AAH+","dt":"2016-07-26","ts":"2016-07-26T02:14:35Z","ntz":"2016-07-26T02:14:35.123456","dec":-12.34,"st":{"x":1e+21,"tags":["x",null]},"arr":[1,null,3],"m":{"k2":2,"k1":null},"mi":[{"key":1,"value":"one"}],"v":null}
{"s":"line1\nline2\té","l":null,"i":null,"sh":null,"b":null,"f":"Infinity","d":"NaN","ok":false,"bin":"","dt":"1970-01-01","ts":"2016-07-26T02:14:35.500000Z","ntz":"2016-07-26T02:14:35","dec":0.05,"st":{"x":null,"tags":null},"arr":[],"m":{},"mi":null,"v":null}
{"s":null,"l":null,"i":null,"sh":null,"b":null,"f":null,"d":null,"ok":null,"bin":null,"dt":null,"ts":null,"ntz":null,"dec":null,"st":null,"arr":null,"m":null,"mi":null,"v":null}
`},
		{"csv", `s,l,i,sh,b,f,d,ok,bin,dt,ts,ntz,dec,st,arr,m,mi,v
"a ""quoted"", <b>",-9007199254740993,7,-3,127,1.1,2.5,true,AAH+,2016-07-26,2016-07-26T02:14:35Z,2016-07-26T02:14:35.123456,-12.34,"{""x"":1e+21,""tags"":[""x"",null]}","[1,null,3]","{""k2"":2,""k1"":null}","[{""key"":1,""value"":""one""}]",
"line1
line2	é",,,,,Infinity,NaN,false,,1970-01-01,2016-07-26T02:14:35.500000Z,2016-07-26T02:14:35,0.05,"{""x"":null,""tags"":null}",[],{},,
,,,,,,,,,,,,,,,,,
`},
		{"table", ""}, // golden in testdata/render_all_types.table: it is wide
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			got := renderAll(t, tt.format, false)
			if tt.format == "table" {
				tt.want = golden(t, "render_all_types.table", got)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s output mismatch (-want +got):\n%s", tt.format, diff)
			}
		})
	}
}

func TestTableFooter(t *testing.T) {
	got := renderAll(t, "table", true)
	if !strings.HasSuffix(got, "\n(3 rows shown; more not shown, raise --limit)\n") {
		t.Errorf("footer of truncated output:\n%s", got)
	}
}

func TestFormatCommitTimeAlignsMilliseconds(t *testing.T) {
	tests := []struct {
		in   time.Time
		want string
	}{
		{time.Time{}, ""},
		{time.UnixMilli(1673493616000), "2023-01-12T03:20:16Z"},
		{time.UnixMilli(1673493616190), "2023-01-12T03:20:16.190Z"},
		{time.UnixMilli(1673493616007), "2023-01-12T03:20:16.007Z"},
	}
	for _, tt := range tests {
		if got := formatCommitTime(tt.in); got != tt.want {
			t.Errorf("formatCommitTime(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
