package generated_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/storage"
)

// userMain decodes JSON lines from stdin with the generated decoder and
// appends them to the Delta table named by its argument with
// delta.WriteTyped: what a user's binary does until the engine generates
// the pipeline's main.
const userMain = `package main

import (
	"bufio"
	"context"
	"fmt"
	"log"
	"os"

	"example.com/shop/internal/actioncounts"
	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/storage"
)

func main() {
	ctx := context.Background()
	dec := actioncounts.NewActionCountsEventDecoder()
	var rows []actioncounts.ActionCountsEvent
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		var e actioncounts.ActionCountsEvent
		if err := dec.Decode(sc.Bytes(), &e); err != nil {
			log.Fatalf("line %d: %v", len(rows)+1, err)
		}
		rows = append(rows, e)
	}
	store, err := storage.NewLocal(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	schema := actioncounts.ActionCountsEventDeltaSchema()
	tx, err := delta.Open(store).Begin(ctx)
	if err != nil {
		log.Fatal(err)
	}
	if tx.ReadVersion() < 0 {
		tx.SetMetadata(delta.Metadata{SchemaString: schema.SchemaString(), PartitionColumns: []string{}})
	}
	adds, err := delta.WriteTyped(ctx, store, schema, nil, rows, nil, delta.WriterOptions{})
	if err != nil {
		log.Fatal(err)
	}
	tx.Add(adds...)
	v, err := tx.Commit(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("committed version %d: %d rows\n", v, len(rows))
}
`

// TestUserModule does what a new user does, in a scratch module that
// requires this repository (through a replace): streamgen init, go
// generate, a static build with CGO_ENABLED=0, go vet, and a run of a
// binary that decodes JSON lines with the generated decoder and writes
// them to a Delta table, which the test then reads.
func TestUserModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a scratch module (-short)")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	gomod := "module example.com/shop\n\ngo 1.26\n\nrequire github.com/streamgen/streamgen v0.0.0\n\nreplace github.com/streamgen/streamgen => " + root + "\n"
	writeFile(t, filepath.Join(dir, "go.mod"), gomod)
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "go.sum"), string(sum))
	writeFile(t, filepath.Join(dir, "cmd", "actioncounts", "main.go"), userMain)

	env := append(os.Environ(), "GOFLAGS=-mod=mod", "CGO_ENABLED=0", "GOWORK=off")
	run := func(dir string, args ...string) string {
		t.Helper()
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Dir = dir
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run(dir, "go", "run", "github.com/streamgen/streamgen/cmd/streamgen", "init", "action_counts")
	run(dir, "go", "generate", "./...")
	for _, f := range []string{"streamgen.go", "action_counts_event.go", "action_counts_event_decode.go"} {
		if _, err := os.Stat(filepath.Join(dir, "internal", "actioncounts", f)); err != nil {
			t.Errorf("go generate did not write %s: %v", f, err)
		}
	}
	run(dir, "go", "build", "./...")
	run(dir, "go", "vet", "./...")
	bin := filepath.Join(dir, "actioncounts")
	run(dir, "go", "build", "-o", bin, "./cmd/actioncounts")

	table := filepath.Join(dir, "tables", "events")
	cmd := exec.Command(bin, table)
	cmd.Stdin = strings.NewReader(`{"time":1469501675,"action":"Open"}` + "\n" + `{"action":"Close","time":1469501678}` + "\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", bin, err, out)
	}
	if got, want := string(out), "committed version 0: 2 rows\n"; got != want {
		t.Errorf("binary printed %q, want %q", got, want)
	}
	store, err := storage.NewLocal(table)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := delta.Open(store).Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rows, err := snap.Rows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []delta.Row{
		{time.Unix(1469501675, 0).UTC(), "Open"},
		{time.Unix(1469501678, 0).UTC(), "Close"},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("table rows (-want +got):\n%s", diff)
	}
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
