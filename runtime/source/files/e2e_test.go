package files_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/sink/memory"
	"github.com/streamgen/streamgen/runtime/source/files"
	"github.com/streamgen/streamgen/runtime/stream"
	"github.com/streamgen/streamgen/runtime/trigger"
)

// writeReadings writes files n0..n1-1 of 5 device readings each and
// returns the rows.
func writeReadings(e *env, n0, n1 int) []row {
	var all []row
	for f := n0; f < n1; f++ {
		content := ""
		for i := range 5 {
			r := row{Device: fmt.Sprintf("dev%02d", f), Status: fmt.Sprintf("s%d", i)}
			all = append(all, r)
			content += line(r.Device, r.Status)
		}
		e.write(fmt.Sprintf("readings-%02d.jsonl", f), content, f)
	}
	return all
}

// killAt describes where a run is killed: in batch, before or after the
// sink write.
type killAt struct {
	batch     int64
	afterSink bool
	// latestCall, when positive, kills the run right after that
	// LatestOffset call instead: after the source log is written and
	// before offsets/N.
	latestCall int
}

// killingSource cancels the run after its nth LatestOffset call.
type killingSource struct {
	*files.Source[row]
	n, calls int
	cancel   func()
}

func (k *killingSource) LatestOffset(ctx context.Context, start json.RawMessage) (json.RawMessage, error) {
	off, err := k.Source.LatestOffset(ctx, start)
	if k.calls++; k.calls == k.n {
		k.cancel()
	}
	return off, err
}

// runQuery runs one available-now query over e with a fresh source and
// checkpoint view, killed (its context cancelled) at kill if set. It
// returns the IDs of the batches the runner saw.
func runQuery(t *testing.T, e *env, sink *memory.Sink[row], kill *killAt) []int64 {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cp := e.checkpoint()
	src, err := files.New(ctx, e.store, cp, 0, newDecoder, files.Logger(discard),
		files.MaxFilesPerTrigger(1), files.OnMalformed(files.FailMalformed))
	if err != nil {
		t.Fatal(err)
	}
	var seen []int64
	run := func(ctx context.Context, b *stream.Batch) (stream.BatchResult, error) {
		seen = append(seen, b.ID)
		var rows []row
		st, err := src.Read(ctx, b.Start[0], b.End[0], func(r *row, _ files.Origin) error {
			rows = append(rows, *r)
			return nil
		})
		if err != nil {
			return stream.BatchResult{}, err
		}
		if kill != nil && kill.latestCall == 0 && b.ID == kill.batch && !kill.afterSink {
			cancel()
			return stream.BatchResult{}, ctx.Err()
		}
		if err := sink.AddBatch(ctx, b.ID, rows); err != nil {
			return stream.BatchResult{}, err
		}
		if kill != nil && kill.latestCall == 0 && b.ID == kill.batch {
			cancel()
			return stream.BatchResult{}, ctx.Err()
		}
		return stream.BatchResult{NumInputRows: st.Rows, NumOutputRows: int64(len(rows))}, nil
	}
	var qs stream.Source = src
	if kill != nil && kill.latestCall > 0 {
		qs = &killingSource{Source: src, n: kill.latestCall, cancel: cancel}
	}
	q, err := stream.NewQuery(cp, []stream.Source{qs}, run, stream.Trigger(trigger.AvailableNow()), stream.Logger(discard))
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer wcancel()
	if err := q.AwaitTermination(wctx); err != nil {
		t.Fatal(err)
	}
	return seen
}

func sorted(rows []row) []row {
	rows = append([]row(nil), rows...)
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Device != rows[j].Device {
			return rows[i].Device < rows[j].Device
		}
		return rows[i].Status < rows[j].Status
	})
	return rows
}

// Ten files, one per batch with maxFilesPerTrigger 1 and available-now:
// ten batches, and the sink holds every row once.
func TestQueryAvailableNowOneFilePerBatch(t *testing.T) {
	e := newEnv(t)
	all := writeReadings(e, 0, 10)
	sink := memory.New[row]()
	seen := runQuery(t, e, sink, nil)
	if diff := cmp.Diff([]int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, seen); diff != "" {
		t.Errorf("batches (-want +got):\n%s", diff)
	}
	// Files in order: the sink's rows are the files' rows in order.
	if diff := cmp.Diff(all, sink.Rows()); diff != "" {
		t.Errorf("sink rows (-want +got):\n%s", diff)
	}
	// A second run finds nothing new.
	if seen := runQuery(t, e, sink, nil); len(seen) != 0 {
		t.Errorf("second run ran batches %v", seen)
	}
}

// Killed mid-run (before and after the sink write) and restarted, with
// files arriving in between: every row is in the sink exactly once.
func TestQueryKilledAndRestartedExactlyOnce(t *testing.T) {
	e := newEnv(t)
	all := writeReadings(e, 0, 10)
	sink := memory.New[row]()
	runs := []struct {
		kill *killAt
		want []int64
	}{
		{&killAt{batch: 3}, []int64{0, 1, 2, 3}},
		{&killAt{batch: 6, afterSink: true}, []int64{3, 4, 5, 6}},
		{&killAt{latestCall: 2}, []int64{6, 7}},
		{nil, []int64{8, 9, 10, 11, 12}}, // 9 is the empty early file
	}
	for i, r := range runs {
		if i == 3 {
			all = append(all, writeReadings(e, 10, 12)...)
		}
		seen := runQuery(t, e, sink, r.kill)
		if i == 2 {
			// Killed after the source log took batch 8 and before
			// offsets/8: the next run reads that pending batch first.
			if _, err := os.Stat(filepath.Join(e.cp, "offsets", "8")); !os.IsNotExist(err) {
				t.Fatalf("offsets/8 exists after the kill in LatestOffset: %v", err)
			}
			if _, err := os.Stat(filepath.Join(e.cp, "sources", "0", "8")); err != nil {
				t.Fatalf("sources/0/8 missing after the kill in LatestOffset: %v", err)
			}
			e.write("readings-00a.jsonl", "", -1) // sorts first: must not displace the pending batch
		}
		if diff := cmp.Diff(r.want, seen); diff != "" {
			t.Errorf("run %d batches (-want +got):\n%s", i, diff)
		}
	}
	if diff := cmp.Diff(sorted(all), sorted(sink.Rows())); diff != "" {
		t.Errorf("sink rows (-want +got):\n%s", diff)
	}
	if sink.NumBatches() != 13 {
		t.Errorf("sink added %d batches, want 13", sink.NumBatches())
	}
	s := e.source()
	var got [][]string
	for b := int64(7); b <= 9; b++ {
		got = append(got, names(t, s, off(b-1), off(b)))
	}
	want := [][]string{{"readings-07.jsonl"}, {"readings-08.jsonl"}, {"readings-00a.jsonl"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files of log batches 7 to 9 (-want +got):\n%s", diff)
	}
}
