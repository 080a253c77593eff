package emit

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dave/jennifer/jen"

	"github.com/streamgen/streamgen/gen/diag"
	"github.com/streamgen/streamgen/gen/ir"
	"github.com/streamgen/streamgen/gen/plan"
	"github.com/streamgen/streamgen/runtime/planprint"
)

// PlanPrint builds the plan fingerprint (runtime/planprint) of a runnable
// pipeline's package: its source, steps, aggregation, output mode and
// sink, with the schemas exactly as the generated code declares them (the
// Delta mapping of deltaschema.go) and the aggregation's state version and
// layout fingerprint exactly as the generated code passes them to the
// state store (stateVersion, stateFingerprint). Positions are the IR's,
// relative to the generator's root as the generated files' "// source:"
// lines are; file, when not nil, rewrites each position's file (the CLI
// prints them relative to the working directory). It returns nil for a
// package without a runnable pipeline.
func PlanPrint(p *plan.Plan, file func(string) string) *planprint.Plan {
	r, pl := p.Runnable, p.Pipeline
	if r == nil || pl == nil {
		return nil
	}
	pp := &planprint.Plan{
		Version:       planprint.FormatVersion,
		Pipeline:      pl.Name,
		Sources:       []planprint.Source{planSource(r, pl)},
		Steps:         planSteps(pl),
		OutputMode:    planprint.OutputMode(pl.Sink.OutputMode),
		OutputModePos: planprintPos(pl.Sink.ModePos),
		Sink:          planSink(r, pl),
		Pos:           planprintPos(pl.Pos),
	}
	if a := r.Agg; a != nil {
		pp.Operators = []planprint.Operator{planOperator(a, pl)}
	}
	if file != nil {
		mapPos(pp, file)
	}
	return pp
}

// EncodePlan returns PlanPrint's record (planprint.Encode), "" for a
// package without a runnable pipeline.
func EncodePlan(p *plan.Plan) (string, error) {
	pp := PlanPrint(p, nil)
	if pp == nil {
		return "", nil
	}
	data, err := planprint.Encode(pp)
	if err != nil {
		return "", fmt.Errorf("streamgen: internal error: pipeline %s: %w", p.Pipeline.Name, err)
	}
	return string(data), nil
}

// planConst emits the embedded plan record:
//
//	// deviceStatusPlan is the plan record of the device_status pipeline …
//	const deviceStatusPlan = `{…}`
func planConst(p *plan.Plan) jen.Code {
	rec, err := EncodePlan(p)
	if err != nil {
		panic(err) // a plan Encode refuses is a generator bug
	}
	r := p.Runnable
	return jen.Add(doc(wrap(fmt.Sprintf("%s is the plan record of the %s pipeline (runtime/planprint): its sources, steps, stateful operators, output mode and sink as this code runs them. %s compares it with the plan recorded in the checkpoint and with the Delta table's schema before the first batch, refuses a change the checkpoint or table cannot take, and records it.", r.PlanConst, p.Pipeline.Name, r.New)))).Line().
		Const().Id(r.PlanConst).Op("=").Add(rawString(rec))
}

// checkPlanCode emits the check before the source and sink are opened:
//
//	if err := env.CheckPlan(ctx, deviceStatusPlan, delta.Open(sinkStore)); err != nil {
//		return nil, err
//	}
//
// (nil instead of the table for a sink that is not Delta).
func checkPlanCode(r *plan.Runnable, pl *ir.Pipeline) jen.Code {
	table := jen.Nil()
	if pl.Sink.Kind == ir.SinkDelta {
		table = jen.Qual(deltaPath, "Open").Call(jen.Id("sinkStore"))
	}
	return jen.If(
		jen.Err().Op(":=").Id("env").Dot("CheckPlan").Call(jen.Id("ctx"), jen.Id(r.PlanConst), table),
		jen.Err().Op("!=").Nil(),
	).Block(jen.Return(jen.Nil(), jen.Err()))
}

// stateFingerprint is the layout fingerprint the generated code gives
// the state store (aggregate.Config.Fingerprint) and the plan records
// (Operator.StateFingerprint): the key and state types, the result
// record's schema fingerprint and the state version.
func stateFingerprint(a *plan.Aggregation) string {
	return fmt.Sprintf("%s/%s %s v%d", a.Key, a.State, a.Result.Fingerprint, stateVersion(a))
}

func planprintPos(p diag.Pos) planprint.Pos {
	return planprint.Pos{File: p.File, Line: p.Line, Col: p.Col}
}

func planSource(r *plan.Runnable, pl *ir.Pipeline) planprint.Source {
	src := pl.Source
	s := planprint.Source{
		Kind:    planprint.SourceKind(src.Kind),
		Schema:  planprintFields(r.Source),
		Options: map[string]string{},
		Pos:     planprintPos(src.Pos),
	}
	opt := func(k, v string) {
		if v != "" && v != "0" && v != "0s" && v != "false" {
			s.Options[k] = v
		}
	}
	if src.Kind != ir.SourceRate && src.Delta == nil {
		opt("onMalformed", string(src.OnMalformed))
	}
	switch {
	case src.Files != nil:
		f := src.Files
		s.Format, s.Path = f.Format, f.Path
		opt("maxFilesPerTrigger", strconv.Itoa(f.MaxFilesPerTrigger))
		opt("maxBytesPerTrigger", strconv.FormatInt(f.MaxBytesPerTrigger, 10))
		opt("latestFirst", strconv.FormatBool(f.LatestFirst))
		opt("maxFileAge", planprint.Duration(f.MaxFileAge).String())
		opt("cleanSource", f.CleanSource)
		opt("sourceArchiveDir", f.SourceArchiveDir)
		if f.Format == "csv" {
			s.Options["header"] = strconv.FormatBool(f.CSVHeader)
			s.Options["delimiter"] = string(f.CSVDelimiter)
		}
	case src.Kafka != nil:
		k := src.Kafka
		s.Subscribe = slices.Sorted(slices.Values(k.Subscribe))
		s.SubscribePattern = k.SubscribePattern
		for _, tp := range k.Assign {
			s.Assign = append(s.Assign, planprint.TopicPartitions{Topic: tp.Topic, Partitions: slices.Clone(tp.Partitions)})
		}
		opt("kafka.bootstrap.servers", strings.Join(k.BootstrapServers, ","))
		so := k.StartingOffsets.Mode
		if so == "partitions" {
			so = startingOffsetsJSON(k.StartingOffsets.Partitions)
		}
		opt("startingOffsets", so)
		if !k.StartingTimestamp.IsZero() {
			opt("startingTimestamp", k.StartingTimestamp.UTC().Format(time.RFC3339Nano))
		}
		opt("maxOffsetsPerTrigger", strconv.FormatInt(k.MaxOffsetsPerTrigger, 10))
		opt("minOffsetsPerTrigger", strconv.FormatInt(k.MinOffsetsPerTrigger, 10))
		opt("maxTriggerDelay", planprint.Duration(k.MaxTriggerDelay).String())
		s.Options["failOnDataLoss"] = strconv.FormatBool(k.FailOnDataLoss)
		opt("includeHeaders", strconv.FormatBool(k.IncludeHeaders))
		opt("commitToGroup", k.CommitToGroup)
		opt("consumerGroup", k.ConsumerGroup)
		opt("format", k.Format)
	case src.Delta != nil:
		d := src.Delta
		s.Path = d.Path
		opt("maxFilesPerTrigger", strconv.Itoa(d.MaxFilesPerTrigger))
		opt("maxBytesPerTrigger", strconv.FormatInt(d.MaxBytesPerTrigger, 10))
		switch {
		case d.StartingLatest:
			opt("startingVersion", "latest")
		case d.StartingVersion >= 0:
			s.Options["startingVersion"] = strconv.FormatInt(d.StartingVersion, 10)
		}
		if !d.StartingTimestamp.IsZero() {
			opt("startingTimestamp", d.StartingTimestamp.UTC().Format(time.RFC3339Nano))
		}
		opt("ignoreDeletes", strconv.FormatBool(d.IgnoreDeletes))
		opt("ignoreChanges", strconv.FormatBool(d.IgnoreChanges))
		opt("skipChangeCommits", strconv.FormatBool(d.SkipChangeCommits))
	case src.Rate != nil:
		rt := src.Rate
		opt("rowsPerSecond", strconv.FormatInt(rt.RowsPerSecond, 10))
		opt("rampUpTime", planprint.Duration(rt.RampUpTime).String())
		opt("numPartitions", strconv.Itoa(rt.NumPartitions))
	}
	if len(s.Options) == 0 {
		s.Options = nil
	}
	return s
}

// planSteps records the row-at-a-time steps (the groupBy is an operator).
func planSteps(pl *ir.Pipeline) []planprint.Step {
	var out []planprint.Step
	for _, st := range pl.Steps {
		var s planprint.Step
		switch st := st.(type) {
		case *ir.Where:
			s = planprint.Step{Op: "where", Text: oneLine(st.Cond.Src)}
		case *ir.Select:
			cols := make([]string, len(st.Columns))
			for i, c := range st.Columns {
				switch {
				case c.Expr != nil:
					cols[i] = oneLine(c.Expr.Src) + " as " + c.As
				case c.From != c.As:
					cols[i] = c.From + " as " + c.As
				default:
					cols[i] = c.As
				}
			}
			s = planprint.Step{Op: "select", Text: strings.Join(cols, ", ")}
		case *ir.Map:
			s = planprint.Step{Op: "map", Text: st.Func.PkgPath + "." + st.Func.Name}
		case *ir.Watermark:
			s = planprint.Step{Op: "watermark", Text: st.Column + " " + planprint.Duration(st.Delay).String()}
		default:
			continue
		}
		s.Pos = planprintPos(st.StepPos())
		out = append(out, s)
	}
	return out
}

func planOperator(a *plan.Aggregation, pl *ir.Pipeline) planprint.Operator {
	op := planprint.Operator{
		Kind:             planprint.OpAggregate,
		Keys:             []planprint.Field{},
		Aggregates:       []planprint.Aggregate{},
		StateVersion:     stateVersion(a),
		StateFingerprint: stateFingerprint(a),
		Pos:              planprintPos(a.IR.Pos),
	}
	for _, k := range a.Keys {
		op.Keys = append(op.Keys, planprintField(k.Field))
	}
	if w := a.IR.Window; w != nil {
		op.Window = &planprint.Window{
			Kind:        planprint.WindowKind(w.Kind),
			Column:      w.Column,
			Size:        planprint.Duration(w.Size),
			Slide:       planprint.Duration(w.Slide),
			Gap:         planprint.Duration(w.Gap),
			StartOffset: planprint.Duration(w.StartOffset),
			Pos:         planprintPos(w.Pos),
		}
	}
	for _, s := range a.Aggs {
		res := planprintField(s.Result)
		op.Aggregates = append(op.Aggregates, planprint.Aggregate{
			Func:     string(s.IR.Func),
			Input:    s.IR.Field,
			Name:     s.IR.As,
			Type:     res.Type,
			Nullable: res.Nullable,
			Pos:      planprintPos(s.IR.Pos),
		})
	}
	if w := pl.Watermark; w != nil {
		op.Watermark = &planprint.Watermark{Column: w.Column, Delay: planprint.Duration(w.Delay), Pos: planprintPos(w.Pos)}
	}
	return op
}

func planSink(r *plan.Runnable, pl *ir.Pipeline) planprint.Sink {
	sk := pl.Sink
	s := planprint.Sink{
		Kind:    planprint.SinkKind(sk.Kind),
		Schema:  planprintFields(r.Output),
		Options: map[string]string{},
		Pos:     planprintPos(sk.Pos),
	}
	switch {
	case sk.Delta != nil:
		d := sk.Delta
		s.Table, s.PartitionBy, s.MergeSchema = d.Path, slices.Clone(d.PartitionBy), d.MergeSchema
		s.Options["targetFileSize"] = strconv.FormatInt(d.TargetFileSize, 10)
	case sk.Memory != nil:
		s.Options["name"] = sk.Memory.Name
	case sk.Console != nil:
		s.Options["numRows"] = strconv.Itoa(sk.Console.NumRows)
		s.Options["truncate"] = strconv.FormatBool(sk.Console.Truncate)
	case sk.Kafka != nil:
		k := sk.Kafka
		s.Options["topic"] = k.Topic
		s.Options["kafka.bootstrap.servers"] = strings.Join(k.BootstrapServers, ",")
		if k.Key != "" {
			s.Options["key"] = k.Key
		}
		if k.ExactlyOnce {
			s.Options["exactlyOnce"] = "true"
		}
		if len(k.Headers) > 0 {
			hs := make([]string, len(k.Headers))
			for i, h := range k.Headers {
				hs[i] = h.Name + "=" + h.Field
			}
			s.Options["headers"] = strings.Join(hs, ",")
		}
	case sk.Foreach != nil:
		s.Options["func"] = sk.Foreach.Func.PkgPath + "." + sk.Foreach.Func.Name
	}
	if len(s.Options) == 0 {
		s.Options = nil
	}
	return s
}

// mapPos rewrites the file of every position of p.
func mapPos(p *planprint.Plan, file func(string) string) {
	fix := func(pos *planprint.Pos) {
		if pos.File != "" {
			pos.File = file(pos.File)
		}
	}
	var fields func(fs []planprint.Field)
	var typ func(t *planprint.Type)
	fields = func(fs []planprint.Field) {
		for i := range fs {
			fix(&fs[i].Pos)
			typ(&fs[i].Type)
		}
	}
	typ = func(t *planprint.Type) {
		fields(t.Fields)
		if t.Elem != nil {
			typ(t.Elem)
		}
	}
	fix(&p.Pos)
	fix(&p.OutputModePos)
	for i := range p.Sources {
		fix(&p.Sources[i].Pos)
		fields(p.Sources[i].Schema)
	}
	for i := range p.Steps {
		fix(&p.Steps[i].Pos)
	}
	for i := range p.Operators {
		op := &p.Operators[i]
		fix(&op.Pos)
		fields(op.Keys)
		for j := range op.Aggregates {
			fix(&op.Aggregates[j].Pos)
		}
		if op.Window != nil {
			fix(&op.Window.Pos)
		}
		if op.Watermark != nil {
			fix(&op.Watermark.Pos)
		}
	}
	fix(&p.Sink.Pos)
	fields(p.Sink.Schema)
}
