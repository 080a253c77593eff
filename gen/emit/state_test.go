package emit

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
	"testing"
	"time"

	"github.com/dave/jennifer/jen"

	"github.com/streamgen/streamgen/gen/diag"
	"github.com/streamgen/streamgen/gen/ir"
	"github.com/streamgen/streamgen/gen/plan"
)

// statsProgram is a hand-built pipeline with a sliding-window
// aggregation whose aggregate names make state field names collide
// ("x" max → x, xHas; "x_has" count → xHas).
func statsProgram(kind ir.WindowKind) *ir.Program {
	pos := diag.Pos{File: "stats.yaml", Line: 3, Col: 5}
	in := &ir.Record{Name: "Reading", ID: "schemas/reading.json#", Source: "schemas/reading.json", Pos: pos, Fields: []*ir.Field{
		{Name: "time", Type: &ir.Timestamp{Unit: ir.RFC3339}, Required: true, Pos: pos},
		{Name: "device", Type: &ir.Scalar{Kind: ir.String}, Required: true, Pos: pos},
		{Name: "x", Type: &ir.Scalar{Kind: ir.Float64}, Required: true, Nullable: true, Pos: pos},
	}}
	win := &ir.Window{Kind: kind, Column: "time", Size: 10 * time.Minute, Slide: 5 * time.Minute, Pos: pos}
	if kind == ir.Session {
		win = &ir.Window{Kind: kind, Column: "time", Gap: time.Minute, Pos: pos}
	}
	res := &ir.Record{Name: "StatsResult", ID: "stats.yaml#/steps/0/groupBy", Source: "stats.yaml", Pos: pos, Fields: []*ir.Field{
		{Name: "device", Type: &ir.Scalar{Kind: ir.String}, Required: true, Pos: pos},
		{Name: ir.WindowStartField, Type: &ir.Timestamp{Unit: ir.RFC3339}, Required: true, Pos: pos},
		{Name: ir.WindowEndField, Type: &ir.Timestamp{Unit: ir.RFC3339}, Required: true, Pos: pos},
		{Name: "x", Type: &ir.Scalar{Kind: ir.Float64}, Required: true, Pos: pos},
		{Name: "x_has", Type: &ir.Scalar{Kind: ir.Int64}, Required: true, Pos: pos},
	}}
	agg := &ir.Aggregation{In: in, Keys: []string{"device"}, Window: win, Result: res, Pos: pos, Aggs: []*ir.Agg{
		{Func: ir.AggMax, Field: "x", As: "x", Type: &ir.Scalar{Kind: ir.Float64}, Pos: pos},
		{Func: ir.AggCount, Field: "x", As: "x_has", Type: &ir.Scalar{Kind: ir.Int64}, Pos: pos},
	}}
	return &ir.Program{
		Records: []*ir.Record{in},
		Pipelines: []*ir.Pipeline{{
			Name: "stats", Spec: "stats.yaml", Pos: pos,
			Source:      &ir.Source{Kind: ir.SourceFiles, Record: in},
			Aggregation: agg,
			Records:     []*ir.Record{res},
		}},
	}
}

func renderState(t *testing.T, prog *ir.Program) (*plan.Plan, []byte) {
	t.Helper()
	p, diags := plan.Build(prog, plan.Config{PkgPath: "example.com/stats"})
	if diags.Len() > 0 {
		t.Fatal(diags)
	}
	for _, f := range p.Files {
		if f.Kind == plan.KindState {
			if f.Path != "stats_state.go" {
				t.Errorf("state file %s", f.Path)
			}
			src, err := Render(p, f, Options{OmitVersion: true})
			if err != nil {
				t.Fatal(err)
			}
			return p, src
		}
	}
	t.Fatal("no state file planned")
	return nil, nil
}

func TestStateFile(t *testing.T) {
	for _, kind := range []ir.WindowKind{ir.Sliding, ir.Tumbling, ir.Session} {
		t.Run(string(kind), func(t *testing.T) {
			p, src := renderState(t, statsProgram(kind))
			_, again := renderState(t, statsProgram(kind))
			if !bytes.Equal(src, again) {
				t.Fatal("two renders differ")
			}
			a := p.Aggregation
			if a.Aggs[0].Value != "x" || a.Aggs[0].Aux != "xHas" || a.Aggs[1].Value != "agg1" {
				t.Errorf("state fields %s/%s, %s: want x/xHas, agg1", a.Aggs[0].Value, a.Aggs[0].Aux, a.Aggs[1].Value)
			}
			wantKeyOf := map[ir.WindowKind]string{ir.Sliding: "StatsKeysOf", ir.Tumbling: "StatsKeyOf", ir.Session: "StatsKeyOf"}[kind]
			if a.KeyOf != wantKeyOf {
				t.Errorf("KeyOf %s, want %s", a.KeyOf, wantKeyOf)
			}
			// Every exported declaration and method has a doc comment.
			f, err := parser.ParseFile(token.NewFileSet(), "stats_state.go", src, parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, d := range f.Decls {
				switch d := d.(type) {
				case *ast.FuncDecl:
					names = append(names, d.Name.Name)
					if d.Name.IsExported() && d.Doc == nil {
						t.Errorf("%s has no doc comment", d.Name.Name)
					}
				case *ast.GenDecl:
					for _, s := range d.Specs {
						var n *ast.Ident
						switch s := s.(type) {
						case *ast.TypeSpec:
							n = s.Name
						case *ast.ValueSpec:
							n = s.Names[0]
						default:
							continue
						}
						names = append(names, n.Name)
						if n.IsExported() && d.Doc == nil {
							t.Errorf("%s has no doc comment", n.Name)
						}
					}
				}
			}
			// A windowed key holds the window's start; WindowEnd
			// computes its end.
			keyDecls := "StatsKey WindowEnd "
			if kind == ir.Session {
				keyDecls = "StatsKey "
			}
			want := "StatsStateVersion " + keyDecls + wantKeyOf + " AppendBinary UnmarshalBinary StatsState Add Merge Result AppendBinary UnmarshalBinary SizeBytes"
			if got := strings.Join(names, " "); got != want {
				t.Errorf("declarations %s\nwant %s", got, want)
			}
			// Every window's start is in the key; a session's end is
			// in the state (a fixed window's is computed).
			key := string(src[bytes.Index(src, []byte("type StatsKey struct")):bytes.Index(src, []byte("type StatsState struct"))])
			state := string(src[bytes.Index(src, []byte("type StatsState struct")):])
			state = state[:strings.Index(state, "\n}\n")]
			if !strings.Contains(key, "\n\tWindowStart time.Time") || strings.Contains(key, "\n\tWindowEnd ") {
				t.Errorf("%s: key window fields wrong:\n%s", kind, key)
			}
			if strings.Contains(state, "\n\tWindowStart ") || strings.Contains(state, "\n\tWindowEnd time.Time") != (kind == ir.Session) {
				t.Errorf("%s: state window fields wrong:\n%s", kind, state)
			}
		})
	}
}

func TestStateNameClash(t *testing.T) {
	prog := statsProgram(ir.Tumbling)
	// A record named StatsKey takes the key type's name.
	prog.Records[0].Name = "StatsKey"
	_, diags := plan.Build(prog, plan.Config{PkgPath: "example.com/stats"})
	if diags.Len() == 0 || !strings.Contains(diags.Error(), "are both named StatsKey") {
		t.Errorf("diagnostics %v", diags)
	}
}

func TestDurationCode(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		code string
		text string
	}{
		{time.Hour, "time.Hour", "1h"},
		{90 * time.Minute, "90 * time.Minute", "1h30m"},
		{10 * time.Minute, "10 * time.Minute", "10m"},
		{1500 * time.Millisecond, "1500 * time.Millisecond", "1.5s"},
		{7, "time.Duration(7)", "7ns"},
		{0, "0", "0s"},
	} {
		var b bytes.Buffer
		if err := jen.Add(durationCode(c.d)).Render(&b); err != nil {
			t.Fatal(err)
		}
		if got := strings.ReplaceAll(b.String(), "\"time\".", "time."); got != c.code {
			t.Errorf("durationCode(%v) = %s, want %s", c.d, got, c.code)
		}
		if got := durText(c.d); got != c.text {
			t.Errorf("durText(%v) = %s, want %s", c.d, got, c.text)
		}
	}
}
