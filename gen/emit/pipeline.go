package emit

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/dave/jennifer/jen"

	"github.com/streamgen/streamgen/gen/ir"
	"github.com/streamgen/streamgen/gen/plan"
)

// Import paths of the runtime packages a pipeline file uses.
const (
	commandPath    = "github.com/streamgen/streamgen/runtime/command"
	quarantinePath = "github.com/streamgen/streamgen/runtime/quarantine"
	aggregatePath  = "github.com/streamgen/streamgen/runtime/aggregate"
	statePath      = "github.com/streamgen/streamgen/runtime/state"
	consolePath    = "github.com/streamgen/streamgen/runtime/sink/console"
	contextPath    = "context"
	deltasinkPath  = "github.com/streamgen/streamgen/runtime/sink/deltasink"
	filesPath      = "github.com/streamgen/streamgen/runtime/source/files"
	deltasrcPath   = "github.com/streamgen/streamgen/runtime/source/delta"
	kafkaPath      = "github.com/streamgen/streamgen/runtime/source/kafka"
	kafkasinkPath  = "github.com/streamgen/streamgen/runtime/sink/kafka"
	kafkaconnPath  = "github.com/streamgen/streamgen/runtime/kafkaconn"
	strconvPath    = "strconv"
	fmtPath        = "fmt"
	memoryPath     = "github.com/streamgen/streamgen/runtime/sink/memory"
	monitorPath    = "github.com/streamgen/streamgen/runtime/monitor"
	osPath         = "os"
	pipelinePath   = "github.com/streamgen/streamgen/runtime/pipeline"
	slogPath       = "log/slog"
	storagePath    = "github.com/streamgen/streamgen/runtime/storage"
	streamPath     = "github.com/streamgen/streamgen/runtime/stream"
	triggerPath    = "github.com/streamgen/streamgen/runtime/trigger"
)

// pipelineFile emits <pipeline>_pipeline.go: the config, its defaults,
// the constructor and the step functions.
func pipelineFile(jf *jen.File, p *plan.Plan) {
	r := p.Runnable
	pl := p.Pipeline
	jf.ImportName(kafkaPath, "kafka")
	jf.ImportAlias(kafkasinkPath, "kafkasink")
	jf.ImportName(kafkaconnPath, "kafkaconn")
	jf.ImportName(kafkagroupPath, "kafkagroup")
	jf.ImportAlias(deltasrcPath, "deltasource")
	if isGroup(r) {
		jf.Add(groupConfigType(r, pl))
		jf.Line()
		jf.Add(groupDefaultConfig(r, pl))
		jf.Line()
		jf.Add(newGroup(r, pl))
	} else {
		jf.Add(configType(r, pl))
		jf.Line()
		jf.Add(defaultConfig(r, pl))
		jf.Line()
		jf.Add(newPipeline(r, pl))
	}
	jf.Line()
	jf.Add(planConst(p))
	jf.Line()
	jf.Add(rowFunc(r, pl))
	for _, st := range r.Steps {
		if st.Map != nil {
			jf.Line()
			jf.Add(mapStepFunc(pl, st))
			continue
		}
		for _, c := range stepFuncs(st) {
			jf.Line()
			jf.Add(c)
		}
	}
	if r.ForeachBatch != "" {
		jf.Line()
		jf.Add(foreachBatchFunc(r, pl))
	}
	if r.SinkRow != "" {
		jf.Line()
		jf.Add(sinkRowType(r))
	}
	for _, c := range resultFuncs(r) {
		jf.Line()
		jf.Add(c)
	}
	for _, c := range kafkaFuncs(r) {
		jf.Line()
		jf.Add(c)
	}
	if streams(pl) && !isGroup(r) {
		sinkName := "Delta"
		if pl.Sink.Kind == ir.SinkKafka {
			sinkName = "Kafka"
		}
		jf.Line()
		jf.Comment("// " + chunkRowsConst + " is how many rows the runner hands the " + sinkName + " sink at a time: the").Line().
			Comment("// rows of a batch are written while it is read, so memory does not grow with").Line().
			Comment("// the batch.")
		jf.Const().Id(chunkRowsConst).Op("=").Lit(4096)
	}
}

// quarantines reports whether the pipeline writes malformed lines to a
// quarantine.
// A delta source's rows are typed: a row that does not convert stops the
// query, there is nothing to quarantine.
func quarantines(pl *ir.Pipeline) bool {
	return pl.Source.OnMalformed == ir.Quarantine && pl.Source.Delta == nil
}

// archives reports whether the files source moves committed files to an
// archive directory (cleanSource: archive).
func archives(pl *ir.Pipeline) bool {
	return pl.Source.Files != nil && pl.Source.Files.CleanSource == "archive"
}

// configType emits the config struct:
//
//	// DeviceStatusConfig is how NewDeviceStatus runs the device_status
//	// pipeline. DefaultDeviceStatusConfig returns the spec's settings.
//	type DeviceStatusConfig struct {
//		SourcePath     string
//		SinkPath       string
//		CheckpointPath string
//		QuarantinePath string
//		Trigger        trigger.Trigger
//		Logger         *slog.Logger
//	}
func configType(r *plan.Runnable, pl *ir.Pipeline) jen.Code {
	var fields []jen.Code
	field := func(text string, name string, typ jen.Code) {
		fields = append(fields, doc(wrap(text)), jen.Id(name).Add(typ))
	}
	if ks := pl.Source.Kafka; ks != nil {
		field("BootstrapServers are the Kafka brokers the source connects to first, host:port.", "BootstrapServers", jen.Index().String())
		topics := "Topics are the Kafka topics the source subscribes to (every partition)."
		if len(ks.Subscribe) == 0 {
			other := fmt.Sprintf("the spec's subscribePattern %q", ks.SubscribePattern)
			if len(ks.Assign) > 0 {
				other = "the spec's assign " + assignJSON(ks.Assign)
			}
			topics = "Topics, when set, are Kafka topics the source subscribes to (every partition) instead of " + other + ", which empty Topics means."
		}
		field(topics, "Topics", jen.Index().String())
	} else if pl.Source.Delta != nil {
		field("SourcePath is the location of the Delta table the source reads (a directory or an object-store URL such as s3://bucket/tables/in).", "SourcePath", jen.String())
	} else {
		src := "SourcePath is the directory the files source reads"
		if r.SourceGlob != "" {
			src += fmt.Sprintf(", the files matching %q below it", r.SourceGlob)
		} else {
			src += ", the files at its top"
		}
		src += " (names starting with \".\" or \"_\" are skipped: write a file under such a name, then rename it into place)."
		field(src, "SourcePath", jen.String())
	}
	if archives(pl) {
		field("SourceArchiveDir is the directory the input files are moved to, keeping their path below SourcePath, once their batch is committed (cleanSource: archive). It must not be SourcePath or inside it.", "SourceArchiveDir", jen.String())
	}
	switch pl.Sink.Kind {
	case ir.SinkDelta:
		field("SinkPath is the directory of the Delta table the rows are appended to.", "SinkPath", jen.String())
	case ir.SinkMemory:
		field("Sink is the memory sink the rows go to: read them back with Sink.Rows. Nil means a new sink that nobody reads.", "Sink", jen.Op("*").Qual(memoryPath, "Sink").Types(outputType(r)))
	case ir.SinkConsole:
		field("Console is where the console sink prints each batch; nil means os.Stdout.", "Console", jen.Qual("io", "Writer"))
	case ir.SinkKafka:
		field("SinkBootstrapServers are the Kafka brokers the sink connects to first, host:port.", "SinkBootstrapServers", jen.Index().String())
		field("SinkTopic is the Kafka topic the rows are written to, as JSON values"+keyDoc(r)+".", "SinkTopic", jen.String())
	}
	if r.Kafka != nil && r.Kafka.Secure {
		field("KafkaPlaintext connects to the Kafka brokers without the spec's TLS and SASL settings, as to the embedded cluster of -kafka-embedded (runtime/kafkaembed).", "KafkaPlaintext", jen.Bool())
	}
	field("CheckpointPath is the query's checkpoint directory; empty means a new temporary directory (the query then starts afresh).", "CheckpointPath", jen.String())
	if quarantines(pl) {
		beside := `"quarantine" in the checkpoint directory (the temporary checkpoint is then kept)`
		if pl.Sink.Kind == ir.SinkDelta {
			beside = `"_quarantine" in SinkPath (Delta readers and VACUUM skip names starting with "_")`
		}
		what := "the malformed input lines: each line as read, its file, line number, byte offset and the decoder's error"
		if pl.Source.Kafka != nil {
			what = "the malformed Kafka records (values the decoder rejects, and tombstones): each value as read, its origin kafka:<topic>/<partition>, its offset and the decoder's error"
		}
		field("QuarantinePath is the directory of the Delta table receiving "+what+" (see runtime/quarantine); empty means "+beside+".", "QuarantinePath", jen.String())
	}
	field("Trigger says when micro-batches run.", "Trigger", jen.Qual(triggerPath, "Trigger"))
	field("Logger receives the query's logs; nil means slog.Default().", "Logger", jen.Op("*").Qual(slogPath, "Logger"))
	field("Listeners are registered on the query (stream.Listeners), such as a monitor.Metrics.", "Listeners", jen.Index().Qual(streamPath, "Listener"))
	return jen.Add(doc(wrap(fmt.Sprintf("%s is how %s runs the %s pipeline. %s returns the settings of the spec; paths are relative to the working directory.", r.Config, r.New, pl.Name, r.DefaultConfig)))).
		Line().Type().Id(r.Config).Struct(fields...)
}

// defaultConfig emits the spec's settings:
//
//	// DefaultDeviceStatusConfig returns the settings of the spec.
//	func DefaultDeviceStatusConfig() DeviceStatusConfig {
//		return DeviceStatusConfig{
//			SourcePath:     "data/iot_status",
//			SinkPath:       "tables/iot_status",
//			CheckpointPath: "checkpoints/iot_status",
//			Trigger:        trigger.AvailableNow(),
//		}
//	}
func defaultConfig(r *plan.Runnable, pl *ir.Pipeline) jen.Code {
	vals := jen.Dict{}
	if ks := pl.Source.Kafka; ks != nil {
		vals[jen.Id("BootstrapServers")] = stringsLit(ks.BootstrapServers)
		if len(ks.Subscribe) > 0 {
			vals[jen.Id("Topics")] = stringsLit(ks.Subscribe)
		}
	} else if ds := pl.Source.Delta; ds != nil {
		vals[jen.Id("SourcePath")] = jen.Lit(ds.Path)
	} else {
		vals[jen.Id("SourcePath")] = jen.Lit(r.SourceRoot)
	}
	if archives(pl) {
		vals[jen.Id("SourceArchiveDir")] = jen.Lit(pl.Source.Files.SourceArchiveDir)
	}
	switch pl.Sink.Kind {
	case ir.SinkDelta:
		vals[jen.Id("SinkPath")] = jen.Lit(pl.Sink.Delta.Path)
	case ir.SinkMemory:
		vals[jen.Id("Sink")] = newMemorySink(r, pl)
	case ir.SinkKafka:
		vals[jen.Id("SinkBootstrapServers")] = stringsLit(pl.Sink.Kafka.BootstrapServers)
		vals[jen.Id("SinkTopic")] = jen.Lit(pl.Sink.Kafka.Topic)
	}
	if pl.Checkpoint != "" {
		vals[jen.Id("CheckpointPath")] = jen.Lit(pl.Checkpoint)
	}
	vals[jen.Id("Trigger")] = triggerCode(pl.Trigger)
	return jen.Comment(fmt.Sprintf("// %s returns the settings of the spec.", r.DefaultConfig)).Line().
		Func().Id(r.DefaultConfig).Params().Id(r.Config).Block(
		jen.Return(jen.Id(r.Config).Values(vals)),
	)
}

// newMemorySink emits the memory sink of the spec, in its output mode:
// memory.New[T](memory.Name("n"), memory.Complete()), …
func newMemorySink(r *plan.Runnable, pl *ir.Pipeline) jen.Code {
	opts := []jen.Code{jen.Qual(memoryPath, "Name").Call(jen.Lit(memoryName(pl)))}
	switch {
	case pl.Sink.OutputMode == ir.Complete:
		opts = append(opts, jen.Qual(memoryPath, "Complete").Call())
	case r.ResultKey != "":
		opts = append(opts, jen.Qual(memoryPath, "Update").Call(jen.Id(r.ResultKey)))
	}
	return jen.Qual(memoryPath, "New").Types(outputType(r)).Call(opts...)
}

func memoryName(pl *ir.Pipeline) string {
	if pl.Sink.Memory != nil && pl.Sink.Memory.Name != "" {
		return pl.Sink.Memory.Name
	}
	return pl.Name
}

// triggerCode emits the spec's trigger: trigger.AvailableNow(),
// trigger.ProcessingTime(10 * time.Second), …
func triggerCode(t ir.Trigger) jen.Code {
	switch t.Kind {
	case ir.TriggerProcessingTime:
		return jen.Qual(triggerPath, "ProcessingTime").Call(durationCode(t.Interval))
	case ir.TriggerOnce:
		return jen.Qual(triggerPath, "Once").Call()
	case ir.TriggerAvailableNow:
		return jen.Qual(triggerPath, "AvailableNow").Call()
	}
	return jen.Qual(triggerPath, "Default").Call()
}

// wrapErr emits `if err != nil { return nil, fmt.Errorf("<name>: <what>: %w", err) }`.
func wrapErr(pl *ir.Pipeline, what string, args ...jen.Code) jen.Code {
	return wrapErrClose(pl, nil, what, args...)
}

// wrapErrClose is wrapErr calling cleanup (when not nil) before it
// returns: closing the Kafka clients made so far.
func wrapErrClose(pl *ir.Pipeline, cleanup jen.Code, what string, args ...jen.Code) jen.Code {
	var body []jen.Code
	if cleanup != nil {
		body = append(body, cleanup)
	}
	body = append(body, jen.Return(jen.Nil(), jen.Qual(fmtPath, "Errorf").Call(append(append([]jen.Code{jen.Lit(pl.Name + ": " + what + ": %w")}, args...), jen.Err())...)))
	return jen.If(jen.Err().Op("!=").Nil()).Block(body...)
}

// srcCleanup is what an error after the source is made must do: close a
// Kafka source (nil for a files source).
func srcCleanup(pl *ir.Pipeline) jen.Code {
	if pl.Source.Kafka != nil {
		return jen.Id("src").Dot("Close").Call()
	}
	return nil
}

// newPipeline emits the constructor:
//
//	// NewDeviceStatus returns the device_status query, not started: …
//	func NewDeviceStatus(ctx context.Context, cfg DeviceStatusConfig) (*stream.Query, error) {
//		env, err := pipeline.Open(ctx, pipeline.Options{Name: "device_status", CheckpointPath: cfg.CheckpointPath, …})
//		logger, cp := env.Logger, env.Checkpoint
//		sinkStore, err := env.Store(ctx, "sink", cfg.SinkPath)
//		src, err := files.New[DeviceStatus](ctx, srcStore, cp, 0, …)
//		sink, err := deltasink.New[DeviceStatus](delta.Open(sinkStore), DeviceStatusDeltaSchema(), …)
//		run := func(ctx context.Context, b *stream.Batch) (stream.BatchResult, error) {…}
//		return stream.NewQuery(cp, []stream.Source{src}, run, …)
//	}
func newPipeline(r *plan.Runnable, pl *ir.Pipeline) jen.Code {
	var body []jen.Code
	add := func(c ...jen.Code) { body = append(body, c...) }
	opts := jen.Dict{
		jen.Id("Name"):           jen.Lit(pl.Name),
		jen.Id("CheckpointPath"): jen.Id("cfg").Dot("CheckpointPath"),
		jen.Id("Logger"):         jen.Id("cfg").Dot("Logger"),
		jen.Id("Listeners"):      jen.Id("cfg").Dot("Listeners"),
	}
	if quarantines(pl) && pl.Sink.Kind != ir.SinkDelta {
		// The quarantine table defaults to the checkpoint: a temporary
		// one holding it is kept.
		opts[jen.Id("KeepTemporaryCheckpoint")] = jen.Id("cfg").Dot("QuarantinePath").Op("==").Lit("")
	}
	add(
		jen.List(jen.Id("env"), jen.Err()).Op(":=").Qual(pipelinePath, "Open").Call(jen.Id("ctx"), jen.Qual(pipelinePath, "Options").Values(opts)),
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
		jen.List(jen.Id("logger"), jen.Id("cp")).Op(":=").List(jen.Id("env").Dot("Logger"), jen.Id("env").Dot("Checkpoint")),
	)
	// The sink's store (a Delta table) before the source: the quarantine
	// defaults to it.
	if pl.Sink.Kind == ir.SinkDelta {
		add(
			jen.List(jen.Id("sinkStore"), jen.Err()).Op(":=").Id("env").Dot("Store").Call(jen.Id("ctx"), jen.Lit("sink"), jen.Id("cfg").Dot("SinkPath")),
			jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
		)
	}
	// The plan check before anything else is opened: a refused change
	// writes nothing.
	add(checkPlanCode(r, pl))
	switch {
	case pl.Source.Kafka != nil:
		add(kafkaSourceCode(r, pl)...)
	case pl.Source.Delta != nil:
		add(deltaSourceCode(r, pl)...)
	default:
		add(sourceCode(r, pl)...)
	}
	add(sinkCode(r, pl)...)
	if k := r.Kafka; k != nil {
		// From here on, an error closes the Kafka clients.
		var closes []jen.Code
		if k.Source {
			closes = append(closes, jen.Id("src").Dot("Close").Call())
		}
		if k.Sink {
			closes = append(closes, jen.Id("sink").Dot("Close").Call())
		}
		add(jen.Id("closeKafka").Op(":=").Id(k.Closer).Call(jen.Func().Params().Block(closes...)))
	}
	add(aggOperatorCode(r, pl)...)
	add(runnerCode(r, pl))
	listeners := []jen.Code{jen.Qual(streamPath, "Listeners").Call(jen.Id("env").Dot("Listeners").Op("..."))}
	if r.Kafka != nil {
		// The Kafka clients close first when the query ends, before the
		// caller's listeners (which may stop an embedded cluster).
		listeners = append([]jen.Code{jen.Qual(streamPath, "Listeners").Call(jen.Id("closeKafka"))}, listeners...)
	}
	newQuery := jen.Qual(streamPath, "NewQuery").Call(append(append([]jen.Code{
		jen.Id("cp"),
		jen.Index().Qual(streamPath, "Source").Values(jen.Id("src")),
		jen.Id("run"),
		jen.Line().Qual(streamPath, "Name").Call(jen.Lit(pl.Name)),
		jen.Qual(streamPath, "Trigger").Call(jen.Id("cfg").Dot("Trigger")),
		jen.Qual(streamPath, "Logger").Call(jen.Id("logger")),
		jen.Qual(streamPath, "SinkDescription").Call(sinkDescription(r, pl)),
	}, listeners...),
		watermarkOpt(r),
		jen.Line(),
	)...)
	if r.Kafka != nil {
		add(
			jen.List(jen.Id("q"), jen.Err()).Op(":=").Add(newQuery),
			jen.If(jen.Err().Op("!=").Nil()).Block(jen.Id("closeKafka").Call(), jen.Return(jen.Nil(), jen.Err())),
			jen.Return(jen.Id("q"), jen.Nil()),
		)
	} else {
		add(jen.Return(newQuery))
	}
	text := fmt.Sprintf("%s returns the %s query, not started: the files of cfg.SourcePath decoded as %s", r.New, pl.Name, r.Source.GoName)
	if pl.Source.Kafka != nil {
		text = fmt.Sprintf("%s returns the %s query, not started: the records of %s from the Kafka brokers cfg.BootstrapServers, their values decoded as %s", r.New, pl.Name, kafkaTopicsDoc(pl.Source.Kafka), r.Source.GoName)
	}
	if pl.Source.Delta != nil {
		text = fmt.Sprintf("%s returns the %s query, not started: the rows of the Delta table at cfg.SourcePath (%s), converted to %s by %s", r.New, pl.Name, deltaStartDoc(pl.Source.Delta), r.Source.GoName, r.Source.DeltaRowFunc)
	}
	if len(r.Steps) > 0 {
		text += fmt.Sprintf(", through the spec's steps (%s)", r.Row)
	}
	if a := r.Agg; a != nil {
		text += fmt.Sprintf(", aggregated by %s into %s state kept in the checkpoint (state/0/0), the results emitted as %s rows in %s mode", a.Key, a.State, r.Output.GoName, outputMode(pl))
	}
	switch pl.Sink.Kind {
	case ir.SinkDelta:
		verb := map[string]string{"append": "appended", "complete": "replacing the contents of", "update": "merged by key into"}[outputMode(pl)]
		if r.Agg != nil {
			text += fmt.Sprintf(", %s the Delta table at cfg.SinkPath, exactly once per batch", verb)
		} else {
			text += fmt.Sprintf(", appended as %s rows to the Delta table at cfg.SinkPath, exactly once per batch", r.Output.GoName)
		}
	case ir.SinkMemory:
		text += fmt.Sprintf(", added as %s rows to cfg.Sink", r.Output.GoName)
	case ir.SinkConsole:
		text += fmt.Sprintf(", printed as %s rows to cfg.Console", r.Output.GoName)
	case ir.SinkForeachBatch:
		g := pl.Sink.Foreach.Func
		text += fmt.Sprintf(", passed batch by batch to %s.%s (%s)", path.Base(g.PkgPath), g.Name, r.ForeachBatch)
	case ir.SinkKafka:
		text += fmt.Sprintf(", written as %s JSON values%s to the Kafka topic cfg.SinkTopic at cfg.SinkBootstrapServers", r.Output.GoName, keyDoc(r))
		if pl.Sink.Kafka.ExactlyOnce {
			text += ", one transaction per batch (exactly once for read_committed consumers)"
		} else {
			text += " (at least once: a batch re-run after a failure writes its rows again)"
		}
	}
	malformed := "lines"
	if pl.Source.Kafka != nil {
		malformed = "records"
	}
	if pl.Source.Delta != nil {
		text += fmt.Sprintf(". A row that does not convert (a null the record does not allow, a value out of the schema's bounds or not in an enum, an invalid UUID) stops the query with an error naming the column, the data file and its version: table rows are typed, so nothing is quarantined. %s. Start runs the query; Stop ends it after the current batch.", deltaChangesDoc(pl.Source.Delta))
	} else {
		text += ". Malformed " + malformed + " are " + map[ir.OnMalformed]string{
			ir.Quarantine: "appended to the quarantine Delta table at cfg.QuarantinePath",
			ir.Drop:       "dropped (and counted)",
			ir.Fail:       "an error that stops the query",
		}[pl.Source.OnMalformed] + ". Start runs the query; Stop ends it after the current batch."
	}
	if r.Kafka != nil {
		text += " The Kafka clients are closed when the query ends."
	}
	return jen.Add(doc(wrap(text))).Line().
		Func().Id(r.New).Params(jen.Id("ctx").Qual(contextPath, "Context"), jen.Id("cfg").Id(r.Config)).
		Params(jen.Op("*").Qual(streamPath, "Query"), jen.Error()).Block(body...)
}

// sourceCode emits the files source:
//
//	srcStore, err := env.Store(ctx, "source", cfg.SourcePath)
//	…
//	src, err := files.New[DeviceStatus](ctx, srcStore, cp, 0,
//		func() streamimpl.Decoder[DeviceStatus] { return NewDeviceStatusDecoder() },
//		files.Logger(logger), files.MaxFilesPerTrigger(1), …)
func sourceCode(r *plan.Runnable, pl *ir.Pipeline) []jen.Code {
	fs := pl.Source.Files
	var out []jen.Code
	out = append(out,
		jen.List(jen.Id("srcStore"), jen.Err()).Op(":=").Id("env").Dot("Store").Call(jen.Id("ctx"), jen.Lit("source"), jen.Id("cfg").Dot("SourcePath")),
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
	)
	opts := []jen.Code{jen.Qual(filesPath, "Logger").Call(jen.Id("logger"))}
	if r.SourceGlob != "" {
		opts = append(opts, jen.Qual(filesPath, "Glob").Call(jen.Lit(r.SourceGlob)))
	}
	if fs.MaxFilesPerTrigger > 0 {
		opts = append(opts, jen.Qual(filesPath, "MaxFilesPerTrigger").Call(jen.Lit(fs.MaxFilesPerTrigger)))
	}
	if fs.MaxBytesPerTrigger > 0 {
		opts = append(opts, jen.Qual(filesPath, "MaxBytesPerTrigger").Call(jen.Lit(int(fs.MaxBytesPerTrigger))))
	}
	if fs.LatestFirst {
		opts = append(opts, jen.Qual(filesPath, "LatestFirst").Call(jen.True()))
	}
	if fs.MaxFileAge > 0 {
		opts = append(opts, jen.Qual(filesPath, "MaxFileAge").Call(durationCode(fs.MaxFileAge)))
	}
	switch fs.CleanSource {
	case "archive":
		out = append(out,
			jen.List(jen.Id("archiveStore"), jen.Err()).Op(":=").Id("env").Dot("Store").Call(jen.Id("ctx"), jen.Lit("source archive"), jen.Id("cfg").Dot("SourceArchiveDir")),
			jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
		)
		opts = append(opts,
			jen.Qual(filesPath, "CleanSource").Call(jen.Qual(filesPath, "CleanArchive")),
			jen.Qual(filesPath, "SourceArchiveDir").Call(jen.Id("archiveStore")),
		)
	case "delete":
		opts = append(opts, jen.Qual(filesPath, "CleanSource").Call(jen.Qual(filesPath, "CleanDelete")))
	}
	switch pl.Source.OnMalformed {
	case ir.Quarantine:
		base, name := jen.Id("env").Dot("CheckpointPath"), "quarantine"
		if pl.Sink.Kind == ir.SinkDelta {
			base, name = jen.Id("cfg").Dot("SinkPath"), "_quarantine"
		}
		out = append(out,
			jen.List(jen.Id("quarantineTable"), jen.Err()).Op(":=").Id("env").Dot("Quarantine").Call(jen.Id("ctx"), jen.Id("cfg").Dot("QuarantinePath"), base, jen.Lit(name)),
			jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
		)
		opts = append(opts,
			jen.Qual(filesPath, "OnMalformed").Call(jen.Qual(filesPath, "QuarantineMalformed")),
			jen.Qual(filesPath, "QuarantineTo").Call(jen.Id("quarantineTable")),
		)
	case ir.Drop:
		opts = append(opts, jen.Qual(filesPath, "OnMalformed").Call(jen.Qual(filesPath, "DropMalformed")))
	case ir.Fail:
		opts = append(opts, jen.Qual(filesPath, "OnMalformed").Call(jen.Qual(filesPath, "FailMalformed")))
	}
	dec := jen.Id("New" + r.Source.DecoderName).Call()
	if fs.Format == "csv" {
		dec = jen.Id("New"+r.Source.CSVDecoderName).Call(jen.Lit(fs.CSVHeader), jen.LitRune(fs.CSVDelimiter))
		if !fs.CSVHeader {
			// Without a header line the source must not see a HeaderDecoder.
			dec = jen.Qual(streamimplPath, "CSVWithoutHeader").Types(jen.Id(r.Source.GoName)).Call(dec)
		}
	}
	newDecoder := jen.Func().Params().Qual(streamimplPath, "Decoder").Types(jen.Id(r.Source.GoName)).Block(
		jen.Return(dec),
	)
	args := []jen.Code{jen.Id("ctx"), jen.Id("srcStore"), jen.Id("cp"), jen.Lit(0), jen.Line().Add(newDecoder)}
	for _, o := range opts {
		args = append(args, jen.Line().Add(o))
	}
	args = append(args, jen.Line())
	out = append(out,
		jen.List(jen.Id("src"), jen.Err()).Op(":=").Qual(filesPath, "New").Types(jen.Id(r.Source.GoName)).Call(args...),
		wrapErr(pl, "source %s", jen.Id("cfg").Dot("SourcePath")),
	)
	return out
}

// sinkDescription is the sink's description in progress reports:
// Spark's "ForeachBatchSink" for a foreachBatch sink.
func sinkDescription(r *plan.Runnable, pl *ir.Pipeline) jen.Code {
	if pl.Sink.Kind == ir.SinkForeachBatch {
		return jen.Lit("ForeachBatchSink")
	}
	return jen.Id("sink").Dot("Description").Call()
}

// sinkCode emits the sink: deltasink.New, the memory sink of the config
// or console.New.
func sinkCode(r *plan.Runnable, pl *ir.Pipeline) []jen.Code {
	out := sinkType(r)
	switch pl.Sink.Kind {
	case ir.SinkForeachBatch:
		return nil // the runner calls r.ForeachBatch
	case ir.SinkDelta:
		d := pl.Sink.Delta
		mode := map[ir.OutputMode]string{ir.Complete: "Complete", ir.Update: "Update"}[pl.Sink.OutputMode]
		if mode == "" {
			mode = "Append"
		}
		args := []jen.Code{
			jen.Qual(deltaPath, "Open").Call(jen.Id("sinkStore")),
			jen.Id(r.Output.DeltaSchemaFunc).Call(),
			jen.Qual(deltasinkPath, "OutputMode").Call(jen.Qual(deltasinkPath, mode)),
			jen.Qual(deltasinkPath, "Logger").Call(jen.Id("logger")),
		}
		if r.ResultRow != "" {
			args = append(args,
				jen.Qual(deltasinkPath, "KeyColumns").Call(keyColumns(r)...),
				jen.Qual(deltasinkPath, "ToRow").Call(jen.Id(r.ResultRow)),
			)
		}
		if r.SinkRow != "" {
			var cols []jen.Code
			for _, c := range d.PartitionBy {
				cols = append(cols, jen.Lit(c))
			}
			args = append(args, jen.Qual(deltasinkPath, "PartitionBy").Call(jen.Index().String().Values(cols...), jen.Id(r.PartitionValues)))
		}
		if d.TargetFileSize > 0 && d.TargetFileSize != ir.DefaultTargetFileSize {
			args = append(args, jen.Qual(deltasinkPath, "Writer").Call(jen.Qual(deltaPath, "WriterOptions").Values(jen.Dict{
				jen.Id("TargetFileSize"): jen.Lit(int(d.TargetFileSize)),
			})))
		}
		if d.MergeSchema {
			args = append(args, jen.Qual(deltasinkPath, "MergeSchema").Call(jen.True()))
		}
		for i := range args {
			args[i] = jen.Line().Add(args[i])
		}
		args = append(args, jen.Line())
		return []jen.Code{
			jen.List(jen.Id("sink"), jen.Err()).Op(":=").Qual(deltasinkPath, "New").Types(out).Call(args...),
			wrapErrClose(pl, srcCleanup(pl), "sink %s", jen.Id("cfg").Dot("SinkPath")),
		}
	case ir.SinkKafka:
		return kafkaSinkCode(r, pl)
	case ir.SinkMemory:
		return []jen.Code{
			jen.Id("sink").Op(":=").Id("cfg").Dot("Sink"),
			jen.If(jen.Id("sink").Op("==").Nil()).Block(
				jen.Id("sink").Op("=").Add(newMemorySink(r, pl)),
			),
		}
	}
	// Console.
	var opts []jen.Code
	if c := pl.Sink.Console; c != nil {
		opts = append(opts, jen.Qual(consolePath, "NumRows").Call(jen.Lit(c.NumRows)), jen.Qual(consolePath, "Truncate").Call(jen.Lit(c.Truncate)))
	}
	return []jen.Code{
		jen.Var().Id("w").Qual("io", "Writer").Op("=").Qual(osPath, "Stdout"),
		jen.If(jen.Id("cfg").Dot("Console").Op("!=").Nil()).Block(jen.Id("w").Op("=").Id("cfg").Dot("Console")),
		jen.Id("sink").Op(":=").Qual(consolePath, "New").Types(out).Call(append([]jen.Code{jen.Id("w")}, opts...)...),
	}
}

// runnerCode emits the stream.Runner:
//
//	run := func(ctx context.Context, b *stream.Batch) (stream.BatchResult, error) {
//		var rows []DeviceStatus
//		stats, err := src.Read(ctx, b.Start[0], b.End[0], func(r *DeviceStatus, _ files.Origin) error {
//			rows = append(rows, *r) // or: if out, ok := deviceStatusRow(r); ok {…}
//			return nil
//		})
//		…
//		if err := sink.AddBatch(ctx, b.QueryID, b.ID, rows); err != nil {…}
//		return stream.BatchResult{NumInputRows: stats.Rows, NumOutputRows: int64(len(rows))}, nil
//	}
func runnerCode(r *plan.Runnable, pl *ir.Pipeline) jen.Code {
	if r.Agg != nil {
		return aggRunnerCode(r, pl)
	}
	// asSink converts a row to the sink's type: the same struct with
	// other Parquet tags when the table is partitioned.
	asSink := func(v jen.Code) jen.Code {
		if r.SinkRow != "" {
			return jen.Id(r.SinkRow).Call(v)
		}
		return v
	}
	var keep jen.Code
	if len(r.Steps) == 0 {
		// *r copies the row: the source reuses it (its strings stay valid).
		keep = jen.Id("rows").Op("=").Append(jen.Id("rows"), asSink(jen.Op("*").Id("r")))
	} else if hasMap(r) {
		// A map function's error is handled by onMalformed: drop logs
		// and drops the row, fail stops the query (quarantine is not
		// planned).
		onErr := mapErrCode(pl)
		keep = jen.List(jen.Id("out"), jen.Id("ok"), jen.Err()).Op(":=").Id(r.Row).Call(jen.Id("ctx"), jen.Id("r")).Line().
			If(jen.Err().Op("!=").Nil()).Block(onErr).Line().
			If(jen.Id("ok")).Block(
			jen.Id("rows").Op("=").Append(jen.Id("rows"), asSink(jen.Id("out"))),
		)
	} else {
		keep = jen.If(jen.List(jen.Id("out"), jen.Id("ok")).Op(":=").Id(r.Row).Call(jen.Id("r")), jen.Id("ok")).Block(
			jen.Id("rows").Op("=").Append(jen.Id("rows"), asSink(jen.Id("out"))),
		)
	}
	add := addBatchCall(r, pl)
	fail := jen.Return(jen.Qual(streamPath, "BatchResult").Values(), jen.Err())
	numOut := jen.Int64().Call(jen.Len(jen.Id("rows")))
	if streams(pl) {
		numOut = jen.Id("out")
	}
	result := jen.Dict{
		jen.Id("NumInputRows"):  jen.Id("stats").Dot("Rows"),
		jen.Id("NumOutputRows"): numOut,
		jen.Id("SourceMetrics"): jen.Index().Map(jen.String()).String().Values(jen.Id("stats").Dot("Metrics").Call()),
	}
	if pl.Sink.Kind == ir.SinkDelta || pl.Sink.Kind == ir.SinkKafka {
		result[jen.Id("SinkMetrics")] = jen.Id("sink").Dot("Metrics").Call()
	}
	origin := "_"
	if hasMap(r) && (pl.Source.OnMalformed == ir.Drop || pl.Source.Delta != nil) {
		origin = "o"
	}
	read := func(more ...jen.Code) jen.Code {
		body := append([]jen.Code{keep}, more...)
		body = append(body, jen.Return(jen.Nil()))
		return jen.List(jen.Id("stats"), jen.Err()).Op(":=").Id("src").Dot("Read").Call(
			jen.Id("ctx"), jen.Id("b").Dot("Start").Index(jen.Lit(0)), jen.Id("b").Dot("End").Index(jen.Lit(0)),
			jen.Func().Params(jen.Id("r").Op("*").Id(r.Source.GoName), jen.Id(origin).Add(originType(pl))).Error().Block(body...),
		)
	}
	params := []jen.Code{jen.Id("ctx").Qual(contextPath, "Context"), jen.Id("b").Op("*").Qual(streamPath, "Batch")}
	results := []jen.Code{jen.Qual(streamPath, "BatchResult"), jen.Error()}
	if streams(pl) {
		// Rows go to the table in chunks while the batch is read, so
		// memory does not grow with the batch.
		return jen.Id("run").Op(":=").Func().Params(params...).Params(results...).Block(
			jen.List(jen.Id("bw"), jen.Err()).Op(":=").Id("sink").Dot("BeginBatch").Call(jen.Id("ctx"), jen.Id("b").Dot("QueryID"), jen.Id("b").Dot("ID")),
			jen.If(jen.Err().Op("!=").Nil()).Block(fail),
			jen.Defer().Id("bw").Dot("Abort").Call(jen.Id("ctx")).Comment("a no-op after Commit"),
			jen.Id("rows").Op(":=").Make(jen.Index().Add(sinkType(r)), jen.Lit(0), jen.Id(chunkRowsConst)),
			jen.Var().Id("out").Int64(),
			jen.Id("flush").Op(":=").Func().Params().Error().Block(
				jen.Id("out").Op("+=").Int64().Call(jen.Len(jen.Id("rows"))),
				jen.Err().Op(":=").Id("bw").Dot("Write").Call(jen.Id("ctx"), jen.Id("rows")),
				jen.Id("rows").Op("=").Id("rows").Index(jen.Empty(), jen.Lit(0)),
				jen.Return(jen.Err()),
			),
			read(jen.If(jen.Len(jen.Id("rows")).Op("==").Id(chunkRowsConst)).Block(jen.Return(jen.Id("flush").Call()))),
			jen.If(jen.Err().Op("==").Nil().Op("&&").Len(jen.Id("rows")).Op(">").Lit(0)).Block(jen.Err().Op("=").Id("flush").Call()),
			jen.If(jen.Err().Op("!=").Nil()).Block(fail),
			jen.If(jen.Err().Op(":=").Id("bw").Dot("Commit").Call(jen.Id("ctx")), jen.Err().Op("!=").Nil()).Block(fail),
			jen.Return(jen.Qual(streamPath, "BatchResult").Values(result), jen.Nil()),
		)
	}
	return jen.Id("run").Op(":=").Func().Params(params...).Params(results...).Block(
		jen.Var().Id("rows").Index().Add(sinkType(r)),
		read(),
		jen.If(jen.Err().Op("!=").Nil()).Block(fail),
		jen.If(jen.Err().Op(":=").Add(add), jen.Err().Op("!=").Nil()).Block(fail),
		jen.Return(jen.Qual(streamPath, "BatchResult").Values(result), jen.Nil()),
	)
}

// chunkRowsConst names the generated constant: how many rows a streaming
// runner hands the Delta sink at a time.
const chunkRowsConst = "sinkChunkRows"

// streams reports whether the runner streams rows into the sink as it
// makes them (a Delta sink in append or complete mode, or a Kafka sink:
// the rows read, or an aggregation's results) instead of collecting the
// batch.
func streams(pl *ir.Pipeline) bool {
	return pl.Sink.Kind == ir.SinkDelta && pl.Sink.OutputMode != ir.Update || pl.Sink.Kind == ir.SinkKafka
}

// rowFunc emits the function applying every step to a source row:
//
//	// filtersRow applies the steps of the filters pipeline to r: it
//	// returns the row reaching the sink, or false when a where step
//	// drops r.
//	func filtersRow(r *Event) (FiltersRow, bool) {
//		if !filtersStep0(r) {
//			return FiltersRow{}, false
//		}
//		r1 := filtersStep1(r)
//		return r1, true
//	}
func rowFunc(r *plan.Runnable, pl *ir.Pipeline) jen.Code {
	if len(r.Steps) == 0 {
		return jen.Null()
	}
	out := jen.Id(r.RowOut.GoName)
	maps := hasMap(r)
	ret := func(vals ...jen.Code) jen.Code {
		if maps && len(vals) == 2 {
			vals = append(vals, jen.Nil())
		}
		return jen.Return(vals...)
	}
	cur, val := jen.Id("r"), jen.Op("*").Id("r")
	var body []jen.Code
	for i, st := range r.Steps {
		if st.Where != nil {
			body = append(body, jen.If(jen.Op("!").Id(st.Func).Call(cur)).Block(ret(out.Clone().Values(), jen.False())))
			continue
		}
		v := fmt.Sprintf("r%d", i+1)
		if st.Map != nil {
			body = append(body,
				jen.List(jen.Id(v), jen.Err()).Op(":=").Id(st.Func).Call(jen.Id("ctx"), cur),
				jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(out.Clone().Values(), jen.False(), jen.Err())),
			)
		} else {
			body = append(body, jen.Id(v).Op(":=").Id(st.Func).Call(cur))
		}
		cur, val = jen.Op("&").Id(v), jen.Id(v)
	}
	body = append(body, ret(val, jen.True()))
	reaching := "the sink"
	if r.Agg != nil {
		reaching = "the aggregation"
	}
	text := fmt.Sprintf("%s applies the steps of the %s pipeline to r: it returns the row reaching %s, or false when a where step drops r.", r.Row, pl.Name, reaching)
	params := []jen.Code{jen.Id("r").Op("*").Id(r.Source.GoName)}
	results := []jen.Code{out, jen.Bool()}
	if maps {
		text = fmt.Sprintf("%s applies the steps of the %s pipeline to r: it returns the row reaching %s, false when a where step drops r, or the error of a map step's function (which stops the query).", r.Row, pl.Name, reaching)
		params = append([]jen.Code{jen.Id("ctx").Qual(contextPath, "Context")}, params...)
		results = append(results, jen.Error())
	}
	return jen.Add(doc(wrap(text))).Line().Func().Id(r.Row).Params(params...).Params(results...).Block(body...)
}

// stepFuncs emits a step's functions. A where step:
//
//	// filtersStep0 is the where step `action != ""` of
//	// streamgen.yaml:5:10.
//	func filtersStep0(r *Event) bool {
//		return filtersStep0Cond(string(r.Action))
//	}
//
//	// filtersStep0Cond evaluates `action != ""`.
//	func filtersStep0Cond(action string) bool {
//		return action != ""
//	}
//
// A select step builds the next row, a derived field through its own
// function of the variables its expression uses:
//
//	func filtersStep1(r *Event) FiltersRow {
//		return FiltersRow{Device: r.Device, Loud: filtersStep1Loud(r.Status)}
//	}
//
// The expression functions declare exactly the variables the checker
// declared (Expr.Vars: field names, typed as the checker typed them), so
// the expression means in generated code what it meant when checked.
func stepFuncs(st *plan.RunStep) []jen.Code {
	if st.Where != nil {
		e := st.Where.Cond
		return []jen.Code{
			jen.Add(doc(wrap(fmt.Sprintf("%s is the where step `%s` (%s).", st.Func, oneLine(e.Src), st.Where.Pos)))).Line().
				Func().Id(st.Func).Params(jen.Id("r").Op("*").Id(st.In.GoName)).Bool().Block(
				jen.Return(jen.Id(st.ExprFunc).Call(bindArgs(st.In, e)...)),
			),
			exprFunc(st.ExprFunc, e, jen.Bool(), false),
		}
	}
	var items []jen.Code
	var funcs []jen.Code
	for _, c := range st.Columns {
		var v jen.Code
		if c.ExprFunc == "" {
			v = jen.Id("r").Dot(c.From.GoName)
		} else {
			v = jen.Id(c.ExprFunc).Call(bindArgs(st.In, c.IR.Expr)...)
			funcs = append(funcs, exprFunc(c.ExprFunc, c.IR.Expr, goTypeCode(c.Out.Type.String()), c.IR.Expr.Type == "int"))
		}
		items = append(items, jen.Line().Id(c.Out.GoName).Op(":").Add(v))
	}
	items = append(items, jen.Line())
	out := []jen.Code{
		jen.Add(doc(wrap(fmt.Sprintf("%s is the select step of %s: it makes the %s of r.", st.Func, st.Select.Pos, st.Out.GoName)))).Line().
			Func().Id(st.Func).Params(jen.Id("r").Op("*").Id(st.In.GoName)).Id(st.Out.GoName).Block(
			jen.Return(jen.Id(st.Out.GoName).Values(items...)),
		),
	}
	return append(out, funcs...)
}

// exprFunc emits the function evaluating e over its variables:
//
//	// filtersStep1Loud evaluates `strings.ToUpper(status)`.
//	func filtersStep1Loud(status string) string {
//		return strings.ToUpper(status)
//	}
func exprFunc(name string, e *ir.Expr, result jen.Code, toInt64 bool) jen.Code {
	var params []jen.Code
	for _, v := range e.Vars {
		params = append(params, jen.Id(v.Field).Add(goTypeCode(v.GoType)))
	}
	val := exprCode(e)
	if toInt64 {
		val = jen.Int64().Call(val)
	}
	return jen.Add(doc(wrap(fmt.Sprintf("%s evaluates `%s`.", name, oneLine(e.Src))))).Line().
		Func().Id(name).Params(params...).Add(result).Block(jen.Return(val))
}

// goTypeCode renders a checker type ("*time.Time", "[]string") with
// the time package imported through jen.
func goTypeCode(t string) jen.Code {
	prefix, base := "", t
	for strings.HasPrefix(base, "*") || strings.HasPrefix(base, "[]") {
		if strings.HasPrefix(base, "*") {
			prefix += "*"
			base = base[1:]
		} else {
			prefix += "[]"
			base = base[2:]
		}
	}
	var c *jen.Statement
	if prefix != "" {
		c = jen.Op(prefix)
	} else {
		c = jen.Null()
	}
	if base == "time.Time" {
		return c.Qual(timePath, "Time")
	}
	return c.Id(base)
}

// bindArgs returns the values of e's variables read from r, converted to
// the types the checker gave them: enums to string, dates to time.Time.
//
//	string(r.Action), r.Device, r.Day.Time()
func bindArgs(in *plan.Record, e *ir.Expr) []jen.Code {
	var args []jen.Code
	for _, v := range e.Vars {
		f := fieldByName(in, v.Field)
		if f == nil {
			args = append(args, jen.Id("r").Dot("MISSING_"+v.Field)) // fails to compile: a planning bug
			continue
		}
		args = append(args, fieldValue(f))
	}
	return args
}

// fieldValue returns r's field f converted to the type expressions and
// Go functions see for it: enums to string, dates to time.Time.
func fieldValue(f *plan.Field) jen.Code {
	x := jen.Id("r").Dot(f.GoName)
	switch {
	case f.Type.Kind == plan.GoEnum && f.Pointer:
		return jen.Parens(jen.Op("*").String()).Call(x)
	case f.Type.Kind == plan.GoEnum:
		return jen.String().Call(x)
	case f.Type.Kind == plan.GoDate && f.Pointer:
		return jen.Func().Params().Op("*").Qual(timePath, "Time").Block(
			jen.If(x.Clone().Op("==").Nil()).Block(jen.Return(jen.Nil())),
			jen.Id("t").Op(":=").Add(x.Clone()).Dot("Time").Call(),
			jen.Return(jen.Op("&").Id("t")),
		).Call()
	case f.Type.Kind == plan.GoDate:
		return x.Dot("Time").Call()
	}
	return x
}

// argStruct builds a Go function's argument struct from the row r, a
// planned record in: its fields converted as for expressions, which is
// the type the checker required of each bound Go field.
//
//	userfn.In{Device: r.Device, Status: string(r.Status)}
func argStruct(g ir.GoFunc, in *plan.Record) jen.Code {
	var items []jen.Code
	for _, b := range g.ArgFields {
		var v jen.Code
		if f := fieldByName(in, b.Field); f != nil {
			v = fieldValue(f)
		}
		if v == nil {
			v = jen.Id("r").Dot("MISSING_" + b.Field) // fails to compile: a planning bug
		}
		items = append(items, jen.Line().Id(b.GoField).Op(":").Add(v))
	}
	if len(items) > 0 {
		items = append(items, jen.Line())
	}
	return jen.Qual(g.Arg.PkgPath, g.Arg.Name).Values(items...)
}

// resultRecord builds a map step's generated record out from the user's
// result value x, field by field: a field of the same type copied, an int
// one (int, *int, []int, []*int) converted to int64 (plan.ResultConvertible
// admits no other difference).
//
//	MapfnMapped{Device: out.Device, Count: int64(out.Count)}
func resultRecord(m *ir.Map, out *plan.Record, x string) jen.Code {
	var items []jen.Code
	for i, b := range m.OutBindings {
		f := out.Fields[i]
		items = append(items, jen.Line().Id(f.GoName).Op(":").Add(convertResult(jen.Id(x).Dot(b.GoField), b.GoType, f.Type.String())))
	}
	if len(items) > 0 {
		items = append(items, jen.Line())
	}
	return jen.Id(out.GoName).Values(items...)
}

// convertResult converts v of the user's type from to the generated
// field type to.
func convertResult(v *jen.Statement, from, to string) jen.Code {
	switch {
	case from == to:
		return v
	case from == "int" && to == "int64":
		return jen.Int64().Call(v)
	case from == "*int" && to == "*int64":
		return jen.Func().Params(jen.Id("p").Op("*").Int()).Op("*").Int64().Block(
			jen.If(jen.Id("p").Op("==").Nil()).Block(jen.Return(jen.Nil())),
			jen.Id("n").Op(":=").Int64().Call(jen.Op("*").Id("p")),
			jen.Return(jen.Op("&").Id("n")),
		).Call(v)
	case from == "[]int" && to == "[]int64":
		return jen.Func().Params(jen.Id("s").Index().Int()).Index().Int64().Block(
			jen.If(jen.Id("s").Op("==").Nil()).Block(jen.Return(jen.Nil())),
			jen.Id("res").Op(":=").Make(jen.Index().Int64(), jen.Len(jen.Id("s"))),
			jen.For(jen.List(jen.Id("i"), jen.Id("n")).Op(":=").Range().Id("s")).Block(
				jen.Id("res").Index(jen.Id("i")).Op("=").Int64().Call(jen.Id("n")),
			),
			jen.Return(jen.Id("res")),
		).Call(v)
	case from == "[]*int" && to == "[]*int64":
		return jen.Func().Params(jen.Id("s").Index().Op("*").Int()).Index().Op("*").Int64().Block(
			jen.If(jen.Id("s").Op("==").Nil()).Block(jen.Return(jen.Nil())),
			jen.Id("res").Op(":=").Make(jen.Index().Op("*").Int64(), jen.Len(jen.Id("s"))),
			jen.For(jen.List(jen.Id("i"), jen.Id("p")).Op(":=").Range().Id("s")).Block(
				jen.If(jen.Id("p").Op("!=").Nil()).Block(
					jen.Id("n").Op(":=").Int64().Call(jen.Op("*").Id("p")),
					jen.Id("res").Index(jen.Id("i")).Op("=").Op("&").Id("n"),
				),
			),
			jen.Return(jen.Id("res")),
		).Call(v)
	}
	return v.Dot("UNCONVERTIBLE") // fails to compile: a planning bug
}

// outputType is the type of the rows reaching the sink, a planned record.
func outputType(r *plan.Runnable) *jen.Statement {
	return jen.Id(r.Output.GoName)
}

// sinkType is the type of the rows handed to the sink: the output
// record, or the SinkRow of a partitioned Delta table.
func sinkType(r *plan.Runnable) *jen.Statement {
	if r.SinkRow != "" {
		return jen.Id(r.SinkRow)
	}
	return outputType(r)
}

// sinkRowType emits the struct a partitioned Delta sink writes, and its
// partition values:
//
//	// EventsSinkRow is Event as the Delta sink writes it: …
//	type EventsSinkRow struct {
//		Time   int64  `json:"time" parquet:"time"`
//		Action string `json:"action" parquet:"-"`
//	}
//
//	// eventsPartitionValues returns r's partition values.
//	func eventsPartitionValues(r *EventsSinkRow) map[string]*string {
//		m := make(map[string]*string, 1)
//		m["action"] = delta.PartitionString(r.Action)
//		return m
//	}
func sinkRowType(r *plan.Runnable) jen.Code {
	part := map[*plan.Field]bool{}
	var names []string
	for _, f := range r.Partition {
		part[f] = true
		names = append(names, f.IR.Name)
	}
	var fields []jen.Code
	for _, f := range r.Output.Fields {
		tags := fieldTags(f)
		if part[f] {
			tags = map[string]string{"json": tags["json"], "parquet": "-"}
		}
		fields = append(fields, jen.Add(doc(fieldDoc(f))).Line().Id(f.GoName).Add(goType(f.Type)).Tag(tags))
	}
	text := fmt.Sprintf("%s is %s as the Delta sink writes it: the same fields, with the partition columns (%s) kept out of the Parquet files, as their values live in the table's log. A %s converts to a %s.", r.SinkRow, r.Output.GoName, strings.Join(names, ", "), r.Output.GoName, r.SinkRow)
	body := []jen.Code{jen.Id("m").Op(":=").Make(jen.Map(jen.String()).Op("*").String(), jen.Lit(len(r.Partition)))}
	for _, f := range r.Partition {
		key := jen.Id("m").Index(jen.Lit(f.IR.Name))
		v := jen.Id("r").Dot(f.GoName)
		if f.Pointer {
			body = append(body,
				key.Clone().Op("=").Nil(),
				jen.If(v.Clone().Op("!=").Nil()).Block(key.Clone().Op("=").Add(partitionValue(f, jen.Op("*").Add(v)))),
			)
			continue
		}
		body = append(body, key.Op("=").Add(partitionValue(f, v)))
	}
	body = append(body, jen.Return(jen.Id("m")))
	return jen.Add(doc(wrap(text))).Line().Type().Id(r.SinkRow).Struct(fields...).Line().Line().
		Comment(fmt.Sprintf("// %s returns r's partition values, as Delta serialises them.", r.PartitionValues)).Line().
		Func().Id(r.PartitionValues).Params(jen.Id("r").Op("*").Id(r.SinkRow)).Map(jen.String()).Op("*").String().Block(body...)
}

// partitionValue formats v, the value of partition field f, with the
// runtime's typed formatter.
func partitionValue(f *plan.Field, v jen.Code) jen.Code {
	fn := map[plan.GoKind]string{
		plan.GoString:  "PartitionString",
		plan.GoEnum:    "PartitionString",
		plan.GoInt32:   "PartitionInt",
		plan.GoInt64:   "PartitionInt",
		plan.GoFloat64: "PartitionDouble",
		plan.GoBool:    "PartitionBool",
		plan.GoDate:    "PartitionDate",
		plan.GoTime:    "PartitionTimestamp",
	}[f.Type.Kind]
	if fn == "" {
		panic("emit: partition column of Go kind " + string(f.Type.Kind)) // the checker refuses lists and records
	}
	return jen.Qual(deltaPath, fn).Call(v)
}

// hasMap reports whether a step of r calls a Go function (the row
// function then takes a context and returns an error).
func hasMap(r *plan.Runnable) bool {
	for _, st := range r.Steps {
		if st.Map != nil {
			return true
		}
	}
	return false
}

// mapStepFunc emits a map step's function, which converts the user's
// result to the step's generated record:
//
//	// mapfnStep1 is the map step of streamgen.yaml:6:5: it calls
//	// userfn.Enrich with the fields of r and makes the MapfnMapped of its
//	// result.
//	func mapfnStep1(ctx context.Context, r *Reading) (MapfnMapped, error) {
//		out, err := userfn.Enrich(ctx, userfn.In{Device: r.Device, …})
//		if err != nil {
//			return MapfnMapped{}, fmt.Errorf("mapfn: userfn.Enrich: %w", err)
//		}
//		return MapfnMapped{Device: out.Device, Count: int64(out.Count), …}, nil
//	}
func mapStepFunc(pl *ir.Pipeline, st *plan.RunStep) jen.Code {
	m := st.Map
	in := jen.Id("r").Op("*").Id(st.In.GoName)
	out := jen.Id(st.Out.GoName)
	fname := path.Base(m.Func.PkgPath) + "." + m.Func.Name
	var args []jen.Code
	if m.Func.Context {
		args = append(args, jen.Id("ctx"))
	}
	args = append(args, argStruct(m.Func, st.In))
	call := jen.Qual(m.Func.PkgPath, m.Func.Name).Call(args...)
	var body []jen.Code
	if m.Func.Error {
		body = []jen.Code{
			jen.List(jen.Id("out"), jen.Err()).Op(":=").Add(call),
			jen.If(jen.Err().Op("!=").Nil()).Block(
				jen.Return(out.Clone().Values(), jen.Qual(fmtPath, "Errorf").Call(jen.Lit(pl.Name+": "+fname+": %w"), jen.Err())),
			),
		}
	} else {
		body = []jen.Code{jen.Id("out").Op(":=").Add(call)}
	}
	body = append(body, jen.Return(resultRecord(m, st.Out, "out"), jen.Nil()))
	text := fmt.Sprintf("%s is the map step of %s: it calls %s with the fields of r and makes the %s of its result.", st.Func, m.Pos, fname, st.Out.GoName)
	return jen.Add(doc(wrap(text))).Line().
		Func().Id(st.Func).Params(jen.Id("ctx").Qual(contextPath, "Context"), in).Params(out, jen.Error()).Block(body...)
}

// foreachBatchFunc emits the function a foreachBatch sink calls with
// each batch:
//
//	// mapfnForeachBatch converts the rows of batch batchID to
//	// userfn.Row and calls userfn.WriteBatch …
//	func mapfnForeachBatch(ctx context.Context, batchID int64, rows []MapfnMapped2) error {
//		in := make([]userfn.Row, len(rows))
//		for i := range rows {
//			r := &rows[i]
//			in[i] = userfn.Row{Device: r.Device, …}
//		}
//		return userfn.WriteBatch(ctx, batchID, in)
//	}
func foreachBatchFunc(r *plan.Runnable, pl *ir.Pipeline) jen.Code {
	g := pl.Sink.Foreach.Func
	fname := path.Base(g.PkgPath) + "." + g.Name
	arg := jen.Qual(g.Arg.PkgPath, g.Arg.Name)
	text := fmt.Sprintf("%s converts the rows of batch batchID to %s.%s and calls %s, the pipeline's foreachBatch sink. ", r.ForeachBatch, path.Base(g.Arg.PkgPath), g.Arg.Name, fname) +
		"As with Spark's foreachBatch, exactly-once output is the function's job: a batch that fails, or whose commit is lost, runs again after a restart with the same batchID and the same rows, so the function should write idempotently keyed by batchID (overwrite what a batchID wrote, or skip a batchID already written)."
	return jen.Add(doc(wrap(text))).Line().
		Func().Id(r.ForeachBatch).Params(jen.Id("ctx").Qual(contextPath, "Context"), jen.Id("batchID").Int64(), jen.Id("rows").Index().Add(outputType(r))).Error().Block(
		jen.Id("in").Op(":=").Make(jen.Index().Add(arg.Clone()), jen.Len(jen.Id("rows"))),
		jen.For(jen.Id("i").Op(":=").Range().Id("rows")).Block(
			jen.Id("r").Op(":=").Op("&").Id("rows").Index(jen.Id("i")),
			jen.Id("in").Index(jen.Id("i")).Op("=").Add(argStruct(g, r.Output)),
		),
		jen.Return(jen.Qual(g.PkgPath, g.Name).Call(jen.Id("ctx"), jen.Id("batchID"), jen.Id("in"))),
	)
}

func fieldByName(r *plan.Record, name string) *plan.Field {
	for _, f := range r.Fields {
		if f.IR.Name == name {
			return f
		}
	}
	return nil
}

// exprCode renders a spec expression as written, with its references to
// the packages expressions may use (time, strings, math, strconv)
// qualified through jen, so that they are imported. A package shadowed
// by a variable of the expression is the variable, as when checked.
func exprCode(e *ir.Expr) jen.Code {
	src := strings.TrimSpace(e.Src)
	fset := token.NewFileSet()
	x, err := parser.ParseExprFrom(fset, "", src, 0)
	if err != nil {
		return jen.Op("(" + src + ")") // checked before: not reached
	}
	shadow := map[string]bool{}
	for _, v := range e.Vars {
		shadow[v.Field] = true
	}
	pkgs := map[string]bool{}
	for _, p := range ir.ExprPackages {
		pkgs[p] = true
	}
	type qual struct {
		start, end int
		pkg, name  string
	}
	var quals []qual
	ast.Inspect(x, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		id, ok := sel.X.(*ast.Ident)
		if !ok || !pkgs[id.Name] || shadow[id.Name] {
			return true
		}
		quals = append(quals, qual{fset.Position(id.Pos()).Offset, fset.Position(sel.End()).Offset, id.Name, sel.Sel.Name})
		return false
	})
	sort.Slice(quals, func(i, j int) bool { return quals[i].start < quals[j].start })
	c := jen.Null()
	at := 0
	for _, q := range quals {
		if q.start > at {
			c.Op(src[at:q.start])
		}
		c.Qual(q.pkg, q.name)
		at = q.end
	}
	if at < len(src) {
		c.Op(src[at:])
	}
	return c
}

// oneLine folds an expression's text onto one line for a comment.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// keyColumns lists the result columns that make up an aggregation's
// grouping key: its keys, then the window's bounds.
func keyColumns(r *plan.Runnable) []jen.Code {
	var cols []jen.Code
	for _, k := range r.Agg.Keys {
		cols = append(cols, jen.Lit(k.Field.IR.Name))
	}
	if r.Agg.WindowStart != nil {
		cols = append(cols, jen.Lit(r.Agg.WindowStart.IR.Name), jen.Lit(r.Agg.WindowEnd.IR.Name))
	}
	return cols
}

// watermarkOpt emits stream.WatermarkDelay(d) when the pipeline has a
// watermark.
func watermarkOpt(r *plan.Runnable) jen.Code {
	if r.Watermark == nil {
		return jen.Null()
	}
	return jen.Qual(streamPath, "WatermarkDelay").Call(durationCode(r.WatermarkDelay))
}

// aggOperatorCode emits the aggregation operator over the checkpoint's
// state directory:
//
//	agg, err := aggregate.New[ActionCountsKey, ActionCountsState](
//		state.Sub(cp.Storage(), state.Dir(0, 0)),
//		aggregate.Config[ActionCountsKey]{…},
//	)
//
// or, for a session window, aggregate.NewSession with an
// aggregate.Session{Gap, Start: &k.WindowStart, End: s.WindowEnd, Merge:
// (*S).Merge} after the config. The runner is the same for both.
func aggOperatorCode(r *plan.Runnable, pl *ir.Pipeline) []jen.Code {
	a := r.Agg
	if a == nil {
		return nil
	}
	mode := map[ir.OutputMode]string{ir.Complete: "Complete", ir.Update: "Update"}[pl.Sink.OutputMode]
	if mode == "" {
		mode = "Append"
	}
	cfg := jen.Dict{
		jen.Id("Mode"):        jen.Qual(aggregatePath, mode),
		jen.Id("Watermark"):   jen.Lit(r.Watermark != nil),
		jen.Id("Fingerprint"): jen.Lit(stateFingerprint(a)),
		jen.Id("Retain"):      jen.Int64().Call(jen.Id("cp").Dot("MinBatchesToRetain").Call()),
	}
	if windowedKey(a) {
		cfg[jen.Id("WindowEnd")] = jen.Func().Params(jen.Id("k").Op("*").Id(a.Key)).Qual(timePath, "Time").Block(
			jen.Return(jen.Id("k").Dot(a.WindowEnd.GoName).Call()),
		)
	}
	args := []jen.Code{
		jen.Line().Qual(statePath, "Sub").Call(jen.Id("cp").Dot("Storage").Call(), jen.Qual(statePath, "Dir").Call(jen.Lit(0), jen.Lit(0))),
		jen.Line().Qual(aggregatePath, "Config").Types(jen.Id(a.Key)).Values(cfg),
	}
	newFn := "New"
	if a.SessionSet != "" {
		// aggregate.Session[K, S]{Gap: …, Start: …, End: …, Merge: (*S).Merge}
		newFn = "NewSession"
		args = append(args, jen.Line().Qual(aggregatePath, "Session").Types(jen.Id(a.Key), jen.Id(a.State)).Values(jen.Dict{
			jen.Id("Gap"): durationCode(a.IR.Window.Gap),
			jen.Id("Start"): jen.Func().Params(jen.Id("k").Op("*").Id(a.Key)).Op("*").Qual(timePath, "Time").Block(
				jen.Return(jen.Op("&").Id("k").Dot(a.WindowStart.GoName))),
			jen.Id("End"): jen.Func().Params(jen.Id("s").Op("*").Id(a.State)).Qual(timePath, "Time").Block(
				jen.Return(jen.Id("s").Dot(a.WindowEnd.GoName))),
			jen.Id("Merge"): jen.Parens(jen.Op("*").Id(a.State)).Dot("Merge"),
		}))
	}
	args = append(args, jen.Line())
	return []jen.Code{
		jen.List(jen.Id("agg"), jen.Err()).Op(":=").Qual(aggregatePath, newFn).Types(jen.Id(a.Key), jen.Id(a.State)).Call(args...),
		wrapErrClose(pl, kafkaCleanup(r), "state"),
	}
}

// aggRunnerCode emits the stream.Runner of an aggregation: the rows fold
// into the operator's state, then the output mode's results go to the
// sink.
//
//	run := func(ctx context.Context, b *stream.Batch) (stream.BatchResult, error) {
//		if err := agg.Begin(ctx, b); err != nil {…}
//		var maxEventTime time.Time
//		stats, err := src.Read(ctx, b.Start[0], b.End[0], func(r *Event, _ files.Origin) error {
//			in, ok := actionCountsRow(r)
//			…
//			if agg.Late(in.Time) { return nil }
//			if k, ok := ActionCountsKeyOf(&in); ok {
//				agg.State(k).Add(&in)
//			}
//			return nil
//		})
//		var rows []ActionCountsResult
//		progress, err := agg.Finish(ctx, func(k *ActionCountsKey, s *ActionCountsState) {
//			rows = append(rows, s.Result(k))
//		})
//		if err := sink.AddBatch(ctx, b.QueryID, b.ID, rows); err != nil {…}
//		return stream.BatchResult{…, MaxEventTime: maxEventTime, StateOperators: …}, nil
//	}
func aggRunnerCode(r *plan.Runnable, pl *ir.Pipeline) jen.Code {
	a := r.Agg
	fail := jen.Return(jen.Qual(streamPath, "BatchResult").Values(), jen.Err())
	in := jen.Id("r") // *RowOut
	var fold []jen.Code
	switch {
	case len(r.Steps) == 0:
	case hasMap(r):
		onErr := mapErrCode(pl)
		fold = append(fold,
			jen.List(jen.Id("row"), jen.Id("ok"), jen.Err()).Op(":=").Id(r.Row).Call(jen.Id("ctx"), jen.Id("r")),
			jen.If(jen.Err().Op("!=").Nil()).Block(onErr),
			jen.If(jen.Op("!").Id("ok")).Block(jen.Return(jen.Nil())),
		)
		in = jen.Op("&").Id("row")
	default:
		fold = append(fold,
			jen.List(jen.Id("row"), jen.Id("ok")).Op(":=").Id(r.Row).Call(jen.Id("r")),
			jen.If(jen.Op("!").Id("ok")).Block(jen.Return(jen.Nil())),
		)
		in = jen.Op("&").Id("row")
	}
	field := func(f *plan.Field) *jen.Statement {
		if len(r.Steps) == 0 {
			return jen.Id("r").Dot(f.GoName)
		}
		return jen.Id("row").Dot(f.GoName)
	}
	if w := r.Watermark; w != nil {
		t := field(w)
		track := []jen.Code{
			jen.If(jen.Id("t").Dot("After").Call(jen.Id("maxEventTime"))).Block(jen.Id("maxEventTime").Op("=").Id("t")),
			jen.If(jen.Id("agg").Dot("Late").Call(jen.Id("t"))).Block(jen.Return(jen.Nil())),
		}
		if w.Pointer {
			// A null event time is never late and moves nothing.
			fold = append(fold, jen.If(t.Clone().Op("!=").Nil()).Block(append([]jen.Code{jen.Id("t").Op(":=").Op("*").Add(t)}, track...)...))
		} else {
			fold = append(fold, jen.Id("t").Op(":=").Add(t))
			fold = append(fold, track...)
		}
	}
	if sliding(r) {
		fold = append(fold,
			jen.Id("keys").Op("=").Id(a.KeyOf).Call(jen.Id("keys").Index(jen.Empty(), jen.Lit(0)), in),
			jen.For(jen.List(jen.Id("_"), jen.Id("k")).Op(":=").Range().Id("keys")).Block(
				jen.Id("agg").Dot("State").Call(jen.Id("k")).Dot("Add").Call(in),
			),
		)
	} else {
		fold = append(fold, jen.If(jen.List(jen.Id("k"), jen.Id("ok")).Op(":=").Id(a.KeyOf).Call(in), jen.Id("ok")).Block(
			jen.Id("agg").Dot("State").Call(jen.Id("k")).Dot("Add").Call(in),
		))
	}
	fold = append(fold, jen.Return(jen.Nil()))
	origin := "_"
	if hasMap(r) && (pl.Source.OnMalformed == ir.Drop || pl.Source.Delta != nil) {
		origin = "o"
	}

	body := []jen.Code{
		jen.If(jen.Err().Op(":=").Id("agg").Dot("Begin").Call(jen.Id("ctx"), jen.Id("b")), jen.Err().Op("!=").Nil()).Block(fail),
	}
	if r.Watermark != nil {
		body = append(body, jen.Var().Id("maxEventTime").Qual(timePath, "Time"))
	}
	if sliding(r) {
		body = append(body, jen.Var().Id("keys").Index().Id(a.Key))
	}
	body = append(body,
		jen.List(jen.Id("stats"), jen.Err()).Op(":=").Id("src").Dot("Read").Call(
			jen.Id("ctx"), jen.Id("b").Dot("Start").Index(jen.Lit(0)), jen.Id("b").Dot("End").Index(jen.Lit(0)),
			jen.Func().Params(jen.Id("r").Op("*").Id(r.Source.GoName), jen.Id(origin).Add(originType(pl))).Error().Block(fold...),
		),
		jen.If(jen.Err().Op("!=").Nil()).Block(fail),
	)
	numOut := jen.Int64().Call(jen.Len(jen.Id("rows")))
	if streams(pl) {
		// The results go to the table in chunks as Finish hands them
		// over, so memory does not grow with the number of groups.
		numOut = jen.Id("out")
		body = append(body,
			jen.List(jen.Id("bw"), jen.Err()).Op(":=").Id("sink").Dot("BeginBatch").Call(jen.Id("ctx"), jen.Id("b").Dot("QueryID"), jen.Id("b").Dot("ID")),
			jen.If(jen.Err().Op("!=").Nil()).Block(fail),
			jen.Defer().Id("bw").Dot("Abort").Call(jen.Id("ctx")).Comment("a no-op after Commit"),
			jen.Id("rows").Op(":=").Make(jen.Index().Id(r.Output.GoName), jen.Lit(0), jen.Id(chunkRowsConst)),
			jen.Var().Id("out").Int64(),
			jen.Var().Id("werr").Error(),
			jen.Id("flush").Op(":=").Func().Params().Error().Block(
				jen.Id("out").Op("+=").Int64().Call(jen.Len(jen.Id("rows"))),
				jen.Err().Op(":=").Id("bw").Dot("Write").Call(jen.Id("ctx"), jen.Id("rows")),
				jen.Id("rows").Op("=").Id("rows").Index(jen.Empty(), jen.Lit(0)),
				jen.Return(jen.Err()),
			),
			jen.List(jen.Id("progress"), jen.Err()).Op(":=").Id("agg").Dot("Finish").Call(jen.Id("ctx"),
				jen.Func().Params(jen.Id("k").Op("*").Id(a.Key), jen.Id("s").Op("*").Id(a.State)).Block(
					jen.If(jen.Id("werr").Op("!=").Nil()).Block(jen.Return()),
					jen.Id("rows").Op("=").Append(jen.Id("rows"), jen.Id("s").Dot("Result").Call(jen.Id("k"))),
					jen.If(jen.Len(jen.Id("rows")).Op("==").Id(chunkRowsConst)).Block(jen.Id("werr").Op("=").Id("flush").Call()),
				)),
			jen.If(jen.Err().Op("==").Nil()).Block(jen.Err().Op("=").Id("werr")),
			jen.If(jen.Err().Op("==").Nil().Op("&&").Len(jen.Id("rows")).Op(">").Lit(0)).Block(jen.Err().Op("=").Id("flush").Call()),
			jen.If(jen.Err().Op("!=").Nil()).Block(fail),
			jen.If(jen.Err().Op(":=").Id("bw").Dot("Commit").Call(jen.Id("ctx")), jen.Err().Op("!=").Nil()).Block(fail),
		)
	} else {
		body = append(body,
			jen.Var().Id("rows").Index().Id(r.Output.GoName),
			jen.List(jen.Id("progress"), jen.Err()).Op(":=").Id("agg").Dot("Finish").Call(jen.Id("ctx"),
				jen.Func().Params(jen.Id("k").Op("*").Id(a.Key), jen.Id("s").Op("*").Id(a.State)).Block(
					jen.Id("rows").Op("=").Append(jen.Id("rows"), jen.Id("s").Dot("Result").Call(jen.Id("k"))),
				)),
			jen.If(jen.Err().Op("!=").Nil()).Block(fail),
			jen.If(jen.Err().Op(":=").Add(addBatchCall(r, pl)), jen.Err().Op("!=").Nil()).Block(fail),
		)
	}
	result := jen.Dict{
		jen.Id("NumInputRows"):   jen.Id("stats").Dot("Rows"),
		jen.Id("NumOutputRows"):  numOut,
		jen.Id("SourceMetrics"):  jen.Index().Map(jen.String()).String().Values(jen.Id("stats").Dot("Metrics").Call()),
		jen.Id("StateOperators"): jen.Index().Qual(streamPath, "StateOperatorProgress").Values(jen.Id("progress")),
	}
	if r.Watermark != nil {
		result[jen.Id("MaxEventTime")] = jen.Id("maxEventTime")
	}
	if pl.Sink.Kind == ir.SinkDelta || pl.Sink.Kind == ir.SinkKafka {
		result[jen.Id("SinkMetrics")] = jen.Id("sink").Dot("Metrics").Call()
	}
	body = append(body, jen.Return(jen.Qual(streamPath, "BatchResult").Values(result), jen.Nil()))
	return jen.Id("run").Op(":=").Func().Params(jen.Id("ctx").Qual(contextPath, "Context"), jen.Id("b").Op("*").Qual(streamPath, "Batch")).
		Params(jen.Qual(streamPath, "BatchResult"), jen.Error()).Block(body...)
}

// resultFuncs emits what an update-mode sink needs of a result: its
// delta.Row (Delta) or its key as a string (memory).
//
//	// actionCountsResultRow returns r as a delta.Row in the order of
//	// ActionCountsResultDeltaSchema.
//	func actionCountsResultRow(r *ActionCountsResult) delta.Row {
//		return delta.Row{string(r.Action), r.WindowStart, r.WindowEnd, r.Count}
//	}
func resultFuncs(r *plan.Runnable) []jen.Code {
	var out []jen.Code
	res := r.Output
	if r.ResultRow != "" {
		var body []jen.Code
		body = append(body, jen.Id("row").Op(":=").Make(jen.Qual(deltaPath, "Row"), jen.Lit(len(res.Fields))))
		for i, f := range res.Fields {
			v := jen.Id("r").Dot(f.GoName)
			conv := func(v jen.Code) jen.Code {
				if f.Type.Kind == plan.GoEnum {
					return jen.String().Call(v)
				}
				return v
			}
			if f.Pointer {
				body = append(body, jen.If(v.Clone().Op("!=").Nil()).Block(
					jen.Id("row").Index(jen.Lit(i)).Op("=").Add(conv(jen.Op("*").Add(v))),
				))
				continue
			}
			body = append(body, jen.Id("row").Index(jen.Lit(i)).Op("=").Add(conv(v)))
		}
		body = append(body, jen.Return(jen.Id("row")))
		out = append(out, jen.Add(doc(wrap(fmt.Sprintf("%s returns r as a delta.Row in the order of %s (null for a nil field).", r.ResultRow, res.DeltaSchemaFunc)))).Line().
			Func().Id(r.ResultRow).Params(jen.Id("r").Op("*").Id(res.GoName)).Qual(deltaPath, "Row").Block(body...))
	}
	if r.ResultKey != "" {
		vals := jen.Dict{}
		for _, k := range r.Agg.Keys {
			vals[jen.Id(k.Field.GoName)] = jen.Id("r").Dot(k.Field.GoName)
		}
		if keyHasStart(r.Agg) {
			vals[jen.Id(r.Agg.WindowStart.GoName)] = jen.Id("r").Dot(r.Agg.WindowStart.GoName)
		}
		out = append(out, jen.Add(doc(wrap(fmt.Sprintf("%s returns r's grouping key (keys and window) as a string: the key of the memory sink's update mode.", r.ResultKey)))).Line().
			Func().Id(r.ResultKey).Params(jen.Id("r").Op("*").Id(res.GoName)).String().Block(
			jen.Id("k").Op(":=").Id(r.Agg.Key).Values(vals),
			jen.Return(jen.String().Call(jen.Id("k").Dot("AppendBinary").Call(jen.Nil()))),
		))
	}
	return out
}

// sliding reports whether the aggregation's window is sliding: a row
// belongs to several windows (<P>KeysOf).
func sliding(r *plan.Runnable) bool {
	return r.Agg.IR.Window != nil && r.Agg.IR.Window.Kind == ir.Sliding
}

// outputMode is the sink's output mode, "append" by default.
func outputMode(pl *ir.Pipeline) string {
	if pl.Sink.OutputMode == "" {
		return string(ir.Append)
	}
	return string(pl.Sink.OutputMode)
}

// addBatchCall emits the call handing a batch's rows to the sink:
// sink.AddBatch(ctx, [b.QueryID,] b.ID, rows), or the foreachBatch
// function.
func addBatchCall(r *plan.Runnable, pl *ir.Pipeline) jen.Code {
	args := []jen.Code{jen.Id("ctx")}
	if pl.Sink.Kind == ir.SinkDelta {
		args = append(args, jen.Id("b").Dot("QueryID"))
	}
	args = append(args, jen.Id("b").Dot("ID"), jen.Id("rows"))
	if r.ForeachBatch != "" {
		return jen.Id(r.ForeachBatch).Call(args...)
	}
	return jen.Id("sink").Dot("AddBatch").Call(args...)
}

// mapErrCode emits what the runner does with a map function's error, by
// the source's onMalformed: drop logs it and drops the row, fail stops
// the query (quarantine is not planned for map errors).
func mapErrCode(pl *ir.Pipeline) jen.Code {
	if pl.Source.Delta != nil {
		if pl.Source.OnMalformed == ir.Drop {
			return jen.Id("logger").Dot("Warn").Call(jen.Lit("dropping a row whose map function failed"),
				jen.Lit("version"), jen.Id("o").Dot("Version"), jen.Lit("file"), jen.Id("o").Dot("Path"), jen.Lit("err"), jen.Err()).Line().
				Return(jen.Nil())
		}
		return jen.Return(jen.Qual(fmtPath, "Errorf").Call(jen.Lit("%s (version %d): %w"), jen.Id("o").Dot("Path"), jen.Id("o").Dot("Version"), jen.Err()))
	}
	if pl.Source.OnMalformed == ir.Drop && pl.Source.Kafka != nil {
		return jen.Id("logger").Dot("Warn").Call(jen.Lit("dropping a row whose map function failed"),
			jen.Lit("topic"), jen.Id("o").Dot("Topic"), jen.Lit("partition"), jen.Id("o").Dot("Partition"), jen.Lit("offset"), jen.Id("o").Dot("Offset"), jen.Lit("err"), jen.Err()).Line().
			Return(jen.Nil())
	}
	if pl.Source.OnMalformed == ir.Drop {
		return jen.Id("logger").Dot("Warn").Call(jen.Lit("dropping a row whose map function failed"),
			jen.Lit("file"), jen.Id("o").Dot("File"), jen.Lit("line"), jen.Id("o").Dot("Line"), jen.Lit("err"), jen.Err()).Line().
			Return(jen.Nil())
	}
	return jen.Return(jen.Err())
}

// originType is the type of the second parameter of the source's Read
// callback: files.Origin, or *kafka.Record for a Kafka source.
func originType(pl *ir.Pipeline) jen.Code {
	if pl.Source.Kafka != nil {
		return jen.Op("*").Qual(kafkaPath, "Record")
	}
	if pl.Source.Delta != nil {
		return jen.Qual(deltasrcPath, "Origin")
	}
	return jen.Qual(filesPath, "Origin")
}

// kafkaCleanup is what an error after the sink is made must do in a
// pipeline reading or writing Kafka: closeKafka() (nil otherwise).
func kafkaCleanup(r *plan.Runnable) jen.Code {
	if r.Kafka != nil {
		return jen.Id("closeKafka").Call()
	}
	return nil
}

// stringsLit emits []string{"a", "b"}.
func stringsLit(list []string) jen.Code {
	var items []jen.Code
	for _, s := range list {
		items = append(items, jen.Lit(s))
	}
	return jen.Index().String().Values(items...)
}

// assignJSON is a Kafka assign option as the runtime takes it:
// {"topicA":[0,1],"topicB":[2]}, topics and partitions sorted (as the IR
// keeps them).
func assignJSON(tps []ir.TopicPartitions) string {
	var b strings.Builder
	b.WriteString("{")
	for i, tp := range tps {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "%q:[", tp.Topic)
		for j, p := range tp.Partitions {
			if j > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "%d", p)
		}
		b.WriteString("]")
	}
	b.WriteString("}")
	return b.String()
}

// startingOffsetsJSON is per-partition starting offsets as the runtime
// takes them: {"topicA":{"0":23,"1":-1}}, sorted.
func startingOffsetsJSON(parts []ir.PartitionOffset) string {
	var b strings.Builder
	b.WriteString("{")
	for i, p := range parts {
		if i == 0 || parts[i-1].Topic != p.Topic {
			if i > 0 {
				b.WriteString("},")
			}
			fmt.Fprintf(&b, "%q:{", p.Topic)
		} else {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "\"%d\":%d", p.Partition, p.Offset)
	}
	if len(parts) > 0 {
		b.WriteString("}")
	}
	b.WriteString("}")
	return b.String()
}

// kafkaTopicsDoc names what a Kafka source reads, for doc comments.
func kafkaTopicsDoc(ks *ir.KafkaSource) string {
	switch {
	case len(ks.Subscribe) > 0:
		return "the topics cfg.Topics"
	case ks.SubscribePattern != "":
		return fmt.Sprintf("the topics matching %q (or cfg.Topics)", ks.SubscribePattern)
	}
	return fmt.Sprintf("the partitions %s (or the topics cfg.Topics)", assignJSON(ks.Assign))
}

// keyDoc says how the Kafka sink keys its records and which headers
// they carry, for doc comments.
func keyDoc(r *plan.Runnable) string {
	if r.Kafka == nil {
		return " without a key"
	}
	text := " without a key"
	if r.Kafka.SinkKey != "" {
		text = fmt.Sprintf(" keyed by their %s field (%s)", r.Kafka.KeyField.IR.Name, r.Kafka.SinkKey)
	}
	if r.Kafka.SinkHeaders != "" {
		names := make([]string, len(r.Kafka.Headers))
		for i, h := range r.Kafka.Headers {
			names[i] = h.Name
		}
		text += fmt.Sprintf(", with the headers %s (%s)", joinAnd(names), r.Kafka.SinkHeaders)
	}
	return text
}

// kafkaTLS emits the TLS configuration of a Kafka endpoint into the
// variable name, loaded with load (kafka.LoadTLS or kafkaconn.LoadTLS)
// from the spec's files, paths relative to the working directory:
//
//	srcTLS, err := kafka.LoadTLS("certs/ca.pem", "", "")
//	if err != nil {…}
//	srcTLS.ServerName = "broker.example.com"
func kafkaTLS(pl *ir.Pipeline, name string, load jen.Code, t *ir.KafkaTLS, role string, cleanup jen.Code) []jen.Code {
	out := []jen.Code{
		jen.List(jen.Id(name), jen.Err()).Op(":=").Add(load).Call(jen.Lit(t.CAFile), jen.Lit(t.CertFile), jen.Lit(t.KeyFile)),
		wrapErrClose(pl, cleanup, role+" TLS"),
	}
	if t.ServerName != "" {
		out = append(out, jen.Id(name).Dot("ServerName").Op("=").Lit(t.ServerName))
	}
	if t.InsecureSkipVerify {
		out = append(out, jen.Id(name).Dot("InsecureSkipVerify").Op("=").True())
	}
	return out
}

// secretCode emits the SASL password's secret: kafka.SecretFromEnv("X")
// or SecretFromFile("path") of pkg (the source's or kafkaconn).
func secretCode(pkg string, s *ir.KafkaSASL) jen.Code {
	if s.PasswordFile != "" {
		return jen.Qual(pkg, "SecretFromFile").Call(jen.Lit(s.PasswordFile))
	}
	return jen.Qual(pkg, "SecretFromEnv").Call(jen.Lit(s.PasswordEnv))
}

// kafkaSourceCode emits the Kafka source, every spec option mapped to
// its runtime option:
//
//	srcOpts := []kafka.Opt{
//		kafka.BootstrapServers(cfg.BootstrapServers...),
//		kafka.Subscribe(cfg.Topics...),
//		kafka.StartingOffsets("earliest"),
//		…
//	}
//	src, err := kafka.New[SensorReading](ctx, cp, 0, func() streamimpl.Decoder[SensorReading] {…}, srcOpts...)
func kafkaSourceCode(r *plan.Runnable, pl *ir.Pipeline) []jen.Code {
	ks := pl.Source.Kafka
	var out []jen.Code
	switch pl.Source.OnMalformed {
	case ir.Quarantine:
		base, name := jen.Id("env").Dot("CheckpointPath"), "quarantine"
		if pl.Sink.Kind == ir.SinkDelta {
			base, name = jen.Id("cfg").Dot("SinkPath"), "_quarantine"
		}
		out = append(out,
			jen.List(jen.Id("quarantineTable"), jen.Err()).Op(":=").Id("env").Dot("Quarantine").Call(jen.Id("ctx"), jen.Id("cfg").Dot("QuarantinePath"), base, jen.Lit(name)),
			jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
		)
	}
	k := func(name string, args ...jen.Code) jen.Code { return jen.Qual(kafkaPath, name).Call(args...) }
	opts := []jen.Code{k("BootstrapServers", jen.Id("cfg").Dot("BootstrapServers").Op("..."))}
	subscribe := k("Subscribe", jen.Id("cfg").Dot("Topics").Op("..."))
	if len(ks.Subscribe) > 0 {
		opts = append(opts, subscribe)
	}
	switch ks.StartingOffsets.Mode {
	case "earliest":
		opts = append(opts, k("StartingOffsets", jen.Lit("earliest")))
	case "partitions":
		opts = append(opts, k("StartingOffsets", rawString(startingOffsetsJSON(ks.StartingOffsets.Partitions))))
	}
	if t := ks.StartingTimestamp; !t.IsZero() {
		opts = append(opts, k("StartingTimestamp", jen.Qual(timePath, "Unix").Call(jen.Lit(int(t.Unix())), jen.Lit(t.Nanosecond())).Dot("UTC").Call()))
	}
	if ks.MaxOffsetsPerTrigger > 0 {
		opts = append(opts, k("MaxOffsetsPerTrigger", jen.Lit(int(ks.MaxOffsetsPerTrigger))))
	}
	if ks.MinOffsetsPerTrigger > 0 {
		opts = append(opts, k("MinOffsetsPerTrigger", jen.Lit(int(ks.MinOffsetsPerTrigger))))
		if ks.MaxTriggerDelay > 0 {
			opts = append(opts, k("MaxTriggerDelay", durationCode(ks.MaxTriggerDelay)))
		}
	}
	if !ks.FailOnDataLoss {
		opts = append(opts, k("FailOnDataLoss", jen.False()))
	}
	if ks.IncludeHeaders {
		opts = append(opts, k("IncludeHeaders", jen.True()))
	}
	if ks.CommitToGroup != "" {
		opts = append(opts, k("CommitToGroup", jen.Lit(ks.CommitToGroup)))
	}
	opts = append(opts, k("Logger", jen.Id("logger")))
	switch pl.Source.OnMalformed {
	case ir.Quarantine:
		opts = append(opts, k("OnMalformed", jen.Qual(kafkaPath, "QuarantineMalformed")), k("QuarantineTo", jen.Id("quarantineTable")))
	case ir.Drop:
		opts = append(opts, k("OnMalformed", jen.Qual(kafkaPath, "DropMalformed")))
	case ir.Fail:
		opts = append(opts, k("OnMalformed", jen.Qual(kafkaPath, "FailMalformed")))
	}
	items := make([]jen.Code, 0, len(opts)+1)
	for _, o := range opts {
		items = append(items, jen.Line().Add(o))
	}
	items = append(items, jen.Line())
	out = append(out, jen.Id("srcOpts").Op(":=").Index().Qual(kafkaPath, "Opt").Values(items...))
	if len(ks.Subscribe) == 0 {
		var spec jen.Code
		if ks.SubscribePattern != "" {
			spec = k("SubscribePattern", jen.Lit(ks.SubscribePattern))
		} else {
			spec = k("Assign", rawString(assignJSON(ks.Assign)))
		}
		out = append(out, jen.If(jen.Len(jen.Id("cfg").Dot("Topics")).Op(">").Lit(0)).Block(
			jen.Id("srcOpts").Op("=").Append(jen.Id("srcOpts"), subscribe),
		).Else().Block(
			jen.Id("srcOpts").Op("=").Append(jen.Id("srcOpts"), spec),
		))
	}
	if c := ks.Conn; c.TLS != nil || c.SASL != nil {
		var secure []jen.Code
		if c.TLS != nil {
			secure = append(secure, kafkaTLS(pl, "srcTLS", jen.Qual(kafkaPath, "LoadTLS"), c.TLS, "source", nil)...)
			secure = append(secure, jen.Id("srcOpts").Op("=").Append(jen.Id("srcOpts"), k("TLS", jen.Id("srcTLS"))))
		}
		if s := c.SASL; s != nil {
			secure = append(secure, jen.Id("srcOpts").Op("=").Append(jen.Id("srcOpts"), k("SASL", jen.Lit(s.Mechanism), jen.Lit(s.Username), secretCode(kafkaPath, s))))
		}
		out = append(out, jen.If(jen.Op("!").Id("cfg").Dot("KafkaPlaintext")).Block(secure...))
	}
	newDecoder := jen.Func().Params().Qual(streamimplPath, "Decoder").Types(jen.Id(r.Source.GoName)).Block(
		jen.Return(jen.Id("New" + r.Source.DecoderName).Call()),
	)
	out = append(out,
		jen.List(jen.Id("src"), jen.Err()).Op(":=").Qual(kafkaPath, "New").Types(jen.Id(r.Source.GoName)).Call(
			jen.Id("ctx"), jen.Id("cp"), jen.Lit(0), newDecoder, jen.Id("srcOpts").Op("..."),
		),
		wrapErr(pl, "source"),
	)
	return out
}

// kafkaSinkCode emits the Kafka sink:
//
//	sinkConn := kafkaconn.Conn{Brokers: cfg.SinkBootstrapServers}
//	sink, err := kafkasink.New[Out](ctx, kafkasink.Config[Out]{
//		Conn:  sinkConn,
//		Topic: cfg.SinkTopic,
//		Value: appendOutJSON, // the output record's generated encoder
//		Key:   outSinkKey,
//		…
//	})
func kafkaSinkCode(r *plan.Runnable, pl *ir.Pipeline) []jen.Code {
	kk := pl.Sink.Kafka
	cleanup := srcCleanup(pl)
	out := []jen.Code{
		jen.Id("sinkConn").Op(":=").Qual(kafkaconnPath, "Conn").Values(jen.Dict{jen.Id("Brokers"): jen.Id("cfg").Dot("SinkBootstrapServers")}),
	}
	if c := kk.Conn; c.TLS != nil || c.SASL != nil {
		var secure []jen.Code
		if c.TLS != nil {
			secure = append(secure, kafkaTLS(pl, "sinkTLS", jen.Qual(kafkaconnPath, "LoadTLS"), c.TLS, "sink", cleanup)...)
			secure = append(secure, jen.Id("sinkConn").Dot("TLS").Op("=").Id("sinkTLS"))
		}
		if s := c.SASL; s != nil {
			secure = append(secure, jen.Id("sinkConn").Dot("SASL").Op("=").Op("&").Qual(kafkaconnPath, "SASL").Values(jen.Dict{
				jen.Id("Mechanism"): jen.Lit(s.Mechanism),
				jen.Id("User"):      jen.Lit(s.Username),
				jen.Id("Password"):  secretCode(kafkaconnPath, s),
			}))
		}
		out = append(out, jen.If(jen.Op("!").Id("cfg").Dot("KafkaPlaintext")).Block(secure...))
	}
	t := outputType(r)
	conf := jen.Dict{
		jen.Id("Conn"):   jen.Id("sinkConn"),
		jen.Id("Topic"):  jen.Id("cfg").Dot("SinkTopic"),
		jen.Id("Value"):  jen.Id(EncodeFuncName(r.Output)),
		jen.Id("Logger"): jen.Id("logger"),
	}
	if r.Kafka.SinkKey != "" {
		conf[jen.Id("Key")] = jen.Id(r.Kafka.SinkKey)
	}
	if r.Kafka.SinkHeaders != "" {
		conf[jen.Id("Headers")] = jen.Id(r.Kafka.SinkHeaders)
	}
	if kk.ExactlyOnce {
		conf[jen.Id("ExactlyOnce")] = jen.True()
	}
	return append(out,
		jen.List(jen.Id("sink"), jen.Err()).Op(":=").Qual(kafkasinkPath, "New").Types(t.Clone()).Call(jen.Id("ctx"), jen.Qual(kafkasinkPath, "Config").Types(t.Clone()).Values(conf)),
		wrapErrClose(pl, cleanup, "sink %s", jen.Id("cfg").Dot("SinkTopic")),
	)
}

// kafkaFuncs emits the Kafka helpers of a pipeline: the closer of its
// clients and the sink's key and headers functions.
//
//	// sensorReadingsCloser closes the pipeline's Kafka clients …
//	type sensorReadingsCloser func()
//
//	// OnTerminated implements stream.ListenerTerminated: it calls f.
//	func (f sensorReadingsCloser) OnTerminated(stream.TerminatedEvent) { f() }
func kafkaFuncs(r *plan.Runnable) []jen.Code {
	k := r.Kafka
	if k == nil || k.Closer == "" {
		return nil // a Group closes its own clients
	}
	out := []jen.Code{
		jen.Add(doc(wrap(fmt.Sprintf("%s closes the pipeline's Kafka clients: %s calls it when building the query fails, and the query when it ends (it is a stream.ListenerTerminated).", k.Closer, r.New)))).Line().
			Type().Id(k.Closer).Func().Params().Line().Line().
			Comment("// OnTerminated implements stream.ListenerTerminated: it calls f.").Line().
			Func().Params(jen.Id("f").Id(k.Closer)).Id("OnTerminated").Params(jen.Qual(streamPath, "TerminatedEvent")).Block(jen.Id("f").Call()),
	}
	if k.SinkKey != "" {
		out = append(out, sinkKeyFunc(r))
	}
	if k.SinkHeaders != "" {
		out = append(out, sinkHeadersFunc(r))
	}
	return out
}

// sinkKeyFunc emits the Kafka sink's key function, the key field's text
// (appendText):
//
//	// kafkaSinkSinkKey appends the Kafka record key of r to dst: …
//	func kafkaSinkSinkKey(dst []byte, r *KafkaSinkRow) []byte {
//		return append(dst, r.Device...)
//	}
func sinkKeyFunc(r *plan.Runnable) jen.Code {
	k := r.Kafka
	f := k.KeyField
	var body []jen.Code
	if f.Pointer {
		body = append(body, jen.If(jen.Id("r").Dot(f.GoName).Op("==").Nil()).Block(jen.Return(jen.Id("dst"))))
	}
	enc, text := appendText(f, "dst")
	body = append(body, jen.Return(enc))
	null := ""
	if f.Pointer {
		null = " A null field gives an empty key (the sink never writes null keys)."
	}
	return jen.Add(doc(wrap(fmt.Sprintf("%s appends the Kafka record key of r to dst: its %s field as text, %s.%s", k.SinkKey, f.IR.Name, text, null)))).Line().
		Func().Id(k.SinkKey).Params(jen.Id("dst").Index().Byte(), jen.Id("r").Op("*").Add(outputType(r))).Index().Byte().Block(body...)
}

// sinkHeadersFunc emits the Kafka sink's headers function: each header's
// field as text (appendText, as the key), in name order, a header whose
// field is null left out, the values appended to one buffer (the sink
// copies them):
//
//	func kafkaSinkSinkHeaders(r *KafkaSinkRow) []kafkasink.Header {
//		hs := make([]kafkasink.Header, 0, 2)
//		var b []byte
//		var n int
//		if r.Site != nil {
//			b = append(b, *r.Site...)
//			hs = append(hs, kafkasink.Header{Key: "site", Value: b[n:]})
//			n = len(b)
//		}
//		b = append(b, string(r.Status)...)
//		hs = append(hs, kafkasink.Header{Key: "status", Value: b[n:]})
//		return hs
//	}
//
// A value b[n:] keeps its length when later headers grow b.
func sinkHeadersFunc(r *plan.Runnable) jen.Code {
	k := r.Kafka
	hs := k.Headers
	body := []jen.Code{
		jen.Id("hs").Op(":=").Make(jen.Index().Qual(kafkasinkPath, "Header"), jen.Lit(0), jen.Lit(len(hs))),
		jen.Var().Id("b").Index().Byte(),
	}
	if len(hs) > 1 {
		body = append(body, jen.Var().Id("n").Int())
	}
	var docs []string
	nullable := false
	for i, h := range hs {
		f := h.Field
		enc, text := appendText(f, "b")
		docs = append(docs, fmt.Sprintf("%s: the %s field, %s", h.Name, f.IR.Name, text))
		value := jen.Id("b")
		if len(hs) > 1 {
			value = jen.Id("b").Index(jen.Id("n"), jen.Empty())
		}
		stmts := []jen.Code{
			jen.Id("b").Op("=").Add(enc),
			jen.Id("hs").Op("=").Append(jen.Id("hs"), jen.Qual(kafkasinkPath, "Header").Values(
				jen.Id("Key").Op(":").Lit(h.Name), jen.Id("Value").Op(":").Add(value),
			)),
		}
		if i < len(hs)-1 {
			stmts = append(stmts, jen.Id("n").Op("=").Len(jen.Id("b")))
		}
		if f.Pointer {
			nullable = true
			body = append(body, jen.If(jen.Id("r").Dot(f.GoName).Op("!=").Nil()).Block(stmts...))
		} else {
			body = append(body, stmts...)
		}
	}
	body = append(body, jen.Return(jen.Id("hs")))
	text := fmt.Sprintf("%s returns the Kafka record headers of r, in name order, each a field as text (as the key): %s.", k.SinkHeaders, strings.Join(docs, "; "))
	if nullable {
		text += " A header whose field is null is left out."
	}
	text += " The values share one buffer, which the sink copies."
	return jen.Add(doc(wrap(text))).Line().
		Func().Id(k.SinkHeaders).Params(jen.Id("r").Op("*").Add(outputType(r))).Index().Qual(kafkasinkPath, "Header").Block(body...)
}

// appendText returns the expression appending the text of r's field f
// to the []byte variable dst, and says what the text is: a string or
// enum as its bytes, an integer in decimal, a number in its shortest form
// (strconv 'g'), a boolean true or false, a timestamp in RFC 3339, a date
// as YYYY-MM-DD. A pointer field is dereferenced: the caller checks it
// is not nil. The Kafka sink's key and headers are this text.
func appendText(f *plan.Field, dst string) (jen.Code, string) {
	v := jen.Id("r").Dot(f.GoName)
	recv := v // the receiver of a method call
	if f.Pointer {
		v = jen.Op("*").Add(v)
		recv = jen.Parens(v.Clone())
	}
	d := jen.Id(dst)
	switch f.Type.Kind {
	case plan.GoString:
		return jen.Append(d, v.Clone().Op("...")), "the string's bytes"
	case plan.GoEnum:
		return jen.Append(d, jen.String().Call(v.Clone()).Op("...")), "the enum value's bytes"
	case plan.GoInt32, plan.GoInt64:
		return jen.Qual(strconvPath, "AppendInt").Call(d, jen.Int64().Call(v.Clone()), jen.Lit(10)), "the integer in decimal"
	case plan.GoFloat64:
		return jen.Qual(strconvPath, "AppendFloat").Call(d, v.Clone(), jen.LitRune('g'), jen.Lit(-1), jen.Lit(64)), "the number's shortest decimal form (strconv 'g')"
	case plan.GoBool:
		return jen.Qual(strconvPath, "AppendBool").Call(d, v.Clone()), "true or false"
	case plan.GoTime:
		return recv.Clone().Dot("AppendFormat").Call(d, jen.Qual(timePath, "RFC3339Nano")), "the time in RFC 3339 (UTC)"
	case plan.GoDate:
		return recv.Clone().Dot("Time").Call().Dot("AppendFormat").Call(d, jen.Qual(timePath, "DateOnly")), "the date as YYYY-MM-DD"
	}
	panic(fmt.Sprintf("emit: kafka key or header field %s of kind %s has no text", f.GoName, f.Type.Kind))
}

// rawString emits s as a raw string literal when it can be one (JSON
// reads better without escaped quotes), else as an interpreted one.
func rawString(s string) jen.Code {
	if strings.ContainsAny(s, "`\r") {
		return jen.Lit(s)
	}
	return jen.Op("`" + s + "`")
}

// deltaSourceCode emits the Delta source, every spec option mapped to
// its deltasource.Config field:
//
//	srcStore, err := env.Store(ctx, "source", cfg.SourcePath)
//	…
//	src, err := deltasource.New[DeviceStatus](ctx, cp, 0, deltasource.Config[DeviceStatus]{
//		Table:             delta.Open(srcStore),
//		Schema:            DeviceStatusDeltaSchema(),
//		FromRow:           deviceStatusFromDeltaRow,
//		MaxFilesPerTrigger: 2,
//		StartingVersion:   new(int64(3)),
//		SkipChangeCommits: true,
//		Logger:            logger,
//	})
//
// MaxFilesPerTrigger is left out at its default (1000), so that
// maxBytesPerTrigger alone lifts the file cap, as in Spark.
func deltaSourceCode(r *plan.Runnable, pl *ir.Pipeline) []jen.Code {
	ds := pl.Source.Delta
	t := jen.Id(r.Source.GoName)
	conf := jen.Dict{
		jen.Id("Table"):   jen.Qual(deltaPath, "Open").Call(jen.Id("srcStore")),
		jen.Id("Schema"):  jen.Id(r.Source.DeltaSchemaFunc).Call(),
		jen.Id("FromRow"): jen.Id(r.Source.DeltaRowFunc),
		jen.Id("Logger"):  jen.Id("logger"),
	}
	if ds.MaxFilesPerTrigger > 0 && ds.MaxFilesPerTrigger != ir.DefaultDeltaMaxFiles {
		conf[jen.Id("MaxFilesPerTrigger")] = jen.Lit(ds.MaxFilesPerTrigger)
	}
	if ds.MaxBytesPerTrigger > 0 {
		conf[jen.Id("MaxBytesPerTrigger")] = jen.Lit(ds.MaxBytesPerTrigger)
	}
	switch {
	case ds.StartingLatest:
		conf[jen.Id("StartingLatest")] = jen.True()
	case ds.StartingVersion >= 0:
		conf[jen.Id("StartingVersion")] = jen.New(jen.Int64().Call(jen.Lit(int(ds.StartingVersion))))
	case !ds.StartingTimestamp.IsZero():
		ts := ds.StartingTimestamp
		conf[jen.Id("StartingTimestamp")] = jen.New(jen.Qual(timePath, "Unix").Call(jen.Lit(int(ts.Unix())), jen.Lit(ts.Nanosecond())).Dot("UTC").Call())
	}
	if ds.IgnoreDeletes {
		conf[jen.Id("IgnoreDeletes")] = jen.True()
	}
	if ds.IgnoreChanges {
		conf[jen.Id("IgnoreChanges")] = jen.True()
	}
	if ds.SkipChangeCommits {
		conf[jen.Id("SkipChangeCommits")] = jen.True()
	}
	return []jen.Code{
		jen.List(jen.Id("srcStore"), jen.Err()).Op(":=").Id("env").Dot("Store").Call(jen.Id("ctx"), jen.Lit("source"), jen.Id("cfg").Dot("SourcePath")),
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
		jen.List(jen.Id("src"), jen.Err()).Op(":=").Qual(deltasrcPath, "New").Types(t.Clone()).Call(
			jen.Id("ctx"), jen.Id("cp"), jen.Lit(0), jen.Qual(deltasrcPath, "Config").Types(t.Clone()).Values(conf),
		),
		wrapErr(pl, "source %s", jen.Id("cfg").Dot("SourcePath")),
	}
}

// deltaStartDoc says where a Delta source starts, for doc comments.
func deltaStartDoc(ds *ir.DeltaSource) string {
	switch {
	case ds.StartingLatest:
		return "the commits made after the query first starts"
	case ds.StartingVersion >= 0:
		return fmt.Sprintf("the changes from version %d on", ds.StartingVersion)
	case !ds.StartingTimestamp.IsZero():
		return "the changes from the first version committed at or after " + ds.StartingTimestamp.UTC().Format(time.RFC3339Nano)
	}
	return "the snapshot when the query first starts, then the files each new commit adds"
}

// deltaChangesDoc says what a Delta source does with commits that
// change existing data, for doc comments.
func deltaChangesDoc(ds *ir.DeltaSource) string {
	switch {
	case ds.SkipChangeCommits:
		return "Commits that remove or rewrite data (UPDATE, MERGE, DELETE, overwrite) are skipped (skipChangeCommits); OPTIMIZE is always skipped"
	case ds.IgnoreChanges:
		return "The files added by commits that rewrite data are read again (ignoreChanges: rows such a commit did not change are emitted again); OPTIMIZE is always skipped"
	case ds.IgnoreDeletes:
		return "Commits that only delete data are skipped (ignoreDeletes); a commit that rewrites data (UPDATE, MERGE) stops the query naming its version; OPTIMIZE is always skipped"
	}
	return "A commit that removes or rewrites data (UPDATE, MERGE, DELETE, overwrite) stops the query with an error naming its version (set ignoreDeletes, ignoreChanges or skipChangeCommits in the spec); OPTIMIZE is always skipped"
}
