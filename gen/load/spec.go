package load

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"math"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/streamgen/streamgen/gen/diag"
	"github.com/streamgen/streamgen/gen/spec"
)

// SpecFile is a decoded pipeline spec with the position of every node.
//
// Nodes are named by paths in the document's own terms, the same strings
// diagnostics print: "" is the root, "source.files.path",
// "steps[1].groupBy.keys[0]", "steps[2].aggregate.count" (an aggregate's
// value), "steps[0].select[1]".
type SpecFile struct {
	// Path is the file's path as printed in diagnostics.
	Path string
	// FSPath is the file's path in the fs.FS it was read from; schema
	// paths in the spec are relative to its directory.
	FSPath string
	// Spec is the decoded spec. After errors it holds what could be
	// decoded; it is nil when the file is not valid YAML (or empty).
	Spec *spec.Pipeline
	// Src is the file's content.
	Src []byte

	nodes map[string]node
	bad   map[string]bool
}

// HasError reports whether the loader reported a problem with the value
// at path (later stages skip their own checks of it, so each node gets
// one error).
func (f *SpecFile) HasError(path string) bool { return f.bad[path] }

type node struct {
	key, value diag.Pos
	style      yaml.Style
}

// Has reports whether the document has a node at path.
func (f *SpecFile) Has(path string) bool {
	_, ok := f.nodes[path]
	return ok
}

// Pos returns the position of the value at path, or of its nearest
// ancestor present in the document.
func (f *SpecFile) Pos(path string) diag.Pos {
	for {
		if n, ok := f.nodes[path]; ok {
			return n.value
		}
		if path == "" {
			return diag.Pos{File: f.Path}
		}
		path = parentPath(path)
	}
}

// KeyPos returns the position of the mapping key of path (the item itself
// for a list item), or Pos(path) when there is none.
func (f *SpecFile) KeyPos(path string) diag.Pos {
	if n, ok := f.nodes[path]; ok && n.key.IsValid() {
		return n.key
	}
	return f.Pos(path)
}

// OffsetPos returns the position of the byte at offset in the text of the
// scalar at path (as decoded), accounting for quotes and block scalars.
// Escapes in double-quoted scalars are not accounted for.
func (f *SpecFile) OffsetPos(path string, offset int) diag.Pos {
	n, ok := f.nodes[path]
	if !ok {
		return f.Pos(path)
	}
	p := n.value
	switch n.style {
	case yaml.LiteralStyle, yaml.FoldedStyle:
		// The content starts on the next line, at the block's
		// indentation; map the offset line by line.
		lines := strings.Split(string(f.Src), "\n")
		line := p.Line // 1-based line of the indicator; content on following lines
		indent := -1
		rem := offset
		for l := line; l < len(lines); l++ {
			text := lines[l]
			if strings.TrimSpace(text) == "" {
				rem--
				continue
			}
			if indent < 0 {
				indent = len(text) - len(strings.TrimLeft(text, " "))
			}
			content := len(text) - indent
			if rem <= content {
				return diag.Pos{File: p.File, Line: l + 1, Col: indent + rem + 1}
			}
			rem -= content + 1
		}
		return p
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		p.Col += 1 + offset
	default:
		p.Col += offset
	}
	return p
}

func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// LoadSpec reads the spec file name from fsys and decodes it. display is
// the path printed in diagnostics ("" means name).
func LoadSpec(fsys fs.FS, name, display string) (*SpecFile, diag.List) {
	if display == "" {
		display = name
	}
	src, err := fs.ReadFile(fsys, name)
	if err != nil {
		var l diag.List
		l.Add(diag.Pos{File: display}, "", "cannot read spec: %v", unwrapPathError(err))
		return nil, l
	}
	f, l := ParseSpec(display, src)
	f.FSPath = name
	return f, l
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}

// ParseSpec decodes the YAML spec src. Every problem is reported: YAML
// syntax errors, unknown keys (with a did-you-mean hint), duplicate keys,
// values of the wrong kind, and malformed durations, sizes and times. It
// never panics and always returns a non-nil SpecFile.
func ParseSpec(display string, src []byte) (*SpecFile, diag.List) {
	f := &SpecFile{Path: display, FSPath: display, Spec: new(spec.Pipeline), Src: src, nodes: map[string]node{}, bad: map[string]bool{}}
	d := &specDecoder{f: f}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(src))
	err := dec.Decode(&doc)
	if err != nil && err != io.EOF {
		d.diags.Add(yamlErrorPos(display, err), "", "%s", yamlErrorMsg(err))
		f.Spec = nil
		return f, d.diags
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		d.diags.Add(diag.Pos{File: display, Line: 1, Col: 1}, "", "empty spec")
		f.Spec = nil
		return f, d.diags
	}
	// One pipeline per file: a second document ("---") is an error, not
	// silently ignored.
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == io.EOF:
	case err != nil:
		d.diags.Add(yamlErrorPos(display, err), "", "%s", yamlErrorMsg(err))
	case len(next.Content) > 0 && !(isNull(next.Content[0]) && next.Content[0].Value == ""):
		d.diags.Add(diag.Pos{File: display, Line: next.Content[0].Line, Col: next.Content[0].Column}, "",
			"a spec holds one YAML document (one pipeline); this is a second one: put each pipeline in its own file")
	}
	root := doc.Content[0]
	d.decode(root, reflect.ValueOf(f.Spec).Elem(), "", diag.Pos{})
	return f, d.diags
}

// yamlErrorPos extracts "line N" from a yaml.v3 error message.
func yamlErrorPos(file string, err error) diag.Pos {
	msg := err.Error()
	p := diag.Pos{File: file, Line: 1}
	if i := strings.Index(msg, "line "); i >= 0 {
		rest := msg[i+5:]
		j := 0
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		if n, err := strconv.Atoi(rest[:j]); err == nil && n > 0 {
			p.Line = n
		}
	}
	return p
}

func yamlErrorMsg(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	// "line 3: could not find expected ':'" → "could not find expected ':'"
	if strings.HasPrefix(msg, "line ") {
		if i := strings.Index(msg, ": "); i >= 0 {
			msg = msg[i+2:]
		}
	}
	return "invalid YAML: " + msg
}

type specDecoder struct {
	f     *SpecFile
	diags diag.List
}

func (d *specDecoder) pos(n *yaml.Node) diag.Pos {
	return diag.Pos{File: d.f.Path, Line: n.Line, Col: n.Column}
}

func (d *specDecoder) errorf(n *yaml.Node, path, format string, args ...any) {
	d.f.bad[path] = true
	d.diags.Add(d.pos(n), path, format, args...)
}

var (
	durationType     = reflect.TypeFor[spec.Duration]()
	sizeType         = reflect.TypeFor[spec.Size]()
	timeType         = reflect.TypeFor[spec.Time]()
	versionType      = reflect.TypeFor[spec.Version]()
	kafkaOffsetsType = reflect.TypeFor[spec.KafkaOffsets]()
	selectItemType   = reflect.TypeFor[spec.SelectItem]()
	aggregatesType   = reflect.TypeFor[spec.Aggregates]()
)

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "nothing"
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// decode decodes n into v (addressable) at path; keyPos is the position
// of n's mapping key, if any.
func (d *specDecoder) decode(n *yaml.Node, v reflect.Value, path string, keyPos diag.Pos) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	d.f.nodes[path] = node{key: keyPos, value: d.pos(n), style: n.Style}
	t := v.Type()
	switch t {
	case durationType:
		if s, ok := d.scalar(n, path, "a duration like 10s"); ok {
			dur, err := spec.ParseDuration(s)
			if err != nil {
				d.errorf(n, path, "%v", err)
				return
			}
			v.SetInt(int64(dur))
		}
		return
	case sizeType:
		if s, ok := d.scalar(n, path, "a size like 128MiB"); ok {
			sz, err := spec.ParseSize(s)
			if err != nil {
				d.errorf(n, path, "%v", err)
				return
			}
			v.SetInt(int64(sz))
		}
		return
	case timeType:
		if s, ok := d.scalar(n, path, "a timestamp"); ok {
			if n.Tag == "!!int" {
				ms, err := strconv.ParseInt(s, 10, 64)
				if err != nil {
					d.errorf(n, path, "invalid epoch milliseconds %q", s)
					return
				}
				v.Set(reflect.ValueOf(spec.Time{Time: timeFromMillis(ms)}))
				return
			}
			tm, err := spec.ParseTime(s)
			if err != nil {
				d.errorf(n, path, "%v", err)
				return
			}
			v.Set(reflect.ValueOf(tm))
		}
		return
	case versionType:
		if s, ok := d.scalar(n, path, "a version number or latest"); ok {
			if s == "latest" {
				v.Set(reflect.ValueOf(spec.Version{Latest: true}))
				return
			}
			num, err := strconv.ParseInt(s, 10, 64)
			if err != nil || num < 0 || n.Tag != "!!int" {
				d.errorf(n, path, "invalid version %q (want a version number or latest)", s)
				return
			}
			v.Set(reflect.ValueOf(spec.Version{Number: num}))
		}
		return
	case kafkaOffsetsType:
		d.decodeKafkaOffsets(n, v, path)
		return
	case selectItemType:
		if n.Kind == yaml.ScalarNode && !isNull(n) {
			v.Set(reflect.ValueOf(spec.SelectItem{Column: n.Value}))
			return
		}
		if n.Kind != yaml.MappingNode {
			d.errorf(n, path, "want a field name or a mapping {column, as} or {as, expr}, got %s", kindName(n))
			return
		}
	case aggregatesType:
		d.decodeAggregates(n, v, path)
		return
	}

	switch t.Kind() {
	case reflect.Pointer:
		if isNull(n) {
			return
		}
		e := reflect.New(t.Elem())
		d.decode(n, e.Elem(), path, keyPos)
		v.Set(e)
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.String:
		if s, ok := d.scalar(n, path, "a string"); ok {
			v.SetString(s)
		}
	case reflect.Bool:
		if s, ok := d.scalar(n, path, "true or false"); ok {
			if n.Tag != "!!bool" {
				d.errorf(n, path, "want true or false, got %q", s)
				return
			}
			var b bool
			if err := n.Decode(&b); err != nil {
				d.errorf(n, path, "want true or false, got %q", s)
				return
			}
			v.SetBool(b)
		}
	case reflect.Int, reflect.Int32, reflect.Int64:
		if s, ok := d.scalar(n, path, "an integer"); ok {
			i, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 0, 64)
			if n.Tag != "!!int" || err != nil {
				d.errorf(n, path, "want an integer, got %q", s)
				return
			}
			if v.OverflowInt(i) {
				d.errorf(n, path, "integer %s out of range", s)
				return
			}
			v.SetInt(i)
		}
	case reflect.Slice:
		if isNull(n) {
			return
		}
		if n.Kind != yaml.SequenceNode {
			d.errorf(n, path, "want a list, got %s", kindName(n))
			return
		}
		s := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, c := range n.Content {
			d.decode(c, s.Index(i), fmt.Sprintf("%s[%d]", path, i), diag.Pos{})
		}
		v.Set(s)
	case reflect.Map:
		if isNull(n) {
			return
		}
		if n.Kind != yaml.MappingNode {
			d.errorf(n, path, "want a mapping, got %s", kindName(n))
			return
		}
		m := reflect.MakeMap(t)
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			sub := joinPath(path, k.Value)
			if seen[k.Value] {
				d.errorf(k, sub, "duplicate key %q", k.Value)
				continue
			}
			seen[k.Value] = true
			e := reflect.New(t.Elem()).Elem()
			d.decode(val, e, sub, d.pos(k))
			m.SetMapIndex(reflect.ValueOf(k.Value).Convert(t.Key()), e)
		}
		v.Set(m)
	default:
		panic(fmt.Sprintf("load: spec type %v not supported", t))
	}
}

func timeFromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// scalar returns n's text when n is a non-null scalar, else reports an
// error.
func (d *specDecoder) scalar(n *yaml.Node, path, want string) (string, bool) {
	if n.Kind != yaml.ScalarNode || isNull(n) {
		d.errorf(n, path, "want %s, got %s", want, kindName(n))
		return "", false
	}
	return n.Value, true
}

type structField struct {
	name     string
	index    []int
	required bool
	enum     []string
	minimum  string
	pattern  string
}

// fieldsOf lists the YAML keys of struct type t (json tag names,
// embedded structs inlined) in declaration order.
func fieldsOf(t reflect.Type) []structField {
	var out []structField
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if sf.Anonymous && name == "" {
			for _, sub := range fieldsOf(sf.Type) {
				sub.index = append([]int{i}, sub.index...)
				out = append(out, sub)
			}
			continue
		}
		if name == "-" || !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		f := structField{name: name, index: []int{i}, required: !strings.Contains(tag, "omitempty")}
		// The jsonschema tag's enum, minimum and pattern are checked here
		// too, so the loader and the published schema agree.
		for _, kv := range strings.Split(sf.Tag.Get("jsonschema"), ",") {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "enum":
				f.enum = append(f.enum, v)
			case "minimum":
				f.minimum = v
			case "pattern":
				f.pattern = v
			}
		}
		out = append(out, f)
	}
	return out
}

func (d *specDecoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "want a mapping, got %s", kindName(n))
		return
	}
	fields := fieldsOf(v.Type())
	byName := map[string]structField{}
	names := make([]string, len(fields))
	for i, f := range fields {
		byName[f.name] = f
		names[i] = f.name
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, path, "want a key, got %s", kindName(k))
			continue
		}
		f, ok := byName[k.Value]
		if !ok && k.Tag == "!!merge" {
			d.errorf(k, path, "YAML merge keys (<<) are not supported: write the keys out")
			continue
		}
		if !ok {
			d.diags.AddHint(d.pos(k), path, diag.DidYouMean(k.Value, names), "unknown key %q", k.Value)
			continue
		}
		sub := joinPath(path, k.Value)
		if seen[k.Value] {
			d.errorf(k, sub, "duplicate key %q", k.Value)
			continue
		}
		seen[k.Value] = true
		fv := v.FieldByIndex(f.index)
		d.decode(val, fv, sub, d.pos(k))
		d.validate(f, fv, val, sub)
	}
	for _, f := range fields {
		if f.required && !seen[f.name] {
			d.errorf(n, path, "missing required key %q", f.name)
		}
	}
}

// validate checks a decoded value against its field's enum, minimum and
// pattern.
func (d *specDecoder) validate(f structField, v reflect.Value, n *yaml.Node, path string) {
	switch {
	case len(f.enum) > 0 && v.Kind() == reflect.String && v.String() != "":
		s := v.String()
		if !slices.Contains(f.enum, s) {
			d.f.bad[path] = true
			d.diags.AddHint(d.pos(n), path, diag.DidYouMean(s, f.enum), "invalid %s %q (want %s)", f.name, s, orList(f.enum))
		}
	case f.minimum != "" && v.CanInt():
		min, err := strconv.ParseInt(f.minimum, 10, 64)
		if err == nil && v.Int() < min && n.Tag == "!!int" {
			d.errorf(n, path, "%s must be at least %d, got %d", f.name, min, v.Int())
		}
	case f.pattern != "" && v.Kind() == reflect.String:
		if re, err := regexp.Compile(f.pattern); err == nil && !re.MatchString(v.String()) {
			d.errorf(n, path, "invalid %s %q (want lowercase letters, digits and underscores, starting with a letter)", f.name, v.String())
		}
	}
}

// orList formats "a, b or c".
func orList(items []string) string {
	if len(items) <= 1 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

// decodeAggregates decodes the ordered mapping output name → call.
func (d *specDecoder) decodeAggregates(n *yaml.Node, v reflect.Value, path string) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "want a mapping of output field to aggregate call (count: count()), got %s", kindName(n))
		return
	}
	var aggs spec.Aggregates
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		sub := joinPath(path, k.Value)
		if seen[k.Value] {
			d.errorf(k, sub, "duplicate aggregate %q", k.Value)
			continue
		}
		seen[k.Value] = true
		d.f.nodes[sub] = node{key: d.pos(k), value: d.pos(val), style: val.Style}
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, path, "want an output field name, got %s", kindName(k))
			continue
		}
		s, ok := d.scalar(val, sub, "an aggregate call like count() or max(time)")
		if !ok {
			continue
		}
		aggs = append(aggs, spec.Aggregate{As: k.Value, Expr: s})
	}
	v.Set(reflect.ValueOf(aggs))
}

func (d *specDecoder) decodeKafkaOffsets(n *yaml.Node, v reflect.Value, path string) {
	const want = "earliest, latest, or a mapping topic → partition → offset"
	if n.Kind == yaml.ScalarNode && !isNull(n) {
		if n.Value != "earliest" && n.Value != "latest" {
			d.errorf(n, path, "invalid startingOffsets %q (want %s)", n.Value, want)
			return
		}
		v.Set(reflect.ValueOf(spec.KafkaOffsets{Mode: n.Value}))
		return
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "want %s, got %s", want, kindName(n))
		return
	}
	var raw map[string]map[string]int64
	d.decode(n, reflect.ValueOf(&raw).Elem(), path, d.f.nodes[path].key)
	out := spec.KafkaOffsets{Partitions: map[string]map[int32]int64{}}
	topics := make([]string, 0, len(raw))
	for t := range raw {
		topics = append(topics, t)
	}
	sort.Strings(topics)
	for _, topic := range topics {
		out.Partitions[topic] = map[int32]int64{}
		for p, off := range raw[topic] {
			sub := joinPath(joinPath(path, topic), p)
			pn, err := strconv.ParseInt(p, 10, 32)
			if err != nil || pn < 0 || pn > math.MaxInt32 {
				d.diags.Add(d.f.KeyPos(sub), sub, "invalid partition %q (want a partition number)", p)
				continue
			}
			if off < -2 {
				d.diags.Add(d.f.Pos(sub), sub, "invalid offset %d (want an offset, -2 for earliest or -1 for latest)", off)
				continue
			}
			out.Partitions[topic][int32(pn)] = off
		}
	}
	v.Set(reflect.ValueOf(out))
}
