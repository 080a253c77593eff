package front

import (
	"context"
	"os"
	"testing"
	"testing/fstest"
)

func TestLoadActionCounts(t *testing.T) {
	event, err := os.ReadFile("../../schemas/event.json")
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{
		"schemas/event.json": {Data: event},
		"pipelines/action_counts.yaml": {Data: []byte(`name: action_counts
source:
  files: {path: data/events, schema: ../schemas/event.json, maxFilesPerTrigger: 1}
steps:
  - where: action != ""
  - watermark: {column: time, delay: 10m}
  - groupBy: {keys: [action], window: {column: time, size: 1h}}
    aggregate: {count: count(), latest: max(time)}
sink:
  delta: {path: tables/action_counts, outputMode: complete}
checkpoint: checkpoints/action_counts
`)},
	}
	prog, diags := Load(context.Background(), fsys, []string{"pipelines/action_counts.yaml"}, Options{DisplayPrefix: "repo"})
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	if len(prog.Records) != 1 || prog.Records[0].Name != "Event" || prog.Records[0].Source != "repo/schemas/event.json" {
		t.Fatalf("records: %+v", prog.Records)
	}
	pl := prog.Pipelines[0]
	if pl.Spec != "repo/pipelines/action_counts.yaml" || pl.Source.Record != prog.Records[0] || pl.Output.Name != "ActionCountsResult" {
		t.Errorf("pipeline: %+v", pl)
	}
}

func TestLoadOutsideRoot(t *testing.T) {
	fsys := fstest.MapFS{"p.yaml": {Data: []byte("name: p\nsource: {files: {path: d, schema: ../x.json}}\nsink: {console: {}}\n")}}
	_, diags := Load(context.Background(), fsys, []string{"p.yaml"}, Options{})
	if len(diags) != 1 || diags[0].String() != `p.yaml:2:35: source.files.schema: schema "../x.json" is outside the directory streamgen reads` {
		t.Errorf("got %v", diags)
	}
}
