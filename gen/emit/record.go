package emit

import (
	"fmt"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/streamgen/streamgen/gen/plan"
)

// recordFile emits the declarations of one record's file: the struct,
// its enum types, its Delta schema and its fingerprint.
func recordFile(jf *jen.File, r *plan.Record) {
	jf.Add(recordStruct(r))
	for _, e := range r.Enums {
		jf.Line()
		jf.Add(enumType(e))
		jf.Line()
		jf.Add(enumConsts(e))
		jf.Line()
		jf.Add(enumValid(e))
	}
	jf.Line()
	jf.Add(deltaSchemaFunc(r))
	jf.Line()
	jf.Add(fingerprintConst(r))
}

// recordStruct emits the record's struct:
//
//	// Event is a record of schemas/event.json.
//	type Event struct {
//		// Time is the "time" property (timestamp(epoch-seconds), required).
//		Time time.Time `json:"time" parquet:"time,timestamp(microsecond)"`
//		...
//	}
func recordStruct(r *plan.Record) jen.Code {
	fields := make([]jen.Code, 0, len(r.Fields))
	for _, f := range r.Fields {
		fields = append(fields, structField(f))
	}
	return jen.Add(doc(recordDoc(r))).Line().
		Type().Id(r.GoName).Struct(fields...)
}

// recordDoc is the struct's doc comment: the schema's description when it
// starts with the type's name, otherwise a first sentence naming the
// schema file, then the description.
func recordDoc(r *plan.Record) string {
	d := strings.TrimSpace(r.IR.Doc)
	if strings.HasPrefix(d, r.GoName+" ") {
		return d
	}
	first := fmt.Sprintf("%s is a record of %s.", r.GoName, r.IR.Source)
	if r.IR.Source == "" {
		first = fmt.Sprintf("%s is the record %s.", r.GoName, r.IR.Name)
	}
	first = wrap(first)
	if d == "" {
		return first
	}
	return first + "\n\n" + d
}

// structField emits one field with its doc and tags:
//
//	// DeviceID is the "device_id" property (string, required).
//	DeviceID string `json:"device_id" parquet:"device_id"`
func structField(f *plan.Field) jen.Code {
	return jen.Add(doc(fieldDoc(f))).Line().
		Id(f.GoName).Add(goType(f.Type)).Tag(fieldTags(f))
}

// fieldDoc is a field's doc comment: the property's description, or a
// sentence saying which property it holds.
func fieldDoc(f *plan.Field) string {
	if d := strings.TrimSpace(f.IR.Doc); d != "" {
		return d
	}
	var attrs []string
	attrs = append(attrs, f.IR.Type.String())
	if f.IR.Required {
		attrs = append(attrs, "required")
	} else {
		attrs = append(attrs, "optional")
	}
	if f.IR.Nullable {
		attrs = append(attrs, "nullable")
	}
	return wrap(fmt.Sprintf("%s is the %q property (%s).", f.GoName, f.IR.Name, strings.Join(attrs, ", ")))
}

// goType emits a planned Go type: string, *int64, time.Time, []*string,
// EventAction, *Location.
func goType(t *plan.Type) *jen.Statement {
	s := jen.Null()
	if t.Pointer {
		s = jen.Op("*")
	}
	switch t.Kind {
	case plan.GoString:
		return s.String()
	case plan.GoInt32:
		return s.Int32()
	case plan.GoInt64:
		return s.Int64()
	case plan.GoFloat64:
		return s.Float64()
	case plan.GoBool:
		return s.Bool()
	case plan.GoTime:
		return s.Qual(timePath, "Time")
	case plan.GoDate:
		return s.Qual(deltaPath, "DateValue")
	case plan.GoEnum, plan.GoStruct:
		return s.Id(t.Name)
	case plan.GoSlice:
		return s.Index().Add(goType(t.Elem))
	}
	panic("emit: unknown Go kind " + string(t.Kind))
}

// fieldTags returns the struct tags of a field: json (with omitempty
// when the property is not required) and parquet (see parquetTag).
func fieldTags(f *plan.Field) map[string]string {
	js := f.IR.Name
	if !f.IR.Required {
		js += ",omitempty"
	}
	tags := map[string]string{"json": js, "parquet": parquetTag(f)}
	if el := parquetElementTag(f); el != "" {
		tags["parquet-element"] = el
	}
	return tags
}
