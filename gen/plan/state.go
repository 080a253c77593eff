package plan

import (
	"fmt"
	"strings"

	"github.com/streamgen/streamgen/gen/internal/naming"
	"github.com/streamgen/streamgen/gen/ir"
)

// KindState is the file of a pipeline's aggregation key and state types:
// <pipeline>_state.go (see Aggregation).
const KindState FileKind = "state"

// Aggregation is the Go shape of a pipeline's groupBy: the typed key and
// accumulator the state store holds. For pipeline P ("ActionCounts"):
//
//   - <P>Key: the grouping keys (the input fields' Go types) and, for
//     a window, WindowStart: for tumbling and sliding windows the key's
//     WindowEnd method adds the window's size (the end is not stored, to
//     keep the state small); for a session window the start is the
//     session's, and its end (WindowEnd) lives in the state, since Add
//     extends it;
//   - <P>KeyOf(r) (<P>Key, bool), or <P>KeysOf(dst, r) []<P>Key for
//     sliding windows: the group(s) of an input row;
//   - <P>State: one accumulator per aggregate, in unexported fields named
//     after the result field (StateField), with Add, Merge, Result, the
//     binary encodings and SizeBytes;
//   - <P>StateVersion: the version of the key and state encodings.
type Aggregation struct {
	IR *ir.Aggregation
	// Key and State are the type names; KeyRecv and StateRecv their
	// receivers ("k", "s").
	Key, KeyRecv     string
	State, StateRecv string
	// KeyOf is <P>KeyOf, or <P>KeysOf for sliding windows.
	KeyOf string
	// Version names the encoding version constant (<P>StateVersion).
	Version string
	// Input is the row type the aggregation reads.
	Input *Input
	// Result is the planned result record Result returns.
	Result *Record
	// Keys are the grouping keys, in spec order.
	Keys []*AggKey
	// WindowStart and WindowEnd are the result's window fields, and
	// WindowColumn the input's event-time field, when windowed.
	WindowStart, WindowEnd *Field
	WindowColumn           *InputField
	// SessionSet names the state's unexported flag saying that its
	// session end (the state's exported WindowEnd field) is set; ""
	// unless the window is a session window.
	SessionSet string
	// Aggs are the aggregates, in spec order.
	Aggs []*AggState
}

// Input is the Go type of the rows an aggregation reads: a generated
// record, or a user type (a map step's result).
type Input struct {
	// Name is the type's name; PkgPath is its package for a user type
	// ("" for a generated record).
	Name, PkgPath string
	// Fields are the fields the aggregation may read, in record order.
	Fields []*InputField
}

// Field returns the input field with JSON name name, or nil.
func (in *Input) Field(name string) *InputField {
	for _, f := range in.Fields {
		if f.IR.Name == name {
			return f
		}
	}
	return nil
}

// InputField is one field of an aggregation's input row.
type InputField struct {
	IR *ir.Field
	// GoName is the struct field.
	GoName string
	// Type is the field's Go type as the aggregation uses it (its
	// Pointer says whether the struct field is a pointer).
	Type *Type
	// Convert is true when the struct field's type may differ from Type
	// and the value must be converted (a user type's int field read as
	// int64).
	Convert bool
}

// AggKey is one grouping key.
type AggKey struct {
	In *InputField
	// Field is the result field of the key: the key struct's field has
	// its GoName and Type.
	Field *Field
}

// AggState is one aggregate's accumulator.
type AggState struct {
	IR *ir.Agg
	// In is the aggregated input field (nil for count()).
	In *InputField
	// Result is the result field it fills.
	Result *Field
	// Value is the unexported state field holding the accumulator: the
	// count, the sum (the float sum for avg), the value
	// (min/max/first/last), the set (count_distinct) or the sketch
	// (approx_count_distinct).
	Value string
	// Aux is the second state field: the has-a-value flag of
	// min/max/first/last and of a sum whose result is nullable (its
	// field can be null), the count of avg; "" for the others.
	Aux string
}

// planAggregation plans the key and state types of p's aggregation and
// claims their names and file. It runs after every record is planned.
func (b *builder) planAggregation(p *Plan) {
	pl := p.Pipeline
	if pl == nil || pl.Aggregation == nil || pl.Aggregation.In == nil || pl.Aggregation.Result == nil {
		return
	}
	ia := pl.Aggregation
	res := b.records[ia.Result]
	if res == nil || b.collided[res] {
		return
	}
	internal := func(format string, args ...any) {
		b.diags.Add(ia.Pos, "", "streamgen: internal error: "+format, args...)
	}
	in := b.aggInput(pl, ia.In)
	if in == nil {
		internal("the input record %s of the aggregation is not planned", ia.In.Name)
		return
	}
	prefix := naming.Pascal(pl.Name)
	a := &Aggregation{
		IR:      ia,
		Key:     prefix + "Key",
		State:   prefix + "State",
		KeyOf:   prefix + "KeyOf",
		Version: prefix + "StateVersion",
		Input:   in,
		Result:  res,
	}
	if ia.Window != nil && ia.Window.Kind == ir.Sliding {
		a.KeyOf = prefix + "KeysOf"
	}
	// Fixed receivers: the emitted methods' locals are chosen not to
	// clash with them.
	a.KeyRecv, a.StateRecv = "k", "s"
	resField := func(name string) *Field {
		for _, f := range res.Fields {
			if f.IR.Name == name {
				return f
			}
		}
		return nil
	}
	for i, k := range ia.Keys {
		f, rf := in.Field(k), resField(k)
		if f == nil || rf == nil {
			internal("grouping key %q is not planned", k)
			return
		}
		a.Keys = append(a.Keys, &AggKey{In: f, Field: rf})
		if keyMethods[rf.GoName] {
			b.diags.AddHint(ia.Pos, fmt.Sprintf("steps[%d].groupBy.keys[%d]", ia.Step, i), fmt.Sprintf("rename it with a select step ({column: %s, as: …}) before the groupBy", k),
				"grouping key %q becomes the field %s.%s, which is also the name of one of its methods", k, a.Key, rf.GoName)
		}
	}
	if w := ia.Window; w != nil {
		a.WindowStart, a.WindowEnd = resField(ir.WindowStartField), resField(ir.WindowEndField)
		a.WindowColumn = in.Field(w.Column)
		if a.WindowStart == nil || a.WindowEnd == nil || a.WindowColumn == nil {
			internal("the window of the aggregation is not planned")
			return
		}
	}
	used := map[string]bool{}
	if ia.Window != nil && ia.Window.Kind == ir.Session {
		a.SessionSet = "sessionSet"
		used[a.SessionSet] = true
	}
	for i, ag := range ia.Aggs {
		s := &AggState{IR: ag, Result: resField(ag.As)}
		if s.Result == nil {
			internal("aggregate %q is not planned", ag.As)
			return
		}
		if ag.Field != "" {
			if s.In = in.Field(ag.Field); s.In == nil {
				internal("aggregated field %q is not planned", ag.Field)
				return
			}
		}
		var suffixes []string
		switch ag.Func {
		case ir.AggMin, ir.AggMax, ir.AggFirst, ir.AggLast:
			suffixes = []string{"", "Has"}
		case ir.AggSum:
			suffixes = []string{""}
			if s.Result.Pointer {
				suffixes = append(suffixes, "Has")
			}
		case ir.AggAvg:
			suffixes = []string{"Sum", "N"}
		default:
			suffixes = []string{""}
		}
		// Field names from the result field, unless one is taken (agg
		// "x_has" next to max "x"): then from the aggregate's index.
		base := naming.Camel(s.Result.GoName)
		for n := 0; ; n++ {
			free := true
			for _, sfx := range suffixes {
				if used[base+sfx] {
					free = false
				}
			}
			if free {
				break
			}
			base = fmt.Sprintf("agg%d", i)
			if n > 0 {
				base = fmt.Sprintf("agg%d_%d", i, n)
			}
		}
		for _, sfx := range suffixes {
			used[base+sfx] = true
		}
		s.Value = base + suffixes[0]
		if len(suffixes) > 1 {
			s.Aux = base + suffixes[1]
		}
		a.Aggs = append(a.Aggs, s)
	}

	o := owner{what: "the aggregation of pipeline " + pl.Name, pos: ia.Pos}
	ok := b.claim(a.Key, o)
	ok = b.claim(a.KeyOf, o) && ok
	ok = b.claim(a.State, o) && ok
	ok = b.claim(a.Version, o) && ok
	file := fileBase(prefix) + "_state.go"
	if !ok || !b.claimFile(file, o) {
		return
	}
	p.Aggregation = a
	p.Files = append(p.Files, &File{Path: file, Kind: KindState, Source: pl.Spec, Pipeline: pl})
}

// keyMethods are the methods of an aggregation's key type, which no key
// field may be named.
var keyMethods = map[string]bool{"AppendBinary": true, "UnmarshalBinary": true}

// aggInput plans the row type an aggregation reads: a planned record, or
// the user type of the map step producing rec.
func (b *builder) aggInput(pl *ir.Pipeline, rec *ir.Record) *Input {
	if pr := b.records[rec]; pr != nil {
		in := &Input{Name: pr.GoName}
		for _, f := range pr.Fields {
			in.Fields = append(in.Fields, &InputField{IR: f.IR, GoName: f.GoName, Type: f.Type})
		}
		return in
	}
	if !strings.HasPrefix(rec.ID, "go:") {
		return nil
	}
	for _, st := range pl.Steps {
		mp, ok := st.(*ir.Map)
		if !ok || mp.Out != rec || len(mp.OutFields) != len(rec.Fields) {
			continue
		}
		in := &Input{Name: mp.OutType.Name, PkgPath: mp.OutType.PkgPath}
		scratch := &Record{IR: rec, GoName: mp.OutType.Name}
		for i, f := range rec.Fields {
			_, isList := f.Type.(*ir.List)
			pf := &Field{IR: f, GoName: mp.OutFields[i], Pointer: f.Nullable && !isList}
			pf.Type = b.goType(scratch, pf, f.Type, pf.Pointer)
			// A user field typed int is read as int64.
			in.Fields = append(in.Fields, &InputField{IR: f, GoName: pf.GoName, Type: pf.Type, Convert: pf.Type.Kind == GoInt64})
		}
		return in
	}
	return nil
}
