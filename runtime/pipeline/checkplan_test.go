package pipeline

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/planprint"
	"github.com/streamgen/streamgen/runtime/storage"
)

func testPlan(keys ...string) *planprint.Plan {
	p := &planprint.Plan{
		Pipeline:   "counts",
		Sources:    []planprint.Source{{Kind: planprint.SourceRate, Schema: []planprint.Field{{Name: "value", Type: planprint.Long}}}},
		OutputMode: planprint.Complete,
		Sink: planprint.Sink{Kind: planprint.SinkDelta, Table: "tables/counts",
			Schema: []planprint.Field{{Name: "value", Type: planprint.Long}, {Name: "n", Type: planprint.Long}}},
		Pos: planprint.Pos{File: "streamgen.yaml", Line: 1, Col: 1},
	}
	op := planprint.Operator{Kind: planprint.OpAggregate, Aggregates: []planprint.Aggregate{{Func: "count", Name: "n", Type: planprint.Long}},
		StateVersion: 1, StateFingerprint: "K/S v1"}
	for _, k := range keys {
		op.Keys = append(op.Keys, planprint.Field{Name: k, Type: planprint.Long})
	}
	p.Operators = []planprint.Operator{op}
	return p
}

func encode(t *testing.T, p *planprint.Plan) string {
	t.Helper()
	b, err := planprint.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCheckPlan(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	env, err := Open(ctx, Options{Name: "counts", CheckpointPath: filepath.Join(dir, "cp")})
	if err != nil {
		t.Fatal(err)
	}
	st, err := storage.NewLocal(filepath.Join(dir, "table"))
	if err != nil {
		t.Fatal(err)
	}
	table := delta.Open(st)
	// First run: no record, no table: recorded, with the table's location.
	if err := env.CheckPlan(ctx, encode(t, testPlan("value")), table); err != nil {
		t.Fatal(err)
	}
	rec, err := planprint.Load(ctx, env.Checkpoint.Storage())
	if err != nil || rec == nil {
		t.Fatalf("Load: %v, %v", rec, err)
	}
	if rec.Sink.Table != table.Location() {
		t.Errorf("recorded table %q, want %q", rec.Sink.Table, table.Location())
	}
	// A grouping key added: refused, the report as the error, nothing recorded.
	err = env.CheckPlan(ctx, encode(t, testPlan("value", "other")), table)
	var pe *PlanError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want a *PlanError", err)
	}
	var re *planprint.RefusedError
	if !errors.As(err, &re) {
		t.Errorf("err does not wrap a *planprint.RefusedError")
	}
	msg := err.Error()
	for _, want := range []string{"counts: the pipeline changed incompatibly", "grouping keys: refused: [value long] → [value long, other long]", "the query cannot restart on this checkpoint and table"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if rec2, _ := planprint.Load(ctx, env.Checkpoint.Storage()); len(rec2.Operators[0].Keys) != 1 {
		t.Error("a refused plan was recorded")
	}
	// No checkpoint (a consumer group): the table only.
	group := &Env{Name: "counts", Logger: env.Logger}
	if err := group.CheckPlan(ctx, encode(t, testPlan("value", "other")), table); err != nil {
		t.Errorf("consumer group without a table: %v", err)
	}
}
