package ir

import (
	"strings"
	"testing"
)

// TestCheckRules runs one spec per rule through Build and Check and
// compares the messages (positions are covered by generated_test/errors).
func TestCheckRules(t *testing.T) {
	const src = "name: t\nsource: {files: {path: d, schema: event.json}}\n"
	for _, tc := range []struct {
		name string
		spec string // appended to src
		want []string
	}{
		{"ok append", "sink: {delta: {path: out}}\ncheckpoint: c\n", nil},
		{"complete without aggregation", "sink: {memory: {outputMode: complete}}\n",
			[]string{"output mode complete needs an aggregation (groupBy)"}},
		{"complete with aggregation", "steps: [{groupBy: {keys: [action]}, aggregate: {n: count()}}]\nsink: {memory: {outputMode: complete}}\n", nil},
		{"update without aggregation", "sink: {memory: {outputMode: update}}\n", nil},
		{"append aggregation without window", "steps: [{groupBy: {keys: [action]}, aggregate: {n: count()}}]\nsink: {memory: {}}\n",
			[]string{"output mode append with an aggregation needs a window and a watermark: without them no group is ever final"}},
		{"append window without watermark", "steps: [{groupBy: {window: {column: time, size: 1h}}, aggregate: {n: count()}}]\nsink: {memory: {}}\n",
			[]string{`output mode append with an aggregation needs a watermark on the window column "time"`}},
		{"append window with watermark", "steps: [{watermark: {column: time, delay: 1m}}, {groupBy: {window: {column: time, size: 1h}}, aggregate: {n: count()}}]\nsink: {memory: {}}\n", nil},
		{"watermark on another column", "steps: [{select: [time, {as: t2, expr: time}]}, {watermark: {column: t2, delay: 1m}}, {groupBy: {window: {column: time, size: 1h}}, aggregate: {n: count()}}]\nsink: {memory: {}}\n",
			[]string{`output mode append needs the watermark on the window column "time", not "t2"`}},
		{"watermark column dropped", "steps: [{watermark: {column: time, delay: 1m}}, {select: [action]}, {groupBy: {keys: [action]}, aggregate: {n: count()}}]\nsink: {memory: {outputMode: update}}\n",
			[]string{`watermark column "time" is not in the rows the groupBy reads (record TRow)`}},
		{"session complete", "steps: [{groupBy: {window: {column: time, gap: 5m}}, aggregate: {n: count()}}]\nsink: {memory: {outputMode: complete}}\n", nil},
		{"session append", "steps: [{watermark: {column: time, delay: 1m}}, {groupBy: {window: {column: time, gap: 5m}}, aggregate: {n: count()}}]\nsink: {memory: {}}\n", nil},
		{"session update", "steps: [{groupBy: {window: {column: time, gap: 5m}}, aggregate: {n: count()}}]\nsink: {memory: {outputMode: update}}\n",
			[]string{"output mode update is not supported with session windows (as in Spark, SPARK-36463)"}},
		{"checkpoint required", "sink: {kafka: {bootstrapServers: [\"k:1\"], topic: t}}\n",
			[]string{"a kafka sink needs a checkpoint directory"}},
		{"checkpoint optional for console", "sink: {console: {}}\n", nil},
		{"delta update needs keys", "sink: {delta: {path: out, outputMode: update}}\ncheckpoint: c\n",
			[]string{"output mode update on a Delta sink needs an aggregation: rows are merged by their keys"}},
		{"checkpoint inside table", "sink: {delta: {path: out}}\ncheckpoint: out/_checkpoint\n",
			[]string{`the sink table "out" and the checkpoint "out/_checkpoint" overlap`}},
		{"two triggers", "sink: {console: {}}\ntrigger: {once: true, availableNow: true}\n",
			[]string{"trigger: once and availableNow are exclusive, set only one"}},
		{"sliding window", "steps: [{groupBy: {window: {column: time, size: 1h, slide: 2h}}, aggregate: {n: count()}}]\nsink: {memory: {outputMode: update}}\n",
			[]string{"slide 2h0m0s is longer than size 1h0m0s"}},
		{"session with size", "steps: [{groupBy: {window: {column: time, gap: 5m, size: 1h}}, aggregate: {n: count()}}]\nsink: {memory: {outputMode: complete}}\n",
			[]string{"a session window (gap) has no size"}},
		{"start offset", "steps: [{groupBy: {window: {column: time, size: 1h, startOffset: 1h}}, aggregate: {n: count()}}]\nsink: {memory: {outputMode: update}}\n",
			[]string{"startOffset 1h0m0s must be less than the window's size 1h0m0s"}},
		{"groupBy without aggregate", "steps: [{groupBy: {keys: [action]}}]\nsink: {memory: {outputMode: update}}\n",
			[]string{"groupBy needs aggregate: {count: count()}"}},
		{"list key", "steps: [{groupBy: {keys: [tags]}, aggregate: {n: count()}}]\nsink: {memory: {outputMode: update}}\n",
			[]string{`key "tags" has type list<string>; grouping keys must be scalars, timestamps, dates or enums`}},
		{"aggregate clashes with key", "steps: [{groupBy: {keys: [action]}, aggregate: {action: count()}}]\nsink: {memory: {outputMode: update}}\n",
			[]string{`aggregate "action" clashes with a key or window column`}},
		{"two watermarks", "steps: [{watermark: {column: time, delay: 1m}}, {watermark: {column: time, delay: 2m}}]\nsink: {console: {}}\n",
			[]string{"a pipeline has at most one watermark"}},
		{"partitionBy unknown", "sink: {delta: {path: out, partitionBy: [acton]}}\ncheckpoint: c\n",
			[]string{`unknown field "acton" in record Event`}},
		{"derived not a column type", "steps: [{select: [{as: d, expr: time.Sub(time)}]}]\nsink: {console: {}}\n",
			[]string{"expression has type time.Duration; a derived field must be string, int32, int, int64, float64, bool or time.Time, or a pointer to one"}},
		{"duplicate select", "steps: [{select: [action, {column: time, as: action}]}]\nsink: {console: {}}\n",
			[]string{`duplicate field "action" (also steps[0].select[0])`}},
		{"where function literal", "steps: [{where: 'func() bool { return true }()'}]\nsink: {console: {}}\n",
			[]string{"function literals are not allowed in expressions"}},
		{"no map without go", "steps: [{map: {func: example.com/x.F}}]\nsink: {console: {}}\n",
			[]string{"cannot check function example.com/x.F: Go packages are not loaded"}},
		{"bad func ref", "steps: [{map: {func: Enrich}}]\nsink: {console: {}}\n",
			[]string{`invalid function "Enrich" (want import path and name: example.com/me/enrich.Enrich)`}},
		{"files options", "sink: {console: {}}\n" + "x: 1\n",
			[]string{`unknown key "x"`}},
		{"delta source options", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := src + tc.spec
			if tc.name == "delta source options" {
				s = "name: t\nsource: {delta: {path: in, schema: event.json, startingVersion: 3, startingTimestamp: 2024-01-01}}\nsink: {delta: {path: in}}\ncheckpoint: c\n"
				tc.want = []string{"startingVersion and startingTimestamp are exclusive, set only one", `the sink table "in" is also the source table`}
			}
			_, diags := build(t, s)
			var got []string
			for _, d := range diags {
				got = append(got, d.Msg)
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s\n(full: %v)", strings.Join(got, "\n"), strings.Join(tc.want, "\n"), diags)
			}
		})
	}
}

func TestDuplicatePipelineNames(t *testing.T) {
	a, _ := build(t, "name: t\nsource: {rate: {}}\nsink: {console: {}}\n")
	b, _ := build(t, "name: t\nsource: {rate: {}}\nsink: {console: {}}\n")
	b.Spec = "q.yaml"
	diags := Check(&Program{Pipelines: []*Pipeline{a, b}})
	if len(diags) != 1 || diags[0].Msg != `duplicate pipeline name "t"` {
		t.Errorf("got %v", diags)
	}
}

func TestCheckExpr(t *testing.T) {
	rec := eventRecord()
	for _, tc := range []struct {
		src      string
		wantBool bool
		typ      string
		err      string
		off      int
	}{
		{`action == "Open"`, true, "bool", "", 0},
		{`time.After(time.Add(1))`, true, "bool", "", 0},
		{`strings.HasPrefix(action, "O") && len(tags) > 0`, true, "bool", "", 0},
		{`math.Abs(*temperature)`, false, "float64", "", 0},
		{`strconv.Itoa(len(action))`, false, "string", "", 0},
		{`temperature`, false, "*float64", "", 0},
		{`1 + 2`, false, "int", "", 0},
		{`action +`, false, "", "syntax error: expected operand", 8},
		{`actoin == ""`, true, "", "undefined: actoin", 0},
		{`action == 1`, true, "", `mismatched types string and untyped int`, 10},
		{`action`, true, "", "expression has type string, want bool", 0},
		{`os.Exit(1)`, false, "", "undefined: os", 0},
	} {
		res, errs := checkExpr(tc.src, rec, tc.wantBool)
		if tc.err != "" {
			if len(errs) == 0 || !strings.Contains(errs[0].Msg, tc.err) || errs[0].Offset != tc.off {
				t.Errorf("%q: errors %+v, want %q at %d", tc.src, errs, tc.err, tc.off)
			}
			continue
		}
		if len(errs) > 0 {
			t.Errorf("%q: %+v", tc.src, errs)
			continue
		}
		if got := typeString(res.Type); got != tc.typ {
			t.Errorf("%q: type %s, want %s", tc.src, got, tc.typ)
		}
	}
}
