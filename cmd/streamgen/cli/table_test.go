package cli

import (
	"context"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/storage"
)

// ordersSchema is the schema of the test tables built with the delta API.
var ordersSchema = &delta.StructType{Fields: []delta.StructField{
	{Name: "id", Type: delta.Long, Nullable: false},
	{Name: "customer", Type: delta.String, Nullable: true},
	{Name: "status", Type: delta.String, Nullable: true},
	{Name: "amount", Type: delta.DecimalType{Precision: 10, Scale: 2}, Nullable: true},
	{Name: "placed", Type: delta.Timestamp, Nullable: true},
	{Name: "lines", Type: &delta.ArrayType{ElementType: &delta.StructType{Fields: []delta.StructField{
		{Name: "sku", Type: delta.String, Nullable: false},
		{Name: "qty", Type: delta.Integer, Nullable: false},
	}}, ContainsNull: false}, Nullable: true},
}}

var testEpoch = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func order(id int64, customer any, status string, cents int64, lines ...delta.Row) delta.Row {
	ls := make([]any, len(lines))
	for i, l := range lines {
		ls[i] = l
	}
	var arr any = ls
	if lines == nil {
		arr = nil
	}
	return delta.Row{id, customer, status, delta.Decimal{Unscaled: big.NewInt(cents), Scale: 2},
		testEpoch.Add(time.Duration(id) * time.Second), arr}
}

// ordersBatches are the three appends of the test tables.
var ordersBatches = [][]delta.Row{
	{
		order(1, "ann", "ok", 1999, delta.Row{"A-1", int32(2)}),
		order(2, "bob", "late", 500, delta.Row{"B-7", int32(1)}, delta.Row{"A-1", int32(1)}),
		order(3, nil, "ok", 0),
	},
	{
		order(4, "cy", "ok", 123456),
		order(5, "dee", "late", -250, delta.Row{"C-3", int32(10)}),
	},
	{
		order(6, "ann", "ok", 42),
	},
}

// buildOrders creates a deterministic table in a temporary directory: a
// fixed clock and ids, file names prefixed by commit number, and the
// streaming transaction "query-1" on commits 1 and 2. It returns the root.
func buildOrders(t *testing.T, partitionBy ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "orders")
	store, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	buildOrdersIn(t, store, partitionBy...)
	return dir
}

// buildOrdersIn writes the table of [buildOrders] into store (local or an
// object store): the same commits, byte for byte.
func buildOrdersIn(t *testing.T, store storage.Storage, partitionBy ...string) {
	t.Helper()
	ctx := context.Background()
	tick, ids := 0, 0
	clock := func() time.Time { tick++; return testEpoch.Add(time.Duration(tick) * time.Minute) }
	tbl := delta.Open(store).WithCommitOptions(delta.CommitOptions{
		Clock:      clock,
		NewID:      func() string { ids++; return fmt.Sprintf("00000000-0000-0000-0000-%012d", ids) },
		EngineInfo: "streamgen-test",
	})
	for i, rows := range ordersBatches {
		tx, err := tbl.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			name, desc := "orders", "test orders"
			tx.SetMetadata(delta.Metadata{
				Name: &name, Description: &desc,
				SchemaString:     ordersSchema.SchemaString(),
				PartitionColumns: partitionBy,
				Configuration:    map[string]string{"delta.checkpointInterval": "100", "owner": "tests"},
			})
		} else {
			tx.SetTxn("query-1", int64(i-1))
		}
		adds, err := delta.WriteRows(ctx, store, ordersSchema, partitionBy, rows, delta.WriterOptions{
			Prefix: fmt.Sprintf("part-%05d", i),
			Now:    func() time.Time { return testEpoch },
		})
		if err != nil {
			t.Fatal(err)
		}
		tx.Add(adds...)
		if i > 0 {
			tx.SetOperation("STREAMING UPDATE", map[string]any{"outputMode": "Append", "queryId": "query-1", "epochId": fmt.Sprint(i - 1)})
		}
		if _, err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// normalize replaces what differs between runs or writer versions in
// command output: the table's temporary path and byte counts.
func normalize(s, dir string) string {
	s = strings.ReplaceAll(s, dir, "$TABLE")
	s = regexp.MustCompile(`([A-Za-z]*Bytes)=\d+`).ReplaceAllString(s, "${1}=N")
	s = regexp.MustCompile(`(?m)^(size: +).*$`).ReplaceAllString(s, "${1}N")
	s = regexp.MustCompile(`("sizeInBytes": )\d+`).ReplaceAllString(s, "${1}N")
	s = regexp.MustCompile(`("[A-Za-z]*Bytes": )"\d+"`).ReplaceAllString(s, `${1}"N"`)
	return s
}

func TestBuiltTableGolden(t *testing.T) {
	dir := buildOrders(t)
	part := buildOrders(t, "status")
	for _, tt := range []struct {
		golden string
		args   []string
	}{
		{"orders.describe.txt", []string{"table", "describe", dir}},
		{"orders.describe.json", []string{"table", "describe", dir, "--format=json"}},
		{"orders.describe_v1.txt", []string{"table", "describe", dir, "--version", "1"}},
		{"orders.history.txt", []string{"table", "history", dir}},
		{"orders.history.json", []string{"table", "history", "--format", "json", dir}},
		{"orders.show.table", []string{"table", "show", dir}},
		{"orders.show.csv", []string{"table", "show", dir, "--format", "csv"}},
		{"orders.show.jsonl", []string{"table", "show", dir, "--format", "jsonl"}},
		{"orders_by_status.describe.txt", []string{"table", "describe", part}},
		{"orders_by_status.show.jsonl", []string{"table", "show", part, "--format", "jsonl"}},
	} {
		t.Run(tt.golden, func(t *testing.T) {
			got := mustRun(t, tt.args...)
			got = normalize(normalize(got, dir), part)
			if diff := cmp.Diff(golden(t, tt.golden, got), got); diff != "" {
				t.Errorf("output mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestShowTimestampOnBuiltTable(t *testing.T) {
	dir := buildOrders(t)
	// Commits are at 12:01, 12:02 and 12:03 on 2024-05-01.
	for _, tt := range []struct {
		ts   string
		want int
	}{
		{"2024-05-01T12:01:00Z", 3},
		{"2024-05-01 12:02:59", 5},
		{"2024-05-01T14:05:00+02:00", 6},
		{"2024-05-02", 6},
	} {
		out := mustRun(t, "table", "show", dir, "--timestamp", tt.ts, "--format", "jsonl")
		if n := strings.Count(out, "\n"); n != tt.want {
			t.Errorf("--timestamp %s: %d rows, want %d", tt.ts, n, tt.want)
		}
	}
	r := run("table", "show", dir, "--timestamp", "2024-05-01")
	if r.code != ExitError || !strings.HasPrefix(r.stderr, "streamgen: table show "+dir+": ") || !strings.Contains(r.stderr, "version not found") {
		t.Errorf("time travel before the first commit: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestOptimizeAndVacuum(t *testing.T) {
	dir := buildOrders(t, "status")
	countFiles := func() int {
		n := 0
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".parquet") && !strings.Contains(p, "_delta_log") {
				n++
			}
			return nil
		})
		return n
	}
	before := mustRun(t, "table", "show", dir, "--format", "jsonl")
	if n := countFiles(); n != 5 {
		t.Fatalf("%d data files before OPTIMIZE, want 5 (ok: 3, late: 2)", n)
	}

	// --where on a column that is not a partition column.
	r := run("table", "optimize", dir, "--where", "customer=ann")
	if r.code != ExitError || r.stderr != "streamgen: table optimize "+dir+": --where customer: \"customer\" is not a partition column (partition columns: status)\n" {
		t.Errorf("optimize --where customer: exit %d, stderr %q", r.code, r.stderr)
	}

	out := normalize(mustRun(t, "table", "optimize", dir, "--where", "status=late", "--dry-run"), dir)
	want := "optimize $TABLE (dry run): would compact 2 files (N) in 1 bin of 1 partition at version 2\n"
	if got := regexp.MustCompile(`\(\d+(\.\d)? (bytes|KiB)\)`).ReplaceAllString(firstLine(out), "(N)"); got+"\n" != want {
		t.Errorf("optimize --dry-run:\n%s\nwant first line:\n%s", out, want)
	}
	if n := countFiles(); n != 5 {
		t.Errorf("dry run changed files: %d, want 5", n)
	}

	out = mustRun(t, "table", "optimize", dir, "--target-size", "64MiB")
	if !strings.HasPrefix(out, "optimize "+dir+": committed version 3\n  removed 5 files (") ||
		!strings.Contains(out, "added 2 files (") || !strings.HasSuffix(out, "in 2 bins of 2 partitions\n") {
		t.Errorf("optimize output:\n%s", out)
	}
	if after := mustRun(t, "table", "show", dir, "--format", "jsonl"); !sameLines(before, after) {
		t.Errorf("rows changed by OPTIMIZE:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	out = mustRun(t, "table", "optimize", dir)
	if out != "optimize "+dir+": nothing to compact at version 3 (2 files considered)\n" {
		t.Errorf("second optimize:\n%s", out)
	}

	// The default retention keeps the removed files.
	out = mustRun(t, "table", "vacuum", dir, "--dry-run")
	if !strings.HasPrefix(out, "vacuum "+dir+" (dry run): would delete 0 files (0 bytes) unreferenced at version 3 and older than ") ||
		!strings.HasSuffix(out, " (retention 168h)\n") {
		t.Errorf("vacuum --dry-run:\n%s", out)
	}
	// A short retention needs --force.
	r = run("table", "vacuum", dir, "--retain", "0h")
	if r.code != ExitError || !strings.HasPrefix(r.stderr, "streamgen: table vacuum "+dir+": ") || !strings.Contains(r.stderr, "retention 0s is shorter") {
		t.Errorf("vacuum --retain 0h without --force: exit %d, stderr %q", r.code, r.stderr)
	}
	out = mustRun(t, "table", "vacuum", dir, "--retain", "0h", "--force", "--dry-run")
	if !strings.Contains(out, "would delete 5 files") || strings.Count(out, "\n  status=") != 5 {
		t.Errorf("vacuum --retain 0h --force --dry-run:\n%s", out)
	}
	out = mustRun(t, "table", "vacuum", "--force", "--retain=0d", dir)
	if !strings.HasPrefix(out, "vacuum "+dir+": deleted 5 files (") || !strings.Contains(out, "committed versions 4 and 5\n") {
		t.Errorf("vacuum:\n%s", out)
	}
	if n := countFiles(); n != 2 {
		t.Errorf("%d data files after VACUUM, want 2", n)
	}
	if after := mustRun(t, "table", "show", dir, "--format", "jsonl"); !sameLines(before, after) {
		t.Errorf("rows changed by VACUUM:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	hist := mustRun(t, "table", "history", dir, "--limit", "3")
	for _, op := range []string{"VACUUM END", "VACUUM START", "OPTIMIZE"} {
		if !strings.Contains(hist, op) {
			t.Errorf("history lacks %s:\n%s", op, hist)
		}
	}
}

func firstLine(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }

// sameLines reports whether a and b hold the same lines in any order.
func sameLines(a, b string) bool {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	if len(la) != len(lb) {
		return false
	}
	count := map[string]int{}
	for _, l := range la {
		count[l]++
	}
	for _, l := range lb {
		count[l]--
	}
	for _, n := range count {
		if n != 0 {
			return false
		}
	}
	return true
}

func TestParseHelpers(t *testing.T) {
	sizes := map[string]int64{"1": 1, "134217728": 134217728, "128MiB": 128 << 20, "1GB": 1e9, "1.5 kib": 1536, "10b": 10}
	for in, want := range sizes {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "MiB", "-1", "0", "1 XB", "1e9"} {
		if _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) succeeded", bad)
		}
	}
	durations := map[string]time.Duration{"168h": 168 * time.Hour, "7d": 168 * time.Hour, "90m": 90 * time.Minute, "0d": 0}
	for in, want := range durations {
		if got, err := parseRetention(in); err != nil || got != want {
			t.Errorf("parseRetention(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "7", "-1h", "1w"} {
		if _, err := parseRetention(bad); err == nil {
			t.Errorf("parseRetention(%q) succeeded", bad)
		}
	}
	stamps := map[string]time.Time{
		"2024-05-01T12:00:00Z":        time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC),
		"2024-05-01T14:00:00+02:00":   time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC),
		"2024-05-01 12:00:00":         time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC),
		"2024-05-01 12:00:00.250":     time.Date(2024, 5, 1, 12, 0, 0, 250e6, time.UTC),
		"2024-05-01T12:00:00":         time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC),
		"2024-05-01":                  time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC),
		"2024-05-01T12:00:00.5-01:00": time.Date(2024, 5, 1, 13, 0, 0, 500e6, time.UTC),
	}
	for in, want := range stamps {
		if got, err := parseTimestamp(in); err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("parseTimestamp(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "now", "2024-13-01", "12:00"} {
		if _, err := parseTimestamp(bad); err == nil {
			t.Errorf("parseTimestamp(%q) succeeded", bad)
		}
	}
}

func TestDataErrors(t *testing.T) {
	dir := buildOrders(t)
	bad := filepath.Join(dir, "_delta_log", "00000000000000000003.json")
	if err := os.WriteFile(bad, []byte("{not json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run("table", "show", dir)
	if r.code != ExitError || !strings.HasPrefix(r.stderr, "streamgen: table show "+dir+": ") ||
		!strings.Contains(r.stderr, "00000000000000000003.json") || r.stdout != "" {
		t.Errorf("corrupt commit: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	// Time travel to a version before the corrupt one still works.
	if out := mustRun(t, "table", "show", dir, "--version", "2", "--format", "csv"); strings.Count(out, "\n") != 7 {
		t.Errorf("show --version 2 of a table with a corrupt version 3:\n%s", out)
	}

	dv := conformanceTable(t, "delta-rs/table-with-dv-small")
	r = run("table", "show", dv)
	if r.code != ExitError || !strings.HasPrefix(r.stderr, "streamgen: table show "+dv+": ") ||
		!strings.Contains(r.stderr, "deletionVectors") || r.stdout != "" {
		t.Errorf("deletion vectors: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}
