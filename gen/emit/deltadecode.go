package emit

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/streamgen/streamgen/gen/ir"
	"github.com/streamgen/streamgen/gen/plan"
)

// deltaDecodeFile emits a record's <record>_delta_decode.go: the
// converter a delta source hands each table row to (DeltaRowDecoder).
func deltaDecodeFile(jf *jen.File, r *plan.Record) error {
	if r.DeltaRowFunc == "" {
		return fmt.Errorf("record %s has no Delta row converter planned", r.GoName)
	}
	for _, f := range r.Fields {
		if f.Type.Kind == plan.GoStruct && f.Type.Record.DeltaRowFunc == "" || f.Type.Kind == plan.GoSlice && innermost(f.Type).Kind == plan.GoStruct && innermost(f.Type).Record.DeltaRowFunc == "" {
			return fmt.Errorf("record %s nests a record without a Delta row converter (field %s)", r.GoName, f.IR.Name)
		}
	}
	jf.Add(DeltaRowDecoder(r))
	return nil
}

func innermost(t *plan.Type) *plan.Type {
	for t.Kind == plan.GoSlice {
		t = t.Elem
	}
	return t
}

// DeltaRowDecoder returns r's Delta row converter, the FromRow of a
// delta source (runtime/source/delta): row holds the columns of
// <Record>DeltaSchema in its order, with the Go values the Delta reader
// gives them (string, int32, int64, float64, bool, time.Time for
// timestamps, delta.DateValue for dates, []any for arrays, delta.Row for
// structs, nil for null):
//
//	// orderFromDeltaRow converts row, a row of a Delta table with the
//	// columns of OrderDeltaSchema in that order, to r …
//	func orderFromDeltaRow(row delta.Row, r *Order) error {
//		if len(row) != 15 {
//			return fmt.Errorf("Order: got %d columns, want 15", len(row))
//		}
//		switch v := row[0].(type) {
//		case string:
//			if !streamimpl.ValidUUID([]byte(v)) {
//				return fmt.Errorf("column order_id: %q is not a UUID", v)
//			}
//			r.OrderID = v
//		case nil:
//			return errors.New("column order_id: null, but the field is not nullable")
//		default:
//			return fmt.Errorf("column order_id: got %T, want string", v)
//		}
//		…
//	}
//
// A null gives a nil pointer, slice or list element where the record
// allows one and is an error elsewhere; an integer outside the schema's
// bounds, a string that is not one of an enum's values and an invalid
// UUID are errors; nested records are converted by their own
// <record>FromDeltaRow. Errors name the column ("column ship_to: column
// lat: …", "column tags: element 2: …"); the source adds the table, the
// data file, its version and the row number. Strings are kept as the
// reader made them (they are not reused).
func DeltaRowDecoder(r *plan.Record) jen.Code {
	body := []jen.Code{
		jen.If(jen.Len(jen.Id("row")).Op("!=").Lit(len(r.Fields))).Block(
			jen.Return(jen.Qual(fmtPath, "Errorf").Call(jen.Lit(fmt.Sprintf("%s: got %%d columns, want %d", r.GoName, len(r.Fields))), jen.Len(jen.Id("row")))),
		),
		jen.Op("*").Id("r").Op("=").Id(r.GoName).Values(),
	}
	for i, f := range r.Fields {
		g := &deltaConv{f: f}
		target := jen.Id("r").Dot(f.GoName)
		body = append(body, g.value(f.Type, jen.Id("row").Index(jen.Lit(i)), func(v jen.Code) []jen.Code {
			return []jen.Code{target.Clone().Op("=").Add(v)}
		}, "column "+strings.ReplaceAll(f.IR.Name, "%", "%%"), nil, 0)...)
	}
	body = append(body, jen.Return(jen.Nil()))
	text := fmt.Sprintf("%s converts row, a row of a Delta table with the columns of %s in that order (as a delta source hands them over), to r, which it resets first. A null gives a nil pointer or slice where %s allows one and is an error elsewhere; an integer outside the schema's bounds, a value that is not one of an enum's, an invalid UUID and a value of another Go type are errors naming the column.", r.DeltaRowFunc, r.DeltaSchemaFunc, r.GoName)
	return jen.Add(doc(wrap(text))).Line().
		Func().Id(r.DeltaRowFunc).Params(jen.Id("row").Qual(deltaPath, "Row"), jen.Id("r").Op("*").Id(r.GoName)).Error().Block(body...)
}

// deltaConv generates the conversion of one field's value.
type deltaConv struct {
	f *plan.Field
}

// errorf returns fmt.Errorf(where+": "+format, whereArgs..., args...),
// or errors.New for a constant message.
func (g *deltaConv) errorf(where string, whereArgs []jen.Code, format string, args ...jen.Code) jen.Code {
	msg := where + ": " + format
	all := append(append([]jen.Code(nil), whereArgs...), args...)
	if len(all) == 0 {
		return jen.Qual("errors", "New").Call(jen.Lit(strings.ReplaceAll(msg, "%%", "%")))
	}
	return jen.Qual(fmtPath, "Errorf").Call(append([]jen.Code{jen.Lit(msg)}, all...)...)
}

// value returns a type switch on src, a value of the Delta reader of
// type t, converting it and handing the converted value to set. where
// (a format, with whereArgs) names the column and element in errors;
// depth numbers the variables of nested lists.
func (g *deltaConv) value(t *plan.Type, src jen.Code, set func(jen.Code) []jen.Code, where string, whereArgs []jen.Code, depth int) []jen.Code {
	n := strconv.Itoa(depth)
	v := jen.Id("v" + n)
	fail := func(format string, args ...jen.Code) jen.Code {
		return jen.Return(g.errorf(where, whereArgs, format, args...))
	}
	// ptrTo sets a pointer to the case's variable (a new variable in
	// each case clause) or its value.
	ptrTo := func(val jen.Code) []jen.Code {
		if t.Pointer {
			return set(jen.Op("&").Add(val))
		}
		return set(val)
	}
	var goCase jen.Code
	var body []jen.Code
	want := ""
	switch t.Kind {
	case plan.GoString:
		goCase, want = jen.String(), "string"
		if s, ok := t.IR.(*ir.Scalar); ok && s.Kind == ir.UUID {
			body = append(body, jen.If(jen.Op("!").Qual(streamimplPath, "ValidUUID").Call(jen.Index().Byte().Call(v.Clone()))).Block(
				fail("%q is not a UUID", v.Clone()),
			))
		}
		body = append(body, ptrTo(v.Clone())...)
	case plan.GoInt32, plan.GoInt64:
		want = string(t.Kind)
		goCase = jen.Id(want)
		if s, ok := t.IR.(*ir.Scalar); ok {
			lo, hi := int64(-1<<63), int64(1<<63-1)
			if t.Kind == plan.GoInt32 {
				lo, hi = -1<<31, 1<<31-1
			}
			if s.Min != nil && *s.Min > lo {
				body = append(body, jen.If(v.Clone().Op("<").Lit(int(*s.Min))).Block(fail("%d is below the minimum "+strconv.FormatInt(*s.Min, 10), v.Clone())))
			}
			if s.Max != nil && *s.Max < hi {
				body = append(body, jen.If(v.Clone().Op(">").Lit(int(*s.Max))).Block(fail("%d is above the maximum "+strconv.FormatInt(*s.Max, 10), v.Clone())))
			}
		}
		body = append(body, ptrTo(v.Clone())...)
	case plan.GoFloat64:
		goCase, want = jen.Float64(), "float64"
		body = append(body, ptrTo(v.Clone())...)
	case plan.GoBool:
		goCase, want = jen.Bool(), "bool"
		body = append(body, ptrTo(v.Clone())...)
	case plan.GoTime:
		goCase, want = jen.Qual(timePath, "Time"), "time.Time"
		body = append(body, ptrTo(v.Clone())...)
	case plan.GoDate:
		goCase, want = jen.Qual(deltaPath, "DateValue"), "delta.DateValue"
		body = append(body, ptrTo(v.Clone())...)
	case plan.GoEnum:
		goCase, want = jen.String(), "string"
		e := jen.Id("e" + n)
		var quoted []string
		if en, ok := t.IR.(*ir.Enum); ok {
			for _, val := range en.Values {
				quoted = append(quoted, strconv.Quote(val))
			}
		}
		body = append(body,
			e.Clone().Op(":=").Id(t.Name).Call(v.Clone()),
			jen.If(jen.Op("!").Add(e.Clone()).Dot("Valid").Call()).Block(fail("%q is not one of "+strings.ReplaceAll(strings.Join(quoted, ", "), "%", "%%"), v.Clone())),
		)
		body = append(body, ptrTo(e.Clone())...)
	case plan.GoStruct:
		goCase, want = jen.Qual(deltaPath, "Row"), "delta.Row (a struct)"
		rec := t.Record
		wrapErr := jen.Return(g.errorf(where, whereArgs, "%w", jen.Err()))
		if t.Pointer {
			x := jen.Id("x" + n)
			body = append(body,
				x.Clone().Op(":=").New(jen.Id(rec.GoName)),
				jen.If(jen.Err().Op(":=").Id(rec.DeltaRowFunc).Call(v.Clone(), x.Clone()), jen.Err().Op("!=").Nil()).Block(wrapErr),
			)
			body = append(body, set(x.Clone())...)
		} else {
			x := jen.Id("x" + n)
			body = append(body,
				jen.Var().Add(x.Clone()).Id(rec.GoName),
				jen.If(jen.Err().Op(":=").Id(rec.DeltaRowFunc).Call(v.Clone(), jen.Op("&").Add(x.Clone())), jen.Err().Op("!=").Nil()).Block(wrapErr),
			)
			body = append(body, set(x.Clone())...)
		}
	case plan.GoSlice:
		goCase, want = jen.Index().Any(), "[]any (an array)"
		list, i := jen.Id("list"+n), jen.Id("i"+n)
		elem := g.value(t.Elem, jen.Id("e"+n), func(val jen.Code) []jen.Code {
			return []jen.Code{list.Clone().Index(i.Clone()).Op("=").Add(val)}
		}, where+": element %d", append(append([]jen.Code(nil), whereArgs...), i.Clone()), depth+1)
		body = append(body,
			list.Clone().Op(":=").Make(jen.Index().Add(goType(t.Elem)), jen.Len(v.Clone())),
			jen.For(jen.List(i.Clone(), jen.Id("e"+n)).Op(":=").Range().Add(v.Clone())).Block(elem...),
		)
		body = append(body, set(list.Clone())...)
	default:
		panic(fmt.Sprintf("emit: Delta row converter: unknown Go kind %s", t.Kind))
	}
	cases := []jen.Code{jen.Case(goCase).Block(body...)}
	if !t.Pointer && t.Kind != plan.GoSlice {
		cases = append(cases, jen.Case(jen.Nil()).Block(fail("null, which the record does not allow")))
	} else {
		cases = append(cases, jen.Case(jen.Nil()).Block(set(jen.Nil())...))
	}
	cases = append(cases, jen.Default().Block(fail("got %T, want "+strings.ReplaceAll(want, "%", "%%"), v.Clone())))
	return []jen.Code{jen.Switch(v.Clone().Op(":=").Add(src).Assert(jen.Type())).Block(cases...)}
}
