// Package aggmodel is the brute-force model of the agg_modes_* golden
// cases (and of agg_e2e_test.go): clicks grouped by user and 10-minute
// tumbling window, with a 5-minute watermark, read one file per
// micro-batch under an available-now trigger, in each output mode.
//
// It recomputes everything from the raw clicks, independently of the
// generated code and of runtime/aggregate, with Spark's rules as written
// in DESIGN.md §4:
//
//   - batch N runs with watermark_N = max(watermark_{N-1}, max event
//     time of batch N-1 − delay), in milliseconds, starting at the epoch;
//   - in update and append modes a row whose time is at or before its
//     batch's watermark is late: dropped and counted; complete mode drops
//     nothing;
//   - complete mode outputs every group every batch; update mode the
//     groups the batch's rows changed; append mode a group once, in the
//     first batch whose watermark is at or after its window end; update
//     and append modes then evict the groups whose window end is at or
//     before the watermark;
//   - after the last file, a no-data batch runs when the watermark moved.
//
// A group's values are recomputed from the list of its rows every time.
package aggmodel

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/stream"
)

// The aggregation of the agg_modes_* specs.
const (
	Size  = 10 * time.Minute
	Delay = 5 * time.Minute
)

// Mode is an output mode: "complete", "update" or "append".
type Mode string

// The output modes.
const (
	Complete Mode = "complete"
	Update   Mode = "update"
	Append   Mode = "append"
)

// Click is one input row (schema click.json).
type Click struct {
	Time time.Time
	User string
	Page string
	N    int64
}

// MarshalJSON writes the click as a line of an input file.
func (c Click) MarshalJSON() ([]byte, error) {
	return fmt.Appendf(nil, `{"time":%d,"user":%q,"page":%q,"n":%d}`, c.Time.UnixMilli(), c.User, c.Page, c.N), nil
}

// Row is one result row: the columns of the generated result, in order.
type Row struct {
	User                   string
	WindowStart, WindowEnd time.Time
	Count, Total           int64
	Smallest, Largest      int64
	Mean                   float64
	Pages                  int64
	Latest                 time.Time
}

// String formats the row for diffs.
func (r Row) String() string {
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
	return fmt.Sprintf("%s [%s,%s) count=%d total=%d min=%d max=%d mean=%v pages=%d latest=%s",
		r.User, ts(r.WindowStart), ts(r.WindowEnd), r.Count, r.Total, r.Smallest, r.Largest, r.Mean, r.Pages, ts(r.Latest))
}

// Batch is the model's view of one micro-batch.
type Batch struct {
	ID int64
	// Watermark is the batch's watermark.
	Watermark time.Time
	// Late is numRowsDroppedByWatermark.
	Late int64
	// StateRows is numRowsTotal: the groups in the state after the batch.
	StateRows int64
	// Output is the batch's output rows (numOutputRows is their number).
	Output []string
	// Sink is what the sink holds after the batch: complete mode the
	// whole result, update mode the latest row of every group ever
	// output (a keyed merge), append mode every row output so far.
	Sink []string
}

type groupKey struct {
	user  string
	start time.Time
}

// floorWindow returns the tumbling window of t, floored (times before the
// epoch too), by plain integer arithmetic on milliseconds.
func floorWindow(t time.Time) (time.Time, time.Time) {
	ms, size := t.UnixMilli(), Size.Milliseconds()
	q := ms / size
	if ms%size < 0 {
		q--
	}
	start := time.UnixMilli(q * size).UTC()
	return start, start.Add(Size)
}

func result(k groupKey, rows []Click) Row {
	r := Row{User: k.user, WindowStart: k.start, WindowEnd: k.start.Add(Size), Smallest: rows[0].N, Largest: rows[0].N, Latest: rows[0].Time}
	pages := map[string]bool{}
	for _, c := range rows {
		r.Count++
		r.Total += c.N
		r.Smallest = min(r.Smallest, c.N)
		r.Largest = max(r.Largest, c.N)
		if c.Time.After(r.Latest) {
			r.Latest = c.Time
		}
		pages[c.Page] = true
	}
	r.Mean = float64(r.Total) / float64(r.Count)
	r.Pages = int64(len(pages))
	r.Latest = r.Latest.UTC()
	return r
}

// Run models an available-now run over files, one file per batch, in
// mode.
func Run(files [][]Click, mode Mode) []Batch {
	var (
		out     []Batch
		wmMs    int64    // the next batch's watermark
		lastWm  int64    = -1
		groups           = map[groupKey][]Click{}
		sink             = map[string]string{} // update: group → row
		emitted []string                       // append
	)
	run := func(id int64, rows []Click) {
		b := Batch{ID: id, Watermark: time.UnixMilli(wmMs).UTC()}
		wm := b.Watermark
		var maxT time.Time
		changed := map[groupKey]bool{}
		for _, c := range rows {
			if maxT.IsZero() || c.Time.After(maxT) {
				maxT = c.Time
			}
			if mode != Complete && !c.Time.After(wm) {
				b.Late++
				continue
			}
			start, _ := floorWindow(c.Time)
			k := groupKey{c.User, start}
			groups[k] = append(groups[k], c)
			changed[k] = true
		}
		for k, rows := range groups {
			expired := mode != Complete && !k.start.Add(Size).After(wm)
			switch {
			case mode == Complete, mode == Update && changed[k], mode == Append && expired:
				b.Output = append(b.Output, result(k, rows).String())
			}
			if mode == Update && changed[k] {
				sink[k.user+"|"+k.start.String()] = result(k, rows).String()
			}
			if expired {
				delete(groups, k)
			}
		}
		slices.Sort(b.Output)
		b.StateRows = int64(len(groups))
		switch mode {
		case Complete:
			b.Sink = b.Output
		case Update:
			for _, r := range sink {
				b.Sink = append(b.Sink, r)
			}
		case Append:
			emitted = append(emitted, b.Output...)
			b.Sink = slices.Clone(emitted)
		}
		slices.Sort(b.Sink)
		lastWm = wmMs
		if !maxT.IsZero() {
			wmMs = max(wmMs, maxT.UnixMilli()-Delay.Milliseconds())
		}
		out = append(out, b)
	}
	for i, f := range files {
		run(int64(i), f)
	}
	if wmMs > lastWm {
		run(int64(len(files)), nil) // the no-data batch
	}
	return out
}

// Final returns the rows the sink holds at the end of Run.
func Final(files [][]Click, mode Mode) []string {
	bs := Run(files, mode)
	return bs[len(bs)-1].Sink
}

// Options shape Files.
type Options struct {
	Files, PerFile int
	// Base is the time of the first click.
	Base time.Time
	// Step is how far event time moves forward per file.
	Step time.Duration
	// LatePct is the percentage of clicks shifted back by up to 30
	// minutes (late when their batch's watermark passed them).
	LatePct int
	// Wild makes times anything within ±Step*Files of Base, near the
	// epoch when Base is the epoch: out-of-order, negative and
	// epoch-boundary times.
	Wild bool
}

// Files returns pseudo-random clicks, a pure function of seed and o.
func Files(seed uint64, o Options) [][]Click {
	rng := rand.New(rand.NewPCG(seed, 7))
	users := []string{"ann", "bob", "cy", "dee"}
	pages := []string{"home", "cart", "pay", "faq", "about"}
	files := make([][]Click, o.Files)
	for i := range files {
		for j := range o.PerFile {
			t := o.Base.Add(time.Duration(i)*o.Step + time.Duration(rng.Int64N(int64(o.Step))))
			switch {
			case o.Wild:
				span := int64(o.Step) * int64(o.Files)
				t = o.Base.Add(time.Duration(rng.Int64N(2*span) - span))
				if rng.IntN(4) == 0 { // on or next to a window boundary
					start, _ := floorWindow(t)
					t = start.Add(time.Duration(rng.IntN(3)-1) * time.Millisecond)
				}
			case rng.IntN(100) < o.LatePct:
				t = t.Add(-time.Duration(rng.Int64N(int64(30 * time.Minute))))
			}
			t = t.Truncate(time.Millisecond)
			_ = j
			files[i] = append(files[i], Click{
				Time: t.UTC(),
				User: users[rng.IntN(len(users))],
				Page: pages[rng.IntN(len(pages))],
				N:    rng.Int64N(201) - 100,
			})
		}
	}
	return files
}

// Name is the name of input file i.
func Name(i int) string { return fmt.Sprintf("clicks-%04d.json", i) }

// WriteFile writes file i of files into dir under a hidden name, then
// renames it into place, with a modification time i seconds after
// 2026-01-01 when stamp is set (the files source takes files by
// modification time, then name).
func WriteFile(dir string, i int, clicks []Click, stamp bool) error {
	tmp := filepath.Join(dir, "."+Name(i)+".tmp")
	if err := os.WriteFile(tmp, Content(clicks), 0o644); err != nil {
		return err
	}
	if stamp {
		mt := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second)
		if err := os.Chtimes(tmp, mt, mt); err != nil {
			return err
		}
	}
	return os.Rename(tmp, filepath.Join(dir, Name(i)))
}

// Content is the content of an input file of clicks: one JSON line each.
func Content(clicks []Click) []byte {
	var b strings.Builder
	for _, c := range clicks {
		line, _ := json.Marshal(c)
		b.Write(line)
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// WriteFiles writes every file into dir (created), in order.
func WriteFiles(t testing.TB, dir string, files [][]Click) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, f := range files {
		if err := WriteFile(dir, i, f, true); err != nil {
			t.Fatal(err)
		}
	}
}

// FromDelta converts a row of the result's Delta table.
func FromDelta(r delta.Row) Row {
	ts := func(v any) time.Time { return v.(time.Time).UTC() }
	return Row{
		User: r[0].(string), WindowStart: ts(r[1]), WindowEnd: ts(r[2]),
		Count: r[3].(int64), Total: r[4].(int64), Smallest: r[5].(int64), Largest: r[6].(int64),
		Mean: r[7].(float64), Pages: r[8].(int64), Latest: ts(r[9]),
	}
}

// TableRows returns the Delta table at dir, at version (latest when
// negative), as sorted Row strings.
func TableRows(t testing.TB, dir string, version int64) []string {
	t.Helper()
	store, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	return StoreRows(t, store, version)
}

// StoreRows returns the Delta table of store (a local directory or an
// object-store prefix), at version (latest when negative), as sorted Row
// strings.
func StoreRows(t testing.TB, store storage.Storage, version int64) []string {
	t.Helper()
	ctx := context.Background()
	table := delta.Open(store)
	var err error
	var snap *delta.Snapshot
	if version < 0 {
		snap, err = table.Snapshot(ctx)
	} else {
		snap, err = table.SnapshotAt(ctx, version)
	}
	if err != nil {
		t.Fatal(err)
	}
	rows, err := snap.Rows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		out = append(out, FromDelta(r).String())
	}
	slices.Sort(out)
	return out
}

// Strings formats rows as sorted Row strings.
func Strings(rows []Row) []string {
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.String())
	}
	slices.Sort(out)
	return out
}

// Observed is what a test saw of one batch: its progress and the sink's
// contents right after it (sorted Row strings).
type Observed struct {
	ID                             int64
	Watermark                      string
	Late, StateRows, OutputRows    int64
	StateOperators, CommittedTable int64
	Sink                           []string
}

// Observe returns the parts of a batch's progress the model predicts;
// sink is the sink's contents after the batch.
func Observe(p stream.Progress, sink []string) Observed {
	o := Observed{ID: p.BatchID, Watermark: p.EventTime["watermark"], OutputRows: p.Sink.NumOutputRows,
		StateOperators: int64(len(p.StateOperators)), Sink: sink}
	if len(p.StateOperators) > 0 {
		o.Late, o.StateRows = p.StateOperators[0].NumRowsDroppedByWatermark, p.StateOperators[0].NumRowsTotal
	}
	return o
}

// Check compares the observed batches with the model's, batch by batch:
// IDs, watermarks, late rows, state rows, output rows and the sink's
// whole contents.
func Check(t testing.TB, want []Batch, got []Observed) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d batches, want %d", len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		w, g := want[i], got[i]
		ww := Observed{ID: w.ID, Watermark: w.Watermark.Format(stream.TimeLayout), Late: w.Late, StateRows: w.StateRows,
			OutputRows: int64(len(w.Output)), StateOperators: 1, Sink: w.Sink}
		if diff := cmp.Diff(ww, g, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("batch %d (-want +got):\n%s", w.ID, diff)
		}
	}
}
