package emit

import (
	"fmt"
	"strings"
	"time"

	"github.com/dave/jennifer/jen"

	"github.com/streamgen/streamgen/gen/ir"
	"github.com/streamgen/streamgen/gen/plan"
)

const windowPath = "github.com/streamgen/streamgen/runtime/window"

// stateFile emits a pipeline's aggregation file (<pipeline>_state.go):
// the encoding version, the key type with its binary encoding and the
// function giving a row's key(s), and the state type with Add, Merge,
// Result, its binary encoding and SizeBytes.
//
// Semantics (Spark's, non-ANSI, except where noted):
//
//   - count() counts rows; count(f) counts rows where f is not null.
//   - sum of integers is int64 and wraps on overflow, as Spark's long sum
//     does without ANSI mode; sum of floats is float64. Nulls are skipped.
//   - avg keeps a float64 sum and an int64 count of non-null values.
//   - min and max skip nulls; strings and enums compare by their bytes
//     (enums by their string values, as in Spark, not declaration
//     order); floats order NaN above everything and -0.0 equal to 0.0.
//   - first and last skip nulls (Spark's first(f, ignoreNulls = true)):
//     the first and last non-null values in arrival order. Merge treats
//     the receiver as the earlier state: it keeps the receiver's first
//     and takes the argument's last; they are not commutative.
//   - count_distinct is exact (a set; nulls skipped; -0.0 = 0.0, one
//     NaN); approx_count_distinct is a HyperLogLog++ sketch
//     (streamimpl.HLL).
//   - Results are null as in Spark: sum, avg, min, max, first and last
//     over a nullable or not-required field have a nullable (pointer)
//     result field, nil when the group had no non-null value; sum keeps
//     a has-a-value flag for it (avg its count, the others their flags).
//     Over a required, non-nullable field they always have a value, and
//     count(), count(f) and the distinct counts are never null (0).
//
// The encoding version is 1; 2 when a sum keeps a has-a-value flag
// (version 2 added it); 3 when the key holds a tumbling or sliding window
// (version 3 dropped the window's end from the key, which holds its start
// only; sums keep their flags as in version 2); 4 for a session window
// (version 4 moved the session's start from the state to the key, which
// the state store and runtime/aggregate index sessions by, leaving the
// end in the state). Encodings of other aggregations are unchanged.
//
// A session window's key holds the session's start and its state the
// session's end: <P>KeyOf gives a row's key with the row's event time as
// the start, and the operator (aggregate.NewSession) moves it to the start
// of the session the row joins, merging sessions (Merge) that come to
// overlap.
//
// Merge is associative, and commutative except for first and last; the
// float sums of sum and avg are associative only up to rounding.
func stateFile(jf *jen.File, a *plan.Aggregation) {
	decls := []jen.Code{
		stateVersionConst(a),
		keyStruct(a),
		keyWindowEnd(a),
		keyOfFunc(a),
		keyAppendBinary(a),
		keyUnmarshalBinary(a),
		stateStruct(a),
		stateAdd(a),
		stateMerge(a),
		stateResult(a),
		stateAppendBinary(a),
		stateUnmarshalBinary(a),
		stateSizeBytes(a),
	}
	for i, d := range decls {
		if d == nil {
			continue
		}
		if i > 0 {
			jf.Line()
		}
		jf.Add(d)
	}
}

// stateVersionConst emits the encoding version:
//
//	// ActionCountsStateVersion is the version of the binary encodings of
//	// ActionCountsKey and ActionCountsState. …
//	const ActionCountsStateVersion = 1
func stateVersionConst(a *plan.Aggregation) jen.Code {
	return jen.Add(doc(wrap(fmt.Sprintf("%s is the version of the binary encodings of %s and %s. "+
		"A state encoding starts with it, and decoding refuses any other version; "+
		"key encodings carry no version byte (they are compared as bytes), "+
		"so the state store records this version with the operator.", a.Version, a.Key, a.State)))).Line().
		Const().Id(a.Version).Op("=").Lit(stateVersion(a))
}

// stateVersion is the version of a's key and state encodings: 4 for a
// session window (the session's start in the key, its end in the state,
// since version 4), 3 when the key holds a tumbling or sliding window (its
// start only, since version 3), 2 when a sum keeps a has-a-value flag (a
// nullable sum, added in version 2), else 1.
func stateVersion(a *plan.Aggregation) int {
	if a.SessionSet != "" {
		return 4
	}
	if windowedKey(a) {
		return 3
	}
	for _, s := range a.Aggs {
		if s.IR.Func == ir.AggSum && s.Aux != "" {
			return 2
		}
	}
	return 1
}

// durText formats a duration shortly: 1h, 10m, 1h30m, 1.5s.
func durText(d time.Duration) string {
	t := d.String()
	if strings.HasSuffix(t, "m0s") {
		t = strings.TrimSuffix(t, "0s")
	}
	if strings.HasSuffix(t, "h0m") {
		t = strings.TrimSuffix(t, "0m")
	}
	return t
}

// windowDesc describes the aggregation's window for doc comments ("the
// 1h0m0s tumbling window over time").
func windowDesc(w *ir.Window) string {
	switch w.Kind {
	case ir.Sliding:
		return fmt.Sprintf("the %s windows sliding every %s%s over %s", durText(w.Size), durText(w.Slide), offsetText(w), w.Column)
	case ir.Session:
		return fmt.Sprintf("the session window (gap %s) over %s", durText(w.Gap), w.Column)
	}
	return fmt.Sprintf("the %s tumbling window%s over %s", durText(w.Size), offsetText(w), w.Column)
}

// offsetText notes a window's start offset.
func offsetText(w *ir.Window) string {
	if w.StartOffset == 0 {
		return ""
	}
	return " (starting " + durText(w.StartOffset) + " after the epoch's boundaries)"
}

// keyStruct emits the key type:
//
//	// ActionCountsKey is the grouping key of the action_counts
//	// aggregation: …
//	type ActionCountsKey struct {
//		// Action is the "action" key.
//		Action EventAction
//		// WindowStart is the start of the window (inclusive); WindowEnd
//		// returns its end.
//		WindowStart time.Time
//	}
//
// The window's end is not stored: it is the start plus the window's size,
// and each key stored costs memory in the state store.
func keyStruct(a *plan.Aggregation) jen.Code {
	var fields []jen.Code
	for _, k := range a.Keys {
		fields = append(fields, jen.Add(doc(wrap(fmt.Sprintf("%s is the %q key%s.", k.Field.GoName, k.In.IR.Name, nilNote(k.Field.Type))))).Line().
			Id(k.Field.GoName).Add(goType(k.Field.Type)))
	}
	switch {
	case windowedKey(a):
		fields = append(fields,
			jen.Add(doc(wrap(fmt.Sprintf("%s is the start of the window (inclusive), in UTC; %s returns its end (exclusive), %s later.",
				a.WindowStart.GoName, a.WindowEnd.GoName, durText(a.IR.Window.Size))))).Line().
				Id(a.WindowStart.GoName).Qual(timePath, "Time"),
		)
	case a.SessionSet != "":
		fields = append(fields,
			jen.Add(doc(wrap(fmt.Sprintf("%s is the start of the session (inclusive), in UTC: its earliest event. %s sets it to the row's event time; the aggregation operator (aggregate.NewSession) sets it to the start of the session the row joins. The session's end is %s.%s.",
				a.WindowStart.GoName, a.KeyOf, a.State, a.WindowEnd.GoName)))).Line().
				Id(a.WindowStart.GoName).Qual(timePath, "Time"),
		)
	}
	what := "its keys"
	switch w := a.IR.Window; {
	case w == nil:
	case w.Kind == ir.Session:
		what = "its keys and the start of a session of " + windowDesc(w) + "; the session's end is part of its state (" + a.State + "." + a.WindowEnd.GoName + "), since a session grows as events arrive. A group has one key per session: sessions that come to overlap are merged into the earliest one's key"
	case len(a.Keys) == 0:
		what = "the start of " + windowDesc(w)
	default:
		what = "its keys and the start of " + windowDesc(w)
	}
	text := fmt.Sprintf("%s is the grouping key of the aggregation producing %s: %s.\n\n"+
		"AppendBinary encodes it for the state store and as a map key: equal keys have equal encodings, and only those.",
		a.Key, a.Result.GoName, what)
	return jen.Add(doc(wrapParas(text))).Line().Type().Id(a.Key).Struct(fields...)
}

// keyWindowEnd emits the window end of a windowed key, nil for others:
//
//	// WindowEnd returns the end of k's window (exclusive): WindowStart
//	// plus the window's size, 1h.
//	func (k *ActionCountsKey) WindowEnd() time.Time {
//		return k.WindowStart.Add(time.Hour)
//	}
func keyWindowEnd(a *plan.Aggregation) jen.Code {
	if !windowedKey(a) {
		return nil
	}
	text := wrap(fmt.Sprintf("%s returns the end of k's window (exclusive): %s plus the window's size, %s.",
		a.WindowEnd.GoName, a.WindowStart.GoName, durText(a.IR.Window.Size)))
	return jen.Add(doc(text)).Line().Func().Params(jen.Id("k").Op("*").Id(a.Key)).Id(a.WindowEnd.GoName).Params().Qual(timePath, "Time").Block(
		jen.Return(jen.Id("k").Dot(a.WindowStart.GoName).Dot("Add").Call(durationCode(a.IR.Window.Size))),
	)
}

// windowedKey reports whether the key holds a fixed-length window's start
// (tumbling and sliding windows), whose end the key's WindowEnd method
// gives.
func windowedKey(a *plan.Aggregation) bool {
	return a.IR.Window != nil && a.IR.Window.Kind != ir.Session
}

// keyHasStart reports whether the key holds a window's start: any window,
// a session's included (its end is in the state).
func keyHasStart(a *plan.Aggregation) bool { return a.IR.Window != nil }

// nilNote notes that a pointer key or value may be nil.
func nilNote(t *plan.Type) string {
	if t.Pointer {
		return " (nil for null: null is a group of its own, as in Spark)"
	}
	return ""
}

// wrapParas wraps each paragraph of text.
func wrapParas(text string) string {
	paras := strings.Split(text, "\n\n")
	for i, p := range paras {
		paras[i] = wrap(p)
	}
	return strings.Join(paras, "\n\n")
}

// inType is the aggregation's input row type: Event, or a user type
// enrich.Enriched.
func inType(a *plan.Aggregation) *jen.Statement {
	if a.Input.PkgPath != "" {
		return jen.Qual(a.Input.PkgPath, a.Input.Name)
	}
	return jen.Id(a.Input.Name)
}

// valueType is t without the pointer.
func valueType(t *plan.Type) *plan.Type {
	c := *t
	c.Pointer = false
	return &c
}

// rowField is r.<Field>.
func rowField(f *plan.InputField) *jen.Statement { return jen.Id("r").Dot(f.GoName) }

// conv converts a value read from f to its planned type (a user int to
// int64).
func conv(f *plan.InputField, v jen.Code) *jen.Statement {
	if f.Convert {
		return jen.Int64().Call(v)
	}
	return jen.Add(v)
}

// withValue emits body for the value of input field f, skipping nulls:
//
//	if p := r.Price; p != nil {
//		v := *p
//		<body(v)>
//	}
//
// or body(r.Price) for a field that cannot be null.
func withValue(f *plan.InputField, body func(v jen.Code) []jen.Code) []jen.Code {
	if f.Type.Pointer {
		return []jen.Code{jen.If(jen.Id("p").Op(":=").Add(rowField(f)), jen.Id("p").Op("!=").Nil()).Block(
			append([]jen.Code{jen.Id("v").Op(":=").Add(conv(f, jen.Op("*").Id("p")))}, body(jen.Id("v"))...)...,
		)}
	}
	return body(conv(f, rowField(f)))
}

// keyValue is the key field's value computed from a row value: times in
// UTC, floats normalised (-0.0 → 0.0, one NaN) so that equal keys are
// equal Go values.
func keyValue(t *plan.Type, v jen.Code) jen.Code {
	switch t.Kind {
	case plan.GoTime:
		return jen.Add(v).Dot("UTC").Call()
	case plan.GoFloat64:
		return jen.Qual(streamimplPath, "NormFloat").Call(v)
	}
	return v
}

// keyNeedsCopy reports whether a pointer key must be copied rather than
// shared with the row (its value is transformed).
func keyNeedsCopy(k *plan.AggKey) bool {
	return k.In.Convert || k.Field.Type.Kind == plan.GoTime || k.Field.Type.Kind == plan.GoFloat64
}

// durationCode emits a duration readably: time.Hour, 10 * time.Minute,
// 1500 * time.Millisecond.
func durationCode(d time.Duration) jen.Code {
	units := []struct {
		d    time.Duration
		name string
	}{{time.Hour, "Hour"}, {time.Minute, "Minute"}, {time.Second, "Second"}, {time.Millisecond, "Millisecond"}, {time.Microsecond, "Microsecond"}}
	if d == 0 {
		return jen.Lit(0)
	}
	for _, u := range units {
		if d != 0 && d%u.d == 0 {
			if d == u.d {
				return jen.Qual(timePath, u.name)
			}
			return jen.Lit(int(d/u.d)).Op("*").Qual(timePath, u.name)
		}
	}
	return jen.Qual(timePath, "Duration").Call(jen.Lit(int(d)))
}

// keyOfFunc emits the function giving a row's group(s). Tumbling, no
// window, session:
//
//	// ActionCountsKeyOf returns the key of the group r belongs to …
//	func ActionCountsKeyOf(r *Event) (ActionCountsKey, bool) {
//		k := ActionCountsKey{Action: r.Action}
//		k.WindowStart, _ = window.Tumbling(r.Time, time.Hour, 0)
//		return k, true
//	}
//
// Sliding:
//
//	func StatsKeysOf(dst []StatsKey, r *Reading) []StatsKey {
//		k := StatsKey{…}
//		first, n := window.Sliding(r.Time, 10*time.Minute, 5*time.Minute, 0)
//		for i := range n {
//			k.WindowStart = first.Add(time.Duration(i) * (5 * time.Minute))
//			dst = append(dst, k)
//		}
//		return dst
//	}
func keyOfFunc(a *plan.Aggregation) jen.Code {
	w := a.IR.Window
	sliding := w != nil && w.Kind == ir.Sliding
	var body []jen.Code
	var ts jen.Code
	if w != nil {
		ts = rowField(a.WindowColumn)
		if a.WindowColumn.Type.Pointer {
			fail := jen.Return(jen.Id(a.Key).Values(), jen.False())
			if sliding {
				fail = jen.Return(jen.Id("dst"))
			}
			body = append(body, jen.If(rowField(a.WindowColumn).Op("==").Nil()).Block(fail))
			ts = jen.Op("*").Add(rowField(a.WindowColumn))
		}
	}
	var direct []jen.Code
	var copies []jen.Code
	for _, k := range a.Keys {
		switch {
		case !k.Field.Type.Pointer:
			direct = append(direct, jen.Id(k.Field.GoName).Op(":").Add(keyValue(k.Field.Type, conv(k.In, rowField(k.In)))))
		case !keyNeedsCopy(k):
			direct = append(direct, jen.Id(k.Field.GoName).Op(":").Add(rowField(k.In)))
		default:
			// if p := r.At; p != nil {
			//	v := *p
			//	v = v.UTC()
			//	k.At = &v
			// }
			body := []jen.Code{jen.Id("v").Op(":=").Add(conv(k.In, jen.Op("*").Id("p")))}
			if kind := k.Field.Type.Kind; kind == plan.GoTime || kind == plan.GoFloat64 {
				body = append(body, jen.Id("v").Op("=").Add(keyValue(k.Field.Type, jen.Id("v"))))
			}
			body = append(body, jen.Id("k").Dot(k.Field.GoName).Op("=").Op("&").Id("v"))
			copies = append(copies, jen.If(jen.Id("p").Op(":=").Add(rowField(k.In)), jen.Id("p").Op("!=").Nil()).Block(body...))
		}
	}
	assign := ":="
	if !sliding {
		assign = "=" // the named result
	}
	body = append(body, jen.Id("k").Op(assign).Id(a.Key).Values(direct...))
	body = append(body, copies...)
	var first string
	switch {
	case sliding:
		size, slide := durationCode(w.Size), durationCode(w.Slide)
		body = append(body,
			jen.List(jen.Id("first"), jen.Id("n")).Op(":=").Qual(windowPath, "Sliding").Call(ts, size, slide, durationCode(w.StartOffset)),
			jen.For(jen.Id("i").Op(":=").Range().Id("n")).Block(
				jen.Id("k").Dot(a.WindowStart.GoName).Op("=").Id("first").Dot("Add").Call(jen.Qual(timePath, "Duration").Call(jen.Id("i")).Op("*").Parens(slide)),
				jen.Id("dst").Op("=").Append(jen.Id("dst"), jen.Id("k")),
			),
			jen.Return(jen.Id("dst")),
		)
		first = fmt.Sprintf("%s appends to dst the keys of the groups r belongs to, one per window of %s holding it (in increasing order), and returns the extended slice.", a.KeyOf, windowDesc(w))
	case w != nil && w.Kind == ir.Session:
		if a.WindowColumn.Type.Pointer {
			ts = jen.Parens(ts) // (*r.Time).UTC()
		}
		body = append(body,
			jen.Id("k").Dot(a.WindowStart.GoName).Op("=").Add(ts).Dot("UTC").Call(),
			jen.Return(jen.Id("k"), jen.True()),
		)
		first = fmt.Sprintf("%s returns the key of the group r belongs to, with r's event time as the start of its session: the start of [time, time+%s), the session of r alone. The aggregation operator (aggregate.NewSession) finds the session r joins and sets the start to that session's.", a.KeyOf, durText(w.Gap))
	case w != nil && w.Kind == ir.Tumbling:
		body = append(body,
			jen.List(jen.Id("k").Dot(a.WindowStart.GoName), jen.Id("_")).Op("=").
				Qual(windowPath, "Tumbling").Call(ts, durationCode(w.Size), durationCode(w.StartOffset)),
			jen.Return(jen.Id("k"), jen.True()),
		)
		first = fmt.Sprintf("%s returns the key of the group r belongs to: its keys and %s holding it.", a.KeyOf, windowDesc(w))
	default:
		body = append(body, jen.Return(jen.Id("k"), jen.True()))
		first = fmt.Sprintf("%s returns the key of the group r belongs to.", a.KeyOf)
	}
	text := wrap(first)
	if w != nil && a.WindowColumn.Type.Pointer {
		if sliding {
			text += "\n\n" + wrap(fmt.Sprintf("A row whose %s is null belongs to no window and adds no key (Spark drops it).", w.Column))
		} else {
			text += "\n\n" + wrap(fmt.Sprintf("ok is false when r's %s is null: the row belongs to no window (Spark drops it).", w.Column))
		}
	} else if !sliding {
		text += " ok is always true."
		text = wrap(text)
	}
	text += "\n\n" + wrap("Strings in the key share r's memory (its decoder's arena): a state store keeps the key's encoding or a copy.")
	row := jen.Id("r").Op("*").Add(inType(a))
	if sliding {
		return jen.Add(doc(text)).Line().Func().Id(a.KeyOf).
			Params(jen.Id("dst").Index().Id(a.Key), row).Index().Id(a.Key).Block(body...)
	}
	return jen.Add(doc(text)).Line().Func().Id(a.KeyOf).
		Params(row).Params(jen.Id("k").Id(a.Key), jen.Id("ok").Bool()).Block(body...)
}

// appendValue appends the encoding of value v of type t (not a pointer)
// to b: b = streamimpl.AppendString(b, string(v)).
func appendValue(t *plan.Type, v jen.Code) jen.Code {
	fn, arg := "", jen.Add(v)
	switch t.Kind {
	case plan.GoString:
		fn = "AppendString"
	case plan.GoEnum:
		fn, arg = "AppendString", jen.String().Call(v)
	case plan.GoInt32:
		fn, arg = "AppendVarint", jen.Int64().Call(v)
	case plan.GoInt64:
		fn = "AppendVarint"
	case plan.GoFloat64:
		fn = "AppendFloat64"
	case plan.GoBool:
		fn = "AppendBool"
	case plan.GoTime:
		fn = "AppendTime"
	case plan.GoDate:
		fn = "AppendDate"
	default:
		panic("emit: no binary encoding for " + t.String())
	}
	return jen.Id("b").Op("=").Qual(streamimplPath, fn).Call(jen.Id("b"), arg)
}

// readValue reads a value of type t (not a pointer) from the reader d:
// d.Str(), EventAction(d.Str()), d.Varint().
func readValue(t *plan.Type) jen.Code {
	d := jen.Id("d")
	switch t.Kind {
	case plan.GoString:
		return d.Dot("Str").Call()
	case plan.GoEnum:
		return jen.Id(t.Name).Call(d.Dot("Str").Call())
	case plan.GoInt32:
		return d.Dot("Int32").Call()
	case plan.GoInt64:
		return d.Dot("Varint").Call()
	case plan.GoFloat64:
		return d.Dot("Float64").Call()
	case plan.GoBool:
		return d.Dot("Bool").Call()
	case plan.GoTime:
		return d.Dot("Time").Call()
	case plan.GoDate:
		return d.Dot("Date").Call()
	}
	panic("emit: no binary decoding for " + t.String())
}

// checkEnum emits, for an enum value just read into target, a check
// that it is one of the constants:
//
//	if !t.Action.Valid() {
//		d.Fail("invalid EventAction value")
//	}
func checkEnum(t *plan.Type, target jen.Code) []jen.Code {
	if t.Kind != plan.GoEnum {
		return nil
	}
	return []jen.Code{jen.If(jen.Op("!").Add(target).Dot("Valid").Call()).Block(
		jen.Id("d").Dot("Fail").Call(jen.Lit("invalid " + t.Name + " value")),
	)}
}

// appendField appends a (possibly nullable) field: a presence byte then
// the value for a pointer.
//
//	b = streamimpl.AppendBool(b, k.Region != nil)
//	if k.Region != nil {
//		b = streamimpl.AppendString(b, *k.Region)
//	}
func appendField(t *plan.Type, v *jen.Statement) []jen.Code {
	if !t.Pointer {
		return []jen.Code{appendValue(t, v)}
	}
	return []jen.Code{
		jen.Id("b").Op("=").Qual(streamimplPath, "AppendBool").Call(jen.Id("b"), v.Clone().Op("!=").Nil()),
		jen.If(v.Clone().Op("!=").Nil()).Block(appendValue(valueType(t), jen.Op("*").Add(v.Clone()))),
	}
}

// readField reads a (possibly nullable) field into target.
//
//	if d.Bool() {
//		v := d.Str()
//		t.Region = &v
//	}
func readField(t *plan.Type, target *jen.Statement) []jen.Code {
	if !t.Pointer {
		return append([]jen.Code{target.Clone().Op("=").Add(readValue(t))}, checkEnum(t, target.Clone())...)
	}
	vt := valueType(t)
	return []jen.Code{jen.If(jen.Id("d").Dot("Bool").Call()).Block(
		append(append([]jen.Code{jen.Id("v").Op(":=").Add(readValue(vt))}, checkEnum(vt, jen.Id("v"))...),
			target.Clone().Op("=").Op("&").Id("v"))...,
	)}
}

// keyAppendBinary emits the key's encoding:
//
//	// AppendBinary appends the binary encoding of k to b …
//	func (k *ActionCountsKey) AppendBinary(b []byte) []byte {
//		b = streamimpl.AppendString(b, string(k.Action))
//		b = streamimpl.AppendTime(b, k.WindowStart)
//		return b
//	}
func keyAppendBinary(a *plan.Aggregation) jen.Code {
	var body []jen.Code
	for _, k := range a.Keys {
		body = append(body, appendField(k.Field.Type, jen.Id("k").Dot(k.Field.GoName))...)
	}
	if keyHasStart(a) {
		body = append(body, appendValue(a.WindowStart.Type, jen.Id("k").Dot(a.WindowStart.GoName)))
	}
	body = append(body, jen.Return(jen.Id("b")))
	text := wrap("AppendBinary appends the binary encoding of k to b and returns the extended slice. Equal keys (nil pointers equal, times equal as instants) have equal encodings, and different keys different ones, so the encoding can be a map key; it is not ordered like the keys.")
	return jen.Add(doc(text)).Line().Func().Params(jen.Id("k").Op("*").Id(a.Key)).Id("AppendBinary").
		Params(jen.Id("b").Index().Byte()).Index().Byte().Block(body...)
}

// keyUnmarshalBinary emits the key's decoding:
//
//	// UnmarshalBinary sets k from an encoding made by AppendBinary …
//	func (k *ActionCountsKey) UnmarshalBinary(b []byte) error {
//		d := streamimpl.NewBinaryReader(b, "ActionCountsKey")
//		var t ActionCountsKey
//		t.Action = EventAction(d.Str())
//		…
//		if err := d.End(); err != nil {
//			return err
//		}
//		*k = t
//		return nil
//	}
func keyUnmarshalBinary(a *plan.Aggregation) jen.Code {
	body := []jen.Code{
		jen.Id("d").Op(":=").Qual(streamimplPath, "NewBinaryReader").Call(jen.Id("b"), jen.Lit(a.Key)),
		jen.Var().Id("t").Id(a.Key),
	}
	for _, k := range a.Keys {
		body = append(body, readField(k.Field.Type, jen.Id("t").Dot(k.Field.GoName))...)
	}
	if keyHasStart(a) {
		body = append(body, jen.Id("t").Dot(a.WindowStart.GoName).Op("=").Add(readValue(a.WindowStart.Type)))
	}
	body = append(body, decodeTail("k")...)
	text := wrap("UnmarshalBinary sets k from an encoding made by AppendBinary, copying what it keeps from b. Truncated or malformed input is a *streamimpl.BinaryError, and k is left unchanged.")
	return jen.Add(doc(text)).Line().Func().Params(jen.Id("k").Op("*").Id(a.Key)).Id("UnmarshalBinary").
		Params(jen.Id("b").Index().Byte()).Error().Block(body...)
}

// decodeTail ends a decoder: check for errors and trailing bytes, then
// commit.
//
//	if err := d.End(); err != nil {
//		return err
//	}
//	*k = t
//	return nil
func decodeTail(recv string) []jen.Code {
	return []jen.Code{
		jen.If(jen.Err().Op(":=").Id("d").Dot("End").Call(), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err())),
		jen.Op("*").Id(recv).Op("=").Id("t"),
		jen.Return(jen.Nil()),
	}
}

// aggCall is the aggregate as written: "max(time)", "count()".
func aggCall(ag *ir.Agg) string { return fmt.Sprintf("%s(%s)", ag.Func, ag.Field) }

// distinctType is the set element type of count_distinct over t: the
// value type, uint64 float bits (FloatKey) for floats.
func distinctType(t *plan.Type) jen.Code {
	if t.Kind == plan.GoFloat64 {
		return jen.Uint64()
	}
	return goType(valueType(t))
}

// stateStruct emits the state type:
//
//	// ActionCountsState is the accumulator of one group …
//	type ActionCountsState struct {
//		// count is count().
//		count int64
//		// latest is max(time); latestHas says it is set.
//		latest    time.Time
//		latestHas bool
//	}
func stateStruct(a *plan.Aggregation) jen.Code {
	var fields []jen.Code
	if a.SessionSet != "" {
		fields = append(fields,
			jen.Add(doc(wrap(fmt.Sprintf("%s is the end of the session (exclusive), in UTC: its latest event plus the gap, %s. Its start is the key's %s.",
				a.WindowEnd.GoName, durText(a.IR.Window.Gap), a.WindowStart.GoName)))).Line().
				Id(a.WindowEnd.GoName).Qual(timePath, "Time"),
			jen.Comment(fmt.Sprintf("%s says %s is set (a row was added).", a.SessionSet, a.WindowEnd.GoName)).Line().
				Id(a.SessionSet).Bool(),
		)
	}
	for _, s := range a.Aggs {
		call := aggCall(s.IR)
		switch s.IR.Func {
		case ir.AggCount:
			fields = append(fields, jen.Comment(fmt.Sprintf("%s is %s.", s.Value, call)).Line().Id(s.Value).Int64())
		case ir.AggSum:
			t := jen.Int64()
			if s.In.Type.Kind == plan.GoFloat64 {
				t = jen.Float64()
			}
			if s.Aux != "" {
				fields = append(fields,
					jen.Comment(fmt.Sprintf("%s is %s; %s says it is set (a non-null value was added).", s.Value, call, s.Aux)).Line().
						Id(s.Value).Add(t),
					jen.Id(s.Aux).Bool())
				break
			}
			fields = append(fields, jen.Comment(fmt.Sprintf("%s is %s.", s.Value, call)).Line().Id(s.Value).Add(t))
		case ir.AggAvg:
			fields = append(fields,
				jen.Comment(fmt.Sprintf("%s and %s are the sum and count of the non-null values of %s.", s.Value, s.Aux, call)).Line().
					Id(s.Value).Float64(),
				jen.Id(s.Aux).Int64())
		case ir.AggMin, ir.AggMax, ir.AggFirst, ir.AggLast:
			fields = append(fields,
				jen.Comment(fmt.Sprintf("%s is %s; %s says it is set (a non-null value was added).", s.Value, call, s.Aux)).Line().
					Id(s.Value).Add(goType(valueType(s.In.Type))),
				jen.Id(s.Aux).Bool())
		case ir.AggCountDistinct:
			fields = append(fields, jen.Comment(fmt.Sprintf("%s is the set of %s (nil when empty).", s.Value, call)).Line().
				Id(s.Value).Map(distinctType(s.In.Type)).Struct())
		case ir.AggApproxCountDistinct:
			fields = append(fields, jen.Comment(fmt.Sprintf("%s is the sketch of %s.", s.Value, call)).Line().
				Id(s.Value).Qual(streamimplPath, "HLL"))
		}
	}
	var aggs []string
	for _, s := range a.Aggs {
		aggs = append(aggs, s.IR.As+" = "+aggCall(s.IR))
	}
	text := wrap(fmt.Sprintf("%s is the accumulator of one group of the aggregation producing %s: %s.", a.State, a.Result.GoName, strings.Join(aggs, ", ")))
	if a.SessionSet != "" {
		text += "\n\n" + wrap("The state of a session window holds the session's end; its key holds its start. A group may have several sessions at once, one state each; the aggregation operator (aggregate.NewSession) merges (Merge) the sessions a row makes overlap into the earliest one.")
	}
	text += "\n\n" + wrap("The zero value is the empty state. A state holds maps and sketches: use it through a pointer and do not copy it after first use.")
	return jen.Add(doc(text)).Line().Type().Id(a.State).Struct(fields...)
}

// less is a < b in the aggregate order of type t.
func less(t *plan.Type, x, y jen.Code) jen.Code {
	switch t.Kind {
	case plan.GoTime:
		return jen.Add(x).Dot("Before").Call(y)
	case plan.GoFloat64:
		return jen.Qual(streamimplPath, "LessFloat64").Call(x, y)
	}
	return jen.Add(x).Op("<").Add(y)
}

// stored is v as a state keeps it: strings are copied out of the row's
// arena.
func stored(t *plan.Type, v jen.Code) jen.Code {
	if t.Kind == plan.GoString {
		return jen.Qual("strings", "Clone").Call(v)
	}
	return v
}

// sessionAdd emits the session end update for the row's event time:
//
//	if end := r.Time.Add(5 * time.Minute); !s.sessionSet || end.After(s.WindowEnd) {
//		s.WindowEnd = end.UTC()
//	}
//	s.sessionSet = true
func sessionAdd(a *plan.Aggregation) []jen.Code {
	st := func(n string) *jen.Statement { return jen.Id("s").Dot(n) }
	return withValue(a.WindowColumn, func(ts jen.Code) []jen.Code {
		return []jen.Code{
			jen.If(jen.Id("end").Op(":=").Add(ts).Dot("Add").Call(durationCode(a.IR.Window.Gap)), jen.Op("!").Add(st(a.SessionSet)).Op("||").Id("end").Dot("After").Call(st(a.WindowEnd.GoName))).Block(
				st(a.WindowEnd.GoName).Op("=").Id("end").Dot("UTC").Call()),
			st(a.SessionSet).Op("=").True(),
		}
	})
}

// aggAdd emits one aggregate's update for row r.
//
//	s.count++
//	if !s.latestHas || s.latest.Before(r.Time) {
//		s.latest = r.Time
//		s.latestHas = true
//	}
func aggAdd(s *plan.AggState) []jen.Code {
	x := func() *jen.Statement { return jen.Id("s").Dot(s.Value) }
	has := func() *jen.Statement { return jen.Id("s").Dot(s.Aux) }
	set := func(v jen.Code, t *plan.Type) []jen.Code {
		return []jen.Code{x().Op("=").Add(stored(t, v)), has().Op("=").True()}
	}
	if s.In == nil { // count()
		return []jen.Code{x().Op("++")}
	}
	if s.IR.Func == ir.AggCount {
		if s.In.Type.Pointer {
			return []jen.Code{jen.If(rowField(s.In).Op("!=").Nil()).Block(x().Op("++"))}
		}
		return []jen.Code{x().Op("++")}
	}
	t := valueType(s.In.Type)
	return withValue(s.In, func(v jen.Code) []jen.Code {
		switch s.IR.Func {
		case ir.AggSum:
			if t.Kind == plan.GoInt32 {
				v = jen.Int64().Call(v)
			}
			if s.Aux != "" {
				return []jen.Code{x().Op("+=").Add(v), has().Op("=").True()}
			}
			return []jen.Code{x().Op("+=").Add(v)}
		case ir.AggAvg:
			return []jen.Code{x().Op("+=").Float64().Call(v), has().Op("++")}
		case ir.AggMin:
			return []jen.Code{jen.If(jen.Op("!").Add(has()).Op("||").Add(less(t, v, x()))).Block(set(v, t)...)}
		case ir.AggMax:
			return []jen.Code{jen.If(jen.Op("!").Add(has()).Op("||").Add(less(t, x(), v))).Block(set(v, t)...)}
		case ir.AggFirst:
			return []jen.Code{jen.If(jen.Op("!").Add(has())).Block(set(v, t)...)}
		case ir.AggLast:
			return set(v, t)
		case ir.AggCountDistinct:
			init := jen.If(x().Op("==").Nil()).Block(x().Op("=").Make(jen.Map(distinctType(t)).Struct()))
			var key jen.Code = v
			switch t.Kind {
			case plan.GoFloat64:
				key = jen.Qual(streamimplPath, "FloatKey").Call(v)
			case plan.GoTime:
				key = jen.Add(v).Dot("UTC").Call()
			case plan.GoString:
				// Copy the string out of the arena only when it is new.
				return []jen.Code{init, jen.If(jen.List(jen.Id("_"), jen.Id("ok")).Op(":=").Add(x()).Index(v), jen.Op("!").Id("ok")).Block(
					x().Index(jen.Qual("strings", "Clone").Call(v)).Op("=").Struct().Values(),
				)}
			}
			return []jen.Code{init, x().Index(key).Op("=").Struct().Values()}
		case ir.AggApproxCountDistinct:
			fn, arg := "", jen.Add(v)
			switch t.Kind {
			case plan.GoString:
				fn = "InsertString"
			case plan.GoEnum:
				fn, arg = "InsertString", jen.String().Call(v)
			case plan.GoInt32, plan.GoDate:
				fn, arg = "InsertInt64", jen.Int64().Call(v)
			case plan.GoInt64:
				fn = "InsertInt64"
			case plan.GoFloat64:
				fn = "InsertFloat64"
			case plan.GoBool:
				fn = "InsertBool"
			case plan.GoTime:
				fn = "InsertTime"
			}
			return []jen.Code{x().Dot(fn).Call(arg)}
		}
		panic("emit: unknown aggregate " + string(s.IR.Func))
	})
}

// stateAdd emits Add:
//
//	// Add adds row r to the group's state.
//	func (s *ActionCountsState) Add(r *Event) {
//		s.count++
//		…
//	}
func stateAdd(a *plan.Aggregation) jen.Code {
	var body []jen.Code
	if a.SessionSet != "" {
		body = append(body, sessionAdd(a)...)
	}
	for _, s := range a.Aggs {
		body = append(body, aggAdd(s)...)
	}
	text := wrap(fmt.Sprintf("Add adds row r, a row of the group, to the state. Null values are skipped (count() counts every row).%s",
		map[bool]string{true: " It extends the session's end to r's event time plus the gap.", false: ""}[a.SessionSet != ""]))
	return jen.Add(doc(text)).Line().Func().Params(jen.Id("s").Op("*").Id(a.State)).Id("Add").
		Params(jen.Id("r").Op("*").Add(inType(a))).Block(body...)
}

// aggMerge emits one aggregate's merge of o into s.
//
//	s.count += o.count
//	if o.latestHas && (!s.latestHas || s.latest.Before(o.latest)) {
//		s.latest, s.latestHas = o.latest, true
//	}
func aggMerge(s *plan.AggState) []jen.Code {
	// jen statements grow in place (and Clone shares them): build each
	// use afresh.
	sx := func() *jen.Statement { return jen.Id("s").Dot(s.Value) }
	ox := func() *jen.Statement { return jen.Id("o").Dot(s.Value) }
	sHas := func() *jen.Statement { return jen.Id("s").Dot(s.Aux) }
	oHas := func() *jen.Statement { return jen.Id("o").Dot(s.Aux) }
	take := func() jen.Code {
		return jen.List(sx(), sHas()).Op("=").List(ox(), jen.True())
	}
	switch s.IR.Func {
	case ir.AggSum:
		if s.Aux != "" {
			return []jen.Code{sx().Op("+=").Add(ox()), sHas().Op("=").Add(sHas()).Op("||").Add(oHas())}
		}
		return []jen.Code{sx().Op("+=").Add(ox())}
	case ir.AggCount:
		return []jen.Code{sx().Op("+=").Add(ox())}
	case ir.AggAvg:
		return []jen.Code{sx().Op("+=").Add(ox()), sHas().Op("+=").Add(oHas())}
	case ir.AggMin, ir.AggMax:
		t := valueType(s.In.Type)
		better := less(t, ox(), sx())
		if s.IR.Func == ir.AggMax {
			better = less(t, sx(), ox())
		}
		return []jen.Code{jen.If(oHas().Op("&&").Parens(jen.Op("!").Add(sHas()).Op("||").Add(better))).Block(take())}
	case ir.AggFirst:
		return []jen.Code{jen.If(jen.Op("!").Add(sHas()).Op("&&").Add(oHas())).Block(take())}
	case ir.AggLast:
		return []jen.Code{jen.If(oHas()).Block(take())}
	case ir.AggCountDistinct:
		return []jen.Code{jen.If(jen.Len(ox()).Op(">").Lit(0).Op("&&").Add(sx()).Op("==").Nil()).Block(
			sx().Op("=").Make(jen.Map(distinctType(s.In.Type)).Struct(), jen.Len(ox())),
		), jen.For(jen.Id("v").Op(":=").Range().Add(ox())).Block(
			sx().Index(jen.Id("v")).Op("=").Struct().Values(),
		)}
	case ir.AggApproxCountDistinct:
		return []jen.Code{sx().Dot("Merge").Call(jen.Op("&").Add(ox()))}
	}
	panic("emit: unknown aggregate " + string(s.IR.Func))
}

// stateMerge emits Merge:
//
//	// Merge adds the rows of o, the state of the same group over rows
//	// that came after s's, to s. …
//	func (s *ActionCountsState) Merge(o *ActionCountsState) {
//		s.count += o.count
//		…
//	}
func stateMerge(a *plan.Aggregation) jen.Code {
	var body []jen.Code
	if a.SessionSet != "" {
		st := func(r, n string) *jen.Statement { return jen.Id(r).Dot(n) }
		notSet := func() *jen.Statement { return jen.Op("!").Add(st("s", a.SessionSet)) }
		body = append(body, jen.If(st("o", a.SessionSet)).Block(
			jen.If(notSet().Op("||").Add(st("o", a.WindowEnd.GoName)).Dot("After").Call(st("s", a.WindowEnd.GoName))).Block(
				st("s", a.WindowEnd.GoName).Op("=").Add(st("o", a.WindowEnd.GoName))),
			st("s", a.SessionSet).Op("=").True(),
		))
	}
	for _, s := range a.Aggs {
		body = append(body, aggMerge(s)...)
	}
	text := wrap("Merge adds to s the rows of o, a state of the same group: afterwards s is the state of both states' rows. It is associative, and commutative except for first and last: s is taken to hold the earlier rows, so Merge keeps s's first value and takes o's last. Float sums are associative up to rounding. o is not changed, and s keeps no reference to o's sets or sketches.")
	if a.SessionSet != "" {
		text += "\n\n" + wrap("The session's end becomes the later of both; the merged session's start (its key's) is the earlier one, which the aggregation operator sets as it merges the sessions a row makes overlap, receiver first in order of their starts.")
	}
	return jen.Add(doc(text)).Line().Func().Params(jen.Id("s").Op("*").Id(a.State)).Id("Merge").
		Params(jen.Id("o").Op("*").Id(a.State)).Block(body...)
}

// aggResult is the value of one aggregate's result field.
func aggResult(s *plan.AggState) jen.Code {
	x := jen.Id("s").Dot(s.Value)
	switch s.IR.Func {
	case ir.AggCountDistinct:
		return jen.Int64().Call(jen.Len(x))
	case ir.AggApproxCountDistinct:
		return x.Dot("Estimate").Call()
	}
	return x
}

// nullableResult sets the pointer result field of a sum, avg, min, max,
// first or last when the group had a non-null value (it stays nil, Spark's
// null, otherwise):
//
//	if s.priceMinHas {
//		v := s.priceMin
//		res.PriceMin = &v
//	}
//	if s.priceAvgN > 0 {
//		v := s.priceAvgSum / float64(s.priceAvgN)
//		res.PriceAvg = &v
//	}
func nullableResult(s *plan.AggState) jen.Code {
	st := func(n string) *jen.Statement { return jen.Id("s").Dot(n) }
	set := jen.Id("res").Dot(s.Result.GoName).Op("=").Op("&").Id("v")
	switch s.IR.Func {
	case ir.AggAvg:
		return jen.If(st(s.Aux).Op(">").Lit(0)).Block(
			jen.Id("v").Op(":=").Add(st(s.Value)).Op("/").Float64().Call(st(s.Aux)), set)
	case ir.AggSum, ir.AggMin, ir.AggMax, ir.AggFirst, ir.AggLast:
		if s.Aux == "" {
			panic("emit: nullable result " + s.Result.GoName + " without a has-a-value flag")
		}
		return jen.If(st(s.Aux)).Block(jen.Id("v").Op(":=").Add(st(s.Value)), set)
	}
	panic("emit: nullable result " + s.Result.GoName + " of " + string(s.IR.Func)) // the IR makes counts required and non-nullable
}

// stateResult emits Result:
//
//	// Result returns the result row of the group with key k and state s.
//	func (s *ActionCountsState) Result(k *ActionCountsKey) ActionCountsResult {
//		res := ActionCountsResult{
//			Action:      k.Action,
//			WindowStart: k.WindowStart,
//			WindowEnd:   k.WindowEnd(),
//			Count:       s.count,
//			Latest:      s.latest,
//		}
//		return res
//	}
func stateResult(a *plan.Aggregation) jen.Code {
	var vals []jen.Code
	for _, k := range a.Keys {
		vals = append(vals, jen.Id(k.Field.GoName).Op(":").Id("k").Dot(k.Field.GoName))
	}
	switch {
	case windowedKey(a):
		vals = append(vals,
			jen.Id(a.WindowStart.GoName).Op(":").Id("k").Dot(a.WindowStart.GoName),
			jen.Id(a.WindowEnd.GoName).Op(":").Id("k").Dot(a.WindowEnd.GoName).Call())
	case a.IR.Window != nil: // a session: its start is in the key, its end in the state
		vals = append(vals,
			jen.Id(a.WindowStart.GoName).Op(":").Id("k").Dot(a.WindowStart.GoName),
			jen.Id(a.WindowEnd.GoName).Op(":").Id("s").Dot(a.WindowEnd.GoName))
	}
	var after []jen.Code
	nullable := false
	for _, s := range a.Aggs {
		if s.Result.Type.Pointer {
			nullable = true
			after = append(after, nullableResult(s))
			continue
		}
		if s.IR.Func == ir.AggAvg {
			after = append(after, jen.If(jen.Id("s").Dot(s.Aux).Op(">").Lit(0)).Block(
				jen.Id("res").Dot(s.Result.GoName).Op("=").Id("s").Dot(s.Value).Op("/").Float64().Call(jen.Id("s").Dot(s.Aux)),
			))
			continue
		}
		vals = append(vals, jen.Id(s.Result.GoName).Op(":").Add(aggResult(s)))
	}
	body := []jen.Code{jen.Id("res").Op(":=").Id(a.Result.GoName).Values(multiline(vals)...)}
	body = append(body, after...)
	body = append(body, jen.Return(jen.Id("res")))
	text := "Result returns the result row of the group with key k and state s."
	if nullable {
		text += " As in Spark, a sum, avg, min, max, first or last whose field had no non-null value in the group's rows is null (nil); counts are never null (0)."
	}
	text = wrap(text)
	return jen.Add(doc(text)).Line().Func().Params(jen.Id("s").Op("*").Id(a.State)).Id("Result").
		Params(jen.Id("k").Op("*").Id(a.Key)).Id(a.Result.GoName).Block(body...)
}

// multiline puts each composite-literal element on its own line.
func multiline(vals []jen.Code) []jen.Code {
	if len(vals) == 0 {
		return nil
	}
	out := []jen.Code{jen.Line()}
	for _, v := range vals {
		out = append(out, jen.Add(v).Op(",").Line())
	}
	return []jen.Code{jen.Add(out...)}
}

// setFuncs names the streamimpl functions encoding and decoding the set
// of count_distinct over t: AppendStringSet, ReadStringSet[EventAction].
func setFuncs(t *plan.Type) (appendFn string, read *jen.Statement) {
	switch t.Kind {
	case plan.GoString:
		return "AppendStringSet", jen.Qual(streamimplPath, "ReadStringSet").Index(jen.String())
	case plan.GoEnum:
		return "AppendStringSet", jen.Qual(streamimplPath, "ReadStringSet").Index(jen.Id(t.Name))
	case plan.GoInt32:
		return "AppendIntSet", jen.Qual(streamimplPath, "ReadInt32Set").Index(jen.Int32())
	case plan.GoDate:
		return "AppendIntSet", jen.Qual(streamimplPath, "ReadInt32Set").Index(jen.Qual(deltaPath, "DateValue"))
	case plan.GoInt64:
		return "AppendIntSet", jen.Qual(streamimplPath, "ReadInt64Set").Index(jen.Int64())
	case plan.GoFloat64:
		return "AppendFloatSet", jen.Qual(streamimplPath, "ReadFloatSet")
	case plan.GoBool:
		return "AppendBoolSet", jen.Qual(streamimplPath, "ReadBoolSet")
	case plan.GoTime:
		return "AppendTimeSet", jen.Qual(streamimplPath, "ReadTimeSet")
	}
	panic("emit: no set encoding for " + t.String())
}

// stateFieldKinds are the Go types of an aggregate's state fields, for
// encoding: sum and count fields are varints, float sums floats.
func sumIsFloat(s *plan.AggState) bool {
	return s.IR.Func == ir.AggAvg || (s.IR.Func == ir.AggSum && s.In.Type.Kind == plan.GoFloat64)
}

// stateAppendBinary emits the state's encoding:
//
//	func (s *ActionCountsState) AppendBinary(b []byte) []byte {
//		b = append(b, ActionCountsStateVersion)
//		b = streamimpl.AppendVarint(b, s.count)
//		b = streamimpl.AppendBool(b, s.latestHas)
//		if s.latestHas {
//			b = streamimpl.AppendTime(b, s.latest)
//		}
//		return b
//	}
func stateAppendBinary(a *plan.Aggregation) jen.Code {
	sf := func(n string) *jen.Statement { return jen.Id("s").Dot(n) }
	body := []jen.Code{jen.Id("b").Op("=").Append(jen.Id("b"), jen.Id(a.Version))}
	hasValue := func(flag string, vals ...jen.Code) []jen.Code {
		return []jen.Code{
			jen.Id("b").Op("=").Qual(streamimplPath, "AppendBool").Call(jen.Id("b"), sf(flag)),
			jen.If(sf(flag)).Block(vals...),
		}
	}
	if a.SessionSet != "" {
		body = append(body, hasValue(a.SessionSet,
			appendValue(a.WindowEnd.Type, sf(a.WindowEnd.GoName)))...)
	}
	for _, s := range a.Aggs {
		switch s.IR.Func {
		case ir.AggCount:
			body = append(body, appendValue(&plan.Type{Kind: plan.GoInt64}, sf(s.Value)))
		case ir.AggSum:
			kind := plan.GoInt64
			if sumIsFloat(s) {
				kind = plan.GoFloat64
			}
			if s.Aux != "" {
				body = append(body, hasValue(s.Aux, appendValue(&plan.Type{Kind: kind}, sf(s.Value)))...)
				break
			}
			body = append(body, appendValue(&plan.Type{Kind: kind}, sf(s.Value)))
		case ir.AggAvg:
			body = append(body, appendValue(&plan.Type{Kind: plan.GoFloat64}, sf(s.Value)), appendValue(&plan.Type{Kind: plan.GoInt64}, sf(s.Aux)))
		case ir.AggMin, ir.AggMax, ir.AggFirst, ir.AggLast:
			body = append(body, hasValue(s.Aux, appendValue(valueType(s.In.Type), sf(s.Value)))...)
		case ir.AggCountDistinct:
			fn, _ := setFuncs(valueType(s.In.Type))
			body = append(body, jen.Id("b").Op("=").Qual(streamimplPath, fn).Call(jen.Id("b"), sf(s.Value)))
		case ir.AggApproxCountDistinct:
			body = append(body, jen.Id("b").Op("=").Qual(streamimplPath, "AppendHLL").Call(jen.Id("b"), jen.Op("&").Add(sf(s.Value))))
		}
	}
	body = append(body, jen.Return(jen.Id("b")))
	text := wrap(fmt.Sprintf("AppendBinary appends the binary encoding of s to b and returns the extended slice. It starts with %s; sets are written sorted, so equal states built from the same rows encode equally (a sketch's encoding depends on its history).", a.Version))
	return jen.Add(doc(text)).Line().Func().Params(jen.Id("s").Op("*").Id(a.State)).Id("AppendBinary").
		Params(jen.Id("b").Index().Byte()).Index().Byte().Block(body...)
}

// stateUnmarshalBinary emits the state's decoding:
//
//	func (s *ActionCountsState) UnmarshalBinary(b []byte) error {
//		d := streamimpl.NewBinaryReader(b, "ActionCountsState")
//		d.Version(ActionCountsStateVersion)
//		var t ActionCountsState
//		t.count = d.Varint()
//		if t.latestHas = d.Bool(); t.latestHas {
//			t.latest = d.Time()
//		}
//		if err := d.End(); err != nil {
//			return err
//		}
//		*s = t
//		return nil
//	}
func stateUnmarshalBinary(a *plan.Aggregation) jen.Code {
	tf := func(n string) *jen.Statement { return jen.Id("t").Dot(n) }
	body := []jen.Code{
		jen.Id("d").Op(":=").Qual(streamimplPath, "NewBinaryReader").Call(jen.Id("b"), jen.Lit(a.State)),
		jen.Id("d").Dot("Version").Call(jen.Id(a.Version)),
		jen.Var().Id("t").Id(a.State),
	}
	hasValue := func(flag string, vals ...jen.Code) jen.Code {
		return jen.If(tf(flag).Op("=").Id("d").Dot("Bool").Call(), tf(flag)).Block(vals...)
	}
	if a.SessionSet != "" {
		body = append(body, hasValue(a.SessionSet,
			tf(a.WindowEnd.GoName).Op("=").Add(readValue(a.WindowEnd.Type))))
	}
	for _, s := range a.Aggs {
		switch s.IR.Func {
		case ir.AggCount:
			body = append(body, tf(s.Value).Op("=").Id("d").Dot("Varint").Call())
		case ir.AggSum:
			read := jen.Id("d").Dot("Varint").Call()
			if sumIsFloat(s) {
				read = jen.Id("d").Dot("Float64").Call()
			}
			if s.Aux != "" {
				body = append(body, hasValue(s.Aux, tf(s.Value).Op("=").Add(read)))
				break
			}
			body = append(body, tf(s.Value).Op("=").Add(read))
		case ir.AggAvg:
			body = append(body, tf(s.Value).Op("=").Id("d").Dot("Float64").Call(), tf(s.Aux).Op("=").Id("d").Dot("Varint").Call())
		case ir.AggMin, ir.AggMax, ir.AggFirst, ir.AggLast:
			t := valueType(s.In.Type)
			body = append(body, hasValue(s.Aux, append([]jen.Code{tf(s.Value).Op("=").Add(readValue(t))}, checkEnum(t, tf(s.Value))...)...))
		case ir.AggCountDistinct:
			_, read := setFuncs(valueType(s.In.Type))
			body = append(body, tf(s.Value).Op("=").Add(read).Call(jen.Op("&").Id("d")))
		case ir.AggApproxCountDistinct:
			body = append(body, jen.Qual(streamimplPath, "ReadHLL").Call(jen.Op("&").Id("d"), jen.Op("&").Add(tf(s.Value))))
		}
	}
	body = append(body, decodeTail("s")...)
	text := wrap(fmt.Sprintf("UnmarshalBinary sets s from an encoding made by AppendBinary. An encoding of another version than %s (a newer or older streamgen), and truncated or malformed input, are a *streamimpl.BinaryError, and s is left unchanged.", a.Version))
	return jen.Add(doc(text)).Line().Func().Params(jen.Id("s").Op("*").Id(a.State)).Id("UnmarshalBinary").
		Params(jen.Id("b").Index().Byte()).Error().Block(body...)
}

// goSize approximates the in-memory size of a value of type t (on 64-bit
// platforms, padding to 8 bytes).
func goSize(t *plan.Type) int {
	if t.Pointer {
		return 8
	}
	switch t.Kind {
	case plan.GoString, plan.GoEnum:
		return 16
	case plan.GoTime:
		return 24
	}
	return 8
}

// stateSizeBytes emits SizeBytes:
//
//	// SizeBytes approximates the memory s holds, for progress reports.
//	func (s *ActionCountsState) SizeBytes() int {
//		n := 40
//		return n
//	}
func stateSizeBytes(a *plan.Aggregation) jen.Code {
	static := 0
	var dyn []jen.Code
	n := jen.Id("n")
	if a.SessionSet != "" {
		static += 24 + 8
	}
	for _, s := range a.Aggs {
		x := jen.Id("s").Dot(s.Value)
		switch s.IR.Func {
		case ir.AggCount:
			static += 8
		case ir.AggSum:
			static += 8
			if s.Aux != "" {
				static += 8
			}
		case ir.AggAvg:
			static += 16
		case ir.AggMin, ir.AggMax, ir.AggFirst, ir.AggLast:
			t := valueType(s.In.Type)
			static += goSize(t) + 8
			if t.Kind == plan.GoString {
				dyn = append(dyn, n.Clone().Op("+=").Len(x))
			}
		case ir.AggCountDistinct:
			static += 8
			t := valueType(s.In.Type)
			dyn = append(dyn, n.Clone().Op("+=").Qual(streamimplPath, "SetSizeBytes").Call(jen.Len(x.Clone()), jen.Lit(goSize(t))))
			if t.Kind == plan.GoString {
				dyn = append(dyn, jen.For(jen.Id("v").Op(":=").Range().Add(x.Clone())).Block(n.Clone().Op("+=").Len(jen.Id("v"))))
			}
		case ir.AggApproxCountDistinct:
			dyn = append(dyn, n.Clone().Op("+=").Add(x).Dot("SizeBytes").Call())
		}
	}
	body := []jen.Code{jen.Id("n").Op(":=").Lit(static)}
	body = append(body, dyn...)
	body = append(body, jen.Return(jen.Id("n")))
	return jen.Comment("SizeBytes approximates the memory s holds, for progress reports").Line().
		Comment("(stateOperators.memoryUsedBytes).").Line().
		Func().Params(jen.Id("s").Op("*").Id(a.State)).Id("SizeBytes").Params().Int().Block(body...)
}
