package emit

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/gen/diag"
	"github.com/streamgen/streamgen/gen/ir"
	"github.com/streamgen/streamgen/gen/plan"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// shopProgram is a hand-built IR with every field type (dates included)
// and a derived record sharing an enum.
func shopProgram() *ir.Program {
	at := func(line int) diag.Pos { return diag.Pos{File: "schemas/order.json", Line: line, Col: 5} }
	loc := &ir.Record{
		Name: "GeoLocation", ID: "schemas/order.json#/$defs/GeoLocation", Source: "schemas/order.json", Pos: at(30),
		Doc: "GeoLocation is a point on Earth.",
		Fields: []*ir.Field{
			{Name: "lat", Type: &ir.Scalar{Kind: ir.Float64}, Required: true, Pos: at(32), Doc: "Latitude in degrees."},
			{Name: "lon", Type: &ir.Scalar{Kind: ir.Float64}, Required: true, Pos: at(33)},
		},
	}
	status := &ir.Enum{Values: []string{"open", "in-progress", "DONE", ""}}
	order := &ir.Record{
		Name: "Order", ID: "schemas/order.json#", Source: "schemas/order.json", Pos: at(1),
		Doc: "An order placed in the web shop.\n\nOne JSON object per line.",
		Fields: []*ir.Field{
			{Name: "order_id", Type: &ir.Scalar{Kind: ir.UUID}, Required: true, Pos: at(4)},
			{Name: "time", Type: &ir.Timestamp{Unit: ir.EpochSeconds}, Required: true, Pos: at(5)},
			{Name: "updated", Type: &ir.Timestamp{Unit: ir.RFC3339}, Required: true, Nullable: true, Pos: at(6)},
			{Name: "day", Type: &ir.Date{}, Required: true, Pos: at(7)},
			{Name: "due", Type: &ir.Date{}, Pos: at(8)},
			{Name: "status", Type: status, Required: true, Pos: at(9)},
			{Name: "quantity", Type: &ir.Scalar{Kind: ir.Int32}, Required: true, Pos: at(10)},
			{Name: "total_cents", Type: &ir.Scalar{Kind: ir.Int64}, Pos: at(11)},
			{Name: "price", Type: &ir.Scalar{Kind: ir.Float64}, Required: true, Nullable: true, Pos: at(12)},
			{Name: "gift", Type: &ir.Scalar{Kind: ir.Bool}, Pos: at(13)},
			{Name: "tags", Type: &ir.List{Elem: &ir.Scalar{Kind: ir.String}}, Pos: at(14)},
			{Name: "scores", Type: &ir.List{Elem: &ir.Scalar{Kind: ir.Int64}, ElemNullable: true}, Required: true, Pos: at(15)},
			{Name: "ship_to", Type: &ir.Ref{Record: loc, Name: "GeoLocation"}, Pos: at(16)},
			{Name: "stops", Type: &ir.List{Elem: &ir.Ref{Record: loc, Name: "GeoLocation"}}, Pos: at(17)},
			{Name: "seen_at", Type: &ir.List{Elem: &ir.Timestamp{Unit: ir.EpochMillis}, ElemNullable: true}, Pos: at(18)},
			{Name: "holidays", Type: &ir.List{Elem: &ir.Date{}}, Pos: at(19)},
			{Name: "channels", Type: &ir.List{Elem: &ir.Enum{Values: []string{"web", "app"}}}, Pos: at(20)},
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
	return &ir.Program{
		Records: []*ir.Record{loc, order},
		Pipelines: []*ir.Pipeline{{
			Name: "order_stats", Spec: "pipelines/order_stats.yaml", Pos: diag.Pos{File: "pipelines/order_stats.yaml", Line: 1, Col: 1},
			Source:  &ir.Source{Kind: ir.SourceFiles, Record: order},
			Records: []*ir.Record{result},
		}},
	}
}

func shopPlan(t *testing.T) *plan.Plan {
	t.Helper()
	p, diags := plan.Build(shopProgram(), plan.Config{PkgPath: "example.com/shop/internal/orderstats"})
	if diags.Len() > 0 {
		t.Fatal(diags)
	}
	return p
}

// TestRender compares every file of the shop plan with
// testdata/<file>.golden (go test -update rewrites them).
func TestRender(t *testing.T) {
	p := shopPlan(t)
	for _, f := range p.Files {
		t.Run(f.Path, func(t *testing.T) {
			got, err := Render(p, f, Options{OmitVersion: true})
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", f.Path+".golden")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", golden, diff)
			}
		})
	}
}

func TestHeader(t *testing.T) {
	p := shopPlan(t)
	tests := []struct {
		opts Options
		want string
	}{
		{Options{OmitVersion: true}, Marker + "\n// source: pipelines/order_stats.yaml\n\n// Package orderstats"},
		{Options{Version: "v0.4.0"}, Marker + "\n// versions:\n//   streamgen v0.4.0\n// source: pipelines/order_stats.yaml\n\n// Package orderstats"},
		{Options{}, Marker + "\n// versions:\n//   streamgen (devel)\n// source: pipelines/order_stats.yaml\n\n// Package orderstats"},
	}
	for _, tt := range tests {
		got, err := Render(p, p.Files[len(p.Files)-1], tt.opts)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(got), tt.want) {
			t.Errorf("Render(%+v) starts\n%s\nwant\n%s", tt.opts, got[:len(tt.want)], tt.want)
		}
	}
}

// TestInternalError checks that code that does not format is reported
// as a generator bug with the numbered raw source.
func TestInternalError(t *testing.T) {
	p := shopPlan(t)
	var f *plan.File
	for _, pf := range p.Files {
		if pf.Kind == plan.KindRecord {
			f = pf
			break
		}
	}
	f.Record.Fields[0].GoName = "Lat itude" // not an identifier
	_, err := Render(p, f, Options{OmitVersion: true})
	var ie *InternalError
	if !errors.As(err, &ie) {
		t.Fatalf("Render = %v, want an *InternalError", err)
	}
	msg := err.Error()
	for _, want := range []string{"streamgen: internal error: geo_location.go: ", "\n    1  // Code generated by streamgen. DO NOT EDIT.\n", "Lat itude float64"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
}

func TestGroupImports(t *testing.T) {
	src := "package p\n\nimport (\n\t\"github.com/x/y\"\n\tz \"example.com/z\"\n\t\"time\"\n)\n\nvar _ = time.Now\n"
	got, err := groupImports([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := "package p\n\nimport (\n\t\"time\"\n\n\tz \"example.com/z\"\n\t\"github.com/x/y\"\n)\n\nvar _ = time.Now\n"
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestUnknownKind(t *testing.T) {
	p := shopPlan(t)
	_, err := Render(p, &plan.File{Path: "x_other.go", Kind: plan.FileKind("other")}, Options{})
	if err == nil || !strings.Contains(err.Error(), "streamgen: internal error: x_other.go: no emitter for other files") {
		t.Errorf("Render = %v", err)
	}
}
