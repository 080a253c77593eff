package emit

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/streamgen/streamgen/gen/ir"
	"github.com/streamgen/streamgen/gen/plan"
)

// decStreamimpl is the import path of the runtime package generated
// decoders call.
const decStreamimpl = "github.com/streamgen/streamgen/runtime/streamimpl"

// Decoder returns the declarations of r's reflection-free JSON decoder:
//
//   - type <Record>Decoder, holding a streamimpl.Scanner and the
//     streamimpl.Arena its strings are copied into;
//   - New<Record>Decoder, Decode (one whole JSON value, trailing
//     whitespace only) and Reset (start a new arena block per batch);
//   - decode<Record>(s, a, dst), the function that decodes one object of
//     the record at the scanner's position. Decoders of records that
//     reference r call it, so every record a generated package decodes
//     must have its decoder emitted in that package.
//
// Semantics: unknown members are skipped; for a duplicate member the last
// one wins; a missing required field, null for a field or list element
// that is not nullable, a value of the wrong JSON type, an integer out of
// range or with a fraction or exponent, an enum value not in the list, a
// malformed RFC 3339 timestamp, date or UUID, and an epoch timestamp
// outside years 0000–9999 are errors (*streamimpl.DecodeError, with the
// field path and byte offset). Null or absence gives a nil pointer or
// slice; "[]" gives an empty, non-nil slice.
func Decoder(r *plan.Record) []jen.Code {
	name := r.DecoderName
	recv := jen.Id("d").Op("*").Id(name)
	fn := decFuncName(r)
	return []jen.Code{
		jen.Comment(fmt.Sprintf("%s decodes %s records from JSON without reflection.", name, r.GoName)).Line().
			Comment("Decoded strings point into the decoder's arena, shared by the records").Line().
			Comment("decoded after them; they stay valid as long as they are referenced.").Line().
			Comment("A decoder is not safe for concurrent use.").Line().
			Type().Id(name).Struct(
			jen.Id("s").Qual(decStreamimpl, "Scanner"),
			jen.Id("arena").Qual(decStreamimpl, "Arena"),
		),
		jen.Var().Id("_").Qual(decStreamimpl, "Decoder").Types(jen.Id(r.GoName)).Op("=").
			Parens(jen.Op("*").Id(name)).Parens(jen.Nil()),
		jen.Comment(fmt.Sprintf("New%s returns a decoder for %s records.", name, r.GoName)).Line().
			Func().Id("New" + name).Params().Op("*").Id(name).Block(
			jen.Return(jen.Op("&").Id(name).Values()),
		),
		jen.Comment("Decode decodes data, one JSON object with optional surrounding").Line().
			Comment("whitespace, into dst, which it resets first. On error, a").Line().
			Comment("*streamimpl.DecodeError naming the field and byte offset, dst is").Line().
			Comment("left partly decoded.").Line().
			Func().Params(recv).Id("Decode").Params(jen.Id("data").Index().Byte(), jen.Id("dst").Op("*").Id(r.GoName)).Error().Block(
			jen.Id("d").Dot("s").Dot("Reset").Call(jen.Id("data")),
			jen.If(jen.Err().Op(":=").Id(fn).Call(jen.Op("&").Id("d").Dot("s"), jen.Op("&").Id("d").Dot("arena"), jen.Id("dst")), jen.Err().Op("!=").Nil()).Block(
				jen.Return(jen.Err()),
			),
			jen.Return(jen.Id("d").Dot("s").Dot("End").Call()),
		),
		jen.Comment("Reset makes the records decoded from now on (the next batch) share").Line().
			Comment("a new arena block. Strings decoded before stay valid.").Line().
			Func().Params(recv).Id("Reset").Params().Block(
			jen.Id("d").Dot("arena").Dot("Reset").Call(),
		),
		decObjectFunc(r),
	}
}

// decFuncName names the function decoding one object of r.
func decFuncName(r *plan.Record) string { return "decode" + r.GoName }

// decObjectFunc returns decode<Record>: the member loop, one case per
// field, and the required-field check.
func decObjectFunc(r *plan.Record) jen.Code {
	var required []*plan.Field
	for _, f := range r.Fields {
		if f.IR.Required {
			required = append(required, f)
		}
	}
	words := (len(required) + 63) / 64
	bit := map[*plan.Field]int{}
	for i, f := range required {
		bit[f] = i
	}

	var cases, keyCases []jen.Code
	for i, f := range r.Fields {
		body := append([]jen.Code{jen.Id("next").Op("=").Lit(i + 1)}, decField(f, i)...)
		body = append(body, jen.Id("bad").Dot("Clear").Call(jen.Lit(i)))
		if b, ok := bit[f]; ok {
			body = append(body, decSeen(words, b).Op("|=").Add(decBit(b)))
		}
		cases = append(cases, jen.Case(jen.Lit(i)).Block(body...))
		keyCases = append(keyCases, jen.Case(jen.Lit(f.IR.Name)).Block(jen.Id("fi").Op("=").Lit(i)))
	}
	skip := jen.If(jen.Err().Op(":=").Id("s").Dot("Skip").Call(), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err()))
	cases = append(cases, jen.Default().Block(skip))
	unknown := jen.Return(jen.Qual(decStreamimpl, "UnknownField").Call(jen.Id("key"), jen.Id("koff")))
	if r.IR.Closed {
		// "additionalProperties": false: an unknown member is an error.
		keyCases = append(keyCases, jen.Default().Block(unknown))
	}

	var loop []jen.Code
	if len(r.Fields) == 0 {
		loop = []jen.Code{
			jen.List(jen.Id("key"), jen.Err()).Op(":=").Id("s").Dot("Key").Call(),
			jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err())),
			skip,
		}
		if r.IR.Closed {
			loop = []jen.Code{
				jen.Id("koff").Op(":=").Id("s").Dot("Offset").Call(),
				jen.List(jen.Id("key"), jen.Err()).Op(":=").Id("s").Dot("Key").Call(),
				jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err())),
				unknown,
			}
		} else {
			loop[0] = jen.List(jen.Id("_"), jen.Err()).Op(":=").Id("s").Dot("Key").Call()
		}
	} else {
		// Members usually come in schema order: try the next field's
		// encoded name first, then read the name and look it up.
		loop = nil
		if r.IR.Closed {
			loop = append(loop, jen.Id("koff").Op(":=").Id("s").Dot("Offset").Call())
		}
		loop = append(loop,
			jen.Id("fi").Op(":=").Lit(-1),
			jen.If(jen.Id("next").Op("<").Lit(len(r.Fields)).Op("&&").Id("s").Dot("KeyIs").Call(jen.Id(decKeysName(r)).Index(jen.Id("next")))).Block(
				jen.Id("fi").Op("=").Id("next"),
			).Else().Block(
				jen.List(jen.Id("key"), jen.Err()).Op(":=").Id("s").Dot("Key").Call(),
				jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err())),
				jen.Switch(jen.String().Parens(jen.Id("key"))).Block(keyCases...),
			),
			jen.Id("m").Op(":=").Id("s").Dot("Mark").Call(),
			jen.Id("field").Op(":").Switch(jen.Id("fi")).Block(cases...),
		)
	}
	loop = append(loop,
		jen.If(jen.List(jen.Id("more"), jen.Err()).Op("=").Id("s").Dot("ObjectNext").Call(), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err())),
	)

	body := []jen.Code{
		jen.Op("*").Id("dst").Op("=").Id(r.GoName).Values(),
	}
	if len(required) > 0 {
		body = append(body, jen.Id("start").Op(":=").Id("s").Dot("Offset").Call())
	}
	body = append(body,
		jen.List(jen.Id("more"), jen.Err()).Op(":=").Id("s").Dot("ObjectStart").Call(),
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err())),
	)
	switch {
	case words == 1:
		body = append(body, jen.Var().Id("seen").Uint64())
	case words > 1:
		body = append(body, jen.Var().Id("seen").Index(jen.Lit(words)).Uint64())
	}
	if len(r.Fields) > 0 {
		body = append(body, jen.Var().Id("bad").Qual(decStreamimpl, "Pending"), jen.Id("next").Op(":=").Lit(0))
	}
	body = append(body, jen.For(jen.Id("more")).Block(loop...))
	if len(r.Fields) > 0 {
		body = append(body, jen.If(jen.Err().Op(":=").Id("bad").Dot("Err").Call(), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err())))
	}
	for w := 0; w < words; w++ {
		n := min(64, len(required)-64*w)
		mask := jen.Lit(1).Op("<<").Lit(n).Op("-").Lit(1)
		switch {
		case n == 64:
			mask = jen.Qual("math", "MaxUint64")
		case n < 31:
			mask = jen.Lit(1<<n - 1)
		}
		var checks []jen.Code
		for i := 64 * w; i < 64*w+n; i++ {
			checks = append(checks, jen.If(decSeen(words, i).Op("&").Parens(decBit(i)).Op("==").Lit(0)).Block(
				jen.Return(jen.Qual(decStreamimpl, "Missing").Call(jen.Lit(required[i].IR.Name), jen.Id("start"))),
			))
		}
		body = append(body, jen.If(decSeen(words, 64*w).Op("!=").Add(mask)).Block(checks...))
	}
	body = append(body, jen.Return(jen.Nil()))

	fun := jen.Comment(fmt.Sprintf("%s decodes one %s object at the scanner's position into dst,", decFuncName(r), r.GoName)).Line().
		Comment("which it resets first, copying strings into a.").Line().
		Func().Id(decFuncName(r)).Params(
		jen.Id("s").Op("*").Qual(decStreamimpl, "Scanner"),
		jen.Id("a").Op("*").Qual(decStreamimpl, "Arena"),
		jen.Id("dst").Op("*").Id(r.GoName),
	).Error().Block(body...)
	if len(r.Fields) == 0 {
		return fun
	}
	var keys []jen.Code
	for _, f := range r.Fields {
		keys = append(keys, decString(decJSONName(f.IR.Name)+":"))
	}
	return jen.Comment(fmt.Sprintf("%s are the JSON-encoded member names of %s's fields and a", decKeysName(r), r.GoName)).Line().
		Comment("colon, in field order.").Line().
		Var().Id(decKeysName(r)).Op("=").Index(jen.Op("...")).String().Values(keys...).Line().Line().Add(fun)
}

// decKeysName names the array of r's encoded member names.
func decKeysName(r *plan.Record) string { return decFuncName(r) + "Keys" }

// decJSONName returns name as a JSON string token.
func decJSONName(name string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range []byte(name) {
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20:
			fmt.Fprintf(&b, "\\u%04x", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// decSeen returns the seen word holding required field i's bit.
func decSeen(words, i int) *jen.Statement {
	if words == 1 {
		return jen.Id("seen")
	}
	return jen.Id("seen").Index(jen.Lit(i / 64))
}

// decString returns a string literal, raw when that reads better.
func decString(s string) jen.Code {
	if strings.Contains(s, `"`) && !strings.ContainsAny(s, "`\r\n") && strconv.CanBackquote(s) {
		return jen.Id("`" + s + "`")
	}
	return jen.Lit(s)
}

// decBit returns the bit of required field i in its seen word.
func decBit(i int) *jen.Statement { return jen.Lit(1).Op("<<").Lit(i % 64) }

// decField returns the statements of field f's case: decode the value
// into dst.<GoName>, with a JSON null allowed when the field is nullable.
func decField(f *plan.Field, idx int) []jen.Code {
	target := jen.Id("dst").Dot(f.GoName)
	g := &decGen{f: f, idx: idx}
	wrap := func(err jen.Code) jen.Code {
		return jen.Qual(decStreamimpl, "InField").Call(err, jen.Lit(f.IR.Name))
	}
	_, isList := f.IR.Type.(*ir.List)
	value := g.value(f.IR.Type, f.Pointer && !isList, target, wrap, 0)
	if !f.IR.Nullable {
		return value
	}
	return []jen.Code{jen.If(jen.Id("s").Dot("Null").Call()).Block(
		jen.Id("dst").Dot(f.GoName).Op("=").Nil(),
	).Else().Block(value...)}
}

// decGen generates the decoding of one field's value.
type decGen struct {
	f   *plan.Field
	idx int // the field's index in the record
}

// fail returns the statements for an error err in the field's value:
// defer it (a later duplicate member may replace the value) and go on
// with the next member, or return a syntax error.
func (g *decGen) fail(err jen.Code) []jen.Code {
	return []jen.Code{
		jen.If(
			jen.Id("derr").Op(":=").Id("s").Dot("Defer").Call(jen.Op("&").Id("bad"), jen.Lit(g.idx), jen.Id("m"), err),
			jen.Id("derr").Op("!=").Nil(),
		).Block(jen.Return(jen.Id("derr"))),
		jen.Break().Id("field"),
	}
}

// goType returns the Go type of a value of type t (a pointer when ptr).
func (g *decGen) goType(t ir.Type, ptr bool) *jen.Statement {
	var c *jen.Statement
	switch t := t.(type) {
	case *ir.Scalar:
		switch t.Kind {
		case ir.String, ir.UUID:
			c = jen.String()
		case ir.Int32:
			c = jen.Int32()
		case ir.Int64:
			c = jen.Int64()
		case ir.Float64:
			c = jen.Float64()
		case ir.Bool:
			c = jen.Bool()
		default:
			panic(fmt.Sprintf("emit: decoder: unknown scalar kind %q", t.Kind))
		}
	case *ir.Timestamp:
		c = jen.Qual("time", "Time")
	case *ir.Date:
		c = jen.Qual("github.com/streamgen/streamgen/runtime/delta", "DateValue")
	case *ir.Enum:
		c = jen.Id(g.f.EnumType)
	case *ir.Ref:
		c = jen.Id(g.ref().GoName)
	case *ir.List:
		c = jen.Index().Add(g.goType(t.Elem, decElemPointer(t)))
	default:
		panic(fmt.Sprintf("emit: decoder: unknown type %T", t))
	}
	if ptr {
		return jen.Op("*").Add(c)
	}
	return c
}

// ref returns the planned record of the field's nested objects.
func (g *decGen) ref() *plan.Record {
	if g.f.Ref == nil {
		panic(fmt.Sprintf("emit: decoder: field %q has no planned Ref record", g.f.IR.Name))
	}
	return g.f.Ref
}

// decElemPointer reports whether the elements of a list of t are
// pointers in Go: nullable elements that are not lists themselves.
func decElemPointer(l *ir.List) bool {
	_, elemList := l.Elem.(*ir.List)
	return l.ElemNullable && !elemList
}

// value returns statements that read a value of type t (non-null) and
// assign it, or a pointer to it when ptr, to the addressable target;
// errors are returned through wrap. depth numbers the variables of
// nested lists.
func (g *decGen) value(t ir.Type, ptr bool, target *jen.Statement, wrap func(jen.Code) jen.Code, depth int) []jen.Code {
	v := jen.Id("v")
	ret := jen.If(jen.Err().Op("!=").Nil()).Block(g.fail(wrap(jen.Err()))...)
	assign := func(val jen.Code) []jen.Code {
		if ptr {
			return []jen.Code{target.Clone().Op("=").Op("&").Add(val)}
		}
		return []jen.Code{target.Clone().Op("=").Add(val)}
	}
	read := func(method string) []jen.Code {
		return append([]jen.Code{
			jen.List(v, jen.Err()).Op(":=").Id("s").Dot(method).Call(),
			ret,
		}, assign(v)...)
	}
	switch t := t.(type) {
	case *ir.Scalar:
		switch t.Kind {
		case ir.String, ir.UUID:
			method := "String"
			if t.Kind == ir.UUID {
				method = "UUID"
			}
			out := []jen.Code{
				jen.List(jen.Id("b"), jen.Err()).Op(":=").Id("s").Dot(method).Call(),
				ret,
			}
			str := jen.Id("a").Dot("String").Call(jen.Id("b"))
			if ptr {
				return append(out, jen.Id("str").Op(":=").Add(str), target.Clone().Op("=").Op("&").Id("str"))
			}
			return append(out, target.Clone().Op("=").Add(str))
		case ir.Int32, ir.Int64:
			return g.integer(t, ptr, target, wrap)
		case ir.Float64:
			return read("Float64")
		case ir.Bool:
			return read("Bool")
		}
		panic(fmt.Sprintf("emit: decoder: unknown scalar kind %q", t.Kind))
	case *ir.Timestamp:
		switch t.Unit {
		case ir.RFC3339:
			return read("TimeRFC3339")
		case ir.EpochSeconds:
			return read("TimeEpochSeconds")
		case ir.EpochMillis:
			return read("TimeEpochMillis")
		}
		panic(fmt.Sprintf("emit: decoder: unknown time unit %q", t.Unit))
	case *ir.Date:
		return read("Date")
	case *ir.Enum:
		return g.enum(t, ptr, target, wrap)
	case *ir.Ref:
		call := func(dst jen.Code) jen.Code {
			return jen.If(jen.Err().Op(":=").Id(decFuncName(g.ref())).Call(jen.Id("s"), jen.Id("a"), dst), jen.Err().Op("!=").Nil()).Block(
				g.fail(wrap(jen.Err()))...,
			)
		}
		if ptr {
			return []jen.Code{
				jen.Id("v").Op(":=").New(jen.Id(g.ref().GoName)),
				call(jen.Id("v")),
				target.Clone().Op("=").Id("v"),
			}
		}
		return []jen.Code{call(jen.Op("&").Add(target.Clone()))}
	case *ir.List:
		return g.list(t, target, wrap, depth)
	}
	panic(fmt.Sprintf("emit: decoder: unknown type %T", t))
}

// integer returns statements that read an integer, check the schema's
// bounds, and assign it.
func (g *decGen) integer(t *ir.Scalar, ptr bool, target *jen.Statement, wrap func(jen.Code) jen.Code) []jen.Code {
	method, lo, hi := "Int64", int64(math.MinInt64), int64(math.MaxInt64)
	if t.Kind == ir.Int32 {
		method, lo, hi = "Int32", math.MinInt32, math.MaxInt32
	}
	var out []jen.Code
	checkMin := t.Min != nil && *t.Min > lo
	checkMax := t.Max != nil && *t.Max < hi
	if checkMin || checkMax {
		out = append(out, jen.Id("off").Op(":=").Id("s").Dot("Offset").Call())
	}
	out = append(out,
		jen.List(jen.Id("v"), jen.Err()).Op(":=").Id("s").Dot(method).Call(),
		jen.If(jen.Err().Op("!=").Nil()).Block(g.fail(wrap(jen.Err()))...),
	)
	if checkMin {
		out = append(out, jen.If(jen.Id("v").Op("<").Lit(int(*t.Min))).Block(g.fail(wrap(
			jen.Qual(decStreamimpl, "BelowMin").Call(jen.Id("off"), decInt64(t, jen.Id("v")), jen.Lit(int(*t.Min)))))...))
	}
	if checkMax {
		out = append(out, jen.If(jen.Id("v").Op(">").Lit(int(*t.Max))).Block(g.fail(wrap(
			jen.Qual(decStreamimpl, "AboveMax").Call(jen.Id("off"), decInt64(t, jen.Id("v")), jen.Lit(int(*t.Max)))))...))
	}
	if ptr {
		return append(out, target.Clone().Op("=").Op("&").Id("v"))
	}
	return append(out, target.Clone().Op("=").Id("v"))
}

// decInt64 converts v, an integer of type t, to int64.
func decInt64(t *ir.Scalar, v jen.Code) jen.Code {
	if t.Kind == ir.Int32 {
		return jen.Int64().Parens(v)
	}
	return v
}

// enum returns statements that read a string, check that it is one of
// the enum's values, and assign the matching constant.
func (g *decGen) enum(t *ir.Enum, ptr bool, target *jen.Statement, wrap func(jen.Code) jen.Code) []jen.Code {
	if len(g.f.EnumConsts) != len(t.Values) {
		panic(fmt.Sprintf("emit: decoder: field %q has %d enum constants for %d values", g.f.IR.Name, len(g.f.EnumConsts), len(t.Values)))
	}
	quoted := make([]string, len(t.Values))
	var cases []jen.Code
	for i, val := range t.Values {
		quoted[i] = strconv.Quote(val)
		cases = append(cases, jen.Case(jen.Lit(val)).Block(jen.Id("e").Op("=").Id(g.f.EnumConsts[i])))
	}
	cases = append(cases, jen.Default().Block(g.fail(wrap(
		jen.Qual(decStreamimpl, "EnumError").Call(jen.Id("off"), jen.Id("b"), decString(strings.Join(quoted, ", "))),
	))...))
	out := []jen.Code{
		jen.Id("off").Op(":=").Id("s").Dot("Offset").Call(),
		jen.List(jen.Id("b"), jen.Err()).Op(":=").Id("s").Dot("String").Call(),
		jen.If(jen.Err().Op("!=").Nil()).Block(g.fail(wrap(jen.Err()))...),
		jen.Var().Id("e").Id(g.f.EnumType),
		jen.Switch(jen.String().Parens(jen.Id("b"))).Block(cases...),
	}
	if ptr {
		return append(out, target.Clone().Op("=").Op("&").Id("e"))
	}
	return append(out, target.Clone().Op("=").Id("e"))
}

// list returns statements that read an array of t.Elem into a new slice
// assigned to target.
func (g *decGen) list(t *ir.List, target *jen.Statement, wrap func(jen.Code) jen.Code, depth int) []jen.Code {
	n := strconv.Itoa(depth)
	more, list, idx := jen.Id("more"+n), jen.Id("list"+n), jen.Id("i"+n)
	elemPtr := decElemPointer(t)
	elemWrap := func(err jen.Code) jen.Code {
		return wrap(jen.Qual(decStreamimpl, "InIndex").Call(err, idx.Clone()))
	}
	var elem []jen.Code
	_, isRef := t.Elem.(*ir.Ref)
	if isRef && !elemPtr {
		// Decode in place: append a zero record and fill it.
		elem = append([]jen.Code{list.Clone().Op("=").Append(list.Clone(), jen.Id(g.ref().GoName).Values())},
			g.value(t.Elem, false, list.Clone().Index(jen.Len(list.Clone()).Op("-").Lit(1)), elemWrap, depth+1)...)
	} else {
		e := jen.Id("e" + n)
		decl := jen.Var().Add(e.Clone()).Add(g.goType(t.Elem, elemPtr))
		value := g.value(t.Elem, elemPtr, e.Clone(), elemWrap, depth+1)
		if t.ElemNullable {
			value = []jen.Code{jen.If(jen.Op("!").Id("s").Dot("Null").Call()).Block(value...)}
		}
		elem = append(append([]jen.Code{decl}, value...), list.Clone().Op("=").Append(list.Clone(), e.Clone()))
	}
	loop := append(elem,
		// ArrayNext fails only on syntax errors, which are not deferred.
		jen.If(jen.List(more.Clone(), jen.Err()).Op("=").Id("s").Dot("ArrayNext").Call(), jen.Err().Op("!=").Nil()).Block(
			jen.Return(wrap(jen.Err())),
		),
	)
	return []jen.Code{
		jen.List(more.Clone(), jen.Err()).Op(":=").Id("s").Dot("ArrayStart").Call(),
		jen.If(jen.Err().Op("!=").Nil()).Block(g.fail(wrap(jen.Err()))...),
		list.Clone().Op(":=").Add(g.goType(t, false)).Values(),
		jen.For(idx.Clone().Op(":=").Lit(0), more.Clone(), idx.Clone().Op("++")).Block(loop...),
		target.Clone().Op("=").Add(list.Clone()),
	}
}
