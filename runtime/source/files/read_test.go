package files_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/quarantine"
	"github.com/streamgen/streamgen/runtime/source/files"
	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/streamimpl"
)

type got struct {
	Row    row
	Origin files.Origin
}

func readAll(t *testing.T, s *files.Source[row], start, end int64) ([]got, files.Stats, error) {
	t.Helper()
	var out []got
	st, err := s.Read(context.Background(), off(start), off(end), func(r *row, o files.Origin) error {
		out = append(out, got{*r, o})
		return nil
	})
	return out, st, err
}

// malformedInput has "\r\n" and "\n" line ends, blank lines, a BOM, a
// wrong type, a missing field, invalid JSON and a last line without a
// newline.
const malformedA = "\xef\xbb\xbf" + `{"device":"d1","status":"ok"}` + "\r\n" +
	"\n" +
	`{"device":1,"status":"ok"}` + "\n" +
	"   \r\n" +
	`{"device":"d2"}` + "\n" +
	`{"device":"d3","status":"late"}` + "\n" +
	`{"device":"d4",` // truncated, no newline

const malformedB = `{"device":"d5","status":"ok"}`

func malformedEnv(t *testing.T) *env {
	e := newEnv(t)
	e.write("a.jsonl", malformedA, 1)
	e.write("b.jsonl", malformedB, 2)
	return e
}

var wantRows = []got{
	{row{Device: "d1", Status: "ok"}, files.Origin{File: "a.jsonl", Line: 1, Offset: 3}},
	{row{Device: "d3", Status: "late"}, files.Origin{File: "a.jsonl", Line: 6, Offset: 83}},
	{row{Device: "d5", Status: "ok"}, files.Origin{File: "b.jsonl", Line: 1, Offset: 0}},
}

func TestMalformedQuarantine(t *testing.T) {
	e := malformedEnv(t)
	q := quarantine.NewMemory()
	s := e.source(files.OnMalformed(files.QuarantineMalformed), files.QuarantineTo(q))
	drain(t, s, nil)
	rows, st, err := readAll(t, s, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantRows, rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	wantStats := files.Stats{Rows: 3, Malformed: 3, Quarantined: 3, Bytes: int64(len(malformedA) + len(malformedB)), Files: 2}
	if st != wantStats {
		t.Errorf("stats %+v, want %+v", st, wantStats)
	}
	a := e.store.URL("a.jsonl")
	want := []quarantine.Batch{{
		QueryID: e.checkpoint().ID(), Source: 0, Version: 0,
		Records: []quarantine.Record{
			{Raw: []byte(`{"device":1,"status":"ok"}`), File: a, Line: 3, Offset: 35, Err: `field "device" at byte 10: expected string, found number 1`},
			{Raw: []byte(`{"device":"d2"}`), File: a, Line: 5, Offset: 67, Err: `missing required field "status"`},
			{Raw: []byte(`{"device":"d4",`), File: a, Line: 7, Offset: 115, Err: "invalid JSON at byte 15: unexpected end of input"},
		},
	}}
	// A re-run of the batch hands the same batch over again; the writer
	// keeps it once.
	if _, _, err := readAll(t, s, -1, 0); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, q.Batches()); diff != "" {
		t.Errorf("quarantined (-want +got):\n%s", diff)
	}
}

// The malformed lines of several files land in a quarantine Delta table,
// once, however often the batch is read (a crash and restart re-reads
// it), while every valid row reaches the callback each time.
func TestMalformedQuarantineDelta(t *testing.T) {
	ctx := context.Background()
	e := malformedEnv(t)
	const malformedC = `{"device":"d6","status":"ok"}` + "\n" + "{\"device\":\"\xff\"}\n"
	e.write("c.jsonl", malformedC, 3)
	qstore, err := storage.NewLocal(filepath.Join(t.TempDir(), "table", "_quarantine"))
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return t0 }
	table := delta.Open(qstore).WithCommitOptions(delta.CommitOptions{Clock: clock, Logger: discard})
	newSource := func() *files.Source[row] {
		return e.source(files.OnMalformed(files.QuarantineMalformed),
			files.QuarantineTo(quarantine.NewDelta(table, quarantine.Logger(discard))), files.MaxFilesPerTrigger(2))
	}
	s := newSource()
	drain(t, s, nil) // log batches 0: a, b; 1: c
	wantValid := append(slices.Clone(wantRows), got{row{Device: "d6", Status: "ok"}, files.Origin{File: "c.jsonl", Line: 1, Offset: 0}})
	for run := range 3 {
		if run == 2 {
			s = newSource() // a restart
		}
		var rows []got
		for _, r := range [][2]int64{{-1, 0}, {0, 1}} {
			rs, _, err := readAll(t, s, r[0], r[1])
			if err != nil {
				t.Fatalf("run %d: %v", run, err)
			}
			rows = append(rows, rs...)
		}
		if diff := cmp.Diff(wantValid, rows); diff != "" {
			t.Errorf("run %d: rows (-want +got):\n%s", run, diff)
		}
	}
	snap, err := table.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Version != 1 {
		t.Errorf("quarantine table at version %d, want 1 (one commit per batch)", snap.Version)
	}
	gotRows, err := snap.Rows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(gotRows, func(i, j int) bool {
		fi, fj := gotRows[i][1].(string), gotRows[j][1].(string)
		return fi < fj || fi == fj && gotRows[i][3].(int64) < gotRows[j][3].(int64)
	})
	id := e.checkpoint().ID()
	a, c := e.store.URL("a.jsonl"), e.store.URL("c.jsonl")
	at := t0.Truncate(time.Microsecond)
	wantTable := []delta.Row{
		{int32(0), a, int64(3), int64(35), `{"device":1,"status":"ok"}`, nil, `field "device" at byte 10: expected string, found number 1`, id, at},
		{int32(0), a, int64(5), int64(67), `{"device":"d2"}`, nil, `missing required field "status"`, id, at},
		{int32(0), a, int64(7), int64(115), `{"device":"d4",`, nil, "invalid JSON at byte 15: unexpected end of input", id, at},
		{int32(0), c, int64(2), int64(30), nil, []byte("{\"device\":\"\xff\"}"), `invalid JSON at byte 11 in field "device": invalid UTF-8 in string`, id, at},
	}
	if diff := cmp.Diff(wantTable, gotRows); diff != "" {
		t.Errorf("quarantine table (-want +got):\n%s", diff)
	}
	txns := map[string]int64{}
	for k, v := range snap.Txns {
		txns[k] = v.Version
	}
	if diff := cmp.Diff(map[string]int64{id + "/quarantine/0": 1}, txns); diff != "" {
		t.Errorf("txns (-want +got):\n%s", diff)
	}
}

func TestMalformedDrop(t *testing.T) {
	e := malformedEnv(t)
	s := e.source(files.OnMalformed(files.DropMalformed))
	drain(t, s, nil)
	rows, st, err := readAll(t, s, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantRows, rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	wantStats := files.Stats{Rows: 3, Malformed: 3, Dropped: 3, Bytes: int64(len(malformedA) + len(malformedB)), Files: 2}
	if st != wantStats {
		t.Errorf("stats %+v, want %+v", st, wantStats)
	}
}

func TestMalformedFail(t *testing.T) {
	e := malformedEnv(t)
	s := e.source(files.OnMalformed(files.FailMalformed))
	drain(t, s, nil)
	rows, _, err := readAll(t, s, -1, 0)
	want := "files: " + e.store.URL("a.jsonl") + ":3: device: expected string, found number 1"
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want %s", err, want)
	}
	var de *streamimpl.DecodeError
	if !errors.As(err, &de) || de.Field != "device" {
		t.Errorf("error does not wrap the DecodeError: %#v", err)
	}
	if diff := cmp.Diff(wantRows[:1], rows); diff != "" {
		t.Errorf("rows before the failure (-want +got):\n%s", diff)
	}
}

// Read reads exactly the files of (start, end], and an error from the
// callback stops it.
func TestReadRangeAndCallbackError(t *testing.T) {
	e := newEnv(t)
	e.write("a.json", line("a", "1"), 1)
	e.write("b.json", line("b", "1")+line("b", "2"), 2)
	e.write("c.json", line("c", "1"), 3)
	s := e.source(files.MaxFilesPerTrigger(1))
	drain(t, s, nil)
	rows, st, err := readAll(t, s, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	var devs []string
	for _, r := range rows {
		devs = append(devs, r.Row.Device+r.Row.Status)
	}
	if diff := cmp.Diff([]string{"b1", "b2", "c1"}, devs); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if st.Files != 2 || st.Rows != 3 {
		t.Errorf("stats %+v", st)
	}
	stop := errors.New("stop")
	st, err = s.Read(context.Background(), off(-1), off(2), func(*row, files.Origin) error { return stop })
	if err != stop || st.Rows != 1 {
		t.Errorf("Read with a failing callback: %+v, %v", st, err)
	}
	// A file of the log that disappeared is an error naming it.
	if err := os.Remove(filepath.Join(e.in, "a.json")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := readAll(t, s, -1, 0); err == nil || !errors.Is(err, storage.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}
