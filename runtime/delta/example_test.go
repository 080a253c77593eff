package delta_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/storage"
)

// This example creates a table, appends to it idempotently as a streaming
// sink does (txn appId + batch id), and reads it back, also as of its first
// version.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "delta-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	store, err := storage.NewLocal(dir)
	if err != nil {
		log.Fatal(err)
	}
	table := delta.Open(store)

	schema := &delta.StructType{Fields: []delta.StructField{
		{Name: "device", Type: delta.String, Nullable: false},
		{Name: "status", Type: delta.String, Nullable: true},
		{Name: "time", Type: delta.Timestamp, Nullable: false},
	}}
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

	// appendBatch writes rows and commits them as batch batchID of a query.
	appendBatch := func(batchID int64, rows []delta.Row) {
		tx, err := table.Begin(ctx)
		if err != nil {
			log.Fatal(err)
		}
		if tx.ReadVersion() < 0 { // a new table: its first commit creates it
			tx.SetMetadata(delta.Metadata{SchemaString: schema.SchemaString(), PartitionColumns: []string{}})
		}
		adds, err := delta.WriteRows(ctx, store, schema, nil, rows, delta.WriterOptions{})
		if err != nil {
			log.Fatal(err)
		}
		tx.Add(adds...)
		tx.SetTxn("query-1", batchID)
		tx.SetOperation("STREAMING UPDATE", map[string]any{"outputMode": "Append", "epochId": fmt.Sprint(batchID)})
		v, err := tx.Commit(ctx)
		if errors.Is(err, delta.ErrTxnAlreadyCommitted) {
			// Its data file is left unreferenced; VACUUM removes it later.
			fmt.Println("batch", batchID, "was already committed")
			return
		}
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("batch", batchID, "committed version", v)
	}
	appendBatch(0, []delta.Row{{"Dev1", "ok", t0}, {"Dev2", "warn", t0.Add(time.Second)}})
	appendBatch(1, []delta.Row{{"Dev3", nil, t0.Add(2 * time.Second)}})
	// A restarted query re-running batch 1 writes nothing twice.
	appendBatch(1, []delta.Row{{"Dev3", nil, t0.Add(2 * time.Second)}})

	snap, err := table.Snapshot(ctx)
	if err != nil {
		log.Fatal(err)
	}
	rows, err := snap.Rows(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("version", snap.Version, "rows", len(rows), "txn", snap.Txns["query-1"].Version)

	first, err := table.SnapshotAt(ctx, 0)
	if err != nil {
		log.Fatal(err)
	}
	firstRows, err := first.Rows(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range firstRows {
		fmt.Println(r[0], r[1], r[2].(time.Time).Format(time.RFC3339))
	}
	// Output:
	// batch 0 committed version 0
	// batch 1 committed version 1
	// batch 1 was already committed
	// version 1 rows 3 txn 1
	// Dev1 ok 2024-05-01T12:00:00Z
	// Dev2 warn 2024-05-01T12:00:01Z
}
