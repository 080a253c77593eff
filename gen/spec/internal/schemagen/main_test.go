package main

import (
	"flag"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite schemas/pipeline.schema.json")

const committed = "../../../../schemas/pipeline.schema.json"

// TestSchemaInSync fails when schemas/pipeline.schema.json differs from
// what the gen/spec types generate (run `make generate`, or this test
// with -update).
func TestSchemaInSync(t *testing.T) {
	got, err := Generate("../..")
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(committed, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(committed)
	if err != nil {
		t.Fatalf("%v (run make generate)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("schemas/pipeline.schema.json is stale: run make generate (-committed +generated):\n%s", diff)
	}
}

// TestSchemaIndependentOfDir: generating from gen/spec (go generate) and
// from here (the test) gives the same bytes.
func TestSchemaIndependentOfDir(t *testing.T) {
	a, err := Generate("../..")
	if err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	t.Cleanup(func() { os.Chdir(wd) })
	if err := os.Chdir("../.."); err != nil {
		t.Fatal(err)
	}
	b, err := Generate(".")
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) {
		t.Error("schema depends on the directory it is generated from")
	}
}
