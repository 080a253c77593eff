package front

import (
	"context"
	"fmt"
	"go/token"
	"go/types"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/tools/go/packages"

	"github.com/streamgen/streamgen/gen/diag"
)

// goFuncs loads the user packages named by specs with go/packages, once
// for all of them, from Options.Dir.
type goFuncs struct {
	ctx     context.Context
	opts    Options
	display func(string) string
	pkgs    map[string]*packages.Package
	errs    map[string]error
	fset    *token.FileSet
}

func newGoFuncs(ctx context.Context, opts Options, display func(string) string) *goFuncs {
	return &goFuncs{ctx: ctx, opts: opts, display: display, pkgs: map[string]*packages.Package{}, errs: map[string]error{}}
}

func (g *goFuncs) load(pkgPaths []string) {
	if len(pkgPaths) == 0 {
		return
	}
	g.fset = token.NewFileSet()
	cfg := &packages.Config{
		Context: g.ctx,
		Dir:     g.opts.Dir,
		Env:     g.opts.Env,
		Fset:    g.fset,
		Mode:    packages.NeedName | packages.NeedTypes | packages.NeedFiles | packages.NeedSyntax | packages.NeedTypesInfo,
		Tests:   false,
	}
	pkgs, err := packages.Load(cfg, pkgPaths...)
	if err != nil {
		for _, p := range pkgPaths {
			g.errs[p] = fmt.Errorf("cannot load Go package %s: %s", p, oneLine(err.Error()))
		}
		return
	}
	for _, p := range pkgs {
		g.pkgs[p.PkgPath] = p
		if len(p.Errors) > 0 {
			msgs := make([]string, 0, len(p.Errors))
			for _, e := range p.Errors {
				msgs = append(msgs, g.relErr(e))
			}
			if len(msgs) > 3 {
				msgs = append(msgs[:3], fmt.Sprintf("and %d more", len(msgs)-3))
			}
			g.errs[p.PkgPath] = fmt.Errorf("cannot load Go package %s: %s", p.PkgPath, strings.Join(msgs, "; "))
		}
	}
	for _, p := range pkgPaths {
		if g.pkgs[p] == nil && g.errs[p] == nil {
			g.errs[p] = fmt.Errorf("cannot load Go package %s", p)
		}
	}
}

// relErr formats a package error with its position relative to Dir.
func (g *goFuncs) relErr(e packages.Error) string {
	msg := oneLine(e.Msg)
	if e.Pos == "" || e.Pos == "-" {
		return msg
	}
	return g.relPath(e.Pos) + ": " + msg
}

// oneLine joins a multi-line message (go command errors) into one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func (g *goFuncs) relPath(p string) string {
	dir := g.opts.Dir
	if dir == "" {
		dir = "."
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return p
	}
	if rel, err := filepath.Rel(abs, p); err == nil && !strings.HasPrefix(rel, "..") {
		return g.display(filepath.ToSlash(rel))
	}
	// p may carry :line:col.
	if rel, err := filepath.Rel(abs, strings.SplitN(p, ":", 2)[0]); err == nil && !strings.HasPrefix(rel, "..") {
		rest := ""
		if i := strings.IndexByte(p, ':'); i >= 0 {
			rest = p[i:]
		}
		return g.display(filepath.ToSlash(rel)) + rest
	}
	return p
}

func (g *goFuncs) lookup(pkgPath, name string) (*types.Func, error) {
	if err := g.errs[pkgPath]; err != nil {
		return nil, err
	}
	p := g.pkgs[pkgPath]
	if p == nil || p.Types == nil {
		return nil, fmt.Errorf("cannot load Go package %s", pkgPath)
	}
	obj := p.Types.Scope().Lookup(name)
	if obj == nil {
		var names []string
		for _, n := range p.Types.Scope().Names() {
			if _, ok := p.Types.Scope().Lookup(n).(*types.Func); ok && token.IsExported(n) {
				names = append(names, n)
			}
		}
		sort.Strings(names)
		msg := fmt.Sprintf("no function %s in package %s", name, pkgPath)
		if h := diag.DidYouMean(name, names); h != "" {
			msg += " (" + h + ")"
		}
		return nil, fmt.Errorf("%s", msg)
	}
	fn, ok := obj.(*types.Func)
	if !ok {
		return nil, fmt.Errorf("%s.%s is not a function", path.Base(pkgPath), name)
	}
	return fn, nil
}

func (g *goFuncs) position(obj types.Object) string {
	if g.fset == nil {
		return ""
	}
	pos := g.fset.Position(obj.Pos())
	return fmt.Sprintf("%s:%d:%d", g.relPath(pos.Filename), pos.Line, pos.Column)
}
