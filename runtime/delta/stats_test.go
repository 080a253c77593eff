package delta

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const statsSchema = `{"type":"struct","fields":[
 {"name":"id","type":"long","nullable":true,"metadata":{}},
 {"name":"s","type":"string","nullable":true,"metadata":{}},
 {"name":"d","type":"double","nullable":true,"metadata":{}},
 {"name":"b","type":"boolean","nullable":true,"metadata":{}},
 {"name":"bin","type":"binary","nullable":true,"metadata":{}},
 {"name":"dt","type":"date","nullable":true,"metadata":{}},
 {"name":"ts","type":"timestamp","nullable":true,"metadata":{}},
 {"name":"dec","type":"decimal(5,2)","nullable":true,"metadata":{}},
 {"name":"st","type":{"type":"struct","fields":[{"name":"a","type":"integer","nullable":true,"metadata":{}},{"name":"b","type":"string","nullable":true,"metadata":{}}]},"nullable":true,"metadata":{}},
 {"name":"arr","type":{"type":"array","elementType":"integer","containsNull":true},"nullable":true,"metadata":{}},
 {"name":"m","type":{"type":"map","keyType":"string","valueType":"integer","valueContainsNull":true},"nullable":true,"metadata":{}},
 {"name":"v","type":"void","nullable":true,"metadata":{}},
 {"name":"p","type":"string","nullable":true,"metadata":{}}]}`

// TestStatsKnownFile checks the exact stats JSON of a small file against
// values worked out by hand.
func TestStatsKnownFile(t *testing.T) {
	ctx := context.Background()
	schema := mustSchema(t, statsSchema)
	long := "b" + strings.Repeat("z", 31) + "extra" // 37 characters
	rows := []Row{
		{int64(1), "apple", 1.5, true, []byte{1}, DateValue(0), ts("1970-01-01T00:00:00.0015Z"), dec(t, "-1.25", 2), Row{int32(5), "x"}, []any{int32(1)}, []MapEntry{{Key: "a", Value: int32(1)}}, nil, "p1"},
		{int64(3), long, -2.0, nil, nil, DateValue(19000), ts("2021-01-01T12:00:00.123456Z"), dec(t, "99.99", 2), nil, nil, nil, nil, "p1"},
		{nil, nil, nil, false, nil, nil, nil, nil, Row{nil, "y"}, []any{}, []MapEntry{}, nil, "p1"},
	}
	adds, err := WriteRows(ctx, newLocal(t), schema, []string{"p"}, rows, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(adds) != 1 {
		t.Fatalf("%d files", len(adds))
	}
	maxS := "b" + strings.Repeat("z", 30) + "{" // 32-char prefix, last char bumped
	want := `{"numRecords":3,` +
		`"minValues":{"id":1,"s":"apple","d":-2.0,"dt":"1970-01-01","ts":"1970-01-01T00:00:00.001Z","dec":-1.25,"st":{"a":5,"b":"x"}},` +
		`"maxValues":{"id":3,"s":"` + maxS + `","d":1.5,"dt":"2022-01-08","ts":"2021-01-01T12:00:00.124Z","dec":99.99,"st":{"a":5,"b":"y"}},` +
		`"nullCount":{"id":1,"s":1,"d":1,"b":1,"bin":2,"dt":1,"ts":1,"dec":1,"st":{"a":2,"b":1},"arr":1,"m":1}}`
	if diff := cmp.Diff(want, adds[0].Stats); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	if !json.Valid([]byte(adds[0].Stats)) {
		t.Error("stats are not valid JSON")
	}
	st, err := ParseStats(adds[0].Stats)
	if err != nil {
		t.Fatal(err)
	}
	if st.NumRecords != 3 || st.NullCount["id"] != int64(1) || st.NullCount["st"].(map[string]any)["a"] != int64(2) ||
		st.MinValues["dec"] != json.Number("-1.25") || st.MaxValues["s"] != maxS {
		t.Errorf("ParseStats = %+v", st)
	}
}

func TestStatsNaNAndAllNull(t *testing.T) {
	ctx := context.Background()
	schema := mustSchema(t, `{"type":"struct","fields":[{"name":"f","type":"float","nullable":true,"metadata":{}},{"name":"d","type":"double","nullable":true,"metadata":{}},{"name":"n","type":"integer","nullable":true,"metadata":{}}]}`)
	rows := []Row{{float32(1), math.NaN(), nil}, {float32(2), 1.0, nil}}
	adds, err := WriteRows(ctx, newLocal(t), schema, nil, rows, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"numRecords":2,"minValues":{"f":1.0},"maxValues":{"f":2.0},"nullCount":{"f":0,"d":0,"n":2}}`
	if adds[0].Stats != want {
		t.Errorf("stats = %s\nwant    %s", adds[0].Stats, want)
	}
}

func TestTruncateStatsString(t *testing.T) {
	exact := strings.Repeat("é", 32)
	cases := []struct {
		in    string
		upper bool
		want  string
		ok    bool
	}{
		{exact, false, exact, true},
		{exact, true, exact, true},
		{exact + "x", false, exact, true},
		{exact + "x", true, strings.Repeat("é", 31) + "ê", true},
		{strings.Repeat("\U0010FFFF", 33), true, "", false},
		{"a" + strings.Repeat("\U0010FFFF", 33), true, "b", true},
		{strings.Repeat("a", 31) + "\uD7FF" + "zz", true, strings.Repeat("a", 31) + "\uE000", true},
	}
	for _, c := range cases {
		got, ok := truncateStatsString(c.in, c.upper)
		if got != c.want || ok != c.ok {
			t.Errorf("truncateStatsString(%q, %v) = %q, %v; want %q, %v", c.in, c.upper, got, ok, c.want, c.ok)
		}
		if ok && c.upper && got < c.in {
			t.Errorf("max %q sorts before %q", got, c.in)
		}
	}
}

func TestParseStats(t *testing.T) {
	s := `{"numRecords":5,"minValues":{"pk":0,"struct":{"float64":0.0}},"maxValues":{"pk":4,"struct":{"float64":4.0}},"nullCount":{"pk":0,"struct":{"float64":0,"bool":0},"array":0,"map":0},"tightBounds":true}`
	st, err := ParseStats(s)
	if err != nil {
		t.Fatal(err)
	}
	tb := true
	want := &Stats{
		NumRecords:  5,
		MinValues:   map[string]any{"pk": json.Number("0"), "struct": map[string]any{"float64": json.Number("0.0")}},
		MaxValues:   map[string]any{"pk": json.Number("4"), "struct": map[string]any{"float64": json.Number("4.0")}},
		NullCount:   map[string]any{"pk": int64(0), "struct": map[string]any{"float64": int64(0), "bool": int64(0)}, "array": int64(0), "map": int64(0)},
		TightBounds: &tb,
	}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("ParseStats (-want +got):\n%s", diff)
	}
	only, err := ParseStats(`{"numRecords":7}`)
	if err != nil || only.NumRecords != 7 || only.MinValues != nil || only.NullCount != nil {
		t.Errorf("numRecords-only stats: %+v, %v", only, err)
	}
	for _, bad := range []string{"", "{", `{"numRecords":"x"}`, `{"numRecords":1,"nullCount":{"a":"x"}}`, `{"numRecords":1,"nullCount":{"a":1.5}}`} {
		if _, err := ParseStats(bad); err == nil {
			t.Errorf("ParseStats(%q) succeeded", bad)
		}
	}
}

// TestStatsMatchSpark rewrites the rows of Spark-written single-file
// tables with WriteRows and compares our stats JSON with Spark's, byte
// for byte (Spark's timestamps carry the writer's zone offset; ours are
// UTC, so the Spark value is converted first).
func TestStatsMatchSpark(t *testing.T) {
	ctx := context.Background()
	fixes := map[string][2]string{
		"golden/data-skipping-basic-stats-all-types": {"2000-01-01T00:00:00.000-08:00", "2000-01-01T08:00:00.000Z"},
	}
	ran := 0
	for _, c := range conformanceCases(t) {
		if c.Name != "dat/all_primitive_types" && c.Name != "golden/data-skipping-basic-stats-all-types" && c.Name != "dat/nested_types" {
			continue
		}
		ran++
		t.Run(c.Name, func(t *testing.T) {
			snap, err := openConformanceTable(t, c).Snapshot(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(snap.Files) != 1 {
				t.Fatalf("%d files", len(snap.Files))
			}
			rows, err := snap.Rows(ctx)
			if err != nil {
				t.Fatal(err)
			}
			adds, err := WriteRows(ctx, newLocal(t), snap.Schema, snap.Metadata.PartitionColumns, rows, WriterOptions{})
			if err != nil {
				t.Fatal(err)
			}
			want := snap.Files[0].Stats
			if f, ok := fixes[c.Name]; ok {
				want = strings.ReplaceAll(want, f[0], f[1])
			}
			if diff := cmp.Diff(want, adds[0].Stats); diff != "" {
				t.Errorf("stats differ from Spark's (-spark +ours):\n%s", diff)
			}
		})
	}
	if ran != 3 {
		t.Errorf("ran %d Spark stats comparisons, want 3", ran)
	}
}

func TestStatsTimestampNTZ(t *testing.T) {
	n := newStatsNode("t", TimestampNTZ)
	n.observe(time.Date(2020, 1, 2, 3, 4, 5, 6000, time.UTC))
	c := &statsCollector{root: []*statsNode{n}, records: 1}
	want := `{"numRecords":1,"minValues":{"t":"2020-01-02T03:04:05.000"},"maxValues":{"t":"2020-01-02T03:04:05.001"},"nullCount":{"t":0}}`
	if got := c.json(); got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
}

// TestStatsTimestampMaxNearYear10000 checks that a max timestamp whose
// millisecond round-up would pass year 9999 is left out (Spark and
// delta-rs cannot parse a five-digit year), while the min is still written
// and an exact-millisecond max at the limit is kept.
func TestStatsTimestampMaxNearYear10000(t *testing.T) {
	ctx := context.Background()
	schema := mustSchema(t, `{"type":"struct","fields":[{"name":"ts","type":"timestamp","nullable":true,"metadata":{}}]}`)
	end := time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)
	tests := []struct {
		rows []Row
		want string
	}{
		{[]Row{{time.Unix(0, 1500).UTC()}, {end}},
			`{"numRecords":2,"minValues":{"ts":"1970-01-01T00:00:00.000Z"},"maxValues":{},"nullCount":{"ts":0}}`},
		{[]Row{{end.Truncate(time.Millisecond)}},
			`{"numRecords":1,"minValues":{"ts":"9999-12-31T23:59:59.999Z"},"maxValues":{"ts":"9999-12-31T23:59:59.999Z"},"nullCount":{"ts":0}}`},
	}
	for i, tt := range tests {
		adds, err := WriteRows(ctx, newLocal(t), schema, nil, tt.rows, WriterOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if adds[0].Stats != tt.want {
			t.Errorf("case %d: stats = %s\nwant            %s", i, adds[0].Stats, tt.want)
		}
	}
}
