package planprint

import (
	"fmt"
	"io"
	"strings"
)

// Kind classifies a change between the recorded plan and the new one.
type Kind int

// The kinds of change, from harmless to fatal.
const (
	// Allowed changes need nothing: the query restarts on its checkpoint
	// and table.
	Allowed Kind = iota
	// AllowedWithTableEvolution changes restart on the checkpoint, and
	// the next commit to the Delta table updates its metaData (adds a
	// nullable column, with mergeSchema).
	AllowedWithTableEvolution
	// Refused changes cannot restart on this checkpoint or table.
	Refused
)

func (k Kind) String() string {
	switch k {
	case Allowed:
		return "allowed"
	case AllowedWithTableEvolution:
		return "allowed with table evolution"
	case Refused:
		return "refused"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Change is one difference between the recorded plan (and the table) and
// the new plan.
type Change struct {
	Kind Kind
	// What names the element: "source 0 kind", "grouping keys",
	// "aggregate n", "window", "column temperature".
	What string
	// Old and New are the element's shapes as text; "" when it is absent
	// on that side (rendered "none").
	Old, New string
	// Pos is the element's position in the new spec, or in the old one
	// when it was removed.
	Pos Pos
	// Why says what the change means for the checkpoint or table.
	Why string
	// WayForward says how to proceed; "" for allowed changes.
	WayForward string
}

// String renders the change on one line:
//
//	streamgen.yaml:14:7: grouping keys: refused: [device string] → [device string, site string];
//	the state of the checkpoint is keyed by the old keys. Way forward: start a new checkpoint …
func (c Change) String() string {
	var b strings.Builder
	if s := c.Pos.String(); s != "" {
		b.WriteString(s + ": ")
	}
	fmt.Fprintf(&b, "%s: %s: %s → %s", c.What, c.Kind, orNone(c.Old), orNone(c.New))
	if c.Why != "" {
		b.WriteString("; " + c.Why)
	}
	b.WriteByte('.')
	if c.WayForward != "" {
		b.WriteString(" Way forward: " + c.WayForward + ".")
	}
	return b.String()
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// Verdict is the outcome of Compare: every change found, in plan order
// (pipeline, sources, steps, operators, output mode, sink, table columns).
type Verdict struct {
	Changes []Change
}

// Refused reports whether any change is refused: the query must not
// start.
func (v Verdict) Refused() bool {
	for _, c := range v.Changes {
		if c.Kind == Refused {
			return true
		}
	}
	return false
}

// Of returns the changes of kind k.
func (v Verdict) Of(k Kind) []Change {
	var out []Change
	for _, c := range v.Changes {
		if c.Kind == k {
			out = append(out, c)
		}
	}
	return out
}

// String renders the changes one a line (no trailing newline); "" when
// there is none.
func (v Verdict) String() string {
	lines := make([]string, len(v.Changes))
	for i, c := range v.Changes {
		lines[i] = c.String()
	}
	return strings.Join(lines, "\n")
}

// Report writes the changes one a line, then a summary line when there
// are changes:
//
//	2 changes: 1 refused, 1 allowed: the query cannot restart on this checkpoint and table.
func (v Verdict) Report(w io.Writer) error {
	if len(v.Changes) == 0 {
		return nil
	}
	var b strings.Builder
	for _, c := range v.Changes {
		b.WriteString(c.String() + "\n")
	}
	b.WriteString(v.summary() + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func (v Verdict) summary() string {
	n := [3]int{}
	for _, c := range v.Changes {
		n[c.Kind]++
	}
	var parts []string
	for _, k := range []Kind{Refused, AllowedWithTableEvolution, Allowed} {
		if n[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[k], k))
		}
	}
	s := fmt.Sprintf("%d %s: %s", len(v.Changes), plural(len(v.Changes), "change"), strings.Join(parts, ", "))
	switch {
	case n[Refused] > 0:
		return s + ": the query cannot restart on this checkpoint and table"
	case n[AllowedWithTableEvolution] > 0:
		return s + ": the query restarts, and its next commit evolves the table's schema"
	}
	return s + ": the query restarts on its checkpoint"
}

func plural(n int, s string) string {
	if n == 1 {
		return s
	}
	return s + "s"
}

// Err returns nil when no change is refused, else a *RefusedError.
func (v Verdict) Err() error {
	if !v.Refused() {
		return nil
	}
	return &RefusedError{Verdict: v}
}

// RefusedError says the new plan cannot restart on the recorded one (or
// write to the table). Its message lists the refused changes, one a line.
type RefusedError struct {
	Verdict Verdict
}

func (e *RefusedError) Error() string {
	refused := e.Verdict.Of(Refused)
	var b strings.Builder
	fmt.Fprintf(&b, "planprint: the pipeline changed incompatibly with its checkpoint or table (%d refused %s):",
		len(refused), plural(len(refused), "change"))
	for _, c := range refused {
		b.WriteString("\n" + c.String())
	}
	return b.String()
}
