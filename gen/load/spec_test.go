package load

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/gen/diag"
	"github.com/streamgen/streamgen/gen/spec"
)

const actionCounts = `name: action_counts
source:
  files: {path: data/events, format: json, schema: ../schemas/event.json, maxFilesPerTrigger: 1, maxBytesPerTrigger: 128MiB}
onMalformed: drop
steps:
  - where: action != ""
  - select: [time, action, {column: action, as: kind}, {as: hour, expr: "time.Hour()"}]
  - watermark: {column: time, delay: 10m}
  - groupBy: {keys: [action], window: {column: time, size: 1h, slide: 30m}}
    aggregate: {count: count(), latest: max(time)}
sink:
  delta: {path: tables/action_counts, outputMode: complete, partitionBy: [action]}
trigger: {processingTime: 10s}
checkpoint: checkpoints/action_counts
`

func TestParseSpecDecodes(t *testing.T) {
	f, diags := ParseSpec("p.yaml", []byte(actionCounts))
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	want := &spec.Pipeline{
		Name: "action_counts",
		Source: spec.Source{Files: &spec.FilesSource{
			Path: "data/events", Format: "json", Schema: "../schemas/event.json",
			MaxFilesPerTrigger: 1, MaxBytesPerTrigger: 128 << 20,
		}},
		OnMalformed: "drop",
		Steps: []spec.Step{
			{Where: `action != ""`},
			{Select: []spec.SelectItem{{Column: "time"}, {Column: "action"}, {Column: "action", As: "kind"}, {As: "hour", Expr: "time.Hour()"}}},
			{Watermark: &spec.Watermark{Column: "time", Delay: spec.Duration(10 * time.Minute)}},
			{
				GroupBy:   &spec.GroupBy{Keys: []string{"action"}, Window: &spec.Window{Column: "time", Size: spec.Duration(time.Hour), Slide: spec.Duration(30 * time.Minute)}},
				Aggregate: spec.Aggregates{{As: "count", Expr: "count()"}, {As: "latest", Expr: "max(time)"}},
			},
		},
		Sink: spec.Sink{Delta: &spec.DeltaSink{
			SinkOptions: spec.SinkOptions{OutputMode: "complete"},
			Path:        "tables/action_counts", PartitionBy: []string{"action"},
		}},
		Trigger:    &spec.Trigger{ProcessingTime: spec.Duration(10 * time.Second)},
		Checkpoint: "checkpoints/action_counts",
	}
	if diff := cmp.Diff(want, f.Spec); diff != "" {
		t.Errorf("spec (-want +got):\n%s", diff)
	}
}

func TestParseSpecPositions(t *testing.T) {
	f, diags := ParseSpec("p.yaml", []byte(actionCounts))
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	pos := func(line, col int) diag.Pos { return diag.Pos{File: "p.yaml", Line: line, Col: col} }
	for _, tc := range []struct {
		name string
		got  diag.Pos
		want diag.Pos
	}{
		{"root", f.Pos(""), pos(1, 1)},
		{"name value", f.Pos("name"), pos(1, 7)},
		{"name key", f.KeyPos("name"), pos(1, 1)},
		{"files", f.Pos("source.files"), pos(3, 10)},
		{"files key", f.KeyPos("source.files"), pos(3, 3)},
		{"schema", f.Pos("source.files.schema"), pos(3, 52)},
		{"where", f.Pos("steps[0].where"), pos(6, 12)},
		{"select item", f.Pos("steps[1].select[2]"), pos(7, 28)},
		{"select expr", f.Pos("steps[1].select[3].expr"), pos(7, 73)},
		{"key", f.Pos("steps[3].groupBy.keys[0]"), pos(9, 22)},
		{"aggregate value", f.Pos("steps[3].aggregate.latest"), pos(10, 41)},
		{"aggregate key", f.KeyPos("steps[3].aggregate.latest"), pos(10, 33)},
		{"missing falls back to parent", f.Pos("steps[3].groupBy.window.gap"), pos(9, 39)},
		{"plain offset", f.OffsetPos("steps[0].where", 10), pos(6, 22)},
		{"quoted offset", f.OffsetPos("steps[1].select[3].expr", 5), pos(7, 79)},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	if !f.Has("trigger.processingTime") || f.Has("trigger.once") {
		t.Error("Has")
	}
}

func TestOffsetPosBlockScalar(t *testing.T) {
	src := "name: x\nsteps:\n  - where: |\n      a &&\n        b\n"
	f, _ := ParseSpec("p.yaml", []byte(src))
	// "a &&\n  b\n": offset 7 is "b" on line 5 at column 9.
	if got, want := f.OffsetPos("steps[0].where", 7), (diag.Pos{File: "p.yaml", Line: 5, Col: 9}); got != want {
		t.Errorf("got %v, want %v", got, want)
	}
	if got, want := f.OffsetPos("steps[0].where", 2), (diag.Pos{File: "p.yaml", Line: 4, Col: 9}); got != want {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestParseSpecErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string
	}{
		{"unknown key", "name: x\nsource: {files: {path: p, schema: s, maxFilesPerTriger: 1}}\nsink: {memory: {}}\n",
			[]string{`p.yaml:2:38: source.files: unknown key "maxFilesPerTriger"` + "\n\tdid you mean \"maxFilesPerTrigger\"?"}},
		{"unknown root key", "name: x\nsource: {rate: {}}\nsink: {memory: {}}\nsteps: []\nchekpoint: c\n",
			[]string{`p.yaml:5:1: unknown key "chekpoint"` + "\n\tdid you mean \"checkpoint\"?"}},
		{"missing required", "source: {files: {path: p}}\nsink: {memory: {}}\n",
			[]string{`p.yaml:1:1: missing required key "name"`, `p.yaml:1:17: source.files: missing required key "schema"`}},
		{"duplicate key", "name: x\nname: y\nsource: {rate: {}}\nsink: {memory: {}}\n",
			[]string{`p.yaml:2:1: name: duplicate key "name"`}},
		{"bad duration", "name: x\nsource: {rate: {rampUpTime: 5 min}}\nsink: {memory: {}}\n",
			[]string{`p.yaml:2:29: source.rate.rampUpTime: invalid duration "5 min" (want a number and unit: 500ms, 10s, 5m, 1h, 7d)`}},
		{"bad int", "name: x\nsource: {rate: {rowsPerSecond: many}}\nsink: {memory: {}}\n",
			[]string{`p.yaml:2:32: source.rate.rowsPerSecond: want an integer, got "many"`}},
		{"minimum", "name: x\nsource: {rate: {rowsPerSecond: 0}}\nsink: {memory: {}}\n",
			[]string{`p.yaml:2:32: source.rate.rowsPerSecond: rowsPerSecond must be at least 1, got 0`}},
		{"wrong kind", "name: x\nsource: [files]\nsink: {memory: {}}\n",
			[]string{`p.yaml:2:9: source: want a mapping, got a list`}},
		{"enum", "name: x\nsource: {rate: {}}\nsink: {memory: {outputMode: upsert}}\n",
			[]string{`p.yaml:3:29: sink.memory.outputMode: invalid outputMode "upsert" (want append, update or complete)`}},
		{"bad name", "name: Action-Counts\nsource: {rate: {}}\nsink: {memory: {}}\n",
			[]string{`p.yaml:1:7: name: invalid name "Action-Counts" (want lowercase letters, digits and underscores, starting with a letter)`}},
		{"yaml syntax", "name: [x\n", []string{`p.yaml:1: invalid YAML: did not find expected ',' or ']'`}},
		{"empty", "", []string{`p.yaml:1:1: empty spec`}},
		{"kafka offsets", "name: x\nsource: {kafka: {bootstrapServers: [k:1], subscribe: [t], schema: s, startingOffsets: {t: {x: 1, 0: -3}}}}\nsink: {memory: {}}\n",
			[]string{`p.yaml:2:92: source.kafka.startingOffsets.t.x: invalid partition "x" (want a partition number)`, `p.yaml:2:101: source.kafka.startingOffsets.t.0: invalid offset -3 (want an offset, -2 for earliest or -1 for latest)`}},
		{"select item kind", "name: x\nsource: {rate: {}}\nsteps: [{select: [[a]]}]\nsink: {memory: {}}\n",
			[]string{`p.yaml:3:19: steps[0].select[0]: want a field name or a mapping {column, as} or {as, expr}, got a list`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := ParseSpec("p.yaml", []byte(tc.src))
			diags.Sort()
			var got []string
			for _, d := range diags {
				got = append(got, d.String())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseSpecUnions(t *testing.T) {
	src := `name: x
source:
  kafka:
    bootstrapServers: [a:9092]
    assign: {t: [1, 0]}
    startingOffsets: {t: {0: 5, 1: -2}}
    startingTimestamp: 1700000000000
    schema: s.json
sink:
  memory: {}
`
	f, diags := ParseSpec("p.yaml", []byte(src))
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	k := f.Spec.Source.Kafka
	if k.StartingOffsets == nil || k.StartingOffsets.Partitions["t"][1] != -2 || k.StartingOffsets.Partitions["t"][0] != 5 {
		t.Errorf("startingOffsets = %+v", k.StartingOffsets)
	}
	if !k.StartingTimestamp.Equal(time.UnixMilli(1700000000000)) {
		t.Errorf("startingTimestamp = %v", k.StartingTimestamp)
	}
	f, diags = ParseSpec("p.yaml", []byte("name: x\nsource: {delta: {path: t, schema: s, startingVersion: latest}}\nsink: {memory: {}}\n"))
	if len(diags) > 0 || !f.Spec.Source.Delta.StartingVersion.Latest {
		t.Errorf("startingVersion latest: %v %+v", diags, f.Spec.Source.Delta.StartingVersion)
	}
}

func TestLoadSpecMissing(t *testing.T) {
	_, diags := LoadSpec(fstest.MapFS{}, "p.yaml", "pipelines/p.yaml")
	if len(diags) != 1 || !strings.Contains(diags[0].String(), "pipelines/p.yaml: cannot read spec") {
		t.Errorf("got %v", diags)
	}
}

// FuzzLoadSpec: the loader never panics, always returns a SpecFile, and
// every diagnostic has a position in the file.
func FuzzLoadSpec(f *testing.F) {
	f.Add([]byte(actionCounts))
	f.Add([]byte("name: x\nsource: {kafka: {startingOffsets: {t: {0: 1}}, startingTimestamp: 2024-01-01}}\n"))
	f.Add([]byte("steps: [{select: [a, {as: b, expr: c}]}, {groupBy: {}, aggregate: {a: b}}]\n"))
	f.Add([]byte("a: &x {b: *x}\n"))
	f.Add([]byte("source: {delta: {startingVersion: -1, maxBytesPerTrigger: 1e99}}\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		sf, diags := ParseSpec("p.yaml", src)
		if sf == nil {
			t.Fatal("nil SpecFile")
		}
		for _, d := range diags {
			if d.Pos.File != "p.yaml" {
				t.Fatalf("diagnostic without file: %v", d)
			}
		}
		if sf.Spec == nil && len(diags) == 0 {
			t.Fatal("no spec and no error")
		}
		for p := range sf.nodes {
			_ = sf.OffsetPos(p, 3)
		}
	})
}
