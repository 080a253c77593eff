package cli

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/streamgen/streamgen/gen"
)

const diffUsage = `Usage: streamgen diff [-o DIR] [--package NAME] [--omit-version] SPEC...

Report whether the generated files in DIR (default ".") are what
'streamgen generate' would write for the SPECs, with the same flags. Each
difference is listed on stdout, with a unified diff of the lines of a
stale file:

	stale    event.go         the file differs
	missing  event_decode.go  generate would create it
	extra    old.go           a generated file generate would remove

Exit status 0 when everything is up to date, 1 when something is stale or
a spec has errors.
`

func (c *command) diff(ctx context.Context, args []string) int {
	var g genFlags
	specs, code, done := c.specArgs("diff", diffUsage, args, &g)
	if done {
		return code
	}
	out, err := gen.Generate(ctx, g.config(specs))
	if err != nil {
		return c.genFail("diff", err)
	}
	stale, missing, extra, err := gen.Diff(g.out, out)
	if err != nil {
		return c.genFail("diff", err)
	}
	if len(stale)+len(missing)+len(extra) == 0 {
		return ExitOK
	}
	content := map[string][]byte{}
	for _, f := range out.Files {
		content[f.Path] = f.Content
	}
	show := func(p string) string { return filepath.ToSlash(filepath.Join(g.out, filepath.FromSlash(p))) }
	for _, p := range stale {
		fmt.Fprintf(c.stdout, "stale    %s\n", show(p))
	}
	for _, p := range missing {
		fmt.Fprintf(c.stdout, "missing  %s\n", show(p))
	}
	for _, p := range extra {
		fmt.Fprintf(c.stdout, "extra    %s\n", show(p))
	}
	for _, p := range stale {
		old, err := os.ReadFile(filepath.Join(g.out, filepath.FromSlash(p)))
		if err != nil {
			return c.genFail("diff", err)
		}
		name := path.Clean(show(p))
		fmt.Fprint(c.stdout, unifiedDiff("a/"+name, "b/"+name, string(old), string(content[p])))
	}
	fmt.Fprintf(c.stderr, "streamgen diff: %d generated %s out of date; run 'go generate ./...' or 'streamgen generate'\n",
		len(stale)+len(missing)+len(extra), plural(len(stale)+len(missing)+len(extra), "file is", "files are"))
	return ExitError
}

// unifiedDiff returns a unified diff (3 lines of context) of the lines of
// a and b, or "" when they are equal. It finds a longest common
// subsequence, so it is meant for files of generated-code size.
func unifiedDiff(nameA, nameB, a, b string) string {
	if a == b {
		return ""
	}
	x := splitLines(a)
	y := splitLines(b)
	// Trim the common prefix and suffix, then an LCS table on the rest.
	pre := 0
	for pre < len(x) && pre < len(y) && x[pre] == y[pre] {
		pre++
	}
	suf := 0
	for suf < len(x)-pre && suf < len(y)-pre && x[len(x)-1-suf] == y[len(y)-1-suf] {
		suf++
	}
	xm, ym := x[pre:len(x)-suf], y[pre:len(y)-suf]
	type op struct {
		kind byte // ' ', '-', '+'
		line string
		ai   int // index in x of the line (or of the next line for '+')
		bi   int
	}
	var ops []op
	for i := 0; i < pre; i++ {
		ops = append(ops, op{' ', x[i], i, i})
	}
	if len(xm)*len(ym) > 25_000_000 {
		for i, l := range xm {
			ops = append(ops, op{'-', l, pre + i, pre})
		}
		for j, l := range ym {
			ops = append(ops, op{'+', l, pre + len(xm), pre + j})
		}
	} else {
		n, m := len(xm), len(ym)
		lcs := make([][]int32, n+1)
		for i := range lcs {
			lcs[i] = make([]int32, m+1)
		}
		for i := n - 1; i >= 0; i-- {
			for j := m - 1; j >= 0; j-- {
				if xm[i] == ym[j] {
					lcs[i][j] = lcs[i+1][j+1] + 1
				} else {
					lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
				}
			}
		}
		i, j := 0, 0
		for i < n || j < m {
			switch {
			case i < n && j < m && xm[i] == ym[j]:
				ops = append(ops, op{' ', xm[i], pre + i, pre + j})
				i++
				j++
			case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
				ops = append(ops, op{'-', xm[i], pre + i, pre + j})
				i++
			default:
				ops = append(ops, op{'+', ym[j], pre + i, pre + j})
				j++
			}
		}
	}
	for k := 0; k < suf; k++ {
		ops = append(ops, op{' ', x[len(x)-suf+k], len(x) - suf + k, len(y) - suf + k})
	}
	// Group changes into hunks with 3 lines of context.
	const ctx = 3
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", nameA, nameB)
	for k := 0; k < len(ops); {
		if ops[k].kind == ' ' {
			k++
			continue
		}
		start := max(k-ctx, 0)
		end := k
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run == len(ops) || run-end > 2*ctx {
				end = min(end+ctx, len(ops))
				break
			}
			end = run
		}
		var na, nb int
		for _, o := range ops[start:end] {
			if o.kind != '+' {
				na++
			}
			if o.kind != '-' {
				nb++
			}
		}
		fmt.Fprintf(&out, "@@ -%s +%s @@\n", hunkRange(ops[start].ai, na), hunkRange(ops[start].bi, nb))
		for _, o := range ops[start:end] {
			out.WriteByte(o.kind)
			out.WriteString(o.line)
			out.WriteByte('\n')
		}
		k = end
	}
	return out.String()
}

func hunkRange(start, n int) string {
	if n == 0 {
		return fmt.Sprintf("%d,0", start)
	}
	if n == 1 {
		return fmt.Sprint(start + 1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}
