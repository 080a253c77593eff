package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/streamgen/streamgen/gen/diag"
	"github.com/streamgen/streamgen/gen/internal/naming"
	"github.com/streamgen/streamgen/gen/ir"
	"github.com/streamgen/streamgen/runtime/streamimpl"
)

// Config says which package to plan.
type Config struct {
	// PkgPath is the import path of the generated package.
	PkgPath string
	// PkgName overrides the package name; by default it comes from the
	// pipeline's name ("action_counts" → actioncounts), or from the last
	// element of PkgPath when there is no pipeline.
	PkgName string
	// Pipeline names the pipeline to plan. Empty selects the program's only
	// pipeline; a program without pipelines plans all its records.
	Pipeline string
	// Decoders plans a KindDecode file per record (the decoder emitter is
	// a separate feature: gen.Generate turns it on when it is built in).
	Decoders bool
}

// Build makes the Go decisions for one package of prog: the pipeline
// cfg names and every record it reaches. Name collisions and names that
// cannot become Go identifiers come back as diagnostics at the user's
// positions; the plan must not be used when there are any.
func Build(prog *ir.Program, cfg Config) (*Plan, diag.List) {
	b := &builder{
		cfg:      cfg,
		records:  map[*ir.Record]*Record{},
		enums:    map[*ir.Enum]*Enum{},
		collided: map[*Record]bool{},
		idents:   map[string]owner{},
		fileUsed: map[string]owner{},
	}
	p := b.build(prog)
	b.diags.Sort()
	return p, b.diags
}

// owner is what claimed a generated name, for collision messages.
type owner struct {
	what string
	pos  diag.Pos
	path string
}

type builder struct {
	cfg      Config
	diags    diag.List
	records  map[*ir.Record]*Record
	mapped   map[*ir.Record]*ir.Record // map outputs' generated records (pipelineRecords)
	enums    map[*ir.Enum]*Enum        // enum types by their ir type, shared by copied fields
	collided map[*Record]bool          // records whose struct name is taken
	idents   map[string]owner          // package-level identifiers
	fileUsed map[string]owner          // generated file paths
}

func (b *builder) build(prog *ir.Program) *Plan {
	p := &Plan{PkgPath: b.cfg.PkgPath, GenVersion: streamimpl.GenVersion}
	var decoded, derived []*ir.Record
	switch pl := b.pipeline(prog); {
	case pl != nil:
		p.Pipeline = pl
		switch {
		case pl.Spec != "":
			p.Specs = []string{pl.Spec}
		case pl.Pos.File != "":
			p.Specs = []string{pl.Pos.File}
		}
		decoded, derived, b.mapped = pipelineRecords(pl)
	case len(prog.Pipelines) == 0:
		decoded = prog.Records
	default:
		return p
	}
	p.PkgName = b.pkgName(p)

	// Records reachable from the roots, refusing cycles.
	var order []*ir.Record
	state := map[*ir.Record]int{} // 1 visiting, 2 done
	var visit func(r *ir.Record, via []string)
	visit = func(r *ir.Record, via []string) {
		switch state[r] {
		case 1:
			b.diags.Add(r.Pos, recordPath(r), "record %s refers to itself (%s → %s); recursive records are not supported", r.Name, strings.Join(via, " → "), r.Name)
			return
		case 2:
			return
		}
		state[r] = 1
		for _, f := range r.Fields {
			if ref := refOf(f.Type); ref != nil && ref.Record != nil {
				visit(ref.Record, append(via, r.Name+"."+f.Name))
			}
		}
		state[r] = 2
		order = append(order, r)
	}
	for _, r := range decoded {
		visit(r, nil)
	}
	decodes := map[*ir.Record]bool{}
	for _, r := range order {
		decodes[r] = true
	}
	for _, r := range derived {
		visit(r, nil)
	}
	if b.diags.Len() > 0 {
		return p
	}

	// Names first (so fields can refer to any record), then fields.
	for _, r := range order {
		pr := b.record(r)
		pr.Decode = decodes[r]
		p.Records = append(p.Records, pr)
	}
	sort.Slice(p.Records, func(i, j int) bool { return p.Records[i].GoName < p.Records[j].GoName })
	if rec := csvRecord(p.Pipeline); rec != nil && b.cfg.Decoders && b.records[rec] != nil && !b.collided[b.records[rec]] {
		b.planCSV(b.records[rec])
	}
	if deltaSource(p.Pipeline) {
		for _, r := range p.Records {
			if r.Decode && !b.collided[r] {
				b.planDeltaRow(r)
			}
		}
	}
	// Decoded records first: a field a step copies from the source keeps
	// the source's enum type (Event's EventAction, not a second type).
	for _, decoded := range []bool{true, false} {
		for _, r := range p.Records {
			if r.Decode == decoded {
				b.fields(r)
				r.Fingerprint = Fingerprint(r.IR)
			}
		}
	}

	// Files.
	b.claimFile("streamgen.go", owner{what: "the package file streamgen.go"})
	specSource := ""
	if len(p.Specs) > 0 {
		specSource = p.Specs[0]
	}
	p.Files = append(p.Files, &File{Path: "streamgen.go", Kind: KindStreamgen, Source: specSource, Pipeline: p.Pipeline})
	for _, r := range p.Records {
		if b.collided[r] {
			continue
		}
		base := fileBase(r.GoName)
		o := owner{what: "record " + r.IR.Name, pos: r.IR.Pos, path: recordPath(r.IR)}
		if b.claimFile(base+".go", o) {
			p.Files = append(p.Files, &File{Path: base + ".go", Kind: KindRecord, Source: r.IR.Source, Record: r})
		}
		if b.cfg.Decoders && r.Decode && b.claimFile(base+"_decode.go", o) {
			p.Files = append(p.Files, &File{Path: base + "_decode.go", Kind: KindDecode, Source: r.IR.Source, Record: r})
		}
		if r.CSVDecoderName != "" && b.claimFile(base+"_csv_decode.go", o) {
			p.Files = append(p.Files, &File{Path: base + "_csv_decode.go", Kind: KindCSVDecode, Source: r.IR.Source, Record: r})
		}
		if r.DeltaRowFunc != "" && b.claimFile(base+"_delta_decode.go", o) {
			p.Files = append(p.Files, &File{Path: base + "_delta_decode.go", Kind: KindDeltaDecode, Source: r.IR.Source, Record: r})
		}
	}
	b.planAggregation(p)
	b.planRunnable(p)
	sort.Slice(p.Files, func(i, j int) bool { return p.Files[i].Path < p.Files[j].Path })
	return p
}

// rowRecord returns the planned record of the rows rec describes in a
// runnable pipeline: rec's own, or for a map output (the user's type) its
// generated record. (An aggregation still reads a map output as the
// user's type: see aggInput.)
func (b *builder) rowRecord(rec *ir.Record) *Record {
	if pr := b.records[rec]; pr != nil {
		return pr
	}
	return b.records[b.mapped[rec]]
}

// pipeline returns the pipeline cfg selects, reporting a bad selection.
func (b *builder) pipeline(prog *ir.Program) *ir.Pipeline {
	if b.cfg.Pipeline == "" {
		switch len(prog.Pipelines) {
		case 0:
			return nil
		case 1:
			return prog.Pipelines[0]
		}
		var names []string
		for _, pl := range prog.Pipelines {
			names = append(names, pl.Name)
		}
		b.diags.Add(prog.Pipelines[1].Pos, "", "one package per pipeline: choose one of %s", strings.Join(names, ", "))
		return nil
	}
	for _, pl := range prog.Pipelines {
		if pl.Name == b.cfg.Pipeline {
			return pl
		}
	}
	b.diags.Add(diag.Pos{}, "", "no pipeline named %q", b.cfg.Pipeline)
	return nil
}

func (b *builder) pkgName(p *Plan) string {
	switch {
	case b.cfg.PkgName != "":
		return b.cfg.PkgName
	case p.Pipeline != nil:
		return naming.PackageName(p.Pipeline.Name)
	}
	return naming.PackageName(path.Base(p.PkgPath))
}

// record names one record and claims its package-level identifiers.
func (b *builder) record(r *ir.Record) *Record {
	pr := &Record{IR: r}
	b.records[r] = pr
	pr.GoName = naming.Pascal(r.Name)
	if pr.GoName == "" {
		b.diags.Add(r.Pos, recordPath(r), "record name %q has no letters or digits to make a Go name from", r.Name)
		pr.GoName = "Record"
	}
	pr.Receiver = naming.Receiver(pr.GoName)
	pr.DecoderName = pr.GoName + "Decoder"
	pr.DeltaSchemaFunc = pr.GoName + "DeltaSchema"
	pr.FingerprintConst = naming.Camel(pr.GoName) + "SchemaFingerprint"
	o := func(what string) owner {
		return owner{what: what + " of record " + r.Name, pos: r.Pos, path: recordPath(r)}
	}
	if !b.claim(pr.GoName, o("the struct")) {
		// The names derived from it collide too: one report is enough.
		b.collided[pr] = true
		return pr
	}
	b.claim(pr.DecoderName, o("the decoder"))
	// The decoder file's other package-level names.
	b.claim("New"+pr.DecoderName, o("the decoder constructor"))
	b.claim("decode"+pr.GoName, o("the decoding function"))
	b.claim("decode"+pr.GoName+"Keys", o("the decoder's member names"))
	b.claim(pr.DeltaSchemaFunc, o("the Delta schema function"))
	b.claim(pr.FingerprintConst, o("the fingerprint constant"))
	return pr
}

// fields plans the fields and enums of r.
func (b *builder) fields(r *Record) {
	seen := map[string]*ir.Field{}
	for _, f := range r.IR.Fields {
		pf := &Field{IR: f}
		fpath := fieldPath(r.IR, f)
		pf.GoName = naming.Pascal(f.Name)
		if pf.GoName == "" {
			b.diags.Add(f.Pos, fpath, "property name %q has no letters or digits to make a Go name from", f.Name)
			pf.GoName = fmt.Sprintf("Field%d", len(r.Fields))
		}
		if bad := badColumnChar(f.Name); bad != "" {
			b.diags.Add(f.Pos, fpath, "property name %q cannot be a Delta or Parquet column name (it contains %s)", f.Name, bad)
		}
		if prev, ok := seen[pf.GoName]; ok {
			msg := fmt.Sprintf("properties %q and %q both become the Go field %s.%s", prev.Name, f.Name, r.GoName, pf.GoName)
			b.diags.AddHint(prev.Pos, fieldPath(r.IR, prev), "rename one of the properties", "%s", msg)
			b.diags.AddHint(f.Pos, fpath, "rename one of the properties", "%s", msg)
		} else {
			seen[pf.GoName] = f
		}
		_, isList := f.Type.(*ir.List)
		pf.Pointer = (f.Nullable || !f.Required) && !isList
		pf.Type = b.goType(r, pf, f.Type, pf.Pointer)
		r.Fields = append(r.Fields, pf)
	}
}

// goType plans the Go type of t for field pf of r; enum types are
// declared on the way.
func (b *builder) goType(r *Record, pf *Field, t ir.Type, pointer bool) *Type {
	gt := &Type{Pointer: pointer, IR: t}
	switch t := t.(type) {
	case *ir.Scalar:
		switch t.Kind {
		case ir.String, ir.UUID:
			gt.Kind = GoString
		case ir.Int32:
			gt.Kind = GoInt32
		case ir.Int64:
			gt.Kind = GoInt64
		case ir.Float64:
			gt.Kind = GoFloat64
		case ir.Bool:
			gt.Kind = GoBool
		default:
			b.diags.Add(pf.IR.Pos, fieldPath(r.IR, pf.IR), "streamgen: internal error: unknown scalar kind %q", t.Kind)
			gt.Kind = GoString
		}
	case *ir.Timestamp:
		gt.Kind = GoTime
	case *ir.Date:
		gt.Kind = GoDate
	case *ir.Enum:
		gt.Kind = GoEnum
		gt.Name = b.enum(r, pf, t).GoName
	case *ir.List:
		gt.Kind = GoSlice
		_, elemList := t.Elem.(*ir.List)
		gt.Elem = b.goType(r, pf, t.Elem, t.ElemNullable && !elemList)
	case *ir.Ref:
		gt.Kind = GoStruct
		gt.Record = b.records[t.Record]
		if gt.Record == nil {
			b.diags.Add(pf.IR.Pos, fieldPath(r.IR, pf.IR), "streamgen: internal error: record %s is not planned", t.Name)
			gt.Name = naming.Pascal(t.Name)
		} else {
			gt.Name = gt.Record.GoName
		}
		pf.Ref = gt.Record
	default:
		b.diags.Add(pf.IR.Pos, fieldPath(r.IR, pf.IR), "streamgen: internal error: unknown type %T", t)
		gt.Kind = GoString
	}
	return gt
}

// enum declares the enum type of field pf of r, or reuses the one
// declared for the same ir type (a field copied by a step).
func (b *builder) enum(r *Record, pf *Field, t *ir.Enum) *Enum {
	if e, ok := b.enums[t]; ok {
		pf.Enum = e
		pf.EnumType = e.GoName
		pf.EnumConsts = e.Consts
		return e
	}
	fpath := fieldPath(r.IR, pf.IR)
	e := &Enum{GoName: r.GoName + pf.GoName, Values: t.Values, Field: pf}
	e.Receiver = naming.Receiver(e.GoName)
	b.claim(e.GoName, owner{what: fmt.Sprintf("the enum type of %s.%s", r.IR.Name, pf.IR.Name), pos: pf.IR.Pos, path: fpath})
	seen := map[string]string{}
	for i, v := range t.Values {
		suffix := naming.Suffix(v)
		if suffix == "" {
			if v == "" {
				suffix = "Empty"
			} else {
				suffix = fmt.Sprintf("Value%d", i)
			}
		}
		c := e.GoName + suffix
		if prev, ok := seen[c]; ok {
			b.diags.AddHint(pf.IR.Pos, fpath, "enum values must differ in their letters and digits", "enum values %q and %q both become the Go constant %s", prev, v, c)
		}
		seen[c] = v
		b.claim(c, owner{what: fmt.Sprintf("the constant of value %q of %s.%s", v, r.IR.Name, pf.IR.Name), pos: pf.IR.Pos, path: fpath})
		e.Consts = append(e.Consts, c)
	}
	pf.Enum = e
	pf.EnumType = e.GoName
	pf.EnumConsts = e.Consts
	r.Enums = append(r.Enums, e)
	b.enums[t] = e
	return e
}

// claim records a package-level identifier, reporting a collision at
// both owners' positions (and returning false).
func (b *builder) claim(name string, o owner) bool {
	prev, ok := b.idents[name]
	if !ok {
		b.idents[name] = o
		return true
	}
	msg := fmt.Sprintf("%s and %s are both named %s in the generated package", prev.what, o.what, name)
	b.diags.AddHint(prev.pos, prev.path, "rename one of them in its schema", "%s", msg)
	b.diags.AddHint(o.pos, o.path, "rename one of them in its schema", "%s", msg)
	return false
}

// claimFile records a generated file path; it reports false (and a
// diagnostic) when another record already produces it.
func (b *builder) claimFile(name string, o owner) bool {
	prev, ok := b.fileUsed[name]
	if !ok {
		b.fileUsed[name] = o
		return true
	}
	msg := fmt.Sprintf("%s and %s would both generate %s", prev.what, o.what, name)
	if prev.pos.IsValid() || prev.pos.File != "" {
		b.diags.Add(prev.pos, prev.path, "%s", msg)
	}
	b.diags.Add(o.pos, o.path, "%s", msg)
	return false
}

// goSuffixes are file name suffixes the go command treats specially:
// _test and every GOOS and GOARCH.
var goSuffixes = map[string]bool{
	"test": true,
	// GOOS
	"aix": true, "android": true, "darwin": true, "dragonfly": true, "freebsd": true,
	"hurd": true, "illumos": true, "ios": true, "js": true, "linux": true, "nacl": true,
	"netbsd": true, "openbsd": true, "plan9": true, "solaris": true, "wasip1": true,
	"windows": true, "zos": true,
	// GOARCH
	"386": true, "amd64": true, "amd64p32": true, "arm": true, "armbe": true, "arm64": true,
	"arm64be": true, "loong64": true, "mips": true, "mipsle": true, "mips64": true,
	"mips64le": true, "mips64p32": true, "mips64p32le": true, "ppc": true, "ppc64": true,
	"ppc64le": true, "riscv": true, "riscv64": true, "s390": true, "s390x": true,
	"sparc": true, "sparc64": true, "wasm": true,
}

// fileBase returns the snake-case file name (without .go) of a record.
func fileBase(goName string) string {
	base := naming.Snake(goName)
	last := base
	if i := strings.LastIndexByte(base, '_'); i >= 0 {
		last = base[i+1:]
	}
	if base == "streamgen" || strings.Contains(base, "_") && goSuffixes[last] || strings.HasSuffix(base, "_decode") {
		base += "_record"
	}
	return base
}

// badColumnChar returns a description of the first character of name that
// a struct tag or a Delta column (without column mapping) cannot hold.
func badColumnChar(name string) string {
	for _, r := range name {
		switch {
		case r < 0x20 || r == 0x7f:
			return fmt.Sprintf("the control character %U", r)
		case strings.ContainsRune(" ,;{}()=\"`\\", r):
			return fmt.Sprintf("%q", r)
		}
	}
	return ""
}

// refOf returns the record reference of t or of its (nested) list
// elements.
func refOf(t ir.Type) *ir.Ref {
	switch t := t.(type) {
	case *ir.Ref:
		return t
	case *ir.List:
		return refOf(t.Elem)
	}
	return nil
}

// recordPath is the document path of a record's node ("" for a file's
// root schema, "$defs.Item" for a definition).
func recordPath(r *ir.Record) string {
	_, frag, _ := strings.Cut(r.ID, "#")
	frag = strings.TrimPrefix(frag, "/")
	return strings.ReplaceAll(frag, "/", ".")
}

// fieldPath is the document path of a field's node
// ("properties.device_id").
func fieldPath(r *ir.Record, f *ir.Field) string {
	if p := recordPath(r); p != "" {
		return p + ".properties." + f.Name
	}
	return "properties." + f.Name
}

// Fingerprint returns "sha256:<hex>" of r's canonical JSON shape: field
// names, types, required and nullable flags, nested records expanded; no
// names of records, docs, positions or sources.
func Fingerprint(r *ir.Record) string {
	data, err := json.Marshal(canonicalRecord(r))
	if err != nil {
		panic(err) // only maps, slices, strings and bools
	}
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

type canonField struct {
	Name     string `json:"name"`
	Type     any    `json:"type"`
	Required bool   `json:"required"`
	Nullable bool   `json:"nullable"`
}

func canonicalRecord(r *ir.Record) []canonField {
	out := make([]canonField, 0, len(r.Fields))
	for _, f := range r.Fields {
		out = append(out, canonField{Name: f.Name, Type: canonicalType(f.Type), Required: f.Required, Nullable: f.Nullable})
	}
	return out
}

func canonicalType(t ir.Type) any {
	switch t := t.(type) {
	case *ir.Enum:
		return map[string]any{"enum": t.Values}
	case *ir.List:
		return map[string]any{"list": canonicalType(t.Elem), "elemNullable": t.ElemNullable}
	case *ir.Ref:
		if t.Record == nil {
			return map[string]any{"record": t.Name}
		}
		return map[string]any{"struct": canonicalRecord(t.Record)}
	case nil:
		return nil
	}
	return t.String()
}
