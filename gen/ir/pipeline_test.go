package ir

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/gen/diag"
	"github.com/streamgen/streamgen/gen/load"
)

// eventRecord is schemas/event.json as BuildRecords makes it, plus a
// nullable temperature.
func eventRecord() *Record {
	p := func(l, c int) diag.Pos { return diag.Pos{File: "schemas/event.json", Line: l, Col: c} }
	return &Record{
		Name: "Event", ID: "schemas/event.json#", Source: "schemas/event.json", Pos: p(1, 1),
		Fields: []*Field{
			{Name: "time", Type: &Timestamp{Unit: EpochSeconds}, Required: true, Pos: p(2, 5)},
			{Name: "action", Type: &Enum{Values: []string{"Open", "Close"}}, Required: true, Pos: p(3, 5)},
			{Name: "temperature", Type: &Scalar{Kind: Float64}, Nullable: true, Pos: p(4, 5)},
			{Name: "tags", Type: &List{Elem: &Scalar{Kind: String}}, Pos: p(5, 5)},
		},
	}
}

func testEnv(rec *Record) BuildEnv {
	return BuildEnv{SchemaRecord: func(f *load.SpecFile, ref string) (*Record, error) {
		if strings.HasSuffix(ref, "event.json") {
			return rec, nil
		}
		return nil, errors.New("cannot read schema " + ref)
	}}
}

// build parses, builds and checks one spec.
func build(t *testing.T, src string) (*Pipeline, diag.List) {
	t.Helper()
	f, diags := load.ParseSpec("p.yaml", []byte(src))
	if f.Spec == nil {
		return nil, diags
	}
	ps, ds := BuildPipelines([]*load.SpecFile{f}, testEnv(eventRecord()))
	diags.Append(ds)
	diags.Append(Check(&Program{Pipelines: ps}))
	diags.Sort()
	if len(ps) == 0 {
		return nil, diags
	}
	return ps[0], diags
}

const actionCountsSpec = `name: action_counts
source:
  files: {path: data/events, format: json, schema: ../schemas/event.json, maxFilesPerTrigger: 1}
steps:
  - where: action != ""
  - watermark: {column: time, delay: 10m}
  - groupBy: {keys: [action], window: {column: time, size: 1h}}
    aggregate: {count: count(), latest: max(time)}
sink:
  delta: {path: tables/action_counts, outputMode: complete}
trigger: {processingTime: 10s}
checkpoint: checkpoints/action_counts
`

func TestBuildActionCounts(t *testing.T) {
	got, diags := build(t, actionCountsSpec)
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	ev := eventRecord()
	p := func(l, c int) diag.Pos { return diag.Pos{File: "p.yaml", Line: l, Col: c} }
	result := &Record{
		Name: "ActionCountsResult", ID: "p.yaml#/steps/2/groupBy", Source: "p.yaml", Pos: p(7, 14),
		Fields: []*Field{
			{Name: "action", Type: &Enum{Values: []string{"Open", "Close"}}, Required: true, Pos: p(7, 22)},
			{Name: "window_start", Type: &Timestamp{Unit: RFC3339}, Required: true, Pos: p(7, 39)},
			{Name: "window_end", Type: &Timestamp{Unit: RFC3339}, Required: true, Pos: p(7, 39)},
			{Name: "count", Type: &Scalar{Kind: Int64}, Required: true, Pos: p(8, 24)},
			{Name: "latest", Type: &Timestamp{Unit: EpochSeconds}, Required: true, Pos: p(8, 41)},
		},
	}
	wm := &Watermark{Op: "watermark", Step: 1, In: ev, Column: "time", Delay: 10 * time.Minute, Pos: p(6, 16)}
	want := &Pipeline{
		Name: "action_counts",
		Spec: "p.yaml",
		Source: &Source{
			Kind: SourceFiles, Record: ev, RecordName: "Event", SchemaPath: "../schemas/event.json", OnMalformed: Quarantine,
			Files: &FilesSource{Path: "data/events", Format: "json", MaxFilesPerTrigger: 1, MaxFileAge: DefaultMaxFileAge, CleanSource: "off"},
			Pos:   p(3, 10),
		},
		Steps: []Step{
			&Where{Op: "where", In: ev, Cond: &Expr{Src: `action != ""`, Type: "bool", Vars: []ExprVar{{Field: "action", GoType: "string"}}, Pos: p(5, 12)}, Pos: p(5, 12)},
			wm,
		},
		Aggregation: &Aggregation{
			In: ev, Step: 2, Keys: []string{"action"},
			Window: &Window{Kind: Tumbling, Column: "time", Size: time.Hour, Pos: p(7, 39)},
			Aggs: []*Agg{
				{Func: AggCount, As: "count", Type: &Scalar{Kind: Int64}, Pos: p(8, 24)},
				{Func: AggMax, Field: "time", As: "latest", Type: &Timestamp{Unit: EpochSeconds}, Pos: p(8, 41)},
			},
			Result: result,
			Pos:    p(7, 14),
		},
		Output:     result,
		Records:    []*Record{result},
		Sink:       &Sink{Kind: SinkDelta, OutputMode: Complete, Delta: &DeltaSink{Path: "tables/action_counts", TargetFileSize: DefaultTargetFileSize}, Pos: p(10, 10), ModePos: p(10, 51)},
		Trigger:    Trigger{Kind: TriggerProcessingTime, Interval: 10 * time.Second, Pos: p(11, 27)},
		Checkpoint: "checkpoints/action_counts",
		Watermark:  wm,
		Pos:        p(1, 7),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pipeline (-want +got):\n%s", diff)
	}
}

func TestBuildSelectAndDefaults(t *testing.T) {
	got, diags := build(t, `name: sel
source:
  kafka: {bootstrapServers: ["k:9092"], subscribe: [events], schema: event.json}
onMalformed: fail
steps:
  - select: [time, {column: action, as: kind}, {as: warm, expr: "temperature != nil && *temperature > 20"}, {as: hour, expr: time.Hour()}, {as: at, expr: time}]
  - where: warm && kind == "Open"
sink:
  console: {}
`)
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	if got.Source.OnMalformed != Fail || got.Source.Kafka.StartingOffsets.Mode != "latest" || !got.Source.Kafka.FailOnDataLoss || got.Source.Kafka.MaxTriggerDelay != DefaultMaxTriggerDelay {
		t.Errorf("kafka defaults: %+v", got.Source.Kafka)
	}
	if got.Sink.OutputMode != Append || got.Sink.Console.NumRows != 20 || !got.Sink.Console.Truncate {
		t.Errorf("console defaults: %+v", got.Sink)
	}
	type f struct {
		Name     string
		Type     string
		Required bool
		Nullable bool
	}
	var fields []f
	for _, fl := range got.Output.Fields {
		fields = append(fields, f{fl.Name, fl.Type.String(), fl.Required, fl.Nullable})
	}
	want := []f{
		{"time", "timestamp(epoch-seconds)", true, false},
		{"kind", "enum", true, false},
		{"warm", "bool", true, false},
		{"hour", "int64", true, false},
		{"at", "timestamp(rfc3339)", true, false},
	}
	if diff := cmp.Diff(want, fields); diff != "" {
		t.Errorf("SelRow fields (-want +got):\n%s", diff)
	}
	if got.Output.Name != "SelRow" {
		t.Errorf("output record %q", got.Output.Name)
	}
	w := got.Steps[1].(*Where)
	if diff := cmp.Diff([]ExprVar{{"warm", "bool"}, {"kind", "string"}}, w.Cond.Vars); diff != "" {
		t.Errorf("where vars (-want +got):\n%s", diff)
	}
}

func TestAggregateTypes(t *testing.T) {
	rec := &Record{Name: "R", Fields: []*Field{
		{Name: "i", Type: &Scalar{Kind: Int32}, Required: true},
		{Name: "f", Type: &Scalar{Kind: Float64}, Required: true},
		{Name: "s", Type: &Scalar{Kind: String}, Required: true},
		{Name: "ts", Type: &Timestamp{Unit: RFC3339}, Required: true},
	}}
	src := `name: aggs
source: {files: {path: d, schema: r.json}}
steps:
  - groupBy: {keys: [s]}
    aggregate: {a: count(), b: count(f), c: sum(i), d: sum(f), e: avg(i), g: min(ts), h: max(s), j: first(f), k: last(i), l: count_distinct(s), m: approx_count_distinct(ts)}
sink: {memory: {outputMode: complete}}
`
	f, diags := load.ParseSpec("p.yaml", []byte(src))
	env := BuildEnv{SchemaRecord: func(*load.SpecFile, string) (*Record, error) { return rec, nil }}
	ps, ds := BuildPipelines([]*load.SpecFile{f}, env)
	diags.Append(ds)
	diags.Append(Check(&Program{Pipelines: ps}))
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	got := map[string]string{}
	for _, a := range ps[0].Aggregation.Aggs {
		got[a.As] = a.Type.String()
	}
	want := map[string]string{"a": "int64", "b": "int64", "c": "int64", "d": "float64", "e": "float64", "g": "timestamp(rfc3339)", "h": "string", "j": "float64", "k": "int32", "l": "int64", "m": "int64"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("aggregate types (-want +got):\n%s", diff)
	}
}

// TestAggregateNullability checks which result fields are nullable, as in
// Spark: sum, avg, min, max, first and last over a nullable or not-required
// field (a group may have no non-null value); never the counts, and never
// over a required, non-nullable field.
func TestAggregateNullability(t *testing.T) {
	rec := &Record{Name: "R", Fields: []*Field{
		{Name: "k", Type: &Scalar{Kind: String}, Required: true},
		{Name: "req", Type: &Scalar{Kind: Int64}, Required: true},
		{Name: "null", Type: &Scalar{Kind: Float64}, Required: true, Nullable: true},
		{Name: "opt", Type: &Scalar{Kind: Int32}},
	}}
	funcs := []AggFunc{AggCount, AggSum, AggAvg, AggMin, AggMax, AggFirst, AggLast, AggCountDistinct, AggApproxCountDistinct}
	var aggs []string
	want := map[string]bool{"rows": false}
	for _, fn := range funcs {
		for _, f := range []string{"req", "null", "opt"} {
			as := string(fn) + "_" + f
			aggs = append(aggs, as+": "+string(fn)+"("+f+")")
			switch fn {
			case AggCount, AggCountDistinct, AggApproxCountDistinct:
				want[as] = false
			default:
				want[as] = f != "req"
			}
		}
	}
	src := "name: aggs\nsource: {files: {path: d, schema: r.json}}\nsteps:\n  - groupBy: {keys: [k]}\n    aggregate: {rows: count(), " +
		strings.Join(aggs, ", ") + "}\nsink: {memory: {outputMode: complete}}\n"
	f, diags := load.ParseSpec("p.yaml", []byte(src))
	env := BuildEnv{SchemaRecord: func(*load.SpecFile, string) (*Record, error) { return rec, nil }}
	ps, ds := BuildPipelines([]*load.SpecFile{f}, env)
	diags.Append(ds)
	diags.Append(Check(&Program{Pipelines: ps}))
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	got := map[string]bool{}
	for _, a := range ps[0].Aggregation.Aggs {
		rf := ps[0].Aggregation.Result.Field(a.As)
		if !rf.Required {
			t.Errorf("%s: result field not required (it is always present)", a.As)
		}
		got[a.As] = rf.Nullable
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("nullable result fields (-want +got):\n%s", diff)
	}
}

// Kafka sink headers: sorted by name whatever the spec's order, each at
// its field name; an unknown field, a list and an empty name are errors
// at the header (the value, or the key for the name).
func TestKafkaSinkHeaders(t *testing.T) {
	const spec = `name: out
source:
  files: {path: in, schema: ../schemas/event.json}
sink:
  kafka:
    bootstrapServers: [localhost:9092]
    topic: out
    headers:
      when: time
      action: action
      temp: temperature
checkpoint: cp
`
	got, diags := build(t, spec)
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	p := func(l, c int) diag.Pos { return diag.Pos{File: "p.yaml", Line: l, Col: c} }
	want := []KafkaHeader{{"action", "action", p(10, 15)}, {"temp", "temperature", p(11, 13)}, {"when", "time", p(9, 13)}}
	if diff := cmp.Diff(want, got.Sink.Kafka.Headers); diff != "" {
		t.Errorf("headers (-want +got):\n%s", diff)
	}

	_, diags = build(t, strings.Replace(spec, "      temp: temperature\n", "      temp: temp\n      tags: tags\n      \"\": action\n", 1))
	wantDiags := []string{
		`p.yaml:11:13: sink.kafka.headers.temp: unknown field "temp" in record Event`,
		`p.yaml:12:13: sink.kafka.headers.tags: header "tags": field "tags" has type list<string>; a header value must be a string, number, boolean, timestamp, date or enum field`,
		`p.yaml:13:7: sink.kafka.headers.: a header name cannot be empty`,
	}
	var gotDiags []string
	for _, d := range diags {
		gotDiags = append(gotDiags, d.Pos.String()+": "+d.Path+": "+d.Msg)
	}
	if diff := cmp.Diff(wantDiags, gotDiags); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
}
