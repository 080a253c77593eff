package load

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/streamgen/streamgen/gen/diag"
)

// The JSON Schema dialects streamgen reads. A file picks one with
// "$schema"; without it, Draft2020 applies.
const (
	Draft2020 = "2020-12"
	Draft07   = "draft-07"
)

// SchemaFile is one loaded JSON Schema file: its raw bytes, the path it
// is printed as, and its syntax tree, in which every node keeps its JSON
// Pointer and the positions of its key and value, and object members
// keep file order (JSON libraries lose both; the tree is built by a token
// pass over Src).
type SchemaFile struct {
	// Name is the file's slash-separated path in the fs.FS it was read
	// from; $refs are resolved relative to it.
	Name string
	// Path is the file's path as printed in diagnostics and recorded as a
	// record's source: relative, slash-separated.
	Path string
	// Src is the file's content.
	Src []byte
	// Root is true when the file was asked for (its top-level object is a
	// record), false when it was loaded only because a $ref names it.
	Root bool
	// Draft is Draft2020 or Draft07, from "$schema".
	Draft string
	// ID is the root "$id", if any.
	ID string
	// Doc is the syntax tree. It is nil when the file could not be read
	// or is not valid JSON (LoadErr, or a diagnostic already reported).
	Doc *SchemaNode
	// LoadErr is set when a file named by a $ref could not be read. It is
	// reported by ir.BuildRecords at each $ref that names the file, so
	// the message points at the reference.
	LoadErr error
	// MetaErrors are the file's violations of its draft's metaschema, as
	// found by github.com/santhosh-tekuri/jsonschema. They are reported
	// by ir.BuildRecords, which prefers its own, more specific message
	// where it reports a problem at the same place.
	MetaErrors []MetaError

	nodes map[string]*SchemaNode // by JSON Pointer
	lines []int                  // byte offset of the start of each line
}

// MetaError is one metaschema violation at a JSON Pointer of the file.
type MetaError struct {
	Pointer string
	Msg     string
}

// SchemaKind is the JSON kind of a SchemaNode.
type SchemaKind uint8

// The JSON kinds.
const (
	JSONNull SchemaKind = iota
	JSONBool
	JSONNumber
	JSONString
	JSONArray
	JSONObject
)

var schemaKindNames = [...]string{"null", "boolean", "number", "string", "array", "object"}

func (k SchemaKind) String() string {
	if int(k) < len(schemaKindNames) {
		return schemaKindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// SchemaNode is one JSON value of a schema file.
type SchemaNode struct {
	Kind SchemaKind
	// Pointer is the node's JSON Pointer ("" for the document,
	// "/properties/time/format").
	Pointer string
	// Key is the member name when the node is an object member.
	Key string
	// KeyPos is the position of the member name's opening quote; it is
	// not valid for the document and for array elements.
	KeyPos diag.Pos
	// Pos is the position of the value's first byte.
	Pos diag.Pos
	// Str is a string's value, or a number's literal text ("1e3").
	Str string
	// Bool is a boolean's value.
	Bool bool
	// Members are an object's members in file order.
	Members []*SchemaNode
	// Elems are an array's elements.
	Elems []*SchemaNode
}

// Get returns the object member named key, or nil (also when n is nil or
// not an object).
func (n *SchemaNode) Get(key string) *SchemaNode {
	if n == nil {
		return nil
	}
	for _, m := range n.Members {
		if m.Key == key {
			return m
		}
	}
	return nil
}

// At returns the position diagnostics about the node itself use: its key
// for an object member, its value otherwise.
func (n *SchemaNode) At() diag.Pos {
	if n.KeyPos.IsValid() {
		return n.KeyPos
	}
	return n.Pos
}

// Value returns the node as a plain Go value of encoding/json's kinds,
// with numbers as json.Number.
func (n *SchemaNode) Value() any {
	switch n.Kind {
	case JSONBool:
		return n.Bool
	case JSONNumber:
		return json.Number(n.Str)
	case JSONString:
		return n.Str
	case JSONArray:
		out := make([]any, len(n.Elems))
		for i, e := range n.Elems {
			out[i] = e.Value()
		}
		return out
	case JSONObject:
		out := make(map[string]any, len(n.Members))
		for _, m := range n.Members {
			out[m.Key] = m.Value()
		}
		return out
	}
	return nil
}

// Node returns the node at a JSON Pointer, or nil.
func (f *SchemaFile) Node(pointer string) *SchemaNode { return f.nodes[pointer] }

// Pos returns the position of the node at pointer: its key when it is
// an object member, else its value. For a pointer that names no node it
// returns the position of the nearest existing ancestor, and the start of
// the file at worst.
func (f *SchemaFile) Pos(pointer string) diag.Pos {
	for {
		if n := f.nodes[pointer]; n != nil {
			return n.At()
		}
		if pointer == "" {
			return diag.Pos{File: f.Path, Line: 1, Col: 1}
		}
		pointer = pointer[:strings.LastIndexByte(pointer, '/')]
	}
}

// ValuePos returns the position of the value at pointer (see Pos for
// pointers that name no node).
func (f *SchemaFile) ValuePos(pointer string) diag.Pos {
	if n := f.nodes[pointer]; n != nil {
		return n.Pos
	}
	return f.Pos(pointer)
}

// PosAt converts a byte offset of Src to a position.
func (f *SchemaFile) PosAt(off int) diag.Pos {
	line := sort.Search(len(f.lines), func(i int) bool { return f.lines[i] > off }) - 1
	if line < 0 {
		line = 0
	}
	return diag.Pos{File: f.Path, Line: line + 1, Col: off - f.lines[line] + 1}
}

// PointerPath converts a JSON Pointer to the dotted path diagnostics
// print: "/properties/time/format" → "properties.time.format",
// "/required/0" → "required[0]" (digits after an array-valued keyword
// are indexes), and a key that is not a plain name is quoted:
// `properties["a.b"]`.
func PointerPath(pointer string) string {
	if pointer == "" {
		return ""
	}
	var b strings.Builder
	segs := SplitPointer(pointer)
	for i, s := range segs {
		if i > 0 && schemaIndexSeg(s) && schemaArrayKeyword(segs[i-1], i >= 2 && schemaMapKeyword(segs[i-2])) {
			b.WriteString("[" + s + "]")
			continue
		}
		if schemaPlainKey(s) {
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s)
			continue
		}
		b.WriteString("[" + strconv.Quote(s) + "]")
	}
	return b.String()
}

// schemaArrayKeyword reports whether the keyword k (not itself a map key) holds
// an array in a schema.
func schemaArrayKeyword(k string, isMapKey bool) bool {
	if isMapKey {
		return false
	}
	switch k {
	case "required", "enum", "type", "anyOf", "oneOf", "allOf", "items", "prefixItems", "examples":
		return true
	}
	return false
}

// schemaMapKeyword reports whether keyword k maps names to subschemas, so the
// segment after it is a name, not a keyword.
func schemaMapKeyword(k string) bool {
	switch k {
	case "properties", "$defs", "definitions", "patternProperties", "dependentSchemas", "dependencies":
		return true
	}
	return false
}

func schemaIndexSeg(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func schemaPlainKey(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '$' || c == '-') {
			return false
		}
	}
	return true
}

// SplitPointer splits a JSON Pointer into unescaped segments.
func SplitPointer(pointer string) []string {
	if pointer == "" {
		return nil
	}
	segs := strings.Split(strings.TrimPrefix(pointer, "/"), "/")
	for i, s := range segs {
		segs[i] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
	}
	return segs
}

// JoinPointer appends a key or index to a JSON Pointer, escaping it.
func JoinPointer(pointer, key string) string {
	return pointer + "/" + strings.ReplaceAll(strings.ReplaceAll(key, "~", "~0"), "/", "~1")
}

// ParseSchema parses one schema file. The diagnostics are syntax errors
// (then the file's Doc is nil), duplicate keys and an unsupported
// "$schema". Metaschema violations are kept in MetaErrors (see there).
// Root is set.
func ParseSchema(name, display string, src []byte) (*SchemaFile, diag.List) {
	f := &SchemaFile{Name: name, Path: display, Src: src, Root: true, Draft: Draft2020}
	f.lines = append(f.lines, 0)
	for i, c := range src {
		if c == '\n' {
			f.lines = append(f.lines, i+1)
		}
	}
	var diags diag.List
	if err := schemaSyntax(src); err != nil {
		diags.Add(f.PosAt(err.off), "", "%s", err.msg)
		return f, diags
	}
	s := &schemaScanner{f: f, src: src}
	f.nodes = map[string]*SchemaNode{}
	f.Doc = s.value("", "", diag.Pos{})
	diags.Append(s.diags)

	if n := f.Doc.Get("$schema"); n != nil && n.Kind == JSONString {
		switch draft := schemaDraft(n.Str); draft {
		case "":
			diags.AddHint(n.Pos, "$schema", `use "https://json-schema.org/draft/2020-12/schema" (the default) or "http://json-schema.org/draft-07/schema#"`,
				"unsupported $schema %q: streamgen reads JSON Schema draft 2020-12 and draft-07", n.Str)
		default:
			f.Draft = draft
		}
	}
	if n := f.Doc.Get("$id"); n != nil && n.Kind == JSONString {
		f.ID = n.Str
	}
	f.MetaErrors = schemaValidateMeta(f)
	return f, diags
}

// schemaDraft maps a "$schema" URI to a supported draft, or "".
func schemaDraft(uri string) string {
	u := strings.TrimSuffix(uri, "#")
	u = strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")
	switch u {
	case "json-schema.org/draft/2020-12/schema":
		return Draft2020
	case "json-schema.org/draft-07/schema":
		return Draft07
	}
	return ""
}

// LoadSchema reads the file name from fsys and parses it (see
// ParseSchema); display is the path printed in diagnostics.
func LoadSchema(fsys fs.FS, name, display string) (*SchemaFile, diag.List) {
	src, err := fs.ReadFile(fsys, name)
	if err != nil {
		var diags diag.List
		diags.Add(diag.Pos{File: display}, "", "cannot read schema: %v", schemaPathErr(err))
		return nil, diags
	}
	return ParseSchema(name, display, src)
}

func schemaPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// SchemaSource names a schema file to load: Name in the fs.FS, Display as
// printed (empty means Name).
type SchemaSource struct {
	Name    string
	Display string
}

// LoadSchemas loads the schema files roots (Root set) and, transitively,
// every file their $refs name, each once, resolving a relative reference
// against the referring file's Name (its display path likewise). The
// files come back sorted by Path. A referenced file that cannot be read
// is returned with LoadErr set and reported at the $ref by
// ir.BuildRecords; $refs that cannot be followed at all (remote URLs,
// anchors) are reported there too. The diagnostics here are about the
// files themselves: unreadable roots, syntax errors, an unsupported
// "$schema".
func LoadSchemas(fsys fs.FS, roots []SchemaSource) ([]*SchemaFile, diag.List) {
	var diags diag.List
	byName := map[string]*SchemaFile{}
	var queue []*SchemaFile
	for _, r := range roots {
		name := path.Clean(r.Name)
		display := r.Display
		if display == "" {
			display = name
		}
		if f := byName[name]; f != nil {
			continue
		}
		f, ds := LoadSchema(fsys, name, display)
		diags.Append(ds)
		if f == nil {
			continue
		}
		byName[name] = f
		queue = append(queue, f)
	}
	for len(queue) > 0 {
		f := queue[0]
		queue = queue[1:]
		for _, ref := range f.Refs() {
			t, err := ResolveRef(f, ref.Str)
			if err != nil || t.Name == f.Name || byName[t.Name] != nil {
				continue
			}
			src, err := fs.ReadFile(fsys, t.Name)
			if err != nil {
				byName[t.Name] = &SchemaFile{Name: t.Name, Path: t.Path, LoadErr: schemaPathErr(err)}
				continue
			}
			g, ds := ParseSchema(t.Name, t.Path, src)
			g.Root = false
			diags.Append(ds)
			byName[t.Name] = g
			queue = append(queue, g)
		}
	}
	files := make([]*SchemaFile, 0, len(byName))
	for _, f := range byName {
		files = append(files, f)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, diags
}

// Refs returns the "$ref" members of the file's schemas (not of data
// such as "examples"), in file order.
func (f *SchemaFile) Refs() []*SchemaNode {
	var out []*SchemaNode
	var walk func(n *SchemaNode)
	walk = func(n *SchemaNode) {
		if n == nil || n.Kind != JSONObject {
			return
		}
		for _, m := range n.Members {
			switch m.Key {
			case "$ref":
				if m.Kind == JSONString {
					out = append(out, m)
				}
			case "properties", "$defs", "definitions", "patternProperties", "dependentSchemas":
				if m.Kind == JSONObject {
					for _, s := range m.Members {
						walk(s)
					}
				}
			case "items", "anyOf", "oneOf", "allOf", "prefixItems":
				if m.Kind == JSONArray {
					for _, s := range m.Elems {
						walk(s)
					}
				} else {
					walk(m)
				}
			case "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames",
				"unevaluatedProperties", "unevaluatedItems", "additionalItems", "contentSchema":
				walk(m)
			}
		}
	}
	walk(f.Doc)
	return out
}

// RefTarget is where a "$ref" points: a file and a JSON Pointer in it.
type RefTarget struct {
	// Name is the file's path in the fs.FS, Path its display path.
	Name, Path string
	// Pointer is the JSON Pointer inside the file ("" for the whole
	// document).
	Pointer string
}

// ResolveRef resolves ref, the value of a "$ref" in f. Supported are
// references within the file ("#/$defs/Location") and to files relative to
// it ("common.json#/$defs/Location", "location.json"); remote URLs,
// absolute paths, anchors and paths leaving the loaded tree are errors.
func ResolveRef(f *SchemaFile, ref string) (RefTarget, error) {
	u, err := url.Parse(ref)
	if err != nil {
		return RefTarget{}, fmt.Errorf("invalid $ref %q: not a URI reference", ref)
	}
	if u.Scheme != "" || u.Host != "" || strings.HasPrefix(ref, "//") {
		return RefTarget{}, fmt.Errorf("remote $ref %q is not supported: streamgen reads schemas only from files (use a path relative to this file, such as \"common.json#/$defs/Location\")", ref)
	}
	if u.RawQuery != "" || u.ForceQuery {
		return RefTarget{}, fmt.Errorf("invalid $ref %q: a query is not supported", ref)
	}
	if strings.HasPrefix(u.Path, "/") {
		return RefTarget{}, fmt.Errorf("$ref %q: absolute paths are not supported (use a path relative to this file)", ref)
	}
	frag := u.Fragment
	if frag != "" && !strings.HasPrefix(frag, "/") {
		return RefTarget{}, fmt.Errorf("$ref %q: anchors are not supported (use a JSON Pointer such as \"#/$defs/%s\")", ref, frag)
	}
	if err := schemaCheckPointer(frag); err != nil {
		return RefTarget{}, fmt.Errorf("invalid $ref %q: %v", ref, err)
	}
	t := RefTarget{Name: f.Name, Path: f.Path, Pointer: frag}
	if u.Path != "" {
		t.Name = path.Join(path.Dir(f.Name), u.Path)
		t.Path = path.Join(path.Dir(f.Path), u.Path)
		if !fs.ValidPath(t.Name) {
			return RefTarget{}, fmt.Errorf("$ref %q: %s is outside the directory tree schemas are loaded from", ref, t.Path)
		}
	}
	return t, nil
}

func schemaCheckPointer(p string) error {
	for i := 0; i < len(p); i++ {
		if p[i] == '~' && (i+1 == len(p) || p[i+1] != '0' && p[i+1] != '1') {
			return fmt.Errorf("bad escape in JSON Pointer %q", p)
		}
	}
	return nil
}

// --- syntax check and scanner ---

type schemaSyntaxErr struct {
	off int
	msg string
}

// schemaSyntax checks that src is one JSON value, with encoding/json's
// messages and offsets.
func schemaSyntax(src []byte) *schemaSyntaxErr {
	if len(bytes.TrimSpace(src)) == 0 {
		return &schemaSyntaxErr{0, "empty file: a schema must be a JSON object"}
	}
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			off := int(se.Offset) - 1
			if off < 0 {
				off = 0
			}
			if off > len(src) {
				off = len(src)
			}
			return &schemaSyntaxErr{off, "invalid JSON: " + se.Error()}
		case errors.Is(err, io.ErrUnexpectedEOF):
			return &schemaSyntaxErr{len(src), "invalid JSON: unexpected end of file"}
		}
		return &schemaSyntaxErr{0, "invalid JSON: " + err.Error()}
	}
	off := int(dec.InputOffset())
	for off < len(src) && schemaSpace(src[off]) {
		off++
	}
	if off < len(src) {
		return &schemaSyntaxErr{off, "invalid JSON: unexpected data after the top-level value"}
	}
	return nil
}

func schemaSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// schemaScanner builds the syntax tree of JSON already checked by
// schemaSyntax; it still never reads out of bounds.
type schemaScanner struct {
	f     *SchemaFile
	src   []byte
	off   int
	diags diag.List
}

func (s *schemaScanner) ws() {
	for s.off < len(s.src) && schemaSpace(s.src[s.off]) {
		s.off++
	}
}

func (s *schemaScanner) peek() byte {
	if s.off < len(s.src) {
		return s.src[s.off]
	}
	return 0
}

func (s *schemaScanner) value(ptr, key string, keyPos diag.Pos) *SchemaNode {
	s.ws()
	n := &SchemaNode{Pointer: ptr, Key: key, KeyPos: keyPos, Pos: s.f.PosAt(s.off)}
	s.f.nodes[ptr] = n
	switch c := s.peek(); c {
	case '{':
		n.Kind = JSONObject
		s.off++
		seen := map[string]bool{}
		for {
			s.ws()
			if s.peek() != '"' {
				s.off++ // '}' (or, on bad input, anything: stop)
				break
			}
			kpos := s.f.PosAt(s.off)
			k := s.str()
			s.ws()
			s.off++ // ':'
			if seen[k] {
				s.diags.Add(kpos, PointerPath(JoinPointer(ptr, k)), "duplicate key %q", k)
			}
			seen[k] = true
			m := s.value(JoinPointer(ptr, k), k, kpos)
			n.Members = append(n.Members, m)
			s.ws()
			if s.peek() == ',' {
				s.off++
			}
		}
	case '[':
		n.Kind = JSONArray
		s.off++
		for {
			s.ws()
			if c := s.peek(); c == ']' || c == 0 {
				s.off++
				break
			}
			n.Elems = append(n.Elems, s.value(JoinPointer(ptr, strconv.Itoa(len(n.Elems))), "", diag.Pos{}))
			s.ws()
			if s.peek() == ',' {
				s.off++
			}
		}
	case '"':
		n.Kind = JSONString
		n.Str = s.str()
	case 't':
		n.Kind, n.Bool = JSONBool, true
		s.off += 4
	case 'f':
		n.Kind = JSONBool
		s.off += 5
	case 'n':
		n.Kind = JSONNull
		s.off += 4
	default:
		n.Kind = JSONNumber
		start := s.off
		for s.off < len(s.src) && strings.IndexByte("+-.eE0123456789", s.src[s.off]) >= 0 {
			s.off++
		}
		n.Str = string(s.src[start:s.off])
		if start == s.off {
			s.off++ // never loop on bad input
		}
	}
	return n
}

// str scans a string token at s.off and returns its value.
func (s *schemaScanner) str() string {
	start := s.off
	s.off++
	escaped := false
	for s.off < len(s.src) && s.src[s.off] != '"' {
		if s.src[s.off] == '\\' {
			escaped = true
			s.off++
		}
		s.off++
	}
	s.off++
	end := min(s.off, len(s.src))
	raw := s.src[start:end]
	if !escaped && len(raw) >= 2 && utf8.Valid(raw) {
		return string(raw[1 : len(raw)-1])
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return string(raw)
	}
	return v
}
