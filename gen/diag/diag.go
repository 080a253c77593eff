// Package diag holds the generator's positions and diagnostics: every
// error about a user's schema or spec is a Diagnostic at a file:line:col,
// collected in a List, sorted, and printed one per line the way compilers
// do ("schemas/event.json:4:9: properties.time: unsupported format").
package diag

import (
	"fmt"
	"sort"
	"strings"
)

// Pos is a position in a user's file. Line and Col are 1-based; Col
// counts bytes (go/token's convention). File is the path as it should be
// printed: relative to the working or config directory, slash-separated.
type Pos struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Col  int    `json:"col"`
}

// IsValid reports whether p names a line.
func (p Pos) IsValid() bool { return p.Line > 0 }

// String formats p as file:line:col, file:line, or file.
func (p Pos) String() string {
	switch {
	case p.Line > 0 && p.Col > 0:
		return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
	case p.Line > 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return p.File
}

// Less orders positions by file, line, then column.
func (p Pos) Less(q Pos) bool {
	if p.File != q.File {
		return p.File < q.File
	}
	if p.Line != q.Line {
		return p.Line < q.Line
	}
	return p.Col < q.Col
}

// Diagnostic is one problem in a user's input.
type Diagnostic struct {
	Pos Pos `json:"pos"`
	// Path locates the node inside the document, in the document's own
	// terms: "properties.time", "steps[1].groupBy.keys[0]".
	Path string `json:"path,omitempty"`
	// Msg says what is wrong, lowercase, no trailing period.
	Msg string `json:"msg"`
	// Hint, when set, is printed on a second, indented line
	// (e.g. `did you mean "action"?`).
	Hint string `json:"hint,omitempty"`
}

// String formats the diagnostic as "pos: path: msg" plus an indented hint
// line.
func (d Diagnostic) String() string {
	var b strings.Builder
	b.WriteString(d.Pos.String())
	b.WriteString(": ")
	if d.Path != "" {
		b.WriteString(d.Path)
		b.WriteString(": ")
	}
	b.WriteString(d.Msg)
	if d.Hint != "" {
		b.WriteString("\n\t")
		b.WriteString(d.Hint)
	}
	return b.String()
}

// List collects diagnostics. The zero value is ready to use.
type List []Diagnostic

// Add appends a diagnostic.
func (l *List) Add(pos Pos, path, format string, args ...any) {
	*l = append(*l, Diagnostic{Pos: pos, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// AddHint appends a diagnostic with a hint line.
func (l *List) AddHint(pos Pos, path, hint, format string, args ...any) {
	*l = append(*l, Diagnostic{Pos: pos, Path: path, Msg: fmt.Sprintf(format, args...), Hint: hint})
}

// Append appends every diagnostic of other.
func (l *List) Append(other List) { *l = append(*l, other...) }

// Len returns the number of diagnostics.
func (l List) Len() int { return len(l) }

// Sort orders the list by position, then path and message, and removes
// exact duplicates.
func (l *List) Sort() {
	s := *l
	sort.SliceStable(s, func(i, j int) bool {
		if s[i].Pos != s[j].Pos {
			return s[i].Pos.Less(s[j].Pos)
		}
		if s[i].Path != s[j].Path {
			return s[i].Path < s[j].Path
		}
		return s[i].Msg < s[j].Msg
	})
	out := s[:0]
	for i, d := range s {
		if i > 0 && d == s[i-1] {
			continue
		}
		out = append(out, d)
	}
	*l = out
}

// MaxPrinted is how many diagnostics Error prints before "(and N more
// errors)".
const MaxPrinted = 10

// Error formats the first MaxPrinted diagnostics, one per line, then
// "(and N more errors)" (or "(and 1 more error)") when some were left
// out.
func (l List) Error() string {
	var b strings.Builder
	for i, d := range l {
		if i == MaxPrinted {
			if n := len(l) - MaxPrinted; n == 1 {
				b.WriteString("(and 1 more error)\n")
			} else {
				fmt.Fprintf(&b, "(and %d more errors)\n", n)
			}
			break
		}
		b.WriteString(d.String())
		b.WriteByte('\n')
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// Err returns the list as an error, or nil when it is empty.
func (l List) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// DidYouMean returns `did you mean "x"?` for the candidate closest to
// name, or "" when none is close (edit distance at most a third of the
// name's length, and at least 1 allowed; case differences count as near).
func DidYouMean(name string, candidates []string) string {
	best, bestDist := "", -1
	for _, c := range candidates {
		d := distance(strings.ToLower(name), strings.ToLower(c))
		if bestDist < 0 || d < bestDist || d == bestDist && c < best {
			best, bestDist = c, d
		}
	}
	limit := len(name) / 3
	if limit < 1 {
		limit = 1
	}
	if bestDist < 0 || bestDist > limit {
		return ""
	}
	return fmt.Sprintf("did you mean %q?", best)
}

// distance is the Levenshtein edit distance of a and b in bytes.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
