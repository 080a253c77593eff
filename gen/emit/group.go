package emit

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/streamgen/streamgen/gen/ir"
	"github.com/streamgen/streamgen/gen/plan"
)

// kafkagroupPath is the runtime of a Kafka source with consumerGroup.
const kafkagroupPath = "github.com/streamgen/streamgen/runtime/kafkagroup"

// isGroup reports whether the pipeline runs as a process of a Kafka
// consumer group (runtime/kafkagroup) rather than as a stream.Query.
func isGroup(r *plan.Runnable) bool { return r.Kafka != nil && r.Kafka.Group }

// groupType is the pipeline's runner: *kafkagroup.Group[Source, sink row].
func groupType(r *plan.Runnable) *jen.Statement {
	return jen.Op("*").Qual(kafkagroupPath, "Group").Types(jen.Id(r.Source.GoName), sinkType(r))
}

// groupConfigType emits the config of a consumer-group pipeline: no
// checkpoint (the table is the checkpoint), the group and query names.
func groupConfigType(r *plan.Runnable, pl *ir.Pipeline) jen.Code {
	ks := pl.Source.Kafka
	var fields []jen.Code
	field := func(text string, name string, typ jen.Code) {
		fields = append(fields, doc(wrap(text)), jen.Id(name).Add(typ))
	}
	field("BootstrapServers are the Kafka brokers the group's clients connect to first, host:port.", "BootstrapServers", jen.Index().String())
	topics := "Topics are the Kafka topics the group consumes (every partition, shared among the group's processes)."
	if len(ks.Subscribe) == 0 {
		topics = fmt.Sprintf("Topics, when set, are Kafka topics the group consumes (every partition, shared among the group's processes) instead of the spec's subscribePattern %q, which empty Topics means.", ks.SubscribePattern)
	}
	field(topics, "Topics", jen.Index().String())
	field("ConsumerGroup is the Kafka consumer group every process of the pipeline joins: the group's partitions are shared among them. Its offsets are never read back (the table holds them).", "ConsumerGroup", jen.String())
	field("QueryName names the pipeline in the table: each commit records, per Kafka partition, the last offset written under the txn appId \"<QueryName>-<topic>-<partition>\". Every process must use the same name; use a new one when the topic is re-created.", "QueryName", jen.String())
	field("SinkPath is the Delta table the rows are appended to, shared by every process of the group (a shared disk or an object store). It is the only checkpoint: no checkpoint directory is used.", "SinkPath", jen.String())
	if r.Kafka.Secure {
		field("KafkaPlaintext connects to the Kafka brokers without the spec's TLS and SASL settings, as to the embedded cluster of -kafka-embedded (runtime/kafkaembed).", "KafkaPlaintext", jen.Bool())
	}
	if quarantines(pl) {
		field(`QuarantinePath is the directory of the Delta table receiving the malformed Kafka records (values the decoder rejects, and tombstones), each once: each value as read, its origin kafka:<topic>/<partition>, its offset and the decoder's error (see runtime/quarantine); empty means "_quarantine" in SinkPath (Delta readers and VACUUM skip names starting with "_").`, "QuarantinePath", jen.String())
	}
	field("Trigger says when the process stops: default runs until Stop; available-now stops once the partitions it owns reach the end offsets they had at start; an interval such as 10s runs until Stop, each commit gathering records for up to the interval (at most 30s); once is refused (see kafkagroup.Config.ApplyTrigger).", "Trigger", jen.Qual(triggerPath, "Trigger"))
	field("Logger receives the process's logs; nil means slog.Default().", "Logger", jen.Op("*").Qual(slogPath, "Logger"))
	field("Listeners receive a stream.Progress per commit (stream.ListenerProgress) and the end of the run (stream.ListenerTerminated), such as a monitor.Metrics.", "Listeners", jen.Index().Qual(streamPath, "Listener"))
	return jen.Add(doc(wrap(fmt.Sprintf("%s is how %s runs one process of the %s pipeline's Kafka consumer group. %s returns the settings of the spec; paths are relative to the working directory.", r.Config, r.New, pl.Name, r.DefaultConfig)))).
		Line().Type().Id(r.Config).Struct(fields...)
}

// groupDefaultConfig emits the spec's settings of a consumer-group
// pipeline.
func groupDefaultConfig(r *plan.Runnable, pl *ir.Pipeline) jen.Code {
	ks := pl.Source.Kafka
	vals := jen.Dict{
		jen.Id("BootstrapServers"): stringsLit(ks.BootstrapServers),
		jen.Id("ConsumerGroup"):    jen.Lit(ks.ConsumerGroup),
		jen.Id("QueryName"):        jen.Lit(pl.Name),
		jen.Id("SinkPath"):         jen.Lit(pl.Sink.Delta.Path),
		jen.Id("Trigger"):          triggerCode(pl.Trigger),
	}
	if len(ks.Subscribe) > 0 {
		vals[jen.Id("Topics")] = stringsLit(ks.Subscribe)
	}
	return jen.Comment(fmt.Sprintf("// %s returns the settings of the spec.", r.DefaultConfig)).Line().
		Func().Id(r.DefaultConfig).Params().Id(r.Config).Block(
		jen.Return(jen.Id(r.Config).Values(vals)),
	)
}

// newGroup emits the constructor of a consumer-group pipeline:
//
//	func NewP(ctx context.Context, cfg PConfig) (*kafkagroup.Group[In, Out], error) {
//		env := &pipeline.Env{Name: "p", Logger: logger}
//		sinkStore, err := env.Store(ctx, "sink", cfg.SinkPath)
//		quarantineTable, err := env.Quarantine(ctx, cfg.QuarantinePath, cfg.SinkPath, "_quarantine")
//		conn := kafkaconn.Conn{Brokers: cfg.BootstrapServers}
//		client, err := conn.Opts()
//		gcfg := kafkagroup.Config[In, Out]{…}
//		if err := gcfg.ApplyTrigger(cfg.Trigger); err != nil {…}
//		return kafkagroup.New(ctx, gcfg)
//	}
func newGroup(r *plan.Runnable, pl *ir.Pipeline) jen.Code {
	ks := pl.Source.Kafka
	d := pl.Sink.Delta
	in, out := jen.Id(r.Source.GoName), sinkType(r)
	var body []jen.Code
	add := func(c ...jen.Code) { body = append(body, c...) }
	ifErr := jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err()))
	add(
		jen.Id("logger").Op(":=").Id("cfg").Dot("Logger"),
		jen.If(jen.Id("logger").Op("==").Nil()).Block(jen.Id("logger").Op("=").Qual(slogPath, "Default").Call()),
		jen.Comment("// No checkpoint: the table records each partition's last offset."),
		jen.Id("env").Op(":=").Op("&").Qual(pipelinePath, "Env").Values(jen.Dict{
			jen.Id("Name"):   jen.Lit(pl.Name),
			jen.Id("Logger"): jen.Id("logger"),
		}),
		jen.List(jen.Id("sinkStore"), jen.Err()).Op(":=").Id("env").Dot("Store").Call(jen.Id("ctx"), jen.Lit("sink"), jen.Id("cfg").Dot("SinkPath")),
		ifErr,
	)
	// No checkpoint to compare with: the plan is checked against the
	// table's schema only.
	add(checkPlanCode(r, pl))
	if quarantines(pl) {
		add(
			jen.List(jen.Id("quarantineTable"), jen.Err()).Op(":=").Id("env").Dot("Quarantine").Call(jen.Id("ctx"), jen.Id("cfg").Dot("QuarantinePath"), jen.Id("cfg").Dot("SinkPath"), jen.Lit("_quarantine")),
			ifErr,
		)
	}
	add(jen.Id("conn").Op(":=").Qual(kafkaconnPath, "Conn").Values(jen.Dict{jen.Id("Brokers"): jen.Id("cfg").Dot("BootstrapServers")}))
	if c := ks.Conn; c.TLS != nil || c.SASL != nil {
		var secure []jen.Code
		if c.TLS != nil {
			secure = append(secure, kafkaTLS(pl, "srcTLS", jen.Qual(kafkaconnPath, "LoadTLS"), c.TLS, "source", nil)...)
			secure = append(secure, jen.Id("conn").Dot("TLS").Op("=").Id("srcTLS"))
		}
		if s := c.SASL; s != nil {
			secure = append(secure, jen.Id("conn").Dot("SASL").Op("=").Op("&").Qual(kafkaconnPath, "SASL").Values(jen.Dict{
				jen.Id("Mechanism"): jen.Lit(s.Mechanism),
				jen.Id("User"):      jen.Lit(s.Username),
				jen.Id("Password"):  secretCode(kafkaconnPath, s),
			}))
		}
		add(jen.If(jen.Op("!").Id("cfg").Dot("KafkaPlaintext")).Block(secure...))
	}
	add(
		jen.List(jen.Id("client"), jen.Err()).Op(":=").Id("conn").Dot("Opts").Call(),
		wrapErr(pl, "source"),
	)
	vals := jen.Dict{
		jen.Id("Client"): jen.Id("client"),
		jen.Id("Topics"): jen.Id("cfg").Dot("Topics"),
		jen.Id("Group"):  jen.Id("cfg").Dot("ConsumerGroup"),
		jen.Id("Query"):  jen.Id("cfg").Dot("QueryName"),
		jen.Id("NewDecoder"): jen.Func().Params().Qual(streamimplPath, "Decoder").Types(in.Clone()).Block(
			jen.Return(jen.Id("New" + r.Source.DecoderName).Call()),
		),
		jen.Id("Process"):   processFunc(r, pl),
		jen.Id("Table"):     jen.Qual(deltaPath, "Open").Call(jen.Id("sinkStore")),
		jen.Id("Schema"):    jen.Id(r.Output.DeltaSchemaFunc).Call(),
		jen.Id("Logger"):    jen.Id("logger"),
		jen.Id("Listeners"): jen.Id("cfg").Dot("Listeners"),
	}
	switch pl.Source.OnMalformed {
	case ir.Quarantine:
		vals[jen.Id("OnMalformed")] = jen.Qual(kafkaPath, "QuarantineMalformed")
		vals[jen.Id("Quarantine")] = jen.Id("quarantineTable")
	case ir.Drop:
		vals[jen.Id("OnMalformed")] = jen.Qual(kafkaPath, "DropMalformed")
	case ir.Fail:
		vals[jen.Id("OnMalformed")] = jen.Qual(kafkaPath, "FailMalformed")
	}
	if r.SinkRow != "" {
		var cols []jen.Code
		for _, c := range d.PartitionBy {
			cols = append(cols, jen.Lit(c))
		}
		vals[jen.Id("PartitionColumns")] = jen.Index().String().Values(cols...)
		vals[jen.Id("PartitionValues")] = jen.Id(r.PartitionValues)
	}
	if d.TargetFileSize > 0 && d.TargetFileSize != ir.DefaultTargetFileSize {
		vals[jen.Id("Writer")] = jen.Qual(deltaPath, "WriterOptions").Values(jen.Dict{jen.Id("TargetFileSize"): jen.Lit(int(d.TargetFileSize))})
	}
	if ks.StartingOffsets.Mode == "earliest" {
		vals[jen.Id("StartingOffsets")] = jen.Qual(kafkagroupPath, "StartEarliest")
	}
	if ks.MaxOffsetsPerTrigger > 0 {
		vals[jen.Id("MaxRecords")] = jen.Lit(int(ks.MaxOffsetsPerTrigger))
	}
	if ks.CommitToGroup != "" {
		vals[jen.Id("CommitToGroup")] = jen.True()
	}
	if ks.FailOnDataLoss {
		vals[jen.Id("FailOnDataLoss")] = jen.True()
	}
	add(jen.Id("gcfg").Op(":=").Qual(kafkagroupPath, "Config").Types(in.Clone(), out.Clone()).Values(vals))
	if len(ks.Subscribe) == 0 {
		add(jen.If(jen.Len(jen.Id("cfg").Dot("Topics")).Op("==").Lit(0)).Block(
			jen.Id("gcfg").Dot("TopicPattern").Op("=").Lit(ks.SubscribePattern),
		))
	}
	add(
		jen.If(jen.Err().Op(":=").Id("gcfg").Dot("ApplyTrigger").Call(jen.Id("cfg").Dot("Trigger")), jen.Err().Op("!=").Nil()).Block(
			jen.Return(jen.Nil(), jen.Qual(fmtPath, "Errorf").Call(jen.Lit(pl.Name+": %w"), jen.Err())),
		),
		jen.List(jen.Id("g"), jen.Err()).Op(":=").Qual(kafkagroupPath, "New").Call(jen.Id("ctx"), jen.Id("gcfg")),
		wrapErr(pl, "sink %s", jen.Id("cfg").Dot("SinkPath")),
		jen.Return(jen.Id("g"), jen.Nil()),
	)
	text := fmt.Sprintf("%s returns one process of the %s pipeline's Kafka consumer group cfg.ConsumerGroup, not started: it shares %s from the Kafka brokers cfg.BootstrapServers with the group's other processes, decodes the values as %s", r.New, pl.Name, groupTopicsDoc(ks), r.Source.GoName)
	if len(r.Steps) > 0 {
		text += fmt.Sprintf(", applies the spec's steps (%s)", r.Row)
	}
	text += fmt.Sprintf(" and appends the %s rows to the Delta table at cfg.SinkPath, exactly once: each commit records, per partition, the last offset written (txn appId \"<cfg.QueryName>-<topic>-<partition>\"), where the partition's next owner resumes; the table is the only checkpoint (see runtime/kafkagroup).", r.Output.GoName)
	text += " Malformed records are " + map[ir.OnMalformed]string{
		ir.Quarantine: "appended once to the quarantine Delta table at cfg.QuarantinePath",
		ir.Drop:       "dropped (and counted)",
		ir.Fail:       "an error that stops the process",
	}[pl.Source.OnMalformed] + "."
	if ks.FailOnDataLoss {
		text += " Offsets deleted from Kafka before they were written stop the process with an error naming the topic, partition and offsets (failOnDataLoss)."
	} else {
		text += " Offsets deleted from Kafka before they were written are skipped with a warning and counted"
		if pl.Source.OnMalformed == ir.Quarantine {
			text += ", each range recorded in the quarantine table"
		}
		text += " (failOnDataLoss false)."
	}
	if hasMap(r) && pl.Source.OnMalformed != ir.Drop {
		text += " A map function's error stops the process."
	}
	text += " Start runs it (command.MainRunner runs it as a command.Runner); Stop ends it once the batch in hand is committed, leaving the group."
	return jen.Add(doc(wrap(text))).Line().
		Func().Id(r.New).Params(jen.Id("ctx").Qual(contextPath, "Context"), jen.Id("cfg").Id(r.Config)).
		Params(groupType(r), jen.Error()).Block(body...)
}

// processFunc emits kafkagroup.Config.Process: the pipeline's steps over
// one decoded record, emitting the row reaching the table (if any).
func processFunc(r *plan.Runnable, pl *ir.Pipeline) jen.Code {
	asSink := func(v jen.Code) jen.Code {
		if r.SinkRow != "" {
			return jen.Id(r.SinkRow).Call(v)
		}
		return v
	}
	origin := "_"
	var body []jen.Code
	switch {
	case len(r.Steps) == 0 && r.SinkRow == "":
		body = append(body, jen.Return(jen.Id("emit").Call(jen.Id("r"))))
	case len(r.Steps) == 0:
		body = append(body,
			jen.Id("row").Op(":=").Add(asSink(jen.Op("*").Id("r"))),
			jen.Return(jen.Id("emit").Call(jen.Op("&").Id("row"))),
		)
	case hasMap(r):
		if pl.Source.OnMalformed == ir.Drop {
			origin = "o"
		}
		body = append(body,
			jen.List(jen.Id("out"), jen.Id("ok"), jen.Err()).Op(":=").Id(r.Row).Call(jen.Id("mapCtx"), jen.Id("r")),
			jen.If(jen.Err().Op("!=").Nil()).Block(mapErrCode(pl)),
			jen.If(jen.Op("!").Id("ok")).Block(jen.Return(jen.Nil())),
			jen.Id("row").Op(":=").Add(asSink(jen.Id("out"))),
			jen.Return(jen.Id("emit").Call(jen.Op("&").Id("row"))),
		)
	default:
		body = append(body,
			jen.List(jen.Id("out"), jen.Id("ok")).Op(":=").Id(r.Row).Call(jen.Id("r")),
			jen.If(jen.Op("!").Id("ok")).Block(jen.Return(jen.Nil())),
			jen.Id("row").Op(":=").Add(asSink(jen.Id("out"))),
			jen.Return(jen.Id("emit").Call(jen.Op("&").Id("row"))),
		)
	}
	fn := jen.Func().Params(
		jen.Id("r").Op("*").Id(r.Source.GoName),
		jen.Id(origin).Op("*").Qual(kafkaPath, "Record"),
		jen.Id("emit").Func().Params(jen.Op("*").Add(sinkType(r))).Error(),
	).Error().Block(body...)
	if hasMap(r) {
		// A map function runs while the batch in hand is committed, after
		// a stop signal too: its context is never cancelled.
		return jen.Func().Params().Func().Params(
			jen.Op("*").Id(r.Source.GoName), jen.Op("*").Qual(kafkaPath, "Record"), jen.Func().Params(jen.Op("*").Add(sinkType(r))).Error(),
		).Error().Block(
			jen.Id("mapCtx").Op(":=").Qual(contextPath, "WithoutCancel").Call(jen.Id("ctx")),
			jen.Return(fn),
		).Call()
	}
	return fn
}

// groupTopicsDoc names what a consumer group reads, for doc comments.
func groupTopicsDoc(ks *ir.KafkaSource) string {
	if len(ks.Subscribe) > 0 {
		return "the partitions of the topics cfg.Topics"
	}
	return fmt.Sprintf("the partitions of the topics matching %q (or cfg.Topics)", ks.SubscribePattern)
}
