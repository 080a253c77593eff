package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// result is the outcome of one Main call.
type result struct {
	code           int
	stdout, stderr string
}

// run calls Main with args and buffers.
func run(args ...string) result {
	var stdout, stderr bytes.Buffer
	code := Main(args, strings.NewReader(""), &stdout, &stderr)
	return result{code, stdout.String(), stderr.String()}
}

// mustRun runs args and fails the test unless it exits 0 with an empty
// stderr.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	r := run(args...)
	if r.code != ExitOK || r.stderr != "" {
		t.Fatalf("streamgen %s: exit %d\nstderr:\n%s", strings.Join(args, " "), r.code, r.stderr)
	}
	return r.stdout
}

func TestUsageErrors(t *testing.T) {
	empty := t.TempDir()
	tests := []struct {
		name string
		args []string
		// stderr must start with wantErr; stdout must be empty.
		wantErr string
	}{
		{"no command", nil, "streamgen generates typed streaming pipelines"},
		{"unknown command", []string{"frobnicate"}, "streamgen: unknown command \"frobnicate\"\n\nstreamgen generates"},
		{"generate no spec", []string{"generate", "-o", "x"}, "streamgen generate: missing SPEC\n\nUsage: streamgen generate"},
		{"generate package two specs", []string{"generate", "--package", "p", "a.yaml", "b.yaml"}, "streamgen generate: --package needs exactly one SPEC\n\nUsage: streamgen generate"},
		{"generate unknown flag", []string{"generate", "--bogus", "a.yaml"}, "streamgen generate: flag provided but not defined: -bogus\n"},
		{"check no spec", []string{"check"}, "streamgen check: missing SPEC\n\nUsage: streamgen check [--checkpoint DIR] [--table PATH] SPEC..."},
		{"check two specs with --table", []string{"check", "--table", "t", "a.yaml", "b.yaml"}, "streamgen check: --checkpoint and --table need exactly one SPEC\n\nUsage: streamgen check"},
		{"check -o", []string{"check", "-o", "x", "a.yaml"}, "streamgen check: flag provided but not defined: -o\n"},
		{"diff no spec", []string{"diff"}, "streamgen diff: missing SPEC\n\nUsage: streamgen diff"},
		{"ir no spec", []string{"ir", "--json"}, "streamgen ir: missing SPEC\n\nUsage: streamgen ir --json SPEC..."},
		{"init no name", []string{"init"}, "streamgen init: missing NAME\n\nUsage: streamgen init NAME"},
		{"init bad name", []string{"init", "Action-Counts"}, "streamgen init: invalid NAME \"Action-Counts\": want lowercase letters, digits and underscores, starting with a letter\n"},
		{"init two names", []string{"init", "a", "b"}, "streamgen init: unexpected argument \"b\" after NAME\n"},
		{"version extra arg", []string{"version", "x"}, "streamgen version: unexpected argument \"x\"\n\nUsage: streamgen version"},
		{"help unknown", []string{"help", "nope"}, "streamgen help: unknown help topic \"nope\""},
		{"table no command", []string{"table"}, "streamgen table: missing command\n\nUsage: streamgen table <command>"},
		{"table unknown", []string{"table", "drop", empty}, "streamgen table: unknown command \"drop\""},
		{"show no path", []string{"table", "show"}, "streamgen table show: missing PATH\n\nUsage: streamgen table show PATH"},
		{"show two paths", []string{"table", "show", empty, "other"}, "streamgen table show: unexpected argument \"other\" after PATH\n"},
		{"show unknown flag", []string{"table", "show", empty, "--bogus"}, "streamgen table show: flag provided but not defined: -bogus\n"},
		{"show version and timestamp", []string{"table", "show", empty, "--version", "1", "--timestamp", "2024-01-01"}, "streamgen table show: --version and --timestamp are mutually exclusive\n"},
		{"show negative version", []string{"table", "show", empty, "--version=-1"}, "streamgen table show: invalid --version -1: versions start at 0\n"},
		{"show bad version", []string{"table", "show", empty, "--version", "x"}, "streamgen table show: invalid value \"x\" for flag -version: parse error\n"},
		{"show bad timestamp", []string{"table", "show", empty, "--timestamp", "yesterday"}, "streamgen table show: invalid --timestamp \"yesterday\": want RFC 3339"},
		{"show bad format", []string{"table", "show", empty, "--format", "xml"}, "streamgen table show: invalid --format \"xml\": want table, csv, jsonl\n"},
		{"show bad limit", []string{"table", "show", empty, "--limit", "-2"}, "streamgen table show: invalid --limit -2: want 0 or more\n"},
		{"describe timestamp", []string{"table", "describe", empty, "--timestamp", "2024-01-01"}, "streamgen table describe: flag provided but not defined: -timestamp\n"},
		{"describe bad format", []string{"table", "describe", empty, "--format", "csv"}, "streamgen table describe: invalid --format \"csv\": want text, json\n"},
		{"history bad limit", []string{"table", "history", empty, "--limit", "-1"}, "streamgen table history: invalid --limit -1: want 1 or more (0: all)\n"},
		{"optimize bad size", []string{"table", "optimize", empty, "--target-size", "12XB"}, "streamgen table optimize: invalid value \"12XB\" for flag -target-size: invalid size \"12XB\": unknown unit \"XB\""},
		{"optimize bad where", []string{"table", "optimize", empty, "--where", "status"}, "streamgen table optimize: invalid value \"status\" for flag -where: want COL=VALUE, got \"status\"\n"},
		{"vacuum bad retain", []string{"table", "vacuum", empty, "--retain", "a week"}, "streamgen table vacuum: invalid --retain \"a week\": want a duration such as 168h or 7d\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(tt.args...)
			if r.code != ExitUsage {
				t.Errorf("exit %d, want %d; stderr:\n%s", r.code, ExitUsage, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout not empty:\n%s", r.stdout)
			}
			if !strings.HasPrefix(r.stderr, tt.wantErr) {
				t.Errorf("stderr:\n%s\nwant prefix:\n%s", r.stderr, tt.wantErr)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"help"}, usageText},
		{[]string{"-h"}, usageText},
		{[]string{"--help"}, usageText},
		{[]string{"help", "table"}, tableUsage},
		{[]string{"table", "--help"}, tableUsage},
		{[]string{"help", "version"}, versionUsage},
		{[]string{"help", "table", "show"}, showUsage},
		{[]string{"table", "show", "-h"}, showUsage},
		{[]string{"table", "show", "some/path", "--help"}, showUsage},
		{[]string{"help", "table", "describe"}, describeUsage},
		{[]string{"table", "history", "-help"}, historyUsage},
		{[]string{"help", "table", "optimize"}, optimizeUsage},
		{[]string{"help", "table", "vacuum"}, vacuumUsage},
		{[]string{"help", "generate"}, generateUsage},
		{[]string{"generate", "-h"}, generateUsage},
		{[]string{"help", "check"}, checkUsage},
		{[]string{"help", "diff"}, diffUsage},
		{[]string{"diff", "--help"}, diffUsage},
		{[]string{"help", "init"}, initUsage},
		{[]string{"help", "ir"}, irUsage},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := run(tt.args...)
			if r.code != ExitOK || r.stderr != "" {
				t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
			}
			if diff := cmp.Diff(tt.want, r.stdout); diff != "" {
				t.Errorf("stdout mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestUsageNamesRealFlags checks that every --flag a usage text mentions
// is defined by its command, so the texts cannot drift from the code.
func TestUsageNamesRealFlags(t *testing.T) {
	flagRE := regexp.MustCompile(`--([a-z][a-z-]*)`)
	dir := t.TempDir()
	for sub, usage := range tableSubUsage {
		seen := map[string]bool{}
		for _, m := range flagRE.FindAllStringSubmatch(usage, -1) {
			name := m[1]
			if seen[name] {
				continue
			}
			seen[name] = true
			r := run("table", sub, dir, "--"+name+"=1")
			if strings.Contains(r.stderr, "flag provided but not defined") {
				t.Errorf("table %s usage mentions --%s, which is not a flag: %s", sub, name, r.stderr)
			}
		}
		if len(seen) == 0 && sub != "history" {
			t.Errorf("table %s usage mentions no flags", sub)
		}
	}
}

func TestVersion(t *testing.T) {
	out := mustRun(t, "version")
	if !regexp.MustCompile(`^streamgen \S+ go\S+ \w+/\w+\n$`).MatchString(out) {
		t.Errorf("version output %q", out)
	}
}

func TestNotATable(t *testing.T) {
	empty := t.TempDir()
	logOnly := t.TempDir()
	if err := os.Mkdir(filepath.Join(logOnly, "_delta_log"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(logOnly, "_delta_log", "README"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(empty, "missing")
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"table", "show", empty}, "streamgen: table show " + empty + ": not a Delta table (no _delta_log)\n"},
		{[]string{"table", "describe", "--format", "json", empty}, "streamgen: table describe " + empty + ": not a Delta table (no _delta_log)\n"},
		{[]string{"table", "history", empty}, "streamgen: table history " + empty + ": not a Delta table (no _delta_log)\n"},
		{[]string{"table", "optimize", empty}, "streamgen: table optimize " + empty + ": not a Delta table (no _delta_log)\n"},
		{[]string{"table", "vacuum", empty, "--dry-run"}, "streamgen: table vacuum " + empty + ": not a Delta table (no _delta_log)\n"},
		{[]string{"table", "show", missing}, "streamgen: table show " + missing + ": not a Delta table (no such directory)\n"},
		{[]string{"table", "show", logOnly}, "streamgen: table show " + logOnly + ": not a Delta table (_delta_log holds no commit or checkpoint)\n"},
		{[]string{"table", "show", "file://" + empty}, "streamgen: table show file://" + empty + ": not a Delta table (no _delta_log)\n"},
		{[]string{"table", "show", "s3:///tables/t"}, "streamgen: table show s3:///tables/t: no bucket\n"},
		{[]string{"table", "history", "ABFSS://c@a.dfs.core.windows.net/t"}, "streamgen: table history ABFSS://c@a.dfs.core.windows.net/t: unsupported scheme \"abfss\" (want a path, file://, s3://, gs:// or azblob://)\n"},
		{[]string{"table", "show", "file://remote-host/t"}, "streamgen: table show file://remote-host/t: a file URL names a local path (file:///abs/path)\n"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args[:2], " "), func(t *testing.T) {
			r := run(tt.args...)
			if r.code != ExitError {
				t.Errorf("exit %d, want %d", r.code, ExitError)
			}
			if r.stdout != "" {
				t.Errorf("stdout not empty:\n%s", r.stdout)
			}
			if r.stderr != tt.wantErr {
				t.Errorf("stderr:\n%q\nwant:\n%q", r.stderr, tt.wantErr)
			}
		})
	}
}

// conformanceTable returns the root of a shared conformance table.
func conformanceTable(t *testing.T, name string) string {
	t.Helper()
	return filepath.Join(sharedDir(t, "conformance/delta"), name)
}

func TestShowBasicAppend(t *testing.T) {
	table := conformanceTable(t, "dat/basic_append/delta")
	// Files come sorted by path: part-00000-0d98… (the second append, d
	// and e) sorts before part-00000-9f27… (the first, a to c).
	latest := `{"letter":"d","number":4,"a_float":4.4}
{"letter":"e","number":5,"a_float":5.5}
{"letter":"a","number":1,"a_float":1.1}
{"letter":"b","number":2,"a_float":2.2}
{"letter":"c","number":3,"a_float":3.3}
`
	v0 := `{"letter":"a","number":1,"a_float":1.1}
{"letter":"b","number":2,"a_float":2.2}
{"letter":"c","number":3,"a_float":3.3}
`
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"jsonl", []string{"--format", "jsonl"}, latest},
		{"jsonl flags first", []string{"--format=jsonl", "--"}, latest},
		{"version 0", []string{"--version", "0", "--format", "jsonl"}, v0},
		{"version 1", []string{"--version", "1", "--format", "jsonl"}, latest},
		// Commit 0 is at 2023-01-12T03:20:16.286Z, commit 1 at 03:20:25.021Z.
		{"timestamp before v1", []string{"--timestamp", "2023-01-12T03:20:25Z", "--format", "jsonl"}, v0},
		{"timestamp space form", []string{"--timestamp", "2023-01-12 03:20:25", "--format", "jsonl"}, v0},
		{"timestamp at v1", []string{"--timestamp", "2023-01-12T03:20:25.021Z", "--format", "jsonl"}, latest},
		{"timestamp other zone", []string{"--timestamp", "2023-01-12T04:20:30+01:00", "--format", "jsonl"}, latest},
		{"limit", []string{"--format", "jsonl", "--limit", "3"}, strings.Join(strings.SplitAfter(latest, "\n")[:3], "")},
		{"limit 0", []string{"--format", "jsonl", "--limit", "0"}, ""},
		{"csv", []string{"--format", "csv", "--version", "0"}, "letter,number,a_float\na,1,1.1\nb,2,2.2\nc,3,3.3\n"},
		{"table", nil, ` letter | number | a_float
--------+--------+---------
 d      |      4 |     4.4
 e      |      5 |     5.5
 a      |      1 |     1.1
 b      |      2 |     2.2
 c      |      3 |     3.3
(5 rows)
`},
		{"table limit", []string{"--limit", "1"}, ` letter | number | a_float
--------+--------+---------
 d      |      4 |     4.4
(1 row shown; more not shown, raise --limit)
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"table", "show", table}, tt.args...)
			if tt.name == "jsonl flags first" {
				args = []string{"table", "show", "--format=jsonl", "--", table}
			}
			got := mustRun(t, args...)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("output mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestShowTimeTravelErrors(t *testing.T) {
	table := conformanceTable(t, "dat/basic_append/delta")
	for _, args := range [][]string{
		{"--version", "7"},
		{"--timestamp", "2020-01-01"},
	} {
		r := run(append([]string{"table", "show", table}, args...)...)
		prefix := "streamgen: table show " + table + ": "
		if r.code != ExitError || !strings.HasPrefix(r.stderr, prefix) || r.stdout != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 1 and stderr starting %q", args, r.code, r.stdout, r.stderr, prefix)
		}
	}
}

// TestShowAllTypes reads the conformance tables with every primitive and
// nested type in every format. Row i of all_primitive_types holds i in
// every numeric column, i zero bytes, 1970-01-0(i+1), hour i of
// 1970-01-01 and the decimal 1i.000; row i of nested_types holds
// struct{i, i even}, the array 0..i and the map "0"->0 … "i-1"->i-1.
func TestShowAllTypes(t *testing.T) {
	wantJSONL := map[string]string{
		"dat/all_primitive_types/delta": `{"utf8":"0","int64":0,"int32":0,"int16":0,"int8":0,"float32":0,"float64":0,"bool":true,"binary":"","decimal":10.000,"date32":"1970-01-01","timestamp":"1970-01-01T00:00:00Z"}
{"utf8":"1","int64":1,"int32":1,"int16":1,"int8":1,"float32":1,"float64":1,"bool":false,"binary":"AA==","decimal":11.000,"date32":"1970-01-02","timestamp":"1970-01-01T01:00:00Z"}
{"utf8":"2","int64":2,"int32":2,"int16":2,"int8":2,"float32":2,"float64":2,"bool":true,"binary":"AAA=","decimal":12.000,"date32":"1970-01-03","timestamp":"1970-01-01T02:00:00Z"}
{"utf8":"3","int64":3,"int32":3,"int16":3,"int8":3,"float32":3,"float64":3,"bool":false,"binary":"AAAA","decimal":13.000,"date32":"1970-01-04","timestamp":"1970-01-01T03:00:00Z"}
{"utf8":"4","int64":4,"int32":4,"int16":4,"int8":4,"float32":4,"float64":4,"bool":true,"binary":"AAAAAA==","decimal":14.000,"date32":"1970-01-05","timestamp":"1970-01-01T04:00:00Z"}
`,
		"dat/nested_types/delta": `{"pk":0,"struct":{"float64":0,"bool":true},"array":[0],"map":{}}
{"pk":1,"struct":{"float64":1,"bool":false},"array":[0,1],"map":{"0":0}}
{"pk":2,"struct":{"float64":2,"bool":true},"array":[0,1,2],"map":{"0":0,"1":1}}
{"pk":3,"struct":{"float64":3,"bool":false},"array":[0,1,2,3],"map":{"0":0,"1":1,"2":2}}
{"pk":4,"struct":{"float64":4,"bool":true},"array":[0,1,2,3,4],"map":{"0":0,"1":1,"2":2,"3":3}}
`,
	}
	for _, name := range []string{"dat/all_primitive_types/delta", "dat/nested_types/delta"} {
		table := conformanceTable(t, name)
		for _, format := range rowFormats {
			t.Run(name+"/"+format, func(t *testing.T) {
				got := mustRun(t, "table", "show", table, "--format", format)
				var want string
				if format == "jsonl" {
					want = wantJSONL[name]
				} else {
					want = golden(t, strings.TrimSuffix(strings.ReplaceAll(name, "/", "_"), "_delta")+"."+format, got)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("output mismatch (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// TestConformanceDescribeHistory compares describe and history of a
// Spark-written table, whose log is fixed, with golden files.
func TestConformanceDescribeHistory(t *testing.T) {
	table := conformanceTable(t, "dat/basic_append/delta")
	for _, tt := range []struct {
		golden string
		args   []string
	}{
		{"basic_append.describe.txt", []string{"table", "describe", table}},
		{"basic_append.describe_v0.txt", []string{"table", "describe", "--version", "0", table}},
		{"basic_append.describe.json", []string{"table", "describe", table, "--format", "json"}},
		{"basic_append.history.txt", []string{"table", "history", table}},
		{"basic_append.history_limit1.txt", []string{"table", "history", table, "--limit", "1"}},
		{"basic_append.history.json", []string{"table", "history", table, "--format", "json"}},
		{"nested_types.describe.txt", []string{"table", "describe", conformanceTable(t, "dat/nested_types/delta")}},
	} {
		t.Run(tt.golden, func(t *testing.T) {
			got := mustRun(t, tt.args...)
			got = strings.ReplaceAll(got, filepath.Dir(filepath.Dir(filepath.Dir(table))), "$CONFORMANCE")
			if diff := cmp.Diff(golden(t, tt.golden, got), got); diff != "" {
				t.Errorf("output mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
