package delta

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/parquet-go/parquet-go"

	"github.com/streamgen/streamgen/runtime/storage"
)

// lrSnapshotDiff compares two snapshots' reconciled state (not the
// segment they were built from).
func lrSnapshotDiff(want, got *Snapshot) string {
	return cmp.Diff(want, got,
		cmpopts.IgnoreUnexported(Snapshot{}),
		cmpopts.IgnoreFields(Snapshot{}, "Segment"),
		// Checkpoints record state: Spark and we write dataChange=false.
		cmpopts.IgnoreFields(Add{}, "DataChange"),
		cmpopts.IgnoreFields(Remove{}, "DataChange"),
		cmpopts.EquateEmpty())
}

// lrJSONOnly replays every commit from 0 to version, ignoring
// checkpoints.
func lrJSONOnly(t *testing.T, tbl *Table, version int64) *Snapshot {
	t.Helper()
	ctx := context.Background()
	seg := &LogSegment{Version: version}
	for v := int64(0); v <= version; v++ {
		fi, err := tbl.Storage().Stat(ctx, CommitFileName(v))
		if err != nil {
			t.Fatal(err)
		}
		seg.Commits = append(seg.Commits, fi)
	}
	s, err := tbl.snapshotFromSegment(ctx, seg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// lrBuildBusyTable writes n commits exercising every action kind.
func lrBuildBusyTable(t *testing.T, lt *lrTable, from, n int64) {
	t.Helper()
	now := time.Now().UnixMilli()
	for v := from; v < from+n; v++ {
		acts := []*Action{lrCommitInfo(now - 1000 + v)}
		if v == 0 {
			md := lrMetadata("p")
			md.Metadata.Configuration = map[string]string{"delta.appendOnly": "false", "k": "v"}
			md.Metadata.Name = ptr("busy")
			acts = append(acts, lrProtocol(), md)
		}
		for i := range 3 {
			p := fmt.Sprintf("p=%d/part-%05d-%d.parquet", v%3, v, i)
			a := lrAdd(EncodePath(p))
			pv := fmt.Sprint(v % 3)
			a.Add.PartitionValues = map[string]*string{"p": &pv}
			if i == 1 {
				a.Add.PartitionValues["p"] = nil
				a.Add.Path = EncodePath(fmt.Sprintf("p=__HIVE_DEFAULT_PARTITION__/sp ace+%%-%d.parquet", v))
				a.Add.Tags = map[string]string{"INSERTION_TIME": fmt.Sprint(v)}
			}
			if i == 2 {
				a.Add.Stats = ""
			}
			a.Add.Size = 100 + v*10 + int64(i)
			acts = append(acts, a)
		}
		if v >= 2 {
			// remove one file of the commit before the previous one
			old := fmt.Sprintf("p=%d/part-%05d-0.parquet", (v-2)%3, v-2)
			rm := lrRemove(EncodePath(old), now-500+v)
			rm.Remove.ExtendedFileMetadata = ptr(true)
			rm.Remove.Size = ptr(int64(1))
			rm.Remove.PartitionValues = map[string]*string{"p": ptr(fmt.Sprint((v - 2) % 3))}
			acts = append(acts, rm)
		}
		if v == 5 {
			// an expired tombstone: older than the one-week retention
			acts = append(acts, lrRemove("p=0/ancient.parquet", now-30*24*3600*1000))
			acts = append(acts, &Action{Remove: &Remove{Path: "p=0/no-timestamp.parquet", DataChange: true}})
		}
		if v == 6 {
			// re-add a removed file
			acts = append(acts, lrAdd(EncodePath("p=0/part-00003-0.parquet")))
		}
		acts = append(acts, &Action{Txn: &Txn{AppID: fmt.Sprintf("app-%d", v%4), Version: v, LastUpdated: ptr(now)}})
		if v%5 == 0 {
			acts = append(acts, &Action{DomainMetadata: &DomainMetadata{Domain: fmt.Sprintf("dom%d", v%2), Configuration: fmt.Sprintf(`{"v":%d}`, v)}})
		}
		if v == 7 {
			acts = append(acts, &Action{DomainMetadata: &DomainMetadata{Domain: "dom1", Removed: true}})
		}
		lt.commit(v, acts...)
	}
}

// lrDropExpired removes the tombstones a checkpoint leaves out.
func lrDropExpired(s *Snapshot) {
	cutoff := s.Timestamp.Add(-DefaultRetention).UnixMilli()
	var keep []*Remove
	for _, r := range s.Tombstones {
		if r.DeletionTimestamp == nil || *r.DeletionTimestamp >= cutoff {
			keep = append(keep, r)
		}
	}
	s.Tombstones = keep
}

func TestCheckpointRoundTrip(t *testing.T) {
	ctx := context.Background()
	lt := lrNewTable(t)
	lrBuildBusyTable(t, lt, 0, 12)

	before, err := lt.tbl.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := lt.tbl.WriteCheckpoint(ctx, before); err != nil {
		t.Fatal(err)
	}
	// The hint is written, and names our checkpoint.
	raw, err := lt.st.Read(ctx, LastCheckpointName)
	if err != nil {
		t.Fatal(err)
	}
	h, err := ParseLastCheckpoint(raw)
	if err != nil {
		t.Fatal(err)
	}
	cpInfo, err := lt.st.Stat(ctx, CheckpointFileName(11))
	if err != nil {
		t.Fatal(err)
	}
	wantSize := int64(2 + len(before.Txns) + len(before.Domains) + len(before.Files) + len(before.Tombstones) - 1) // -1 expired
	if h.Version != 11 || h.Size != wantSize || h.SizeInBytes == nil || *h.SizeInBytes != cpInfo.Size ||
		h.NumOfAddFiles == nil || *h.NumOfAddFiles != int64(len(before.Files)) {
		t.Errorf("hint = %s, want version 11 size %d sizeInBytes %d adds %d", raw, wantSize, cpInfo.Size, len(before.Files))
	}
	var keys map[string]any
	if err := json.Unmarshal(raw, &keys); err != nil || len(keys) != 4 {
		t.Errorf("hint keys = %v (%v)", keys, err)
	}

	after, err := lt.tbl.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after.Segment.Checkpoint == nil || after.Segment.Checkpoint.Version != 11 || len(after.Segment.Commits) != 0 {
		t.Fatalf("segment = %+v, want checkpoint 11 alone", after.Segment)
	}
	lrDropExpired(before)
	if d := lrSnapshotDiff(before, after); d != "" {
		t.Errorf("checkpoint replay differs from JSON replay (-json +checkpoint):\n%s", d)
	}
	if len(after.Tombstones) == 0 || len(after.Domains) != 1 || len(after.Txns) != 4 {
		t.Errorf("test table too small: %d tombstones, %d domains, %d txns", len(after.Tombstones), len(after.Domains), len(after.Txns))
	}

	// More commits on top: checkpoint + JSON == JSON only.
	lrBuildBusyTable(t, lt, 12, 5)
	mixed, err := lt.tbl.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if mixed.Segment.Checkpoint == nil || mixed.Segment.Checkpoint.Version != 11 || len(mixed.Segment.Commits) != 5 {
		t.Fatalf("segment = %+v", mixed.Segment)
	}
	jsonOnly := lrJSONOnly(t, lt.tbl, 16)
	lrDropExpired(jsonOnly)
	if d := lrSnapshotDiff(jsonOnly, mixed); d != "" {
		t.Errorf("checkpoint+json differs from json (-json +mixed):\n%s", d)
	}

	// Writing the same checkpoint again is a no-op; an older one does not
	// move the hint back.
	if err := lt.tbl.WriteCheckpoint(ctx, before); err != nil {
		t.Fatal(err)
	}
	if err := lt.tbl.WriteCheckpoint(ctx, mixed); err != nil {
		t.Fatal(err)
	}
	old, err := lt.tbl.SnapshotAt(ctx, 4)
	if err != nil {
		t.Fatal(err)
	}
	if err := lt.tbl.WriteCheckpoint(ctx, old); err != nil {
		t.Fatal(err)
	}
	if h := lt.tbl.readLastCheckpoint(ctx); h == nil || h.Version != 16 {
		t.Errorf("hint = %+v, want version 16", h)
	}
	// Time travel to 4 now uses the v4 checkpoint and still matches.
	old2, err := lt.tbl.SnapshotAt(ctx, 4)
	if err != nil {
		t.Fatal(err)
	}
	if old2.Segment.Checkpoint == nil || old2.Segment.Checkpoint.Version != 4 {
		t.Errorf("segment = %+v", old2.Segment)
	}
	lrDropExpired(old)
	if d := lrSnapshotDiff(old, old2); d != "" {
		t.Errorf("v4 differs:\n%s", d)
	}
}

func TestCheckpointSchemaMatchesSpark(t *testing.T) {
	root := conformanceCasesDir(t)
	spark := lrParquetLeaves(t, filepath.Join(root, "dat/with_checkpoint/delta/_delta_log/00000000000000000002.checkpoint.parquet"))
	lt := lrNewTable(t)
	lrBuildBusyTable(t, lt, 0, 3)
	s, err := lt.tbl.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := lt.tbl.WriteCheckpoint(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	ours := lrParquetLeaves(t, filepath.Join(lt.dir, filepath.FromSlash(CheckpointFileName(2))))
	for path, kind := range spark {
		if got, ok := ours[path]; !ok {
			t.Errorf("our checkpoint lacks Spark's column %s (%s)", path, kind)
		} else if got != kind {
			t.Errorf("column %s: ours %s, Spark %s", path, got, kind)
		}
	}
	// Top-level order of Spark's groups is kept.
	f := lrOpenParquet(t, filepath.Join(lt.dir, filepath.FromSlash(CheckpointFileName(2))))
	var names []string
	for _, fld := range f.Schema().Fields() {
		names = append(names, fld.Name())
	}
	if got := strings.Join(names, ","); got != "txn,add,remove,metaData,protocol,domainMetadata" {
		t.Errorf("top-level columns = %s", got)
	}
}

func conformanceCasesDir(t *testing.T) string {
	t.Helper()
	cases := conformanceCases(t)
	return strings.TrimSuffix(cases[0].Dir, filepath.FromSlash(cases[0].Path))
}

func lrOpenParquet(t *testing.T, path string) *parquet.File {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// lrParquetLeaves maps each leaf column path (map/list wrapper groups
// named generically) to its physical kind and repetition.
func lrParquetLeaves(t *testing.T, path string) map[string]string {
	t.Helper()
	out := map[string]string{}
	var walk func(n parquet.Node, prefix string)
	walk = func(n parquet.Node, prefix string) {
		for _, f := range n.Fields() {
			name := f.Name()
			if f.Repeated() && !f.Leaf() {
				name = "[]" // key_value, entries, list, bag
			}
			p := prefix + "." + name
			if f.Leaf() {
				rep := "optional"
				if f.Required() {
					rep = "required"
				}
				out[strings.TrimPrefix(p, ".")] = fmt.Sprintf("%s %v", rep, f.Type().Kind())
				continue
			}
			walk(f, p)
		}
	}
	walk(lrOpenParquet(t, path).Schema(), "")
	return out
}

// TestCheckpointConformance checks, for every readable conformance table
// with a checkpoint and its full JSON history, that the checkpoint
// written by Spark/delta-rs replays to the same state as the JSON
// commits, and that our own checkpoint of the table does too.
func TestCheckpointConformance(t *testing.T) {
	ctx := context.Background()
	n := 0
	for _, c := range conformanceCases(t) {
		if !c.Readable || c.CheckpointVersion == nil {
			continue
		}
		n++
		t.Run(c.Name, func(t *testing.T) {
			tbl := openConformanceTable(t, c)
			s, err := tbl.Snapshot(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if s.Segment.Checkpoint == nil {
				t.Fatalf("segment has no checkpoint: %+v", s.Segment)
			}
			if _, err := tbl.Storage().Stat(ctx, CommitFileName(0)); err == nil {
				want := lrJSONOnly(t, tbl, s.Version)
				lrCompareFiles(t, want, s)
			} else {
				// dat/no_replay: commits 0 and 1 were deleted; nothing to
				// compare the checkpoint with.
				t.Logf("no commit 0: %v", err)
			}
			// Our own checkpoint of the table replays to the same state.
			// Replace the other writer's checkpoints by ours.
			lt := lrCopyTable(t, c.Name)
			files, err := lt.st.ListFrom(ctx, LogDir, "")
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range files {
				if ParseLogPath(f).IsCheckpoint() || f.Name == LastCheckpointName {
					lt.remove(f.Name)
				}
			}
			if err := lt.tbl.WriteCheckpoint(ctx, s); err != nil {
				t.Fatal(err)
			}
			ours, err := lt.tbl.Snapshot(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if ours.Segment.Checkpoint == nil || ours.Segment.Checkpoint.Version != s.Version || len(ours.Segment.Commits) != 0 {
				t.Fatalf("segment = %+v", ours.Segment)
			}
			lrDropExpired(s)
			ours.Timestamp = s.Timestamp // the commit holding it may be gone
			if d := lrSnapshotDiff(s, ours); d != "" {
				t.Errorf("our checkpoint differs (-want +got):\n%s", d)
			}
		})
	}
	if n < 8 {
		t.Errorf("only %d checkpoint cases", n)
	}
}

// lrCompareFiles compares the active files, txns, protocol and metadata
// of two snapshots. Checkpoints may omit stats (writeStatsAsJson=false)
// and drop expired tombstones, so those are compared leniently.
func lrCompareFiles(t *testing.T, want, got *Snapshot) {
	t.Helper()
	opts := []cmp.Option{cmpopts.EquateEmpty(), cmpopts.IgnoreFields(Add{}, "Stats", "Tags", "DataChange")}
	if d := cmp.Diff(want.Files, got.Files, opts...); d != "" {
		t.Errorf("files differ (-json +checkpoint):\n%s", d)
	}
	if d := cmp.Diff(want.Txns, got.Txns, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("txns differ:\n%s", d)
	}
	if d := cmp.Diff(want.Protocol, got.Protocol, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("protocol differs:\n%s", d)
	}
	if d := cmp.Diff(want.Metadata, got.Metadata, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("metadata differs:\n%s", d)
	}
	wantT := map[string]bool{}
	for _, r := range want.Tombstones {
		wantT[r.Path] = true
	}
	for _, r := range got.Tombstones {
		if !wantT[r.Path] {
			t.Errorf("checkpoint tombstone %s not in JSON replay", r.Path)
		}
	}
}

func TestCheckpointCorrupt(t *testing.T) {
	ctx := context.Background()
	for name, content := range map[string][]byte{
		"garbage":   []byte("definitely not parquet"),
		"empty":     {},
		"truncated": nil, // filled below
	} {
		t.Run(name, func(t *testing.T) {
			lt := lrNewTable(t)
			lrBuildBusyTable(t, lt, 0, 3)
			if name == "truncated" {
				s, err := lt.tbl.Snapshot(ctx)
				if err != nil {
					t.Fatal(err)
				}
				rows, _ := checkpointRows(s)
				full, err := encodeCheckpoint(rows)
				if err != nil {
					t.Fatal(err)
				}
				content = full[:len(full)/2]
			}
			lt.put(CheckpointFileName(2), string(content))
			_, err := lt.tbl.Snapshot(ctx)
			var cle *CorruptLogError
			if !errors.As(err, &cle) || cle.File != CheckpointFileName(2) {
				t.Fatalf("err = %v, want *CorruptLogError naming the checkpoint", err)
			}
			// Time travel below the checkpoint still works.
			if _, err := lt.tbl.SnapshotAt(ctx, 1); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestCheckpointMultiPartIncomplete(t *testing.T) {
	ctx := context.Background()
	lt := lrCopyTable(t, "golden/multi-part-checkpoint")
	full, err := lt.tbl.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if full.Segment.Checkpoint == nil || len(full.Segment.Checkpoint.Parts) != 2 {
		t.Fatalf("segment = %+v", full.Segment)
	}
	// Drop part 2: the checkpoint is incomplete, the hint (parts: 2) is
	// stale, and the reader falls back to the JSON commits.
	lt.remove(LogDir + "/00000000000000000001.checkpoint.0000000002.0000000002.parquet")
	s, err := lt.tbl.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.Segment.Checkpoint != nil || len(s.Segment.Commits) != 2 {
		t.Errorf("segment = %+v, want JSON replay", s.Segment)
	}
	lrCompareFiles(t, full, s)
}

func TestCheckpointRowsDeterministicOrder(t *testing.T) {
	lt := lrNewTable(t)
	lrBuildBusyTable(t, lt, 0, 8)
	s, err := lt.tbl.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rows, adds := checkpointRows(s)
	if rows[0].Protocol == nil || rows[1].MetaData == nil || adds != len(s.Files) {
		t.Fatalf("first rows %+v %+v", rows[0], rows[1])
	}
	var txns []string
	for _, r := range rows {
		n := 0
		for _, set := range []bool{r.Txn != nil, r.Add != nil, r.Remove != nil, r.MetaData != nil, r.Protocol != nil, r.DomainMetadata != nil} {
			if set {
				n++
			}
		}
		if n != 1 {
			t.Errorf("row %+v has %d actions", r, n)
		}
		if r.Txn != nil {
			txns = append(txns, *r.Txn.AppID)
		}
	}
	if !sort.StringsAreSorted(txns) {
		t.Errorf("txns not sorted: %v", txns)
	}
}

func TestParseLastCheckpoint(t *testing.T) {
	for _, tc := range []struct {
		in      string
		ok      bool
		version int64
		bytes   int64
	}{
		{`{"version":10,"size":13}`, true, 10, -1},
		{`{"size":6,"size_in_bytes":23521,"version":1}`, true, 1, 23521},
		{`{"version":2,"size":9,"sizeInBytes":37269,"numOfAddFiles":4,"checkpointSchema":{"type":"struct","fields":[]},"parts":2}`, true, 2, 37269},
		{` {"version":0} `, true, 0, -1},
		{``, false, 0, 0},
		{`   `, false, 0, 0},
		{`null`, false, 0, 0},
		{`[]`, false, 0, 0},
		{`{"size":1}`, false, 0, 0},
		{`{"version":-1}`, false, 0, 0},
		{`{"version":1.5}`, false, 0, 0},
		{`{"version":1,"parts":0}`, false, 0, 0},
		{`{"version":"1"}`, false, 0, 0},
		{`{"version":1`, false, 0, 0},
	} {
		h, err := ParseLastCheckpoint([]byte(tc.in))
		if (err == nil) != tc.ok {
			t.Errorf("ParseLastCheckpoint(%q) err = %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), "delta: ") {
				t.Errorf("error %q lacks prefix", err)
			}
			continue
		}
		if h.Version != tc.version {
			t.Errorf("%q: version %d", tc.in, h.Version)
		}
		if tc.bytes >= 0 && (h.SizeInBytes == nil || *h.SizeInBytes != tc.bytes) {
			t.Errorf("%q: sizeInBytes %v", tc.in, h.SizeInBytes)
		}
	}
}

func TestCheckpointStoreErrors(t *testing.T) {
	ctx := context.Background()
	lt := lrNewTable(t)
	lrBuildBusyTable(t, lt, 0, 2)
	s, err := lt.tbl.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A hint write failure is reported after the checkpoint is in place.
	fs := &lrFailStore{Storage: lt.st, failPut: true}
	if err := Open(fs).WriteCheckpoint(ctx, s); err == nil || !strings.Contains(err.Error(), "_last_checkpoint") {
		t.Errorf("err = %v", err)
	}
	if _, err := lt.st.Stat(ctx, CheckpointFileName(1)); err != nil {
		t.Errorf("checkpoint missing: %v", err)
	}
	if _, err := lt.st.Stat(ctx, LastCheckpointName); !storage.IsNotExist(err) {
		t.Errorf("hint written: %v", err)
	}
	// The table still reads (listing finds the checkpoint).
	if s2, err := lt.tbl.Snapshot(ctx); err != nil || s2.Segment.Checkpoint == nil {
		t.Errorf("snapshot: %v", err)
	}
}

type lrFailStore struct {
	storage.Storage
	failPut bool
}

func (s *lrFailStore) Put(ctx context.Context, name string, data []byte) error {
	if s.failPut {
		return errors.New("injected put failure")
	}
	return s.Storage.Put(ctx, name, data)
}
