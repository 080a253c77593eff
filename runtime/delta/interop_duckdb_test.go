package delta

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/streamgen/streamgen/runtime/storage"
)

// TestDuckDBReadsOurTables writes tables with this package and has DuckDB,
// driven by the independent minimal Delta reader
// interop/duckdb/read_delta.mjs, read them back: the active files, the
// protocol and metadata, the Parquet types of the data columns and every
// row (rendered canonically, compared as sorted multisets) must agree with
// our own reader, and every add's stats must agree with its data file. It needs node and `make interop-setup` (npm ci of
// @duckdb/node-api); without them it skips, unless
// STREAMGEN_REQUIRE_DUCKDB=1 (`make interop`) makes that a failure.
func TestDuckDBReadsOurTables(t *testing.T) {
	oracle := findDuckDBOracle(t)
	cases := []struct {
		name  string
		build func(t *testing.T, tbl *Table) (wantRows int)
		check func(t *testing.T, out *oracleOutput)
	}{
		{name: "all_types", build: interopAllTypes},
		{name: "partitioned", build: interopPartitioned},
		{name: "checkpointed", build: interopCheckpointed, check: func(t *testing.T, out *oracleOutput) {
			cp := int64(-1)
			if out.Snapshot.Checkpoint != nil {
				cp = *out.Snapshot.Checkpoint
			}
			if cp != 10 || !slices.Equal(out.Snapshot.Commits, []int64{11, 12}) {
				t.Errorf("DuckDB read checkpoint %d + commits %v, want checkpoint 10 + commits [11 12]", cp, out.Snapshot.Commits)
			}
		}},
		{name: "typed", build: interopTyped},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			st, err := storage.NewLocal(dir)
			if err != nil {
				t.Fatal(err)
			}
			tbl := Open(st)
			wantRows := c.build(t, tbl)
			out := oracle.read(t, dir)
			compareWithOracle(t, tbl, out, wantRows)
			if c.check != nil {
				c.check(t, out)
			}
		})
	}
}

// duckDBOracle runs interop/duckdb/read_delta.mjs.
type duckDBOracle struct {
	node, script, modDir string
}

// findDuckDBOracle locates node and the installed @duckdb/node-api
// package: in $STREAMGEN_DUCKDB_DIR, else next to the script.
func findDuckDBOracle(t *testing.T) *duckDBOracle {
	t.Helper()
	unavailable := func(format string, args ...any) {
		t.Helper()
		msg := fmt.Sprintf(format, args...)
		if os.Getenv("STREAMGEN_REQUIRE_DUCKDB") == "1" {
			t.Fatalf("%s, and STREAMGEN_REQUIRE_DUCKDB=1: run `make interop-setup`", msg)
		}
		t.Skipf("%s: run `make interop-setup` to enable this interop test", msg)
	}
	script, err := filepath.Abs(filepath.Join("interop", "duckdb", "read_delta.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	modDir := os.Getenv("STREAMGEN_DUCKDB_DIR")
	if modDir == "" {
		modDir = filepath.Dir(script)
	}
	if modDir, err = filepath.Abs(modDir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(modDir, "node_modules", "@duckdb", "node-api", "package.json")); err != nil {
		unavailable("@duckdb/node-api is not installed in %s", modDir)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		unavailable("node is not on PATH")
	}
	return &duckDBOracle{node: node, script: script, modDir: modDir}
}

// oracleOutput is what read_delta.mjs printed about one table.
type oracleOutput struct {
	Protocol Protocol
	Metadata Metadata
	Snapshot struct {
		Version    int64    `json:"version"`
		Checkpoint *int64   `json:"checkpoint"`
		Commits    []int64  `json:"commits"`
		Files      []string `json:"files"`
	}
	TypeMismatches []string
	Stats          struct {
		Files    int      `json:"files"`
		Checks   int      `json:"checks"`
		Problems []string `json:"problems"`
	}
	// Rows are canonical JSON objects (keys sorted, numbers verbatim).
	Rows []string
}

func (o *duckDBOracle) read(t *testing.T, dir string) *oracleOutput {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, o.node, o.script, dir)
	cmd.Env = append(os.Environ(), "STREAMGEN_DUCKDB_DIR="+o.modDir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstderr:\n%s", filepath.Base(o.script), dir, err, stderr.String())
	}
	out := &oracleOutput{}
	seen := map[string]bool{}
	for i, line := range strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n") {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal([]byte(line), &obj); err != nil || len(obj) != 1 {
			t.Fatalf("oracle output line %d is not a one-key object (%v): %s", i+1, err, line)
		}
		for k, raw := range obj {
			seen[k] = true
			var err error
			switch k {
			case "protocol":
				err = json.Unmarshal(raw, &out.Protocol)
			case "metaData":
				err = json.Unmarshal(raw, &out.Metadata)
			case "snapshot":
				err = json.Unmarshal(raw, &out.Snapshot)
			case "typeMismatches":
				err = json.Unmarshal(raw, &out.TypeMismatches)
			case "stats":
				err = json.Unmarshal(raw, &out.Stats)
			case "row":
				var s string
				s, err = canonicalJSON(raw)
				out.Rows = append(out.Rows, s)
			default:
				err = fmt.Errorf("unknown key %q", k)
			}
			if err != nil {
				t.Fatalf("oracle output line %d: %v: %s", i+1, err, line)
			}
		}
	}
	for _, k := range []string{"protocol", "metaData", "snapshot", "typeMismatches", "stats"} {
		if !seen[k] {
			t.Fatalf("oracle printed no %q line; output:\n%s", k, stdout.String())
		}
	}
	return out
}

// canonicalJSON re-encodes a JSON value with sorted keys, numbers kept
// verbatim.
func canonicalJSON(raw []byte) (string, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return "", err
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// compareWithOracle checks DuckDB's view of the table against ours.
func compareWithOracle(t *testing.T, tbl *Table, out *oracleOutput, wantRows int) {
	t.Helper()
	ctx := context.Background()
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if out.Snapshot.Version != snap.Version {
		t.Errorf("DuckDB read version %d, we read %d", out.Snapshot.Version, snap.Version)
	}
	if diff := cmp.Diff(snap.Protocol, out.Protocol, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("protocol (-ours +DuckDB):\n%s", diff)
	}
	if diff := cmp.Diff(snap.Metadata, out.Metadata, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("metaData (-ours +DuckDB):\n%s", diff)
	}
	var files []string
	for _, a := range snap.Files {
		p, err := a.DecodedPath()
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	slices.Sort(files)
	gotFiles := slices.Sorted(slices.Values(out.Snapshot.Files))
	if diff := cmp.Diff(files, gotFiles, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("active files (-ours +DuckDB):\n%s", diff)
	}
	if len(out.TypeMismatches) > 0 {
		t.Errorf("DuckDB reads data columns with other types than the Delta schema's:\n%s", strings.Join(out.TypeMismatches, "\n"))
	}
	if out.Stats.Files != len(snap.Files) || out.Stats.Checks <= out.Stats.Files {
		t.Errorf("DuckDB checked the stats of %d files (%d checks), the table has %d files, all with stats", out.Stats.Files, out.Stats.Checks, len(snap.Files))
	}
	if len(out.Stats.Problems) > 0 {
		t.Errorf("add.stats disagree with the data files as DuckDB reads them:\n%s", strings.Join(out.Stats.Problems, "\n"))
	}
	rows, err := snap.Rows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != wantRows {
		t.Errorf("we read %d rows, the test wrote %d", len(rows), wantRows)
	}
	var want []string
	for i, r := range rows {
		s, err := canonicalRow(snap.Schema, r)
		if err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
		want = append(want, s)
	}
	slices.Sort(want)
	got := slices.Sorted(slices.Values(out.Rows))
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("rows, as sorted canonical JSON (-ours +DuckDB):\n%s", diff)
	}
}

// canonicalRow renders a row the way read_delta.mjs does (see its header).
func canonicalRow(schema *StructType, r Row) (string, error) {
	v, err := canonicalValue(r, schema)
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(v)
	return string(b), err
}

func canonicalValue(v any, t DataType) (any, error) {
	if v == nil {
		return nil, nil
	}
	bad := func() (any, error) { return nil, fmt.Errorf("value %v (%T) for type %s", v, v, t) }
	switch t := t.(type) {
	case DecimalType:
		d, ok := v.(Decimal)
		if !ok || d.Scale != t.Scale {
			return bad()
		}
		return d.String(), nil
	case *StructType:
		r, ok := v.(Row)
		if !ok || len(r) != len(t.Fields) {
			return bad()
		}
		m := make(map[string]any, len(r))
		for i, f := range t.Fields {
			x, err := canonicalValue(r[i], f.Type)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f.Name, err)
			}
			m[f.Name] = x
		}
		return m, nil
	case *ArrayType:
		list, ok := v.([]any)
		if !ok {
			return bad()
		}
		out := make([]any, len(list))
		for i, e := range list {
			x, err := canonicalValue(e, t.ElementType)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			out[i] = x
		}
		return out, nil
	case *MapType:
		entries, ok := v.([]MapEntry)
		if !ok {
			return bad()
		}
		out := make([]any, len(entries))
		for i, e := range entries {
			k, err := canonicalValue(e.Key, t.KeyType)
			if err != nil {
				return nil, err
			}
			x, err := canonicalValue(e.Value, t.ValueType)
			if err != nil {
				return nil, err
			}
			out[i] = []any{k, x}
		}
		return out, nil
	case PrimitiveType:
		var ok bool
		switch t {
		case String:
			_, ok = v.(string)
		case Boolean:
			_, ok = v.(bool)
		case Long:
			_, ok = v.(int64)
		case Integer:
			_, ok = v.(int32)
		case Short:
			_, ok = v.(int16)
		case Byte:
			_, ok = v.(int8)
		}
		switch x := v.(type) {
		case string, bool:
			if ok {
				return x, nil
			}
		case int64, int32, int16, int8:
			if ok {
				n, _ := intValue(x)
				return json.Number(strconv.FormatInt(n, 10)), nil
			}
		case float32:
			if t == Float {
				return jsExponential(float64(x)), nil
			}
		case float64:
			if t == Double {
				return jsExponential(x), nil
			}
		case []byte:
			if t == Binary {
				return hex.EncodeToString(x), nil
			}
		case DateValue:
			if t == Date {
				return x.String(), nil
			}
		case time.Time:
			switch t {
			case Timestamp:
				return x.UTC().Format("2006-01-02T15:04:05.000000Z"), nil
			case TimestampNTZ:
				return x.UTC().Format("2006-01-02T15:04:05.000000"), nil
			}
		}
	}
	return bad()
}

// jsExponential formats f as JavaScript's Number.prototype.toExponential()
// with no argument (shortest round-trip digits), "-0e+0" for negative
// zero, and "NaN", "Infinity", "-Infinity".
func jsExponential(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	mant, exp, _ := strings.Cut(strconv.FormatFloat(f, 'e', -1, 64), "e")
	e, _ := strconv.Atoi(exp)
	return fmt.Sprintf("%se%+d", mant, e)
}

// interopCreate commits version 0: the table's metadata, no files.
func interopCreate(t *testing.T, tbl *Table, schema *StructType, partCols []string, conf map[string]string) {
	t.Helper()
	tx, err := tbl.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tx.SetMetadata(Metadata{SchemaString: schema.SchemaString(), PartitionColumns: partCols, Configuration: conf})
	if _, err := tx.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// interopWrite writes rows with WriteRows and returns the add actions.
func interopWrite(t *testing.T, tbl *Table, rows []Row, opts WriterOptions) []*Add {
	t.Helper()
	ctx := context.Background()
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	adds, err := WriteRows(ctx, tbl.Storage(), snap.Schema, snap.Metadata.PartitionColumns, rows, opts)
	if err != nil {
		t.Fatal(err)
	}
	return adds
}

// interopCommit commits adds and removes as one transaction.
func interopCommit(t *testing.T, tbl *Table, op string, adds []*Add, removes []*Remove) int64 {
	t.Helper()
	ctx := context.Background()
	tx, err := tbl.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx.SetOperation(op, nil)
	tx.Add(adds...)
	tx.Remove(removes...)
	v, err := tx.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

const interopAllTypesSchema = `{"type":"struct","fields":[
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
 {"name":"d9","type":"decimal(9,2)","nullable":true,"metadata":{}},
 {"name":"d18","type":"decimal(18,4)","nullable":true,"metadata":{}},
 {"name":"d38","type":"decimal(38,10)","nullable":true,"metadata":{}},
 {"name":"v","type":"void","nullable":true,"metadata":{}},
 {"name":"st","type":{"type":"struct","fields":[
   {"name":"a","type":"integer","nullable":true,"metadata":{}},
   {"name":"b","type":{"type":"struct","fields":[
     {"name":"c","type":"string","nullable":true,"metadata":{}},
     {"name":"t","type":"timestamp","nullable":true,"metadata":{}}]},"nullable":true,"metadata":{}},
   {"name":"dec","type":"decimal(18,4)","nullable":true,"metadata":{}}]},"nullable":true,"metadata":{}},
 {"name":"arr","type":{"type":"array","elementType":"long","containsNull":true},"nullable":true,"metadata":{}},
 {"name":"arrs","type":{"type":"array","elementType":{"type":"struct","fields":[
   {"name":"x","type":"long","nullable":true,"metadata":{}},
   {"name":"y","type":"binary","nullable":true,"metadata":{}}]},"containsNull":true},"nullable":true,"metadata":{}},
 {"name":"m","type":{"type":"map","keyType":"string","valueType":"decimal(38,10)","valueContainsNull":true},"nullable":true,"metadata":{}},
 {"name":"aa","type":{"type":"array","elementType":{"type":"array","elementType":"date","containsNull":true},"containsNull":true},"nullable":true,"metadata":{}},
 {"name":"mm","type":{"type":"map","keyType":"integer","valueType":{"type":"map","keyType":"string","valueType":{"type":"array","elementType":"double","containsNull":false},"valueContainsNull":true},"valueContainsNull":true},"nullable":true,"metadata":{}},
 {"name":"req","type":"string","nullable":false,"metadata":{}}
]}`

// interopAllTypes: every primitive type, three decimal widths, nulls at
// every level, nested types; one hand-made batch per codec and a larger
// generated one (several row groups and write batches).
func interopAllTypes(t *testing.T, tbl *Table) int {
	schema := mustSchema(t, interopAllTypesSchema)
	interopCreate(t, tbl, schema, nil, nil)
	hand := []Row{
		{int32(1), "hello", int64(math.MinInt64), int16(math.MinInt16), int8(math.MinInt8), float32(1.5), -2.25, true, []byte{0, 1, 255},
			DateValue(-1), ts("1969-12-31T23:59:59.999999Z"), ts("2021-07-01T12:34:56.123456Z"),
			dec(t, "-9999999.99", 2), dec(t, "-99999999999999.9999", 4), dec(t, "-9999999999999999999999999999.9999999999", 10), nil,
			Row{int32(7), Row{"deep", ts("2000-02-29T23:59:59.5Z")}, dec(t, "0.0001", 4)},
			[]any{int64(1), nil, int64(math.MaxInt64)},
			[]any{Row{int64(1), []byte("x")}, nil, Row{nil, nil}, Row{int64(3), []byte{}}},
			[]MapEntry{{Key: "a", Value: dec(t, "1", 10)}, {Key: "b", Value: nil}, {Key: "c", Value: dec(t, "-0.0000000001", 10)}},
			[]any{[]any{DateValue(0), DateValue(19000)}, []any{}, nil, []any{nil, DateValue(-719162)}},
			[]MapEntry{{Key: int32(1), Value: []MapEntry{{Key: "k", Value: []any{1.0, -0.5}}, {Key: "e", Value: []any{}}}}, {Key: int32(2), Value: nil}},
			"r1"},
		{int32(2), "", int64(math.MaxInt64), int16(math.MaxInt16), int8(math.MaxInt8), float32(math.Copysign(0, -1)), 1e300, false, []byte{},
			DateValue(2932896), ts("9999-12-31T23:59:59.999999Z"), ts("0001-01-01T00:00:00Z"),
			dec(t, "9999999.99", 2), dec(t, "99999999999999.9999", 4), dec(t, "9999999999999999999999999999.9999999999", 10), nil,
			Row{nil, nil, nil},
			[]any{},
			[]any{},
			[]MapEntry{},
			[]any{[]any{}},
			[]MapEntry{},
			"r2"},
		{int32(3), nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, "r3"},
		{int32(4), "ünïcödé 😈 \"quoted\" \\ <tag> &\n\ttab", int64(0), int16(0), int8(0), float32(math.MaxFloat32), -1.5e-300, true, []byte("bytes"),
			DateValue(0), ts("1970-01-01T00:00:00Z"), ts("1970-01-01T00:00:00.000001Z"),
			dec(t, "0", 2), dec(t, "0.0001", 4), dec(t, "0.5", 10), nil,
			Row{int32(-1), Row{nil, nil}, nil},
			[]any{nil},
			[]any{nil},
			[]MapEntry{{Key: "", Value: nil}},
			[]any{[]any{nil}},
			[]MapEntry{{Key: int32(0), Value: []MapEntry{{Key: "n", Value: nil}}}},
			"r4"},
		{int32(5), "specials", int64(-1), int16(-1), int8(-1), float32(math.NaN()), math.Inf(1), false, []byte{0x80},
			DateValue(-1), ts("1900-01-01T00:00:00.000001Z"), ts("1969-12-31T23:59:59.999999Z"),
			dec(t, "-0.01", 2), dec(t, "-0.0001", 4), dec(t, "12345678901234567890.1234567890", 10), nil,
			Row{int32(math.MaxInt32), Row{"", ts("1969-07-20T20:17:40Z")}, dec(t, "-1", 4)},
			[]any{int64(math.MinInt64)},
			[]any{Row{int64(-1), nil}},
			[]MapEntry{{Key: "😈", Value: dec(t, "-12345678901234567890.1234567890", 10)}},
			[]any{[]any{DateValue(-1)}},
			[]MapEntry{{Key: int32(-1), Value: []MapEntry{}}},
			"r5"},
		{int32(6), "more floats", int64(1), int16(1), int8(1), float32(math.SmallestNonzeroFloat32), math.Inf(-1), true, bytes.Repeat([]byte{0xab}, 40),
			DateValue(1), ts("2024-02-29T12:00:00Z"), ts("2024-02-29T12:00:00Z"),
			dec(t, "1234567.89", 2), dec(t, "12345678901234.5678", 4), dec(t, "1", 10), nil,
			nil, nil, nil, nil, nil, nil,
			"r6"},
		{int32(7), "and more", int64(2), int16(2), int8(2), float32(0.1), math.NaN(), false, []byte("\x00"),
			DateValue(2), ts("2024-03-10T02:30:00.25Z"), ts("2024-03-10T02:30:00.25Z"),
			dec(t, "0.1", 2), dec(t, "0.1", 4), dec(t, "0.1", 10), nil,
			Row{int32(0), nil, dec(t, "99999999999999.9999", 4)},
			[]any{int64(0), int64(0)},
			[]any{Row{int64(0), []byte{0}}},
			[]MapEntry{{Key: "z", Value: dec(t, "0", 10)}, {Key: "a", Value: dec(t, "1", 10)}},
			[]any{nil, []any{}},
			[]MapEntry{{Key: int32(5), Value: []MapEntry{{Key: "x", Value: []any{math.SmallestNonzeroFloat64, math.MaxFloat64, 0.1 + 0.2}}}}},
			"r7"},
		// Strings longer than the 32-character stats prefix, cut next to
		// a supplementary character, and a max that cannot be bumped.
		{int32(8), strings.Repeat("z", 31) + "😈😈tail", nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil,
			Row{nil, Row{strings.Repeat("\U0010FFFF", 40), nil}, nil}, nil, nil, nil, nil, nil, strings.Repeat("é", 33)},
	}
	n := 0
	for i, codec := range []string{"zstd", "snappy", "none"} {
		// Each codec's file holds the hand rows with ids shifted.
		var rows []Row
		for _, r := range hand {
			r = slices.Clone(r)
			r[0] = r[0].(int32) + int32(100*i)
			rows = append(rows, r)
		}
		interopCommit(t, tbl, "WRITE", interopWrite(t, tbl, rows, WriterOptions{Compression: codec, RowGroupRows: 3}), nil)
		n += len(rows)
	}
	// Generated rows: more than one write batch, several row groups.
	rng := rand.New(rand.NewPCG(1, 2))
	var gen []Row
	for i := range 2500 {
		r := make(Row, len(schema.Fields))
		r[0] = int32(1000 + i)
		if rng.IntN(4) > 0 {
			r[1] = fmt.Sprintf("s%d-%s", rng.IntN(50), strings.Repeat("x", rng.IntN(5)))
			r[2] = rng.Int64() - math.MaxInt64/2
			r[3] = int16(rng.IntN(65536) - 32768)
			r[4] = int8(rng.IntN(256) - 128)
			r[5] = float32(rng.NormFloat64())
			r[6] = rng.NormFloat64() * 1e6
			r[7] = rng.IntN(2) == 0
			r[8] = []byte(fmt.Sprint(rng.Uint32()))
			r[9] = DateValue(rng.IntN(40000) - 10000)
			r[10] = time.UnixMicro(rng.Int64N(4e15) - 1e15).UTC()
			r[11] = time.UnixMicro(rng.Int64N(4e15) - 1e15).UTC()
			r[12] = Decimal{Unscaled: interopBig(rng.Int64N(2e9) - 1e9), Scale: 2}
			r[13] = Decimal{Unscaled: interopBig(rng.Int64N(2e17) - 1e17), Scale: 4}
			r[14] = Decimal{Unscaled: new(big.Int).Mul(interopBig(rng.Int64()), interopBig(rng.Int64N(1e12))), Scale: 10}
			r[16] = Row{int32(rng.IntN(100)), Row{fmt.Sprint(i), nil}, nil}
			r[17] = []any{int64(i), nil}
			r[19] = []MapEntry{{Key: fmt.Sprint("k", i%7), Value: Decimal{Unscaled: interopBig(int64(i)), Scale: 10}}}
		}
		r[22] = fmt.Sprint("g", i)
		gen = append(gen, r)
	}
	interopCommit(t, tbl, "WRITE", interopWrite(t, tbl, gen, WriterOptions{RowGroupRows: 700}), nil)
	return n + len(gen)
}

func interopBig(n int64) *big.Int { return big.NewInt(n) }

// interopPartitioned: partitioned by a string and a date, with null
// partition values and values that need escaping in paths.
func interopPartitioned(t *testing.T, tbl *Table) int {
	schema := mustSchema(t, `{"type":"struct","fields":[
 {"name":"id","type":"long","nullable":false,"metadata":{}},
 {"name":"p","type":"string","nullable":true,"metadata":{}},
 {"name":"v","type":"double","nullable":true,"metadata":{}},
 {"name":"day","type":"date","nullable":true,"metadata":{}},
 {"name":"payload","type":{"type":"struct","fields":[{"name":"s","type":"string","nullable":true,"metadata":{}}]},"nullable":true,"metadata":{}}]}`)
	interopCreate(t, tbl, schema, []string{"p", "day"}, nil)
	strs := []any{"a/b", "b b", "%", "😈", nil, "x=y", "a%2Fb", "a+b", "c:d", "q?*[x]", "new\nline", "é#{}", "", "__HIVE_DEFAULT_PARTITION__x", "'quote'"}
	days := []any{DateValue(19723), DateValue(-1), nil}
	var rows []Row
	for i := range 90 {
		rows = append(rows, Row{int64(i), strs[i%len(strs)], float64(i) / 4, days[i%len(days)], Row{fmt.Sprint("row ", i)}})
	}
	interopCommit(t, tbl, "WRITE", interopWrite(t, tbl, rows[:45], WriterOptions{}), nil)
	interopCommit(t, tbl, "WRITE", interopWrite(t, tbl, rows[45:], WriterOptions{Compression: "snappy"}), nil)
	return len(rows)
}

// interopCheckpointed: 12 commits after the create, with overwrites,
// deletes and an OPTIMIZE, so that version 10 has a checkpoint and the
// state is checkpoint + commits 11 and 12.
func interopCheckpointed(t *testing.T, tbl *Table) int {
	ctx := context.Background()
	schema := mustSchema(t, `{"type":"struct","fields":[
 {"name":"id","type":"long","nullable":false,"metadata":{}},
 {"name":"part","type":"string","nullable":true,"metadata":{}},
 {"name":"val","type":"string","nullable":true,"metadata":{}},
 {"name":"at","type":"timestamp","nullable":true,"metadata":{}}]}`)
	interopCreate(t, tbl, schema, []string{"part"}, map[string]string{"delta.appendOnly": "false"})
	live := map[string]int{} // decoded path -> rows
	var nextID int64
	write := func(part string, n int, codec string) []*Add {
		var rows []Row
		for range n {
			rows = append(rows, Row{nextID, part, fmt.Sprint("v", nextID), time.UnixMicro(1700000000000000 + nextID*1001).UTC()})
			nextID++
		}
		adds := interopWrite(t, tbl, rows, WriterOptions{Compression: codec})
		for _, a := range adds {
			p, _ := a.DecodedPath()
			live[p] = n
		}
		return adds
	}
	remove := func(adds ...*Add) []*Remove {
		var rs []*Remove
		for _, a := range adds {
			p, _ := a.DecodedPath()
			delete(live, p)
			rs = append(rs, RemoveFor(a, time.Now(), true))
		}
		return rs
	}
	filesOf := func(part string) []*Add {
		snap, err := tbl.Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []*Add
		for _, a := range snap.Files {
			if v := a.PartitionValues["part"]; v != nil && *v == part {
				out = append(out, a)
			}
		}
		return out
	}
	interopCommit(t, tbl, "WRITE", write("a", 3, "zstd"), nil)            // v1
	interopCommit(t, tbl, "WRITE", write("b", 4, "snappy"), nil)          // v2
	interopCommit(t, tbl, "WRITE", write("a", 2, "none"), nil)            // v3
	interopCommit(t, tbl, "WRITE", write("a b/c", 5, "zstd"), nil)        // v4
	old := filesOf("a")                                                   // overwrite partition a
	interopCommit(t, tbl, "WRITE", write("a", 6, "zstd"), remove(old...)) // v5
	interopCommit(t, tbl, "WRITE", write("b", 1, "zstd"), nil)            // v6
	interopCommit(t, tbl, "WRITE", write("b", 2, "zstd"), nil)            // v7
	res, err := tbl.Optimize(ctx, OptimizeOptions{MinFileSize: 1 << 30})  // v8
	if err != nil {
		t.Fatal(err)
	}
	if res.Version != 8 || res.FilesRemoved < 2 {
		t.Fatalf("OPTIMIZE = %+v", res)
	}
	// OPTIMIZE rewrote files: recount the live ones from the log.
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	clear(live)
	for _, a := range snap.Files {
		r, err := snap.ReadFile(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := a.DecodedPath()
		live[p] = len(r)
	}
	interopCommit(t, tbl, "DELETE", nil, remove(filesOf("a b/c")...)) // v9
	interopCommit(t, tbl, "WRITE", write("c", 3, "snappy"), nil)      // v10: checkpoint
	if err := tbl.WaitCheckpoints(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := tbl.Storage().Stat(ctx, CheckpointFileName(10)); err != nil {
		t.Fatalf("no checkpoint at version 10: %v", err)
	}
	if _, err := tbl.Storage().Stat(ctx, LastCheckpointName); err != nil {
		t.Fatalf("no _last_checkpoint: %v", err)
	}
	// v11 overwrites partition b (files from before the checkpoint) and
	// adds partition d; v12 removes v11's file of d and appends.
	v11d := write("d", 3, "snappy")
	interopCommit(t, tbl, "WRITE", append(write("b", 4, "zstd"), v11d...), remove(filesOf("b")...))
	interopCommit(t, tbl, "WRITE", write("a", 2, "none"), remove(v11d...))
	n := 0
	for _, c := range live {
		n += c
	}
	return n
}

// interopEvent is a generated-code style row type for WriteTyped.
type interopEvent struct {
	ID       int64            `parquet:"id"`
	At       time.Time        `parquet:"at,timestamp(microsecond)"`
	Seen     *time.Time       `parquet:"seen,optional,timestamp(microsecond)"`
	Day      int32            `parquet:"day,date"`
	Name     string           `parquet:"name"`
	Note     *string          `parquet:"note,optional"`
	Amount   int32            `parquet:"amount,decimal(2:9)"`
	Price    int64            `parquet:"price,decimal(4:18)"`
	Qty      int16            `parquet:"qty"`
	Flag     bool             `parquet:"flag"`
	Ratio    float32          `parquet:"ratio"`
	Score    *float64         `parquet:"score,optional"`
	Raw      []byte           `parquet:"raw,optional"`
	Tags     []string         `parquet:"tags,list"`
	Attrs    map[string]int64 `parquet:"attrs"`
	Location *interopLocation `parquet:"location,optional"`
	Region   string           `parquet:"-"`
}

type interopLocation struct {
	Lat  float64 `parquet:"lat"`
	Lon  float64 `parquet:"lon"`
	City *string `parquet:"city,optional"`
}

const interopEventSchema = `{"type":"struct","fields":[
 {"name":"id","type":"long","nullable":false,"metadata":{}},
 {"name":"at","type":"timestamp","nullable":false,"metadata":{}},
 {"name":"seen","type":"timestamp","nullable":true,"metadata":{}},
 {"name":"day","type":"date","nullable":false,"metadata":{}},
 {"name":"name","type":"string","nullable":false,"metadata":{}},
 {"name":"note","type":"string","nullable":true,"metadata":{}},
 {"name":"amount","type":"decimal(9,2)","nullable":false,"metadata":{}},
 {"name":"price","type":"decimal(18,4)","nullable":false,"metadata":{}},
 {"name":"qty","type":"short","nullable":false,"metadata":{}},
 {"name":"flag","type":"boolean","nullable":false,"metadata":{}},
 {"name":"ratio","type":"float","nullable":false,"metadata":{}},
 {"name":"score","type":"double","nullable":true,"metadata":{}},
 {"name":"raw","type":"binary","nullable":true,"metadata":{}},
 {"name":"tags","type":{"type":"array","elementType":"string","containsNull":false},"nullable":true,"metadata":{}},
 {"name":"attrs","type":{"type":"map","keyType":"string","valueType":"long","valueContainsNull":false},"nullable":true,"metadata":{}},
 {"name":"location","type":{"type":"struct","fields":[
   {"name":"lat","type":"double","nullable":false,"metadata":{}},
   {"name":"lon","type":"double","nullable":false,"metadata":{}},
   {"name":"city","type":"string","nullable":true,"metadata":{}}]},"nullable":true,"metadata":{}},
 {"name":"region","type":"string","nullable":true,"metadata":{}}]}`

// interopTyped: a table written with WriteTyped from a Go struct.
func interopTyped(t *testing.T, tbl *Table) int {
	schema := mustSchema(t, interopEventSchema)
	interopCreate(t, tbl, schema, []string{"region"}, nil)
	city := "Zürich"
	note := "n/a"
	score := -0.125
	seen := ts("1999-12-31T23:59:59.999999Z")
	var events []interopEvent
	regions := []string{"eu-west", "us/east", "", "ap south"}
	for i := range 40 {
		e := interopEvent{
			ID: int64(i), At: time.UnixMicro(1700000000123456 + int64(i)*86400000001).UTC(),
			Day: int32(19000 + i), Name: fmt.Sprint("event-", i), Amount: int32(i*137 - 2000), Price: int64(i)*1234567 - 9999,
			Qty: int16(i - 20), Flag: i%3 == 0, Ratio: float32(i) / 3, Region: regions[i%len(regions)],
		}
		if i%2 == 0 {
			e.Seen, e.Note, e.Score, e.Raw = &seen, &note, &score, []byte{byte(i), 0, 0xff}
			e.Tags = []string{"a", fmt.Sprint(i)}
			e.Attrs = map[string]int64{"n": int64(i)}
			e.Location = &interopLocation{Lat: 47.37, Lon: 8.54, City: &city}
		}
		if i%5 == 0 {
			e.Location = &interopLocation{Lat: -33.9, Lon: 151.2}
			e.Tags = []string{}
		}
		events = append(events, e)
	}
	adds, err := WriteTyped(context.Background(), tbl.Storage(), schema, []string{"region"}, events,
		func(e *interopEvent) map[string]*string {
			if e.Region == "" {
				return map[string]*string{"region": nil}
			}
			return map[string]*string{"region": &e.Region}
		}, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	interopCommit(t, tbl, "WRITE", adds, nil)
	return len(events)
}
