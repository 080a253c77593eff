package ir

import (
	"os"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/streamgen/streamgen/gen/diag"
	"github.com/streamgen/streamgen/gen/load"
)

// buildFS loads the root schema files of fsys (every file not starting
// with "_" when roots is empty) and builds their records, returning the
// diagnostics of both stages as printed lines.
func buildFS(t *testing.T, fsys fstest.MapFS, roots ...string) ([]*Record, []string) {
	t.Helper()
	if len(roots) == 0 {
		for name := range fsys {
			if !strings.HasPrefix(name[strings.LastIndexByte(name, '/')+1:], "_") {
				roots = append(roots, name)
			}
		}
		sort.Strings(roots)
	}
	var srcs []load.SchemaSource
	for _, r := range roots {
		srcs = append(srcs, load.SchemaSource{Name: r})
	}
	files, diags := load.LoadSchemas(fsys, srcs)
	recs, more := BuildRecords(files)
	diags.Append(more)
	diags.Sort()
	return recs, lines(diags)
}

func lines(l diag.List) []string {
	var out []string
	for _, d := range l {
		out = append(out, d.String())
	}
	return out
}

func mapFS(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for name, src := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(src)}
	}
	return fsys
}

// ignorePos leaves positions out of record comparisons (TestPositions
// checks them).
var ignorePos = cmpopts.IgnoreFields(Record{}, "Pos")
var ignoreFieldPos = cmpopts.IgnoreFields(Field{}, "Pos")

// refByID compares references by name and the referenced record's ID
// (the records themselves are compared at the top level).
var refByID = cmp.Comparer(func(a, b *Ref) bool {
	return a.Name == b.Name && a.Record != nil && b.Record != nil && a.Record.ID == b.Record.ID
})

// checkRefsShared checks that every reference points at one of the
// returned records, by identity.
func checkRefsShared(t *testing.T, recs []*Record) {
	t.Helper()
	in := map[*Record]bool{}
	for _, r := range recs {
		in[r] = true
	}
	var check func(where string, ty Type)
	check = func(where string, ty Type) {
		switch ty := ty.(type) {
		case *Ref:
			if !in[ty.Record] || ty.Record.Name != ty.Name {
				t.Errorf("%s: reference to %s (%p) is not a returned record", where, ty.Name, ty.Record)
			}
		case *List:
			check(where, ty.Elem)
		}
	}
	for _, r := range recs {
		for _, f := range r.Fields {
			check(r.Name+"."+f.Name, f.Type)
		}
	}
}

func i64(v int64) *int64 { return &v }

func str() Type { return &Scalar{Kind: String} }

func TestBuildRecordsShipped(t *testing.T) {
	fsys := os.DirFS("../../schemas")
	var srcs []load.SchemaSource
	for _, name := range []string{"device_status.json", "event.json", "sensor_reading.json"} {
		srcs = append(srcs, load.SchemaSource{Name: name, Display: "schemas/" + name})
	}
	files, diags := load.LoadSchemas(fsys, srcs)
	recs, more := BuildRecords(files)
	diags.Append(more)
	if len(diags) != 0 {
		t.Fatal(diags)
	}
	pos := func(file string, line, col int) diag.Pos {
		return diag.Pos{File: "schemas/" + file, Line: line, Col: col}
	}
	want := []*Record{
		{
			Name: "DeviceStatus", ID: "schemas/device_status.json#", Source: "schemas/device_status.json", Pos: pos("device_status.json", 1, 1),
			Doc: `The status a device reports, one JSON object per line: {"device":"Dev1","status":"ok"}.`,
			Fields: []*Field{
				{Name: "device", Doc: `Name of the reporting device, such as "Dev1".`, Type: str(), Required: true, Pos: pos("device_status.json", 7, 5)},
				{Name: "status", Doc: `Status the device reports, such as "ok" (free text: devices may report values not known in advance).`, Type: str(), Required: true, Pos: pos("device_status.json", 11, 5)},
			},
		},
		{
			Name: "Event", ID: "schemas/event.json#", Source: "schemas/event.json", Pos: pos("event.json", 1, 1),
			Doc: `A door event from the Databricks structured-streaming sample: {"time":1469501675,"action":"Open"}.`,
			Fields: []*Field{
				{Name: "time", Doc: "When the event happened, in seconds since the Unix epoch (UTC).", Type: &Timestamp{Unit: EpochSeconds}, Required: true, Pos: pos("event.json", 7, 5)},
				{Name: "action", Doc: "What happened: the door was opened or closed.", Type: &Enum{Values: []string{"Open", "Close"}}, Required: true, Pos: pos("event.json", 12, 5)},
			},
		},
		{
			Name: "SensorReading", ID: "schemas/sensor_reading.json#", Source: "schemas/sensor_reading.json", Pos: pos("sensor_reading.json", 1, 1),
			Doc: "One temperature reading published to the Kafka topic sensor-readings.",
			Fields: []*Field{
				{Name: "device_id", Doc: "Identifier of the sensor that took the reading.", Type: str(), Required: true, Pos: pos("sensor_reading.json", 7, 5)},
				{Name: "temperature", Doc: "Measured temperature in degrees Celsius.", Type: &Scalar{Kind: Float64}, Required: true, Pos: pos("sensor_reading.json", 11, 5)},
				{Name: "timestamp", Doc: `When the reading was taken, an RFC 3339 date-time such as "2024-05-01T12:00:00Z".`, Type: &Timestamp{Unit: RFC3339}, Required: true, Pos: pos("sensor_reading.json", 15, 5)},
			},
		},
	}
	if diff := cmp.Diff(want, recs); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestBuildRecordsFeatures(t *testing.T) {
	location := &Record{Name: "Location", ID: "common.json#/$defs/Location", Source: "common.json", Fields: []*Field{
		{Name: "lat", Type: &Scalar{Kind: Float64}, Required: true},
		{Name: "lon", Type: &Scalar{Kind: Float64}, Required: true},
	}}
	tests := []struct {
		name  string
		files map[string]string
		want  []*Record
	}{{
		name: "scalars, required, descriptions, file order, name from file",
		files: map[string]string{"sensor_reading.json": `{
			"type": "object", "description": "A reading.",
			"properties": {
				"s": {"type": "string", "description": "a string"},
				"i": {"type": "integer"},
				"n": {"type": "number"},
				"b": {"type": "boolean"}
			},
			"required": ["i", "s"]}`},
		want: []*Record{{Name: "SensorReading", ID: "sensor_reading.json#", Source: "sensor_reading.json", Doc: "A reading.", Fields: []*Field{
			{Name: "s", Doc: "a string", Type: str(), Required: true},
			{Name: "i", Type: &Scalar{Kind: Int64}, Required: true},
			{Name: "n", Type: &Scalar{Kind: Float64}},
			{Name: "b", Type: &Scalar{Kind: Bool}},
		}}},
	}, {
		name: "nullable",
		files: map[string]string{"n.json": `{"title": "N", "type": "object", "properties": {
			"a": {"type": ["string", "null"]},
			"b": {"type": ["null", "integer"]},
			"c": {"anyOf": [{"type": "null"}, {"type": "boolean"}], "description": "either"},
			"d": {"anyOf": [{"$ref": "#/$defs/Kind", "description": "the kind"}, {"type": "null"}]}
			}, "$defs": {"Kind": {"type": "string", "enum": ["x", "y"]}}}`},
		want: []*Record{{Name: "N", ID: "n.json#", Source: "n.json", Fields: []*Field{
			{Name: "a", Type: str(), Nullable: true},
			{Name: "b", Type: &Scalar{Kind: Int64}, Nullable: true},
			{Name: "c", Doc: "either", Type: &Scalar{Kind: Bool}, Nullable: true},
			{Name: "d", Doc: "the kind", Type: &Enum{Values: []string{"x", "y"}}, Nullable: true},
		}}},
	}, {
		name: "enums",
		files: map[string]string{"e.json": `{"title": "E", "type": "object", "properties": {
			"a": {"type": "string", "enum": ["Open", "Close"]},
			"b": {"enum": ["in-progress", "done"]},
			"c": {"type": ["string", "null"], "enum": ["x", null]},
			"d": {"enum": ["y", null]}
			}}`},
		want: []*Record{{Name: "E", ID: "e.json#", Source: "e.json", Fields: []*Field{
			{Name: "a", Type: &Enum{Values: []string{"Open", "Close"}}},
			{Name: "b", Type: &Enum{Values: []string{"in-progress", "done"}}},
			{Name: "c", Type: &Enum{Values: []string{"x"}}, Nullable: true},
			{Name: "d", Type: &Enum{Values: []string{"y"}}, Nullable: true},
		}}},
	}, {
		name: "formats and epoch timestamps",
		files: map[string]string{"f.json": `{"title": "F", "type": "object", "properties": {
			"ts": {"type": "string", "format": "date-time"},
			"day": {"type": "string", "format": "date"},
			"id": {"type": "string", "format": "uuid"},
			"mail": {"type": "string", "format": "email"},
			"web": {"type": "string", "format": "uri"},
			"host": {"type": "string", "format": "hostname"},
			"v4": {"type": "string", "format": "ipv4"},
			"v6": {"type": "string", "format": "ipv6"},
			"sec": {"type": "integer", "x-streamgen-timestamp": "epoch-seconds"},
			"ms": {"type": ["integer", "null"], "x-streamgen-timestamp": "epoch-millis"}
			}}`},
		want: []*Record{{Name: "F", ID: "f.json#", Source: "f.json", Fields: []*Field{
			{Name: "ts", Type: &Timestamp{Unit: RFC3339}},
			{Name: "day", Type: &Date{}},
			{Name: "id", Type: &Scalar{Kind: UUID}},
			{Name: "mail", Type: str()},
			{Name: "web", Type: str()},
			{Name: "host", Type: str()},
			{Name: "v4", Type: str()},
			{Name: "v6", Type: str()},
			{Name: "sec", Type: &Timestamp{Unit: EpochSeconds}},
			{Name: "ms", Type: &Timestamp{Unit: EpochMillis}, Nullable: true},
		}}},
	}, {
		name: "integer bounds",
		files: map[string]string{"i.json": `{"title": "I", "type": "object", "properties": {
			"pct": {"type": "integer", "minimum": 0, "maximum": 100},
			"i32": {"type": "integer", "minimum": -2147483648, "maximum": 2147483647},
			"over": {"type": "integer", "minimum": 0, "maximum": 2147483648},
			"excl": {"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 10},
			"frac": {"type": "integer", "minimum": -1.5, "maximum": 9.9},
			"lo": {"type": "integer", "minimum": 1},
			"both": {"type": "integer", "minimum": 5, "exclusiveMinimum": 7, "maximum": 1e2},
			"huge": {"type": "integer", "minimum": -1e300, "maximum": 1e300}
			}}`},
		want: []*Record{{Name: "I", ID: "i.json#", Source: "i.json", Fields: []*Field{
			{Name: "pct", Type: &Scalar{Kind: Int32, Min: i64(0), Max: i64(100)}},
			{Name: "i32", Type: &Scalar{Kind: Int32, Min: i64(-2147483648), Max: i64(2147483647)}},
			{Name: "over", Type: &Scalar{Kind: Int64, Min: i64(0), Max: i64(2147483648)}},
			{Name: "excl", Type: &Scalar{Kind: Int32, Min: i64(1), Max: i64(9)}},
			{Name: "frac", Type: &Scalar{Kind: Int32, Min: i64(-1), Max: i64(9)}},
			{Name: "lo", Type: &Scalar{Kind: Int64, Min: i64(1)}},
			{Name: "both", Type: &Scalar{Kind: Int32, Min: i64(8), Max: i64(100)}},
			{Name: "huge", Type: &Scalar{Kind: Int64}},
		}}},
	}, {
		name: "arrays, nested objects, additionalProperties, annotations",
		files: map[string]string{"batch.json": `{
			"$schema": "https://json-schema.org/draft/2020-12/schema",
			"$id": "https://example.com/batch.json",
			"$comment": "annotations are accepted",
			"title": "Batch", "type": "object", "additionalProperties": false,
			"properties": {
				"tags": {"type": "array", "items": {"type": "string"}, "examples": [["a"]], "default": []},
				"scores": {"type": ["array", "null"], "items": {"type": ["integer", "null"]}},
				"grid": {"type": "array", "items": {"type": "array", "items": {"type": "number"}}},
				"readings": {"type": "array", "items": {"type": "object", "description": "one reading",
					"properties": {"v": {"type": "number"}}, "required": ["v"]}},
				"origin": {"type": "object", "additionalProperties": true,
					"properties": {"x": {"type": "integer"}}},
				"meta": {"type": "object", "title": "batch meta",
					"properties": {"origin": {"type": "object", "properties": {"y": {"type": "string"}}}}}
			}}`},
		want: []*Record{
			{Name: "Batch", ID: "https://example.com/batch.json#", Source: "batch.json", Closed: true, Fields: []*Field{
				{Name: "tags", Type: &List{Elem: str()}},
				{Name: "scores", Type: &List{Elem: &Scalar{Kind: Int64}, ElemNullable: true}, Nullable: true},
				{Name: "grid", Type: &List{Elem: &List{Elem: &Scalar{Kind: Float64}}}},
				{Name: "readings", Type: &List{Elem: &Ref{Name: "BatchReadings", Record: &Record{
					Name: "BatchReadings", ID: "https://example.com/batch.json#/properties/readings/items", Source: "batch.json", Doc: "one reading",
					Fields: []*Field{{Name: "v", Type: &Scalar{Kind: Float64}, Required: true}}}}}},
				{Name: "origin", Type: &Ref{Name: "BatchOrigin", Record: &Record{
					Name: "BatchOrigin", ID: "https://example.com/batch.json#/properties/origin", Source: "batch.json",
					Fields: []*Field{{Name: "x", Type: &Scalar{Kind: Int64}}}}}},
				{Name: "meta", Type: &Ref{Name: "BatchMeta", Record: &Record{
					Name: "BatchMeta", ID: "https://example.com/batch.json#/properties/meta", Source: "batch.json",
					Fields: []*Field{{Name: "origin", Type: &Ref{Name: "BatchMetaOrigin", Record: &Record{
						Name: "BatchMetaOrigin", ID: "https://example.com/batch.json#/properties/meta/properties/origin", Source: "batch.json",
						Fields: []*Field{{Name: "y", Type: str()}}}}}}}}},
			}},
			{Name: "BatchMeta", ID: "https://example.com/batch.json#/properties/meta", Source: "batch.json",
				Fields: []*Field{{Name: "origin", Type: &Ref{Name: "BatchMetaOrigin", Record: &Record{
					Name: "BatchMetaOrigin", ID: "https://example.com/batch.json#/properties/meta/properties/origin", Source: "batch.json",
					Fields: []*Field{{Name: "y", Type: str()}}}}}}},
			{Name: "BatchMetaOrigin", ID: "https://example.com/batch.json#/properties/meta/properties/origin", Source: "batch.json",
				Fields: []*Field{{Name: "y", Type: str()}}},
			{Name: "BatchOrigin", ID: "https://example.com/batch.json#/properties/origin", Source: "batch.json",
				Fields: []*Field{{Name: "x", Type: &Scalar{Kind: Int64}}}},
			{Name: "BatchReadings", ID: "https://example.com/batch.json#/properties/readings/items", Source: "batch.json", Doc: "one reading",
				Fields: []*Field{{Name: "v", Type: &Scalar{Kind: Float64}, Required: true}}},
		},
	}, {
		name: "$ref and $defs: shared record, unused defs left out, ref to a scalar def",
		files: map[string]string{"order.json": `{"title": "Order", "type": "object", "properties": {
				"ship": {"$ref": "#/$defs/address", "description": "where to"},
				"bill": {"$ref": "#/$defs/address"},
				"state": {"$ref": "#/$defs/State"},
				"lines": {"type": "array", "items": {"$ref": "#/$defs/Line"}}
			},
			"$defs": {
				"address": {"type": "object", "properties": {"city": {"type": "string"}}},
				"State": {"type": "string", "enum": ["new", "paid"]},
				"Line": {"type": "object", "title": "OrderLine", "properties": {"sku": {"type": "string"}}},
				"Unused": {"type": "object", "properties": {"x": {"type": "string"}}}
			}}`},
		want: func() []*Record {
			addr := &Record{Name: "Address", ID: "order.json#/$defs/address", Source: "order.json", Fields: []*Field{{Name: "city", Type: str()}}}
			line := &Record{Name: "OrderLine", ID: "order.json#/$defs/Line", Source: "order.json", Fields: []*Field{{Name: "sku", Type: str()}}}
			return []*Record{addr, {Name: "Order", ID: "order.json#", Source: "order.json", Fields: []*Field{
				{Name: "ship", Doc: "where to", Type: &Ref{Name: "Address", Record: addr}},
				{Name: "bill", Type: &Ref{Name: "Address", Record: addr}},
				{Name: "state", Type: &Enum{Values: []string{"new", "paid"}}},
				{Name: "lines", Type: &List{Elem: &Ref{Name: "OrderLine", Record: line}}},
			}}, line}
		}(),
	}, {
		name: "cross-file $ref, relative paths, a file loaded only for its $defs",
		files: map[string]string{
			"schemas/site.json": `{"title": "Site", "type": "object", "properties": {
				"at": {"$ref": "_common.json#/$defs/Location"},
				"backup": {"$ref": "sub/_backup.json"}}}`,
			"schemas/_common.json":     `{"$defs": {"Location": {"type": "object", "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}}, "required": ["lat", "lon"]}}}`,
			"schemas/sub/_backup.json": `{"type": "object", "properties": {"at": {"$ref": "../_common.json#/$defs/Location"}}}`,
		},
		want: func() []*Record {
			loc := *location
			loc.ID, loc.Source = "schemas/_common.json#/$defs/Location", "schemas/_common.json"
			return []*Record{
				{Name: "Backup", ID: "schemas/sub/_backup.json#", Source: "schemas/sub/_backup.json", Fields: []*Field{{Name: "at", Type: &Ref{Name: "Location", Record: &loc}}}},
				&loc,
				{Name: "Site", ID: "schemas/site.json#", Source: "schemas/site.json", Fields: []*Field{
					{Name: "at", Type: &Ref{Name: "Location", Record: &loc}},
					{Name: "backup", Type: &Ref{Name: "Backup", Record: &Record{ID: "schemas/sub/_backup.json#"}}},
				}},
			}
		}(),
	}, {
		name: "draft-07 definitions",
		files: map[string]string{"common.json": `{
			"$schema": "http://json-schema.org/draft-07/schema#",
			"title": "Place", "type": "object",
			"properties": {"where": {"$ref": "#/definitions/Location"}},
			"definitions": {"Location": {"type": "object", "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}}, "required": ["lat", "lon"]}}}`},
		want: []*Record{
			{Name: "Location", ID: "common.json#/definitions/Location", Source: "common.json", Fields: location.Fields},
			{Name: "Place", ID: "common.json#", Source: "common.json", Fields: []*Field{
				{Name: "where", Type: &Ref{Name: "Location", Record: &Record{Name: "Location", ID: "common.json#/definitions/Location", Source: "common.json", Fields: location.Fields}}},
			}},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, diags := buildFS(t, mapFS(tt.files))
			if len(diags) != 0 {
				t.Fatalf("diagnostics:\n%s", strings.Join(diags, "\n"))
			}
			if diff := cmp.Diff(tt.want, recs, ignorePos, ignoreFieldPos, refByID); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			checkRefsShared(t, recs)
		})
	}
}

// TestBuildRecordsErrors: each unsupported feature gives exactly these
// diagnostics.
func TestBuildRecordsErrors(t *testing.T) {
	// obj wraps one property schema into a root object at line 1.
	obj := func(prop string) map[string]string {
		return map[string]string{"x.json": `{"type": "object", "properties": {"p": ` + prop + `}}`}
	}
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"validation keyword", obj(`{"type": "string", "minLength": 1}`), []string{
			`x.json:1:59: properties.p.minLength: keyword "minLength" is not supported (streamgen validates types, required fields and enums only)`}},
		{"const", obj(`{"const": "a"}`), []string{
			`x.json:1:41: properties.p.const: keyword "const" is not supported (streamgen validates types, required fields and enums only)` + "\n\t" + `for a fixed string use "enum" with one value`,
		}},
		{"oneOf", obj(`{"oneOf": [{"type": "string"}, {"type": "null"}]}`), []string{
			`x.json:1:41: properties.p.oneOf: keyword "oneOf" is not supported (streamgen validates types, required fields and enums only)` + "\n\t" + `for a nullable value use "anyOf": [{...}, {"type": "null"}] or "type": ["T", "null"]`,
		}},
		{"unknown keyword", obj(`{"type": "string", "descripton": "x"}`), []string{
			`x.json:1:59: properties.p.descripton: unknown keyword "descripton"` + "\n\t" + `did you mean "description"?`}},
		{"unknown extension", obj(`{"type": "string", "x-go-type": "x"}`), []string{
			`x.json:1:59: properties.p.x-go-type: unknown keyword "x-go-type"` + "\n\t" + `the only extension keyword streamgen reads is x-streamgen-timestamp`}},
		{"map", obj(`{"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": {"type": "string"}}`), []string{
			`x.json:1:124: properties.p.additionalProperties: maps are not supported yet: additionalProperties must be true or false`}},
		{"unsupported format", obj(`{"type": "string", "format": "datetime"}`), []string{
			`x.json:1:69: properties.p.format: unsupported format "datetime"` + "\n\t" + `did you mean "date-time"?`}},
		{"unknown format", obj(`{"type": "string", "format": "duration"}`), []string{
			`x.json:1:69: properties.p.format: unsupported format "duration"` + "\n\t" + `supported formats: date-time, date, uuid; and, as plain strings, email, uri, hostname, ipv4, ipv6`}},
		{"format on integer", obj(`{"type": "integer", "format": "date-time"}`), []string{
			`x.json:1:60: properties.p.format: format applies only to strings` + "\n\t" + `for epoch seconds or milliseconds use "x-streamgen-timestamp": "epoch-seconds" or "epoch-millis"`}},
		{"non-string enum", obj(`{"enum": ["a", 1, true]}`), []string{
			`x.json:1:55: properties.p.enum[1]: enum value 1 is not a string: only string enums are supported`,
			`x.json:1:58: properties.p.enum[2]: enum value true is not a string: only string enums are supported`}},
		{"enum on integer", obj(`{"type": "integer", "enum": [1, 2]}`), []string{
			`x.json:1:60: properties.p.enum: enum is supported only on strings (non-string enums are not supported)`}},
		{"nullable enum without null", obj(`{"type": ["string", "null"], "enum": ["a"]}`), []string{
			`x.json:1:69: properties.p.enum: the type admits null but "enum" does not list null, so null would be rejected` + "\n\t" + `add null to "enum", or remove "null" from "type"`}},
		{"union", obj(`{"type": ["string", "integer"]}`), []string{
			`x.json:1:49: properties.p.type: union types are not supported: string, integer` + "\n\t" + `only ["T", "null"] is supported, for a nullable T`}},
		{"null only", obj(`{"type": "null"}`), []string{
			`x.json:1:49: properties.p.type: a value that is always null is not supported: give a type such as ["string", "null"]`}},
		{"unknown type", obj(`{"type": "strng"}`), []string{
			`x.json:1:49: properties.p.type: unknown type "strng"` + "\n\t" + `did you mean "string"?`}},
		{"missing type", obj(`{"description": "no type"}`), []string{
			`x.json:1:35: properties.p: missing "type"` + "\n\t" + `give it a "type": string, integer, number, boolean, array or object`}},
		{"missing object type", obj(`{"properties": {"a": {"type": "string"}}}`), []string{
			`x.json:1:35: properties.p: missing "type"` + "\n\t" + `add "type": "object"`}},
		{"any value", obj(`true`), []string{
			`x.json:1:40: properties.p: a schema that accepts any value is not supported: give it a "type"`}},
		{"missing items", obj(`{"type": "array"}`), []string{
			`x.json:1:35: properties.p: an array needs "items"` + "\n\t" + `add "items": {...}, the schema of every element`}},
		{"tuple items", map[string]string{"x.json": `{"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "properties": {"p": {"type": "array", "items": [{"type": "string"}]}}}`}, []string{
			`x.json:1:112: properties.p.items: tuple "items" (an array of schemas) is not supported: give one schema for every element`}},
		{"required not in properties", map[string]string{"x.json": `{"type": "object", "properties": {"action": {"type": "string"}}, "required": ["acton"]}`}, []string{
			`x.json:1:79: required[0]: required property "acton" is not defined in "properties"` + "\n\t" + `did you mean "action"?`}},
		{"bounds on number", obj(`{"type": "number", "minimum": 0}`), []string{
			`x.json:1:59: properties.p.minimum: keyword "minimum" is supported only on integers, where it chooses int32 or int64 (streamgen does not check bounds of numbers)`}},
		{"empty bounds", obj(`{"type": "integer", "minimum": 5, "maximum": 4}`), []string{
			`x.json:1:74: properties.p.maximum: no 64-bit integer satisfies these bounds`}},
		{"bad timestamp unit", obj(`{"type": "integer", "x-streamgen-timestamp": "epoch-second"}`), []string{
			`x.json:1:85: properties.p.x-streamgen-timestamp: x-streamgen-timestamp must be "epoch-seconds" or "epoch-millis"` + "\n\t" + `did you mean "epoch-seconds"?`}},
		{"timestamp on string", obj(`{"type": "string", "x-streamgen-timestamp": "epoch-seconds"}`), []string{
			`x.json:1:59: properties.p.x-streamgen-timestamp: x-streamgen-timestamp applies only to integers` + "\n\t" + `for RFC 3339 strings use "type": "string", "format": "date-time"`}},
		{"remote ref", obj(`{"$ref": "https://example.com/loc.json"}`), []string{
			`x.json:1:49: properties.p.$ref: remote $ref "https://example.com/loc.json" is not supported: streamgen reads schemas only from files (use a path relative to this file, such as "common.json#/$defs/Location")`}},
		{"missing ref target", map[string]string{"x.json": `{"type": "object", "properties": {"p": {"$ref": "#/$defs/Locaton"}}, "$defs": {"Location": {"type": "string"}}}`}, []string{
			`x.json:1:49: properties.p.$ref: $ref "#/$defs/Locaton": x.json has nothing at "/$defs/Locaton"` + "\n\t" + `did you mean "#/$defs/Location"?`}},
		{"missing ref file", obj(`{"$ref": "common.json#/$defs/Location"}`), []string{
			`x.json:1:49: properties.p.$ref: $ref "common.json#/$defs/Location": cannot read common.json: file does not exist`}},
		{"ref to a non-schema", map[string]string{"x.json": `{"type": "object", "properties": {"p": {"$ref": "#/required"}}, "required": ["p"]}`}, []string{
			`x.json:1:49: properties.p.$ref: $ref "#/required" does not point at a schema`}},
		{"recursive ref", map[string]string{"x.json": `{"type": "object", "properties": {"next": {"$ref": "#"}}}`}, []string{
			`x.json:1:52: properties.next.$ref: recursive $ref "#" is not supported: the schema contains itself`}},
		{"ref with siblings", obj(`{"$ref": "#/$defs/A", "type": "string"}`), []string{
			`x.json:1:49: properties.p.$ref: $ref "#/$defs/A": x.json has nothing at "/$defs/A"`,
			`x.json:1:62: properties.p.type: keyword "type" cannot be combined with $ref`}},
		{"anyOf of three", obj(`{"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]}`), []string{
			`x.json:1:41: properties.p.anyOf: this anyOf is not supported` + "\n\t" + `"anyOf" is supported only as [{...}, {"type": "null"}], for a nullable value`}},
		{"object without properties", obj(`{"type": "object"}`), []string{
			`x.json:1:35: properties.p: an object without "properties" is not supported (maps are not supported yet)` + "\n\t" + `list the fields under "properties"`}},
		{"nested $defs", obj(`{"type": "string", "$defs": {}}`), []string{
			`x.json:1:59: properties.p.$defs: keyword "$defs" is supported only at the top level of a file`}},
		{"top level not an object", map[string]string{"x.json": `{"type": "array", "items": {"type": "string"}}`}, []string{
			`x.json:1:10: type: the top-level schema must be an object schema: {"type": "object", "properties": {...}}`}},
		{"top level ref", map[string]string{"x.json": `{"$ref": "#/$defs/A", "$defs": {"A": {"type": "object", "properties": {"a": {"type": "string"}}}}}`}, []string{
			`x.json:1:2: $ref: $ref at the top level is not supported: the top-level schema must be an object schema: {"type": "object", "properties": {...}}`}},
		{"metaschema violation", obj(`{"type": "string", "examples": 5}`), []string{
			`x.json:1:59: properties.p.examples: got number, want array`}},
		{"duplicate record names", map[string]string{
			"a.json": `{"title": "Thing", "type": "object", "properties": {"a": {"type": "string"}}}`,
			"b.json": "{\n  \"title\": \"thing\",\n  \"type\": \"object\", \"properties\": {\"b\": {\"type\": \"string\"}}}",
		}, []string{
			`a.json:1:11: title: record name "Thing" is also used at b.json:2:12` + "\n\t" + `give one of them a different "title"`,
			`b.json:2:12: title: record name "Thing" is also used at a.json:1:11` + "\n\t" + `give one of them a different "title"`}},
		{"inline name collides with a def", map[string]string{"ev.json": `{"title": "Ev", "type": "object",
			"properties": {"loc": {"type": "object", "properties": {"a": {"type": "string"}}}, "other": {"$ref": "#/$defs/EvLoc"}},
			"$defs": {"EvLoc": {"type": "object", "properties": {"b": {"type": "string"}}}}}`}, []string{
			`ev.json:2:19: properties.loc: record name "EvLoc" is also used at ev.json:3:14` + "\n\t" + `give one of them a different "title"`,
			`ev.json:3:14: $defs.EvLoc: record name "EvLoc" is also used at ev.json:2:19` + "\n\t" + `give one of them a different "title"`}},
		{"unsupported draft", map[string]string{"x.json": `{"$schema": "http://json-schema.org/draft-04/schema#", "type": "object", "properties": {"a": {"type": "string"}}}`}, []string{
			`x.json:1:13: $schema: unsupported $schema "http://json-schema.org/draft-04/schema#": streamgen reads JSON Schema draft 2020-12 and draft-07` + "\n\t" + `use "https://json-schema.org/draft/2020-12/schema" (the default) or "http://json-schema.org/draft-07/schema#"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got := buildFS(t, mapFS(tt.files))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestBuildRecordsManyErrors: every problem of a file is reported in one
// run, sorted, at positions deep inside nested objects.
func TestBuildRecordsManyErrors(t *testing.T) {
	src := `{
  "title": "Shipment",
  "type": "object",
  "properties": {
    "id": {"type": "string", "format": "uuid", "maxLength": 36},
    "sent": {"type": "string", "format": "datetime"},
    "origin": {
      "type": "object",
      "properties": {
        "site": {
          "type": "object",
          "properties": {
            "code": {"type": "strin"},
            "zone": {"type": "integer", "enum": [1, 2]}
          },
          "required": ["cod"]
        }
      }
    },
    "items": {"type": "array", "items": {"type": ["string", "integer"]}},
    "kind": {"oneOf": [{"type": "string"}]}
  },
  "required": ["id", "sent", "weight"],
  "x-owner": "logistics"
}
`
	_, got := buildFS(t, mapFS(map[string]string{"schemas/shipment.json": src}))
	want := []string{
		`schemas/shipment.json:5:48: properties.id.maxLength: keyword "maxLength" is not supported (streamgen validates types, required fields and enums only)`,
		`schemas/shipment.json:6:42: properties.sent.format: unsupported format "datetime"` + "\n\t" + `did you mean "date-time"?`,
		`schemas/shipment.json:13:30: properties.origin.properties.site.properties.code.type: unknown type "strin"` + "\n\t" + `did you mean "string"?`,
		`schemas/shipment.json:14:41: properties.origin.properties.site.properties.zone.enum: enum is supported only on strings (non-string enums are not supported)`,
		`schemas/shipment.json:16:24: properties.origin.properties.site.required[0]: required property "cod" is not defined in "properties"` + "\n\t" + `did you mean "code"?`,
		`schemas/shipment.json:20:50: properties.items.items.type: union types are not supported: string, integer` + "\n\t" + `only ["T", "null"] is supported, for a nullable T`,
		`schemas/shipment.json:21:14: properties.kind.oneOf: keyword "oneOf" is not supported (streamgen validates types, required fields and enums only)` + "\n\t" + `for a nullable value use "anyOf": [{...}, {"type": "null"}] or "type": ["T", "null"]`,
		`schemas/shipment.json:23:30: required[2]: required property "weight" is not defined in "properties"`,
		`schemas/shipment.json:24:3: x-owner: unknown keyword "x-owner"` + "\n\t" + `the only extension keyword streamgen reads is x-streamgen-timestamp`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestBuildRecordsPositions checks the positions recorded in the IR.
func TestBuildRecordsPositions(t *testing.T) {
	src := `{
  "title": "Outer",
  "type": "object",
  "properties": {
    "inner": {
      "type": "object",
      "properties": {
        "leaf": {"type": "string"}
      }
    },
    "ref": {"$ref": "#/$defs/Def"}
  },
  "$defs": {
    "Def": {"type": "object", "properties": {"d": {"type": "boolean"}}}
  }
}`
	recs, diags := buildFS(t, mapFS(map[string]string{"o.json": src}))
	if len(diags) != 0 {
		t.Fatal(diags)
	}
	var got []string
	for _, r := range recs {
		got = append(got, r.Name+" "+r.Pos.String())
		for _, f := range r.Fields {
			got = append(got, "  "+f.Name+" "+f.Pos.String())
		}
	}
	want := []string{
		"Def o.json:14:5",
		"  d o.json:14:46",
		"Outer o.json:1:1",
		"  inner o.json:5:5",
		"  ref o.json:11:5",
		"OuterInner o.json:5:5",
		"  leaf o.json:8:9",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// FuzzBuildRecords: no input makes loading or building panic, and every
// diagnostic has a position.
func FuzzBuildRecords(f *testing.F) {
	for _, s := range []string{
		`{"type": "object", "properties": {"a": {"type": ["string", "null"]}}, "required": ["a"]}`,
		`{"type": "object", "properties": {"a": {"$ref": "#/$defs/B"}}, "$defs": {"B": {"$ref": "#/$defs/A"}, "A": {"$ref": "#/$defs/B"}}}`,
		`{"type": "object", "properties": {"a": {"anyOf": [{"$ref": "c.json"}, {"type": "null"}]}}}`,
		`{"type": "object", "properties": {"n": {"type": "integer", "minimum": -1e400, "maximum": 1e-400}}}`,
		`{"type": "object", "properties": {"l": {"type": "array", "items": {"type": "array", "items": {"type": "object", "properties": {"x": {"enum": ["a", null]}}}}}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		fsys := fstest.MapFS{"x.json": {Data: src}, "c.json": {Data: []byte(`{"type": "object", "properties": {"c": {"$ref": "x.json"}}}`)}}
		files, diags := load.LoadSchemas(fsys, []load.SchemaSource{{Name: "x.json"}})
		_, more := BuildRecords(files)
		for _, d := range append(diags, more...) {
			if !d.Pos.IsValid() && d.Pos.File != "x.json" {
				t.Fatalf("diagnostic without a position: %v", d)
			}
		}
	})
}
