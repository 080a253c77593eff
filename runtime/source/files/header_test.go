package files_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/quarantine"
	"github.com/streamgen/streamgen/runtime/source/files"
	"github.com/streamgen/streamgen/runtime/streamimpl"
)

// csvDecoder is a minimal CSV decoder of rows: its header names the
// columns device and status in any order; records are comma-separated.
type csvDecoder struct {
	// cols maps each column of the current file to its field: 0 device,
	// 1 status.
	cols    []int
	headers []string
}

var (
	_ streamimpl.Decoder[row]  = (*csvDecoder)(nil)
	_ streamimpl.HeaderDecoder = (*csvDecoder)(nil)
)

func (d *csvDecoder) Header(line []byte) error {
	d.headers = append(d.headers, string(line))
	d.cols = d.cols[:0]
	for _, name := range bytes.Split(line, []byte(",")) {
		switch string(name) {
		case "device":
			d.cols = append(d.cols, 0)
		case "status":
			d.cols = append(d.cols, 1)
		default:
			d.cols = nil
			return fmt.Errorf("unknown column %q", name)
		}
	}
	return nil
}

func (d *csvDecoder) Decode(data []byte, dst *row) error {
	vals := bytes.Split(data, []byte(","))
	if len(vals) != len(d.cols) {
		return fmt.Errorf("%d values, the header has %d columns", len(vals), len(d.cols))
	}
	*dst = row{}
	for i, v := range vals {
		if d.cols[i] == 0 {
			dst.Device = string(v)
		} else {
			dst.Status = string(v)
		}
	}
	return nil
}

func (d *csvDecoder) Reset() {}

// headerEnv writes three CSV files: one with a BOM and CRLF line ends,
// one whose header follows a blank line and that has a bad record, and
// one whose header the decoder rejects.
func headerEnv(t *testing.T, dec **csvDecoder, opts ...files.Opt) (*env, *files.Source[row]) {
	e := newEnv(t)
	e.write("h1.csv", "\xef\xbb\xbfdevice,status\r\nd1,ok\r\n\r\nd2,late\n", 1)
	e.write("h2.csv", "\n  \nstatus,device\nok,d3\nbad\n", 2)
	e.write("h3.csv", "device,colour\nd4,red\n\nd5,blue", 3)
	newDec := func() streamimpl.Decoder[row] {
		*dec = &csvDecoder{}
		return *dec
	}
	opts = append([]files.Opt{files.Logger(discard)}, opts...)
	s, err := files.New(context.Background(), e.store, e.checkpoint(), 0, newDec, opts...)
	if err != nil {
		t.Fatal(err)
	}
	drain(t, s, nil)
	return e, s
}

// Each file's first non-empty line is its header, not a record; a header
// the decoder rejects makes the file's records malformed.
func TestHeaderDecoder(t *testing.T) {
	q := quarantine.NewMemory()
	var dec *csvDecoder
	e, s := headerEnv(t, &dec, files.QuarantineTo(q))
	rows, st, err := readAll(t, s, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	wantRows := []got{
		{row{Device: "d1", Status: "ok"}, files.Origin{File: "h1.csv", Line: 2, Offset: 18}},
		{row{Device: "d2", Status: "late"}, files.Origin{File: "h1.csv", Line: 4, Offset: 27}},
		{row{Device: "d3", Status: "ok"}, files.Origin{File: "h2.csv", Line: 4, Offset: 18}},
	}
	if diff := cmp.Diff(wantRows, rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"device,status", "status,device", "device,colour"}, dec.headers); diff != "" {
		t.Errorf("headers (-want +got):\n%s", diff)
	}
	h2, h3 := e.store.URL("h2.csv"), e.store.URL("h3.csv")
	const hdrErr = `header (line 1): unknown column "colour"`
	wantQ := []quarantine.Batch{{QueryID: e.checkpoint().ID(), Source: 0, Version: 0, Records: []quarantine.Record{
		{Raw: []byte("bad"), File: h2, Line: 5, Offset: 24, Err: "1 values, the header has 2 columns"},
		{Raw: []byte("d4,red"), File: h3, Line: 2, Offset: 14, Err: hdrErr},
		{Raw: []byte("d5,blue"), File: h3, Line: 4, Offset: 22, Err: hdrErr},
	}}}
	if diff := cmp.Diff(wantQ, q.Batches()); diff != "" {
		t.Errorf("quarantined (-want +got):\n%s", diff)
	}
	size := int64(len("\xef\xbb\xbfdevice,status\r\nd1,ok\r\n\r\nd2,late\n") + len("\n  \nstatus,device\nok,d3\nbad\n") + len("device,colour\nd4,red\n\nd5,blue"))
	wantStats := files.Stats{Rows: 3, Malformed: 3, Quarantined: 3, Bytes: size, Files: 3}
	if st != wantStats {
		t.Errorf("stats %+v, want %+v", st, wantStats)
	}
}

// Under FailMalformed the first record of a file with a rejected header
// stops the read with an error naming the header line.
func TestHeaderDecoderFail(t *testing.T) {
	var dec *csvDecoder
	e, s := headerEnv(t, &dec, files.OnMalformed(files.FailMalformed))
	e.write("h2.csv", "status,device\nok,d3\n", 2) // no bad record
	rows, _, err := readAll(t, s, -1, 0)
	want := "files: " + e.store.URL("h3.csv") + `:1: header (line 1): unknown column "colour"`
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want %s", err, want)
	}
	var me *files.MalformedError
	if !errors.As(err, &me) || me.Line != 1 || me.File != e.store.URL("h3.csv") {
		t.Errorf("error is not a MalformedError naming the header line: %#v", err)
	}
	if len(rows) != 3 {
		t.Errorf("%d rows before the failure, want 3", len(rows))
	}
}
