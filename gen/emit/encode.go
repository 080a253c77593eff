package emit

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/streamgen/streamgen/gen/ir"
	"github.com/streamgen/streamgen/gen/plan"
)

// KindEncode is the kind of a record's <record>_encode.go file, its
// reflection-free JSON encoder (Encoder). Until gen/plan plans these
// files, EncodeFiles adds one beside every KindRecord file.
const KindEncode plan.FileKind = "encode"

// AppendJSONMethod is the name of the method generated encoders give a
// record: func (r *Rec) AppendJSON(dst []byte) []byte.
const AppendJSONMethod = "AppendJSON"

// EncodeFiles returns p's files plus a KindEncode file <record>_encode.go
// beside each KindRecord file <record>.go, sorted by path: every
// generated record gets an encoder, the decoded ones (and the records
// they nest) and those that steps derive (select outputs, aggregation
// results), which sinks such as Kafka write. A path another file already
// has is an error.
func EncodeFiles(p *plan.Plan) ([]*plan.File, error) {
	files := append([]*plan.File(nil), p.Files...)
	taken := map[string]bool{}
	for _, f := range p.Files {
		taken[f.Path] = true
	}
	for _, f := range p.Files {
		if f.Kind != plan.KindRecord {
			continue
		}
		base, ok := strings.CutSuffix(f.Path, ".go")
		if !ok || f.Record == nil {
			return nil, fmt.Errorf("streamgen: internal error: record file %s is not a .go file of a record", f.Path)
		}
		path := base + "_encode.go"
		if taken[path] {
			return nil, fmt.Errorf("streamgen: the JSON encoder of record %s and another generated file are both %s: rename the record", f.Record.IR.Name, path)
		}
		taken[path] = true
		files = append(files, &plan.File{Path: path, Kind: KindEncode, Source: f.Source, Record: f.Record})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}

// EncodeFuncName names the unexported function that appends one JSON
// object of r: append<Record>JSON(dst []byte, r *<Record>) []byte, the
// shape of a Kafka sink's Value function. Generated code of the same
// package (pipelines, sinks) calls it directly.
func EncodeFuncName(r *plan.Record) string { return "append" + r.GoName + "JSON" }

// ExportedEncodeFuncName is the exported function Append<Record>JSON that
// replaces the AppendJSON method of a record with a field named
// AppendJSON (a type cannot have a field and a method of the same name);
// it is "" when the record has the method.
func ExportedEncodeFuncName(r *plan.Record) string {
	for _, f := range r.Fields {
		if f.GoName == AppendJSONMethod {
			return "Append" + r.GoName + "JSON"
		}
	}
	return ""
}

// encodeFile emits a record's encoder file, checking that the exported
// function a clashing record gets (ExportedEncodeFuncName) names nothing
// else in p.
func encodeFile(jf *jen.File, p *plan.Plan, r *plan.Record) error {
	if name := ExportedEncodeFuncName(r); name != "" && p != nil {
		if other := planTakes(p, name); other != "" {
			return fmt.Errorf("record %s has a field AppendJSON, and the encoder function %s that replaces its AppendJSON method would clash with %s", r.IR.Name, name, other)
		}
	}
	for i, c := range Encoder(r) {
		if i > 0 {
			jf.Line()
		}
		jf.Add(c)
	}
	return nil
}

// planTakes returns what in p is already named name, or "".
func planTakes(p *plan.Plan, name string) string {
	for _, r := range p.Records {
		for _, n := range []string{r.GoName, r.DecoderName, "New" + r.DecoderName, r.DeltaSchemaFunc, r.CSVDecoderName, "New" + r.CSVDecoderName} {
			if n == name {
				return "a declaration of record " + r.IR.Name
			}
		}
		for _, e := range r.Enums {
			if e.GoName == name {
				return "the enum type " + name
			}
			for _, c := range e.Consts {
				if c == name {
					return "the enum constant " + name
				}
			}
		}
	}
	return ""
}

// Encoder returns the declarations of r's reflection-free JSON encoder:
//
//	// AppendJSON appends o to dst as one JSON object …
//	func (o *Order) AppendJSON(dst []byte) []byte { return appendOrderJSON(dst, o) }
//
//	// appendOrderJSON appends r to dst as one JSON object …
//	func appendOrderJSON(dst []byte, r *Order) []byte {
//		dst = append(dst, `{"order_id":`...)
//		dst = streamimpl.AppendJSONString(dst, r.OrderID)
//		if r.Updated != nil {
//			dst = append(dst, `,"updated":`...)
//			dst = streamimpl.AppendJSONTime(dst, *r.Updated)
//		}
//		…
//		return append(dst, '}')
//	}
//
// A record with a field named AppendJSON gets the function
// Append<Record>JSON(dst, r) instead of the method.
//
// Members are written in schema order under their JSON names, without
// whitespace. A field that is not required is left out when nil; a
// required nullable field that is nil is written as null; a nil list
// that is required and not nullable is written as [] (the decoder never
// returns one); an empty non-nil list is written as []. Values are
// written as the decoder reads them (see the streamimpl.AppendJSON*
// helpers): strings escaped as encoding/json does without HTML escaping,
// floats as encoding/json formats them (NaN and ±Inf as null), RFC 3339
// timestamps in UTC with nanosecond precision, epoch timestamps as
// integers rounded down to the unit, dates as "YYYY-MM-DD". A value the
// decoder would reject (an integer outside the schema's bounds, a string
// that is not one of an enum's values, a malformed UUID) is written as
// it is.
func Encoder(r *plan.Record) []jen.Code {
	fn := EncodeFuncName(r)
	var out []jen.Code
	if name := ExportedEncodeFuncName(r); name != "" {
		out = append(out, doc(wrap(fmt.Sprintf("%s appends r to dst as one JSON object%s, and returns the extended slice. (%s has a field named AppendJSON, so it has this function instead of an AppendJSON method.)", name, encReadBack(r), r.GoName))).Line().
			Func().Id(name).Params(jen.Id("dst").Index().Byte(), jen.Id("r").Op("*").Id(r.GoName)).Index().Byte().Block(
			jen.Return(jen.Id(fn).Call(jen.Id("dst"), jen.Id("r"))),
		))
	} else {
		recv := r.Receiver
		if recv == "" || recv == "dst" {
			recv = "r"
		}
		out = append(out, doc(wrap(fmt.Sprintf("AppendJSON appends %s to dst as one JSON object%s, and returns the extended slice. It allocates only to grow dst.", recv, encReadBack(r)))).Line().
			Func().Params(jen.Id(recv).Op("*").Id(r.GoName)).Id(AppendJSONMethod).Params(jen.Id("dst").Index().Byte()).Index().Byte().Block(
			jen.Return(jen.Id(fn).Call(jen.Id("dst"), jen.Id(recv))),
		))
	}
	return append(out, encObjectFunc(r))
}

// encReadBack says how the encoding reads back: through the record's
// decoder when it has one, else as the record's fields.
func encReadBack(r *plan.Record) string {
	if r.Decode {
		return fmt.Sprintf(", the form %s reads back as the same value", r.DecoderName)
	}
	return " holding its fields under their JSON names"
}

// encObjectFunc returns append<Record>JSON.
func encObjectFunc(r *plan.Record) jen.Code {
	fn := EncodeFuncName(r)
	sig := jen.Func().Id(fn).Params(jen.Id("dst").Index().Byte(), jen.Id("r").Op("*").Id(r.GoName)).Index().Byte()
	comment := doc(wrap(fmt.Sprintf("%s appends r to dst as one JSON object and returns the extended slice.", fn))).Line()
	if len(r.Fields) == 0 {
		return comment.Add(sig).Block(jen.Return(jen.Append(jen.Id("dst"), jen.Lit("{}").Op("..."))))
	}
	// When the first field is always written, its key opens the object;
	// otherwise every key starts with a comma and the first one written
	// is turned into the opening brace.
	direct := r.Fields[0].IR.Required
	var body []jen.Code
	if !direct {
		body = append(body, jen.Id("start").Op(":=").Len(jen.Id("dst")))
	}
	for i, f := range r.Fields {
		prefix := ","
		if direct && i == 0 {
			prefix = "{"
		}
		body = append(body, encField(f, prefix)...)
	}
	if direct {
		body = append(body, jen.Return(jen.Append(jen.Id("dst"), jen.LitRune('}'))))
	} else {
		body = append(body,
			jen.If(jen.Len(jen.Id("dst")).Op("==").Id("start")).Block(
				jen.Return(jen.Append(jen.Id("dst"), jen.Lit("{}").Op("..."))),
			),
			jen.Id("dst").Index(jen.Id("start")).Op("=").LitRune('{'),
			jen.Return(jen.Append(jen.Id("dst"), jen.LitRune('}'))),
		)
	}
	return comment.Add(sig).Block(body...)
}

// encAppend returns dst = append(dst, lit...).
func encAppend(lit string) jen.Code {
	if len(lit) == 1 {
		return jen.Id("dst").Op("=").Append(jen.Id("dst"), jen.LitRune(rune(lit[0])))
	}
	return jen.Id("dst").Op("=").Append(jen.Id("dst"), decString(lit).(*jen.Statement).Clone().Op("..."))
}

// encField returns the statements writing field f: its key (prefix, the
// JSON name and a colon) and value, or nothing when it is absent.
func encField(f *plan.Field, prefix string) []jen.Code {
	key := prefix + decJSONName(f.IR.Name) + ":"
	target := jen.Id("r").Dot(f.GoName)
	g := &encGen{f: f}
	null := encAppend("null")
	if l, isList := f.IR.Type.(*ir.List); isList {
		// The key and the opening bracket are one append.
		list := append([]jen.Code{encAppend(key + "[")}, g.list(l, target, 0, false)...)
		switch {
		case !f.IR.Required:
			return []jen.Code{jen.If(target.Clone().Op("!=").Nil()).Block(list...)}
		case f.IR.Nullable:
			return []jen.Code{jen.If(target.Clone().Op("==").Nil()).Block(encAppend(key + "null")).Else().Block(list...)}
		}
		return list
	}
	value := func(ptr bool) []jen.Code {
		return append([]jen.Code{encAppend(key)}, g.value(f.IR.Type, ptr, target, 0)...)
	}
	switch {
	case f.Pointer && !f.IR.Required:
		return []jen.Code{jen.If(target.Clone().Op("!=").Nil()).Block(value(true)...)}
	case f.Pointer:
		return []jen.Code{encAppend(key), jen.If(target.Clone().Op("==").Nil()).Block(null).Else().Block(g.value(f.IR.Type, true, target, 0)...)}
	}
	return value(false)
}

// encGen generates the encoding of one field's value.
type encGen struct {
	f *plan.Field
}

// value returns statements appending the value v of type t, a pointer
// to it when ptr (then not nil), to dst. depth numbers the index
// variables of nested lists.
func (g *encGen) value(t ir.Type, ptr bool, v *jen.Statement, depth int) []jen.Code {
	deref := func() *jen.Statement {
		if ptr {
			return jen.Op("*").Add(v.Clone())
		}
		return v.Clone()
	}
	call := func(path, name string, arg jen.Code) []jen.Code {
		return []jen.Code{jen.Id("dst").Op("=").Qual(path, name).Call(jen.Id("dst"), arg)}
	}
	impl := func(name string) []jen.Code { return call(decStreamimpl, name, deref()) }
	switch t := t.(type) {
	case *ir.Scalar:
		switch t.Kind {
		case ir.String, ir.UUID:
			return impl("AppendJSONString")
		case ir.Int32:
			return []jen.Code{jen.Id("dst").Op("=").Qual("strconv", "AppendInt").Call(jen.Id("dst"), jen.Int64().Parens(deref()), jen.Lit(10))}
		case ir.Int64:
			return []jen.Code{jen.Id("dst").Op("=").Qual("strconv", "AppendInt").Call(jen.Id("dst"), deref(), jen.Lit(10))}
		case ir.Float64:
			return impl("AppendJSONFloat64")
		case ir.Bool:
			return call("strconv", "AppendBool", deref())
		}
		panic(fmt.Sprintf("emit: encoder: unknown scalar kind %q", t.Kind))
	case *ir.Timestamp:
		switch t.Unit {
		case ir.RFC3339:
			return impl("AppendJSONTime")
		case ir.EpochSeconds:
			return impl("AppendJSONEpochSeconds")
		case ir.EpochMillis:
			return impl("AppendJSONEpochMillis")
		}
		panic(fmt.Sprintf("emit: encoder: unknown time unit %q", t.Unit))
	case *ir.Date:
		return impl("AppendJSONDate")
	case *ir.Enum:
		return call(decStreamimpl, "AppendJSONString", jen.String().Parens(deref()))
	case *ir.Ref:
		if g.f.Ref == nil {
			panic(fmt.Sprintf("emit: encoder: field %q has no planned Ref record", g.f.IR.Name))
		}
		arg := v.Clone()
		if !ptr {
			arg = jen.Op("&").Add(v.Clone())
		}
		return []jen.Code{jen.Id("dst").Op("=").Id(EncodeFuncName(g.f.Ref)).Call(jen.Id("dst"), arg)}
	case *ir.List:
		return g.list(t, v, depth, true)
	}
	panic(fmt.Sprintf("emit: encoder: unknown type %T", t))
}

// list returns statements appending the list v (nil is written as []),
// from its opening bracket when open:
//
//	dst = append(dst, '[')
//	for i0 := range v {
//		if i0 > 0 {
//			dst = append(dst, ',')
//		}
//		<element v[i0]>
//	}
//	dst = append(dst, ']')
func (g *encGen) list(t *ir.List, v *jen.Statement, depth int, open bool) []jen.Code {
	idx := jen.Id("i" + strconv.Itoa(depth))
	elem := v.Clone().Index(idx.Clone())
	_, elemList := t.Elem.(*ir.List)
	var write []jen.Code
	switch {
	case t.ElemNullable && elemList:
		write = []jen.Code{jen.If(elem.Clone().Op("==").Nil()).Block(encAppend("null")).Else().Block(g.value(t.Elem, false, elem, depth+1)...)}
	case t.ElemNullable:
		write = []jen.Code{jen.If(elem.Clone().Op("==").Nil()).Block(encAppend("null")).Else().Block(g.value(t.Elem, true, elem, depth+1)...)}
	default:
		write = g.value(t.Elem, false, elem, depth+1)
	}
	loop := append([]jen.Code{jen.If(idx.Clone().Op(">").Lit(0)).Block(encAppend(","))}, write...)
	out := []jen.Code{
		jen.For(idx.Clone().Op(":=").Range().Add(v.Clone())).Block(loop...),
		encAppend("]"),
	}
	if open {
		return append([]jen.Code{encAppend("[")}, out...)
	}
	return out
}
