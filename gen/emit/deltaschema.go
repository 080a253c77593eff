package emit

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/streamgen/streamgen/gen/plan"
	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/planprint"
)

// The Parquet struct tags and the Delta schema of a record are decided
// together, here, so they always agree (delta.WriteTyped checks it):
//
//	Go type              parquet tag options          Delta type
//	string, enum         -                            string
//	int32                -                            integer
//	int64                -                            long
//	float64              -                            double
//	bool                 -                            boolean
//	time.Time (ts)       timestamp(microsecond)       timestamp
//	delta.DateValue      date                         date
//	[]T                  optional,list                array (nullable)
//	struct               -                            struct (XDeltaSchema())
//	*T                   optional                     nullable
//
// Dates are delta.DateValue (int32 days), not time.Time: parquet-go
// v0.32.0's typed writer ignores the DATE logical type of a time.Time
// field. parquet-go's bare "timestamp" means milliseconds: microseconds, Delta's
// precision, are always spelled out. List elements that are pointers get
// `parquet-element:",optional"` and an array with containsNull.

// parquetTag returns the parquet tag of a field: "time,timestamp(microsecond)",
// "device,optional", "tags,optional,list".
func parquetTag(f *plan.Field) string {
	tag := f.IR.Name
	t := f.Type
	if t.Kind == plan.GoSlice {
		return tag + ",optional,list"
	}
	if t.Pointer {
		tag += ",optional"
	}
	if lt := logicalTag(t); lt != "" {
		tag += "," + lt
	}
	return tag
}

// parquetElementTag returns the parquet-element tag of a list field, or
// "" when the elements need none: ",optional", ",timestamp(microsecond)".
func parquetElementTag(f *plan.Field) string {
	if f.Type.Kind != plan.GoSlice {
		return ""
	}
	el := f.Type.Elem
	tag := ""
	if el.Pointer {
		tag += ",optional"
	}
	if lt := logicalTag(el); lt != "" {
		tag += "," + lt
	}
	return tag
}

// logicalTag is the Parquet logical type option of a time field.
func logicalTag(t *plan.Type) string {
	switch t.Kind {
	case plan.GoTime:
		return "timestamp(microsecond)"
	case plan.GoDate:
		return "date"
	}
	return ""
}

// deltaSchemaFunc emits the record's Delta schema function:
//
//	// EventDeltaSchema returns the Delta table schema of Event: ...
//	func EventDeltaSchema() *delta.StructType {
//		return &delta.StructType{Fields: []delta.StructField{
//			{Name: "time", Type: delta.Timestamp},
//			{Name: "device", Type: delta.String, Nullable: true},
//		}}
//	}
func deltaSchemaFunc(r *plan.Record) jen.Code {
	fields := make([]jen.Code, len(r.Fields))
	for i, f := range r.Fields {
		fields[i] = deltaField(f)
	}
	return jen.Add(doc(wrap(fmt.Sprintf("%s returns the Delta table schema of %s: one column per field, in field order, with the types of its Parquet tags.", r.DeltaSchemaFunc, r.GoName)))).Line().
		Func().Id(r.DeltaSchemaFunc).Params().Op("*").Qual(deltaPath, "StructType").Block(
		jen.Return(jen.Op("&").Qual(deltaPath, "StructType").Values(
			jen.Id("Fields").Op(":").Index().Qual(deltaPath, "StructField").ValuesFunc(func(g *jen.Group) {
				for _, f := range fields {
					g.Line().Add(f)
				}
				g.Line()
			}),
		)),
	)
}

// deltaField emits one column:
//
//	{Name: "device", Type: delta.String, Nullable: true}
func deltaField(f *plan.Field) jen.Code {
	kv := []jen.Code{
		jen.Id("Name").Op(":").Lit(f.IR.Name),
		jen.Id("Type").Op(":").Add(deltaType(f.Type)),
	}
	if f.Type.Pointer || f.Type.Kind == plan.GoSlice {
		kv = append(kv, jen.Id("Nullable").Op(":").True())
	}
	return jen.Values(kv...)
}

// deltaType emits the Delta type of a Go type: delta.Long,
// &delta.ArrayType{ElementType: delta.String, ContainsNull: true},
// LocationDeltaSchema().
func deltaType(t *plan.Type) jen.Code {
	if p, ok := deltaPrimitives[t.Kind]; ok {
		return jen.Qual(deltaPath, p.name)
	}
	switch t.Kind {
	case plan.GoStruct:
		return jen.Id(t.Record.DeltaSchemaFunc).Call()
	case plan.GoSlice:
		kv := []jen.Code{jen.Id("ElementType").Op(":").Add(deltaType(t.Elem))}
		if t.Elem.Pointer {
			kv = append(kv, jen.Id("ContainsNull").Op(":").True())
		}
		return jen.Op("&").Qual(deltaPath, "ArrayType").Values(kv...)
	}
	panic("emit: unknown Go kind " + string(t.Kind))
}

// deltaPrimitives are the Delta types of the scalar Go kinds, with the
// name of their variable in runtime/delta: deltaType emits the name,
// planprintType uses the type.
var deltaPrimitives = map[plan.GoKind]struct {
	typ  delta.PrimitiveType
	name string
}{
	plan.GoString:  {delta.String, "String"},
	plan.GoEnum:    {delta.String, "String"},
	plan.GoInt32:   {delta.Integer, "Integer"},
	plan.GoInt64:   {delta.Long, "Long"},
	plan.GoFloat64: {delta.Double, "Double"},
	plan.GoBool:    {delta.Boolean, "Boolean"},
	plan.GoTime:    {delta.Timestamp, "Timestamp"},
	plan.GoDate:    {delta.Date, "Date"},
}

// fingerprintConst emits the record's drift guard:
//
//	// eventSchemaFingerprint identifies the shape of Event ...
//	const eventSchemaFingerprint = "sha256:..."
func fingerprintConst(r *plan.Record) jen.Code {
	return jen.Add(doc(wrap(fmt.Sprintf("%s identifies the shape of %s: its field names, types and required and nullable flags. It changes exactly when the records change shape, so a checkpoint or table can be checked against the code reading it.", r.FingerprintConst, r.GoName)))).Line().
		Const().Id(r.FingerprintConst).Op("=").Lit(r.Fingerprint)
}

// The same mapping as values, for the plan record (gen/emit.PlanPrint):
// a column's Delta type and nullability exactly as deltaField and
// deltaType emit them, so the schema the plan records is the one
// <Record>DeltaSchema() returns.

// planprintField is deltaField's column: nullable when the Go field is a
// pointer or a slice.
func planprintField(f *plan.Field) planprint.Field {
	return planprint.Field{
		Name:     f.IR.Name,
		Type:     planprintType(f.Type),
		Nullable: f.Type.Pointer || f.Type.Kind == plan.GoSlice,
		Pos:      planprintPos(f.IR.Pos),
	}
}

// planprintFields are a record's columns, in field order.
func planprintFields(r *plan.Record) []planprint.Field {
	out := make([]planprint.Field, len(r.Fields))
	for i, f := range r.Fields {
		out[i] = planprintField(f)
	}
	return out
}

// planprintType is deltaType's Delta type.
func planprintType(t *plan.Type) planprint.Type {
	if p, ok := deltaPrimitives[t.Kind]; ok {
		return planprint.TypeOf(p.typ)
	}
	switch t.Kind {
	case plan.GoStruct:
		return planprint.StructOf(planprintFields(t.Record)...)
	case plan.GoSlice:
		return planprint.ArrayOf(planprintType(t.Elem), t.Elem.Pointer)
	}
	panic("emit: unknown Go kind " + string(t.Kind))
}
