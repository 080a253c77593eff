package cli

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/streamgen/streamgen/gen"
	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/planprint"
	"github.com/streamgen/streamgen/runtime/storage"
)

// TestCheckEvolution runs check --checkpoint/--table on the scaffolded
// pipeline: a new checkpoint and no table, an allowed change against a
// recorded plan, and a refused one. generated_test/evolve covers every
// rule family.
func TestCheckEvolution(t *testing.T) {
	scaffold(t)
	ctx := context.Background()
	spec := "pipelines/action_counts.yaml"

	r := run("check", "--checkpoint", "cp", spec)
	if r.code != ExitOK || r.stderr != "" {
		t.Fatalf("new checkpoint: exit %d, stderr:\n%s", r.code, r.stderr)
	}
	for _, want := range []string{
		"checkpoint cp has no plan record",
		"table tables/action_counts does not exist yet",
		"action_counts: no change",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("new checkpoint: stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	if _, err := os.Stat("cp"); err == nil {
		t.Error("check wrote the checkpoint")
	}

	// Record the plan as the generated binary does (its table location
	// as opened), then tighten the where step: allowed.
	plans, err := gen.Plans(ctx, gen.Config{Specs: []string{spec}})
	if err != nil || len(plans) != 1 {
		t.Fatalf("gen.Plans: %d plans, %v", len(plans), err)
	}
	old := plans[0]
	tst, err := storage.OpenURL(ctx, "tables/action_counts")
	if err != nil {
		t.Fatal(err)
	}
	old.Sink.Table = delta.Open(tst).Location()
	cp, err := storage.NewLocal("cp")
	if err != nil {
		t.Fatal(err)
	}
	if err := planprint.Record(ctx, cp, old); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(spec)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(data), `- where: action != ""`, `- where: action != "" && action != "noop"`, 1)
	if err := os.WriteFile(spec, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	r = run("check", "--checkpoint", "cp", "--table", "tables/action_counts", spec)
	if r.code != ExitOK || r.stderr != "" || !strings.Contains(r.stdout, "step 0 (where): allowed:") ||
		!strings.Contains(r.stdout, "1 change: 1 allowed: the query restarts on its checkpoint\n") {
		t.Errorf("where changed: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}

	// Another sink table: refused, exit 1.
	r = run("check", "--checkpoint", "cp", "--table", "tables/elsewhere", spec)
	if r.code != ExitError || !strings.Contains(r.stdout, "sink table: refused:") ||
		!strings.Contains(r.stdout, "the query cannot restart on this checkpoint and table\n") {
		t.Errorf("table moved: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
}

func TestCheckEvolutionErrors(t *testing.T) {
	scaffold(t)
	spec := "pipelines/action_counts.yaml"
	if err := os.MkdirAll("cp/streamgen", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("cp/streamgen/plan.json", []byte(`{"version": 99}`), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run("check", "--checkpoint", "cp", spec)
	if r.code != ExitError || !strings.HasPrefix(r.stderr, "streamgen check: checkpoint cp: planprint: ") {
		t.Errorf("newer record: exit %d, stderr:\n%s", r.code, r.stderr)
	}
}
