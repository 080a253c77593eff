package actioncounts

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/storage"
)

// TestEvent decodes the epoch-seconds events of the Databricks sample.
func TestEvent(t *testing.T) {
	var e Event
	if err := NewEventDecoder().Decode([]byte(`{"time":1469501675,"action":"Open"}`), &e); err != nil {
		t.Fatal(err)
	}
	want := Event{Time: time.Date(2016, 7, 26, 2, 54, 35, 0, time.UTC), Action: EventActionOpen}
	if e != want {
		t.Errorf("decoded %+v, want %+v", e, want)
	}
	if err := NewEventDecoder().Decode([]byte(`{"time":1469501675,"action":"Opened"}`), &e); err == nil {
		t.Error("an action outside the enum decoded")
	}
}

// TestResultTable writes windowed counts, the aggregation's result rows,
// to a Delta table with the generated schema.
func TestResultTable(t *testing.T) {
	ctx := context.Background()
	store, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2016, 7, 26, 2, 0, 0, 0, time.UTC)
	rows := []ActionCountsResult{{Action: EventActionOpen, WindowStart: start, WindowEnd: start.Add(time.Hour), Count: 2, Latest: start.Add(54 * time.Minute)}}
	schema := ActionCountsResultDeltaSchema()
	tx, err := delta.Open(store).Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx.SetMetadata(delta.Metadata{SchemaString: schema.SchemaString(), PartitionColumns: []string{}})
	adds, err := delta.WriteTyped(ctx, store, schema, nil, rows, nil, delta.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tx.Add(adds...)
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	snap, err := delta.Open(store).Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := snap.Rows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []delta.Row{{"Open", start, start.Add(time.Hour), int64(2), start.Add(54 * time.Minute)}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}
