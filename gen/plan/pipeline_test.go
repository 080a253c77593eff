package plan

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/gen/diag"
	"github.com/streamgen/streamgen/gen/ir"
)

func TestSplitGlob(t *testing.T) {
	for _, tc := range []struct{ in, root, glob string }{
		{"data/in", "data/in", ""},
		{"data/*/x-*.json", "data", "*/x-*.json"},
		{"*.jsonl", ".", "*.jsonl"},
		{"/abs/dir/**/*.json", "/abs/dir", "**/*.json"},
		{"/*.json", "/", "*.json"},
	} {
		root, glob := splitGlob(tc.in)
		if root != tc.root || glob != tc.glob {
			t.Errorf("splitGlob(%q) = %q, %q; want %q, %q", tc.in, root, glob, tc.root, tc.glob)
		}
	}
}

// statelessProgram is a files → where → select → delta pipeline over a
// record with an enum and a date; mutate changes it before planning.
func statelessProgram(mutate func(*ir.Pipeline)) *ir.Program {
	p := diag.Pos{File: "p.yaml", Line: 1, Col: 1}
	in := &ir.Record{Name: "Reading", ID: "schemas/r.json#", Source: "schemas/r.json", Pos: p, Fields: []*ir.Field{
		{Name: "device", Type: &ir.Scalar{Kind: ir.String}, Required: true, Pos: p},
		{Name: "status", Type: &ir.Enum{Values: []string{"ok", "bad"}}, Required: true, Pos: p},
		{Name: "day", Type: &ir.Date{}, Pos: p},
	}}
	out := &ir.Record{Name: "ReadingsRow", ID: "p.yaml#/steps/1", Source: "p.yaml", Pos: p, Fields: []*ir.Field{
		{Name: "dev", Type: &ir.Scalar{Kind: ir.String}, Required: true, Pos: p},
	}}
	pl := &ir.Pipeline{
		Name: "readings", Spec: "p.yaml", Pos: p,
		Source: &ir.Source{Kind: ir.SourceFiles, Record: in, OnMalformed: ir.Quarantine, Files: &ir.FilesSource{Path: "in/*.json", Format: "json"}},
		Steps: []ir.Step{
			&ir.Where{Op: "where", In: in, Cond: &ir.Expr{Src: `status != "bad"`, Type: "bool", Vars: []ir.ExprVar{{Field: "status", GoType: "string"}}}},
			&ir.Select{Op: "select", In: in, Out: out, Columns: []*ir.SelectColumn{{As: "dev", From: "device"}}},
		},
		Records: []*ir.Record{out},
		Output:  out,
		Sink:    &ir.Sink{Kind: ir.SinkDelta, OutputMode: ir.Append, Delta: &ir.DeltaSink{Path: "t"}},
	}
	if mutate != nil {
		mutate(pl)
	}
	return &ir.Program{Records: []*ir.Record{in}, Pipelines: []*ir.Pipeline{pl}}
}

func TestRunnable(t *testing.T) {
	p, diags := Build(statelessProgram(nil), Config{PkgPath: "example.com/m/readings", Decoders: true})
	if diags.Len() > 0 {
		t.Fatal(diags)
	}
	r := p.Runnable
	if r == nil {
		t.Fatalf("no runnable pipeline; unsupported: %v", p.Unsupported)
	}
	got := []string{r.Config, r.DefaultConfig, r.New, r.Row, r.SourceRoot, r.SourceGlob, r.MainDir, r.Steps[0].Func, r.Steps[0].ExprFunc, r.Steps[1].Func, r.Steps[1].Columns[0].From.GoName}
	want := []string{"ReadingsConfig", "DefaultReadingsConfig", "NewReadings", "readingsRow", "in", "*.json", "cmd/readings", "readingsStep0", "readingsStep0Cond", "readingsStep1", "Device"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	var files []string
	for _, f := range p.Files {
		files = append(files, f.Path+" "+string(f.Kind))
	}
	wantFiles := []string{"cmd/readings/main.go main", "reading.go record", "reading_decode.go decode", "readings_pipeline.go pipeline", "readings_row.go record", "streamgen.go streamgen"}
	if diff := cmp.Diff(wantFiles, files); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}

	// Outside a module: no main (the package cannot be imported).
	p, _ = Build(statelessProgram(nil), Config{PkgPath: "_/tmp/readings", Decoders: true})
	for _, f := range p.Files {
		if f.Kind == KindMain {
			t.Errorf("main planned for a package outside a module: %s", f.Path)
		}
	}
}

// A Kafka source and sink: the closer and key function are named, TLS
// or SASL marks the plan Secure; a key that is not a scalar is an error
// at the sink.
func TestRunnableKafka(t *testing.T) {
	kafka := func(key string, tls bool) func(*ir.Pipeline) {
		return func(pl *ir.Pipeline) {
			pl.Source.Kind, pl.Source.Files = ir.SourceKafka, nil
			pl.Source.Kafka = &ir.KafkaSource{BootstrapServers: []string{"b:9092"}, Subscribe: []string{"t"}, Format: "json"}
			pl.Sink.Kind, pl.Sink.Delta = ir.SinkKafka, nil
			pl.Sink.Kafka = &ir.KafkaSink{BootstrapServers: []string{"b:9092"}, Topic: "out", Key: key}
			if tls {
				pl.Sink.Kafka.Conn.TLS = &ir.KafkaTLS{CAFile: "ca.pem"}
			}
			// where → kafka: the source record reaches the sink.
			pl.Steps, pl.Records, pl.Output = pl.Steps[:1], nil, pl.Source.Record
			pl.Output.Fields = append(pl.Output.Fields, &ir.Field{Name: "tags", Type: &ir.List{Elem: &ir.Scalar{Kind: ir.String}}})
		}
	}
	p, diags := Build(statelessProgram(kafka("day", true)), Config{PkgPath: "example.com/m/readings", Decoders: true})
	if diags.Len() > 0 {
		t.Fatal(diags)
	}
	k := p.Runnable.Kafka
	if k == nil || !k.Source || !k.Sink || !k.Secure || k.Closer != "readingsCloser" || k.SinkKey != "readingsSinkKey" || k.KeyField.GoName != "Day" || p.Runnable.SourceRoot != "" {
		t.Errorf("Kafka plan %+v, source root %q", k, p.Runnable.SourceRoot)
	}
	p, _ = Build(statelessProgram(kafka("", false)), Config{PkgPath: "example.com/m/readings", Decoders: true})
	if k := p.Runnable.Kafka; k.Secure || k.SinkKey != "" || k.KeyField != nil {
		t.Errorf("Kafka plan without key nor TLS %+v", k)
	}
	_, diags = Build(statelessProgram(kafka("tags", false)), Config{PkgPath: "example.com/m/readings", Decoders: true})
	if diags.Len() != 1 || !strings.Contains(diags.Error(), `kafka sink key "tags" has type`) {
		t.Errorf("list key: %v", diags)
	}
}

func TestUnsupported(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*ir.Pipeline)
		want   []string
	}{
		{"kafka without options", func(pl *ir.Pipeline) { pl.Source.Kind, pl.Source.Files = ir.SourceKafka, nil }, []string{"a kafka source"}},
		{"kafka", func(pl *ir.Pipeline) {
			pl.Source.Kind, pl.Source.Files = ir.SourceKafka, nil
			pl.Source.Kafka = &ir.KafkaSource{BootstrapServers: []string{"b:9092"}, Subscribe: []string{"t"}, Format: "json"}
		}, nil},
		{"kafka consumer group", func(pl *ir.Pipeline) {
			pl.Source.Kind, pl.Source.Files = ir.SourceKafka, nil
			pl.Source.Kafka = &ir.KafkaSource{BootstrapServers: []string{"b:9092"}, Subscribe: []string{"t"}, Format: "json", ConsumerGroup: "g"}
		}, nil}, // ir.Check decides what a group pipeline may do
		{"delta source without options", func(pl *ir.Pipeline) { pl.Source.Kind, pl.Source.Files = ir.SourceDelta, nil }, []string{"a delta source without options"}},
		{"delta source", func(pl *ir.Pipeline) {
			pl.Source.Kind, pl.Source.Files = ir.SourceDelta, nil
			pl.Source.Delta = &ir.DeltaSource{Path: "tables/in", MaxFilesPerTrigger: ir.DefaultDeltaMaxFiles, StartingVersion: -1}
		}, nil},
		{"rate source", func(pl *ir.Pipeline) { pl.Source.Kind, pl.Source.Files = ir.SourceRate, nil }, []string{"the rate source"}},
		{"parquet", func(pl *ir.Pipeline) { pl.Source.Files.Format = "parquet" }, []string{"the parquet format of the files source"}},
		{"kafka sink without options", func(pl *ir.Pipeline) { pl.Sink.Kind = ir.SinkKafka }, []string{"a kafka sink without options"}},
		{"kafka sink", func(pl *ir.Pipeline) {
			pl.Sink.Kind, pl.Sink.Delta = ir.SinkKafka, nil
			pl.Sink.Kafka = &ir.KafkaSink{BootstrapServers: []string{"b:9092"}, Topic: "t", Key: "dev"}
		}, nil},
		{"date list", func(pl *ir.Pipeline) {
			in := pl.Source.Record
			in.Fields = append(in.Fields, &ir.Field{Name: "days", Type: &ir.List{Elem: &ir.Date{}}})
			pl.Steps[0].(*ir.Where).Cond.Vars = []ir.ExprVar{{Field: "days", GoType: "[]time.Time"}}
		}, []string{"expressions over lists of enums or dates and nested records"}},
		{"map and aggregation", func(pl *ir.Pipeline) {
			pl.Steps = append(pl.Steps, &ir.Map{Op: "map", In: pl.Output})
			pl.Aggregation = &ir.Aggregation{}
			pl.Sink.OutputMode = ir.Update
		}, []string{"an aggregation after a map step"}},
		{"append aggregation without watermark", func(pl *ir.Pipeline) {
			pl.Aggregation = &ir.Aggregation{Window: &ir.Window{Kind: ir.Tumbling, Column: "ts", Size: time.Minute}}
		}, []string{"append mode without a window and a watermark"}},
		{"session window", func(pl *ir.Pipeline) {
			pl.Aggregation = &ir.Aggregation{Window: &ir.Window{Kind: ir.Session, Column: "ts", Gap: time.Minute}}
			pl.Sink.OutputMode = ir.Complete
		}, nil}, // runnable in complete mode, and append with a watermark
		{"session window append without watermark", func(pl *ir.Pipeline) {
			pl.Aggregation = &ir.Aggregation{Window: &ir.Window{Kind: ir.Session, Column: "ts", Gap: time.Minute}}
		}, []string{"append mode without a window and a watermark"}},
		{"map error quarantined", func(pl *ir.Pipeline) {
			pl.Source.OnMalformed = ir.Quarantine
			pl.Steps = append(pl.Steps, &ir.Map{Op: "map", In: pl.Output, Func: ir.GoFunc{Error: true}})
		}, []string{"map functions returning an error with onMalformed: quarantine (the failed row would be quarantined)"}},
		{"map result int pointer", func(pl *ir.Pipeline) {
			out := &ir.Record{Name: "Out", ID: "go:example.com/u.Out", Fields: []*ir.Field{{Name: "n", Type: &ir.Scalar{Kind: ir.Int64}, Nullable: true}}}
			mp := &ir.Map{Op: "map", In: pl.Output, Out: out, OutBindings: []ir.FieldBinding{{GoField: "N", GoType: "*int", Field: "n"}}}
			pl.Steps = append(pl.Steps, mp)
			pl.Output = out
			pl.Sink.Kind, pl.Sink.Delta = ir.SinkForeachBatch, nil
			pl.Sink.Foreach = &ir.ForeachBatchSink{Func: ir.GoFunc{ArgFields: []ir.FieldBinding{{GoField: "N", GoType: "*int64", Field: "n"}}}}
		}, nil}, // converted to the generated record's *int64
		{"map result uint", func(pl *ir.Pipeline) {
			out := &ir.Record{Name: "Out", ID: "go:example.com/u.Out", Fields: []*ir.Field{{Name: "n", Type: &ir.Scalar{Kind: ir.Int64}, Required: true}}}
			pl.Steps = append(pl.Steps, &ir.Map{Op: "map", In: pl.Output, Out: out, OutBindings: []ir.FieldBinding{{GoField: "N", GoType: "uint", Field: "n"}}})
			pl.Output = out
		}, []string{"a map result field of type uint"}},
		{"where, select and delta after map", func(pl *ir.Pipeline) {
			out := &ir.Record{Name: "Out", ID: "go:example.com/u.Out"}
			pl.Steps = append(pl.Steps, &ir.Map{Op: "map", In: pl.Output, Out: out}, &ir.Where{Op: "where", In: out, Cond: &ir.Expr{Src: "true"}})
			pl.Output = out
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prog := statelessProgram(tc.mutate)
			if diff := cmp.Diff(tc.want, unsupported(prog.Pipelines[0])); diff != "" {
				t.Errorf("unsupported (-want +got):\n%s", diff)
			}
		})
	}
}

// Kafka sink headers: the headers function is named and the headers
// planned in name order (even from an unsorted hand-made IR), each with
// its output field; a header field without text is an internal error
// (ir refuses it first).
func TestRunnableKafkaHeaders(t *testing.T) {
	kafka := func(headers ...ir.KafkaHeader) func(*ir.Pipeline) {
		return func(pl *ir.Pipeline) {
			pl.Sink.Kind, pl.Sink.Delta = ir.SinkKafka, nil
			pl.Sink.Kafka = &ir.KafkaSink{BootstrapServers: []string{"b:9092"}, Topic: "out", Headers: headers}
			pl.Steps, pl.Records, pl.Output = pl.Steps[:1], nil, pl.Source.Record
			pl.Output.Fields = append(pl.Output.Fields, &ir.Field{Name: "tags", Type: &ir.List{Elem: &ir.Scalar{Kind: ir.String}}})
		}
	}
	p, diags := Build(statelessProgram(kafka(ir.KafkaHeader{Name: "when", Field: "day"}, ir.KafkaHeader{Name: "dev", Field: "device"}, ir.KafkaHeader{Name: "state", Field: "status"})),
		Config{PkgPath: "example.com/m/readings", Decoders: true})
	if diags.Len() > 0 {
		t.Fatal(diags)
	}
	k := p.Runnable.Kafka
	var got []string
	for _, h := range k.Headers {
		got = append(got, h.Name+"="+h.Field.GoName)
	}
	if diff := cmp.Diff([]string{"dev=Device", "state=Status", "when=Day"}, got); diff != "" || k.SinkHeaders != "readingsSinkHeaders" || k.SinkKey != "" {
		t.Errorf("headers function %q, key %q, headers (-want +got):\n%s", k.SinkHeaders, k.SinkKey, diff)
	}
	p, _ = Build(statelessProgram(kafka()), Config{PkgPath: "example.com/m/readings", Decoders: true})
	if k := p.Runnable.Kafka; k.SinkHeaders != "" || k.Headers != nil {
		t.Errorf("Kafka plan without headers %+v", k)
	}
	_, diags = Build(statelessProgram(kafka(ir.KafkaHeader{Name: "t", Field: "tags"})), Config{PkgPath: "example.com/m/readings", Decoders: true})
	if diags.Len() != 1 || !strings.Contains(diags.Error(), `internal error: kafka sink header "t": field "tags" is not a text field`) {
		t.Errorf("list header: %v", diags)
	}
}

// A delta source's record gets its Delta row converter and file, and the
// pipeline is runnable; a files source's record gets neither.
func TestDeltaSourcePlan(t *testing.T) {
	p, diags := Build(statelessProgram(func(pl *ir.Pipeline) {
		pl.Source.Kind, pl.Source.Files = ir.SourceDelta, nil
		pl.Source.Delta = &ir.DeltaSource{Path: "tables/in", MaxFilesPerTrigger: ir.DefaultDeltaMaxFiles, StartingVersion: -1}
	}), Config{PkgPath: "example.com/m/readings", Decoders: true})
	if diags.Len() > 0 {
		t.Fatal(diags)
	}
	if p.Runnable == nil {
		t.Fatalf("not runnable: %v", p.Unsupported)
	}
	if got := p.Runnable.Source.DeltaRowFunc; got != "readingFromDeltaRow" {
		t.Errorf("DeltaRowFunc %q, want readingFromDeltaRow", got)
	}
	var kinds []string
	for _, f := range p.Files {
		if f.Kind == KindDeltaDecode {
			kinds = append(kinds, f.Path)
		}
	}
	if len(kinds) != 1 || kinds[0] != "reading_delta_decode.go" {
		t.Errorf("delta decode files %v, want [reading_delta_decode.go]", kinds)
	}
	p, _ = Build(statelessProgram(nil), Config{PkgPath: "example.com/m/readings", Decoders: true})
	for _, f := range p.Files {
		if f.Kind == KindDeltaDecode {
			t.Errorf("files source: %s planned", f.Path)
		}
	}
	if p.Runnable.Source.DeltaRowFunc != "" {
		t.Errorf("files source: DeltaRowFunc %q", p.Runnable.Source.DeltaRowFunc)
	}
}
