package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/streamgen/streamgen/gen"
	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/planprint"
)

const checkUsage = `Usage: streamgen check [--checkpoint DIR] [--table PATH] SPEC...

Check each pipeline SPEC and the JSON Schemas it references, as generate
does, without writing anything: every error is printed as
file:line:col: path: message (at most 10, then "(and N more errors)") and
the exit status is 1; a clean check prints nothing and exits 0.

With --checkpoint or --table (one SPEC, a runnable pipeline), check also
says whether the pipeline as the SPEC now describes it can restart on an
existing checkpoint and Delta table, by the rules the generated binary
applies at start (runtime/planprint; README "Evolving a pipeline"): it
compares the plan the generated code would embed with the plan recorded
in the checkpoint (DIR/streamgen/plan.json, written by the binary's
runs) and with the table's current schema, and prints one line per
change:

	file:line:col: what: verdict: old → new; why. Way forward: ….

then a summary line, and for each column the next commit would add to
the table a "table evolution:" line. The exit status is 0 when every
change is allowed (or allowed with table evolution, mergeSchema adding a
nullable column), 1 when one is refused. Nothing is written.

Flags:

	--checkpoint DIR  the pipeline's checkpoint (a path or a file://, s3://,
	                  gs:// or azblob:// URL); without a plan record in it,
	                  only the table is compared
	--table PATH      the Delta sink's table (a path or URL); default: the
	                  spec's sink path, relative to the current directory.
	                  A location without a table yet is no table: the first
	                  commit creates it
`

func (c *command) check(ctx context.Context, args []string) int {
	fs := newFlagSet("check")
	var checkpointDir, tablePath string
	fs.StringVar(&checkpointDir, "checkpoint", "", "checkpoint location")
	fs.StringVar(&tablePath, "table", "", "Delta table location")
	var specs []string
	if code, done := c.parse(fs, "check", checkUsage, args, &specs); done {
		return code
	}
	if len(specs) == 0 {
		return c.usageError("check", checkUsage, "missing SPEC")
	}
	evolve := checkpointDir != "" || tablePath != ""
	if evolve && len(specs) > 1 {
		return c.usageError("check", checkUsage, "--checkpoint and --table need exactly one SPEC")
	}
	cfg := gen.Config{Specs: specs, OmitVersion: true}
	if _, err := gen.Generate(ctx, cfg); err != nil {
		return c.genFail("check", err)
	}
	if !evolve {
		return ExitOK
	}
	plans, err := gen.Plans(ctx, cfg)
	if err != nil {
		return c.genFail("check", err)
	}
	if len(plans) != 1 {
		fmt.Fprintf(c.stderr, "streamgen check: %s: no runnable pipeline to compare (generated code does not run it yet)\n", specs[0])
		return ExitError
	}
	return c.checkEvolution(ctx, plans[0], checkpointDir, tablePath)
}

// checkEvolution compares cur with the checkpoint's plan record and the
// table's schema and prints the verdict.
func (c *command) checkEvolution(ctx context.Context, cur *planprint.Plan, checkpointDir, tablePath string) int {
	var old *planprint.Plan
	if checkpointDir != "" {
		st, err := openStore(ctx, checkpointDir)
		if err != nil {
			fmt.Fprintf(c.stderr, "streamgen check: checkpoint %s: %v\n", checkpointDir, err)
			return ExitError
		}
		if old, err = planprint.Load(ctx, st); err != nil {
			fmt.Fprintf(c.stderr, "streamgen check: checkpoint %s: %v\n", checkpointDir, err)
			return ExitError
		}
		if old == nil {
			fmt.Fprintf(c.stdout, "checkpoint %s has no plan record: a new checkpoint, or one no streamgen binary has run on; only the table is compared\n", checkpointDir)
		}
	}
	var schema *delta.StructType
	var table string
	switch {
	case cur.Sink.Kind == planprint.SinkDelta:
		if tablePath == "" {
			tablePath = cur.Sink.Table
		}
		st, err := openStore(ctx, tablePath)
		if err != nil {
			fmt.Fprintf(c.stderr, "streamgen check: table %s: %v\n", tablePath, err)
			return ExitError
		}
		t := delta.Open(st)
		// As the generated binary does: the plan's table is the location
		// opened, so the recorded plan and this one name it alike.
		cur.Sink.Table, table = t.Location(), tablePath
		snap, err := t.Snapshot(ctx)
		switch {
		case err == nil:
			schema = snap.Schema
		case errors.Is(err, delta.ErrNotATable):
			fmt.Fprintf(c.stdout, "table %s does not exist yet: the first commit creates it\n", tablePath)
		default:
			fmt.Fprintf(c.stderr, "streamgen check: table %s: %v\n", tablePath, err)
			return ExitError
		}
	case tablePath != "":
		fmt.Fprintf(c.stderr, "streamgen check: --table %s: the sink of pipeline %s is %s, not a Delta table\n", tablePath, cur.Pipeline, cur.Sink.Kind)
		return ExitError
	}
	v := planprint.Compare(old, cur, schema)
	writeVerdict(c.stdout, v, cur.Pipeline, table)
	if v.Refused() {
		return ExitError
	}
	return ExitOK
}

// writeVerdict prints the report, a line when nothing changed, and a
// "table evolution:" line per column the next commit adds.
func writeVerdict(w io.Writer, v planprint.Verdict, pipeline, table string) {
	if len(v.Changes) == 0 {
		fmt.Fprintf(w, "%s: no change: the query restarts on its checkpoint and table as they are\n", pipeline)
		return
	}
	_ = v.Report(w)
	for _, ch := range v.Of(planprint.AllowedWithTableEvolution) {
		if ch.Old != "" {
			fmt.Fprintf(w, "table evolution: %s: change %s from %s to %s\n", table, ch.What, ch.Old, ch.New)
			continue
		}
		fmt.Fprintf(w, "table evolution: %s: add %s %s\n", table, ch.What, ch.New)
	}
}
