package deltasink_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/sink/deltasink"
)

// partReading is a reading partitioned by device: the partition column is
// not a Parquet column of the row.
type partReading struct {
	Device string `parquet:"-"`
	Status string `parquet:"status"`
}

const partSchema = `{"type":"struct","fields":[` +
	`{"name":"device","type":"string","nullable":true,"metadata":{}},` +
	`{"name":"status","type":"string","nullable":true,"metadata":{}}]}`

func deviceOf(r *partReading) map[string]*string { return map[string]*string{"device": &r.Device} }

// A partitioned append writes one file per partition, in Hive-style
// directories, with the partition values in the log.
func TestPartitionedAppend(t *testing.T) {
	table, dir := newTable(t)
	s, err := deltasink.New[partReading](table, mustSchema(t, partSchema),
		deltasink.PartitionBy([]string{"device"}, deviceOf), deltasink.Writer(fixedWriter), deltasink.Logger(discard))
	if err != nil {
		t.Fatal(err)
	}
	addBatch(t, s, 0, partReading{"Dev1", "ok"}, partReading{"Dev 2", "ok"}, partReading{"Dev1", "fail"})
	addBatch(t, s, 1, partReading{"Dev1", "ok"})
	snap, err := table.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := snap.Metadata.PartitionColumns; !cmp.Equal(got, []string{"device"}) {
		t.Errorf("partition columns %v", got)
	}
	var got []string
	for _, a := range snap.Files {
		got = append(got, uuidRE.ReplaceAllString(a.Path, "-UUID-c000")+" "+*a.PartitionValues["device"])
	}
	want := []string{
		"device=Dev%202/part-00001-UUID-c000.zstd.parquet Dev 2",
		"device=Dev1/part-00000-UUID-c000.zstd.parquet Dev1",
		"device=Dev1/part-00000-UUID-c000.zstd.parquet Dev1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	rows := sortRows([]delta.Row{{"Dev1", "ok"}, {"Dev 2", "ok"}, {"Dev1", "fail"}, {"Dev1", "ok"}})
	if diff := cmp.Diff(rows, tableRows(t, table)); diff != "" {
		t.Errorf("table rows (-want +got):\n%s", diff)
	}
	if n := len(parquetFiles(t, dir)); n != 3 {
		t.Errorf("%d data files, want 3", n)
	}
}

// An existing table whose schema or partitioning differs from the sink's
// is refused before anything is written, with every difference named.
func TestSchemaMismatch(t *testing.T) {
	const base = `{"type":"struct","fields":[` +
		`{"name":"device","type":"string","nullable":true,"metadata":{}},` +
		`{"name":"status","type":"string","nullable":true,"metadata":{}},` +
		`{"name":"n","type":"long","nullable":false,"metadata":{}}]}`
	type row struct {
		Status string `parquet:"status"`
	}
	tests := []struct {
		name   string
		schema string
		opts   []deltasink.Opt
		want   string
	}{{
		name: "type change and missing column",
		schema: `{"type":"struct","fields":[{"name":"device","type":"integer","nullable":true,"metadata":{}},` +
			`{"name":"status","type":"string","nullable":true,"metadata":{}}]}`,
		want: `schema mismatch: column "device" has type string in the table but integer in the sink's schema; ` +
			`column "n" (long) of the table is missing from the sink's schema`,
	}, {
		name: "new column without MergeSchema, case and nullability",
		schema: `{"type":"struct","fields":[{"name":"Device","type":"string","nullable":true,"metadata":{}},` +
			`{"name":"status","type":"string","nullable":true,"metadata":{}},` +
			`{"name":"n","type":"long","nullable":true,"metadata":{}},` +
			`{"name":"extra","type":"double","nullable":true,"metadata":{}}]}`,
		want: `schema mismatch: column "device" of the table is "Device" in the sink's schema (names differ in case); ` +
			`column "n" is not nullable in the table but nullable in the sink's schema; ` +
			`column "extra" (double) is not in the table's schema (MergeSchema is off)`,
	}, {
		name: "non-nullable new column",
		schema: `{"type":"struct","fields":[{"name":"device","type":"string","nullable":true,"metadata":{}},` +
			`{"name":"status","type":"string","nullable":true,"metadata":{}},` +
			`{"name":"n","type":"long","nullable":false,"metadata":{}},` +
			`{"name":"extra","type":"date","nullable":false,"metadata":{}}]}`,
		opts: []deltasink.Opt{deltasink.MergeSchema(true)},
		want: `schema mismatch: column "extra" (date) is not nullable: MergeSchema only adds nullable columns`,
	}, {
		name:   "partition columns",
		schema: base,
		opts: []deltasink.Opt{deltasink.PartitionBy([]string{"device"}, func(*row) map[string]*string {
			return map[string]*string{"device": nil}
		})},
		want: `the table is partitioned by no columns, the sink by [device]`,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			table, dir := newTable(t)
			tx, err := table.Begin(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			tx.SetMetadata(delta.Metadata{SchemaString: mustSchema(t, base).SchemaString()})
			if _, err := tx.Commit(context.Background()); err != nil {
				t.Fatal(err)
			}
			s, err := deltasink.New[row](table, mustSchema(t, tc.schema), append(tc.opts, deltasink.Logger(discard))...)
			if err != nil {
				t.Fatal(err)
			}
			err = s.AddBatch(context.Background(), queryID, 0, []row{{"ok"}})
			want := "deltasink: table " + table.Location() + ": batch 0: " + tc.want
			if err == nil || err.Error() != want {
				t.Errorf("AddBatch error\n got %v\nwant %s", err, want)
			}
			if hasCommit(dir, 1) || len(parquetFiles(t, dir)) != 0 {
				t.Error("a refused batch wrote something")
			}
		})
	}
}

// New refuses inconsistent options with precise messages.
func TestNewValidates(t *testing.T) {
	table, _ := newTable(t)
	loc := table.Location()
	schema := mustSchema(t, readingSchema)
	tests := []struct {
		opts []deltasink.Opt
		want string
	}{
		{[]deltasink.Opt{deltasink.OutputMode(deltasink.Update)}, "Update mode needs KeyColumns"},
		{[]deltasink.Opt{deltasink.OutputMode(deltasink.Update), deltasink.KeyColumns("device")}, "Update mode needs ToRow"},
		{[]deltasink.Opt{deltasink.OutputMode(deltasink.Update), deltasink.KeyColumns("nope"), deltasink.ToRow(readingRowP)},
			`key column "nope" is not in the sink's schema struct<device:string,status:string,ts:timestamp>`},
		{[]deltasink.Opt{deltasink.KeyColumns("device")}, "KeyColumns only applies to Update mode, not Append"},
		{[]deltasink.Opt{deltasink.PartitionBy[reading]([]string{"device"}, nil)}, `Append mode with PartitionBy(["device"]) needs the partition values function`},
		{[]deltasink.Opt{deltasink.PartitionBy([]string{"device"}, deviceOf)},
			"PartitionBy's values function is a func(*deltasink_test.partReading) map[string]*string, the sink's rows are deltasink_test.reading"},
		{[]deltasink.Opt{deltasink.OutputMode(deltasink.Mode(7))}, "unknown output mode Mode(7)"},
	}
	for _, tc := range tests {
		_, err := deltasink.New[reading](table, schema, tc.opts...)
		want := "deltasink: table " + loc + ": " + tc.want
		if err == nil || err.Error() != want {
			t.Errorf("New error\n got %v\nwant %s", err, want)
		}
	}
}

func readingRowP(r *reading) delta.Row { return readingRow(*r) }

// statusV1 and statusV2 are a row type before and after adding a
// nullable column.
type statusV1 struct {
	Device string `parquet:"device"`
	Status string `parquet:"status"`
}

type statusV2 struct {
	Device string  `parquet:"device"`
	Status string  `parquet:"status"`
	Note   *string `parquet:"note,optional"`
}

// MergeSchema appends a nullable column to the table's schema in the
// batch's commit; rows written before read it as null.
func TestMergeSchemaAddsNullableColumn(t *testing.T) {
	table, dir := newTable(t)
	v1, err := deltasink.New[statusV1](table, mustSchema(t, partSchema), deltasink.Writer(fixedWriter), deltasink.Logger(discard))
	if err != nil {
		t.Fatal(err)
	}
	addBatch(t, v1, 0, statusV1{"Dev1", "ok"})
	const v2Schema = `{"type":"struct","fields":[` +
		`{"name":"device","type":"string","nullable":true,"metadata":{}},` +
		`{"name":"note","type":"string","nullable":true,"metadata":{}},` +
		`{"name":"status","type":"string","nullable":true,"metadata":{}}]}`
	v2, err := deltasink.New[statusV2](table, mustSchema(t, v2Schema), deltasink.MergeSchema(true),
		deltasink.Writer(fixedWriter), deltasink.Logger(discard))
	if err != nil {
		t.Fatal(err)
	}
	note := "hello"
	addBatch(t, v2, 1, statusV2{"Dev2", "ok", &note}, statusV2{"Dev3", "fail", nil})
	// The table keeps its column order; the new column comes last.
	wantMeta := `{"metaData":{"id":"id-1","format":{"provider":"parquet","options":{}},"schemaString":"{\"type\":\"struct\",\"fields\":[` +
		`{\"name\":\"device\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}},` +
		`{\"name\":\"status\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}},` +
		`{\"name\":\"note\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}}]}",` +
		`"partitionColumns":[],"configuration":{},"createdTime":1767261600000}}`
	lines := strings.Split(commitLines(t, dir, 1), "\n")
	if len(lines) < 2 || lines[1] != wantMeta {
		t.Errorf("commit 1 line 2\n got %s\nwant %s", lines[1], wantMeta)
	}
	want := sortRows([]delta.Row{{"Dev1", "ok", nil}, {"Dev2", "ok", "hello"}, {"Dev3", "fail", nil}})
	if diff := cmp.Diff(want, tableRows(t, table)); diff != "" {
		t.Errorf("table rows (-want +got):\n%s", diff)
	}
	// The old row type still writes to the merged table only if it has
	// every column: it lacks note, so it is refused.
	err = v1.AddBatch(context.Background(), queryID, 2, []statusV1{{"Dev4", "ok"}})
	wantErr := "deltasink: table " + table.Location() + `: batch 2: schema mismatch: column "note" (string) of the table is missing from the sink's schema`
	if err == nil || err.Error() != wantErr {
		t.Errorf("old sink after the merge\n got %v\nwant %s", err, wantErr)
	}
}
