package files_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/quarantine"
	"github.com/streamgen/streamgen/runtime/source/files"
	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/streamimpl"
)

// countingStore wraps a Storage, counting its listings. It has no Open
// method: Read falls back to Storage.Read.
type countingStore struct {
	storage.Storage
	lists atomic.Int64
}

func (c *countingStore) List(ctx context.Context, prefix string) ([]storage.FileInfo, error) {
	c.lists.Add(1)
	return c.Storage.List(ctx, prefix)
}

func (c *countingStore) ListFrom(ctx context.Context, dir, start string) ([]storage.FileInfo, error) {
	c.lists.Add(1)
	return c.Storage.ListFrom(ctx, dir, start)
}

// chunkStore streams its files through a reader made by wrap, such as
// iotest.OneByteReader, to put buffer refills everywhere.
type chunkStore struct {
	*storage.Local
	wrap func(io.Reader) io.Reader
}

func (c chunkStore) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	f, err := c.Local.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	// From memory: one system call per byte would be slow.
	data, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		return nil, err
	}
	return io.NopCloser(c.wrap(bytes.NewReader(data))), nil
}

var _ storage.Opener = chunkStore{}

// stores are the ways Read gets at a file's bytes: streamed from a Local
// (in buffer-sized reads), streamed one byte or a few bytes at a time, and
// read whole by a store without storage.Opener.
func stores(e *env) map[string]storage.Storage {
	return map[string]storage.Storage{
		"local":    e.store,
		"one-byte": chunkStore{e.store, iotest.OneByteReader},
		"half":     chunkStore{e.store, iotest.HalfReader},
		"data-eof": chunkStore{e.store, iotest.DataErrReader},
		"no-open":  &countingStore{Storage: e.store},
	}
}

// refLine is a non-empty line as the files source reads it: the splitting
// of the source before it streamed files, kept as the reference.
type refLine struct {
	Rec    string
	Line   int
	Offset int64
}

func refLines(data []byte) []refLine {
	var off int64
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		data, off = data[3:], 3
	}
	var out []refLine
	line := 0
	for len(data) > 0 {
		line++
		n := bytes.IndexByte(data, '\n')
		var rec []byte
		if n < 0 {
			rec, data = data, nil
		} else {
			rec, data = data[:n], data[n+1:]
		}
		lineOff := off
		off += int64(len(rec)) + 1
		rec = bytes.TrimSuffix(rec, []byte{'\r'})
		if len(bytes.TrimSpace(rec)) == 0 {
			continue
		}
		out = append(out, refLine{string(rec), line, lineOff})
	}
	return out
}

// rawDecoder decodes every line into Device, a copy of the line, so that
// the test sees exactly what the source hands to the decoder. A line
// starting with "!" is malformed.
type rawDecoder struct{}

func (rawDecoder) Decode(data []byte, dst *row) error {
	if bytes.HasPrefix(data, []byte("!")) {
		return errors.New("bang")
	}
	*dst = row{Device: string(data)}
	return nil
}

func (rawDecoder) Reset() {}

// streamFiles are files whose lines end anywhere with respect to the read
// buffer (256 KiB): lines longer than it, a file of many short lines
// straddling refills, CRLF and a BOM, blank and whitespace-only lines, and
// last lines with and without "\n".
func streamFiles() map[string]string {
	long := strings.Repeat("x", 300<<10)   // longer than the buffer
	huge := strings.Repeat("y", 1<<20+123) // longer than the kept buffer
	var many strings.Builder
	many.WriteString("\xef\xbb\xbf")
	for i := range 12000 {
		switch i % 7 {
		case 0:
			fmt.Fprintf(&many, "line %d\r\n", i)
		case 3:
			many.WriteString("\n")
		case 5:
			fmt.Fprintf(&many, "!bad %d %s\n", i, strings.Repeat("z", i%30))
		default:
			fmt.Fprintf(&many, "line %d %s\n", i, strings.Repeat("w", i%70))
		}
	}
	many.WriteString("last line without newline")
	return map[string]string{
		"a-long.txt":     "first\n" + long + "\n!" + long + "\r\nend\n",
		"b-huge.txt":     "\xef\xbb\xbf" + huge + "\r\nshort\n" + huge, // no trailing newline
		"c-many.txt":     many.String(),
		"d-bom-only.txt": "\xef\xbb\xbf",
		"e-empty.txt":    "",
		"f-one.txt":      "one", // no newline at all
		"g-crlf.txt":     "\xef\xbb\xbf\r\n  \r\nx\r\n\r\n",
		"h-short.txt":    "ab\n\ncd",
	}
}

// Read hands the decoder exactly the lines, line numbers and byte offsets
// of the whole-file splitting, however the file's bytes arrive.
func TestReadStreamedLines(t *testing.T) {
	fs := streamFiles()
	e := newEnv(t)
	var names []string
	var size int64
	for name, content := range fs {
		e.write(name, content, len(names))
		names = append(names, name)
		size += int64(len(content))
	}
	for mode, store := range stores(e) {
		t.Run(mode, func(t *testing.T) {
			q := quarantine.NewMemory()
			cp := newEnv(t).checkpoint()
			s, err := files.New(context.Background(), store, cp, 0,
				func() streamimpl.Decoder[row] { return rawDecoder{} },
				files.Logger(discard), files.QuarantineTo(q))
			if err != nil {
				t.Fatal(err)
			}
			_, end := drain(t, s, nil)
			es, err := s.Files(context.Background(), nil, end)
			if err != nil {
				t.Fatal(err)
			}
			var want, wantBad []refLine
			var wantQ []quarantine.Record
			for _, fe := range es {
				for _, l := range refLines([]byte(fs[fe.Path])) {
					l := l
					if strings.HasPrefix(l.Rec, "!") {
						wantBad = append(wantBad, l)
						wantQ = append(wantQ, quarantine.Record{Raw: []byte(l.Rec), File: e.store.URL(fe.Path), Line: l.Line, Offset: l.Offset, Err: "bang"})
						continue
					}
					l.Rec = fe.Path + ":" + l.Rec
					want = append(want, l)
				}
			}
			var gotLines []refLine
			st, err := s.Read(context.Background(), nil, end, func(r *row, o files.Origin) error {
				gotLines = append(gotLines, refLine{o.File + ":" + r.Device, o.Line, o.Offset})
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(gotLines) != len(want) {
				t.Errorf("%d rows, want %d", len(gotLines), len(want))
			}
			for i := range min(len(gotLines), len(want)) {
				if gotLines[i] != want[i] {
					g, w := gotLines[i], want[i]
					g.Rec, w.Rec = abbrev(g.Rec), abbrev(w.Rec)
					t.Fatalf("row %d: got %+v, want %+v", i, g, w)
				}
			}
			var gotQ []quarantine.Record
			for _, b := range q.Batches() {
				gotQ = append(gotQ, b.Records...)
			}
			if len(gotQ) != len(wantQ) {
				t.Fatalf("%d quarantined, want %d", len(gotQ), len(wantQ))
			}
			for i := range gotQ {
				g, w := gotQ[i], wantQ[i]
				if !bytes.Equal(g.Raw, w.Raw) || g.File != w.File || g.Line != w.Line || g.Offset != w.Offset || g.Err != w.Err {
					t.Fatalf("quarantined %d: got %s:%d@%d %q, want %s:%d@%d %q", i,
						gotQ[i].File, gotQ[i].Line, gotQ[i].Offset, abbrev(string(gotQ[i].Raw)),
						wantQ[i].File, wantQ[i].Line, wantQ[i].Offset, abbrev(string(wantQ[i].Raw)))
				}
			}
			wantStats := files.Stats{Rows: int64(len(want)), Malformed: int64(len(wantBad)), Quarantined: int64(len(wantBad)), Bytes: size, Files: int64(len(fs))}
			if st != wantStats {
				t.Errorf("stats %+v, want %+v", st, wantStats)
			}
		})
	}
}

func abbrev(s string) string {
	if len(s) > 40 {
		return fmt.Sprintf("%s...(%d bytes)", s[:40], len(s))
	}
	return s
}

// A line longer than the read buffer is decoded whole, by a real decoder,
// and the rows before and after it keep their strings: decoded strings
// live in the decoder's arena, never in the buffer that the next lines
// overwrite.
func TestReadLongLineKeepsRows(t *testing.T) {
	e := newEnv(t)
	long := strings.Repeat("L", 700<<10)
	var content strings.Builder
	for i := range 20000 {
		content.WriteString(line(fmt.Sprintf("dev%05d", i), "ok"))
		if i == 10000 {
			content.WriteString(line(long, "long"))
		}
	}
	content.WriteString(strings.TrimSuffix(line("tail", "no-newline"), "\n"))
	e.write("a.json", content.String(), 1)
	e.write("b.json", line("b", "1"), 2)
	s := e.source()
	drain(t, s, nil)
	rows, st, err := readAll(t, s, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 20003 || st.Rows != 20003 {
		t.Fatalf("%d rows (stats %+v), want 20003", len(rows), st)
	}
	// Kept rows, checked after the whole Read.
	for i, r := range rows[:20001] {
		j := i
		if i > 10000 {
			j = i - 1
		}
		want := fmt.Sprintf("dev%05d", j)
		if i == 10001 {
			want = long
		}
		if r.Row.Device != want {
			t.Fatalf("row %d: device %q, want %q", i, abbrev(r.Row.Device), abbrev(want))
		}
	}
	if got := rows[10001].Origin; got.Line != 10002 || got.Offset != 10001*int64(len(line("dev00000", "ok"))) {
		t.Errorf("long line origin %+v", got)
	}
	if got := rows[20001]; got.Row != (row{"tail", "no-newline"}) || got.Origin.Line != 20002 {
		t.Errorf("last line without newline: %+v", got)
	}
	if got := rows[20002]; got.Row != (row{"b", "1"}) || got.Origin != (files.Origin{File: "b.json", Line: 1}) {
		t.Errorf("next file after the long line: %+v", got)
	}
}

// The header of each file goes to the decoder's Header however the bytes
// arrive: after a BOM, without "\r", after blank lines.
func TestHeaderDecoderStreamed(t *testing.T) {
	for mode := range stores(newEnv(t)) {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t)
			store := stores(e)[mode]
			pad := strings.Repeat("p", 300<<10) // a record longer than the buffer
			e.write("h1.csv", "\xef\xbb\xbfdevice,status\r\nd1,ok\r\n\r\nd2,late\n", 1)
			e.write("h2.csv", "\n  \r\nstatus,device\nok,"+pad+"\nbad\nok,d4", 2)
			var dec *csvDecoder
			newDec := func() streamimpl.Decoder[row] {
				dec = &csvDecoder{}
				return dec
			}
			q := quarantine.NewMemory()
			s, err := files.New(context.Background(), store, e.checkpoint(), 0, newDec, files.Logger(discard), files.QuarantineTo(q))
			if err != nil {
				t.Fatal(err)
			}
			drain(t, s, nil)
			rows, st, err := readAll(t, s, -1, 0)
			if err != nil {
				t.Fatal(err)
			}
			want := []got{
				{row{Device: "d1", Status: "ok"}, files.Origin{File: "h1.csv", Line: 2, Offset: 18}},
				{row{Device: "d2", Status: "late"}, files.Origin{File: "h1.csv", Line: 4, Offset: 27}},
				{row{Device: pad, Status: "ok"}, files.Origin{File: "h2.csv", Line: 4, Offset: 19}},
				{row{Device: "d4", Status: "ok"}, files.Origin{File: "h2.csv", Line: 6, Offset: 19 + int64(len(pad)) + 4 + 4}},
			}
			if diff := cmp.Diff(want, rows); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"device,status", "status,device"}, dec.headers); diff != "" {
				t.Errorf("headers (-want +got):\n%s", diff)
			}
			wantQ := []quarantine.Record{{Raw: []byte("bad"), File: e.store.URL("h2.csv"), Line: 5, Offset: 19 + int64(len(pad)) + 4, Err: "1 values, the header has 2 columns"}}
			if len(q.Batches()) != 1 || !cmp.Equal(wantQ, q.Batches()[0].Records) {
				t.Errorf("quarantined %+v, want %+v", q.Batches(), wantQ)
			}
			if st.Rows != 4 || st.Files != 2 || st.Quarantined != 1 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// A read error in the middle of a file stops the Read, naming the file.
func TestReadStreamError(t *testing.T) {
	e := newEnv(t)
	e.write("a.json", strings.Repeat(line("a", "1"), 100000), 1)
	store := chunkStore{e.store, iotest.TimeoutReader}
	s, err := files.New(context.Background(), store, e.checkpoint(), 0, newDecoder, files.Logger(discard), files.OnMalformed(files.DropMalformed))
	if err != nil {
		t.Fatal(err)
	}
	drain(t, s, nil)
	rows, _, err := readAll(t, s, -1, 0)
	if !errors.Is(err, iotest.ErrTimeout) || !strings.Contains(err.Error(), "files: read "+e.store.URL("a.json")+", listed in source-log batch 0") {
		t.Fatalf("error %v, want the reader's error naming the file", err)
	}
	if len(rows) == 0 || len(rows) >= 100000 {
		t.Errorf("%d rows before the error", len(rows))
	}
	// A file deleted after it was logged.
	e2 := newEnv(t)
	e2.write("gone.json", line("g", "1"), 1)
	s2 := e2.source()
	drain(t, s2, nil)
	if err := e2.store.Delete(context.Background(), "gone.json"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := readAll(t, s2, -1, 0); !storage.IsNotExist(err) {
		t.Errorf("reading a deleted file: %v, want an error wrapping ErrNotExist", err)
	}
}

// Under AvailableNow the root is listed once, by PrepareAvailableNow, and
// every batch is planned from that listing; the lag metrics are exact at
// every batch.
func TestAvailableNowListsOnce(t *testing.T) {
	for _, glob := range []string{"*", "**/*.json"} {
		t.Run(glob, func(t *testing.T) {
			const n, per = 300, 7
			e := newEnv(t)
			sizes := map[string]int64{}
			for i := range n {
				name := fmt.Sprintf("f%03d.json", i)
				if glob != "*" && i%2 == 1 {
					name = fmt.Sprintf("sub/f%03d.json", i)
				}
				content := strings.Repeat(line("d", "1"), i%5+1)
				e.write(name, content, i)
				sizes[name] = int64(len(content))
			}
			cs := &countingStore{Storage: e.store}
			s, err := files.New(context.Background(), cs, e.checkpoint(), 0, newDecoder,
				files.Logger(discard), files.OnMalformed(files.DropMalformed), files.Glob(glob), files.MaxFilesPerTrigger(per))
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if err := s.PrepareAvailableNow(ctx, nil); err != nil {
				t.Fatal(err)
			}
			// Written after the start: left for the next run.
			e.write("late.json", line("l", "1"), n+1)
			e.write("sub/late.json", line("l", "1"), n+1)
			read := map[string]bool{}
			var start []byte
			batches := 0
			for {
				end, err := s.LatestOffset(ctx, start)
				if err != nil {
					t.Fatal(err)
				}
				if string(end) == string(start) {
					break
				}
				batches++
				for _, name := range names(t, s, start, end) {
					if _, ok := sizes[name]; !ok || read[name] {
						t.Fatalf("batch %d reads %s", batches, name)
					}
					read[name] = true
				}
				var files, bytes int64
				for name, size := range sizes {
					if !read[name] {
						files++
						bytes += size
					}
				}
				if diff := cmp.Diff(lag(int(files), int(bytes)), s.Metrics(ctx, end)); diff != "" {
					t.Fatalf("batch %d lag (-want +got):\n%s", batches, diff)
				}
				start = end
			}
			if len(read) != n || batches != (n+per-1)/per {
				t.Errorf("%d files in %d batches, want %d in %d", len(read), batches, n, (n+per-1)/per)
			}
			if got := cs.lists.Load(); got != 1 {
				t.Errorf("%d listings, want 1", got)
			}
		})
	}
}

// A restart under AvailableNow with a pending log batch returns it again
// without listing the root more than once, with the same lag as listing.
func TestAvailableNowPendingBatchListsOnce(t *testing.T) {
	e := newEnv(t)
	e.write("a.json", line("a", "1"), 1)                // 28 bytes
	e.write("b.json", line("b", "1")+line("b", "2"), 2) // 56 bytes
	e.write("c.json", line("c", "12"), 3)               // 29 bytes
	s := e.source(files.MaxFilesPerTrigger(1))
	end0 := latest(t, s, nil)
	end1 := latest(t, s, end0) // b.json, logged but not read
	// Restart, AvailableNow.
	cs := &countingStore{Storage: e.store}
	s2, err := files.New(context.Background(), cs, e.checkpoint(), 0, newDecoder,
		files.Logger(discard), files.OnMalformed(files.DropMalformed), files.MaxFilesPerTrigger(1))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s2.PrepareAvailableNow(ctx, end0); err != nil {
		t.Fatal(err)
	}
	if got := latest(t, s2, end0); string(got) != string(end1) {
		t.Fatalf("pending batch %s, want %s", got, end1)
	}
	if diff := cmp.Diff(lag(1, 29), s2.Metrics(ctx, end1)); diff != "" {
		t.Errorf("pending batch (-want +got):\n%s", diff)
	}
	end2 := latest(t, s2, end1)
	if diff := cmp.Diff([]string{"c.json"}, names(t, s2, end1, end2)); diff != "" {
		t.Errorf("last batch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(lag(0, 0), s2.Metrics(ctx, end2)); diff != "" {
		t.Errorf("last batch (-want +got):\n%s", diff)
	}
	if got := latest(t, s2, end2); string(got) != string(end2) {
		t.Errorf("after the last batch: %s, want %s", got, end2)
	}
	if got := cs.lists.Load(); got != 1 {
		t.Errorf("%d listings, want 1", got)
	}
}

// Without AvailableNow every trigger lists the root (new files are seen),
// and Metrics reuses the trigger's listing.
func TestListsEachTrigger(t *testing.T) {
	e := newEnv(t)
	e.write("a.json", line("a", "1"), 1)
	cs := &countingStore{Storage: e.store}
	s, err := files.New(context.Background(), cs, e.checkpoint(), 0, newDecoder,
		files.Logger(discard), files.OnMalformed(files.DropMalformed))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	end0 := latest(t, s, nil)
	s.Metrics(ctx, end0)
	e.write("b.json", line("b", "1"), 2)
	end1 := latest(t, s, end0)
	if diff := cmp.Diff([]string{"b.json"}, names(t, s, end0, end1)); diff != "" {
		t.Errorf("second trigger (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(lag(0, 0), s.Metrics(ctx, end1)); diff != "" {
		t.Errorf("lag (-want +got):\n%s", diff)
	}
	if got := cs.lists.Load(); got != 2 {
		t.Errorf("%d listings for two triggers, want 2", got)
	}
}
