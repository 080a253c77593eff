package delta

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestConcurrentGoroutineAppendsMinIO: the goroutine concurrency test on
// S3 (MinIO): several writers commit blind appends to one table whose log
// and data live in a bucket; every commit lands exactly once, at
// contiguous versions, through a checkpoint.
func TestConcurrentGoroutineAppendsMinIO(t *testing.T) {
	ctx := context.Background()
	tbl := concS3(t, "conc").tbl
	const writers, perWriter = 4, 10
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for w := 0; w < writers; w++ {
		wg.Go(func() {
			for i := 0; i < perWriter; i++ {
				if err := concAppend(ctx, tbl, fmt.Sprintf("g%d", w), i, false); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d commits by %d goroutines on MinIO in %v", writers*perWriter, writers, time.Since(start))
	var want []string
	for w := 0; w < writers; w++ {
		want = append(want, concPayloads(fmt.Sprintf("g%d", w), perWriter)...)
	}
	snap := concVerify(t, tbl, writers*perWriter, want)
	if snap.Segment.Checkpoint == nil || snap.Segment.Checkpoint.Version < 10 {
		t.Errorf("latest snapshot was not read from a checkpoint: %+v", snap.Segment)
	}
}
