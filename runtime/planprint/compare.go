package planprint

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/streamgen/streamgen/runtime/delta"
)

// Ways forward, shared by the rules (see doc.go).
const (
	wfCheckpoint = "start a new checkpoint (--checkpoint DIR), which reads the input afresh from the sources' " +
		"starting offsets (write its output to a new table, or backfill the old one), or revert the change"
	wfState = "start a new checkpoint (--checkpoint DIR) to rebuild the state from the sources' starting offsets, " +
		"writing to a new table or backfilling the old one (overwrite it from the new checkpoint's first run), or revert the change"
	wfStateVersion = "run this checkpoint with the streamgen release that generated the running code, " +
		"or start a new checkpoint (--checkpoint DIR) and backfill the table from it"
	wfNewTable = "write to a new table (a new sink path) from a new checkpoint, or backfill: " +
		"replace the table with one of the new shape and refill it from a new checkpoint"
)

// Rules are the options of a comparison. The zero value is what
// streamgen's runtime supports; Compare uses it.
type Rules struct {
	// TypeWidening says the Delta writer supports the typeWidening table
	// feature, so a column may widen in place (byte→short→integer→long,
	// float→double, decimal widening, date→timestamp_ntz). streamgen's
	// writer does not yet: widening is refused.
	TypeWidening bool
}

// Compare compares the plan recorded in a checkpoint (old, nil for a new
// checkpoint) with the plan about to run (cur, never nil) and, when cur's
// sink is a Delta table that exists, with the table's schema (table, nil
// when there is no table yet). See the package documentation for the
// rules. It uses the zero Rules.
func Compare(old, cur *Plan, table *delta.StructType) Verdict {
	return Rules{}.Compare(old, cur, table)
}

// Compare is Compare under rules r.
func (r Rules) Compare(old, cur *Plan, table *delta.StructType) Verdict {
	c := &comparer{r: r, old: old, cur: cur}
	if old != nil {
		c.pipeline()
		c.sources()
		c.steps()
		c.operators()
		c.outputMode()
		c.sink()
	}
	c.columns(table)
	return Verdict{Changes: c.changes}
}

type comparer struct {
	r        Rules
	old, cur *Plan
	changes  []Change
	// stateRefused is set once a stateful change is refused, so a
	// differing state fingerprint is not reported again.
	stateRefused bool
}

func (c *comparer) add(ch Change) {
	if !ch.Pos.IsValid() {
		ch.Pos = c.cur.Pos
	}
	c.changes = append(c.changes, ch)
}

func (c *comparer) pipeline() {
	if c.old.Pipeline != c.cur.Pipeline {
		c.add(Change{Kind: Allowed, What: "pipeline name", Old: c.old.Pipeline, New: c.cur.Pipeline, Pos: c.cur.Pos,
			Why: "the checkpoint does not depend on the name"})
	}
}

// sources applies the source rules: count, kind and identity refused,
// options and record schema allowed.
func (c *comparer) sources() {
	os, ns := c.old.Sources, c.cur.Sources
	if len(os) != len(ns) {
		pos := c.cur.Pos
		if len(ns) > len(os) {
			pos = ns[len(os)].Pos
		} else {
			pos = pick(os[len(ns)].Pos, pos)
		}
		c.add(Change{Kind: Refused, What: "source count", Old: sourceList(os), New: sourceList(ns), Pos: pos,
			Why:        "the checkpoint records offsets per source, by position (Spark: the number of input sources cannot change)",
			WayForward: wfCheckpoint})
	}
	for i := range min(len(os), len(ns)) {
		o, n := os[i], ns[i]
		what := fmt.Sprintf("source %d", i)
		if o.Kind != n.Kind {
			c.add(Change{Kind: Refused, What: what + " kind", Old: string(o.Kind), New: string(n.Kind), Pos: n.Pos,
				Why:        fmt.Sprintf("the checkpoint's offsets of a %s source mean nothing to a %s source (Spark: the type of an input source cannot change)", o.Kind, n.Kind),
				WayForward: wfCheckpoint})
			continue
		}
		for _, id := range identityDiff(o, n) {
			c.add(Change{Kind: Refused, What: what + " " + id[0], Old: id[1], New: id[2], Pos: n.Pos,
				Why:        "the checkpoint's offsets are of the old input (Spark: changes to subscribed topics or files are not allowed)",
				WayForward: wfCheckpoint})
		}
		c.options(what+" option", o.Options, n.Options, n.Pos, "source options such as rate limits may change between restarts")
		c.recordDiff(what+" column", o.Schema, n.Schema, n.Pos, Allowed,
			"rows read from now on are decoded with the new schema; input it rejects follows the onMalformed policy")
	}
}

func sourceList(ss []Source) string {
	kinds := make([]string, len(ss))
	for i, s := range ss {
		kinds[i] = string(s.Kind)
	}
	return fmt.Sprintf("%d [%s]", len(ss), strings.Join(kinds, ", "))
}

// identityDiff returns (what, old, new) for each differing part of two
// sources' identities (same kind).
func identityDiff(o, n Source) [][3]string {
	var out [][3]string
	diff := func(what, a, b string) {
		if a != b {
			out = append(out, [3]string{what, a, b})
		}
	}
	switch n.Kind {
	case SourceFiles:
		diff("format", o.Format, n.Format)
		diff("path", o.Path, n.Path)
	case SourceDelta:
		diff("table", o.Path, n.Path)
	case SourceKafka:
		diff("subscription", subscription(o), subscription(n))
	}
	return out
}

// subscription describes a Kafka source's topics.
func subscription(s Source) string {
	switch {
	case s.SubscribePattern != "":
		return "subscribePattern " + s.SubscribePattern
	case len(s.Assign) > 0:
		tps := slices.Clone(s.Assign)
		slices.SortFunc(tps, func(a, b TopicPartitions) int { return strings.Compare(a.Topic, b.Topic) })
		parts := make([]string, len(tps))
		for i, tp := range tps {
			ps := slices.Clone(tp.Partitions)
			slices.Sort(ps)
			nums := make([]string, len(ps))
			for j, p := range ps {
				nums[j] = fmt.Sprint(p)
			}
			parts[i] = tp.Topic + ":" + strings.Join(nums, ",")
		}
		return "assign [" + strings.Join(parts, " ") + "]"
	}
	return "subscribe [" + strings.Join(sorted(s.Subscribe), ", ") + "]"
}

// startOptions only matter to a new checkpoint.
var startOptions = map[string]bool{
	"startingOffsets": true, "startingTimestamp": true, "startingVersion": true,
}

// options reports each changed option as allowed.
func (c *comparer) options(what string, o, n map[string]string, pos Pos, why string) {
	keys := slices.Sorted(maps.Keys(o))
	for k := range n {
		if _, ok := o[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range slices.Compact(keys) {
		ov, oin := o[k]
		nv, nin := n[k]
		if oin == nin && ov == nv {
			continue
		}
		w := why
		if startOptions[k] {
			w = "a restarted query resumes from its checkpoint's offsets: starting options apply to a new checkpoint only"
		}
		c.add(Change{Kind: Allowed, What: what + " " + k, Old: ov, New: nv, Pos: pos, Why: w})
	}
}

// recordDiff reports, with kind k, each column added, removed or changed
// between two records.
func (c *comparer) recordDiff(what string, o, n []Field, pos Pos, k Kind, why string) {
	for _, of := range o {
		if _, i := field(n, of.Name); i < 0 {
			c.add(Change{Kind: k, What: what + " " + of.Name, Old: shape(of), Pos: pick(of.Pos, pos), Why: why})
		}
	}
	for _, nf := range n {
		of, i := field(o, nf.Name)
		if i < 0 {
			c.add(Change{Kind: k, What: what + " " + nf.Name, New: shape(nf), Pos: pick(nf.Pos, pos), Why: why})
			continue
		}
		if of.Nullable != nf.Nullable || !of.Type.equal(nf.Type) {
			c.add(Change{Kind: k, What: what + " " + nf.Name, Old: shape(of), New: shape(nf), Pos: pick(nf.Pos, pos), Why: why})
		}
	}
}

// shape is a column's type and nullability, for Old and New: "double",
// "string (nullable)".
func shape(f Field) string {
	s := f.Type.String()
	if f.Nullable {
		s += " (nullable)"
	}
	return s
}

func field(fs []Field, name string) (Field, int) {
	for i, f := range fs {
		if f.Name == name {
			return f, i
		}
	}
	return Field{}, -1
}

func fieldFold(fs []Field, name string) (Field, bool) {
	for _, f := range fs {
		if strings.EqualFold(f.Name, name) {
			return f, true
		}
	}
	return Field{}, false
}

// pick returns p, or def when p is not valid.
func pick(p, def Pos) Pos {
	if p.IsValid() {
		return p
	}
	return def
}

// steps reports changed row-at-a-time steps, all allowed.
func (c *comparer) steps() {
	const why = "filters, projections and map steps may change between restarts"
	os, ns := c.old.Steps, c.cur.Steps
	if len(os) != len(ns) {
		c.add(Change{Kind: Allowed, What: "steps", Old: stepList(os), New: stepList(ns), Pos: c.cur.Pos, Why: why})
		return
	}
	for i := range ns {
		if os[i].Op != ns[i].Op || os[i].Text != ns[i].Text {
			c.add(Change{Kind: Allowed, What: fmt.Sprintf("step %d (%s)", i, ns[i].Op), Old: stepText(os[i]), New: stepText(ns[i]),
				Pos: ns[i].Pos, Why: why})
		}
	}
}

func stepText(s Step) string { return s.Op + " " + s.Text }

func stepList(ss []Step) string {
	if len(ss) == 0 {
		return ""
	}
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = stepText(s)
	}
	return "[" + strings.Join(parts, "; ") + "]"
}

// operators applies the stateful operator rules.
func (c *comparer) operators() {
	os, ns := c.old.Operators, c.cur.Operators
	if len(os) != len(ns) {
		pos := c.cur.Pos
		switch {
		case len(ns) > len(os):
			pos = ns[len(os)].Pos
		case len(os) > len(ns):
			pos = pick(os[len(ns)].Pos, pos)
		}
		c.add(Change{Kind: Refused, What: "stateful operators", Old: operatorList(os), New: operatorList(ns), Pos: pos,
			Why:        "the checkpoint holds state for the old operators only (Spark: stateful operations cannot be added or removed)",
			WayForward: wfState})
		c.stateRefused = true
	}
	for i := range min(len(os), len(ns)) {
		c.operator(i, os[i], ns[i])
	}
}

func operatorList(os []Operator) string {
	kinds := make([]string, len(os))
	for i, o := range os {
		kinds[i] = string(o.Kind)
	}
	return fmt.Sprintf("%d [%s]", len(os), strings.Join(kinds, ", "))
}

func (c *comparer) operator(i int, o, n Operator) {
	prefix := ""
	if len(c.cur.Operators) > 1 {
		prefix = fmt.Sprintf("operator %d ", i)
	}
	refuse := func(what, old, nw string, pos Pos, why, wf string) {
		c.add(Change{Kind: Refused, What: prefix + what, Old: old, New: nw, Pos: pick(pos, n.Pos), Why: why, WayForward: wf})
		c.stateRefused = true
	}
	if o.Kind != n.Kind {
		refuse("kind", string(o.Kind), string(n.Kind), n.Pos, "the checkpoint holds the state of another operator", wfState)
		return
	}
	if !fieldsEqual(o.Keys, n.Keys) {
		refuse("grouping keys", keyList(o.Keys), keyList(n.Keys), keysPos(n), "the state of the checkpoint is keyed by the old keys", wfState)
	}
	if !windowEqual(o.Window, n.Window) {
		pos := n.Pos
		if n.Window != nil {
			pos = n.Window.Pos
		}
		refuse("window", windowText(o.Window), windowText(n.Window), pos, "the state of the checkpoint is keyed by the old windows", wfState)
	}
	c.aggregates(o.Aggregates, n.Aggregates, n.Pos, refuse)
	c.watermark(o.Watermark, n.Watermark, n.Pos, prefix, refuse)
	if o.StateVersion != n.StateVersion {
		why := fmt.Sprintf("the checkpoint's state is encoded with version %d, and this build decodes version %d only",
			o.StateVersion, n.StateVersion)
		if o.StateVersion > n.StateVersion {
			why = fmt.Sprintf("the checkpoint's state is encoded with version %d, written by a newer streamgen; this build decodes version %d only",
				o.StateVersion, n.StateVersion)
		}
		refuse("state encoding", fmt.Sprintf("v%d", o.StateVersion), fmt.Sprintf("v%d", n.StateVersion), n.Pos, why, wfStateVersion)
	}
	if o.StateFingerprint != n.StateFingerprint && !c.stateRefused {
		refuse("state layout", o.StateFingerprint, n.StateFingerprint, n.Pos,
			"the state store would refuse the checkpoint's state files, written for another key and state layout (a key, aggregate, result column or type name changed)",
			wfState)
	}
}

func keysPos(o Operator) Pos {
	if len(o.Keys) > 0 {
		return o.Keys[0].Pos
	}
	return o.Pos
}

func keyList(ks []Field) string {
	parts := make([]string, len(ks))
	for i, k := range ks {
		parts[i] = k.String()
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func (c *comparer) aggregates(os, ns []Aggregate, opPos Pos, refuse func(what, old, nw string, pos Pos, why, wf string)) {
	const why = "the state of the checkpoint holds the accumulators of the old aggregates"
	if len(os) != len(ns) {
		pos := opPos
		if len(ns) > len(os) {
			pos = ns[len(os)].Pos
		}
		refuse("aggregates", aggList(os), aggList(ns), pos, why, wfState)
		return
	}
	for i := range ns {
		if !aggEqual(os[i], ns[i]) {
			refuse("aggregate "+ns[i].Name, aggText(os[i]), aggText(ns[i]), ns[i].Pos, why, wfState)
		}
	}
}

func aggEqual(a, b Aggregate) bool {
	return a.Func == b.Func && a.Input == b.Input && a.Name == b.Name && a.Nullable == b.Nullable && a.Type.equal(b.Type)
}

// aggCall renders an aggregate's call: count(*), count(distinct x),
// sum(x).
func aggCall(a Aggregate) string {
	switch {
	case a.Func == "count" && a.Input == "":
		return "count(*)"
	case a.Func == "count_distinct":
		return "count(distinct " + a.Input + ")"
	}
	return a.Func + "(" + a.Input + ")"
}

func aggText(a Aggregate) string {
	return aggCall(a) + " as " + Field{Name: a.Name, Type: a.Type, Nullable: a.Nullable}.String()
}

func aggList(as []Aggregate) string {
	parts := make([]string, len(as))
	for i, a := range as {
		parts[i] = aggText(a)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func windowEqual(a, b *Window) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Kind == b.Kind && a.Column == b.Column && a.Size == b.Size && a.Slide == b.Slide &&
		a.Gap == b.Gap && a.StartOffset == b.StartOffset
}

// windowText renders a window: "tumbling 10m over time", "sliding 10m
// every 5m over time", "session gap 5m over time", plus " offset 2m".
func windowText(w *Window) string {
	if w == nil {
		return ""
	}
	var s string
	switch w.Kind {
	case Tumbling:
		s = "tumbling " + w.Size.String()
	case Sliding:
		s = "sliding " + w.Size.String() + " every " + w.Slide.String()
	case Session:
		s = "session gap " + w.Gap.String()
	default:
		s = string(w.Kind)
	}
	s += " over " + w.Column
	if w.StartOffset != 0 {
		s += " offset " + w.StartOffset.String()
	}
	return s
}

func watermarkText(w *Watermark) string {
	if w == nil {
		return ""
	}
	return w.Column + " delay " + w.Delay.String()
}

func (c *comparer) watermark(o, n *Watermark, opPos Pos, prefix string, refuse func(what, old, nw string, pos Pos, why, wf string)) {
	pos := opPos
	if n != nil {
		pos = pick(n.Pos, opPos)
	} else if o != nil {
		pos = pick(o.Pos, opPos)
	}
	switch {
	case o == nil && n == nil:
	case o == nil:
		c.add(Change{Kind: Allowed, What: prefix + "watermark", New: watermarkText(n), Pos: pos,
			Why: "state is evicted by the watermark from the next batch on"})
	case n == nil:
		c.add(Change{Kind: Allowed, What: prefix + "watermark", Old: watermarkText(o), Pos: pos,
			Why: "state is no longer evicted and grows with every key"})
	case o.Column != n.Column:
		refuse("watermark column", watermarkText(o), watermarkText(n), pos,
			"the checkpoint's watermark, which evicts the state, was computed from the old column", wfState)
	case o.Delay != n.Delay:
		c.add(Change{Kind: Allowed, What: prefix + "watermark delay", Old: o.Delay.String(), New: n.Delay.String(), Pos: pos,
			Why: "the checkpoint's watermark never moves back; the new delay applies from the next batch"})
	}
}

func (c *comparer) outputMode() {
	o, n := c.old.OutputMode, c.cur.OutputMode
	if o == n {
		return
	}
	pos := pick(c.cur.OutputModePos, c.cur.Sink.Pos)
	if len(c.old.Operators) > 0 || len(c.cur.Operators) > 0 {
		c.add(Change{Kind: Refused, What: "output mode", Old: string(o), New: string(n), Pos: pos,
			Why:        "the aggregation's state and the rows already written follow the old mode: rows would be written twice or never",
			WayForward: wfState})
		return
	}
	c.add(Change{Kind: Allowed, What: "output mode", Old: string(o), New: string(n), Pos: pos,
		Why: "a query without state writes each row once in any mode"})
}

// sink applies the sink rules (the table's columns are columns').
func (c *comparer) sink() {
	o, n := c.old.Sink, c.cur.Sink
	switch {
	case o.Kind != n.Kind && n.Kind == SinkDelta:
		c.add(Change{Kind: Refused, What: "sink kind", Old: sinkText(o), New: sinkText(n), Pos: n.Pos,
			Why: "the table would lack the rows of the batches before this restart " +
				"(Spark: a Kafka sink cannot become a file sink)",
			WayForward: "start a new checkpoint (--checkpoint DIR) so the table gets every row, or revert the change"})
		return
	case o.Kind != n.Kind:
		c.add(Change{Kind: Allowed, What: "sink kind", Old: sinkText(o), New: sinkText(n), Pos: n.Pos,
			Why: "the new sink gets the rows of the batches from now on (Spark: a file sink may become a Kafka sink, a Kafka sink a foreach sink)"})
	case n.Kind == SinkDelta && o.Table != n.Table:
		c.add(Change{Kind: Refused, What: "sink table", Old: o.Table, New: n.Table, Pos: n.Pos,
			Why: "the table at the new location would lack the rows of earlier batches " +
				"(Spark: a file sink's output directory cannot change)",
			WayForward: "keep the old location, or copy the old table to the new one before restarting (backfill), " +
				"or start a new checkpoint (--checkpoint DIR) so the new table gets every row"})
		return
	}
	if n.Kind == SinkDelta && o.Kind == SinkDelta && !slices.Equal(o.PartitionBy, n.PartitionBy) {
		c.add(Change{Kind: Refused, What: "sink partitionBy", Old: list(o.PartitionBy), New: list(n.PartitionBy), Pos: n.Pos,
			Why:        "a Delta table's partition columns cannot change in place",
			WayForward: wfNewTable})
	}
	if o.Kind == n.Kind && o.MergeSchema != n.MergeSchema {
		c.add(Change{Kind: Allowed, What: "sink option mergeSchema", Old: fmt.Sprint(o.MergeSchema), New: fmt.Sprint(n.MergeSchema),
			Pos: n.Pos, Why: "sink options may change between restarts"})
	}
	if o.Kind == n.Kind {
		c.options("sink option", o.Options, n.Options, n.Pos, "sink options may change between restarts")
	}
}

func sinkText(s Sink) string {
	if s.Kind == SinkDelta {
		return "delta " + s.Table
	}
	if t := s.Options["topic"]; s.Kind == SinkKafka && t != "" {
		return "kafka topic " + t
	}
	return string(s.Kind)
}

func list(s []string) string {
	if len(s) == 0 {
		return "[]"
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// columns applies the output's column rules: against the table when
// there is one, else against the recorded output.
func (c *comparer) columns(table *delta.StructType) {
	n := c.cur.Sink
	var o *Sink
	if c.old != nil {
		o = &c.old.Sink
	}
	switch {
	case n.Kind == SinkDelta && table != nil:
		c.tableColumns(FieldsOf(table), o)
	case o == nil:
	case n.Kind == SinkDelta && (o.Kind != SinkDelta || o.Table == n.Table):
		c.recordDiff("column", o.Schema, n.Schema, n.Pos, Allowed,
			"the table does not exist yet: the first commit creates it with the new schema")
	case n.Kind != SinkDelta:
		c.recordDiff("column", o.Schema, n.Schema, n.Pos, Allowed,
			fmt.Sprintf("the %s sink has no table schema to match", n.Kind))
	}
}

func (c *comparer) tableColumns(table []Field, o *Sink) {
	n := c.cur.Sink
	// oldPos finds where a column was in the recorded output.
	oldPos := func(name string) Pos {
		if o != nil {
			if f, i := field(o.Schema, name); i >= 0 && f.Pos.IsValid() {
				return f.Pos
			}
		}
		return n.Pos
	}
	for _, tf := range table {
		nf, i := field(n.Schema, tf.Name)
		if i < 0 {
			if alt, ok := fieldFold(n.Schema, tf.Name); ok {
				c.add(Change{Kind: Refused, What: "column " + alt.Name, Old: tf.String(), New: alt.String(), Pos: pick(alt.Pos, n.Pos),
					Why:        fmt.Sprintf("Delta column names are case-insensitive, and the table spells it %s", tf.Name),
					WayForward: "name the output column " + tf.Name + " as the table does, or " + wfNewTable})
				continue
			}
			c.add(Change{Kind: Refused, What: "column " + tf.Name, Old: shape(tf), Pos: oldPos(tf.Name),
				Why:        "the table has the column and streamgen's Delta writer writes every table column (it does not fill in nulls)",
				WayForward: "keep the column in the output, or " + wfNewTable})
			continue
		}
		if tf.Type.String() != nf.Type.String() {
			c.typeChange(tf, nf)
			continue
		}
		if !tf.Nullable && nf.Nullable {
			c.add(Change{Kind: Refused, What: "column " + nf.Name, Old: shape(tf), New: shape(nf), Pos: pick(nf.Pos, n.Pos),
				Why: "the table's column is NOT NULL, and the output may hold nulls",
				WayForward: "make the output column required and not nullable, or drop the table's constraint " +
					"(ALTER TABLE … ALTER COLUMN " + nf.Name + " DROP NOT NULL)"})
		}
	}
	for _, nf := range n.Schema {
		if _, i := field(table, nf.Name); i >= 0 {
			continue
		}
		if _, ok := fieldFold(table, nf.Name); ok {
			continue // reported above
		}
		pos := pick(nf.Pos, n.Pos)
		switch {
		case !nf.Nullable:
			c.add(Change{Kind: Refused, What: "column " + nf.Name, New: shape(nf), Pos: pos,
				Why:        "the column is not nullable, and the rows already in the table have no value for it",
				WayForward: "make the field nullable (optional in its schema) so rows written before read it as null, or " + wfNewTable})
		case !n.MergeSchema:
			c.add(Change{Kind: Refused, What: "column " + nf.Name, New: shape(nf), Pos: pos,
				Why:        "the table lacks the column and the sink's mergeSchema is off",
				WayForward: "set mergeSchema: true on the sink so the commit adds the column, or " + wfNewTable})
		default:
			c.add(Change{Kind: AllowedWithTableEvolution, What: "column " + nf.Name, New: shape(nf), Pos: pos,
				Why: "the next commit adds the nullable column to the table's schema (mergeSchema); rows written before read it as null"})
		}
	}
}

// typeChange classifies a column whose output type differs from the
// table's.
func (c *comparer) typeChange(tf, nf Field) {
	n := c.cur.Sink
	ch := Change{Kind: Refused, What: "column " + nf.Name, Old: shape(tf), New: shape(nf), Pos: pick(nf.Pos, n.Pos)}
	from, to := tf.Type, nf.Type
	castBack := fmt.Sprintf("produce the table's type %s (convert in a select step), or ", from)
	switch w := widening(from, to); {
	case w == widenAuto && c.r.TypeWidening && n.MergeSchema:
		ch.Kind = AllowedWithTableEvolution
		ch.Why = fmt.Sprintf("the next commit widens the column from %s to %s (Delta type widening, mergeSchema)", from, to)
	case w == widenAuto && c.r.TypeWidening:
		ch.Why = fmt.Sprintf("widening %s to %s needs the sink's mergeSchema", from, to)
		ch.WayForward = "set mergeSchema: true on the sink, or " + castBack + wfNewTable
	case w != widenNone && c.r.TypeWidening:
		ch.Why = fmt.Sprintf("Delta widens %s to %s only by an explicit ALTER TABLE, never by schema evolution", from, to)
		ch.WayForward = fmt.Sprintf("run ALTER TABLE … ALTER COLUMN %s TYPE %s first, or ", nf.Name, to) + castBack + wfNewTable
	case w != widenNone:
		ch.Why = fmt.Sprintf("widening %s to %s needs Delta's typeWidening table feature, which streamgen's Delta writer does not support", from, to)
		ch.WayForward = castBack + wfNewTable
	case widening(to, from) != widenNone:
		ch.Why = fmt.Sprintf("the output narrows the table's %s to %s, and streamgen's Delta writer writes a column's exact type", from, to)
		ch.WayForward = castBack + wfNewTable
	default:
		ch.Why = fmt.Sprintf("a column's type cannot change from %s to %s", from, to)
		ch.WayForward = castBack + wfNewTable
	}
	c.add(ch)
}

type widen int

const (
	widenNone   widen = iota
	widenAuto         // by schema evolution (mergeSchema)
	widenManual       // by ALTER TABLE only
)

var integerRank = map[string]int{"byte": 1, "short": 2, "integer": 3, "long": 4}

// integerDigits are the decimal digits each integer type needs: the
// smallest decimal it widens to is decimal(digits, 0).
var integerDigits = map[string]int{"byte": 3, "short": 5, "integer": 10, "long": 20}

// widening says whether Delta's type widening (Delta 4.0) turns from
// into to, and how: see the package documentation's table.
func widening(from, to Type) widen {
	if !from.IsPrimitive() || !to.IsPrimitive() || from.Name == to.Name {
		return widenNone
	}
	fr, fint := integerRank[from.Name]
	tr, tint := integerRank[to.Name]
	tp, ts, tdec := to.decimal()
	switch {
	case fint && tint && tr > fr:
		return widenAuto
	case fint && fr < 4 && to.Name == "double":
		return widenManual
	case fint && tdec && tp-ts >= integerDigits[from.Name]:
		return widenManual
	case from.Name == "float" && to.Name == "double":
		return widenAuto
	case from.Name == "date" && to.Name == "timestamp_ntz":
		return widenAuto
	}
	if fp, fs, ok := from.decimal(); ok && tdec && tp-fp >= ts-fs && ts >= fs {
		return widenAuto
	}
	return widenNone
}
