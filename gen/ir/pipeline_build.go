package ir

import (
	"fmt"
	"go/types"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/streamgen/streamgen/gen/diag"
	"github.com/streamgen/streamgen/gen/internal/naming"
	"github.com/streamgen/streamgen/gen/load"
	"github.com/streamgen/streamgen/gen/spec"
)

// BuildEnv is what BuildPipelines needs from outside the specs.
type BuildEnv struct {
	// SchemaRecord returns the root record of the schema file that the
	// spec names as ref (a path relative to the spec file, as written),
	// or an error to report at the reference (nil, nil: the schema's own
	// errors were already reported; skip silently).
	SchemaRecord func(f *load.SpecFile, ref string) (*Record, error)
	// Func returns the user Go function pkgPath.name, or an error to
	// report at the reference. Nil: user functions cannot be checked and
	// specs using them are errors.
	Func func(pkgPath, name string) (*types.Func, error)
	// FuncPos formats a Go position for hints ("userfn/fn.go:5:6"); nil
	// prints it as go/token does.
	FuncPos func(types.Object) string
}

// Defaults applied by BuildPipelines.
const (
	DefaultMaxFileAge        = 7 * 24 * time.Hour
	DefaultMaxTriggerDelay   = 15 * time.Minute
	DefaultDeltaMaxFiles     = 1000
	DefaultTargetFileSize    = 128 << 20
	DefaultConsoleNumRows    = 20
	DefaultRateRowsPerSecond = 1
)

// BuildPipelines turns decoded specs into pipelines, resolving every
// field, expression and function they name. Problems a spec has on its
// own (unknown fields, wrong types, conflicting options) are reported
// here; rules across the whole pipeline are Check's. A pipeline with
// errors is still returned as far as it could be built.
func BuildPipelines(specs []*load.SpecFile, env BuildEnv) ([]*Pipeline, diag.List) {
	var all diag.List
	var out []*Pipeline
	for _, f := range specs {
		if f == nil || f.Spec == nil {
			continue
		}
		b := &pipelineBuilder{f: f, env: env}
		p := b.build()
		all.Append(b.diags)
		out = append(out, p)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, all
}

type pipelineBuilder struct {
	f     *load.SpecFile
	env   BuildEnv
	diags diag.List
	p     *Pipeline
	// rows is the record flowing at the current step (nil after an
	// unresolvable step: later field checks are skipped).
	rows    *Record
	selects int
	step    int // index of the step being built
}

func (b *pipelineBuilder) pos(path string) diag.Pos { return b.f.Pos(path) }

// errorf reports a problem with the value at path, unless the loader
// already did.
func (b *pipelineBuilder) errorf(path, format string, args ...any) {
	if b.f.HasError(path) {
		return
	}
	b.diags.Add(b.f.Pos(path), path, format, args...)
}

func (b *pipelineBuilder) keyErrorf(path, format string, args ...any) {
	if b.f.HasError(path) {
		return
	}
	b.diags.Add(b.f.KeyPos(path), path, format, args...)
}

func (b *pipelineBuilder) build() *Pipeline {
	s := b.f.Spec
	b.p = &Pipeline{Name: s.Name, Spec: b.f.Path, Checkpoint: s.Checkpoint, Pos: b.pos("name")}
	if !b.f.Has("name") {
		b.p.Pos = b.pos("")
	}
	b.p.Source = b.source(&s.Source, s.OnMalformed)
	if b.p.Source != nil {
		b.rows = b.p.Source.Record
	}
	b.steps(s.Steps)
	b.p.Output = b.rows
	b.p.Sink = b.sink(&s.Sink)
	b.p.Trigger = b.trigger(s.Trigger)
	return b.p
}

// oneOf reports unless exactly one (or, with optional, at most one) of
// the named keys under path is present; it returns the present ones.
func (b *pipelineBuilder) oneOf(path string, keys []string, optional bool, what string) []string {
	var set []string
	for _, k := range keys {
		if b.f.Has(joinPath(path, k)) {
			set = append(set, k)
		}
	}
	// The path already names the node: say what it is only when the
	// path does not ("steps[2]: step: ...", not "sink: sink: ...").
	prefix := what + ": "
	if path == what || strings.HasSuffix(path, "."+what) {
		prefix = ""
	}
	switch {
	case len(set) == 0 && !optional:
		if path != "" && !b.f.Has(path) {
			// The node itself is missing: the loader already reported
			// the missing required key.
			return set
		}
		b.errorf(path, "%swant one of %s", prefix, orList(keys))
	case len(set) > 1:
		b.keyErrorf(joinPath(path, set[1]), "%s: %s and %s are exclusive, set only one", what, set[0], set[1])
	}
	return set
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func orList(items []string) string {
	if len(items) <= 1 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

func quoteAll(items []string) []string {
	out := make([]string, len(items))
	for i, s := range items {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// --- source ---

func (b *pipelineBuilder) source(s *spec.Source, defaultPolicy string) *Source {
	kinds := b.oneOf("source", []string{"files", "kafka", "delta", "rate"}, false, "source")
	if len(kinds) == 0 {
		return nil
	}
	src := &Source{Kind: SourceKind(kinds[0]), Pos: b.pos("source." + kinds[0])}
	policy := defaultPolicy
	schemaRef := ""
	switch {
	case s.Files != nil && src.Kind == SourceFiles:
		fs := s.Files
		path := "source.files"
		o := &FilesSource{
			Path: fs.Path, Format: fs.Format, MaxFilesPerTrigger: fs.MaxFilesPerTrigger,
			MaxBytesPerTrigger: int64(fs.MaxBytesPerTrigger), LatestFirst: fs.LatestFirst,
			MaxFileAge: time.Duration(fs.MaxFileAge), CleanSource: fs.CleanSource,
			SourceArchiveDir: fs.SourceArchiveDir,
		}
		if o.Format == "" {
			o.Format = "json"
		}
		if o.MaxFileAge == 0 {
			o.MaxFileAge = DefaultMaxFileAge
		}
		if o.CleanSource == "" {
			o.CleanSource = "off"
		}
		if o.Format == "csv" {
			o.CSVHeader = fs.Header == nil || *fs.Header
			o.CSVDelimiter = ','
			if fs.Delimiter != "" {
				o.CSVDelimiter = []rune(fs.Delimiter)[0]
				if len([]rune(fs.Delimiter)) != 1 {
					b.errorf(path+".delimiter", "delimiter must be one character, got %q", fs.Delimiter)
				}
			}
		} else {
			for _, k := range []string{"header", "delimiter"} {
				if b.f.Has(path + "." + k) {
					b.keyErrorf(path+"."+k, "%s applies to format csv only", k)
				}
			}
		}
		switch {
		case o.CleanSource == "archive" && o.SourceArchiveDir == "":
			b.errorf(path+".cleanSource", "cleanSource archive needs sourceArchiveDir")
		case o.CleanSource != "archive" && o.SourceArchiveDir != "":
			b.keyErrorf(path+".sourceArchiveDir", "sourceArchiveDir applies to cleanSource: archive only")
		case o.CleanSource == "archive" && underDir(o.SourceArchiveDir, o.Path):
			b.errorf(path+".sourceArchiveDir", "sourceArchiveDir %q must not be under path %q", o.SourceArchiveDir, o.Path)
		}
		if fs.Path == "" && b.f.Has(path+".path") {
			b.errorf(path+".path", "path must not be empty")
		}
		src.Files = o
		schemaRef = fs.Schema
		if fs.OnMalformed != "" {
			policy = fs.OnMalformed
		}
	case s.Kafka != nil && src.Kind == SourceKafka:
		ks := s.Kafka
		path := "source.kafka"
		o := &KafkaSource{
			BootstrapServers: ks.BootstrapServers, Subscribe: ks.Subscribe, SubscribePattern: ks.SubscribePattern,
			MaxOffsetsPerTrigger: ks.MaxOffsetsPerTrigger, MinOffsetsPerTrigger: ks.MinOffsetsPerTrigger,
			MaxTriggerDelay: time.Duration(ks.MaxTriggerDelay), FailOnDataLoss: ks.FailOnDataLoss == nil || *ks.FailOnDataLoss,
			IncludeHeaders: ks.IncludeHeaders, CommitToGroup: ks.CommitToGroup, ConsumerGroup: ks.ConsumerGroup,
			Format: ks.Format, Conn: b.kafkaConn(path, ks.TLS, ks.SASL),
		}
		if o.Format == "" {
			o.Format = "json"
		}
		if o.MaxTriggerDelay == 0 {
			o.MaxTriggerDelay = DefaultMaxTriggerDelay
		}
		b.checkServers(path+".bootstrapServers", ks.BootstrapServers)
		b.oneOf(path, []string{"subscribe", "subscribePattern", "assign"}, false, "kafka source")
		if b.f.Has(path+".subscribe") && len(ks.Subscribe) == 0 {
			b.errorf(path+".subscribe", "subscribe needs at least one topic")
		}
		if ks.SubscribePattern != "" {
			if _, err := regexp.Compile(ks.SubscribePattern); err != nil {
				b.errorf(path+".subscribePattern", "invalid pattern: %v", err)
			}
		}
		topics := make([]string, 0, len(ks.Assign))
		for t := range ks.Assign {
			topics = append(topics, t)
		}
		sort.Strings(topics)
		for _, t := range topics {
			parts := slices.Clone(ks.Assign[t])
			slices.Sort(parts)
			if len(parts) == 0 {
				b.errorf(path+".assign."+t, "topic %q: no partitions", t)
			}
			for _, p := range parts {
				if p < 0 {
					b.errorf(path+".assign."+t, "invalid partition %d", p)
				}
			}
			o.Assign = append(o.Assign, TopicPartitions{Topic: t, Partitions: parts})
		}
		o.StartingOffsets = KafkaStartOffsets{Mode: "latest"}
		if so := ks.StartingOffsets; so != nil {
			if so.Mode != "" {
				o.StartingOffsets.Mode = so.Mode
			} else {
				o.StartingOffsets.Mode = "partitions"
				ts := make([]string, 0, len(so.Partitions))
				for t := range so.Partitions {
					ts = append(ts, t)
				}
				sort.Strings(ts)
				for _, t := range ts {
					var ps []int32
					for p := range so.Partitions[t] {
						ps = append(ps, p)
					}
					slices.Sort(ps)
					for _, p := range ps {
						o.StartingOffsets.Partitions = append(o.StartingOffsets.Partitions, PartitionOffset{t, p, so.Partitions[t][p]})
					}
				}
			}
		}
		if ks.StartingTimestamp != nil {
			o.StartingTimestamp = ks.StartingTimestamp.Time
		}
		if ks.MinOffsetsPerTrigger > 0 && ks.MaxOffsetsPerTrigger > 0 && ks.MinOffsetsPerTrigger > ks.MaxOffsetsPerTrigger {
			b.errorf(path+".minOffsetsPerTrigger", "minOffsetsPerTrigger %d is more than maxOffsetsPerTrigger %d", ks.MinOffsetsPerTrigger, ks.MaxOffsetsPerTrigger)
		}
		if b.f.Has(path+".maxTriggerDelay") && ks.MinOffsetsPerTrigger == 0 {
			b.keyErrorf(path+".maxTriggerDelay", "maxTriggerDelay applies with minOffsetsPerTrigger only")
		}
		if ks.ConsumerGroup != "" {
			o.ConsumerGroupPos = b.f.KeyPos(path + ".consumerGroup")
		}
		if ks.CommitToGroup != "" && ks.ConsumerGroup != "" && ks.CommitToGroup != ks.ConsumerGroup {
			b.keyErrorf(path+".commitToGroup", "commitToGroup %q differs from consumerGroup %q: a group member commits to its own group", ks.CommitToGroup, ks.ConsumerGroup)
		}
		src.Kafka = o
		schemaRef = ks.Schema
		if ks.OnMalformed != "" {
			policy = ks.OnMalformed
		}
	case s.Delta != nil && src.Kind == SourceDelta:
		ds := s.Delta
		path := "source.delta"
		o := &DeltaSource{
			Path: ds.Path, MaxFilesPerTrigger: ds.MaxFilesPerTrigger, MaxBytesPerTrigger: int64(ds.MaxBytesPerTrigger),
			StartingVersion: -1, IgnoreDeletes: ds.IgnoreDeletes, IgnoreChanges: ds.IgnoreChanges, SkipChangeCommits: ds.SkipChangeCommits,
		}
		if o.MaxFilesPerTrigger == 0 {
			o.MaxFilesPerTrigger = DefaultDeltaMaxFiles
		}
		if v := ds.StartingVersion; v != nil {
			o.StartingLatest, o.StartingVersion = v.Latest, v.Number
			if v.Latest {
				o.StartingVersion = -1
			}
		}
		if ds.StartingTimestamp != nil {
			o.StartingTimestamp = ds.StartingTimestamp.Time
			if ds.StartingVersion != nil {
				b.keyErrorf(path+".startingTimestamp", "startingVersion and startingTimestamp are exclusive, set only one")
			}
		}
		src.Delta = o
		schemaRef = ds.Schema
	case s.Rate != nil && src.Kind == SourceRate:
		rs := s.Rate
		o := &RateSource{RowsPerSecond: rs.RowsPerSecond, RampUpTime: time.Duration(rs.RampUpTime), NumPartitions: rs.NumPartitions}
		if o.RowsPerSecond == 0 {
			o.RowsPerSecond = DefaultRateRowsPerSecond
		}
		if o.NumPartitions == 0 {
			o.NumPartitions = 1
		}
		src.Rate = o
		src.Record = NewRateRecord(src.Pos)
		src.Record.Source = b.f.Path
	default:
		return nil // a null source: the loader reported it
	}
	if policy == "" {
		policy = string(Quarantine)
	}
	src.OnMalformed = OnMalformed(policy)
	if src.Kind != SourceRate {
		schemaPath := "source." + kinds[0] + ".schema"
		if schemaRef == "" {
			if b.f.Has(schemaPath) {
				b.errorf(schemaPath, "schema must not be empty")
			}
		} else if b.env.SchemaRecord == nil {
			b.errorf(schemaPath, "schemas are not loaded")
		} else {
			rec, err := b.env.SchemaRecord(b.f, schemaRef)
			if err != nil {
				b.errorf(schemaPath, "%v", err)
			}
			src.Record = rec
		}
		src.SchemaPath = schemaRef
	}
	if src.Record != nil {
		src.RecordName = src.Record.Name
	}
	b.checkCSV(src)
	return src
}

// underDir reports whether dir is path or lies under it (lexically).
func underDir(dir, path string) bool {
	clean := func(s string) string { return strings.TrimSuffix(strings.TrimPrefix(s, "./"), "/") }
	dir, path = clean(dir), clean(path)
	return dir == path || strings.HasPrefix(dir, path+"/")
}

func (b *pipelineBuilder) checkServers(path string, servers []string) {
	for i, s := range servers {
		host, port, ok := strings.Cut(s, ":")
		if !ok || host == "" || port == "" || strings.Trim(port, "0123456789") != "" {
			b.errorf(fmt.Sprintf("%s[%d]", path, i), "invalid broker address %q (want host:port)", s)
		}
	}
}

func (b *pipelineBuilder) kafkaConn(path string, t *spec.TLS, s *spec.SASL) KafkaConn {
	var c KafkaConn
	if t != nil {
		c.TLS = &KafkaTLS{CAFile: t.CAFile, CertFile: t.CertFile, KeyFile: t.KeyFile, ServerName: t.ServerName, InsecureSkipVerify: t.InsecureSkipVerify}
		if (t.CertFile == "") != (t.KeyFile == "") {
			b.errorf(path+".tls", "certFile and keyFile go together")
		}
	}
	if s != nil {
		c.SASL = &KafkaSASL{Mechanism: s.Mechanism, Username: s.Username, PasswordEnv: s.PasswordEnv, PasswordFile: s.PasswordFile}
		b.oneOf(path+".sasl", []string{"passwordEnv", "passwordFile"}, false, "sasl password")
	}
	return c
}

// --- steps ---

func (b *pipelineBuilder) steps(steps []spec.Step) {
	kinds := []string{"where", "select", "map", "watermark", "groupBy"}
	for i := range steps {
		st := &steps[i]
		path := fmt.Sprintf("steps[%d]", i)
		b.step = i
		set := b.oneOf(path, kinds, false, "step")
		if b.f.Has(path+".aggregate") && !slices.Contains(set, "groupBy") {
			b.keyErrorf(path+".aggregate", "aggregate goes with groupBy")
		}
		if len(set) != 1 {
			continue
		}
		if b.p.Aggregation != nil {
			b.keyErrorf(path+"."+set[0], "groupBy must be the last step")
		}
		path += "." + set[0]
		in := b.rows
		switch set[0] {
		case "where":
			w := &Where{Op: "where", In: in, Pos: b.pos(path)}
			w.Cond = b.expr(path, st.Where, in, true)
			if in != nil {
				b.p.Steps = append(b.p.Steps, w)
			}
		case "select":
			b.selectStep(path, st.Select, in)
		case "map":
			b.mapStep(path, st.Map, in)
		case "watermark":
			b.watermark(path, st.Watermark, in)
		case "groupBy":
			b.groupBy(path, st.GroupBy, st.Aggregate, in)
			if b.p.Aggregation != nil {
				b.p.Aggregation.Step = i
			}
		}
	}
}

// expr checks a Go expression at path (a scalar) over rec.
func (b *pipelineBuilder) expr(path, src string, rec *Record, wantBool bool) *Expr {
	e := &Expr{Src: src, Pos: b.pos(path)}
	if rec == nil {
		return e
	}
	res, errs := checkExpr(src, rec, wantBool)
	for _, err := range errs {
		msg := err.Msg
		hint := ""
		if name, ok := strings.CutPrefix(msg, "undefined: "); ok {
			msg = fmt.Sprintf("unknown field %q in record %s", name, rec.Name)
			hint = diag.DidYouMean(name, rec.FieldNames())
		}
		b.diags.AddHint(b.f.OffsetPos(path, err.Offset), path, hint, "%s", msg)
	}
	if res != nil {
		e.Type = typeString(res.Type)
		e.Vars = res.Vars
	}
	return e
}

// field resolves a field name of rec at path, reporting an unknown one.
func (b *pipelineBuilder) field(path, name string, rec *Record) *Field {
	if rec == nil {
		return nil
	}
	f := rec.Field(name)
	if f == nil {
		b.diags.AddHint(b.pos(path), path, diag.DidYouMean(name, rec.FieldNames()), "unknown field %q in record %s", name, rec.Name)
	}
	return f
}

func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return path
	}
	return path[:i]
}

func (b *pipelineBuilder) derivedName(suffix string) string {
	return naming.Pascal(b.p.Name) + suffix
}

func (b *pipelineBuilder) newRecord(name, path string) *Record {
	return &Record{
		Name:   name,
		ID:     b.f.Path + "#/" + strings.NewReplacer(".", "/", "[", "/", "]", "").Replace(path),
		Source: b.f.Path,
		Pos:    b.pos(path),
	}
}

func copyField(f *Field, name string, pos diag.Pos) *Field {
	c := *f
	c.Name = name
	c.Pos = pos
	return &c
}

func (b *pipelineBuilder) selectStep(path string, items []spec.SelectItem, in *Record) {
	b.selects++
	name := b.derivedName("Row")
	if b.selects > 1 {
		name = fmt.Sprintf("%s%d", name, b.selects)
	}
	out := b.newRecord(name, path)
	sel := &Select{Op: "select", In: in, Out: out, Pos: b.pos(path)}
	if len(items) == 0 {
		b.errorf(path, "select needs at least one field")
	}
	seen := map[string]string{}
	for i, it := range items {
		ip := fmt.Sprintf("%s[%d]", path, i)
		col := &SelectColumn{As: it.As, From: it.Column, Pos: b.pos(ip)}
		var f *Field
		switch {
		case it.Expr != "" && it.Column != "":
			b.errorf(ip, "set column or expr, not both")
			continue
		case it.Expr != "":
			if it.As == "" {
				b.errorf(ip, "a derived field needs a name (as)")
				continue
			}
			col.Expr = b.expr(ip+".expr", it.Expr, in, false)
			if col.Expr.Type != "" {
				typ, nullable, err := irTypeOfGo(col.Expr.Type)
				if err != nil {
					b.errorf(ip+".expr", "%v", err)
				} else {
					f = &Field{Name: it.As, Type: typ, Required: !nullable, Nullable: nullable, Pos: col.Pos}
				}
			}
		case it.Column != "":
			if col.As == "" {
				col.As = it.Column
			}
			colPath := ip
			if b.f.Has(ip + ".column") {
				colPath = ip + ".column"
			}
			if src := b.field(colPath, it.Column, in); src != nil {
				f = copyField(src, col.As, col.Pos)
			}
		default:
			b.errorf(ip, "want a field name, {column, as} or {as, expr}")
			continue
		}
		if !isIdent(col.As) {
			b.errorf(ip, "field name %q is not usable in expressions: use letters, digits and underscores", col.As)
		}
		if prev, dup := seen[col.As]; dup {
			b.errorf(ip, "duplicate field %q (also %s)", col.As, prev)
			continue
		}
		seen[col.As] = ip
		sel.Columns = append(sel.Columns, col)
		if f != nil {
			out.Fields = append(out.Fields, f)
		}
	}
	b.p.Steps = append(b.p.Steps, sel)
	b.p.Records = append(b.p.Records, out)
	if in == nil || len(out.Fields) != len(sel.Columns) {
		b.rows = nil // unknown shape: skip field checks downstream
		return
	}
	b.rows = out
}

// irTypeOfGo maps the Go type of a derived expression to a field type.
func irTypeOfGo(goType string) (Type, bool, error) {
	t, nullable := strings.CutPrefix(goType, "*")
	switch t {
	case "string", "untyped string":
		return &Scalar{Kind: String}, nullable, nil
	case "int32":
		return &Scalar{Kind: Int32}, nullable, nil
	case "int", "int64", "untyped int", "untyped rune":
		return &Scalar{Kind: Int64}, nullable, nil
	case "float64", "untyped float":
		return &Scalar{Kind: Float64}, nullable, nil
	case "bool", "untyped bool":
		return &Scalar{Kind: Bool}, nullable, nil
	case "time.Time":
		return &Timestamp{Unit: RFC3339}, nullable, nil
	}
	return nil, false, fmt.Errorf("expression has type %s; a derived field must be string, int32, int, int64, float64, bool or time.Time, or a pointer to one", goType)
}

func (b *pipelineBuilder) watermark(path string, w *spec.Watermark, in *Record) {
	if w == nil {
		return
	}
	if b.p.Watermark != nil {
		b.keyErrorf(path, "a pipeline has at most one watermark")
		return
	}
	wm := &Watermark{Op: "watermark", Step: b.step, In: in, Column: w.Column, Delay: time.Duration(w.Delay), Pos: b.pos(path)}
	if f := b.field(path+".column", w.Column, in); f != nil {
		b.wantTimestamp(path+".column", "watermark", f)
	}
	b.p.Watermark = wm
	b.p.Steps = append(b.p.Steps, wm)
}

func isTimestamp(t Type) bool { _, ok := t.(*Timestamp); return ok }

func (b *pipelineBuilder) wantTimestamp(path, what string, f *Field) {
	if !isTimestamp(f.Type) {
		b.errorf(path, "%s column %q has type %s, want a timestamp", what, f.Name, f.Type)
	}
}

func (b *pipelineBuilder) groupBy(path string, g *spec.GroupBy, aggs spec.Aggregates, in *Record) {
	if g == nil {
		return
	}
	stepPath := parentPath(path)
	a := &Aggregation{In: in, Keys: g.Keys, Pos: b.pos(path)}
	b.p.Aggregation = a
	res := b.newRecord(b.derivedName("Result"), path)
	a.Result = res
	names := map[string]bool{}
	for i, k := range g.Keys {
		kp := fmt.Sprintf("%s.keys[%d]", path, i)
		f := b.field(kp, k, in)
		if names[k] {
			b.errorf(kp, "duplicate key %q", k)
			continue
		}
		names[k] = true
		if f == nil {
			continue
		}
		switch f.Type.(type) {
		case *List, *Ref:
			b.errorf(kp, "key %q has type %s; grouping keys must be scalars, timestamps, dates or enums", k, f.Type)
		}
		res.Fields = append(res.Fields, copyField(f, k, b.pos(kp)))
	}
	if w := g.Window; w != nil {
		wp := path + ".window"
		win := &Window{Column: w.Column, Size: time.Duration(w.Size), Slide: time.Duration(w.Slide), Gap: time.Duration(w.Gap), StartOffset: time.Duration(w.StartOffset), Pos: b.pos(wp)}
		if f := b.field(wp+".column", w.Column, in); f != nil {
			b.wantTimestamp(wp+".column", "window", f)
		}
		switch {
		case b.f.Has(wp + ".gap"):
			win.Kind = Session
			for _, k := range []string{"size", "slide", "startOffset"} {
				if b.f.Has(wp + "." + k) {
					b.keyErrorf(wp+"."+k, "a session window (gap) has no %s", k)
				}
			}
			if win.Gap <= 0 {
				b.errorf(wp+".gap", "gap must be positive")
			}
		case !b.f.Has(wp + ".size"):
			b.errorf(wp, "window: want size (tumbling, sliding with slide) or gap (session)")
		default:
			win.Kind = Tumbling
			if win.Size <= 0 {
				b.errorf(wp+".size", "size must be positive")
			}
			period := win.Size
			if b.f.Has(wp + ".slide") {
				win.Kind = Sliding
				period = win.Slide
				switch {
				case win.Slide <= 0:
					b.errorf(wp+".slide", "slide must be positive")
				case win.Slide > win.Size:
					b.errorf(wp+".slide", "slide %s is longer than size %s", win.Slide, win.Size)
				case win.Slide == win.Size:
					win.Kind = Tumbling
				}
			}
			if period > 0 && win.StartOffset >= period {
				b.errorf(wp+".startOffset", "startOffset %s must be less than the window's %s %s", win.StartOffset, map[bool]string{true: "slide", false: "size"}[win.Kind == Sliding], period)
			}
		}
		a.Window = win
		for _, n := range []string{WindowStartField, WindowEndField} {
			if names[n] {
				b.errorf(wp, "key %q clashes with the window's %s column", n, n)
			}
			names[n] = true
			res.Fields = append(res.Fields, &Field{Name: n, Type: &Timestamp{Unit: RFC3339}, Required: true, Pos: win.Pos})
		}
	}
	if len(g.Keys) == 0 && g.Window == nil {
		b.errorf(path, "groupBy: want keys, a window, or both")
	}
	if len(aggs) == 0 {
		b.errorf(path, "groupBy needs aggregate: {count: count()}")
	}
	for _, ag := range aggs {
		ap := stepPath + ".aggregate." + ag.As
		agg := b.aggregate(ap, ag, in)
		if agg == nil {
			continue
		}
		if names[ag.As] {
			b.diags.Add(b.f.KeyPos(ap), ap, "aggregate %q clashes with a key or window column", ag.As)
			continue
		}
		if !isIdent(ag.As) {
			b.diags.Add(b.f.KeyPos(ap), ap, "field name %q is not usable in expressions: use letters, digits and underscores", ag.As)
		}
		names[ag.As] = true
		a.Aggs = append(a.Aggs, agg)
		if agg.Type != nil {
			res.Fields = append(res.Fields, &Field{Name: ag.As, Type: agg.Type, Required: true, Nullable: aggNullable(agg, in), Pos: agg.Pos})
		}
	}
	b.p.Records = append(b.p.Records, res)
	if in == nil {
		b.rows = nil
		return
	}
	b.rows = res
}

// aggNullable reports whether the result of agg over rows of in can be
// null, as in Spark: the counts never are (0 for no values); sum, avg,
// min, max, first and last are null for a group without a non-null value
// of their field, which can happen exactly when the field is nullable or
// not required. Each group has at least one row, so over a required,
// non-nullable field they are never null.
func aggNullable(agg *Agg, in *Record) bool {
	switch agg.Func {
	case AggSum, AggAvg, AggMin, AggMax, AggFirst, AggLast:
	default:
		return false
	}
	if in == nil {
		return false
	}
	f := in.Field(agg.Field)
	return f != nil && (f.Nullable || !f.Required)
}

// aggregate parses and types one aggregate call "fn(field)".
func (b *pipelineBuilder) aggregate(path string, ag spec.Aggregate, in *Record) *Agg {
	agg := &Agg{As: ag.As, Pos: b.pos(path)}
	src := strings.TrimSpace(ag.Expr)
	open := strings.IndexByte(src, '(')
	if open <= 0 || !strings.HasSuffix(src, ")") {
		b.errorf(path, "invalid aggregate %q (want a call like count() or max(time))", ag.Expr)
		return nil
	}
	fn := strings.TrimSpace(src[:open])
	arg := strings.TrimSpace(src[open+1 : len(src)-1])
	funcs := make([]string, len(AggFuncs))
	for i, f := range AggFuncs {
		funcs[i] = string(f)
	}
	if !slices.Contains(funcs, fn) {
		b.diags.AddHint(b.pos(path), path, diag.DidYouMean(fn, funcs), "unknown aggregate function %q (want %s)", fn, orList(funcs))
		return nil
	}
	agg.Func = AggFunc(fn)
	if strings.Contains(arg, ",") || (arg != "" && !isIdent(arg)) {
		b.errorf(path, "%s takes one field name, got %q", fn, arg)
		return nil
	}
	if arg == "" {
		if agg.Func != AggCount {
			b.errorf(path, "%s needs a field: %s(field)", fn, fn)
			return nil
		}
		agg.Type = &Scalar{Kind: Int64}
		return agg
	}
	agg.Field = arg
	argPos := b.f.OffsetPos(path, strings.Index(ag.Expr, arg))
	if in == nil {
		return agg
	}
	f := in.Field(arg)
	if f == nil {
		b.diags.AddHint(argPos, path, diag.DidYouMean(arg, in.FieldNames()), "unknown field %q in record %s", arg, in.Name)
		return agg
	}
	switch f.Type.(type) {
	case *List, *Ref:
		b.diags.Add(argPos, path, "%s of %q: field has type %s; aggregates take scalars, timestamps, dates or enums", fn, arg, f.Type)
		return agg
	}
	switch agg.Func {
	case AggCount, AggCountDistinct, AggApproxCountDistinct:
		agg.Type = &Scalar{Kind: Int64}
	case AggSum, AggAvg:
		s, ok := f.Type.(*Scalar)
		if !ok || (s.Kind != Int32 && s.Kind != Int64 && s.Kind != Float64) {
			b.diags.Add(argPos, path, "%s of %q: field has type %s, want a number", fn, arg, f.Type)
			return agg
		}
		switch {
		case agg.Func == AggAvg || s.Kind == Float64:
			agg.Type = &Scalar{Kind: Float64}
		default:
			agg.Type = &Scalar{Kind: Int64}
		}
	case AggMin, AggMax:
		if s, ok := f.Type.(*Scalar); ok && s.Kind == Bool {
			b.diags.Add(argPos, path, "%s of %q: field has type bool, which has no order", fn, arg)
			return agg
		}
		agg.Type = f.Type
	default: // first, last
		agg.Type = f.Type
	}
	return agg
}

// --- sink, trigger ---

func (b *pipelineBuilder) sink(s *spec.Sink) *Sink {
	kinds := b.oneOf("sink", []string{"delta", "memory", "console", "kafka", "foreachBatch"}, false, "sink")
	if len(kinds) == 0 {
		return nil
	}
	path := "sink." + kinds[0]
	sk := &Sink{Kind: SinkKind(kinds[0]), Pos: b.pos(path)}
	var opts spec.SinkOptions
	switch {
	case s.Delta != nil && sk.Kind == SinkDelta:
		opts = s.Delta.SinkOptions
		sk.Delta = &DeltaSink{Path: s.Delta.Path, PartitionBy: s.Delta.PartitionBy, TargetFileSize: int64(s.Delta.TargetFileSize), MergeSchema: s.Delta.MergeSchema}
		if sk.Delta.TargetFileSize == 0 {
			sk.Delta.TargetFileSize = DefaultTargetFileSize
		}
		for i, c := range s.Delta.PartitionBy {
			cp := fmt.Sprintf("%s.partitionBy[%d]", path, i)
			if f := b.field(cp, c, b.rows); f != nil {
				switch f.Type.(type) {
				case *List, *Ref:
					b.errorf(cp, "partition column %q has type %s; partition columns must be scalars, dates, timestamps or enums", c, f.Type)
				}
			}
		}
	case s.Memory != nil && sk.Kind == SinkMemory:
		opts = s.Memory.SinkOptions
		sk.Memory = &MemorySink{Name: s.Memory.Name}
		if sk.Memory.Name == "" {
			sk.Memory.Name = b.p.Name
		}
	case s.Console != nil && sk.Kind == SinkConsole:
		opts = s.Console.SinkOptions
		sk.Console = &ConsoleSink{NumRows: s.Console.NumRows, Truncate: s.Console.Truncate == nil || *s.Console.Truncate}
		if sk.Console.NumRows == 0 {
			sk.Console.NumRows = DefaultConsoleNumRows
		}
	case s.Kafka != nil && sk.Kind == SinkKafka:
		ks := s.Kafka
		opts = ks.SinkOptions
		sk.Kafka = &KafkaSink{BootstrapServers: ks.BootstrapServers, Topic: ks.Topic, Key: ks.Key, ExactlyOnce: ks.ExactlyOnce, Conn: b.kafkaConn(path, ks.TLS, ks.SASL)}
		b.checkServers(path+".bootstrapServers", ks.BootstrapServers)
		if ks.Key != "" {
			b.field(path+".key", ks.Key, b.rows)
		}
		sk.Kafka.Headers = b.kafkaHeaders(path+".headers", ks.Headers)
	case s.ForeachBatch != nil && sk.Kind == SinkForeachBatch:
		opts = s.ForeachBatch.SinkOptions
		sk.Foreach = &ForeachBatchSink{}
		if fn := b.goFunc(path+".func", s.ForeachBatch.Func); fn != nil {
			sk.Foreach.Func = b.foreachSignature(path+".func", fn, b.rows)
		}
	default:
		return nil
	}
	sk.OutputMode = OutputMode(opts.OutputMode)
	sk.ModePos = b.pos(path + ".outputMode")
	if sk.OutputMode == "" {
		sk.OutputMode = Append
	}
	return sk
}

// kafkaHeaders checks a Kafka sink's headers (name → field of the
// output record) and returns them sorted by name. Each problem is
// reported at the header: an empty name at its key, an unknown field or
// one that has no text (a list or a record) at its value.
func (b *pipelineBuilder) kafkaHeaders(path string, headers map[string]string) []KafkaHeader {
	names := slices.Sorted(maps.Keys(headers))
	out := make([]KafkaHeader, 0, len(names))
	for _, name := range names {
		hp := path + "." + name
		if name == "" {
			b.keyErrorf(hp, "a header name cannot be empty")
			continue
		}
		if b.f.HasError(hp) {
			continue // not a field name: the loader said so
		}
		col := headers[name]
		f := b.field(hp, col, b.rows)
		if f == nil {
			continue
		}
		switch f.Type.(type) {
		case *List, *Ref:
			b.errorf(hp, "header %q: field %q has type %s; a header value must be a string, number, boolean, timestamp, date or enum field", name, col, f.Type)
			continue
		}
		out = append(out, KafkaHeader{Name: name, Field: col, Pos: b.pos(hp)})
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func (b *pipelineBuilder) trigger(t *spec.Trigger) Trigger {
	tr := Trigger{Kind: TriggerDefault, Pos: b.pos("trigger")}
	if t == nil {
		return tr
	}
	set := b.oneOf("trigger", []string{"processingTime", "once", "availableNow"}, true, "trigger")
	if len(set) == 0 {
		return tr
	}
	switch set[0] {
	case "processingTime":
		tr.Kind, tr.Interval = TriggerProcessingTime, time.Duration(t.ProcessingTime)
		if tr.Interval <= 0 {
			b.errorf("trigger.processingTime", "processingTime must be positive")
		}
	case "once":
		if t.Once {
			tr.Kind = TriggerOnce
		}
	case "availableNow":
		if t.AvailableNow {
			tr.Kind = TriggerAvailableNow
		}
	}
	tr.Pos = b.pos("trigger." + set[0])
	return tr
}
