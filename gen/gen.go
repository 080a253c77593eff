// Package gen is the streamgen generator: [Generate] turns pipeline specs
// and the JSON Schemas they reference into the files of one Go package
// per pipeline, in memory; [WriteDir] writes them all-or-nothing. The
// stages are pure functions with named types:
//
//	gen/front  specs + schemas → checked ir.Program (diagnostics)
//	gen/plan   ir.Program → plan.Plan: package, files, every Go name
//	gen/emit   plan.File → gofmt'd Go source (jennifer)
//
// The CLI's generate, check and diff commands, the golden tests and the
// examples all consume the one [Output] value.
package gen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/streamgen/streamgen/gen/diag"
	"github.com/streamgen/streamgen/gen/emit"
	"github.com/streamgen/streamgen/gen/internal/naming"
	"github.com/streamgen/streamgen/gen/ir"
	"github.com/streamgen/streamgen/gen/plan"
	"github.com/streamgen/streamgen/runtime/planprint"
)

// Config is one generator run, as plain data.
type Config struct {
	// Specs are the pipeline spec files, relative to Dir or absolute.
	Specs []string
	// Dir is the directory relative paths are resolved against, and the
	// one diagnostics are printed relative to; empty means the current
	// directory.
	Dir string
	// OutDir is the output directory, relative to Dir or absolute; empty
	// means Dir. With one spec the package's files go into OutDir; with
	// several, each package goes into OutDir/<package name>. The import
	// path of a package is the module path of the nearest go.mod above it
	// plus its directory relative to that go.mod.
	OutDir string
	// Package overrides the package name (one spec only). By default it
	// is the spec's name without underscores: action_counts → actioncounts.
	Package string
	// OmitVersion leaves the generator version out of the file headers,
	// so output is identical across streamgen versions (golden tests).
	OmitVersion bool
	// Version is the generator version for the headers; empty means the
	// version of the running binary's main module.
	Version string
}

// Output is the result of a run: the generated files, sorted by path.
type Output struct {
	Files []File
}

// File is one generated file.
type File struct {
	// Path is relative to Config.OutDir, slash-separated.
	Path    string
	Content []byte
}

// Generate runs the generator. It reads the specs and schemas and the
// nearest go.mod, and writes nothing. User errors in specs and schemas
// come back as a diag.List (sorted; positions relative to Dir); a
// generator bug as an error starting "streamgen: internal error".
func Generate(ctx context.Context, cfg Config) (*Output, error) {
	r, err := resolve(cfg)
	if err != nil {
		return nil, err
	}
	prog, diags := frontLoad(ctx, r, cfg)
	if diags.Len() > 0 {
		return nil, r.relativize(diags)
	}
	out, err := generate(prog, r, cfg)
	var dl diag.List
	if errors.As(err, &dl) {
		return nil, r.relativize(dl)
	}
	return out, err
}

// resolved holds the directories of a run.
type resolved struct {
	dir     string // Config.Dir, absolute
	outDir  string // Config.OutDir, absolute
	root    string // what the front end's fsys is rooted at
	specs   []string
	modRoot string // directory of the nearest go.mod above outDir, or ""
	modPath string
}

// resolve makes the run's paths absolute and chooses the root of the
// files the front end reads: the module root when the specs are inside
// the module (so "// source:" lines are module-relative and do not depend
// on where streamgen runs), else the closest directory holding Dir and
// every spec.
func resolve(cfg Config) (*resolved, error) {
	dir := cfg.Dir
	if dir == "" {
		dir = "."
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	r := &resolved{dir: dir, outDir: dir}
	if cfg.OutDir != "" {
		r.outDir = abs(dir, cfg.OutDir)
	}
	if len(cfg.Specs) == 0 {
		return nil, errors.New("streamgen: no spec files given")
	}
	if cfg.Package != "" && len(cfg.Specs) > 1 {
		return nil, errors.New("streamgen: a package name can only be given for one spec")
	}
	var specs []string
	for _, s := range cfg.Specs {
		specs = append(specs, abs(dir, s))
	}
	r.modRoot, r.modPath = findModule(r.outDir)
	root := dir
	if r.modRoot != "" && allWithin(r.modRoot, specs) {
		root = r.modRoot
	}
	for !allWithin(root, specs) {
		root = filepath.Dir(root)
	}
	r.root = root
	for _, s := range specs {
		rel, _ := filepath.Rel(root, s)
		r.specs = append(r.specs, filepath.ToSlash(rel))
	}
	return r, nil
}

// relativize rewrites the positions of diags, relative to the root, to
// be relative to Dir.
func (r *resolved) relativize(diags diag.List) diag.List {
	out := make(diag.List, len(diags))
	for i, d := range diags {
		if d.Pos.File != "" && !path.IsAbs(d.Pos.File) {
			if rel, err := filepath.Rel(r.dir, filepath.Join(r.root, filepath.FromSlash(d.Pos.File))); err == nil {
				d.Pos.File = filepath.ToSlash(rel)
			}
		}
		out[i] = d
	}
	out.Sort()
	return out
}

// generate plans and emits every package of prog.
func generate(prog *ir.Program, r *resolved, cfg Config) (*Output, error) {
	opts := emit.Options{OmitVersion: cfg.OmitVersion, Version: cfg.Version}
	if opts.Version == "" {
		opts.Version = buildVersion()
	}
	type unit struct {
		pipeline string
		sub      string // subdirectory of OutDir
	}
	var units []unit
	switch len(prog.Pipelines) {
	case 0:
		units = []unit{{}}
	case 1:
		units = []unit{{pipeline: prog.Pipelines[0].Name}}
	default:
		for _, p := range prog.Pipelines {
			name := naming.PackageName(p.Name)
			units = append(units, unit{pipeline: p.Name, sub: name})
		}
	}
	var diags diag.List
	out := &Output{}
	seen := map[string]bool{}
	for _, u := range units {
		pkgDir := r.outDir
		if u.sub != "" {
			pkgDir = filepath.Join(pkgDir, u.sub)
		}
		p, ds := plan.Build(prog, plan.Config{
			PkgPath:  r.pkgPath(pkgDir),
			PkgName:  cfg.Package,
			Pipeline: u.pipeline,
			Decoders: true,
		})
		if ds.Len() > 0 {
			diags.Append(ds)
			continue
		}
		files, err := emit.EncodeFiles(p) // <record>_encode.go beside each decoder
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			content, err := emit.Render(p, f, opts)
			if err != nil {
				return nil, err
			}
			name := path.Join(u.sub, f.Path)
			if seen[name] {
				return nil, fmt.Errorf("streamgen: two pipelines generate %s: give them names that differ in their letters and digits", name)
			}
			seen[name] = true
			out.Files = append(out.Files, File{Path: name, Content: content})
		}
	}
	if diags.Len() > 0 {
		diags.Sort()
		return nil, diags
	}
	sort.Slice(out.Files, func(i, j int) bool { return out.Files[i].Path < out.Files[j].Path })
	return out, nil
}

// pkgPath is the import path of the package in dir: the module path plus
// dir relative to the module root. Outside a module it is "_" and the
// absolute directory ("_/tmp/out/time"), as the go command names such
// packages: its last element still names the package, and it cannot be
// mistaken for a package the generated code imports (a directory named
// "time" is not the package time).
func (r *resolved) pkgPath(dir string) string {
	if r.modRoot == "" || !within(r.modRoot, dir) {
		return "_" + path.Clean("/"+filepath.ToSlash(dir))
	}
	rel, _ := filepath.Rel(r.modRoot, dir)
	if rel == "." {
		return r.modPath
	}
	return r.modPath + "/" + filepath.ToSlash(rel)
}

// findModule returns the directory and module path of the nearest go.mod
// at or above dir, or "" when there is none.
func findModule(dir string) (root, modPath string) {
	for d := dir; ; d = filepath.Dir(d) {
		data, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil {
			return d, modulePath(data)
		}
		if filepath.Dir(d) == d {
			return "", ""
		}
	}
}

// modulePath returns the module path of a go.mod file's content.
func modulePath(gomod []byte) string {
	for _, line := range bytes.Split(gomod, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if rest, ok := bytes.CutPrefix(line, []byte("module")); ok && (len(rest) == 0 || rest[0] == ' ' || rest[0] == '\t') {
			p := strings.TrimSpace(string(rest))
			if i := strings.Index(p, "//"); i >= 0 {
				p = strings.TrimSpace(p[:i])
			}
			return strings.Trim(p, `"`+"`")
		}
	}
	return ""
}

// buildVersion is the version of the running binary's main module.
func buildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

func abs(dir, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(dir, p)
}

// within reports whether p is root or inside it.
func within(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

func allWithin(root string, ps []string) bool {
	for _, p := range ps {
		if !within(root, p) {
			return false
		}
	}
	return true
}

// PackageName returns the package name generate gives the pipeline
// named name: "action_counts" → "actioncounts".
func PackageName(name string) string { return naming.PackageName(name) }

// GoName returns name as an exported Go identifier, the way generate
// names records and fields: "sensor_reading" → "SensorReading",
// "device_id" → "DeviceID".
func GoName(name string) string { return naming.Pascal(name) }

// Load runs the front end only: it reads and checks the specs of cfg and
// the schemas they reference and returns the IR (what `streamgen ir
// --json` prints). Diagnostics come back as a diag.List, positions
// relative to Dir.
func Load(ctx context.Context, cfg Config) (*ir.Program, error) {
	r, err := resolve(cfg)
	if err != nil {
		return nil, err
	}
	prog, diags := frontLoad(ctx, r, cfg)
	if diags.Len() > 0 {
		return nil, r.relativize(diags)
	}
	return prog, nil
}

// Plans builds the plan fingerprint (runtime/planprint) of each runnable
// pipeline of the specs, in name order: the plan the generated code
// embeds and compares with its checkpoint and table at start, with
// positions relative to Dir (as diagnostics are). A pipeline the
// generated code cannot run yet has no plan and is left out. Errors are
// Generate's.
func Plans(ctx context.Context, cfg Config) ([]*planprint.Plan, error) {
	r, err := resolve(cfg)
	if err != nil {
		return nil, err
	}
	prog, diags := frontLoad(ctx, r, cfg)
	if diags.Len() > 0 {
		return nil, r.relativize(diags)
	}
	file := func(f string) string {
		if path.IsAbs(f) {
			return f
		}
		if rel, err := filepath.Rel(r.dir, filepath.Join(r.root, filepath.FromSlash(f))); err == nil {
			return filepath.ToSlash(rel)
		}
		return f
	}
	var out []*planprint.Plan
	for _, pl := range prog.Pipelines {
		p, ds := plan.Build(prog, plan.Config{
			PkgPath:  r.pkgPath(r.outDir),
			PkgName:  cfg.Package,
			Pipeline: pl.Name,
			Decoders: true,
		})
		if ds.Len() > 0 {
			diags.Append(ds)
			continue
		}
		if pp := emit.PlanPrint(p, file); pp != nil {
			out = append(out, pp)
		}
	}
	if diags.Len() > 0 {
		return nil, r.relativize(diags)
	}
	return out, nil
}
