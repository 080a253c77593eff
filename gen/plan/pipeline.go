package plan

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/streamgen/streamgen/gen/internal/naming"
	"github.com/streamgen/streamgen/gen/ir"
)

// Runnable is the Go shape of a pipeline's constructor (the KindPipeline
// file <pipeline>_pipeline.go) and of its main package (the KindMain
// file cmd/<pipeline-name>/main.go). For pipeline P ("DeviceStatus"):
//
//   - <P>Config: the paths, trigger and logger of a run, and
//     Default<P>Config() filled from the spec;
//
//   - New<P>(ctx, cfg) (*stream.Query, error): opens the stores, the
//     checkpoint, the source and the sink and wires them with a
//     stream.Runner applying the steps;
//
//   - one unexported function per where step and per derived select
//     column (<p>Step<i>, <p>Step<i><Field>), and <p>Row applying all
//     the steps to one source row.
//
//   - for a map step, <p>Step<i>(ctx, r) (<P>Mapped, error) converting
//     the row to the user function's argument struct field by field,
//     calling it and converting its result field by field to the
//     generated record <P>Mapped (<P>Mapped2, … for later map steps; an
//     int result field becomes int64); for a foreachBatch sink,
//     <p>ForeachBatch(ctx, batchID, rows) converting the rows to the
//     user's struct and calling the user function.
//
// A Kafka source with consumerGroup (KafkaPlan.Group) makes New<P>
// return a *kafkagroup.Group instead: one process of the consumer group,
// appending to the Delta table (ir.Check refuses such a pipeline unless
// it is stateless and append-only into Delta), with no checkpoint; the
// main runs it with command's MainRunner.
//
// A delta source reads the table at cfg.SourcePath through
// runtime/source/delta, converting each row with the source record's
// <record>FromDeltaRow (Record.DeltaRowFunc, in its KindDeltaDecode
// file). Table rows are typed, so there is no quarantine for them: a row
// the converter refuses (a null in a column the record does not allow to
// be null, an integer out of the schema's bounds, a value not in an
// enum, an invalid UUID) stops the query with an error naming the
// column, the data file and its version; onMalformed only applies to a
// map function's errors (drop logs the row's version and file).
//
// Runnable pipelines read a files source (JSON lines or CSV), a Kafka
// source (JSON values) or a delta source (a Delta table), go through where,
// select and map steps in any order (a map function's error drops the
// row with onMalformed: drop and stops the query with fail, quarantine
// is not supported yet) and an optional aggregation, and write to a
// delta, memory, console, kafka or foreachBatch sink. Every step writes
// generated records, so a sink after a map step writes them too (with
// their Delta schema and parquet layout).
// Any other feature leaves Plan.Runnable nil and is listed in
// Plan.Unsupported; the package doc names it and no pipeline or main
// file is generated.
type Runnable struct {
	// Config, DefaultConfig and New name the config type, its default
	// constructor and the pipeline constructor.
	Config, DefaultConfig, New string
	// Row names the function applying every step to one source row.
	Row string
	// Source is the source record; Output the record reaching the sink
	// (a map step's generated record when the last row-changing step is a
	// map).
	Source, Output *Record
	// ForeachBatch names the function converting a batch's rows for a
	// foreachBatch sink and calling the user's function ("" for other
	// sinks).
	ForeachBatch string
	// SourceRoot is the directory of the spec's files source and
	// SourceGlob the pattern of its files below it ("" for every file at
	// the top: the runtime's default).
	SourceRoot, SourceGlob string
	// Steps are the where and select steps, in spec order (watermarks
	// are left out: they only matter to aggregations).
	Steps []*RunStep
	// MainDir is the main package's directory, relative to the output
	// directory ("cmd/device-status").
	MainDir string
	// SinkRow names the struct the Delta sink writes when the table is
	// partitioned: Output's fields with the partition columns left out
	// of the Parquet files (their values live in the log); "" when the
	// table is not partitioned. PartitionValues names the function giving
	// a SinkRow's partition values, and Partition are Output's partition
	// fields in partitionBy order.
	SinkRow, PartitionValues string
	Partition                []*Field
	// RowOut is the record the row function returns: the last step's
	// output (the source record without steps). It is Output, except for
	// an aggregation, whose input it is.
	RowOut *Record
	// Agg is the aggregation, nil for a stateless pipeline; Watermark
	// the event-time field of the watermark step in RowOut (nil without
	// one) and WatermarkDelay its delay. ResultRow names the function
	// converting a result to a delta.Row (update mode into Delta) and
	// ResultKey the one giving a result's grouping key as a string
	// (update mode into memory); "" when not needed.
	Agg                  *Aggregation
	Watermark            *Field
	WatermarkDelay       time.Duration
	ResultRow, ResultKey string
	// Kafka is set when the source or the sink is Kafka.
	Kafka *KafkaPlan
	// PlanConst names the unexported constant holding the pipeline's plan
	// record (runtime/planprint's Encode of gen/emit.PlanPrint): New<P>
	// compares it with the checkpoint's record and the table's schema
	// before the first batch.
	PlanConst string
}

// KafkaPlan is the Go shape of a pipeline's Kafka source and sink.
type KafkaPlan struct {
	// Source and Sink say which of them is Kafka.
	Source, Sink bool
	// Closer names the func() type whose OnTerminated closes the Kafka
	// clients when the query ends ("" for a Group: it closes its own).
	Closer string
	// Group is set for a Kafka source with consumerGroup: New<P> returns
	// a *kafkagroup.Group[Source, sink row] (runtime/kafkagroup), one
	// process of the group, and the table is the only checkpoint.
	Group bool
	// SinkKey names the function appending a row's record key (the sink's
	// key field, KeyField of Output), "" without a key.
	SinkKey  string
	KeyField *Field
	// SinkHeaders names the function returning a row's record headers
	// (Headers, in name order), "" without headers.
	SinkHeaders string
	Headers     []*KafkaHeader
	// Secure is true when the spec gives a Kafka endpoint TLS or SASL
	// settings: the config then has KafkaPlaintext, which drops them for
	// the embedded cluster.
	Secure bool
}

// KafkaHeader is one record header of the Kafka sink: Name's value is
// the text of Field of the output record (encoded as the key is).
type KafkaHeader struct {
	Name  string
	Field *Field
}

// RunStep is one where, select or map step of a runnable pipeline.
type RunStep struct {
	// Where is set for a where step, Select for a select step, Map for a
	// map step.
	Where  *ir.Where
	Select *ir.Select
	Map    *ir.Map
	// Func names the step's function: func(r *In) bool for where,
	// func(r *In) Out for select.
	Func string
	// ExprFunc names the function evaluating a where step's condition
	// over the variables of Where.Cond.Vars.
	ExprFunc string
	// In and Out are the planned records the step reads and writes (the
	// same for where; a map step's Out is its generated record, index for
	// index with Map.OutBindings).
	In, Out *Record
	// Columns are a select step's columns, index for index with
	// Select.Columns.
	Columns []*RunColumn
}

// RunColumn is one output field of a select step.
type RunColumn struct {
	IR *ir.SelectColumn
	// Out is the output field; From the input field copied (nil for a
	// derived field).
	Out, From *Field
	// ExprFunc names the function evaluating a derived field's
	// expression ("" for a copy).
	ExprFunc string
}

// planRunnable plans the KindPipeline and KindMain files of p's
// pipeline, or records in p.Unsupported why it cannot run yet.
func (b *builder) planRunnable(p *Plan) {
	pl := p.Pipeline
	if pl == nil {
		return
	}
	if pl.Source == nil || pl.Sink == nil || pl.Source.Record == nil || pl.Output == nil {
		return // not a checked pipeline (hand-made in tests)
	}
	p.Unsupported = unsupported(pl)
	if len(p.Unsupported) > 0 {
		return
	}
	prefix := naming.Pascal(pl.Name)
	lower := naming.Camel(prefix)
	r := &Runnable{
		Config:        prefix + "Config",
		DefaultConfig: "Default" + prefix + "Config",
		New:           "New" + prefix,
		Row:           lower + "Row",
		Source:        b.records[pl.Source.Record],
		Output:        b.rowRecord(pl.Output),
		MainDir:       "cmd/" + strings.ReplaceAll(pl.Name, "_", "-"),
		PlanConst:     lower + "Plan",
	}
	if pl.Sink.Kind == ir.SinkForeachBatch {
		r.ForeachBatch = lower + "ForeachBatch"
	}
	if r.Source == nil || r.Output == nil {
		b.diags.Add(pl.Pos, "", "streamgen: internal error: the records of pipeline %s are not planned", pl.Name)
		return
	}
	if d := pl.Sink.Delta; d != nil && len(d.PartitionBy) > 0 {
		r.SinkRow, r.PartitionValues = prefix+"SinkRow", lower+"PartitionValues"
		for _, c := range d.PartitionBy {
			f := fieldByName(r.Output, c)
			if f == nil {
				b.diags.Add(pl.Sink.Pos, "", "streamgen: internal error: partition column %q is not a field of %s", c, r.Output.GoName)
				return
			}
			r.Partition = append(r.Partition, f)
		}
	}
	if pl.Source.Files != nil {
		r.SourceRoot, r.SourceGlob = splitGlob(pl.Source.Files.Path)
	}
	if ks, kk := pl.Source.Kafka, pl.Sink.Kafka; ks != nil || kk != nil {
		k := &KafkaPlan{Source: ks != nil, Sink: kk != nil, Closer: lower + "Closer"}
		if ks != nil && ks.ConsumerGroup != "" {
			if pl.Sink.Kind != ir.SinkDelta || pl.Aggregation != nil {
				b.diags.Add(ks.ConsumerGroupPos, "", "streamgen: internal error: a consumerGroup pipeline that is not stateless into Delta")
				return
			}
			k.Group, k.Closer = true, ""
		}
		if ks != nil && (ks.Conn.TLS != nil || ks.Conn.SASL != nil) || kk != nil && (kk.Conn.TLS != nil || kk.Conn.SASL != nil) {
			k.Secure = true
		}
		if kk != nil && kk.Key != "" {
			f := fieldByName(r.Output, kk.Key)
			if f == nil {
				b.diags.Add(pl.Sink.Pos, "", "streamgen: internal error: kafka sink key %q is not a field of %s", kk.Key, r.Output.GoName)
				return
			}
			if !textKind(f.Type.Kind) {
				b.diags.Add(pl.Sink.Pos, "", "kafka sink key %q has type %s; a record key must be a string, number, boolean, timestamp, date or enum field", kk.Key, f.IR.Type)
				return
			}
			k.SinkKey, k.KeyField = lower+"SinkKey", f
		}
		if kk != nil && len(kk.Headers) > 0 {
			for _, h := range kk.Headers {
				f := fieldByName(r.Output, h.Field)
				if f == nil || !textKind(f.Type.Kind) {
					b.diags.Add(h.Pos, "", "streamgen: internal error: kafka sink header %q: field %q is not a text field of %s", h.Name, h.Field, r.Output.GoName)
					return
				}
				k.Headers = append(k.Headers, &KafkaHeader{Name: h.Name, Field: f})
			}
			// ir sorts them; a hand-made IR may not.
			slices.SortStableFunc(k.Headers, func(a, b *KafkaHeader) int { return strings.Compare(a.Name, b.Name) })
			k.SinkHeaders = lower + "SinkHeaders"
		}
		r.Kafka = k
	}
	o := owner{what: "the pipeline " + pl.Name, pos: pl.Pos}
	var kafkaNames []string
	if r.Kafka != nil {
		kafkaNames = []string{r.Kafka.Closer, r.Kafka.SinkKey, r.Kafka.SinkHeaders}
	}
	for _, name := range append([]string{r.Config, r.DefaultConfig, r.New, r.Row, r.ForeachBatch, r.SinkRow, r.PartitionValues, r.PlanConst}, kafkaNames...) {
		if name != "" {
			b.claim(name, o)
		}
	}
	for i, st := range pl.Steps {
		rs := &RunStep{Func: fmt.Sprintf("%sStep%d", lower, i)}
		switch st := st.(type) {
		case *ir.Where:
			rs.Where = st
			rs.In = b.rowRecord(st.In)
			rs.Out = rs.In
			rs.ExprFunc = rs.Func + "Cond"
			b.claim(rs.ExprFunc, o)
		case *ir.Select:
			rs.Select = st
			rs.In, rs.Out = b.rowRecord(st.In), b.records[st.Out]
			if rs.In == nil || rs.Out == nil || len(rs.Out.Fields) != len(st.Columns) {
				b.diags.Add(st.Pos, "", "streamgen: internal error: select step %d is not planned", i)
				return
			}
			for j, c := range st.Columns {
				rc := &RunColumn{IR: c, Out: rs.Out.Fields[j]}
				if c.Expr != nil {
					rc.ExprFunc = rs.Func + rc.Out.GoName
					b.claim(rc.ExprFunc, o)
				} else {
					rc.From = fieldByName(rs.In, c.From)
					if rc.From == nil {
						b.diags.Add(c.Pos, "", "streamgen: internal error: field %q of select step %d is not planned", c.From, i)
						return
					}
				}
				rs.Columns = append(rs.Columns, rc)
			}
		case *ir.Map:
			rs.Map = st
			rs.In, rs.Out = b.rowRecord(st.In), b.rowRecord(st.Out)
			if rs.In == nil || rs.Out == nil || len(rs.Out.Fields) != len(st.OutBindings) {
				b.diags.Add(st.Pos, "", "streamgen: internal error: map step %d is not planned", i)
				return
			}
		default:
			continue // a watermark: nothing to do without an aggregation
		}
		if rs.In == nil {
			b.diags.Add(st.StepPos(), "", "streamgen: internal error: the input of step %d is not planned", i)
			return
		}
		b.claim(rs.Func, o)
		r.Steps = append(r.Steps, rs)
	}
	r.RowOut = r.Source
	if n := len(r.Steps); n > 0 {
		r.RowOut = r.Steps[n-1].Out
	}
	if pl.Aggregation != nil {
		a := p.Aggregation
		if a == nil || a.Input == nil || a.Input.PkgPath != "" || a.Input.Name != r.RowOut.GoName {
			b.diags.Add(pl.Aggregation.Pos, "", "streamgen: internal error: the aggregation's input is not the record its steps produce")
			return
		}
		r.Agg = a
		if wm := watermarkOf(pl); wm != nil {
			r.Watermark, r.WatermarkDelay = fieldByName(r.RowOut, wm.Column), wm.Delay
			if r.Watermark == nil {
				b.diags.Add(wm.Pos, "", "streamgen: internal error: watermark column %q is not planned", wm.Column)
				return
			}
		}
		switch {
		case pl.Sink.Kind == ir.SinkDelta && pl.Sink.OutputMode == ir.Update:
			r.ResultRow = lower + "ResultRow"
		case pl.Sink.Kind == ir.SinkMemory && pl.Sink.OutputMode == ir.Update:
			r.ResultKey = lower + "ResultKey"
		}
		for _, name := range []string{r.ResultRow, r.ResultKey} {
			if name != "" {
				b.claim(name, o)
			}
		}
	}
	p.Runnable = r
	base := naming.Snake(prefix)
	b.claimFile(base+"_pipeline.go", o)
	p.Files = append(p.Files, &File{Path: base + "_pipeline.go", Kind: KindPipeline, Source: p.Specs[0], Pipeline: pl})
	// A package outside a module ("_/tmp/out") cannot be imported: no
	// main then.
	if !strings.HasPrefix(p.PkgPath, "_") {
		p.Files = append(p.Files, &File{Path: r.MainDir + "/main.go", Kind: KindMain, Source: p.Specs[0], Pipeline: pl})
	}
}

// unsupported lists the features of pl that generated pipelines do not
// run yet, in a stable order ("a groupBy aggregation (the state store)",
// "the kafka source").
func unsupported(pl *ir.Pipeline) []string {
	var out []string
	if pl.Source == nil || pl.Sink == nil {
		return []string{"a source and a sink"}
	}
	switch {
	case pl.Source.Kind == ir.SourceKafka && pl.Source.Kafka == nil:
		out = append(out, "a kafka source")
	case pl.Source.Kind == ir.SourceKafka && pl.Source.Kafka.Format != "json":
		out = append(out, fmt.Sprintf("the %s format of the kafka source", pl.Source.Kafka.Format))
	case pl.Source.Kind == ir.SourceKafka:
	case pl.Source.Kind == ir.SourceDelta && pl.Source.Delta == nil:
		out = append(out, "a delta source without options")
	case pl.Source.Kind == ir.SourceDelta:
	case pl.Source.Kind != ir.SourceFiles:
		out = append(out, fmt.Sprintf("the %s source", pl.Source.Kind))
	case pl.Source.Files == nil:
		out = append(out, "a files source")
	case pl.Source.Files.Format != "json" && pl.Source.Files.Format != "csv":
		out = append(out, fmt.Sprintf("the %s format of the files source", pl.Source.Files.Format))
	}
	for _, st := range pl.Steps {
		switch st := st.(type) {
		case *ir.Map:
			for _, fb := range st.OutBindings {
				if !ResultConvertible(fb.GoType) {
					out = appendOnce(out, fmt.Sprintf("a map result field of type %s", fb.GoType))
				}
			}
			if st.Func.Error && pl.Source.OnMalformed == ir.Quarantine {
				out = appendOnce(out, "map functions returning an error with onMalformed: quarantine (the failed row would be quarantined)")
			}
		case *ir.Where:
			if !bindable(st.In, st.Cond) {
				out = appendOnce(out, "expressions over lists of enums or dates and nested records")
			}
		case *ir.Select:
			for _, c := range st.Columns {
				if c.Expr != nil && (!bindable(st.In, c.Expr) || !assignable(c.Expr.Type)) {
					out = appendOnce(out, "expressions over lists of enums or dates and nested records")
				}
			}
		}
	}
	if a := pl.Aggregation; a != nil {
		for _, st := range pl.Steps {
			if _, ok := st.(*ir.Map); ok {
				out = appendOnce(out, "an aggregation after a map step")
			}
		}
		if (pl.Sink.OutputMode == ir.Append || pl.Sink.OutputMode == "") && (a.Window == nil || watermarkOf(pl) == nil) {
			out = append(out, "append mode without a window and a watermark")
		}
		if wm := watermarkOf(pl); wm != nil && a.In != nil && a.In.Field(wm.Column) == nil {
			out = append(out, "a watermark column that is not a field of the aggregation's input")
		}
	}
	switch pl.Sink.Kind {
	case ir.SinkDelta:
		if pl.Aggregation == nil && pl.Sink.OutputMode != ir.Append && pl.Sink.OutputMode != "" {
			out = append(out, fmt.Sprintf("the %s output mode without an aggregation", pl.Sink.OutputMode))
		}
	case ir.SinkForeachBatch:
		if pl.Sink.Foreach == nil {
			out = append(out, "a foreachBatch sink without a function")
		}
	case ir.SinkKafka:
		if pl.Sink.Kafka == nil {
			out = append(out, "a kafka sink without options")
		}
	case ir.SinkMemory, ir.SinkConsole:
	default:
		out = append(out, fmt.Sprintf("the %s sink", pl.Sink.Kind))
	}
	return out
}

// textKind reports whether a field of kind k can be a Kafka record key or
// header value: it has a text form (string, enum, number, boolean,
// timestamp, date).
func textKind(k GoKind) bool {
	switch k {
	case GoString, GoEnum, GoInt32, GoInt64, GoFloat64, GoBool, GoTime, GoDate:
		return true
	}
	return false
}

// ResultConvertible reports whether a map step can convert a result
// field of the user's Go type goType (as ir.FieldBinding writes it) to
// its generated record's field: the checker's row field types (string,
// int32, int64, float64, bool, time.Time), a pointer to one or a slice
// of them or of pointers to them, as they are; int (and *int, []int,
// []*int) converted to int64.
func ResultConvertible(goType string) bool {
	t := strings.TrimPrefix(goType, "[]")
	t = strings.TrimPrefix(t, "*")
	switch t {
	case "string", "int32", "int", "int64", "float64", "bool", "time.Time":
		return true
	}
	return false
}

// watermarkOf returns the pipeline's watermark step, or nil.
func watermarkOf(pl *ir.Pipeline) *ir.Watermark {
	for _, st := range pl.Steps {
		if w, ok := st.(*ir.Watermark); ok {
			return w
		}
	}
	return nil
}

func appendOnce(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// bindable reports whether every variable of e can be bound from a
// field of rec: scalars, enums, timestamps and dates (and pointers to
// them), and lists of scalars or timestamps.
func bindable(rec *ir.Record, e *ir.Expr) bool {
	if rec == nil || e == nil {
		return false
	}
	for _, v := range e.Vars {
		f := rec.Field(v.Field)
		if f == nil {
			return false
		}
		if l, ok := f.Type.(*ir.List); ok {
			switch l.Elem.(type) {
			case *ir.Scalar, *ir.Timestamp:
			default:
				return false
			}
			continue
		}
		if _, ok := f.Type.(*ir.Ref); ok {
			return false
		}
	}
	return true
}

// assignable reports whether a derived column's expression type can be
// assigned to its field with at most a conversion.
func assignable(goType string) bool {
	switch strings.TrimPrefix(goType, "*") {
	case "string", "untyped string", "int32", "int64", "untyped int", "untyped rune",
		"float64", "untyped float", "bool", "untyped bool", "time.Time":
		return true
	case "int":
		return !strings.HasPrefix(goType, "*")
	}
	return false
}

// splitGlob splits a files source path into the directory to read and
// the glob below it: "data/in" → ("data/in", ""), "data/*/x-*.json" →
// ("data", "*/x-*.json").
func splitGlob(p string) (root, glob string) {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if strings.ContainsAny(s, "*?[\\") {
			root = path.Join(segs[:i]...)
			switch {
			case strings.HasPrefix(p, "/"):
				root = "/" + root
			case root == "":
				root = "."
			}
			return root, strings.Join(segs[i:], "/")
		}
	}
	return p, ""
}

func fieldByName(r *Record, name string) *Field {
	for _, f := range r.Fields {
		if f.IR.Name == name {
			return f
		}
	}
	return nil
}
