package cli

import (
	"context"
	"encoding/json"

	"github.com/streamgen/streamgen/gen"
)

const irUsage = `Usage: streamgen ir --json SPEC...

Print the validated, Go-agnostic model (the IR) of the pipeline SPECs and
the records of the JSON Schemas they reference, as indented JSON: the
boundary between streamgen's front end and its Go code generator. Types
are objects tagged by "kind" (scalar, timestamp, date, enum, list, ref;
see the gen/ir package documentation); paths are relative and the output
is deterministic. Errors are printed as generate prints them (exit
status 1).

Flags:

	--json    print JSON (the only format, and the default)
`

func (c *command) ir(ctx context.Context, args []string) int {
	fs := newFlagSet("ir")
	fs.Bool("json", true, "print JSON")
	var specs []string
	if code, done := c.parse(fs, "ir", irUsage, args, &specs); done {
		return code
	}
	if len(specs) == 0 {
		return c.usageError("ir", irUsage, "missing SPEC")
	}
	prog, err := gen.Load(ctx, gen.Config{Specs: specs})
	if err != nil {
		return c.genFail("ir", err)
	}
	data, err := json.MarshalIndent(prog, "", "  ")
	if err != nil {
		return c.genFail("ir", err)
	}
	c.stdout.Write(append(data, '\n'))
	return ExitOK
}
