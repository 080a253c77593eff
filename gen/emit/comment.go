package emit

import (
	"strings"

	"github.com/dave/jennifer/jen"
)

// doc returns text as a line comment block, one "//" line per line of
// text (blank lines become "//"):
//
//	// Event is a record of schemas/event.json.
//	//
//	// An action a user took.
func doc(text string) *jen.Statement {
	c := commentLines(text)
	if c == "" {
		return jen.Null()
	}
	return jen.Comment(c)
}

// commentLines returns text as "//" lines joined by newlines, or "" for
// blank text.
func commentLines(text string) string {
	text = strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n"))
	if text == "" {
		return ""
	}
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		l = strings.TrimRight(l, " \t")
		if l == "" {
			lines[i] = "//"
		} else {
			lines[i] = "// " + l
		}
	}
	return strings.Join(lines, "\n")
}

// sentence makes s end with a period.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?") {
		return s
	}
	return s + "."
}

// wrap breaks text (the generator's own sentences, not users' docs) into
// lines of at most 76 bytes, at spaces.
func wrap(text string) string {
	const width = 76
	var b strings.Builder
	for i, para := range strings.Split(text, "\n") {
		if i > 0 {
			b.WriteByte('\n')
		}
		n := 0
		for j, w := range strings.Fields(para) {
			if j > 0 {
				if n+1+len(w) > width {
					b.WriteByte('\n')
					n = 0
				} else {
					b.WriteByte(' ')
					n++
				}
			}
			b.WriteString(w)
			n += len(w)
		}
	}
	return b.String()
}
