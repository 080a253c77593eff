package generated_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/storage"
)

// The specs of TestEvolveProcess, one directory per version, written into
// a scratch module. readings (files → Delta append, mergeSchema): v1 reads
// {device, temp}; v2's schema gains the optional (nullable) note; v3
// changes temp from number to integer. device_counts (count per device,
// complete mode, into Delta): counts2 groups by site instead.
var evolveFiles = map[string]string{
	"v1/streamgen.yaml": evolveReadingsSpec,
	"v2/streamgen.yaml": evolveReadingsSpec,
	"v3/streamgen.yaml": evolveReadingsSpec,
	"v1/schemas/reading.json": evolveReadingSchema(`"device": {"type": "string"},
    "temp": {"type": "number"}`),
	"v2/schemas/reading.json": evolveReadingSchema(`"device": {"type": "string"},
    "temp": {"type": "number"},
    "note": {"type": ["string", "null"]}`),
	"v3/schemas/reading.json": evolveReadingSchema(`"device": {"type": "string"},
    "temp": {"type": "integer"},
    "note": {"type": ["string", "null"]}`),
	"counts1/streamgen.yaml":       evolveCountsSpec("device"),
	"counts2/streamgen.yaml":       evolveCountsSpec("site"),
	"counts1/schemas/reading.json": evolveCountsSchema,
	"counts2/schemas/reading.json": evolveCountsSchema,
}

const evolveReadingsSpec = `name: readings
source:
  files: {path: data/readings, format: json, schema: schemas/reading.json}
sink:
  delta: {path: tables/readings, mergeSchema: true}
checkpoint: checkpoints/readings
`

func evolveReadingSchema(props string) string {
	return `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "Reading",
  "type": "object",
  "properties": {
    ` + props + `
  },
  "required": ["device", "temp"]
}
`
}

func evolveCountsSpec(key string) string {
	return `name: device_counts
source:
  files: {path: data/readings, format: json, schema: schemas/reading.json}
steps:
  - groupBy: {keys: [` + key + `]}
    aggregate: {n: count()}
sink:
  delta: {path: tables/counts, outputMode: complete}
checkpoint: checkpoints/counts
`
}

const evolveCountsSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "Reading",
  "type": "object",
  "properties": {
    "device": {"type": "string"},
    "site": {"type": "string"},
    "temp": {"type": "number"}
  },
  "required": ["device", "site", "temp"]
}
`

// evolveModule is the scratch module of TestEvolveProcess: the streamgen
// binary, and a pipeline binary per spec directory.
type evolveModule struct {
	dir  string            // the module's root, where check runs
	cli  string            // the streamgen binary
	bins map[string]string // spec directory → pipeline binary
}

// newEvolveModule writes evolveFiles into a scratch module that requires
// this repository through a replace, builds cmd/streamgen, runs
// `streamgen generate -o internal/<version> <version>/streamgen.yaml` for
// each version and builds each generated main with CGO_ENABLED=0, as a
// user would after each change. The versions are generated and built up
// front, concurrently: a build does not depend on an earlier version's
// run, and the test stays short.
func newEvolveModule(t *testing.T) *evolveModule {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	m := &evolveModule{dir: t.TempDir(), bins: map[string]string{}}
	writeFile(t, filepath.Join(m.dir, "go.mod"), "module example.com/evolve\n\ngo 1.26\n\nrequire github.com/streamgen/streamgen v0.0.0\n\nreplace github.com/streamgen/streamgen => "+root+"\n")
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(m.dir, "go.sum"), string(sum))
	for name, content := range evolveFiles {
		writeFile(t, filepath.Join(m.dir, filepath.FromSlash(name)), content)
	}
	start := time.Now()
	m.cli = buildMain(t, "../cmd/streamgen")
	t.Logf("built streamgen in %v", time.Since(start).Round(time.Millisecond))

	versions := map[string]string{ // spec directory → generated main
		"v1": "readings", "v2": "readings", "v3": "readings",
		"counts1": "device-counts", "counts2": "device-counts",
	}
	for v := range versions {
		cmd := exec.Command(m.cli, "generate", "-o", "internal/"+v, v+"/streamgen.yaml")
		cmd.Dir = m.dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("streamgen generate %s: %v\n%s", v, err, out)
		}
	}
	start = time.Now()
	env := append(goEnvWithoutFlags(), "GOFLAGS=-mod=mod", "GOWORK=off", "GOPROXY=off", "GOTOOLCHAIN=local", "CGO_ENABLED=0")
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	for v, main := range versions {
		bin := filepath.Join(m.dir, "bin", v)
		m.bins[v] = bin
		wg.Go(func() {
			cmd := exec.Command("go", "build", "-o", bin, "./internal/"+v+"/cmd/"+main)
			cmd.Dir = m.dir
			cmd.Env = env
			if out, err := cmd.CombinedOutput(); err != nil {
				mu.Lock()
				failures = append(failures, fmt.Sprintf("go build %s: %v\n%s", v, err, out))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(failures) > 0 {
		t.Fatal(strings.Join(failures, "\n"))
	}
	t.Logf("built %d pipeline binaries in %v", len(versions), time.Since(start).Round(time.Millisecond))
	return m
}

// check runs `streamgen check <version>/streamgen.yaml --checkpoint cp
// --table table` from the module's root; it returns the exit code and
// stdout with the temporary directory work replaced by $WORK, and wants
// nothing on stderr.
func (m *evolveModule) check(t *testing.T, version, work, cp, table string) (int, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(m.cli, "check", version+"/streamgen.yaml", "--checkpoint", cp, "--table", table)
	cmd.Dir = m.dir
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatal(err)
	}
	if stderr.Len() > 0 {
		t.Errorf("streamgen check %s: stderr:\n%s", version, stderr.String())
	}
	return cmd.ProcessState.ExitCode(), strings.ReplaceAll(stdout.String(), work, "$WORK")
}

// evolveDirs are a pipeline's input directory, table and checkpoint.
type evolveDirs struct{ work, in, table, cp string }

func newEvolveDirs(t *testing.T) evolveDirs {
	t.Helper()
	work, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	d := evolveDirs{work, filepath.Join(work, "in"), filepath.Join(work, "table"), filepath.Join(work, "checkpoint")}
	if err := os.MkdirAll(d.in, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

func (d evolveDirs) args() []string {
	return []string{"-source-path", d.in, "-sink-path", d.table, "-checkpoint", d.cp, "-trigger", "available-now", "-log-level", "warn"}
}

// input writes an input file (under a hidden name, renamed into place).
func (d evolveDirs) input(t *testing.T, name string, lines ...string) {
	t.Helper()
	tmp := filepath.Join(d.in, "."+name)
	writeFile(t, tmp, strings.Join(lines, "\n")+"\n")
	if err := os.Rename(tmp, filepath.Join(d.in, name)); err != nil {
		t.Fatal(err)
	}
}

// tree returns every file and directory under roots (default: the table
// and the checkpoint), relative to the work directory, as "size sha256"
// (files) or "dir": what a refused start must leave byte for byte as it
// was.
func (d evolveDirs) tree(t *testing.T, roots ...string) map[string]string {
	t.Helper()
	if len(roots) == 0 {
		roots = []string{d.table, d.cp}
	}
	out := map[string]string{}
	for _, root := range roots {
		err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(d.work, p)
			if e.IsDir() {
				out[rel] = "dir"
				return nil
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[rel] = fmt.Sprintf("%d %x", len(data), sha256.Sum256(data))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// unchanged wants the table and checkpoint as before.
func (d evolveDirs) unchanged(t *testing.T, before map[string]string, what string) {
	t.Helper()
	if diff := cmp.Diff(before, d.tree(t)); diff != "" {
		t.Errorf("%s changed the table or checkpoint (-before +after):\n%s", what, diff)
	}
}

// tableSchema returns the table's columns as "name type" ("?" marking a
// nullable one).
func tableSchema(t *testing.T, dir string) []string {
	t.Helper()
	st, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := delta.Open(st).Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var cols []string
	for _, f := range snap.Schema.Fields {
		c := fmt.Sprintf("%s %v", f.Name, f.Type)
		if f.Nullable {
			c += "?"
		}
		cols = append(cols, c)
	}
	return cols
}

// sortedRows returns the table's rows sorted by their text.
func sortedRows(t *testing.T, dir string) []delta.Row {
	t.Helper()
	rows := readTable(t, dir)
	sort.Slice(rows, func(i, j int) bool { return fmt.Sprint(rows[i]) < fmt.Sprint(rows[j]) })
	return rows
}

// refusedRun runs bin, wanting exit 1 and no panic; it returns stderr.
func refusedRun(t *testing.T, bin string, args ...string) string {
	t.Helper()
	code, _, stderr := runExit(t, bin, args...)
	if code != 1 {
		t.Errorf("%s: exit %d, want 1\n%s", filepath.Base(bin), code, stderr)
	}
	if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine ") {
		t.Errorf("%s panicked:\n%s", filepath.Base(bin), stderr)
	}
	return stderr
}

// TestEvolveProcess is issue 9's end-to-end test (skipped with -short):
// generated binaries, built in a scratch module, run one version after
// another on the same checkpoint and Delta table, with `streamgen check`
// before each change.
//
// schema: readings v1 (files → Delta, mergeSchema) writes {device, temp};
// v2's schema gains the nullable note: check exits 0 printing the allowed
// changes and the table-evolution line, and v2 on the same checkpoint and
// table adds the column: the old rows read it as null, the new ones their
// values (the whole table, with runtime/delta, and with DuckDB when
// installed). v3 changes temp to an integer: check and the binary refuse
// (exit 1, the report naming the column, double → long and the way
// forward), the table and checkpoint unchanged byte for byte.
//
// state: device_counts (count per device, complete mode, into Delta) runs
// once; grouping by site instead is refused by check and the binary
// ("grouping keys"), nothing written. Then the upgrade cases: the plan
// record's stateVersion edited as if an older (or newer) streamgen had
// written the checkpoint is refused naming the state encoding versions
// and the way forward; a state file whose format byte says a newer
// streamgen, or whose header is damaged, stops the binary with an error
// naming the file and the problem (exit 1, no panic, the table
// unchanged), and once the file is restored the run gives the right
// counts.
func TestEvolveProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a scratch module and runs its binaries (-short)")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	m := newEvolveModule(t)
	t.Run("schema", func(t *testing.T) {
		t.Parallel()
		testEvolveSchema(t, m)
	})
	t.Run("state", func(t *testing.T) {
		t.Parallel()
		testEvolveState(t, m)
	})
}

func testEvolveSchema(t *testing.T, m *evolveModule) {
	d := newEvolveDirs(t)

	// v1.
	d.input(t, "f-000.jsonl", `{"device":"a","temp":1.5}`, `{"device":"b","temp":-2}`)
	d.input(t, "f-001.jsonl", `{"device":"c","temp":20.25}`)
	runToEnd(t, m.bins["v1"], d.args()...)
	if got, want := tableSchema(t, d.table), []string{"device string", "temp double"}; !slices.Equal(got, want) {
		t.Errorf("v1 table columns %q, want %q", got, want)
	}
	want := []delta.Row{{"a", 1.5}, {"b", -2.0}, {"c", 20.25}}
	if diff := cmp.Diff(want, sortedRows(t, d.table)); diff != "" {
		t.Errorf("v1 table rows (-want +got):\n%s", diff)
	}

	// v2: check, then run on the same checkpoint and table.
	code, out := m.check(t, "v2", d.work, d.cp, d.table)
	wantOut := `v2/schemas/reading.json:8:5: source 0 column note: allowed: none → string (nullable); rows read from now on are decoded with the new schema; input it rejects follows the onMalformed policy.
v2/schemas/reading.json:8:5: column note: allowed with table evolution: none → string (nullable); the next commit adds the nullable column to the table's schema (mergeSchema); rows written before read it as null.
2 changes: 1 allowed with table evolution, 1 allowed: the query restarts, and its next commit evolves the table's schema
table evolution: $WORK/table: add column note string (nullable)
`
	if code != 0 || out != wantOut {
		t.Errorf("streamgen check v2: exit %d, want 0; output (-want +got):\n%s", code, cmp.Diff(wantOut, out))
	}
	d.input(t, "f-002.jsonl", `{"device":"d","temp":3,"note":"recalibrated"}`, `{"device":"e","temp":4}`)
	d.input(t, "f-003.jsonl", `{"device":"f","temp":5,"note":null}`, `{"device":"g","temp":6.5,"note":""}`)
	runToEnd(t, m.bins["v2"], d.args()...)
	if got, want := tableSchema(t, d.table), []string{"device string", "temp double", "note string?"}; !slices.Equal(got, want) {
		t.Errorf("v2 table columns %q, want %q", got, want)
	}
	if plan, err := os.ReadFile(filepath.Join(d.cp, "streamgen", "plan.json")); err != nil || !bytes.Contains(plan, []byte(`"name": "note"`)) {
		t.Errorf("v2 did not record its plan (with note): %v\n%s", err, plan)
	}
	want = []delta.Row{
		{"a", 1.5, nil}, {"b", -2.0, nil}, {"c", 20.25, nil},
		{"d", 3.0, "recalibrated"}, {"e", 4.0, nil}, {"f", 5.0, nil}, {"g", 6.5, ""},
	}
	if diff := cmp.Diff(want, sortedRows(t, d.table)); diff != "" {
		t.Errorf("v2 table rows (-want +got):\n%s", diff)
	}
	duckDBRows(t, d.table, []string{
		`{"device":"a","temp":"1.5e+0","note":null}`,
		`{"device":"b","temp":"-2e+0","note":null}`,
		`{"device":"c","temp":"2.025e+1","note":null}`,
		`{"device":"d","temp":"3e+0","note":"recalibrated"}`,
		`{"device":"e","temp":"4e+0","note":null}`,
		`{"device":"f","temp":"5e+0","note":null}`,
		`{"device":"g","temp":"6.5e+0","note":""}`,
	})

	// v3: temp becomes an integer.
	d.input(t, "f-004.jsonl", `{"device":"h","temp":7}`)
	before := d.tree(t)
	code, out = m.check(t, "v3", d.work, d.cp, d.table)
	refusal := "v3/schemas/reading.json:7:5: column temp: refused: double → long; a column's type cannot change from double to long. Way forward: produce the table's type double (convert in a select step), or write to a new table (a new sink path) from a new checkpoint, or backfill: replace the table with one of the new shape and refill it from a new checkpoint."
	if code != 1 || !slices.Contains(strings.Split(out, "\n"), refusal) {
		t.Errorf("streamgen check v3: exit %d, want 1 and the line\n%s\noutput:\n%s", code, refusal, out)
	}
	stderr := refusedRun(t, m.bins["v3"], d.args()...)
	if !strings.Contains(stderr, "readings: the pipeline changed incompatibly with its checkpoint or table:\n") ||
		!strings.Contains(strings.ReplaceAll(stderr, d.work, "$WORK"), out) {
		t.Errorf("v3 stderr lacks check's report\n%s\nstderr:\n%s", out, stderr)
	}
	d.unchanged(t, before, "streamgen check v3 and the refused v3")
}

func testEvolveState(t *testing.T, m *evolveModule) {
	d := newEvolveDirs(t)
	bin := m.bins["counts1"]
	d.input(t, "f-000.jsonl", `{"device":"a","site":"x","temp":1}`, `{"device":"a","site":"y","temp":2}`, `{"device":"b","site":"x","temp":3}`)
	runToEnd(t, bin, d.args()...)
	want := []delta.Row{{"a", int64(2)}, {"b", int64(1)}}
	if diff := cmp.Diff(want, sortedRows(t, d.table)); diff != "" {
		t.Fatalf("counts table (-want +got):\n%s", diff)
	}

	// Grouping by site instead.
	d.input(t, "f-001.jsonl", `{"device":"a","site":"x","temp":4}`, `{"device":"c","site":"z","temp":5}`)
	before := d.tree(t)
	code, out := m.check(t, "counts2", d.work, d.cp, d.table)
	refusal := "counts2/streamgen.yaml:5:22: grouping keys: refused: [device string] → [site string]; the state of the checkpoint is keyed by the old keys. Way forward: start a new checkpoint (--checkpoint DIR) to rebuild the state from the sources' starting offsets, writing to a new table or backfilling the old one (overwrite it from the new checkpoint's first run), or revert the change."
	if code != 1 || !slices.Contains(strings.Split(out, "\n"), refusal) {
		t.Errorf("streamgen check counts2: exit %d, want 1 and the line\n%s\noutput:\n%s", code, refusal, out)
	}
	stderr := refusedRun(t, m.bins["counts2"], d.args()...)
	if !strings.Contains(stderr, refusal) {
		t.Errorf("counts2 stderr lacks the line\n%s\nstderr:\n%s", refusal, stderr)
	}
	d.unchanged(t, before, "streamgen check counts2 and the refused counts2")

	// The plan record as an older or a newer streamgen would have left
	// it: another state encoding version.
	planFile := filepath.Join(d.cp, "streamgen", "plan.json")
	plan, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Operators []struct {
			StateVersion int `json:"stateVersion"`
		} `json:"operators"`
	}
	if err := json.Unmarshal(plan, &rec); err != nil || len(rec.Operators) != 1 {
		t.Fatalf("plan record: %v, %d operators:\n%s", err, len(rec.Operators), plan)
	}
	cur := rec.Operators[0].StateVersion
	field := fmt.Sprintf(`"stateVersion": %d,`, cur)
	if n := bytes.Count(plan, []byte(field)); n != 1 {
		t.Fatalf("plan record holds %q %d times, want once:\n%s", field, n, plan)
	}
	for _, c := range []struct {
		recorded int
		why      string
	}{
		{cur - 1, fmt.Sprintf("the checkpoint's state is encoded with version %d, and this build decodes version %d only", cur-1, cur)},
		{cur + 1, fmt.Sprintf("the checkpoint's state is encoded with version %d, written by a newer streamgen; this build decodes version %d only", cur+1, cur)},
	} {
		edited := bytes.Replace(plan, []byte(field), fmt.Appendf(nil, `"stateVersion": %d,`, c.recorded), 1)
		if err := os.WriteFile(planFile, edited, 0o644); err != nil {
			t.Fatal(err)
		}
		before := d.tree(t)
		refusal := fmt.Sprintf("counts1/streamgen.yaml:5:14: state encoding: refused: v%d → v%d; %s. Way forward: run this checkpoint with the streamgen release that generated the running code, or start a new checkpoint (--checkpoint DIR) and backfill the table from it.", c.recorded, cur, c.why)
		code, out := m.check(t, "counts1", d.work, d.cp, d.table)
		if code != 1 || !slices.Contains(strings.Split(out, "\n"), refusal) {
			t.Errorf("streamgen check counts1, stateVersion %d recorded: exit %d, want 1 and the line\n%s\noutput:\n%s", c.recorded, code, refusal, out)
		}
		if stderr := refusedRun(t, bin, d.args()...); !strings.Contains(stderr, refusal) {
			t.Errorf("counts1, stateVersion %d recorded: stderr lacks the line\n%s\nstderr:\n%s", c.recorded, refusal, stderr)
		}
		d.unchanged(t, before, fmt.Sprintf("counts1 refusing stateVersion %d", c.recorded))
	}
	if err := os.WriteFile(planFile, plan, 0o644); err != nil {
		t.Fatal(err)
	}

	// A state file that a newer streamgen wrote (format byte 2), or whose
	// header is damaged (its version field: the checksum no longer
	// matches). f-001.jsonl makes the run load the state.
	stateFile := filepath.Join(d.cp, "state", "0", "0", "1.delta")
	state, err := os.ReadFile(stateFile)
	if err != nil {
		t.Fatal(err)
	}
	if len(state) < 14 || string(state[:4]) != "SGST" || state[4] != 1 {
		t.Fatalf("%s: not a format-1 state file: %q", stateFile, state)
	}
	tableBefore := d.tree(t, d.table)
	for _, c := range []struct {
		name   string
		at     int
		b      byte
		reason string
	}{
		{"newer format", 4, 2, "state file format version 2 is newer than this streamgen's (1): upgrade streamgen: "},
		{"damaged version", 6, state[6] ^ 0x40, "checksum mismatch (CRC-32C "},
	} {
		bad := slices.Clone(state)
		bad[c.at] = c.b
		if err := os.WriteFile(stateFile, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		stderr := refusedRun(t, bin, d.args()...)
		if !strings.Contains(stderr, "state: "+stateFile+": "+c.reason) ||
			!strings.Contains(stderr, "restore the file from a backup or start the query from a new checkpoint location") {
			t.Errorf("%s: stderr does not name the state file, %q and the way forward:\n%s", c.name, c.reason, stderr)
		}
		if diff := cmp.Diff(tableBefore, d.tree(t, d.table)); diff != "" {
			t.Errorf("%s: the failed run changed the table (-before +after):\n%s", c.name, diff)
		}
	}
	if err := os.WriteFile(stateFile, state, 0o644); err != nil {
		t.Fatal(err)
	}
	runToEnd(t, bin, d.args()...)
	want = []delta.Row{{"a", int64(3)}, {"b", int64(1)}, {"c", int64(1)}}
	if diff := cmp.Diff(want, sortedRows(t, d.table)); diff != "" {
		t.Errorf("counts table after the state file's restore (-want +got):\n%s", diff)
	}
}

// duckDBRows has DuckDB, through runtime/delta's interop reader
// (interop/duckdb/read_delta.mjs), read the table at dir and wants its
// rows (the reader's JSON, in schema order) to be want, as a multiset,
// with no type mismatch or stats problem. Without node or `make
// interop-setup` it logs and returns, unless CI=true or
// STREAMGEN_REQUIRE_DUCKDB=1 (.ci/run sets both up).
func duckDBRows(t *testing.T, dir string, want []string) {
	t.Helper()
	script, err := filepath.Abs(filepath.Join("..", "runtime", "delta", "interop", "duckdb", "read_delta.mjs"))
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
	node, nodeErr := exec.LookPath("node")
	_, modErr := os.Stat(filepath.Join(modDir, "node_modules", "@duckdb", "node-api", "package.json"))
	if nodeErr != nil || modErr != nil {
		msg := fmt.Sprintf("DuckDB not available (node: %v; @duckdb/node-api in %s: %v)", nodeErr, modDir, modErr)
		if os.Getenv("CI") == "true" || os.Getenv("STREAMGEN_REQUIRE_DUCKDB") == "1" {
			t.Errorf("%s, under CI: run `make interop-setup`", msg)
			return
		}
		t.Logf("%s: skipping the DuckDB read (`make interop-setup` enables it)", msg)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, node, script, dir)
	cmd.Env = append(os.Environ(), "STREAMGEN_DUCKDB_DIR="+modDir)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Errorf("DuckDB: %s %s: %v\n%s", filepath.Base(script), dir, err, stderr.String())
		return
	}
	var rows []string
	for line := range strings.SplitSeq(strings.TrimSuffix(stdout.String(), "\n"), "\n") {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Errorf("DuckDB output %q: %v", line, err)
			continue
		}
		if r, ok := obj["row"]; ok {
			rows = append(rows, string(r))
		}
		if r, ok := obj["typeMismatches"]; ok && string(r) != "[]" {
			t.Errorf("DuckDB type mismatches: %s", r)
		}
		if r, ok := obj["stats"]; ok {
			var s struct{ Problems []string }
			if err := json.Unmarshal(r, &s); err != nil || len(s.Problems) > 0 {
				t.Errorf("DuckDB stats problems: %s (%v)", r, err)
			}
		}
	}
	slices.Sort(rows)
	want = slices.Sorted(slices.Values(want))
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("DuckDB rows (-want +got):\n%s", diff)
	} else {
		t.Logf("DuckDB read the %d rows", len(rows))
	}
}
