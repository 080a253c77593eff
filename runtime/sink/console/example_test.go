package console_test

import (
	"context"
	"os"

	"github.com/streamgen/streamgen/runtime/sink/console"
)

// A console sink printing the IoT device statuses of one batch.
func Example() {
	type deviceStatus struct {
		Device string `json:"device"`
		Status string `json:"status"`
	}
	sink := console.New[deviceStatus](os.Stdout, console.NumRows(2))
	_ = sink.AddBatch(context.Background(), 3, []deviceStatus{
		{"Dev1", "ok"}, {"Dev2", "error"}, {"Dev3", "ok"},
	})
	// Output:
	// -------------------------------------------
	// Batch: 3
	// -------------------------------------------
	// +------+------+
	// |device|status|
	// +------+------+
	// |  Dev1|    ok|
	// |  Dev2| error|
	// +------+------+
	// only showing top 2 rows
}
