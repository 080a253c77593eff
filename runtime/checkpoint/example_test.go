package checkpoint_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/streamgen/streamgen/runtime/checkpoint"
	"github.com/streamgen/streamgen/runtime/storage"
)

// The engine's write-ahead protocol, a crash, and the restart.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "checkpoint")
	defer os.RemoveAll(dir)
	store, _ := storage.NewLocal(dir)

	cp, _ := checkpoint.Open(ctx, store, checkpoint.InitialID("8f1c2a3e-5b6d-4e7f-9a0b-1c2d3e4f5a6b"))
	for n := int64(0); n < 3; n++ {
		// 1. Log what the batch reads, before reading it.
		_ = cp.WriteOffsets(ctx, n, &checkpoint.OffsetSeq{
			Metadata: checkpoint.OffsetSeqMetadata{BatchTimestampMs: 1700000000000 + n},
			Offsets:  []json.RawMessage{json.RawMessage(fmt.Sprintf(`{"logOffset":%d}`, n))},
		})
		if n == 2 {
			break // 2. crash while running batch 2, before its commit
		}
		// 3. Run the batch, write the sink, then commit.
		_ = cp.WriteCommit(ctx, n, checkpoint.CommitMetadata{NextBatchWatermarkMs: 0})
	}

	// The restart.
	cp, _ = checkpoint.Open(ctx, store)
	r, _ := cp.RecoveryPlan(ctx)
	fmt.Println("query", cp.ID())
	fmt.Println(r.Action, r.BatchID, "from", string(r.Start.Offsets[0]), "to", string(r.Offsets.Offsets[0]))
	b, _ := os.ReadFile(dir + "/offsets/2")
	fmt.Printf("offsets/2:\n%s\n", b)
	// Output:
	// query 8f1c2a3e-5b6d-4e7f-9a0b-1c2d3e4f5a6b
	// re-run batch 2 from {"logOffset":1} to {"logOffset":2}
	// offsets/2:
	// v1
	// {"batchWatermarkMs":0,"batchTimestampMs":1700000000002,"conf":{}}
	// {"logOffset":2}
}
