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
	// lit is the literal start of the first segment after prefix, up to
	// its first metacharacter ("2026-" for "in/2026-*/x.json", "part-"
	// for "part-*.json", "" for "**" or "*.json"): every matching name
	// starts with prefix+lit, so a listing starts there (List of
	// prefix+lit, or ListFrom of prefix from lit) and does not page
	// through the keys beside it on an object store.
	lit string
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
	if s := g.segs[lit]; s != "**" {
		if i := strings.IndexAny(s, `*?[\`); i >= 0 {
			g.lit = s[:i]
		} else {
			g.lit = s // a literal file name
		}
	}
	return g, nil
}

// listPrefix is the prefix of every name the glob matches: the leading
// literal directories and the literal start of the next segment.
func (g *glob) listPrefix() string { return g.prefix + g.lit }

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
