package ir

import (
	"fmt"
	"go/token"
	"go/types"
	"reflect"
	"strings"

	"github.com/streamgen/streamgen/gen/diag"
	"github.com/streamgen/streamgen/gen/spec"
)

// User Go functions (map and foreachBatch) live in the user's packages,
// which cannot import the generated package (it imports them). So they
// take and return struct types of their own, and the generator binds
// those to records by field name:
//
//   - an argument struct's exported fields are matched to the row's fields
//     by json tag name, or else by Go name (case and underscores ignored:
//     DeviceID matches device_id); each must have exactly the Go type
//     expressions see for that field (see Expr: *T for optional fields,
//     string for enums, time.Time for timestamps). Row fields it does not
//     name are not passed. Generated code builds the struct field by
//     field.
//   - a map result struct becomes the row type of later steps: its
//     exported fields (json tag name, else Go name) of type string, int32,
//     int, int64, float64, bool, time.Time, a pointer to one (nullable) or
//     a slice of one become the fields of a record named after the type.

// goFunc resolves "importpath.Name" at path.
func (b *pipelineBuilder) goFunc(path, ref string) *types.Func {
	slash := strings.LastIndexByte(ref, '/')
	dot := strings.LastIndexByte(ref, '.')
	if dot <= slash+1 || dot == len(ref)-1 {
		b.errorf(path, "invalid function %q (want import path and name: example.com/me/enrich.Enrich)", ref)
		return nil
	}
	pkg, name := ref[:dot], ref[dot+1:]
	if !token.IsExported(name) {
		b.errorf(path, "function %s must be exported", name)
		return nil
	}
	if b.env.Func == nil {
		b.errorf(path, "cannot check function %s: Go packages are not loaded", ref)
		return nil
	}
	fn, err := b.env.Func(pkg, name)
	if err != nil {
		b.errorf(path, "%v", err)
		return nil
	}
	return fn
}

func (b *pipelineBuilder) declared(obj types.Object) string {
	if obj == nil || !obj.Pos().IsValid() {
		return ""
	}
	if b.env.FuncPos != nil {
		return fmt.Sprintf("%s is declared at %s", obj.Name(), b.env.FuncPos(obj))
	}
	return ""
}

func qualifier(p *types.Package) string { return p.Name() }

func isContext(t types.Type) bool {
	n, ok := t.(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "context" && n.Obj().Name() == "Context"
}

func isError(t types.Type) bool { return types.Identical(t, types.Universe.Lookup("error").Type()) }

// userStruct returns t as a named struct type, or nil.
func userStruct(t types.Type) (*types.Named, *types.Struct) {
	n, ok := t.(*types.Named)
	if !ok {
		return nil, nil
	}
	s, ok := n.Underlying().(*types.Struct)
	if !ok {
		return nil, nil
	}
	return n, s
}

func goTypeRef(n *types.Named) GoType {
	g := GoType{Name: n.Obj().Name()}
	if n.Obj().Pkg() != nil {
		g.PkgPath = n.Obj().Pkg().Path()
	}
	return g
}

func (b *pipelineBuilder) mapStep(path string, m *spec.Map, in *Record) {
	b.rows = nil // unknown until the result type is checked
	if m == nil {
		return
	}
	fp := path + ".func"
	fn := b.goFunc(fp, m.Func)
	if fn == nil {
		return
	}
	sig := fn.Type().(*types.Signature)
	const want = "want func(In) Out, func(In) (Out, error), func(context.Context, In) Out or func(context.Context, In) (Out, error) with In and Out struct types"
	params, results := sig.Params(), sig.Results()
	g := GoFunc{PkgPath: fn.Pkg().Path(), Name: fn.Name()}
	ok := !sig.Variadic() && sig.TypeParams().Len() == 0 && sig.Recv() == nil
	var argT, outT types.Type
	switch {
	case params.Len() == 1:
		argT = params.At(0).Type()
	case params.Len() == 2 && isContext(params.At(0).Type()):
		g.Context = true
		argT = params.At(1).Type()
	default:
		ok = false
	}
	switch {
	case results.Len() == 1:
		outT = results.At(0).Type()
	case results.Len() == 2 && isError(results.At(1).Type()):
		g.Error = true
		outT = results.At(0).Type()
	default:
		ok = false
	}
	sigText := types.TypeString(sig, qualifier)
	if !ok {
		b.diags.AddHint(b.pos(fp), fp, b.declared(fn), "function %s has signature %s; %s", fn.Name(), strings.TrimPrefix(sigText, "func"), want)
		return
	}
	argN, _ := userStruct(argT)
	outN, outS := userStruct(outT)
	if argN == nil {
		b.diags.AddHint(b.pos(fp), fp, b.declared(fn), "function %s takes %s; %s", fn.Name(), types.TypeString(argT, qualifier), want)
	}
	if outN == nil {
		b.diags.AddHint(b.pos(fp), fp, b.declared(fn), "function %s returns %s; %s", fn.Name(), types.TypeString(outT, qualifier), want)
	}
	if argN == nil || outN == nil {
		return
	}
	g.Arg = goTypeRef(argN)
	g.ArgFields = b.bindStruct(fp, argN, in)
	mp := &Map{Op: "map", In: in, Func: g, OutType: goTypeRef(outN), Pos: b.pos(path)}
	out := &Record{Name: outN.Obj().Name(), ID: "go:" + mp.OutType.PkgPath + "." + mp.OutType.Name, Source: b.f.Path, Pos: b.pos(path)}
	okOut := true
	for i := 0; i < outS.NumFields(); i++ {
		sf := outS.Field(i)
		if !sf.Exported() {
			continue
		}
		name, skip := jsonName(outS.Tag(i), sf.Name())
		if skip {
			continue
		}
		typ, nullable, err := irTypeOfGoType(sf.Type())
		if err != nil {
			b.diags.AddHint(b.pos(fp), fp, b.declared(sf), "result field %s.%s: %v", outN.Obj().Name(), sf.Name(), err)
			okOut = false
			continue
		}
		if out.Field(name) != nil {
			b.diags.AddHint(b.pos(fp), fp, b.declared(sf), "result field %s.%s: duplicate field name %q", outN.Obj().Name(), sf.Name(), name)
			okOut = false
			continue
		}
		out.Fields = append(out.Fields, &Field{Name: name, Type: typ, Required: !nullable, Nullable: nullable, Pos: b.pos(path)})
		mp.OutFields = append(mp.OutFields, sf.Name())
		mp.OutBindings = append(mp.OutBindings, FieldBinding{GoField: sf.Name(), GoType: types.TypeString(sf.Type(), qualifier), Field: name})
	}
	mp.Out = out
	b.p.Steps = append(b.p.Steps, mp)
	if okOut && in != nil {
		b.rows = out
	}
}

// jsonName returns the field's json tag name, or goName; skip is true
// for json:"-".
func jsonName(tag, goName string) (string, bool) {
	name, _, _ := strings.Cut(reflect.StructTag(tag).Get("json"), ",")
	if name == "-" {
		return "", true
	}
	if name == "" {
		return goName, false
	}
	return name, false
}

func normName(s string) string { return strings.ToLower(strings.ReplaceAll(s, "_", "")) }

// bindStruct matches the exported fields of the user's struct n to the
// fields of rec.
func (b *pipelineBuilder) bindStruct(path string, n *types.Named, rec *Record) []FieldBinding {
	if rec == nil {
		return nil
	}
	s := n.Underlying().(*types.Struct)
	var out []FieldBinding
	for i := 0; i < s.NumFields(); i++ {
		sf := s.Field(i)
		if !sf.Exported() {
			continue
		}
		tagName, skip := jsonName(s.Tag(i), "")
		if skip {
			continue
		}
		var f *Field
		want := tagName
		if tagName != "" {
			f = rec.Field(tagName)
		} else {
			want = sf.Name()
			for _, rf := range rec.Fields {
				if normName(rf.Name) == normName(sf.Name()) {
					f = rf
					break
				}
			}
		}
		if f == nil {
			hint := diag.DidYouMean(want, rec.FieldNames())
			if hint == "" {
				hint = b.declared(sf)
			}
			b.diags.AddHint(b.pos(path), path, hint, "%s.%s: no field %q in record %s", n.Obj().Name(), sf.Name(), want, rec.Name)
			continue
		}
		if _, isRef := f.Type.(*Ref); isRef {
			b.diags.AddHint(b.pos(path), path, b.declared(sf), "%s.%s: field %q is a nested record, which Go functions cannot take", n.Obj().Name(), sf.Name(), f.Name)
			continue
		}
		got, wantT := types.TypeString(sf.Type(), qualifier), goTypeOf(f)
		if got != wantT {
			b.diags.AddHint(b.pos(path), path, b.declared(sf), "%s.%s has type %s, want %s (field %q of record %s)", n.Obj().Name(), sf.Name(), got, wantT, f.Name, rec.Name)
			continue
		}
		out = append(out, FieldBinding{GoField: sf.Name(), GoType: got, Field: f.Name})
	}
	return out
}

// irTypeOfGoType maps a user struct field's Go type to a field type.
func irTypeOfGoType(t types.Type) (Type, bool, error) {
	if p, ok := t.(*types.Pointer); ok {
		typ, _, err := irTypeOfGoType(p.Elem())
		if _, isList := typ.(*List); isList {
			return nil, false, fmt.Errorf("type %s is not supported (use a slice)", types.TypeString(t, qualifier))
		}
		return typ, true, err
	}
	if sl, ok := t.(*types.Slice); ok {
		if _, isBytes := sl.Elem().(*types.Basic); isBytes && sl.Elem().(*types.Basic).Kind() == types.Byte {
			return nil, false, fmt.Errorf("type []byte is not supported")
		}
		elem, null, err := irTypeOfGoType(sl.Elem())
		if err != nil {
			return nil, false, err
		}
		if _, nested := elem.(*List); nested {
			return nil, false, fmt.Errorf("nested lists are not supported")
		}
		return &List{Elem: elem, ElemNullable: null}, false, nil
	}
	if n, ok := t.(*types.Named); ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "time" && n.Obj().Name() == "Time" {
		return &Timestamp{Unit: RFC3339}, false, nil
	}
	if bt, ok := t.(*types.Basic); ok {
		switch bt.Kind() {
		case types.String:
			return &Scalar{Kind: String}, false, nil
		case types.Int32:
			return &Scalar{Kind: Int32}, false, nil
		case types.Int, types.Int64:
			return &Scalar{Kind: Int64}, false, nil
		case types.Float64:
			return &Scalar{Kind: Float64}, false, nil
		case types.Bool:
			return &Scalar{Kind: Bool}, false, nil
		}
	}
	return nil, false, fmt.Errorf("type %s is not supported (want string, int32, int, int64, float64, bool, time.Time, a pointer to one, or a slice)", types.TypeString(t, qualifier))
}

// foreachSignature checks func(context.Context, int64, []T) error.
func (b *pipelineBuilder) foreachSignature(path string, fn *types.Func, rows *Record) GoFunc {
	sig := fn.Type().(*types.Signature)
	g := GoFunc{PkgPath: fn.Pkg().Path(), Name: fn.Name(), Context: true, Error: true}
	p, r := sig.Params(), sig.Results()
	ok := !sig.Variadic() && sig.TypeParams().Len() == 0 && p.Len() == 3 && r.Len() == 1 &&
		isContext(p.At(0).Type()) && types.Identical(p.At(1).Type(), types.Typ[types.Int64]) && isError(r.At(0).Type())
	var elem *types.Named
	if ok {
		if sl, isSlice := p.At(2).Type().(*types.Slice); isSlice {
			elem, _ = userStruct(sl.Elem())
		}
		ok = elem != nil
	}
	if !ok {
		b.diags.AddHint(b.pos(path), path, b.declared(fn), "function %s has signature %s; want func(ctx context.Context, batchID int64, rows []T) error with T a struct type",
			fn.Name(), strings.TrimPrefix(types.TypeString(sig, qualifier), "func"))
		return g
	}
	g.Arg = goTypeRef(elem)
	g.ArgFields = b.bindStruct(path, elem, rows)
	return g
}
