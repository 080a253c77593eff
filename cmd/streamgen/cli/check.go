package cli

import (
	"context"

	"github.com/streamgen/streamgen/gen"
)

const checkUsage = `Usage: streamgen check SPEC...

Check each pipeline SPEC and the JSON Schemas it references, as generate
does, without writing anything: every error is printed as
file:line:col: path: message (at most 10, then "(and N more errors)") and
the exit status is 1; a clean check prints nothing and exits 0.
`

func (c *command) check(ctx context.Context, args []string) int {
	specs, code, done := c.specArgs("check", checkUsage, args, nil)
	if done {
		return code
	}
	if _, err := gen.Generate(ctx, gen.Config{Specs: specs, OmitVersion: true}); err != nil {
		return c.genFail("check", err)
	}
	return ExitOK
}
