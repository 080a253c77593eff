package alltypes

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/storage"
)

// TestDecodeWriteRead decodes JSON lines with the generated decoder,
// writes them with delta.WriteTyped (which checks the parquet tags against
// OrderDeltaSchema) and reads the table back.
func TestDecodeWriteRead(t *testing.T) {
	lines := []string{
		`{"order_id":"5f0c3c9e-8d7a-4b59-9a51-1c2d3e4f5a6b","time":1714564800123,"updated":"2024-05-01T12:00:00.5Z","status":"in-progress","quantity":3,"total_cents":1299,"price":12.99,"gift":true,"tags":["a","b"],"scores":[1,null,3],"ship_to":{"lat":52.5,"lon":13.4},"stops":[{"lat":1,"lon":2}],"seen_at":["2024-05-01T12:00:00Z"],"customer_urls":["web","app"],"ship_date":"2024-02-29"}`,
		`{"order_id":"00000000-0000-0000-0000-000000000000","time":0,"updated":null,"status":"DONE","quantity":0,"price":null,"scores":[]}`,
	}
	dec := NewOrderDecoder()
	rows := make([]Order, len(lines))
	for i, l := range lines {
		if err := dec.Decode([]byte(l), &rows[i]); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
	}
	ctx := context.Background()
	store, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	schema := OrderDeltaSchema()
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
	ts := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	want := []delta.Row{
		{"5f0c3c9e-8d7a-4b59-9a51-1c2d3e4f5a6b", ts.Add(123 * time.Millisecond), ts.Add(500 * time.Millisecond), "in-progress", int32(3), int64(1299), 12.99, true,
			[]any{"a", "b"}, []any{int64(1), nil, int64(3)}, delta.Row{52.5, 13.4}, []any{delta.Row{1.0, 2.0}}, []any{ts}, []any{"web", "app"}, delta.DateOf(time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC))},
		{"00000000-0000-0000-0000-000000000000", time.Unix(0, 0).UTC(), nil, "DONE", int32(0), nil, nil, nil,
			nil, []any{}, nil, nil, nil, nil, nil},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

// TestDeltaSchema pins the schema string the table metadata gets.
func TestDeltaSchema(t *testing.T) {
	got := OrderDeltaSchema().SchemaString()
	want := `{"type":"struct","fields":[` +
		`{"name":"order_id","type":"string","nullable":false,"metadata":{}},` +
		`{"name":"time","type":"timestamp","nullable":false,"metadata":{}},` +
		`{"name":"updated","type":"timestamp","nullable":true,"metadata":{}},` +
		`{"name":"status","type":"string","nullable":false,"metadata":{}},` +
		`{"name":"quantity","type":"integer","nullable":false,"metadata":{}},` +
		`{"name":"total_cents","type":"long","nullable":true,"metadata":{}},` +
		`{"name":"price","type":"double","nullable":true,"metadata":{}},` +
		`{"name":"gift","type":"boolean","nullable":true,"metadata":{}},` +
		`{"name":"tags","type":{"type":"array","elementType":"string","containsNull":false},"nullable":true,"metadata":{}},` +
		`{"name":"scores","type":{"type":"array","elementType":"long","containsNull":true},"nullable":true,"metadata":{}},` +
		`{"name":"ship_to","type":{"type":"struct","fields":[{"name":"lat","type":"double","nullable":false,"metadata":{}},{"name":"lon","type":"double","nullable":false,"metadata":{}}]},"nullable":true,"metadata":{}},` +
		`{"name":"stops","type":{"type":"array","elementType":{"type":"struct","fields":[{"name":"lat","type":"double","nullable":false,"metadata":{}},{"name":"lon","type":"double","nullable":false,"metadata":{}}]},"containsNull":false},"nullable":true,"metadata":{}},` +
		`{"name":"seen_at","type":{"type":"array","elementType":"timestamp","containsNull":false},"nullable":true,"metadata":{}},` +
		`{"name":"customer_urls","type":{"type":"array","elementType":"string","containsNull":false},"nullable":true,"metadata":{}},` +
		`{"name":"ship_date","type":"date","nullable":true,"metadata":{}}]}`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("schema string (-want +got):\n%s", diff)
	}
	if !OrderStatusInProgress.Valid() || OrderStatus("done").Valid() {
		t.Error("OrderStatus.Valid")
	}
}
