package planprint

import (
	"testing"
	"time"

	"github.com/streamgen/streamgen/runtime/delta"
)

// at is a position in the test spec.
func at(line, col int) Pos { return Pos{File: "streamgen.yaml", Line: line, Col: col} }

// schemaAt is a position in the test schema.
func schemaAt(line int) Pos { return Pos{File: "schemas/reading.json", Line: line, Col: 5} }

// basePlan is a windowed count of Kafka readings into a Delta table:
//
//	source: kafka readings → where temperature < 100 → watermark time 10m
//	→ groupBy device, tumbling 10m over time: count(*) as n, avg(temperature) as avg_temp
//	→ delta /data/counts, update mode, mergeSchema
func basePlan() *Plan {
	return &Plan{
		Version:  FormatVersion,
		Pipeline: "device_counts",
		Pos:      at(2, 3),
		Sources: []Source{{
			Kind:      SourceKafka,
			Subscribe: []string{"readings"},
			Schema: []Field{
				{Name: "device", Type: String, Pos: schemaAt(4)},
				{Name: "site", Type: String, Nullable: true, Pos: schemaAt(5)},
				{Name: "time", Type: Timestamp, Pos: schemaAt(6)},
				{Name: "temperature", Type: Double, Pos: schemaAt(7)},
			},
			Options: map[string]string{
				"bootstrapServers":     "localhost:9092",
				"maxOffsetsPerTrigger": "1000",
				"startingOffsets":      "earliest",
			},
			Pos: at(4, 5),
		}},
		Steps: []Step{
			{Op: "where", Text: "temperature < 100", Pos: at(9, 7)},
			{Op: "watermark", Text: "time 10m", Pos: at(10, 7)},
		},
		Operators: []Operator{{
			Kind:   OpAggregate,
			Keys:   []Field{{Name: "device", Type: String, Pos: at(12, 14)}},
			Window: &Window{Kind: Tumbling, Column: "time", Size: Duration(10 * time.Minute), Pos: at(13, 9)},
			Aggregates: []Aggregate{
				{Func: "count", Name: "n", Type: Long, Pos: at(15, 11)},
				{Func: "avg", Input: "temperature", Name: "avg_temp", Type: Double, Nullable: true, Pos: at(16, 11)},
			},
			Watermark:        &Watermark{Column: "time", Delay: Duration(10 * time.Minute), Pos: at(10, 7)},
			StateVersion:     3,
			StateFingerprint: "DeviceCountsKey/DeviceCountsState sha256:1111 v3",
			Pos:              at(11, 5),
		}},
		OutputMode:    Update,
		OutputModePos: at(19, 17),
		Sink: Sink{
			Kind:        SinkDelta,
			Table:       "/data/counts",
			MergeSchema: true,
			Schema: []Field{
				{Name: "device", Type: String, Pos: at(12, 14)},
				{Name: "window_start", Type: Timestamp, Pos: at(13, 9)},
				{Name: "window_end", Type: Timestamp, Pos: at(13, 9)},
				{Name: "n", Type: Long, Pos: at(15, 11)},
				{Name: "avg_temp", Type: Double, Nullable: true, Pos: at(16, 11)},
			},
			Options: map[string]string{"targetFileSize": "134217728"},
			Pos:     at(18, 5),
		},
	}
}

// clone deep-copies p through its record.
func clone(t *testing.T, p *Plan) *Plan {
	t.Helper()
	data, err := Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	q, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// baseTable is the table basePlan's sink wrote.
func baseTable() *delta.StructType { return DeltaSchema(basePlan().Sink.Schema) }
