package deltasource_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/delta"
	deltasource "github.com/streamgen/streamgen/runtime/source/delta"
	"github.com/streamgen/streamgen/runtime/stream"
	"github.com/streamgen/streamgen/runtime/trigger"
)

// sixFiles builds v0 with files in partitions a, b, c, v1 with a and b,
// v2 with c: six files of one row each.
func sixFiles(t *testing.T) (*env, [][]*delta.Add) {
	e := newEnv(t)
	_, a0 := e.appendRows(rec{1, "one", 1, "a"}, rec{2, "two", 2, "b"}, rec{3, "three", 3, "c"})
	_, a1 := e.appendRows(rec{4, "four", 4, "a"}, rec{5, "five-five", 5, "b"})
	_, a2 := e.appendRows(rec{6, "six-six-six", 6, "c"})
	return e, [][]*delta.Add{a0, a1, a2}
}

func TestMaxFilesPerTrigger(t *testing.T) {
	e, _ := sixFiles(t)
	id := e.tableID()
	bs, err := driveRec(t, e.newSource(deltasource.Config[rec]{StartingVersion: v(0), MaxFilesPerTrigger: 2}), nil, true)
	if err != nil {
		t.Fatal(err)
	}
	var ends []string
	var origins [][]deltasource.Origin
	for _, b := range bs {
		ends = append(ends, b.End)
		var os []deltasource.Origin
		for _, o := range b.Origins {
			os = append(os, deltasource.Origin{Version: o.Version, Index: o.Index})
		}
		origins = append(origins, os)
	}
	want := []string{offset(id, 0, 1, false), offset(id, 1, 0, false), offset(id, 3, -1, false)}
	if diff := cmp.Diff(want, ends); diff != "" {
		t.Errorf("batch ends (-want +got):\n%s", diff)
	}
	if bs[0].Start != offset(id, 0, -1, false) {
		t.Errorf("first start %s", bs[0].Start)
	}
	wantO := [][]deltasource.Origin{{{0, "", 0}, {0, "", 1}}, {{0, "", 2}, {1, "", 0}}, {{1, "", 1}, {2, "", 0}}}
	if diff := cmp.Diff(wantO, origins); diff != "" {
		t.Errorf("origins (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"1/one/1/a", "2/two/2/b", "3/three/3/c", "4/four/4/a", "5/five-five/5/b", "6/six-six-six/6/c"}, allRows(bs)); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

func TestMaxBytesPerTrigger(t *testing.T) {
	e, adds := sixFiles(t)
	var sizes []int64
	for _, as := range adds {
		for _, a := range as {
			sizes = append(sizes, a.Size)
		}
	}
	// groups applies Spark's rule independently: take files while fewer
	// than maxFiles were taken and the bytes taken are below maxBytes.
	groups := func(maxFiles int, maxBytes int64) []int {
		var out []int
		for i := 0; i < len(sizes); {
			n, sum := 0, int64(0)
			for i < len(sizes) && n < maxFiles && sum < maxBytes {
				sum += sizes[i]
				n++
				i++
			}
			out = append(out, n)
		}
		return out
	}
	for _, c := range []struct {
		files int
		bytes int64
	}{
		{0, 1}, {0, sizes[0] + 1}, {0, sizes[0] + sizes[1] + sizes[2]}, {0, 1 << 40}, {2, sizes[0] * 10}, {1, 1 << 40},
	} {
		e.cpDir = t.TempDir()
		bs, err := driveRec(t, e.newSource(deltasource.Config[rec]{StartingVersion: v(0), MaxFilesPerTrigger: c.files, MaxBytesPerTrigger: c.bytes}), nil, true)
		if err != nil {
			t.Fatal(err)
		}
		var got []int
		var bytes int64
		for _, b := range bs {
			got = append(got, int(b.Stats.Files))
			bytes += b.Stats.Bytes
		}
		maxFiles := c.files
		if maxFiles == 0 {
			maxFiles = 1 << 30 // Spark: no file cap when only maxBytesPerTrigger is set
		}
		if want := groups(maxFiles, c.bytes); !slices.Equal(got, want) {
			t.Errorf("maxFiles %d maxBytes %d: files per batch %v, want %v (sizes %v)", c.files, c.bytes, got, want, sizes)
		}
		if total := sizes[0] + sizes[1] + sizes[2] + sizes[3] + sizes[4] + sizes[5]; bytes != total {
			t.Errorf("numBytesRead total %d, want %d", bytes, total)
		}
	}
}

// TestSnapshotOrderAndLimit: the initial snapshot is read in Spark's
// order (modification time, then path) and split by the read limit; the
// snapshot's last file moves the offset to the next version.
func TestSnapshotOrderAndLimit(t *testing.T) {
	e := newEnv(t)
	adds := e.write(true, rec{1, "a", 1, "a"}, rec{2, "b", 2, "b"}, rec{3, "c", 3, "c"})
	mt := map[string]int64{"a": 3000, "b": 1000, "c": 2000}
	for _, a := range adds {
		a.ModificationTime = mt[*a.PartitionValues["p"]]
	}
	e.commit("WRITE", func(tx *delta.Transaction) { tx.Add(adds...) })
	id := e.tableID()
	bs, err := driveRec(t, e.newSource(deltasource.Config[rec]{MaxFilesPerTrigger: 2}), nil, true)
	if err != nil {
		t.Fatal(err)
	}
	got := []string{}
	for _, b := range bs {
		got = append(got, b.Start+" -> "+b.End+" "+strings.Join(b.Rows, ","))
	}
	want := []string{
		offset(id, 0, -1, true) + " -> " + offset(id, 0, 1, true) + " 2/b/2/b,3/c/3/c",
		offset(id, 0, 1, true) + " -> " + offset(id, 1, -1, false) + " 1/a/1/a",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("batches (-want +got):\n%s", diff)
	}
	if o := bs[1].Origins[0]; o.Version != 0 || o.Index != 2 || !strings.HasPrefix(o.Path, "p=a/") {
		t.Errorf("origin %+v", o)
	}
}

// TestAvailableNowAndAllAvailable: PrepareAvailableNow fixes the end at
// the latest version; LatestOffsetAllAvailable lifts the read limit.
func TestAvailableNowAndAllAvailable(t *testing.T) {
	e, _ := sixFiles(t)
	id := e.tableID()
	ctx := context.Background()
	src := e.newSource(deltasource.Config[rec]{StartingVersion: v(0), MaxFilesPerTrigger: 1})
	start, err := src.InitialOffset(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := src.PrepareAvailableNow(ctx, start); err != nil {
		t.Fatal(err)
	}
	e.appendRows(rec{7, "seven", 7, "a"}) // after the run's start: next run
	bs, err := driveRec(t, src, start, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 6 || bs[5].End != offset(id, 3, -1, false) {
		t.Fatalf("%d batches, last end %s", len(bs), bs[len(bs)-1].End)
	}
	// A new run (a new process) reads the new commit.
	src2 := e.newSource(deltasource.Config[rec]{StartingVersion: v(0), MaxFilesPerTrigger: 1})
	bs2, err := driveRec(t, src2, json.RawMessage(bs[5].End), true)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"7/seven/7/a"}, allRows(bs2)); diff != "" {
		t.Errorf("second run (-want +got):\n%s", diff)
	}
	// All available from the start: one batch.
	end, err := src2.LatestOffsetAllAvailable(ctx, start)
	if err != nil || string(end) != offset(id, 4, -1, false) {
		t.Fatalf("LatestOffsetAllAvailable = %s, %v", end, err)
	}
	// Lag metrics.
	m := src2.Metrics(ctx, json.RawMessage(offset(id, 1, 0, false)))
	wantM := map[string]string{"numVersionsBehindLatest": "3", "numFilesOutstanding": "3", "numBytesOutstanding": m["numBytesOutstanding"]}
	if diff := cmp.Diff(wantM, m); diff != "" || m["numBytesOutstanding"] == "0" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}
	if m := src2.Metrics(ctx, end); m["numVersionsBehindLatest"] != "0" || m["numFilesOutstanding"] != "0" {
		t.Errorf("metrics at the end %v", m)
	}
}

// TestPollingListsTheTail counts the listings: each idle poll is one
// ListFrom of _delta_log from the version after the newest seen, and
// never a full List.
func TestPollingListsTheTail(t *testing.T) {
	e, _ := sixFiles(t)
	ctx := context.Background()
	src := e.newSource(deltasource.Config[rec]{})
	bs, err := driveRec(t, src, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	last := json.RawMessage(bs[len(bs)-1].End)
	e.store.reset()
	for range 3 {
		if end, err := src.LatestOffset(ctx, last); err != nil || string(end) != string(last) {
			t.Fatalf("idle poll: %s, %v", end, err)
		}
	}
	lists, from := e.store.calls()
	want := []string{"_delta_log|00000000000000000003", "_delta_log|00000000000000000003", "_delta_log|00000000000000000003"}
	if lists != 0 || !slices.Equal(from, want) {
		t.Errorf("idle polls: %d List, ListFrom %v; want 0 and %v", lists, from, want)
	}
	e.appendRows(rec{7, "seven", 7, "a"})
	e.store.reset()
	bs, err = driveRec(t, src, last, false)
	if err != nil || len(bs) != 1 || bs[0].Rows[0] != "7/seven/7/a" {
		t.Fatalf("after the append: %v, %v", bs, err)
	}
	lists, from = e.store.calls()
	want = []string{"_delta_log|00000000000000000003", "_delta_log|00000000000000000004"}
	if lists != 0 || !slices.Equal(from, want) {
		t.Errorf("polls: %d List, ListFrom %v; want 0 and %v", lists, from, want)
	}
}

// TestVacuum: VACUUM deleting the file of a version the stream has not
// read stops it with an error naming file and version; a stream that
// read it already is not affected.
func TestVacuum(t *testing.T) {
	e := newEnv(t)
	e.appendRows(rec{1, "a", 1, "x"})
	v1, a1 := e.appendRows(rec{2, "b", 2, "y"})
	e.appendRows(rec{3, "c", 3, "x"})
	// Stream A reads everything now; stream B reads version 0 only.
	cpA, cpB := t.TempDir(), t.TempDir()
	e.cpDir = cpA
	srcA := e.newSource(deltasource.Config[rec]{StartingVersion: v(0), IgnoreDeletes: true})
	bsA, err := driveRec(t, srcA, nil, false)
	if err != nil || len(allRows(bsA)) != 3 {
		t.Fatalf("A: %v, %v", allRows(bsA), err)
	}
	e.cpDir = cpB
	srcB := e.newSource(deltasource.Config[rec]{StartingVersion: v(0), IgnoreDeletes: true, MaxFilesPerTrigger: 1})
	ctx := context.Background()
	startB, _ := srcB.InitialOffset(ctx)
	endB, err := srcB.LatestOffset(ctx, startB)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srcB.Read(ctx, startB, endB, func(*rec, deltasource.Origin) error { return nil }); err != nil {
		t.Fatal(err)
	}
	// Delete v1's file and vacuum it away.
	e.remove("DELETE", a1)
	res, err := e.table.Vacuum(ctx, delta.VacuumOptions{Retention: -1, Force: true, Now: func() time.Time { return time.Now().Add(time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	name, _ := a1[0].DecodedPath()
	if !slices.Contains(res.Files, name) {
		t.Fatalf("vacuum deleted %v, not %s", res.Files, name)
	}
	e.appendRows(rec{4, "d", 4, "y"})
	// A goes on.
	bsA2, err := driveRec(t, srcA, json.RawMessage(bsA[len(bsA)-1].End), false)
	if err != nil || !slices.Equal(allRows(bsA2), []string{"4/d/4/y"}) {
		t.Fatalf("A after vacuum: %v, %v", allRows(bsA2), err)
	}
	// B, restarted, stops at version 1.
	e.cpDir = cpB
	_, err = driveRec(t, e.newSource(deltasource.Config[rec]{StartingVersion: v(0), IgnoreDeletes: true}), endB, false)
	var me *deltasource.MissingFileError
	if !errors.As(err, &me) || me.Version != v1 || me.Path != name {
		t.Fatalf("B: err = %v", err)
	}
	want := "deltasource: table " + e.table.Location() + ": data file " + name + " of version 1 is missing: it was deleted (by VACUUM, or by hand) before the stream read it"
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error:\n got %s\nwant %s…", err, want)
	}
}

// TestRestart runs queries on the engine, killed in the middle of a
// batch: the next query on the checkpoint re-runs that batch with the
// same rows and continues exactly; the offsets in the checkpoint have
// Spark's shape, byte for byte.
func TestRestart(t *testing.T) {
	e, _ := sixFiles(t)
	id := e.tableID()
	var mu sync.Mutex
	out := map[int64][]string{} // batch ID → rows, replaced on re-run
	runs := map[int64]int{}
	run := func(killAt int64) error {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		cp := e.checkpoint()
		src := e.newSource(deltasource.Config[rec]{StartingVersion: v(0), MaxFilesPerTrigger: 2})
		runner := func(ctx context.Context, b *stream.Batch) (stream.BatchResult, error) {
			var rows []string
			st, err := src.Read(ctx, b.Start[0], b.End[0], func(r *rec, _ deltasource.Origin) error {
				rows = append(rows, r.String())
				return nil
			})
			if err != nil {
				return stream.BatchResult{}, err
			}
			mu.Lock()
			if prev, ok := out[b.ID]; ok && !slices.Equal(prev, rows) {
				t.Errorf("batch %d re-run read %v, first %v", b.ID, rows, prev)
			}
			out[b.ID] = rows
			runs[b.ID]++
			mu.Unlock()
			if b.ID == killAt {
				cancel()
				return stream.BatchResult{}, ctx.Err()
			}
			return stream.BatchResult{NumInputRows: st.Rows, SourceMetrics: []map[string]string{st.Metrics()}}, nil
		}
		q, err := stream.NewQuery(cp, []stream.Source{src}, runner, stream.Trigger(trigger.AvailableNow()), stream.Logger(discard))
		if err != nil {
			return err
		}
		if err := q.Start(ctx); err != nil {
			return err
		}
		wctx, wcancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer wcancel()
		return q.AwaitTermination(wctx)
	}
	if err := run(1); err != nil {
		t.Fatal(err)
	}
	if err := run(-1); err != nil {
		t.Fatal(err)
	}
	if runs[1] != 2 || runs[0] != 1 || runs[2] != 1 || len(out) != 3 {
		t.Errorf("runs per batch %v", runs)
	}
	var all []string
	for id := range int64(3) {
		all = append(all, out[id]...)
	}
	if diff := cmp.Diff([]string{"1/one/1/a", "2/two/2/b", "3/three/3/c", "4/four/4/a", "5/five-five/5/b", "6/six-six-six/6/c"}, all); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	// The checkpoint: sources/0/0 holds the initial offset, offsets/N
	// each batch's end.
	ctx := context.Background()
	cp := e.checkpoint()
	for n, want := range []string{offset(id, 0, 1, false), offset(id, 1, 0, false), offset(id, 3, -1, false)} {
		seq, err := cp.Offsets(ctx, int64(n))
		if err != nil {
			t.Fatal(err)
		}
		if string(seq.Offsets[0]) != want {
			t.Errorf("offsets/%d: %s, want %s", n, seq.Offsets[0], want)
		}
	}
	data, err := os.ReadFile(filepath.Join(e.cpDir, "sources", "0", "0"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "v1\n" + offset(id, 0, -1, false); string(data) != want {
		t.Errorf("sources/0/0:\n%s\nwant\n%s", data, want)
	}
	// A re-read of a batch by another source instance gives the same rows.
	src := e.newSource(deltasource.Config[rec]{StartingVersion: v(0)})
	var rows []string
	if _, err := src.Read(ctx, json.RawMessage(offset(id, 0, 1, false)), json.RawMessage(offset(id, 1, 0, false)), func(r *rec, _ deltasource.Origin) error {
		rows = append(rows, r.String())
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rows, out[1]) {
		t.Errorf("re-read %v, want %v", rows, out[1])
	}
}

// TestTableReplaced: offsets of another table id stop the query.
func TestTableReplaced(t *testing.T) {
	e, _ := sixFiles(t)
	src := e.newSource(deltasource.Config[rec]{})
	_, err := src.LatestOffset(context.Background(), json.RawMessage(offset("another-table", 1, -1, false)))
	var te *deltasource.TableChangedError
	if !errors.As(err, &te) || te.CheckpointID != "another-table" || te.TableID != e.tableID() {
		t.Fatalf("err = %v", err)
	}
	if want := "the stream reads the table with id another-table but the table's id is " + e.tableID() + " now"; !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v", err)
	}
}

// TestStartingOptions: startingVersion latest and startingTimestamp.
func TestStartingOptions(t *testing.T) {
	e, _ := sixFiles(t) // commits at e.now-2s, -1s, now (clock ticks 1s)
	id := e.tableID()
	ctx := context.Background()
	src := e.newSource(deltasource.Config[rec]{StartingLatest: true})
	start, err := src.InitialOffset(ctx)
	if err != nil || string(start) != offset(id, 3, -1, false) {
		t.Fatalf("latest: %s, %v", start, err)
	}
	t1, err := e.table.CommitTimestamp(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ts   time.Time
		want int64
	}{{t1, 1}, {t1.Add(-time.Millisecond), 1}, {t1.Add(time.Millisecond), 2}, {t1.Add(-time.Hour), 0}, {t1.Add(time.Hour), 3}} {
		e.cpDir = t.TempDir()
		ts := c.ts
		off, err := e.newSource(deltasource.Config[rec]{StartingTimestamp: &ts}).InitialOffset(ctx)
		if err != nil || string(off) != offset(id, c.want, -1, false) {
			t.Errorf("startingTimestamp %v: %s, %v; want version %d", ts, off, err, c.want)
		}
	}
	// The initial offset is recorded: "latest" does not move on restart.
	e.cpDir = t.TempDir()
	first, _ := e.newSource(deltasource.Config[rec]{StartingLatest: true}).InitialOffset(ctx)
	e.appendRows(rec{7, "seven", 7, "a"})
	again, _ := e.newSource(deltasource.Config[rec]{StartingLatest: true}).InitialOffset(ctx)
	if string(first) != string(again) {
		t.Errorf("initial offset moved: %s then %s", first, again)
	}
	bs, err := driveRec(t, e.newSource(deltasource.Config[rec]{StartingLatest: true}), nil, true)
	if err != nil || !slices.Equal(allRows(bs), []string{"7/seven/7/a"}) {
		t.Errorf("from latest: %v, %v", allRows(bs), err)
	}
	// Invalid starts.
	e.cpDir = t.TempDir()
	if _, err := e.newSource(deltasource.Config[rec]{StartingVersion: v(9)}).InitialOffset(ctx); !contains(errText(err), "startingVersion 9 is after the latest version 3") {
		t.Errorf("startingVersion 9: %v", err)
	}
	if _, err := deltasource.New(ctx, e.checkpoint(), 0, deltasource.Config[rec]{Table: e.table, Schema: recSchema(), FromRow: fromRow, StartingVersion: v(1), StartingLatest: true}); err == nil {
		t.Error("two starting options accepted")
	}
}
