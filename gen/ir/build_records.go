package ir

import (
	"fmt"
	"math"
	"math/big"
	"path"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/streamgen/streamgen/gen/diag"
	"github.com/streamgen/streamgen/gen/load"
)

// BuildRecords turns loaded JSON Schema files (load.LoadSchemas) into
// records, checking that every schema stays inside the subset streamgen
// supports and collecting every problem:
//
//   - the top-level object of each root file is a record, named by its
//     "title", else by the file name in PascalCase (sensor_reading.json →
//     SensorReading);
//   - an object schema reached through "$ref" is a record named by its
//     "title", else its $defs key ("location" → Location);
//   - a nested inline object is a record named by its "title", else
//     Parent+Field (Event.location → EventLocation);
//   - a "$ref" to a non-object schema (a shared enum, say) stands for that
//     type.
//
// Only records reachable from a root file's top-level record are
// returned, sorted by Name; the $defs of root files are checked even when
// unused. Two records with the same name are an error at both. The
// diagnostics include the files' metaschema violations (load.MetaError)
// where no more specific message covers the same place.
func BuildRecords(files []*load.SchemaFile) ([]*Record, diag.List) {
	b := &recordBuilder{
		files:  map[string]*load.SchemaFile{},
		memo:   map[nodeKey]*Record{},
		active: map[nodeKey]bool{},
		mine:   map[string][]string{},
		names:  map[*Record]namedAt{},
	}
	sorted := append([]*load.SchemaFile(nil), files...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	for _, f := range sorted {
		b.files[f.Name] = f
	}
	var roots []*Record
	for _, f := range sorted {
		if f.Doc == nil || !f.Root {
			continue
		}
		if r := b.top(f); r != nil {
			roots = append(roots, r)
		}
		for _, kw := range []string{"$defs", "definitions"} {
			defs := f.Doc.Get(kw)
			if defs == nil {
				continue
			}
			if defs.Kind != load.JSONObject {
				b.errorf(f, defs.Pointer, defs.Pos, "", "%s must be an object mapping names to schemas", kw)
				continue
			}
			for _, d := range defs.Members {
				b.schema(f, d)
			}
		}
	}

	records := reachable(roots)
	b.checkNames(records)
	for _, f := range sorted {
		if f.Doc == nil {
			continue
		}
		for _, e := range f.MetaErrors {
			if !b.covered(f.Name, e.Pointer) {
				b.diags.Add(f.Pos(e.Pointer), load.PointerPath(e.Pointer), "%s", e.Msg)
			}
		}
	}
	if len(b.diags) == 0 {
		b.diags.Append(load.CompileSchemas(sorted))
	}
	b.diags.Sort()
	return records, b.diags
}

type nodeKey struct{ file, ptr string }

// namedAt is where a record's name comes from, for duplicate-name errors.
type namedAt struct {
	f   *load.SchemaFile
	ptr string
	pos diag.Pos
}

type recordBuilder struct {
	files  map[string]*load.SchemaFile // by Name
	memo   map[nodeKey]*Record         // object schema → its record
	active map[nodeKey]bool            // schemas being built (cycle check)
	mine   map[string][]string         // file Name → pointers of reported problems
	names  map[*Record]namedAt
	diags  diag.List
}

func (b *recordBuilder) errorf(f *load.SchemaFile, ptr string, pos diag.Pos, hint, format string, args ...any) {
	b.mine[f.Name] = append(b.mine[f.Name], ptr)
	b.diags.AddHint(pos, load.PointerPath(ptr), hint, format, args...)
}

// covered reports whether a problem was already reported at ptr, inside
// it or around it (not counting the document itself around it).
func (b *recordBuilder) covered(file, ptr string) bool {
	within := func(outer, inner string) bool {
		return outer != "" && strings.HasPrefix(inner, outer+"/")
	}
	for _, p := range b.mine[file] {
		if p == ptr || within(p, ptr) || within(ptr, p) {
			return true
		}
	}
	return false
}

// The keywords streamgen reads.
var (
	// annotation keywords are accepted anywhere and only documented.
	schemaAnnotations = []string{"title", "description", "$comment", "examples", "default"}
	// schemaTopOnly keywords are accepted only at the top of a file.
	schemaTopOnly = []string{"$schema", "$id", "$defs", "definitions"}
	// schemaTyped keywords apply to one type each.
	schemaTyped = map[string]string{
		"properties":            "object",
		"required":              "object",
		"additionalProperties":  "object",
		"items":                 "array",
		"format":                "string",
		"enum":                  "string",
		"minimum":               "integer",
		"maximum":               "integer",
		"exclusiveMinimum":      "integer",
		"exclusiveMaximum":      "integer",
		"x-streamgen-timestamp": "integer",
	}
	schemaKnown []string // every supported keyword, for hints

	// schemaValidation keywords are JSON Schema assertions streamgen does
	// not enforce.
	schemaValidation = []string{
		"minLength", "maxLength", "pattern", "minItems", "maxItems", "uniqueItems", "multipleOf",
		"const", "minProperties", "maxProperties", "contains", "minContains", "maxContains",
		"patternProperties", "propertyNames", "dependentRequired", "dependentSchemas", "dependencies",
		"unevaluatedProperties", "unevaluatedItems", "prefixItems", "additionalItems",
		"allOf", "oneOf", "not", "if", "then", "else",
		"contentEncoding", "contentMediaType", "contentSchema",
	}
	// schemaOther keywords are JSON Schema keywords outside the subset.
	schemaOther = []string{
		"$anchor", "$dynamicRef", "$dynamicAnchor", "$recursiveRef", "$recursiveAnchor", "$vocabulary",
		"readOnly", "writeOnly", "deprecated",
	}

	schemaTypes   = []string{"array", "boolean", "integer", "null", "number", "object", "string"}
	schemaFormats = map[string]Type{
		"date-time": &Timestamp{Unit: RFC3339},
		"date":      &Date{},
		"uuid":      &Scalar{Kind: UUID},
		// annotation-only formats: plain strings, not checked
		"email":    &Scalar{Kind: String},
		"uri":      &Scalar{Kind: String},
		"hostname": &Scalar{Kind: String},
		"ipv4":     &Scalar{Kind: String},
		"ipv6":     &Scalar{Kind: String},
	}
	schemaTimestampUnits = []string{string(EpochSeconds), string(EpochMillis)}
)

func init() {
	schemaKnown = append(append(append(schemaKnown, schemaAnnotations...), schemaTopOnly...), "type", "$ref", "anyOf")
	for k := range schemaTyped {
		schemaKnown = append(schemaKnown, k)
	}
	sort.Strings(schemaKnown)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// checkKeywords reports every keyword of the schema object n that is
// unknown, unsupported or misplaced.
func (b *recordBuilder) checkKeywords(f *load.SchemaFile, n *load.SchemaNode) (clean bool) {
	before := len(b.diags)
	defer func() { clean = len(b.diags) == before }()
	for _, m := range n.Members {
		k := m.Key
		switch {
		case contains(schemaAnnotations, k):
			if (k == "title" || k == "description") && m.Kind != load.JSONString {
				b.errorf(f, m.Pointer, m.Pos, "", "%s must be a string", k)
			}
		case contains(schemaTopOnly, k):
			if n.Pointer != "" {
				b.errorf(f, m.Pointer, m.KeyPos, "", "keyword %q is supported only at the top level of a file", k)
			}
		case k == "type" || k == "$ref" || k == "anyOf" || schemaTyped[k] != "":
			// checked where the type is known
		case contains(schemaValidation, k):
			hint := ""
			switch k {
			case "const":
				hint = `for a fixed string use "enum" with one value`
			case "oneOf":
				hint = `for a nullable value use "anyOf": [{...}, {"type": "null"}] or "type": ["T", "null"]`
			}
			b.errorf(f, m.Pointer, m.KeyPos, hint, "keyword %q is not supported (streamgen validates types, required fields and enums only)", k)
		case contains(schemaOther, k):
			b.errorf(f, m.Pointer, m.KeyPos, "", "keyword %q is not supported", k)
		default:
			hint := diag.DidYouMean(k, schemaKnown)
			if hint == "" && strings.HasPrefix(k, "x-") {
				hint = "the only extension keyword streamgen reads is x-streamgen-timestamp"
			}
			b.errorf(f, m.Pointer, m.KeyPos, hint, "unknown keyword %q", k)
		}
	}
	return true
}

// top builds the record of a root file's top-level schema.
func (b *recordBuilder) top(f *load.SchemaFile) *Record {
	d := f.Doc
	const want = `the top-level schema must be an object schema: {"type": "object", "properties": {...}}`
	if d.Kind != load.JSONObject {
		b.errorf(f, "", d.Pos, "", "%s", want)
		return nil
	}
	for _, kw := range []string{"$ref", "anyOf"} {
		if m := d.Get(kw); m != nil {
			b.checkKeywords(f, d)
			b.errorf(f, m.Pointer, m.KeyPos, "", "%s at the top level is not supported: %s", kw, want)
			return nil
		}
	}
	if t := d.Get("type"); t != nil && !(t.Kind == load.JSONString && t.Str == "object") {
		b.checkKeywords(f, d)
		b.errorf(f, t.Pointer, t.Pos, "", "%s", want)
		return nil
	}
	typ, _, ok := b.schema(f, d)
	if !ok {
		return nil
	}
	ref, isRef := typ.(*Ref)
	if !isRef {
		return nil
	}
	return ref.Record
}

// schema builds the type of the schema n. nullable reports whether it
// admits null; ok is false when it has an error (reported).
func (b *recordBuilder) schema(f *load.SchemaFile, n *load.SchemaNode) (t Type, nullable, ok bool) {
	switch n.Kind {
	case load.JSONObject:
	case load.JSONBool:
		if n.Bool {
			b.errorf(f, n.Pointer, n.Pos, "", `a schema that accepts any value is not supported: give it a "type"`)
		} else {
			b.errorf(f, n.Pointer, n.Pos, "", "a schema that accepts no value (false) is not supported")
		}
		return nil, false, false
	default:
		b.errorf(f, n.Pointer, n.Pos, "", "a schema must be an object, not a %s", n.Kind)
		return nil, false, false
	}
	key := nodeKey{f.Name, n.Pointer}
	b.active[key] = true
	defer delete(b.active, key)

	clean := b.checkKeywords(f, n)
	if ref := n.Get("$ref"); ref != nil {
		b.onlyAnnotations(f, n, "$ref")
		return b.ref(f, ref)
	}
	if any := n.Get("anyOf"); any != nil {
		b.onlyAnnotations(f, n, "anyOf")
		return b.anyOf(f, any)
	}

	typeNode := n.Get("type")
	if typeNode == nil {
		if enum := n.Get("enum"); enum != nil {
			b.applies(f, n, "string")
			t, hasNull, ok := b.enum(f, enum)
			return t, hasNull, ok
		}
		if !clean {
			// An unsupported keyword (oneOf, const, ...) meant to give the
			// type: that error says enough.
			return nil, false, false
		}
		hint := `give it a "type": string, integer, number, boolean, array or object`
		if n.Get("properties") != nil {
			hint = `add "type": "object"`
		}
		b.errorf(f, n.Pointer, n.At(), hint, `missing "type"`)
		return nil, false, false
	}

	kind, nullable, ok := b.typeKeyword(f, typeNode)
	if !ok {
		return nil, false, false
	}
	ok = b.applies(f, n, kind)
	switch kind {
	case "object":
		r, rok := b.object(f, n)
		if r == nil {
			return nil, false, false
		}
		return &Ref{Record: r, Name: r.Name}, nullable, ok && rok
	case "array":
		items := n.Get("items")
		if items == nil {
			b.errorf(f, n.Pointer, n.At(), `add "items": {...}, the schema of every element`, `an array needs "items"`)
			return nil, false, false
		}
		if items.Kind == load.JSONArray {
			b.errorf(f, items.Pointer, items.KeyPos, "", `tuple "items" (an array of schemas) is not supported: give one schema for every element`)
			return nil, false, false
		}
		elem, elemNull, eok := b.schema(f, items)
		if !eok {
			return nil, false, false
		}
		return &List{Elem: elem, ElemNullable: elemNull}, nullable, ok
	case "string":
		enum, format := n.Get("enum"), n.Get("format")
		if enum != nil {
			if format != nil {
				b.errorf(f, format.Pointer, format.KeyPos, "", `"format" cannot be combined with "enum"`)
				ok = false
			}
			t, hasNull, eok := b.enum(f, enum)
			if !eok {
				return nil, false, false
			}
			switch {
			case nullable && !hasNull:
				b.errorf(f, enum.Pointer, enum.KeyPos, `add null to "enum", or remove "null" from "type"`,
					`the type admits null but "enum" does not list null, so null would be rejected`)
				ok = false
			case hasNull && !nullable:
				b.errorf(f, enum.Pointer, enum.KeyPos, `add "null" to "type", or remove null from "enum"`,
					`"enum" lists null but the type does not admit null`)
				ok = false
			}
			return t, nullable, ok
		}
		if format != nil {
			t, fok := b.format(f, format)
			return t, nullable, ok && fok
		}
		return &Scalar{Kind: String}, nullable, ok
	case "integer":
		if ts := n.Get("x-streamgen-timestamp"); ts != nil {
			for _, kw := range []string{"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"} {
				if m := n.Get(kw); m != nil {
					b.errorf(f, m.Pointer, m.KeyPos, "", "keyword %q cannot be combined with x-streamgen-timestamp", kw)
					ok = false
				}
			}
			if ts.Kind != load.JSONString || !contains(schemaTimestampUnits, ts.Str) {
				hint := ""
				if ts.Kind == load.JSONString {
					hint = diag.DidYouMean(ts.Str, schemaTimestampUnits)
				}
				b.errorf(f, ts.Pointer, ts.Pos, hint, `x-streamgen-timestamp must be "epoch-seconds" or "epoch-millis"`)
				return nil, false, false
			}
			return &Timestamp{Unit: TimeUnit(ts.Str)}, nullable, ok
		}
		s, iok := b.integer(f, n)
		return s, nullable, ok && iok
	case "number":
		return &Scalar{Kind: Float64}, nullable, ok
	case "boolean":
		return &Scalar{Kind: Bool}, nullable, ok
	}
	return nil, false, false
}

// typeKeyword reads "type": one type name, or [T, "null"].
func (b *recordBuilder) typeKeyword(f *load.SchemaFile, t *load.SchemaNode) (kind string, nullable, ok bool) {
	var names []*load.SchemaNode
	switch t.Kind {
	case load.JSONString:
		names = []*load.SchemaNode{t}
	case load.JSONArray:
		names = t.Elems
	default:
		b.errorf(f, t.Pointer, t.Pos, "", `"type" must be a type name or an array of type names`)
		return "", false, false
	}
	var core []string
	ok = true
	seen := map[string]bool{}
	for _, n := range names {
		if n.Kind != load.JSONString {
			b.errorf(f, n.Pointer, n.Pos, "", "a type name must be a string")
			ok = false
			continue
		}
		if !contains(schemaTypes, n.Str) {
			b.errorf(f, n.Pointer, n.Pos, diag.DidYouMean(n.Str, schemaTypes), "unknown type %q", n.Str)
			ok = false
			continue
		}
		if seen[n.Str] {
			b.errorf(f, n.Pointer, n.Pos, "", "duplicate type %q", n.Str)
			ok = false
			continue
		}
		seen[n.Str] = true
		if n.Str == "null" {
			nullable = true
		} else {
			core = append(core, n.Str)
		}
	}
	if !ok {
		return "", false, false
	}
	switch len(core) {
	case 0:
		b.errorf(f, t.Pointer, t.Pos, "", `a value that is always null is not supported: give a type such as ["string", "null"]`)
		return "", false, false
	case 1:
		return core[0], nullable, true
	}
	b.errorf(f, t.Pointer, t.Pos, `only ["T", "null"] is supported, for a nullable T`, "union types are not supported: %s", strings.Join(core, ", "))
	return "", false, false
}

// applies reports keywords of n that do not apply to a value of kind.
func (b *recordBuilder) applies(f *load.SchemaFile, n *load.SchemaNode, kind string) bool {
	ok := true
	for _, m := range n.Members {
		want := schemaTyped[m.Key]
		if want == "" || want == kind {
			continue
		}
		ok = false
		switch {
		case m.Key == "enum":
			b.errorf(f, m.Pointer, m.KeyPos, "", "enum is supported only on strings (non-string enums are not supported)")
		case want == "integer" && m.Key == "x-streamgen-timestamp":
			b.errorf(f, m.Pointer, m.KeyPos, `for RFC 3339 strings use "type": "string", "format": "date-time"`, "x-streamgen-timestamp applies only to integers")
		case want == "integer" && kind == "number":
			b.errorf(f, m.Pointer, m.KeyPos, "", "keyword %q is supported only on integers, where it chooses int32 or int64 (streamgen does not check bounds of numbers)", m.Key)
		case m.Key == "format" && kind == "integer":
			b.errorf(f, m.Pointer, m.KeyPos, `for epoch seconds or milliseconds use "x-streamgen-timestamp": "epoch-seconds" or "epoch-millis"`, "format applies only to strings")
		case m.Key == "format":
			b.errorf(f, m.Pointer, m.KeyPos, "", "format applies only to strings")
		default:
			b.errorf(f, m.Pointer, m.KeyPos, "", "keyword %q does not apply to type %q", m.Key, kind)
		}
	}
	return ok
}

// onlyAnnotations reports the keywords of n beside kw ($ref or anyOf)
// that are not annotations.
func (b *recordBuilder) onlyAnnotations(f *load.SchemaFile, n *load.SchemaNode, kw string) {
	for _, m := range n.Members {
		if m.Key == kw || contains(schemaAnnotations, m.Key) || contains(schemaTopOnly, m.Key) {
			continue
		}
		if m.Key != "type" && schemaTyped[m.Key] == "" && m.Key != "$ref" && m.Key != "anyOf" {
			continue // reported by checkKeywords
		}
		b.errorf(f, m.Pointer, m.KeyPos, "", "keyword %q cannot be combined with %s", m.Key, kw)
	}
}

// ref resolves a "$ref" and builds the type it names.
func (b *recordBuilder) ref(f *load.SchemaFile, ref *load.SchemaNode) (Type, bool, bool) {
	if ref.Kind != load.JSONString {
		b.errorf(f, ref.Pointer, ref.Pos, "", "$ref must be a string")
		return nil, false, false
	}
	t, err := load.ResolveRef(f, ref.Str)
	if err != nil {
		b.errorf(f, ref.Pointer, ref.Pos, "", "%v", err)
		return nil, false, false
	}
	g := b.files[t.Name]
	switch {
	case g == nil:
		b.errorf(f, ref.Pointer, ref.Pos, "", "$ref %q: schema file %s is not loaded", ref.Str, t.Path)
		return nil, false, false
	case g.LoadErr != nil:
		b.errorf(f, ref.Pointer, ref.Pos, "", "$ref %q: cannot read %s: %v", ref.Str, g.Path, g.LoadErr)
		return nil, false, false
	case g.Doc == nil:
		return nil, false, false // its syntax error is reported in g
	}
	target := g.Node(t.Pointer)
	if target == nil {
		b.errorf(f, ref.Pointer, ref.Pos, refHint(g, t.Pointer, ref.Str), "$ref %q: %s has nothing at %q", ref.Str, g.Path, t.Pointer)
		return nil, false, false
	}
	if !isSchemaPointer(t.Pointer) {
		b.errorf(f, ref.Pointer, ref.Pos, "", "$ref %q does not point at a schema", ref.Str)
		return nil, false, false
	}
	if b.active[nodeKey{g.Name, t.Pointer}] {
		b.errorf(f, ref.Pointer, ref.Pos, "", "recursive $ref %q is not supported: the schema contains itself", ref.Str)
		return nil, false, false
	}
	return b.schema(g, target)
}

// refHint suggests a sibling of a missing $ref target.
func refHint(g *load.SchemaFile, ptr, ref string) string {
	i := strings.LastIndexByte(ptr, '/')
	if i < 0 {
		return ""
	}
	parent := g.Node(ptr[:i])
	if parent == nil || parent.Kind != load.JSONObject {
		return ""
	}
	var names []string
	for _, m := range parent.Members {
		names = append(names, m.Key)
	}
	h := diag.DidYouMean(load.SplitPointer(ptr)[len(load.SplitPointer(ptr))-1], names)
	if h == "" {
		return ""
	}
	name, _ := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(h, "did you mean "), "?"))
	base := ref[:strings.IndexByte(ref, '#')+1]
	return fmt.Sprintf("did you mean %q?", base+load.JoinPointer(ptr[:i], name))
}

// isSchemaPointer reports whether a JSON Pointer names a schema position:
// the document, a member of a keyword mapping names to schemas, or a
// keyword holding a schema.
func isSchemaPointer(ptr string) bool {
	segs := load.SplitPointer(ptr)
	for i := 0; i < len(segs); i++ {
		switch segs[i] {
		case "properties", "$defs", "definitions":
			i++ // the name
		case "items", "additionalProperties":
		case "anyOf":
			i++ // the index
		default:
			return false
		}
	}
	return true
}

// anyOf reads [schema, {"type": "null"}] in either order.
func (b *recordBuilder) anyOf(f *load.SchemaFile, any *load.SchemaNode) (Type, bool, bool) {
	if any.Kind == load.JSONArray && len(any.Elems) == 2 {
		for i, e := range any.Elems {
			if isNullSchema(e) {
				t, _, ok := b.schema(f, any.Elems[1-i])
				return t, true, ok
			}
		}
	}
	b.errorf(f, any.Pointer, any.KeyPos, `"anyOf" is supported only as [{...}, {"type": "null"}], for a nullable value`, "this anyOf is not supported")
	return nil, false, false
}

func isNullSchema(n *load.SchemaNode) bool {
	if n.Kind != load.JSONObject {
		return false
	}
	t := n.Get("type")
	if t == nil || t.Kind != load.JSONString || t.Str != "null" {
		return false
	}
	for _, m := range n.Members {
		if m.Key != "type" && !contains(schemaAnnotations, m.Key) {
			return false
		}
	}
	return true
}

// enum reads a string enum; null among the values makes it nullable.
func (b *recordBuilder) enum(f *load.SchemaFile, enum *load.SchemaNode) (t Type, hasNull, ok bool) {
	if enum.Kind != load.JSONArray {
		b.errorf(f, enum.Pointer, enum.Pos, "", `"enum" must be an array of strings`)
		return nil, false, false
	}
	e := &Enum{}
	ok = true
	seen := map[string]bool{}
	for _, v := range enum.Elems {
		switch v.Kind {
		case load.JSONString:
			if seen[v.Str] {
				b.errorf(f, v.Pointer, v.Pos, "", "duplicate enum value %q", v.Str)
				ok = false
			}
			seen[v.Str] = true
			e.Values = append(e.Values, v.Str)
		case load.JSONNull:
			hasNull = true
		default:
			b.errorf(f, v.Pointer, v.Pos, "", "enum value %s is not a string: only string enums are supported", jsonText(v))
			ok = false
		}
	}
	if ok && len(e.Values) == 0 {
		b.errorf(f, enum.Pointer, enum.KeyPos, "", `"enum" must list at least one string`)
		ok = false
	}
	if !ok {
		return nil, false, false
	}
	return e, hasNull, true
}

// jsonText shows a scalar as written, and names the kind of anything else.
func jsonText(n *load.SchemaNode) string {
	switch n.Kind {
	case load.JSONNumber:
		return n.Str
	case load.JSONBool:
		return strconv.FormatBool(n.Bool)
	}
	return "(" + n.Kind.String() + ")"
}

// format reads a string format.
func (b *recordBuilder) format(f *load.SchemaFile, n *load.SchemaNode) (Type, bool) {
	if n.Kind != load.JSONString {
		b.errorf(f, n.Pointer, n.Pos, "", `"format" must be a string`)
		return nil, false
	}
	if t, ok := schemaFormats[n.Str]; ok {
		return cloneType(t), true
	}
	names := make([]string, 0, len(schemaFormats))
	for k := range schemaFormats {
		names = append(names, k)
	}
	sort.Strings(names)
	hint := diag.DidYouMean(n.Str, names)
	if hint == "" {
		hint = "supported formats: date-time, date, uuid; and, as plain strings, email, uri, hostname, ipv4, ipv6"
	}
	b.errorf(f, n.Pointer, n.Pos, hint, "unsupported format %q", n.Str)
	return nil, false
}

func cloneType(t Type) Type {
	switch t := t.(type) {
	case *Scalar:
		c := *t
		return &c
	case *Timestamp:
		c := *t
		return &c
	case *Date:
		return &Date{}
	}
	return t
}

// integer reads an integer's bounds: both present and within 32 bits
// make it Int32.
func (b *recordBuilder) integer(f *load.SchemaFile, n *load.SchemaNode) (*Scalar, bool) {
	var lo, hi *big.Int
	ok := true
	for _, kw := range []string{"minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"} {
		m := n.Get(kw)
		if m == nil {
			continue
		}
		if m.Kind != load.JSONNumber {
			b.errorf(f, m.Pointer, m.Pos, "", "%s must be a number", kw)
			ok = false
			continue
		}
		v := integerBound(m.Str, kw)
		switch kw {
		case "minimum", "exclusiveMinimum":
			if lo == nil || v.Cmp(lo) > 0 {
				lo = v
			}
		default:
			if hi == nil || v.Cmp(hi) < 0 {
				hi = v
			}
		}
	}
	if !ok {
		return nil, false
	}
	minI64, maxI64 := big.NewInt(math.MinInt64), big.NewInt(math.MaxInt64)
	if lo != nil && hi != nil && lo.Cmp(hi) > 0 || lo != nil && lo.Cmp(maxI64) > 0 || hi != nil && hi.Cmp(minI64) < 0 {
		at := n.Get("maximum")
		if at == nil {
			at = n.Get("exclusiveMaximum")
		}
		if at == nil {
			at = n.Get("minimum")
		}
		if at == nil {
			at = n.Get("exclusiveMinimum")
		}
		b.errorf(f, at.Pointer, at.KeyPos, "", "no 64-bit integer satisfies these bounds")
		return nil, false
	}
	s := &Scalar{Kind: Int64}
	if lo != nil && lo.Cmp(minI64) > 0 {
		v := lo.Int64()
		s.Min = &v
	}
	if hi != nil && hi.Cmp(maxI64) < 0 {
		v := hi.Int64()
		s.Max = &v
	}
	if lo != nil && hi != nil && lo.Cmp(big.NewInt(math.MinInt32)) >= 0 && hi.Cmp(big.NewInt(math.MaxInt32)) <= 0 {
		s.Kind = Int32
	}
	return s, true
}

// integerBound converts a JSON number used as keyword kw to the inclusive
// integer bound it means, exactly. A number beyond ±2^64 stands for
// ±2^64: outside the int64 range on the same side, which is all callers
// need to know.
func integerBound(lit, kw string) *big.Int {
	limit := new(big.Int).Lsh(big.NewInt(1), 64)
	fv, _ := strconv.ParseFloat(lit, 64)
	switch {
	case fv >= 1<<64:
		return limit
	case fv <= -(1 << 64):
		return limit.Neg(limit)
	}
	// |lit| < 2^64 (give or take float64 rounding): exact as a rational
	// when written without an exponent; else through a 1024-bit float,
	// exact for any mantissa a schema plausibly holds, and fast whatever
	// the exponent.
	var r *big.Rat
	if len(lit) <= 1000 && !strings.ContainsAny(lit, "eE") {
		r, _ = new(big.Rat).SetString(lit)
	}
	if r == nil {
		r = new(big.Rat)
		if f, _, err := big.ParseFloat(lit, 10, 1024, big.ToNearestEven); err == nil && !f.IsInf() {
			f.Rat(r)
		}
		if r.Sign() == 0 && strings.ContainsAny(strings.SplitN(strings.ToLower(lit), "e", 2)[0], "123456789") {
			// A nonzero value too small for the float: its sign is
			// all that matters.
			r.SetFrac(big.NewInt(1), limit)
			if strings.HasPrefix(lit, "-") {
				r.Neg(r)
			}
		}
	}
	floor := new(big.Int).Quo(r.Num(), r.Denom()) // truncates toward zero
	if r.Sign() < 0 && !r.IsInt() {
		floor.Sub(floor, big.NewInt(1))
	}
	ceil := new(big.Int).Set(floor)
	if !r.IsInt() {
		ceil.Add(ceil, big.NewInt(1))
	}
	switch kw {
	case "minimum":
		return ceil
	case "exclusiveMinimum":
		return floor.Add(floor, big.NewInt(1))
	case "maximum":
		return floor
	default: // exclusiveMaximum
		return ceil.Sub(ceil, big.NewInt(1))
	}
}

// object builds (once) the record of an object schema.
func (b *recordBuilder) object(f *load.SchemaFile, n *load.SchemaNode) (*Record, bool) {
	key := nodeKey{f.Name, n.Pointer}
	if r := b.memo[key]; r != nil {
		return r, true
	}
	name, at := b.recordName(f, n)
	id := f.Path
	if f.ID != "" {
		id = f.ID
	}
	r := &Record{Name: name, ID: id + "#" + n.Pointer, Source: f.Path, Pos: n.At(), Fields: []*Field{}}
	if d := n.Get("description"); d != nil && d.Kind == load.JSONString {
		r.Doc = d.Str
	}
	b.memo[key] = r
	b.names[r] = at
	ok := true

	props := n.Get("properties")
	switch {
	case props == nil:
		b.errorf(f, n.Pointer, n.At(), `list the fields under "properties"`, `an object without "properties" is not supported (maps are not supported yet)`)
		ok = false
	case props.Kind != load.JSONObject:
		b.errorf(f, props.Pointer, props.Pos, "", `"properties" must be an object mapping names to schemas`)
		ok = false
	case len(props.Members) == 0:
		b.errorf(f, props.Pointer, props.KeyPos, "", "an object needs at least one property")
		ok = false
	default:
		for _, p := range props.Members {
			t, nullable, pok := b.schema(f, p)
			if !pok {
				ok = false
				continue
			}
			r.Fields = append(r.Fields, &Field{Name: p.Key, Doc: fieldDoc(p), Type: t, Nullable: nullable, Pos: p.KeyPos})
		}
	}

	if req := n.Get("required"); req != nil {
		if req.Kind != load.JSONArray {
			b.errorf(f, req.Pointer, req.Pos, "", `"required" must be an array of property names`)
			ok = false
		} else {
			var names []string
			if props != nil {
				for _, p := range props.Members {
					names = append(names, p.Key)
				}
			}
			seen := map[string]bool{}
			for _, e := range req.Elems {
				switch {
				case e.Kind != load.JSONString:
					b.errorf(f, e.Pointer, e.Pos, "", "a required property name must be a string")
					ok = false
				case seen[e.Str]:
					b.errorf(f, e.Pointer, e.Pos, "", "duplicate required property %q", e.Str)
					ok = false
				case !contains(names, e.Str):
					b.errorf(f, e.Pointer, e.Pos, diag.DidYouMean(e.Str, names), "required property %q is not defined in \"properties\"", e.Str)
					ok = false
				default:
					if fl := r.Field(e.Str); fl != nil {
						fl.Required = true
					}
				}
				if e.Kind == load.JSONString {
					seen[e.Str] = true
				}
			}
		}
	}

	if ap := n.Get("additionalProperties"); ap != nil {
		switch ap.Kind {
		case load.JSONBool:
			r.Closed = !ap.Bool
		case load.JSONObject:
			b.errorf(f, ap.Pointer, ap.Pos, "", "maps are not supported yet: additionalProperties must be true or false")
			ok = false
		default:
			b.errorf(f, ap.Pointer, ap.Pos, "", "additionalProperties must be true or false")
			ok = false
		}
	}
	return r, ok
}

// fieldDoc is a property's description; for a nullable anyOf without
// one, the description of its non-null alternative.
func fieldDoc(p *load.SchemaNode) string {
	if d := p.Get("description"); d != nil && d.Kind == load.JSONString {
		return d.Str
	}
	if any := p.Get("anyOf"); any != nil {
		for _, e := range any.Elems {
			if d := e.Get("description"); d != nil && d.Kind == load.JSONString && !isNullSchema(e) {
				return d.Str
			}
		}
	}
	return ""
}

// recordName names the record of the object schema n, a function of its
// place only (so the name does not depend on which $ref reaches it
// first): its title, else the file name (document), the $defs key, or
// Parent+Field (a property, or the elements of an array property).
func (b *recordBuilder) recordName(f *load.SchemaFile, n *load.SchemaNode) (string, namedAt) {
	if t := n.Get("title"); t != nil && t.Kind == load.JSONString && pascal(t.Str) != "" {
		return pascal(t.Str), namedAt{f, t.Pointer, t.Pos}
	}
	at := namedAt{f, n.Pointer, n.At()}
	segs := load.SplitPointer(n.Pointer)
	parentOf := func(k int) *load.SchemaNode { // the node k segments up
		p := n.Pointer
		for ; k > 0; k-- {
			p = p[:strings.LastIndexByte(p, '/')]
		}
		return f.Node(p)
	}
	l := len(segs)
	switch {
	case l == 0:
		base := strings.TrimSuffix(path.Base(f.Name), path.Ext(f.Name))
		base = strings.TrimSuffix(base, ".schema")
		if name := pascal(base); name != "" {
			return name, at
		}
		return "Record", at
	case l >= 2 && segs[l-2] == "properties":
		parent, _ := b.recordName(f, parentOf(2))
		return parent + pascal(segs[l-1]), at
	case l >= 1 && (segs[l-1] == "items" || segs[l-1] == "additionalProperties"):
		name, _ := b.recordName(f, parentOf(1))
		return name, at
	case l >= 2 && segs[l-2] == "anyOf":
		name, _ := b.recordName(f, parentOf(2))
		return name, at
	}
	if name := pascal(segs[l-1]); name != "" {
		return name, at
	}
	return "Record", at
}

// pascal joins the words of s (split at anything not a letter or digit)
// with their first letters upper-cased: "device_status" → DeviceStatus,
// "sensorReading" → SensorReading.
func pascal(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			up = true
			continue
		}
		if up {
			r = unicode.ToUpper(r)
			up = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// reachable returns the records reachable from roots, sorted by name.
func reachable(roots []*Record) []*Record {
	seen := map[*Record]bool{}
	var out []*Record
	var visit func(r *Record)
	var visitType func(t Type)
	visitType = func(t Type) {
		switch t := t.(type) {
		case *Ref:
			visit(t.Record)
		case *List:
			visitType(t.Elem)
		}
	}
	visit = func(r *Record) {
		if seen[r] {
			return
		}
		seen[r] = true
		out = append(out, r)
		for _, fl := range r.Fields {
			visitType(fl.Type)
		}
	}
	for _, r := range roots {
		visit(r)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// checkNames reports records sharing a name, at each of them.
func (b *recordBuilder) checkNames(records []*Record) {
	for i := 0; i < len(records); {
		j := i + 1
		for j < len(records) && records[j].Name == records[i].Name {
			j++
		}
		if j-i > 1 {
			for k := i; k < j; k++ {
				var others []string
				for o := i; o < j; o++ {
					if o != k {
						others = append(others, b.names[records[o]].pos.String())
					}
				}
				at := b.names[records[k]]
				b.errorf(at.f, at.ptr, at.pos, `give one of them a different "title"`, "record name %q is also used at %s", records[k].Name, strings.Join(others, ", "))
			}
		}
		i = j
	}
}
