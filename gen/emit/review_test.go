package emit

import (
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"strings"
	"testing"

	"github.com/streamgen/streamgen/gen/plan"
)

// fakeRuntime imports a streamimpl package with the given supported
// versions, and the standard library from export data.
type fakeRuntime struct {
	min, max int
	std      types.Importer
}

func (r fakeRuntime) Import(path string) (*types.Package, error) {
	if path != streamimplPath {
		return r.std.Import(path)
	}
	src := fmt.Sprintf("package streamimpl\n\nconst MinVersion = %d\n\nconst MaxVersion = %d\n\ntype EnforceVersion uint\n", r.min, r.max)
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "version.go", src, 0)
	if err != nil {
		return nil, err
	}
	return (&types.Config{}).Check(path, fset, []*ast.File{f}, nil)
}

// TestReviewVersionHandshake type-checks the generated streamgen.go
// against runtimes supporting other generated-code versions: it compiles
// exactly when the generated version is within [MinVersion, MaxVersion],
// and otherwise fails with the documented message.
func TestReviewVersionHandshake(t *testing.T) {
	p := shopPlan(t)
	var file *plan.File
	for _, f := range p.Files {
		if f.Kind == plan.KindStreamgen {
			file = f
		}
	}
	for _, tt := range []struct {
		gen, min, max int
		ok            bool
	}{
		{1, 1, 1, true},
		{2, 1, 3, true},
		{2, 1, 1, false}, // runtime too old for the generated code
		{1, 2, 2, false}, // generated code too old for the runtime
		{3, 1, 2, false},
	} {
		p.GenVersion = tt.gen
		src, err := Render(p, file, Options{OmitVersion: true})
		if err != nil {
			t.Fatal(err)
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, "streamgen.go", src, 0)
		if err != nil {
			t.Fatal(err)
		}
		conf := types.Config{Importer: fakeRuntime{min: tt.min, max: tt.max, std: importer.Default()}}
		_, err = conf.Check(p.PkgPath, fset, []*ast.File{f}, nil)
		if tt.ok != (err == nil) {
			t.Errorf("generated for %d, runtime supports %d–%d: type-check error %v, want ok=%v", tt.gen, tt.min, tt.max, err, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "overflows streamimpl.EnforceVersion") {
			t.Errorf("error %q does not name streamimpl.EnforceVersion", err)
		}
	}
}
