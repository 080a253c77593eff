package delta

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/storage"
)

// hiddenStore hides a Local store's type, so the typed writer takes its
// generic path (files buffered in memory, one Put each).
type hiddenStore struct{ storage.Storage }

func readGolden(t *testing.T) map[string][]typedGoldenAdd {
	t.Helper()
	b, err := os.ReadFile(typedGoldenPath)
	if err != nil {
		t.Fatal(err)
	}
	var g map[string][]typedGoldenAdd
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

// writeChunks streams rows through a TypedWriter in chunks of n.
func writeChunks(t *testing.T, store storage.Storage, schema *StructType, rows []typedEvent, n int, opts WriterOptions) []*Add {
	t.Helper()
	ctx := context.Background()
	w, err := NewTypedWriter(store, schema, TypedWriterOptions[typedEvent]{
		WriterOptions: opts, PartitionColumns: []string{"day"}, PartitionValues: typedGoldenPartition,
	})
	if err != nil {
		t.Fatal(err)
	}
	for start := 0; start < len(rows); start += n {
		if err := w.Write(ctx, rows[start:min(start+n, len(rows))]); err != nil {
			t.Fatal(err)
		}
	}
	if w.NumRows() != int64(len(rows)) {
		t.Errorf("NumRows = %d, want %d", w.NumRows(), len(rows))
	}
	adds, err := w.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return adds
}

// byPartition groups rows by day, in input order.
func byPartition(rows []typedEvent) map[string][]typedEvent {
	m := map[string][]typedEvent{}
	for _, r := range rows {
		m[r.Day] = append(m[r.Day], r)
	}
	return m
}

func addDay(a *Add) string {
	if v := a.PartitionValues["day"]; v != nil {
		return *v
	}
	return ""
}

func numRecords(t *testing.T, a *Add) int {
	t.Helper()
	st, err := ParseStats(a.Stats)
	if err != nil {
		t.Fatal(err)
	}
	return int(st.NumRecords)
}

// TestTypedWriterGolden: WriteTyped and the streaming writer produce the
// add actions (partition values, stats) of the pre-streaming WriteTyped,
// whatever the chunking when no file rolls over.
func TestTypedWriterGolden(t *testing.T) {
	ctx := context.Background()
	schema := mustSchema(t, typedEventSchema)
	golden := readGolden(t)
	for _, c := range typedGoldenCases {
		rows := typedGoldenEvents(c.rows)
		for _, store := range []storage.Storage{newLocal(t), hiddenStore{newLocal(t)}} {
			adds, err := WriteTyped(ctx, store, schema, []string{"day"}, rows, typedGoldenPartition, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(golden[c.name], goldenAdds(adds)); diff != "" {
				t.Errorf("%s: WriteTyped (-golden +got):\n%s", c.name, diff)
			}
			got, err := handSnapshot(Open(store), schema, []string{"day"}, adds).Rows(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(rows) {
				t.Errorf("%s: read %d rows, wrote %d", c.name, len(got), len(rows))
			}
		}
	}
	// Unaligned chunks, no rolling: the same files.
	for _, n := range []int{1, 97, 4096} {
		adds := writeChunks(t, newLocal(t), schema, typedGoldenEvents(3000), n, WriterOptions{})
		if diff := cmp.Diff(golden["one-file"], goldenAdds(adds)); diff != "" {
			t.Errorf("chunks of %d (-golden +got):\n%s", n, diff)
		}
	}
}

// TestTypedWriterRolling: a small target size gives several files per
// partition; each file's stats are those WriteTyped gives for its rows
// alone, and the rows read back are the input's.
func TestTypedWriterRolling(t *testing.T) {
	ctx := context.Background()
	schema := mustSchema(t, typedEventSchema)
	rows := typedGoldenEvents(20000)
	opts := WriterOptions{TargetFileSize: 16 << 10, RowGroupRows: 500}
	for _, store := range []storage.Storage{newLocal(t), hiddenStore{newLocal(t)}} {
		adds := writeChunks(t, store, schema, rows, 1500, opts)
		parts := byPartition(rows)
		if len(adds) < 3*4 {
			t.Fatalf("%d files, want several per partition", len(adds))
		}
		offset := map[string]int{}
		for i, a := range adds {
			day := addDay(a)
			n := numRecords(t, a)
			own := parts[day][offset[day] : offset[day]+n]
			offset[day] += n
			want, err := WriteTyped(ctx, newLocal(t), schema, []string{"day"}, own, typedGoldenPartition, WriterOptions{RowGroupRows: 500})
			if err != nil {
				t.Fatal(err)
			}
			if len(want) != 1 || want[0].Stats != a.Stats {
				t.Errorf("file %d (%s): stats\n got %s\nwant %s", i, day, a.Stats, want[0].Stats)
			}
			if a.Size <= 0 || !a.DataChange || a.ModificationTime == 0 {
				t.Errorf("file %d: %+v", i, a)
			}
			if info, err := store.Stat(ctx, mustDecode(t, a)); err != nil || info.Size != a.Size {
				t.Errorf("file %d: stat %+v, %v; add size %d", i, info, err, a.Size)
			}
		}
		for day, rs := range parts {
			if offset[day] != len(rs) {
				t.Errorf("partition %q: files hold %d rows, wrote %d", day, offset[day], len(rs))
			}
		}
		got, err := handSnapshot(Open(store), schema, []string{"day"}, adds).Rows(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(rows) {
			t.Fatalf("read %d rows, wrote %d", len(got), len(rows))
		}
		// Rows come back partition by partition, file by file: compare
		// with the input grouped likewise.
		var order []string
		seen := map[string]bool{}
		for _, a := range adds {
			if d := addDay(a); !seen[d] {
				seen[d] = true
				order = append(order, d)
			}
		}
		i := 0
		for _, d := range order {
			for _, r := range parts[d] {
				if got[i][0] != r.ID || got[i][2] != r.Action {
					t.Fatalf("row %d: got %v, want id %d action %s", i, got[i], r.ID, r.Action)
				}
				i++
			}
		}
	}
}

func mustDecode(t *testing.T, a *Add) string {
	t.Helper()
	name, err := a.DecodedPath()
	if err != nil {
		t.Fatal(err)
	}
	return name
}

// listAll lists every file under dir, hidden temporaries included.
func listAll(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestTypedWriterAbort: Abort deletes the finished files and the open
// ones' temporaries; a Write error leaves the writer failed.
func TestTypedWriterAbort(t *testing.T) {
	ctx := context.Background()
	schema := mustSchema(t, typedEventSchema)
	for _, hidden := range []bool{false, true} {
		local := newLocal(t)
		var store storage.Storage = local
		if hidden {
			store = hiddenStore{local}
		}
		w, err := NewTypedWriter(store, schema, TypedWriterOptions[typedEvent]{
			WriterOptions:    WriterOptions{TargetFileSize: 8 << 10},
			PartitionColumns: []string{"day"}, PartitionValues: typedGoldenPartition,
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(ctx, typedGoldenEvents(9000)); err != nil {
			t.Fatal(err)
		}
		root := local.(*storage.Local).Root()
		if len(listAll(t, root)) < 6 {
			t.Fatalf("hidden=%v: %d files before Abort, want finished and open ones", hidden, len(listAll(t, root)))
		}
		w.Abort(ctx)
		if files := listAll(t, root); len(files) != 0 {
			t.Errorf("hidden=%v: files left after Abort: %v", hidden, files)
		}
		if err := w.Write(ctx, typedGoldenEvents(1)); err == nil {
			t.Error("Write after Abort succeeded")
		}
		if _, err := w.Close(ctx); err == nil {
			t.Error("Close after Abort succeeded")
		}
	}

	// Nothing written: no files.
	w, err := NewTypedWriter(newLocal(t), schema, TypedWriterOptions[typedEvent]{PartitionColumns: []string{"day"}, PartitionValues: typedGoldenPartition})
	if err != nil {
		t.Fatal(err)
	}
	if adds, err := w.Close(ctx); err != nil || len(adds) != 0 {
		t.Errorf("empty Close = %v, %v", adds, err)
	}
	// A cancelled context fails the write; Close then cleans up.
	local := newLocal(t)
	w, err = NewTypedWriter(local, schema, TypedWriterOptions[typedEvent]{
		WriterOptions:    WriterOptions{TargetFileSize: 8 << 10},
		PartitionColumns: []string{"day"}, PartitionValues: typedGoldenPartition,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(ctx, typedGoldenEvents(5000)); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := w.Write(cctx, typedGoldenEvents(10)); err == nil {
		t.Fatal("Write with a cancelled context succeeded")
	}
	if _, err := w.Close(ctx); err == nil {
		t.Error("Close after a failed Write succeeded")
	}
	if files := listAll(t, local.(*storage.Local).Root()); len(files) != 0 {
		t.Errorf("files left after a failed write: %v", files)
	}
}

// TestTypedWriterReusedMemory: the caller reuses its row slice and the
// bytes behind its strings (partition values included) after every
// Write; the files hold what was written.
func TestTypedWriterReusedMemory(t *testing.T) {
	ctx := context.Background()
	schema := mustSchema(t, typedEventSchema)
	src := typedGoldenEvents(10000)
	for _, hidden := range []bool{false, true} {
		var store storage.Storage = newLocal(t)
		if hidden {
			store = hiddenStore{store}
		}
		w, err := NewTypedWriter(store, schema, TypedWriterOptions[typedEvent]{
			WriterOptions:    WriterOptions{TargetFileSize: 32 << 10, RowGroupRows: 700},
			PartitionColumns: []string{"day"}, PartitionValues: typedGoldenPartition,
		})
		if err != nil {
			t.Fatal(err)
		}
		arena := make([]byte, 0, 1<<16)
		str := func(s string) string { // a string backed by the arena
			start := len(arena)
			arena = append(arena, s...)
			return unsafe.String(unsafe.SliceData(arena[start:]), len(s))
		}
		buf := make([]typedEvent, 0, 333)
		var tagsArena []string
		flush := func() {
			if err := w.Write(ctx, buf); err != nil {
				t.Fatal(err)
			}
			for i := range arena[:cap(arena)] { // overwrite what the strings pointed to
				arena[:cap(arena)][i] = 'X'
			}
			for i := range tagsArena {
				tagsArena[i] = "garbage"
			}
			for i := range buf {
				buf[i] = typedEvent{ID: -1, Action: "overwritten", Day: "1999-01-01"}
			}
			arena, buf, tagsArena = arena[:0], buf[:0], tagsArena[:0]
		}
		for _, e := range src {
			c := e
			c.Action = str(e.Action)
			c.Day = str(e.Day)
			if e.Device != nil {
				d := str(*e.Device)
				c.Device = &d
			}
			if e.Tags != nil {
				start := len(tagsArena)
				for _, tg := range e.Tags {
					tagsArena = append(tagsArena, str(tg))
				}
				c.Tags = tagsArena[start:len(tagsArena):len(tagsArena)]
			}
			buf = append(buf, c)
			if len(buf) == cap(buf) {
				flush()
			}
		}
		if len(buf) > 0 {
			flush()
		}
		adds, err := w.Close(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got, err := handSnapshot(Open(store), schema, []string{"day"}, adds).Rows(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// The same rows written from fresh memory.
		wantAdds := writeChunks(t, newLocal(t), schema, src, 333, WriterOptions{TargetFileSize: 32 << 10, RowGroupRows: 700})
		if diff := cmp.Diff(goldenAdds(wantAdds), goldenAdds(adds)); diff != "" {
			t.Errorf("hidden=%v: adds differ from fresh memory (-fresh +reused):\n%s", hidden, diff)
		}
		if len(got) != len(src) {
			t.Fatalf("read %d rows, wrote %d", len(got), len(src))
		}
		for _, r := range got {
			for _, v := range r {
				if s, ok := v.(string); ok && (strings.Contains(s, "X") || s == "overwritten") {
					t.Fatalf("hidden=%v: corrupted row %v", hidden, r)
				}
			}
		}
		for _, a := range adds {
			if d := addDay(a); d != "" && !strings.HasPrefix(d, "2024-03-0") {
				t.Fatalf("hidden=%v: corrupted partition value %q", hidden, d)
			}
		}
	}
}
