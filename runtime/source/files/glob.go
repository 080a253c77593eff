package files

import (
	"fmt"
	"path"
	"strings"
)

// glob is a parsed Glob pattern.
type glob struct {
	pattern string
	segs    []string
	// prefix is the directory of the leading literal segments ("in/2026/"
	// for "in/2026/*.json"), listed instead of the whole root.
	prefix string
	// flat says the pattern matches only files directly in prefix, so a
	// non-recursive listing suffices.
	flat bool
}

// parseGlob checks and parses pattern.
func parseGlob(pattern string) (*glob, error) {
	if pattern == "" {
		pattern = "*"
	}
	if strings.HasPrefix(pattern, "/") {
		return nil, fmt.Errorf("files: glob %q must be relative to the source root", pattern)
	}
	g := &glob{pattern: pattern, segs: strings.Split(pattern, "/")}
	lit := 0
	for i, s := range g.segs {
		if s == "" || s == "." || s == ".." {
			return nil, fmt.Errorf("files: glob %q: empty, \".\" or \"..\" segment", pattern)
		}
		if s == "**" {
			continue
		}
		if strings.Contains(s, "**") {
			return nil, fmt.Errorf("files: glob %q: \"**\" must be a whole segment", pattern)
		}
		if _, err := path.Match(s, ""); err != nil {
			return nil, fmt.Errorf("files: glob %q: segment %q: %w", pattern, s, err)
		}
		if lit == i && i < len(g.segs)-1 && !hasMeta(s) {
			lit++
		}
	}
	if lit > 0 {
		g.prefix = strings.Join(g.segs[:lit], "/") + "/"
	}
	g.flat = len(g.segs) == lit+1 && g.segs[lit] != "**"
	return g, nil
}

func hasMeta(s string) bool { return strings.ContainsAny(s, `*?[\`) }

// match reports whether name, slash-separated and relative to the root,
// matches the pattern.
func (g *glob) match(name string) bool {
	return matchSegs(g.segs, strings.Split(name, "/"))
}

func matchSegs(pat, name []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for i := 0; i <= len(name); i++ {
				if matchSegs(pat[1:], name[i:]) {
					return true
				}
			}
			return false
		}
		if len(name) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], name[0]); !ok {
			return false
		}
		pat, name = pat[1:], name[1:]
	}
	return len(name) == 0
}

// skipped reports whether name is never read: a segment starting with "."
// or "_" (hidden files and directories, staging and _quarantine/ files), or
// a base name of an in-flight copy (".tmp", "._COPYING_").
func skipped(name string) bool {
	for _, s := range strings.Split(name, "/") {
		if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "_") {
			return true
		}
	}
	return strings.HasSuffix(name, ".tmp") || strings.HasSuffix(name, "._COPYING_")
}
