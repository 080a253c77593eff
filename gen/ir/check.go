package ir

import (
	"fmt"
	"time"

	"github.com/streamgen/streamgen/gen/diag"
)

// Check validates the rules that span a whole pipeline or program, on
// pipelines built by BuildPipelines (which reports what is wrong within a
// single spec node: unknown fields, expression types, option conflicts).
// It returns every problem, sorted.
//
// The rules (Spark Structured Streaming's, checked before anything runs):
//   - pipeline names are unique;
//   - complete output mode needs an aggregation;
//   - append output mode with an aggregation needs a window and a
//     watermark on the window's column (so each window is emitted once,
//     when the watermark passes its end);
//   - a watermark after which no window uses its column has no effect on
//     an aggregation: its column must still exist at the groupBy;
//   - a session window supports append and complete only (Spark refuses
//     update mode for session windows, SPARK-36463: a session's rows
//     change key as sessions merge);
//   - a checkpoint is required unless the sink is memory or console;
//   - a Delta sink in update mode needs grouping keys or a window (rows
//     are merged by key);
//   - the sink path must differ from the source path and the checkpoint;
//   - a Kafka source with consumerGroup (runtime/kafkagroup) needs an
//     append-only, stateless pipeline into a Delta sink, subscribe or
//     subscribePattern, startingOffsets earliest or latest and no
//     checkpoint (see checkConsumerGroup).
func Check(p *Program) diag.List {
	var l diag.List
	seen := map[string]*Pipeline{}
	for _, pl := range p.Pipelines {
		if prev, dup := seen[pl.Name]; dup && pl.Name != "" {
			l.AddHint(pl.Pos, "name", "also the name of the pipeline in "+prev.Spec, "duplicate pipeline name %q", pl.Name)
		}
		seen[pl.Name] = pl
		l.Append(checkPipeline(pl))
	}
	l.Sort()
	return l
}

func checkPipeline(p *Pipeline) diag.List {
	var l diag.List
	if p.Sink == nil {
		return l
	}
	agg, wm, sink := p.Aggregation, p.Watermark, p.Sink
	modePath := "sink." + string(sink.Kind) + ".outputMode"
	switch sink.OutputMode {
	case Complete:
		if agg == nil {
			l.AddHint(sink.Pos, modePath, "use append, or add a groupBy step", "output mode complete needs an aggregation (groupBy)")
		}
	case Update:
		if agg != nil && agg.Window != nil && agg.Window.Kind == Session {
			l.AddHint(sink.ModePos, modePath, "use append (with a watermark) or complete",
				"output mode update is not supported with session windows (as in Spark, SPARK-36463)")
		}
	case Append:
		if agg == nil {
			break
		}
		switch {
		case agg.Window == nil:
			l.AddHint(sink.Pos, modePath, "use update or complete, or group by a window with a watermark on its column",
				"output mode append with an aggregation needs a window and a watermark: without them no group is ever final")
		case wm == nil:
			l.AddHint(agg.Window.Pos, groupByPath(agg)+".window", "add a step before the groupBy: - watermark: {column: "+agg.Window.Column+", delay: 10m}",
				"output mode append with an aggregation needs a watermark on the window column %q", agg.Window.Column)
		case wm.Column != agg.Window.Column:
			l.AddHint(wm.Pos, fmt.Sprintf("steps[%d].watermark", wm.Step), "watermark the window's column, or use update or complete",
				"output mode append needs the watermark on the window column %q, not %q", agg.Window.Column, wm.Column)
		}
	}
	if wm != nil && agg != nil && agg.In != nil && wm.In != nil && wm.In.Field(wm.Column) != nil && agg.In.Field(wm.Column) == nil {
		l.Add(wm.Pos, fmt.Sprintf("steps[%d].watermark", wm.Step), "watermark column %q is not in the rows the groupBy reads (record %s)", wm.Column, agg.In.Name)
	}
	group := p.Source != nil && p.Source.Kafka != nil && p.Source.Kafka.ConsumerGroup != ""
	if group {
		l.Append(checkConsumerGroup(p))
	}
	if p.Checkpoint == "" && sink.Kind != SinkMemory && sink.Kind != SinkConsole && !group {
		l.AddHint(p.Pos, "checkpoint", "add checkpoint: checkpoints/"+p.Name, "a %s sink needs a checkpoint directory", sink.Kind)
	}
	if sink.Kind == SinkDelta && sink.Delta != nil {
		if sink.OutputMode == Update && (agg == nil || len(agg.Keys) == 0 && agg.Window == nil) {
			l.AddHint(sink.Pos, modePath, "use append, or add a groupBy step", "output mode update on a Delta sink needs an aggregation: rows are merged by their keys")
		}
		path := sink.Delta.Path
		if src := p.Source; src != nil && src.Delta != nil && cleanPath(src.Delta.Path) == cleanPath(path) {
			l.Add(sink.Pos, "sink.delta.path", "the sink table %q is also the source table", path)
		}
		if p.Checkpoint != "" && (underDir(p.Checkpoint, path) || underDir(path, p.Checkpoint)) {
			l.Add(sink.Pos, "sink.delta.path", "the sink table %q and the checkpoint %q overlap", path, p.Checkpoint)
		}
	}
	return l
}

// checkConsumerGroup checks a pipeline whose Kafka source has
// consumerGroup: N processes share the topics through the group and
// append to one Delta table, which records each partition's last offset
// (a txn action) atomically with the rows and is the only checkpoint
// (runtime/kafkagroup). Every problem is reported at the consumerGroup
// key.
func checkConsumerGroup(p *Pipeline) diag.List {
	var l diag.List
	ks, sink := p.Source.Kafka, p.Sink
	pos, path := ks.ConsumerGroupPos, "source.kafka.consumerGroup"
	if !pos.IsValid() {
		pos = p.Source.Pos
	}
	add := func(hint, format string, args ...any) { l.AddHint(pos, path, hint, format, args...) }
	if len(ks.Assign) > 0 {
		add("use subscribe or subscribePattern with consumerGroup, or drop consumerGroup to read exactly these partitions in one checkpointed query",
			"consumerGroup with assign: the consumer group assigns the partitions to its processes itself")
	}
	if p.Aggregation != nil || p.Watermark != nil {
		what := "an aggregation"
		if p.Aggregation == nil {
			what = "a watermark"
		}
		add("drop consumerGroup to run the pipeline as one checkpointed query",
			"consumerGroup scales out append-only pipelines; %s needs all records of a key in one process: partition by key and use assign with one checkpointed query per partition range", what)
	}
	switch {
	case sink.Kind != SinkDelta:
		add("write to a Delta sink, or drop consumerGroup",
			"consumerGroup needs a Delta sink: the processes append to one Delta table, which records each partition's last offset with the rows (exactly once, no checkpoint); a %s sink cannot", sink.Kind)
	case sink.OutputMode != Append && sink.OutputMode != "":
		add("use outputMode: append, or drop consumerGroup",
			"consumerGroup appends only: output mode %s rewrites the table from state one process cannot hold", sink.OutputMode)
	}
	if sink.Kind == SinkDelta && sink.Delta != nil && sink.Delta.MergeSchema {
		add("drop mergeSchema, or drop consumerGroup", "consumerGroup does not support mergeSchema on the Delta sink")
	}
	if ks.StartingOffsets.Mode == "partitions" {
		add("use startingOffsets: earliest or latest; it applies to the partitions the table has no offset for, resolved once and recorded in the table",
			"consumerGroup with per-partition startingOffsets: a group member learns its partitions only when assigned")
	}
	if !ks.StartingTimestamp.IsZero() {
		add("use startingOffsets: earliest or latest", "consumerGroup does not support startingTimestamp")
	}
	if ks.MinOffsetsPerTrigger > 0 {
		add("drop minOffsetsPerTrigger: each commit gathers records for up to the trigger's interval (1s by default)",
			"consumerGroup does not support minOffsetsPerTrigger")
	}
	switch t := p.Trigger; {
	case t.Kind == TriggerOnce:
		add("use trigger availableNow: each process stops once its partitions reach the end offsets they had at start",
			"consumerGroup does not support trigger once: a process owns a changing set of partitions")
	case t.Kind == TriggerProcessingTime && t.Interval > MaxGroupTriggerInterval:
		add(fmt.Sprintf("use an interval of at most %s (rebalances wait for the batch in hand; the rebalance timeout is 60s)", MaxGroupTriggerInterval),
			"consumerGroup trigger interval %s is too long: it is how long each commit gathers records", t.Interval)
	}
	if p.Checkpoint != "" {
		add("remove checkpoint: the Delta table records each partition's offset and is the only checkpoint",
			"consumerGroup pipelines keep no checkpoint directory")
	}
	return l
}

// MaxGroupTriggerInterval is the longest processing-time trigger of a
// consumerGroup pipeline (runtime/kafkagroup.MaxTriggerInterval).
const MaxGroupTriggerInterval = 30 * time.Second

func cleanPath(s string) string {
	for len(s) > 2 && s[:2] == "./" {
		s = s[2:]
	}
	for len(s) > 1 && s[len(s)-1] == '/' {
		s = s[:len(s)-1]
	}
	return s
}

// groupByPath returns "steps[i].groupBy" for the aggregation.
func groupByPath(a *Aggregation) string { return fmt.Sprintf("steps[%d].groupBy", a.Step) }
