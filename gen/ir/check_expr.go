package ir

import (
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/scanner"
	"go/token"
	"go/types"
	"sort"
	"strings"
	"sync"
)

// ExprPackages are the packages spec expressions may use. A field with
// the same name as a package shadows it, as in Go.
var ExprPackages = []string{"math", "strconv", "strings", "time"}

// exprError is a problem in an expression at a byte offset of its text.
type exprError struct {
	Offset int
	Msg    string
}

// The source importer type-checks the standard library from source once
// per process; it is not safe for concurrent use.
var (
	importMu    sync.Mutex
	importFset  = token.NewFileSet()
	stdImporter types.Importer
)

func stdImport() types.Importer {
	if stdImporter == nil {
		stdImporter = importer.ForCompiler(importFset, "source", nil)
	}
	return stdImporter
}

// goTypeOf returns the Go type, as source text, that the variable for
// field f has in expressions (see Expr). ok is false when the field
// cannot be used (nested records are declared as structs named
// rec_<Record>).
func goTypeOf(f *Field) string {
	t := goValueType(f.Type)
	if _, isList := f.Type.(*List); !isList && (f.Nullable || !f.Required) {
		return "*" + t
	}
	return t
}

func goValueType(t Type) string {
	switch t := t.(type) {
	case *Scalar:
		switch t.Kind {
		case String, UUID:
			return "string"
		default:
			return string(t.Kind)
		}
	case *Timestamp, *Date:
		return "time.Time"
	case *Enum:
		return "string"
	case *List:
		e := goValueType(t.Elem)
		if t.ElemNullable {
			e = "*" + e
		}
		return "[]" + e
	case *Ref:
		return "rec_" + identSafe(t.Name)
	}
	return "any"
}

func identSafe(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// isIdent reports whether name can be declared as a Go variable.
func isIdent(name string) bool {
	if name == "" || name == "_" || token.IsKeyword(name) {
		return false
	}
	return token.IsIdentifier(name)
}

// exprResult is a checked expression.
type exprResult struct {
	Type types.Type
	Vars []ExprVar
}

// checkExpr parses src as a Go expression and type-checks it in a scope
// declaring rec's fields. wantBool requires a boolean result.
func checkExpr(src string, rec *Record, wantBool bool) (*exprResult, []exprError) {
	if strings.TrimSpace(src) == "" {
		return nil, []exprError{{0, "empty expression"}}
	}
	fset := token.NewFileSet()
	e, err := parser.ParseExprFrom(fset, "", src, 0)
	if err != nil {
		off, msg := 0, err.Error()
		if el, ok := err.(scanner.ErrorList); ok && len(el) > 0 {
			off, msg = el[0].Pos.Offset, el[0].Msg
		}
		return nil, []exprError{{off, "syntax error: " + msg}}
	}
	var bad []exprError
	ast.Inspect(e, func(n ast.Node) bool {
		if fl, ok := n.(*ast.FuncLit); ok {
			bad = append(bad, exprError{fset.Position(fl.Pos()).Offset, "function literals are not allowed in expressions"})
			return false
		}
		return true
	})
	if bad != nil {
		return nil, bad
	}

	// The synthetic file: one parameter per field, then `_ = (expr)` on
	// its own line so error positions map back to offsets in src.
	var b strings.Builder
	b.WriteString("package streamgenexpr\n\nimport (\n")
	for _, p := range ExprPackages {
		fmt.Fprintf(&b, "\t%q\n", p)
	}
	b.WriteString(")\n\nvar (\n")
	for _, p := range ExprPackages {
		fmt.Fprintf(&b, "\t_ = %s.%s\n", p, map[string]string{"math": "Abs", "strconv": "Itoa", "strings": "Contains", "time": "Now"}[p])
	}
	b.WriteString(")\n\n")
	declared := map[string]bool{}
	declareRecordTypes(&b, rec, declared)
	b.WriteString("func _(\n")
	vars := map[string]string{}
	for _, f := range rec.Fields {
		if !isIdent(f.Name) {
			continue
		}
		gt := goTypeOf(f)
		vars[f.Name] = gt
		fmt.Fprintf(&b, "\t%s %s,\n", f.Name, gt)
	}
	b.WriteString(") {\n\t_ = (")
	start := b.Len()
	b.WriteString(strings.TrimRight(src, " \t\r\n"))
	b.WriteString(")\n}\n")
	text := b.String()

	file, err := parser.ParseFile(importFset, "expr.go", text, 0)
	if err != nil {
		return nil, []exprError{{0, "syntax error: not a single Go expression"}}
	}
	importMu.Lock()
	defer importMu.Unlock()
	var errs []exprError
	conf := types.Config{
		Importer: stdImport(),
		Error: func(err error) {
			te, ok := err.(types.Error)
			if !ok || te.Soft && strings.Contains(te.Msg, "declared and not used") {
				return
			}
			off := importFset.Position(te.Pos).Offset - start
			if off < 0 || off > len(src) {
				off = 0
			}
			errs = append(errs, exprError{off, te.Msg})
		},
	}
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Uses: map[*ast.Ident]types.Object{}, Defs: map[*ast.Ident]types.Object{}}
	conf.Check("streamgenexpr", importFset, []*ast.File{file}, info)
	if len(errs) > 0 {
		return nil, errs
	}
	// Find the checked expression: the RHS of the last assignment.
	var rhs ast.Expr
	ast.Inspect(file, func(n ast.Node) bool {
		if as, ok := n.(*ast.AssignStmt); ok {
			rhs = as.Rhs[0]
		}
		return true
	})
	tv := info.Types[rhs]
	res := &exprResult{Type: tv.Type}
	// Vars in order of first use: identifiers resolving to the
	// parameters.
	params := map[types.Object]string{}
	for _, decl := range file.Decls {
		if fd, ok := decl.(*ast.FuncDecl); ok {
			for _, fld := range fd.Type.Params.List {
				for _, id := range fld.Names {
					if obj := info.Defs[id]; obj != nil {
						params[obj] = id.Name
					}
				}
			}
		}
	}
	type use struct {
		pos  token.Pos
		name string
	}
	var uses []use
	for id, obj := range info.Uses {
		if name, ok := params[obj]; ok {
			uses = append(uses, use{id.Pos(), name})
		}
	}
	sort.Slice(uses, func(i, j int) bool { return uses[i].pos < uses[j].pos })
	seen := map[string]bool{}
	for _, u := range uses {
		if seen[u.name] {
			continue
		}
		seen[u.name] = true
		res.Vars = append(res.Vars, ExprVar{Field: u.name, GoType: vars[u.name]})
	}
	if wantBool {
		if basic, ok := tv.Type.Underlying().(*types.Basic); !ok || basic.Info()&types.IsBoolean == 0 {
			return nil, []exprError{{0, fmt.Sprintf("expression has type %s, want bool", typeString(tv.Type))}}
		}
	}
	return res, nil
}

// declareRecordTypes declares struct types for the nested records rec
// refers to, with fields named by their JSON names.
func declareRecordTypes(b *strings.Builder, rec *Record, declared map[string]bool) {
	var visit func(t Type)
	visit = func(t Type) {
		switch t := t.(type) {
		case *List:
			visit(t.Elem)
		case *Ref:
			name := "rec_" + identSafe(t.Name)
			if declared[name] || t.Record == nil {
				return
			}
			declared[name] = true
			fmt.Fprintf(b, "type %s struct {\n", name)
			for _, f := range t.Record.Fields {
				if isIdent(f.Name) {
					fmt.Fprintf(b, "\t%s %s\n", f.Name, goTypeOf(f))
				}
			}
			b.WriteString("}\n\n")
			for _, f := range t.Record.Fields {
				visit(f.Type)
			}
		}
	}
	for _, f := range rec.Fields {
		visit(f.Type)
	}
}

// typeString prints t without package qualification for the synthetic
// package (time.Time stays qualified).
func typeString(t types.Type) string {
	return types.TypeString(t, func(p *types.Package) string {
		if p.Path() == "streamgenexpr" {
			return ""
		}
		return p.Name()
	})
}
