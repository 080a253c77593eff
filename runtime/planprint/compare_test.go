package planprint

import (
	"strings"
	"testing"
	"time"

	"github.com/streamgen/streamgen/runtime/delta"
)

// compareCase is one rule: the recorded plan, the new plan and the table
// (each derived from basePlan and baseTable by an edit), and the exact
// verdict lines.
type compareCase struct {
	name string
	// old and cur edit basePlan (nil: unchanged); noOld means no record.
	old, cur func(p *Plan)
	noOld    bool
	// table edits baseTable; noTable means there is no table.
	table   func(st *delta.StructType)
	noTable bool
	rules   Rules
	want    []string
}

func runCompare(t *testing.T, cases []compareCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var old *Plan
			if !tc.noOld {
				old = clone(t, basePlan())
				if tc.old != nil {
					tc.old(old)
				}
			}
			cur := clone(t, basePlan())
			if tc.cur != nil {
				tc.cur(cur)
			}
			var table *delta.StructType
			if !tc.noTable {
				table = baseTable()
				if tc.table != nil {
					tc.table(table)
				}
			}
			v := tc.rules.Compare(old, cur, table)
			got := v.String()
			want := strings.Join(tc.want, "\n")
			if got != want {
				t.Errorf("verdict:\n%s\nwant:\n%s", got, want)
			}
			refused := false
			for _, l := range tc.want {
				refused = refused || strings.Contains(l, ": refused: ")
			}
			if v.Refused() != refused {
				t.Errorf("Refused() = %v, want %v", v.Refused(), refused)
			}
			if (v.Err() != nil) != refused {
				t.Errorf("Err() = %v", v.Err())
			}
		})
	}
}

func kafkaToFiles(p *Plan) {
	s := &p.Sources[0]
	s.Kind, s.Subscribe, s.Format, s.Path = SourceFiles, nil, "json", "/in/*.json"
	s.Options = map[string]string{"maxFilesPerTrigger": "10"}
}

func TestCompareSources(t *testing.T) {
	runCompare(t, []compareCase{
		{name: "identical"},
		{name: "positions only", cur: func(p *Plan) {
			p.Pos, p.Sources[0].Pos, p.Operators[0].Keys[0].Pos = at(3, 1), at(5, 1), at(40, 2)
		}},
		{name: "source added", cur: func(p *Plan) {
			p.Sources = append(p.Sources, Source{Kind: SourceFiles, Format: "json", Path: "/in/*.json", Schema: p.Sources[0].Schema, Pos: at(7, 5)})
		}, want: []string{
			"streamgen.yaml:7:5: source count: refused: 1 [kafka] → 2 [kafka, files]; the checkpoint records offsets per source, by position (Spark: the number of input sources cannot change). Way forward: start a new checkpoint (--checkpoint DIR), which reads the input afresh from the sources' starting offsets (write its output to a new table, or backfill the old one), or revert the change.",
		}},
		{name: "source removed", old: func(p *Plan) {
			p.Sources = append(p.Sources, Source{Kind: SourceRate, Schema: []Field{{Name: "value", Type: Long}}, Pos: at(7, 5)})
		}, want: []string{
			"streamgen.yaml:7:5: source count: refused: 2 [kafka, rate] → 1 [kafka]; the checkpoint records offsets per source, by position (Spark: the number of input sources cannot change). Way forward: start a new checkpoint (--checkpoint DIR), which reads the input afresh from the sources' starting offsets (write its output to a new table, or backfill the old one), or revert the change.",
		}},
		{name: "source kind", cur: kafkaToFiles, want: []string{
			"streamgen.yaml:4:5: source 0 kind: refused: kafka → files; the checkpoint's offsets of a kafka source mean nothing to a files source (Spark: the type of an input source cannot change). Way forward: start a new checkpoint (--checkpoint DIR), which reads the input afresh from the sources' starting offsets (write its output to a new table, or backfill the old one), or revert the change.",
		}},
		{name: "kafka topic added", cur: func(p *Plan) { p.Sources[0].Subscribe = []string{"readings", "readings-eu"} }, want: []string{
			"streamgen.yaml:4:5: source 0 subscription: refused: subscribe [readings] → subscribe [readings, readings-eu]; the checkpoint's offsets are of the old input (Spark: changes to subscribed topics or files are not allowed). Way forward: start a new checkpoint (--checkpoint DIR), which reads the input afresh from the sources' starting offsets (write its output to a new table, or backfill the old one), or revert the change.",
		}},
		{name: "kafka topics reordered", old: func(p *Plan) { p.Sources[0].Subscribe = []string{"b", "a"} },
			cur: func(p *Plan) { p.Sources[0].Subscribe = []string{"a", "b"} }},
		{name: "kafka subscribe to pattern", cur: func(p *Plan) {
			p.Sources[0].Subscribe, p.Sources[0].SubscribePattern = nil, "readings.*"
		}, want: []string{
			"streamgen.yaml:4:5: source 0 subscription: refused: subscribe [readings] → subscribePattern readings.*; the checkpoint's offsets are of the old input (Spark: changes to subscribed topics or files are not allowed). Way forward: start a new checkpoint (--checkpoint DIR), which reads the input afresh from the sources' starting offsets (write its output to a new table, or backfill the old one), or revert the change.",
		}},
		{name: "kafka assign partitions", old: func(p *Plan) {
			p.Sources[0].Subscribe, p.Sources[0].Assign = nil, []TopicPartitions{{Topic: "readings", Partitions: []int32{0, 1}}}
		}, cur: func(p *Plan) {
			p.Sources[0].Subscribe, p.Sources[0].Assign = nil, []TopicPartitions{{Topic: "readings", Partitions: []int32{1, 0, 2}}}
		}, want: []string{
			"streamgen.yaml:4:5: source 0 subscription: refused: assign [readings:0,1] → assign [readings:0,1,2]; the checkpoint's offsets are of the old input (Spark: changes to subscribed topics or files are not allowed). Way forward: start a new checkpoint (--checkpoint DIR), which reads the input afresh from the sources' starting offsets (write its output to a new table, or backfill the old one), or revert the change.",
		}},
		{name: "files path", old: kafkaToFiles, cur: func(p *Plan) { kafkaToFiles(p); p.Sources[0].Path = "/in2/*.json" }, want: []string{
			"streamgen.yaml:4:5: source 0 path: refused: /in/*.json → /in2/*.json; the checkpoint's offsets are of the old input (Spark: changes to subscribed topics or files are not allowed). Way forward: start a new checkpoint (--checkpoint DIR), which reads the input afresh from the sources' starting offsets (write its output to a new table, or backfill the old one), or revert the change.",
		}},
		{name: "files format", old: kafkaToFiles, cur: func(p *Plan) { kafkaToFiles(p); p.Sources[0].Format = "csv" }, want: []string{
			"streamgen.yaml:4:5: source 0 format: refused: json → csv; the checkpoint's offsets are of the old input (Spark: changes to subscribed topics or files are not allowed). Way forward: start a new checkpoint (--checkpoint DIR), which reads the input afresh from the sources' starting offsets (write its output to a new table, or backfill the old one), or revert the change.",
		}},
		{name: "delta source table", old: func(p *Plan) {
			p.Sources[0] = Source{Kind: SourceDelta, Path: "/data/readings", Schema: p.Sources[0].Schema, Pos: at(4, 5)}
		}, cur: func(p *Plan) {
			p.Sources[0] = Source{Kind: SourceDelta, Path: "/data/readings_v2", Schema: p.Sources[0].Schema, Pos: at(4, 5)}
		}, want: []string{
			"streamgen.yaml:4:5: source 0 table: refused: /data/readings → /data/readings_v2; the checkpoint's offsets are of the old input (Spark: changes to subscribed topics or files are not allowed). Way forward: start a new checkpoint (--checkpoint DIR), which reads the input afresh from the sources' starting offsets (write its output to a new table, or backfill the old one), or revert the change.",
		}},
		{name: "rate limit and starting offsets", cur: func(p *Plan) {
			p.Sources[0].Options["maxOffsetsPerTrigger"] = "5000"
			p.Sources[0].Options["startingOffsets"] = "latest"
			p.Sources[0].Options["failOnDataLoss"] = "false"
		}, want: []string{
			"streamgen.yaml:4:5: source 0 option failOnDataLoss: allowed: none → false; source options such as rate limits may change between restarts.",
			"streamgen.yaml:4:5: source 0 option maxOffsetsPerTrigger: allowed: 1000 → 5000; source options such as rate limits may change between restarts.",
			"streamgen.yaml:4:5: source 0 option startingOffsets: allowed: earliest → latest; a restarted query resumes from its checkpoint's offsets: starting options apply to a new checkpoint only.",
		}},
		{name: "source column added and changed", cur: func(p *Plan) {
			s := &p.Sources[0]
			s.Schema[3].Type = Long
			s.Schema = append(s.Schema, Field{Name: "humidity", Type: Double, Nullable: true, Pos: schemaAt(8)})
		}, want: []string{
			"schemas/reading.json:7:5: source 0 column temperature: allowed: double → long; rows read from now on are decoded with the new schema; input it rejects follows the onMalformed policy.",
			"schemas/reading.json:8:5: source 0 column humidity: allowed: none → double (nullable); rows read from now on are decoded with the new schema; input it rejects follows the onMalformed policy.",
		}},
		{name: "source column removed", cur: func(p *Plan) { p.Sources[0].Schema = p.Sources[0].Schema[:3] }, want: []string{
			"schemas/reading.json:7:5: source 0 column temperature: allowed: double → none; rows read from now on are decoded with the new schema; input it rejects follows the onMalformed policy.",
		}},
	})
}

func TestCompareSteps(t *testing.T) {
	runCompare(t, []compareCase{
		{name: "filter changed", cur: func(p *Plan) { p.Steps[0].Text = "temperature < 80" }, want: []string{
			"streamgen.yaml:9:7: step 0 (where): allowed: where temperature < 100 → where temperature < 80; filters, projections and map steps may change between restarts.",
		}},
		{name: "projection added", cur: func(p *Plan) {
			p.Steps = append([]Step{{Op: "select", Text: "device, time, temp as temperature", Pos: at(8, 7)}}, p.Steps...)
		}, want: []string{
			"streamgen.yaml:2:3: steps: allowed: [where temperature < 100; watermark time 10m] → [select device, time, temp as temperature; where temperature < 100; watermark time 10m]; filters, projections and map steps may change between restarts.",
		}},
		{name: "pipeline renamed, state layout follows", cur: func(p *Plan) {
			p.Pipeline = "device_counts_v2"
			p.Operators[0].StateFingerprint = "DeviceCountsV2Key/DeviceCountsV2State sha256:1111 v3"
		}, want: []string{
			"streamgen.yaml:2:3: pipeline name: allowed: device_counts → device_counts_v2; the checkpoint does not depend on the name.",
			"streamgen.yaml:11:5: state layout: refused: DeviceCountsKey/DeviceCountsState sha256:1111 v3 → DeviceCountsV2Key/DeviceCountsV2State sha256:1111 v3; the state store would refuse the checkpoint's state files, written for another key and state layout (a key, aggregate, result column or type name changed). Way forward: start a new checkpoint (--checkpoint DIR) to rebuild the state from the sources' starting offsets, writing to a new table or backfilling the old one (overwrite it from the new checkpoint's first run), or revert the change.",
		}},
	})
}

func TestCompareOperators(t *testing.T) {
	stateless := func(p *Plan) {
		p.Operators, p.OutputMode = nil, Append
		p.Sink.Schema = []Field{{Name: "device", Type: String, Pos: at(12, 14)}}
	}
	runCompare(t, []compareCase{
		{name: "grouping key added", noTable: true, cur: func(p *Plan) {
			o := &p.Operators[0]
			o.Keys = append(o.Keys, Field{Name: "site", Type: String, Nullable: true, Pos: at(12, 22)})
			o.StateFingerprint = "DeviceCountsKey/DeviceCountsState sha256:2222 v3"
		}, want: []string{
			"streamgen.yaml:12:14: grouping keys: refused: [device string] → [device string, site string (nullable)]; the state of the checkpoint is keyed by the old keys. Way forward: start a new checkpoint (--checkpoint DIR) to rebuild the state from the sources' starting offsets, writing to a new table or backfilling the old one (overwrite it from the new checkpoint's first run), or revert the change.",
		}},
		{name: "grouping key type", noTable: true, cur: func(p *Plan) {
			p.Operators[0].Keys[0].Type = Long
			p.Operators[0].StateFingerprint = "DeviceCountsKey/DeviceCountsState sha256:2222 v3"
		}, want: []string{
			"streamgen.yaml:12:14: grouping keys: refused: [device string] → [device long]; the state of the checkpoint is keyed by the old keys. Way forward: start a new checkpoint (--checkpoint DIR) to rebuild the state from the sources' starting offsets, writing to a new table or backfilling the old one (overwrite it from the new checkpoint's first run), or revert the change.",
		}},
		{name: "aggregate function", noTable: true, cur: func(p *Plan) {
			p.Operators[0].Aggregates[0] = Aggregate{Func: "count_distinct", Input: "site", Name: "n", Type: Long, Pos: at(15, 11)}
		}, want: []string{
			"streamgen.yaml:15:11: aggregate n: refused: count(*) as n long → count(distinct site) as n long; the state of the checkpoint holds the accumulators of the old aggregates. Way forward: start a new checkpoint (--checkpoint DIR) to rebuild the state from the sources' starting offsets, writing to a new table or backfilling the old one (overwrite it from the new checkpoint's first run), or revert the change.",
		}},
		{name: "aggregate added", noTable: true, cur: func(p *Plan) {
			o := &p.Operators[0]
			o.Aggregates = append(o.Aggregates, Aggregate{Func: "max", Input: "temperature", Name: "max_temp", Type: Double, Nullable: true, Pos: at(17, 11)})
		}, want: []string{
			"streamgen.yaml:17:11: aggregates: refused: [count(*) as n long, avg(temperature) as avg_temp double (nullable)] → [count(*) as n long, avg(temperature) as avg_temp double (nullable), max(temperature) as max_temp double (nullable)]; the state of the checkpoint holds the accumulators of the old aggregates. Way forward: start a new checkpoint (--checkpoint DIR) to rebuild the state from the sources' starting offsets, writing to a new table or backfilling the old one (overwrite it from the new checkpoint's first run), or revert the change.",
		}},
		{name: "aggregate renamed", noTable: true, cur: func(p *Plan) { p.Operators[0].Aggregates[1].Name = "mean_temp" }, want: []string{
			"streamgen.yaml:16:11: aggregate mean_temp: refused: avg(temperature) as avg_temp double (nullable) → avg(temperature) as mean_temp double (nullable); the state of the checkpoint holds the accumulators of the old aggregates. Way forward: start a new checkpoint (--checkpoint DIR) to rebuild the state from the sources' starting offsets, writing to a new table or backfilling the old one (overwrite it from the new checkpoint's first run), or revert the change.",
		}},
		{name: "window size", noTable: true, cur: func(p *Plan) { p.Operators[0].Window.Size = Duration(time.Hour) }, want: []string{
			"streamgen.yaml:13:9: window: refused: tumbling 10m over time → tumbling 1h over time; the state of the checkpoint is keyed by the old windows. Way forward: start a new checkpoint (--checkpoint DIR) to rebuild the state from the sources' starting offsets, writing to a new table or backfilling the old one (overwrite it from the new checkpoint's first run), or revert the change.",
		}},
		{name: "window kind", noTable: true, cur: func(p *Plan) {
			w := p.Operators[0].Window
			w.Kind, w.Slide = Sliding, Duration(5*time.Minute)
		}, want: []string{
			"streamgen.yaml:13:9: window: refused: tumbling 10m over time → sliding 10m every 5m over time; the state of the checkpoint is keyed by the old windows. Way forward: start a new checkpoint (--checkpoint DIR) to rebuild the state from the sources' starting offsets, writing to a new table or backfilling the old one (overwrite it from the new checkpoint's first run), or revert the change.",
		}},
		{name: "window removed", noTable: true, cur: func(p *Plan) { p.Operators[0].Window = nil }, want: []string{
			"streamgen.yaml:11:5: window: refused: tumbling 10m over time → none; the state of the checkpoint is keyed by the old windows. Way forward: start a new checkpoint (--checkpoint DIR) to rebuild the state from the sources' starting offsets, writing to a new table or backfilling the old one (overwrite it from the new checkpoint's first run), or revert the change.",
		}},
		{name: "session window gap and offset", noTable: true,
			old: func(p *Plan) {
				p.Operators[0].Window = &Window{Kind: Session, Column: "time", Gap: Duration(5 * time.Minute), Pos: at(13, 9)}
			},
			cur: func(p *Plan) {
				p.Operators[0].Window = &Window{Kind: Tumbling, Column: "time", Size: Duration(time.Hour), StartOffset: Duration(15 * time.Minute), Pos: at(13, 9)}
			}, want: []string{
				"streamgen.yaml:13:9: window: refused: session gap 5m over time → tumbling 1h over time offset 15m; the state of the checkpoint is keyed by the old windows. Way forward: start a new checkpoint (--checkpoint DIR) to rebuild the state from the sources' starting offsets, writing to a new table or backfilling the old one (overwrite it from the new checkpoint's first run), or revert the change.",
			}},
		{name: "watermark delay", cur: func(p *Plan) {
			p.Operators[0].Watermark.Delay = Duration(time.Hour)
			p.Steps[1].Text = "time 1h"
		}, want: []string{
			"streamgen.yaml:10:7: step 1 (watermark): allowed: watermark time 10m → watermark time 1h; filters, projections and map steps may change between restarts.",
			"streamgen.yaml:10:7: watermark delay: allowed: 10m → 1h; the checkpoint's watermark never moves back; the new delay applies from the next batch.",
		}},
		{name: "watermark column", noTable: true, cur: func(p *Plan) { p.Operators[0].Watermark.Column = "ingested" }, want: []string{
			"streamgen.yaml:10:7: watermark column: refused: time delay 10m → ingested delay 10m; the checkpoint's watermark, which evicts the state, was computed from the old column. Way forward: start a new checkpoint (--checkpoint DIR) to rebuild the state from the sources' starting offsets, writing to a new table or backfilling the old one (overwrite it from the new checkpoint's first run), or revert the change.",
		}},
		{name: "watermark removed", cur: func(p *Plan) { p.Operators[0].Watermark = nil; p.Steps = p.Steps[:1] }, want: []string{
			"streamgen.yaml:2:3: steps: allowed: [where temperature < 100; watermark time 10m] → [where temperature < 100]; filters, projections and map steps may change between restarts.",
			"streamgen.yaml:10:7: watermark: allowed: time delay 10m → none; state is no longer evicted and grows with every key.",
		}},
		{name: "state encoding upgraded", cur: func(p *Plan) {
			p.Operators[0].StateVersion = 4
			p.Operators[0].StateFingerprint = "DeviceCountsKey/DeviceCountsState sha256:1111 v4"
		}, want: []string{
			"streamgen.yaml:11:5: state encoding: refused: v3 → v4; the checkpoint's state is encoded with version 3, and this build decodes version 4 only. Way forward: run this checkpoint with the streamgen release that generated the running code, or start a new checkpoint (--checkpoint DIR) and backfill the table from it.",
		}},
		{name: "state encoding from a newer streamgen", old: func(p *Plan) {
			p.Operators[0].StateVersion = 4
			p.Operators[0].StateFingerprint = "DeviceCountsKey/DeviceCountsState sha256:1111 v4"
		}, want: []string{
			"streamgen.yaml:11:5: state encoding: refused: v4 → v3; the checkpoint's state is encoded with version 4, written by a newer streamgen; this build decodes version 3 only. Way forward: run this checkpoint with the streamgen release that generated the running code, or start a new checkpoint (--checkpoint DIR) and backfill the table from it.",
		}},
		{name: "state layout only", cur: func(p *Plan) {
			p.Operators[0].StateFingerprint = "DeviceCountsKey/DeviceCountsState sha256:3333 v3"
		}, want: []string{
			"streamgen.yaml:11:5: state layout: refused: DeviceCountsKey/DeviceCountsState sha256:1111 v3 → DeviceCountsKey/DeviceCountsState sha256:3333 v3; the state store would refuse the checkpoint's state files, written for another key and state layout (a key, aggregate, result column or type name changed). Way forward: start a new checkpoint (--checkpoint DIR) to rebuild the state from the sources' starting offsets, writing to a new table or backfilling the old one (overwrite it from the new checkpoint's first run), or revert the change.",
		}},
		{name: "operator added", noTable: true, old: stateless, want: []string{
			"streamgen.yaml:11:5: stateful operators: refused: 0 [] → 1 [aggregate]; the checkpoint holds state for the old operators only (Spark: stateful operations cannot be added or removed). Way forward: start a new checkpoint (--checkpoint DIR) to rebuild the state from the sources' starting offsets, writing to a new table or backfilling the old one (overwrite it from the new checkpoint's first run), or revert the change.",
			"streamgen.yaml:19:17: output mode: refused: append → update; the aggregation's state and the rows already written follow the old mode: rows would be written twice or never. Way forward: start a new checkpoint (--checkpoint DIR) to rebuild the state from the sources' starting offsets, writing to a new table or backfilling the old one (overwrite it from the new checkpoint's first run), or revert the change.",
			"streamgen.yaml:13:9: column window_start: allowed: none → timestamp; the table does not exist yet: the first commit creates it with the new schema.",
			"streamgen.yaml:13:9: column window_end: allowed: none → timestamp; the table does not exist yet: the first commit creates it with the new schema.",
			"streamgen.yaml:15:11: column n: allowed: none → long; the table does not exist yet: the first commit creates it with the new schema.",
			"streamgen.yaml:16:11: column avg_temp: allowed: none → double (nullable); the table does not exist yet: the first commit creates it with the new schema.",
		}},
		{name: "operator removed", noTable: true, cur: stateless, want: []string{
			"streamgen.yaml:11:5: stateful operators: refused: 1 [aggregate] → 0 []; the checkpoint holds state for the old operators only (Spark: stateful operations cannot be added or removed). Way forward: start a new checkpoint (--checkpoint DIR) to rebuild the state from the sources' starting offsets, writing to a new table or backfilling the old one (overwrite it from the new checkpoint's first run), or revert the change.",
			"streamgen.yaml:19:17: output mode: refused: update → append; the aggregation's state and the rows already written follow the old mode: rows would be written twice or never. Way forward: start a new checkpoint (--checkpoint DIR) to rebuild the state from the sources' starting offsets, writing to a new table or backfilling the old one (overwrite it from the new checkpoint's first run), or revert the change.",
			"streamgen.yaml:13:9: column window_start: allowed: timestamp → none; the table does not exist yet: the first commit creates it with the new schema.",
			"streamgen.yaml:13:9: column window_end: allowed: timestamp → none; the table does not exist yet: the first commit creates it with the new schema.",
			"streamgen.yaml:15:11: column n: allowed: long → none; the table does not exist yet: the first commit creates it with the new schema.",
			"streamgen.yaml:16:11: column avg_temp: allowed: double (nullable) → none; the table does not exist yet: the first commit creates it with the new schema.",
		}},
		{name: "output mode", noTable: true, cur: func(p *Plan) { p.OutputMode = Complete }, want: []string{
			"streamgen.yaml:19:17: output mode: refused: update → complete; the aggregation's state and the rows already written follow the old mode: rows would be written twice or never. Way forward: start a new checkpoint (--checkpoint DIR) to rebuild the state from the sources' starting offsets, writing to a new table or backfilling the old one (overwrite it from the new checkpoint's first run), or revert the change.",
		}},
		{name: "output mode without state", noTable: true, old: stateless, cur: func(p *Plan) { stateless(p); p.OutputMode = Update }, want: []string{
			"streamgen.yaml:19:17: output mode: allowed: append → update; a query without state writes each row once in any mode.",
		}},
	})
}

func TestCompareSink(t *testing.T) {
	toKafka := func(p *Plan) {
		p.Sink = Sink{Kind: SinkKafka, Schema: p.Sink.Schema, Options: map[string]string{"topic": "counts"}, Pos: at(18, 5)}
	}
	runCompare(t, []compareCase{
		{name: "delta to kafka", cur: toKafka, want: []string{
			"streamgen.yaml:18:5: sink kind: allowed: delta /data/counts → kafka topic counts; the new sink gets the rows of the batches from now on (Spark: a file sink may become a Kafka sink, a Kafka sink a foreach sink).",
		}},
		{name: "kafka to delta", old: toKafka, want: []string{
			"streamgen.yaml:18:5: sink kind: refused: kafka topic counts → delta /data/counts; the table would lack the rows of the batches before this restart (Spark: a Kafka sink cannot become a file sink). Way forward: start a new checkpoint (--checkpoint DIR) so the table gets every row, or revert the change.",
		}},
		{name: "kafka to foreachBatch", old: toKafka, cur: func(p *Plan) {
			p.Sink = Sink{Kind: SinkForeachBatch, Schema: p.Sink.Schema, Options: map[string]string{"func": "example.com/out.Write"}, Pos: at(18, 5)}
		}, want: []string{
			"streamgen.yaml:18:5: sink kind: allowed: kafka topic counts → foreachBatch; the new sink gets the rows of the batches from now on (Spark: a file sink may become a Kafka sink, a Kafka sink a foreach sink).",
		}},
		{name: "kafka topic", old: toKafka, cur: func(p *Plan) { toKafka(p); p.Sink.Options["topic"] = "counts-v2" }, want: []string{
			"streamgen.yaml:18:5: sink option topic: allowed: counts → counts-v2; sink options may change between restarts.",
		}},
		{name: "delta table location", cur: func(p *Plan) { p.Sink.Table = "/data/counts_v2" }, want: []string{
			"streamgen.yaml:18:5: sink table: refused: /data/counts → /data/counts_v2; the table at the new location would lack the rows of earlier batches (Spark: a file sink's output directory cannot change). Way forward: keep the old location, or copy the old table to the new one before restarting (backfill), or start a new checkpoint (--checkpoint DIR) so the new table gets every row.",
		}},
		{name: "partitionBy", cur: func(p *Plan) { p.Sink.PartitionBy = []string{"device"} }, want: []string{
			"streamgen.yaml:18:5: sink partitionBy: refused: [] → [device]; a Delta table's partition columns cannot change in place. Way forward: write to a new table (a new sink path) from a new checkpoint, or backfill: replace the table with one of the new shape and refill it from a new checkpoint.",
		}},
		{name: "sink options", cur: func(p *Plan) {
			p.Sink.Options["targetFileSize"] = "67108864"
			p.Sink.MergeSchema = false
		}, want: []string{
			"streamgen.yaml:18:5: sink option mergeSchema: allowed: true → false; sink options may change between restarts.",
			"streamgen.yaml:18:5: sink option targetFileSize: allowed: 134217728 → 67108864; sink options may change between restarts.",
		}},
	})
}

func TestCompareTable(t *testing.T) {
	addSite := func(nullable bool) func(p *Plan) {
		return func(p *Plan) {
			p.Sink.Schema = append(p.Sink.Schema, Field{Name: "site", Type: String, Nullable: nullable, Pos: at(12, 22)})
		}
	}
	setType := func(name string, tp Type) func(p *Plan) {
		return func(p *Plan) {
			_, i := field(p.Sink.Schema, name)
			p.Sink.Schema[i].Type = tp
		}
	}
	setTableType := func(name string, dt delta.DataType) func(st *delta.StructType) {
		return func(st *delta.StructType) {
			_, i := st.Field(name)
			st.Fields[i].Type = dt
		}
	}
	runCompare(t, []compareCase{
		{name: "nullable column added", cur: addSite(true), want: []string{
			"streamgen.yaml:12:22: column site: allowed with table evolution: none → string (nullable); the next commit adds the nullable column to the table's schema (mergeSchema); rows written before read it as null.",
		}},
		{name: "nullable column added without mergeSchema", cur: func(p *Plan) { addSite(true)(p); p.Sink.MergeSchema = false },
			old: func(p *Plan) { p.Sink.MergeSchema = false }, want: []string{
				"streamgen.yaml:12:22: column site: refused: none → string (nullable); the table lacks the column and the sink's mergeSchema is off. Way forward: set mergeSchema: true on the sink so the commit adds the column, or write to a new table (a new sink path) from a new checkpoint, or backfill: replace the table with one of the new shape and refill it from a new checkpoint.",
			}},
		{name: "required column added", cur: addSite(false), want: []string{
			"streamgen.yaml:12:22: column site: refused: none → string; the column is not nullable, and the rows already in the table have no value for it. Way forward: make the field nullable (optional in its schema) so rows written before read it as null, or write to a new table (a new sink path) from a new checkpoint, or backfill: replace the table with one of the new shape and refill it from a new checkpoint.",
		}},
		{name: "column removed", cur: func(p *Plan) { p.Sink.Schema = p.Sink.Schema[:4] }, want: []string{
			"streamgen.yaml:16:11: column avg_temp: refused: double (nullable) → none; the table has the column and streamgen's Delta writer writes every table column (it does not fill in nulls). Way forward: keep the column in the output, or write to a new table (a new sink path) from a new checkpoint, or backfill: replace the table with one of the new shape and refill it from a new checkpoint.",
		}},
		{name: "column removed from a table evolved before", old: addSite(true), table: func(st *delta.StructType) {
			st.Fields = append(st.Fields, delta.StructField{Name: "site", Type: delta.String, Nullable: true})
		}, want: []string{
			"streamgen.yaml:12:22: column site: refused: string (nullable) → none; the table has the column and streamgen's Delta writer writes every table column (it does not fill in nulls). Way forward: keep the column in the output, or write to a new table (a new sink path) from a new checkpoint, or backfill: replace the table with one of the new shape and refill it from a new checkpoint.",
		}},
		{name: "table evolved before, column kept", old: addSite(true), cur: addSite(true), table: func(st *delta.StructType) {
			st.Fields = append(st.Fields, delta.StructField{Name: "site", Type: delta.String, Nullable: true})
		}},
		{name: "column in another case", cur: func(p *Plan) { p.Sink.Schema[0].Name = "Device" }, want: []string{
			"streamgen.yaml:12:14: column Device: refused: device string → Device string; Delta column names are case-insensitive, and the table spells it device. Way forward: name the output column device as the table does, or write to a new table (a new sink path) from a new checkpoint, or backfill: replace the table with one of the new shape and refill it from a new checkpoint.",
		}},
		{name: "widening without typeWidening", table: setTableType("n", delta.Integer), want: []string{
			"streamgen.yaml:15:11: column n: refused: integer → long; widening integer to long needs Delta's typeWidening table feature, which streamgen's Delta writer does not support. Way forward: produce the table's type integer (convert in a select step), or write to a new table (a new sink path) from a new checkpoint, or backfill: replace the table with one of the new shape and refill it from a new checkpoint.",
		}},
		{name: "widening with typeWidening", rules: Rules{TypeWidening: true}, table: setTableType("n", delta.Integer), want: []string{
			"streamgen.yaml:15:11: column n: allowed with table evolution: integer → long; the next commit widens the column from integer to long (Delta type widening, mergeSchema).",
		}},
		{name: "widening with typeWidening, no mergeSchema", rules: Rules{TypeWidening: true}, table: setTableType("n", delta.Integer),
			cur: func(p *Plan) { p.Sink.MergeSchema = false }, want: []string{
				"streamgen.yaml:18:5: sink option mergeSchema: allowed: true → false; sink options may change between restarts.",
				"streamgen.yaml:15:11: column n: refused: integer → long; widening integer to long needs the sink's mergeSchema. Way forward: set mergeSchema: true on the sink, or produce the table's type integer (convert in a select step), or write to a new table (a new sink path) from a new checkpoint, or backfill: replace the table with one of the new shape and refill it from a new checkpoint.",
			}},
		{name: "manual widening with typeWidening", rules: Rules{TypeWidening: true}, table: setTableType("n", delta.Integer),
			cur: setType("n", Double), want: []string{
				"streamgen.yaml:15:11: column n: refused: integer → double; Delta widens integer to double only by an explicit ALTER TABLE, never by schema evolution. Way forward: run ALTER TABLE … ALTER COLUMN n TYPE double first, or produce the table's type integer (convert in a select step), or write to a new table (a new sink path) from a new checkpoint, or backfill: replace the table with one of the new shape and refill it from a new checkpoint.",
			}},
		{name: "narrowing", cur: setType("n", Integer), want: []string{
			"streamgen.yaml:15:11: column n: refused: long → integer; the output narrows the table's long to integer, and streamgen's Delta writer writes a column's exact type. Way forward: produce the table's type long (convert in a select step), or write to a new table (a new sink path) from a new checkpoint, or backfill: replace the table with one of the new shape and refill it from a new checkpoint.",
		}},
		{name: "incompatible type", cur: setType("device", Long), want: []string{
			"streamgen.yaml:12:14: column device: refused: string → long; a column's type cannot change from string to long. Way forward: produce the table's type string (convert in a select step), or write to a new table (a new sink path) from a new checkpoint, or backfill: replace the table with one of the new shape and refill it from a new checkpoint.",
		}},
		{name: "nested type", cur: setType("device", StructOf(Field{Name: "id", Type: String})), want: []string{
			"streamgen.yaml:12:14: column device: refused: string → struct<id:string>; a column's type cannot change from string to struct<id:string>. Way forward: produce the table's type string (convert in a select step), or write to a new table (a new sink path) from a new checkpoint, or backfill: replace the table with one of the new shape and refill it from a new checkpoint.",
		}},
		{name: "nullable into NOT NULL", cur: func(p *Plan) { p.Sink.Schema[3].Nullable = true }, want: []string{
			"streamgen.yaml:15:11: column n: refused: long → long (nullable); the table's column is NOT NULL, and the output may hold nulls. Way forward: make the output column required and not nullable, or drop the table's constraint (ALTER TABLE … ALTER COLUMN n DROP NOT NULL).",
		}},
		{name: "NOT NULL into nullable", cur: func(p *Plan) { p.Sink.Schema[4].Nullable = false }},
		{name: "no table yet", noTable: true, cur: func(p *Plan) { addSite(false)(p); p.Sink.Schema[3].Type = Integer }, want: []string{
			"streamgen.yaml:15:11: column n: allowed: long → integer; the table does not exist yet: the first commit creates it with the new schema.",
			"streamgen.yaml:12:22: column site: allowed: none → string; the table does not exist yet: the first commit creates it with the new schema.",
		}},
		{name: "new checkpoint on an existing table", noOld: true, cur: func(p *Plan) { addSite(true)(p); p.Sink.Schema[3].Type = Integer }, want: []string{
			"streamgen.yaml:15:11: column n: refused: long → integer; the output narrows the table's long to integer, and streamgen's Delta writer writes a column's exact type. Way forward: produce the table's type long (convert in a select step), or write to a new table (a new sink path) from a new checkpoint, or backfill: replace the table with one of the new shape and refill it from a new checkpoint.",
			"streamgen.yaml:12:22: column site: allowed with table evolution: none → string (nullable); the next commit adds the nullable column to the table's schema (mergeSchema); rows written before read it as null.",
		}},
		{name: "new checkpoint, no table", noOld: true, noTable: true, cur: addSite(false)},
	})
}

func TestWidening(t *testing.T) {
	tests := []struct {
		from, to Type
		want     widen
	}{
		{Byte, Short, widenAuto}, {Byte, Integer, widenAuto}, {Byte, Long, widenAuto},
		{Short, Integer, widenAuto}, {Short, Long, widenAuto}, {Integer, Long, widenAuto},
		{Float, Double, widenAuto}, {Date, TimestampNTZ, widenAuto},
		{Decimal(10, 2), Decimal(12, 2), widenAuto}, {Decimal(10, 1), Decimal(12, 3), widenAuto},
		{Byte, Double, widenManual}, {Short, Double, widenManual}, {Integer, Double, widenManual},
		{Byte, Decimal(3, 0), widenManual}, {Short, Decimal(5, 0), widenManual},
		{Integer, Decimal(10, 0), widenManual}, {Integer, Decimal(12, 2), widenManual}, {Long, Decimal(20, 0), widenManual},
		{Long, Integer, widenNone}, {Long, Double, widenNone}, {Integer, Float, widenNone},
		{Integer, Decimal(9, 0), widenNone}, {Integer, Decimal(11, 2), widenNone}, {Long, Decimal(19, 0), widenNone},
		{Decimal(10, 1), Decimal(11, 3), widenNone}, {Decimal(10, 2), Decimal(10, 1), widenNone},
		{Date, Timestamp, widenNone}, {Timestamp, TimestampNTZ, widenNone}, {Double, Float, widenNone},
		{String, Long, widenNone}, {Long, Long, widenNone},
		{ArrayOf(Integer, true), ArrayOf(Long, true), widenNone},
	}
	for _, tc := range tests {
		if got := widening(tc.from, tc.to); got != tc.want {
			t.Errorf("widening(%s, %s) = %d, want %d", tc.from, tc.to, got, tc.want)
		}
	}
}
