package files_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

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
	qdir, _ := storage.NewLocal(filepath.Join(t.TempDir(), "table"))
	q := files.NewFileQuarantine(qdir, discard)
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
	name := q.Name(files.QuarantineBatch{Source: 0, StartLogOffset: -1, EndLogOffset: 0})
	if want := "_quarantine/batch=0/part-"; name[:len(want)] != want || filepath.Ext(name) != ".jsonl" {
		t.Errorf("quarantine file %s", name)
	}
	data, err := qdir.Read(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	a := e.store.URL("a.jsonl")
	want := `{"raw":"{\"device\":1,\"status\":\"ok\"}","file":"` + a + `","line":3,"offset":35,"error":"field \"device\" at byte 10: expected string, found number 1","source":0}` + "\n" +
		`{"raw":"{\"device\":\"d2\"}","file":"` + a + `","line":5,"offset":67,"error":"missing required field \"status\"","source":0}` + "\n" +
		`{"raw":"{\"device\":\"d4\",","file":"` + a + `","line":7,"offset":115,"error":"invalid JSON at byte 15: unexpected end of input","source":0}` + "\n"
	if diff := cmp.Diff(want, string(data)); diff != "" {
		t.Errorf("quarantine file (-want +got):\n%s", diff)
	}
	// A re-run of the batch writes nothing new and does not fail.
	if _, _, err := readAll(t, s, -1, 0); err != nil {
		t.Fatal(err)
	}
	all, err := qdir.List(context.Background(), "")
	if err != nil || len(all) != 1 {
		t.Errorf("quarantine holds %v, %v; want one file", all, err)
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
