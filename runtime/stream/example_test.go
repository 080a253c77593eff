package stream_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"

	"github.com/streamgen/streamgen/runtime/checkpoint"
	"github.com/streamgen/streamgen/runtime/sink/memory"
	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/stream"
	"github.com/streamgen/streamgen/runtime/trigger"
)

// lines is a toy source over a slice: its offset is the number of lines.
type lines struct{ data []string }

func (l *lines) Description() string { return "lines" }
func (l *lines) InitialOffset(context.Context) (json.RawMessage, error) {
	return json.RawMessage("0"), nil
}
func (l *lines) LatestOffset(_ context.Context, start json.RawMessage) (json.RawMessage, error) {
	n, _ := strconv.Atoi(string(start))
	return json.RawMessage(strconv.Itoa(min(n+2, len(l.data)))), nil // read limit: 2 lines
}
func (l *lines) Commit(context.Context, json.RawMessage) error { return nil }

// A query reading a source in batches of two lines into a memory sink,
// with the AvailableNow trigger.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "stream")
	defer os.RemoveAll(dir)
	store, _ := storage.NewLocal(dir)
	cp, _ := checkpoint.Open(ctx, store)

	src := &lines{data: []string{"a", "b", "c", "d", "e"}}
	sink := memory.New[string]()
	run := func(ctx context.Context, b *stream.Batch) (stream.BatchResult, error) {
		from, _ := strconv.Atoi(string(b.Start[0]))
		to, _ := strconv.Atoi(string(b.End[0]))
		rows := src.data[from:to]
		if err := sink.AddBatch(ctx, b.ID, rows); err != nil { // idempotent per batch ID
			return stream.BatchResult{}, err
		}
		return stream.BatchResult{NumInputRows: int64(len(rows)), NumOutputRows: int64(len(rows))}, nil
	}
	q, err := stream.NewQuery(cp, []stream.Source{src}, run,
		stream.Trigger(trigger.AvailableNow()), stream.Logger(discard))
	if err != nil {
		panic(err)
	}
	if err := q.Start(ctx); err != nil {
		panic(err)
	}
	if err := q.AwaitTermination(ctx); err != nil {
		panic(err)
	}
	for _, p := range q.RecentProgress() {
		fmt.Println("batch", p.BatchID, "rows", p.NumInputRows, "to", string(p.Sources[0].EndOffset))
	}
	fmt.Println(sink.Rows())
	// Output:
	// batch 0 rows 2 to 2
	// batch 1 rows 2 to 4
	// batch 2 rows 1 to 5
	// [a b c d e]
}
