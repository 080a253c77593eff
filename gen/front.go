package gen

import (
	"context"
	"os"

	"github.com/streamgen/streamgen/gen/diag"
	"github.com/streamgen/streamgen/gen/front"
	"github.com/streamgen/streamgen/gen/ir"
)

// frontLoad runs the front end (gen/front) on the run's specs, reading
// the files under the run's root.
func frontLoad(ctx context.Context, r *resolved, cfg Config) (*ir.Program, diag.List) {
	return front.Load(ctx, os.DirFS(r.root), r.specs, front.Options{Dir: r.root})
}
