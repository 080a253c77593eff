package plan

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/gen/diag"
	"github.com/streamgen/streamgen/gen/ir"
)

func pos(line int) diag.Pos { return diag.Pos{File: "schemas/order.json", Line: line, Col: 5} }

// orderProgram is a hand-built IR with every type, read by a pipeline
// whose aggregation copies the status field.
func orderProgram() *ir.Program {
	loc := &ir.Record{
		Name: "GeoLocation", ID: "schemas/order.json#/$defs/GeoLocation", Source: "schemas/order.json", Pos: pos(30),
		Fields: []*ir.Field{
			{Name: "lat", Type: &ir.Scalar{Kind: ir.Float64}, Required: true, Pos: pos(32)},
			{Name: "lon", Type: &ir.Scalar{Kind: ir.Float64}, Required: true, Pos: pos(33)},
		},
	}
	status := &ir.Enum{Values: []string{"open", "in-progress", "DONE", ""}}
	order := &ir.Record{
		Name: "Order", ID: "schemas/order.json#", Source: "schemas/order.json", Pos: pos(1),
		Fields: []*ir.Field{
			{Name: "order_id", Type: &ir.Scalar{Kind: ir.UUID}, Required: true, Pos: pos(4)},
			{Name: "time", Type: &ir.Timestamp{Unit: ir.EpochSeconds}, Required: true, Pos: pos(5)},
			{Name: "updated", Type: &ir.Timestamp{Unit: ir.RFC3339}, Required: true, Nullable: true, Pos: pos(6)},
			{Name: "day", Type: &ir.Date{}, Pos: pos(7)},
			{Name: "status", Type: status, Required: true, Pos: pos(8)},
			{Name: "quantity", Type: &ir.Scalar{Kind: ir.Int32}, Required: true, Pos: pos(9)},
			{Name: "total_cents", Type: &ir.Scalar{Kind: ir.Int64}, Pos: pos(10)},
			{Name: "gift", Type: &ir.Scalar{Kind: ir.Bool}, Pos: pos(12)},
			{Name: "tags", Type: &ir.List{Elem: &ir.Scalar{Kind: ir.String}}, Pos: pos(13)},
			{Name: "scores", Type: &ir.List{Elem: &ir.Scalar{Kind: ir.Int64}, ElemNullable: true}, Required: true, Pos: pos(14)},
			{Name: "ship_to", Type: &ir.Ref{Record: loc, Name: "GeoLocation"}, Pos: pos(15)},
			{Name: "stops", Type: &ir.List{Elem: &ir.Ref{Record: loc, Name: "GeoLocation"}, ElemNullable: true}, Pos: pos(16)},
		},
	}
	spec := diag.Pos{File: "pipelines/order_stats.yaml", Line: 9, Col: 3}
	result := &ir.Record{
		Name: "OrderStatsResult", ID: "pipelines/order_stats.yaml#/steps/0/groupBy", Source: "pipelines/order_stats.yaml", Pos: spec,
		Fields: []*ir.Field{
			{Name: "status", Type: status, Required: true, Pos: spec},
			{Name: "count", Type: &ir.Scalar{Kind: ir.Int64}, Required: true, Pos: spec},
		},
	}
	user := &ir.Record{Name: "Enriched", ID: "go:example.com/me/enrich.Enriched"}
	return &ir.Program{
		Records: []*ir.Record{loc, order},
		Pipelines: []*ir.Pipeline{{
			Name: "order_stats", Spec: "pipelines/order_stats.yaml", Pos: diag.Pos{File: "pipelines/order_stats.yaml", Line: 1, Col: 1},
			Source:  &ir.Source{Kind: ir.SourceFiles, Record: order},
			Records: []*ir.Record{user, result},
		}},
	}
}

// summary prints the decisions of a plan, one line each.
func summary(p *Plan) []string {
	out := []string{fmt.Sprintf("package %s %s specs=%v gen=%d", p.PkgName, p.PkgPath, p.Specs, p.GenVersion)}
	for _, f := range p.Files {
		rec := ""
		if f.Record != nil {
			rec = " " + f.Record.GoName
		}
		out = append(out, fmt.Sprintf("file %s %s source=%s%s", f.Path, f.Kind, f.Source, rec))
	}
	for _, r := range p.Records {
		out = append(out, fmt.Sprintf("record %s recv=%s decoder=%s schema=%s fp=%s decode=%v", r.GoName, r.Receiver, r.DecoderName, r.DeltaSchemaFunc, r.FingerprintConst, r.Decode))
		for _, f := range r.Fields {
			ref := ""
			if f.Ref != nil {
				ref = " ref=" + f.Ref.GoName
			}
			out = append(out, fmt.Sprintf("  %s %s pointer=%v enum=%s%s", f.GoName, f.Type, f.Pointer, f.EnumType, ref))
		}
		for _, e := range r.Enums {
			out = append(out, fmt.Sprintf("  enum %s recv=%s %s", e.GoName, e.Receiver, strings.Join(e.Consts, " ")))
		}
	}
	return out
}

func TestBuild(t *testing.T) {
	p, diags := Build(orderProgram(), Config{PkgPath: "example.com/shop/internal/orderstats", Decoders: true})
	if diags.Len() > 0 {
		t.Fatal(diags)
	}
	want := []string{
		"package orderstats example.com/shop/internal/orderstats specs=[pipelines/order_stats.yaml] gen=1",
		"file geo_location.go record source=schemas/order.json GeoLocation",
		"file geo_location_decode.go decode source=schemas/order.json GeoLocation",
		"file order.go record source=schemas/order.json Order",
		"file order_decode.go decode source=schemas/order.json Order",
		"file order_stats_result.go record source=pipelines/order_stats.yaml OrderStatsResult",
		"file streamgen.go streamgen source=pipelines/order_stats.yaml",
		"record GeoLocation recv=gl decoder=GeoLocationDecoder schema=GeoLocationDeltaSchema fp=geoLocationSchemaFingerprint decode=true",
		"  Lat float64 pointer=false enum=",
		"  Lon float64 pointer=false enum=",
		"record Order recv=o decoder=OrderDecoder schema=OrderDeltaSchema fp=orderSchemaFingerprint decode=true",
		"  OrderID string pointer=false enum=",
		"  Time time.Time pointer=false enum=",
		"  Updated *time.Time pointer=true enum=",
		"  Day *delta.DateValue pointer=true enum=",
		"  Status OrderStatus pointer=false enum=OrderStatus",
		"  Quantity int32 pointer=false enum=",
		"  TotalCents *int64 pointer=true enum=",
		"  Gift *bool pointer=true enum=",
		"  Tags []string pointer=false enum=",
		"  Scores []*int64 pointer=false enum=",
		"  ShipTo *GeoLocation pointer=true enum= ref=GeoLocation",
		"  Stops []*GeoLocation pointer=false enum= ref=GeoLocation",
		"  enum OrderStatus recv=o OrderStatusOpen OrderStatusInProgress OrderStatusDone OrderStatusEmpty",
		"record OrderStatsResult recv=o decoder=OrderStatsResultDecoder schema=OrderStatsResultDeltaSchema fp=orderStatsResultSchemaFingerprint decode=false",
		"  Status OrderStatus pointer=false enum=OrderStatus",
		"  Count int64 pointer=false enum=",
	}
	if diff := cmp.Diff(want, summary(p)); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
}

func TestBuildNoDecoders(t *testing.T) {
	p, diags := Build(orderProgram(), Config{PkgPath: "x/y", PkgName: "shop"})
	if diags.Len() > 0 {
		t.Fatal(diags)
	}
	var files []string
	for _, f := range p.Files {
		files = append(files, f.Path)
	}
	want := []string{"geo_location.go", "order.go", "order_stats_result.go", "streamgen.go"}
	if diff := cmp.Diff(want, files); diff != "" || p.PkgName != "shop" {
		t.Errorf("package %s, files (-want +got):\n%s", p.PkgName, diff)
	}
}

// TestBuildErrors checks that names that cannot become distinct Go
// identifiers are reported at every user position involved.
func TestBuildErrors(t *testing.T) {
	at := func(file string, line int) diag.Pos { return diag.Pos{File: file, Line: line, Col: 3} }
	str := &ir.Scalar{Kind: ir.String}
	tree := &ir.Record{Name: "Tree", ID: "schemas/tree.json#", Pos: at("schemas/tree.json", 1)}
	tree.Fields = []*ir.Field{{Name: "children", Type: &ir.List{Elem: &ir.Ref{Record: tree, Name: "Tree"}}, Pos: at("schemas/tree.json", 4)}}
	tests := []struct {
		name    string
		records []*ir.Record
		want    []string
	}{{
		name: "fields",
		records: []*ir.Record{{Name: "Reading", ID: "schemas/r.json#", Pos: at("schemas/r.json", 1), Fields: []*ir.Field{
			{Name: "device_id", Type: str, Pos: at("schemas/r.json", 3)},
			{Name: "deviceId", Type: str, Pos: at("schemas/r.json", 4)},
			{Name: "$", Type: str, Pos: at("schemas/r.json", 5)},
			{Name: "a b", Type: str, Pos: at("schemas/r.json", 6)},
		}}},
		want: []string{
			`schemas/r.json:3:3: properties.device_id: properties "device_id" and "deviceId" both become the Go field Reading.DeviceID` + "\n\trename one of the properties",
			`schemas/r.json:4:3: properties.deviceId: properties "device_id" and "deviceId" both become the Go field Reading.DeviceID` + "\n\trename one of the properties",
			`schemas/r.json:5:3: properties.$: property name "$" has no letters or digits to make a Go name from`,
			`schemas/r.json:6:3: properties.a b: property name "a b" cannot be a Delta or Parquet column name (it contains ' ')`,
		},
	}, {
		name: "identifiers",
		records: []*ir.Record{
			{Name: "Event", ID: "schemas/event.json#", Pos: at("schemas/event.json", 1), Fields: []*ir.Field{
				{Name: "action", Type: &ir.Enum{Values: []string{"in-progress", "in_progress"}}, Pos: at("schemas/event.json", 3)},
			}},
			{Name: "EventAction", ID: "schemas/ea.json#", Pos: at("schemas/ea.json", 1)},
		},
		want: []string{
			`schemas/ea.json:1:3: the struct of record EventAction and the enum type of Event.action are both named EventAction in the generated package` + "\n\trename one of them in its schema",
			`schemas/event.json:3:3: properties.action: enum values "in-progress" and "in_progress" both become the Go constant EventActionInProgress` + "\n\tenum values must differ in their letters and digits",
			`schemas/event.json:3:3: properties.action: the constant of value "in-progress" of Event.action and the constant of value "in_progress" of Event.action are both named EventActionInProgress in the generated package` + "\n\trename one of them in its schema",
			`schemas/event.json:3:3: properties.action: the struct of record EventAction and the enum type of Event.action are both named EventAction in the generated package` + "\n\trename one of them in its schema",
		},
	}, {
		name: "records",
		records: []*ir.Record{
			{Name: "sensor_reading", ID: "schemas/a.json#", Pos: at("schemas/a.json", 1)},
			{Name: "SensorReading", ID: "schemas/b.json#/$defs/SensorReading", Pos: at("schemas/b.json", 7)},
		},
		want: []string{
			`schemas/a.json:1:3: the struct of record sensor_reading and the struct of record SensorReading are both named SensorReading in the generated package` + "\n\trename one of them in its schema",
			`schemas/b.json:7:3: $defs.SensorReading: the struct of record sensor_reading and the struct of record SensorReading are both named SensorReading in the generated package` + "\n\trename one of them in its schema",
		},
	}, {
		name:    "recursive",
		records: []*ir.Record{tree},
		want:    []string{`schemas/tree.json:1:3: record Tree refers to itself (Tree.children → Tree); recursive records are not supported`},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := Build(&ir.Program{Records: tt.records}, Config{PkgPath: "x/p"})
			var got []string
			for _, d := range diags {
				got = append(got, d.String())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFileBase(t *testing.T) {
	for in, want := range map[string]string{
		"Event":        "event",
		"EventTest":    "event_test_record",
		"ReadingLinux": "reading_linux_record",
		"Linux":        "linux",
		"Streamgen":    "streamgen_record",
		"FooDecode":    "foo_decode_record",
		"DeviceID":     "device_id",
	} {
		if got := fileBase(in); got != want {
			t.Errorf("fileBase(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFingerprint(t *testing.T) {
	a := orderProgram().Records[1]
	b := orderProgram().Records[1]
	b.Doc, b.Pos, b.Source, b.Name = "changed", diag.Pos{}, "elsewhere.json", "Renamed"
	if Fingerprint(a) != Fingerprint(b) {
		t.Error("fingerprint depends on docs, positions, sources or names")
	}
	b.Fields[1].Nullable = true
	if Fingerprint(a) == Fingerprint(b) {
		t.Error("fingerprint ignores nullability")
	}
	c := orderProgram().Records[1]
	c.Fields[10].Type.(*ir.Ref).Record.Fields[0].Type = &ir.Scalar{Kind: ir.Int64}
	if Fingerprint(orderProgram().Records[1]) == Fingerprint(c) {
		t.Error("fingerprint ignores nested records")
	}
	if got := Fingerprint(a); !strings.HasPrefix(got, "sha256:") || len(got) != len("sha256:")+64 {
		t.Errorf("Fingerprint = %q", got)
	}
}
