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

// csvDecodeFile emits the CSV decoder file of r, the record of a files
// source with format csv: CSVDecoder's declarations after the header.
func csvDecodeFile(jf *jen.File, r *plan.Record) error {
	decls, err := CSVDecoder(r)
	if err != nil {
		return err
	}
	for i, c := range decls {
		if i > 0 {
			jf.Line()
		}
		jf.Add(c)
	}
	return nil
}

// csvDecoderDoc is the doc comment of every generated CSV decoder type,
// after its first paragraph: the CSV semantics (Spark's CSV reader
// defaults, made typed), one paragraph per string. NewXCSVDecoder stands
// for the constructor's name.
var csvDecoderDoc = []string{
	`Each line is one record (Spark's multiLine=false): a quoted field cannot span lines. Fields are separated by the delimiter; a field that starts with '"' is quoted, ends at the next lone '"' (which the delimiter or the end of the line must follow) and holds "" for a literal quote (RFC 4180). A '"' inside an unquoted field is an error. Whitespace is kept as it is.`,
	`With a header (NewXCSVDecoder(true, …)), Header reads each file's first line and columns map to fields by name (the JSON property name, case-sensitive). Columns no field names are ignored; a field without a column is null, and the header is invalid (every line of the file is then malformed) when the field is required or two columns have the same name. Without a header, columns map to fields by position, in the schema's property order. Either way, a line must have exactly as many columns as the header (or as the record has fields).`,
	`An empty unquoted field is null (Spark's nullValue ""), an error for a field that is required and not nullable; "" is the empty string. Values are read as in JSON: integers without fraction or exponent within the field's range and bounds, numbers in JSON number syntax (no NaN or Inf), booleans true or false in any case, enums exactly one of their values, timestamps RFC 3339 (or epoch integers, as the schema says), dates YYYY-MM-DD, UUIDs 8-4-4-4-12, strings valid UTF-8. Errors are *streamimpl.DecodeError, with the field's JSON name and the byte offset of its column in the line.`,
	`Decoded strings point into the decoder's arena, shared by the records decoded after them; they stay valid as long as they are referenced. A decoder is not safe for concurrent use.`,
}

// CSVDecoder returns the declarations of r's reflection-free CSV
// decoder:
//
//	type <Record>CSVDecoder struct { r streamimpl.CSVReader; arena streamimpl.Arena }
//	var <record>CSVColumns = [...]streamimpl.CSVColumn{{Name: "id", Required: true}, …}
//	func New<Record>CSVDecoder(header bool, delimiter byte) *<Record>CSVDecoder
//	func (d *<Record>CSVDecoder) Header(line []byte) error
//	func (d *<Record>CSVDecoder) Decode(data []byte, dst *<Record>) error
//	func (d *<Record>CSVDecoder) Reset()
//
// Decode splits the line (streamimpl.CSVReader) and parses each field's
// column with the streamimpl.CSV* parser of its type, checking integer
// bounds and enum values with the JSON decoder's helpers (BelowMin,
// AboveMax, EnumError). A field that is a nested object or a list cannot
// be a column: an error (gen/ir reports such specs first).
func CSVDecoder(r *plan.Record) ([]jen.Code, error) {
	name := r.CSVDecoderName
	if name == "" || r.CSVColumnsVar == "" {
		return nil, fmt.Errorf("record %s has no planned CSV decoder", r.GoName)
	}
	recv := jen.Id("d").Op("*").Id(name)

	var cols []jen.Code
	body := []jen.Code{
		jen.Op("*").Id("dst").Op("=").Id(r.GoName).Values(),
		jen.If(jen.Err().Op(":=").Id("d").Dot("r").Dot("Line").Call(jen.Id("data")), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err())),
	}
	for i, f := range r.Fields {
		col := []jen.Code{jen.Id("Name").Op(":").Lit(f.IR.Name)}
		if f.IR.Required {
			col = append(col, jen.Id("Required").Op(":").True())
		}
		cols = append(cols, jen.Values(col...))
		stmts, err := csvField(f)
		if err != nil {
			return nil, fmt.Errorf("record %s: %w", r.GoName, err)
		}
		cond := jen.List(jen.Id("b"), jen.Id("off"), jen.Id("ok")).Op(":=").Id("d").Dot("r").Dot("Value").Call(jen.Lit(i)).Op(";").Id("ok")
		st := jen.If(cond).Block(stmts...)
		if !f.Pointer {
			// Required and not nullable: null is an error.
			st = st.Else().Block(jen.Return(jen.Id("d").Dot("r").Dot("NullError").Call(jen.Lit(i))))
		}
		body = append(body, st)
	}
	body = append(body, jen.Return(jen.Nil()))

	paras := []string{fmt.Sprintf("%s decodes %s records from CSV lines without reflection.", name, r.GoName)}
	for _, p := range csvDecoderDoc {
		paras = append(paras, strings.ReplaceAll(p, "NewXCSVDecoder", "New"+name))
	}
	typ := doc(wrap(strings.Join(paras, "\n\n"))).Line()
	typ.Type().Id(name).Struct(
		jen.Id("r").Qual(decStreamimpl, "CSVReader"),
		jen.Id("arena").Qual(decStreamimpl, "Arena"),
	)

	return []jen.Code{
		typ,
		jen.Var().Defs(
			jen.Id("_").Qual(decStreamimpl, "Decoder").Types(jen.Id(r.GoName)).Op("=").Parens(jen.Op("*").Id(name)).Parens(jen.Nil()),
			jen.Id("_").Qual(decStreamimpl, "HeaderDecoder").Op("=").Parens(jen.Op("*").Id(name)).Parens(jen.Nil()),
		),
		doc(wrap(fmt.Sprintf("%s are the columns of %s's fields: JSON name (the header's column name) and whether the schema requires it, in field order (the column order without a header).", r.CSVColumnsVar, r.GoName))).Line().
			Var().Id(r.CSVColumnsVar).Op("=").Index(jen.Op("...")).Qual(decStreamimpl, "CSVColumn").
			Custom(jen.Options{Open: "{", Close: "}", Separator: ",", Multi: true}, cols...),
		doc(wrap(fmt.Sprintf("New%s returns a decoder for %s records in CSV lines whose fields are separated by delimiter (an ASCII byte other than '\"', NUL, CR and LF). With header, Header must read each file's header line before its other lines are decoded; without, columns are the fields in schema order.", name, r.GoName))).Line().
			Func().Id("New"+name).Params(jen.Id("header").Bool(), jen.Id("delimiter").Byte()).Op("*").Id(name).Block(
			jen.Id("d").Op(":=").Op("&").Id(name).Values(),
			jen.Id("d").Dot("r").Dot("Init").Call(jen.Id(r.CSVColumnsVar).Index(jen.Op(":")), jen.Id("header"), jen.Id("delimiter")),
			jen.Return(jen.Id("d")),
		),
		jen.Comment("Header reads a file's header line and maps the columns of the file's").Line().
			Comment("next lines to fields by name. An error (a malformed line, a duplicate").Line().
			Comment("column, a required field without a column) makes every line of the").Line().
			Comment("file malformed.").Line().
			Func().Params(recv).Id("Header").Params(jen.Id("line").Index().Byte()).Error().Block(
			jen.Return(jen.Id("d").Dot("r").Dot("Header").Call(jen.Id("line"))),
		),
		jen.Comment("Decode decodes data, one CSV line without its line terminator, into").Line().
			Comment("dst, which it resets first. On error, a *streamimpl.DecodeError naming").Line().
			Comment("the field and byte offset, dst is left partly decoded.").Line().
			Func().Params(recv).Id("Decode").Params(jen.Id("data").Index().Byte(), jen.Id("dst").Op("*").Id(r.GoName)).Error().Block(body...),
		jen.Comment("Reset makes the records decoded from now on (the next batch) share").Line().
			Comment("a new arena block. Strings decoded before stay valid.").Line().
			Func().Params(recv).Id("Reset").Params().Block(
			jen.Id("d").Dot("arena").Dot("Reset").Call(),
		),
	}, nil
}

// csvField returns the statements that parse field f's column, b at
// byte offset off (not null), and assign it to dst.<GoName>.
func csvField(f *plan.Field) ([]jen.Code, error) {
	target := jen.Id("dst").Dot(f.GoName)
	fail := func(err jen.Code) jen.Code {
		return jen.Return(jen.Qual(decStreamimpl, "InField").Call(err, jen.Lit(f.IR.Name)))
	}
	check := jen.If(jen.Err().Op("!=").Nil()).Block(fail(jen.Err()))
	assign := func(v jen.Code) []jen.Code {
		if f.Pointer {
			return []jen.Code{target.Clone().Op("=").Op("&").Add(v)}
		}
		return []jen.Code{target.Clone().Op("=").Add(v)}
	}
	parse := func(fn string) []jen.Code {
		return append([]jen.Code{
			jen.List(jen.Id("v"), jen.Err()).Op(":=").Qual(decStreamimpl, fn).Call(jen.Id("b"), jen.Id("off")),
			check,
		}, assign(jen.Id("v"))...)
	}
	switch t := f.IR.Type.(type) {
	case *ir.Scalar:
		switch t.Kind {
		case ir.String, ir.UUID:
			fn := "CSVText"
			if t.Kind == ir.UUID {
				fn = "CSVUUID"
			}
			out := []jen.Code{
				jen.If(jen.Err().Op(":=").Qual(decStreamimpl, fn).Call(jen.Id("b"), jen.Id("off")), jen.Err().Op("!=").Nil()).Block(fail(jen.Err())),
			}
			str := jen.Id("d").Dot("arena").Dot("String").Call(jen.Id("b"))
			if f.Pointer {
				return append(out, jen.Id("s").Op(":=").Add(str), target.Clone().Op("=").Op("&").Id("s")), nil
			}
			return append(out, target.Clone().Op("=").Add(str)), nil
		case ir.Int32, ir.Int64:
			fn, lo, hi := "CSVInt64", int64(math.MinInt64), int64(math.MaxInt64)
			if t.Kind == ir.Int32 {
				fn, lo, hi = "CSVInt32", math.MinInt32, math.MaxInt32
			}
			out := []jen.Code{
				jen.List(jen.Id("v"), jen.Err()).Op(":=").Qual(decStreamimpl, fn).Call(jen.Id("b"), jen.Id("off")),
				check,
			}
			if t.Min != nil && *t.Min > lo {
				out = append(out, jen.If(jen.Id("v").Op("<").Lit(int(*t.Min))).Block(
					fail(jen.Qual(decStreamimpl, "BelowMin").Call(jen.Id("off"), decInt64(t, jen.Id("v")), jen.Lit(int(*t.Min))))))
			}
			if t.Max != nil && *t.Max < hi {
				out = append(out, jen.If(jen.Id("v").Op(">").Lit(int(*t.Max))).Block(
					fail(jen.Qual(decStreamimpl, "AboveMax").Call(jen.Id("off"), decInt64(t, jen.Id("v")), jen.Lit(int(*t.Max))))))
			}
			return append(out, assign(jen.Id("v"))...), nil
		case ir.Float64:
			return parse("CSVFloat64"), nil
		case ir.Bool:
			return parse("CSVBool"), nil
		}
		return nil, fmt.Errorf("field %q: unknown scalar kind %q", f.IR.Name, t.Kind)
	case *ir.Timestamp:
		switch t.Unit {
		case ir.RFC3339:
			return parse("CSVTimeRFC3339"), nil
		case ir.EpochSeconds:
			return parse("CSVTimeEpochSeconds"), nil
		case ir.EpochMillis:
			return parse("CSVTimeEpochMillis"), nil
		}
		return nil, fmt.Errorf("field %q: unknown time unit %q", f.IR.Name, t.Unit)
	case *ir.Date:
		return parse("CSVDate"), nil
	case *ir.Enum:
		if len(f.EnumConsts) != len(t.Values) {
			return nil, fmt.Errorf("field %q has %d enum constants for %d values", f.IR.Name, len(f.EnumConsts), len(t.Values))
		}
		quoted := make([]string, len(t.Values))
		var cases []jen.Code
		for i, val := range t.Values {
			quoted[i] = strconv.Quote(val)
			cases = append(cases, jen.Case(jen.Lit(val)).Block(jen.Id("e").Op("=").Id(f.EnumConsts[i])))
		}
		cases = append(cases, jen.Default().Block(
			fail(jen.Qual(decStreamimpl, "EnumError").Call(jen.Id("off"), jen.Id("b"), decString(strings.Join(quoted, ", ")))),
		))
		return append([]jen.Code{
			jen.Var().Id("e").Id(f.EnumType),
			jen.Switch(jen.String().Parens(jen.Id("b"))).Block(cases...),
		}, assign(jen.Id("e"))...), nil
	case *ir.Ref, *ir.List:
		return nil, fmt.Errorf("field %q is %s, which cannot be a CSV column", f.IR.Name, t)
	}
	return nil, fmt.Errorf("field %q: unknown type %T", f.IR.Name, f.IR.Type)
}
