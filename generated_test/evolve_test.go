package generated_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"

	"github.com/streamgen/streamgen/cmd/streamgen/cli"
	"github.com/streamgen/streamgen/gen"
	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/planprint"
	"github.com/streamgen/streamgen/runtime/storage"
)

// TestEvolve runs `streamgen check --checkpoint DIR SPEC` over each
// evolve/*.txtar case: a pipeline as it ran (old/streamgen.yaml and its
// schemas) and as it changed (new/streamgen.yaml and its schemas). The
// old version's run is simulated as the generated binary would leave it:
// its plan (gen.Plans, the plan the generated code embeds) recorded in a
// checkpoint with planprint.Record, the sink's table location as the
// binary opens it; and, for a Delta sink, the table created at the old
// spec's sink path with the old output schema and partitioning. The check
// runs in-process (cli.Main) from new/, so positions are relative to the
// new spec as a user sees them. Its stdout, the exit status as a last
// line "exit N", with the temporary directory replaced by $WORK, must
// equal the case's "report" section exactly; go test -update rewrites it.
//
// The test changes the working directory (t.Chdir), so it does not run in
// parallel.
func TestEvolve(t *testing.T) {
	cases, err := filepath.Glob("evolve/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no evolve cases")
	}
	for _, file := range cases {
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if dir, err = filepath.EvalSymlinks(dir); err != nil {
				t.Fatal(err)
			}
			report := -1
			for i, f := range ar.Files {
				if f.Name == "report" {
					report = i
					continue
				}
				p := filepath.Join(dir, filepath.FromSlash(f.Name))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, f.Data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			newDir := filepath.Join(dir, "new")
			// The old version's run, from new/ (where the binary runs, so
			// relative sink paths name the same table).
			plans, err := gen.Plans(ctx, gen.Config{Dir: filepath.Join(dir, "old"), Specs: []string{"streamgen.yaml"}})
			if err != nil {
				t.Fatalf("old spec: %v", err)
			}
			if len(plans) != 1 {
				t.Fatalf("old spec: %d runnable pipelines, want 1", len(plans))
			}
			old := plans[0]
			if old.Sink.Kind == planprint.SinkDelta {
				loc := old.Sink.Table
				if !filepath.IsAbs(loc) && !strings.Contains(loc, "://") {
					loc = filepath.Join(newDir, loc)
				}
				createTable(t, ctx, loc, old.Sink)
				st, err := storage.OpenURL(ctx, loc)
				if err != nil {
					t.Fatal(err)
				}
				old.Sink.Table = delta.Open(st).Location()
			}
			cp := filepath.Join(dir, "checkpoint")
			cpStore, err := storage.NewLocal(cp)
			if err != nil {
				t.Fatal(err)
			}
			if err := planprint.Record(ctx, cpStore, old); err != nil {
				t.Fatal(err)
			}

			t.Chdir(newDir)
			var stdout, stderr bytes.Buffer
			code := cli.Main([]string{"check", "--checkpoint", cp, "streamgen.yaml"}, nil, &stdout, &stderr)
			if stderr.Len() > 0 {
				t.Errorf("stderr:\n%s", stderr.String())
			}
			got := []byte(strings.ReplaceAll(stdout.String(), dir, "$WORK") + "exit " + string(rune('0'+code)) + "\n")
			if *update {
				if report < 0 {
					ar.Files = append(ar.Files, txtar.File{Name: "report"})
					report = len(ar.Files) - 1
				}
				ar.Files[report].Data = got
				if err := os.WriteFile(filepath.Join(testDir(t), file), txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if report < 0 {
				t.Fatalf("no report section; got:\n%s", got)
			}
			if want := ar.Files[report].Data; !bytes.Equal(got, want) {
				t.Errorf("report differs (-want +got):\n%s", cmp.Diff(string(want), string(got)))
			}
		})
	}
}

// testDir is the package directory, where the test started (t.Chdir
// moves the working directory of a subtest).
var startDir, _ = os.Getwd()

func testDir(t *testing.T) string {
	t.Helper()
	if startDir == "" {
		t.Fatal("no working directory")
	}
	return startDir
}

// createTable commits version 0 of a Delta table at loc with the sink's
// output schema and partitioning, as the old version's first commit did.
func createTable(t *testing.T, ctx context.Context, loc string, sink planprint.Sink) {
	t.Helper()
	st, err := storage.OpenURL(ctx, loc)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := delta.Open(st).Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	parts := sink.PartitionBy
	if parts == nil {
		parts = []string{}
	}
	tx.SetMetadata(delta.Metadata{SchemaString: planprint.DeltaSchema(sink.Schema).SchemaString(), PartitionColumns: parts})
	tx.SetOperation("CREATE TABLE", nil)
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}
