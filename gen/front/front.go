// Package front is the generator's front end: it reads pipeline specs and
// the JSON Schemas they reference, builds the IR and checks it, collecting
// every error. It is the one entry point later stages (gen, the CLI) use:
//
//	prog, diags := front.Load(ctx, os.DirFS(dir), []string{"pipelines/action_counts.yaml"}, front.Options{Dir: dir})
//
// Load is pure apart from loading the user's Go packages named by `map`
// and `foreachBatch` steps (golang.org/x/tools/go/packages, run in
// Options.Dir).
package front

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/streamgen/streamgen/gen/diag"
	"github.com/streamgen/streamgen/gen/ir"
	"github.com/streamgen/streamgen/gen/load"
	"github.com/streamgen/streamgen/gen/spec"
)

// Options configures Load.
type Options struct {
	// Dir is the OS directory fsys is rooted at. It is where the user's Go
	// packages named in specs (map and foreachBatch functions) are loaded
	// from (go/packages runs the go command there). Empty means the
	// current directory; when fsys is not a directory on disk (tests),
	// specs that name Go functions cannot be checked and say so.
	Dir string
	// DisplayPrefix is prepended (path.Join) to every fsys path printed in
	// a diagnostic or recorded as a source: "" prints paths as they are in
	// fsys (relative to Dir).
	DisplayPrefix string
	// Env is the environment the go command runs in when user packages
	// are loaded; nil means the current process's environment.
	Env []string
}

// Load reads the pipeline specs at specPaths (slash-separated paths in
// fsys), the JSON Schemas they reference (relative to each spec), builds
// the IR and checks it. The returned diagnostics are sorted; when any are
// present the Program must not be used for generation (it may be partial
// or nil).
func Load(ctx context.Context, fsys fs.FS, specPaths []string, opts Options) (*ir.Program, diag.List) {
	return loadProgram(ctx, fsys, specPaths, opts)
}

func loadProgram(ctx context.Context, fsys fs.FS, specPaths []string, opts Options) (*ir.Program, diag.List) {
	var diags diag.List
	display := func(name string) string {
		if opts.DisplayPrefix == "" {
			return name
		}
		return path.Join(opts.DisplayPrefix, name)
	}

	// 1. Specs.
	var specs []*load.SpecFile
	for _, p := range specPaths {
		name := path.Clean(filepath.ToSlash(p))
		f, ds := load.LoadSpec(fsys, name, display(name))
		diags.Append(ds)
		if f != nil && f.Spec != nil {
			specs = append(specs, f)
		}
	}

	// 2. The schemas they name, relative to each spec. A schema that
	// cannot be read is reported at the spec's reference.
	refErr := map[string]error{}
	var roots []load.SchemaSource
	seenRoot := map[string]bool{}
	resolve := func(f *load.SpecFile, ref string) (string, error) {
		if path.IsAbs(ref) || filepath.IsAbs(ref) {
			return "", fmt.Errorf("schema path %q must be relative to the spec file", ref)
		}
		name := path.Join(path.Dir(f.FSPath), filepath.ToSlash(ref))
		if !fs.ValidPath(name) {
			return "", fmt.Errorf("schema %q is outside the directory streamgen reads", ref)
		}
		return name, nil
	}
	for _, f := range specs {
		ref := schemaRefOf(f.Spec)
		if ref == "" {
			continue
		}
		name, err := resolve(f, ref)
		if err != nil {
			continue // reported by SchemaRecord
		}
		if _, err := fs.Stat(fsys, name); err != nil {
			refErr[name] = fmt.Errorf("cannot read schema %s: %v", display(name), unwrapPathError(err))
			continue
		}
		if !seenRoot[name] {
			seenRoot[name] = true
			roots = append(roots, load.SchemaSource{Name: name, Display: display(name)})
		}
	}
	var records []*ir.Record
	schemaFiles := map[string]*load.SchemaFile{}
	if len(roots) > 0 {
		files, ds := load.LoadSchemas(fsys, roots)
		diags.Append(ds)
		for _, sf := range files {
			schemaFiles[sf.Name] = sf
		}
		recs, ds := ir.BuildRecords(files)
		diags.Append(ds)
		records = recs
	}
	schemaRecord := func(f *load.SpecFile, ref string) (*ir.Record, error) {
		name, err := resolve(f, ref)
		if err != nil {
			return nil, err
		}
		if err := refErr[name]; err != nil {
			return nil, err
		}
		sf := schemaFiles[name]
		if sf == nil {
			return nil, nil
		}
		for _, r := range records {
			if r.Source == sf.Path && strings.HasSuffix(r.ID, "#") {
				return r, nil
			}
		}
		return nil, nil // the schema's own errors say why
	}

	// 3. User Go functions.
	funcs := newGoFuncs(ctx, opts, display)
	funcs.load(funcRefsOf(specs))

	pipelines, ds := ir.BuildPipelines(specs, ir.BuildEnv{
		SchemaRecord: schemaRecord,
		Func:         funcs.lookup,
		FuncPos:      funcs.position,
	})
	diags.Append(ds)
	sort.Slice(records, func(i, j int) bool { return records[i].Name < records[j].Name })
	prog := &ir.Program{Records: records, Pipelines: pipelines}
	diags.Append(ir.Check(prog))
	diags.Sort()
	return prog, diags
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// schemaRefOf returns the schema file a spec's source names.
func schemaRefOf(s *spec.Pipeline) string {
	switch src := s.Source; {
	case src.Files != nil:
		return src.Files.Schema
	case src.Kafka != nil:
		return src.Kafka.Schema
	case src.Delta != nil:
		return src.Delta.Schema
	}
	return ""
}

// funcRefsOf returns the import paths of the packages the specs' Go
// functions live in.
func funcRefsOf(specs []*load.SpecFile) []string {
	var refs []string
	add := func(ref string) {
		slash := strings.LastIndexByte(ref, '/')
		if dot := strings.LastIndexByte(ref, '.'); dot > slash+1 {
			refs = append(refs, ref[:dot])
		}
	}
	for _, f := range specs {
		for _, st := range f.Spec.Steps {
			if st.Map != nil {
				add(st.Map.Func)
			}
		}
		if fb := f.Spec.Sink.ForeachBatch; fb != nil {
			add(fb.Func)
		}
	}
	slices.Sort(refs)
	return slices.Compact(refs)
}
