package delta

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/storage"
)

func TestHistory(t *testing.T) {
	ctx := context.Background()
	opts := txDeterministic()
	tick := txFixedTime
	opts.Clock = func() time.Time { tick = tick.Add(time.Second); return tick }
	tbl, dir := txNewTable(t, opts)

	if _, err := tbl.History(ctx, 0); !errors.Is(err, ErrNotATable) {
		t.Fatalf("History of an empty location: %v, want ErrNotATable", err)
	}
	txCreate(t, tbl, []string{"part"}, nil)                                         // v0 at +1s
	txCommit(t, tbl, func(tx *Transaction) { tx.Add(txAdd("a", 10, "part", "x")) }) // v1 at +2s
	txCommit(t, tbl, func(tx *Transaction) {                                        // v2 at +3s
		tx.SetTxn("q", 0)
		tx.SetOperation("STREAMING UPDATE", map[string]any{"outputMode": "Append", "epochId": "0"})
		tx.Add(txAdd("b", 20, "part", "y"), txAdd("c", 30, "part", "y"))
	})
	txCommit(t, tbl, func(tx *Transaction) { // v3 at +4s
		tx.SetOperation("DELETE", map[string]any{"predicate": "[]"})
		tx.Remove(RemoveFor(tx.Snapshot().Files[0], tick, true))
	})

	type summary struct {
		Version       int64
		Timestamp     time.Time
		Operation     string
		Params        map[string]any
		Metrics       map[string]string
		ReadVersion   int64
		IsBlindAppend bool
		Adds, Removes int
	}
	summarize := func(h []HistoryEntry) []summary {
		var out []summary
		for _, e := range h {
			s := summary{Version: e.Version, Timestamp: e.Timestamp, Operation: e.CommitInfo.Operation,
				Params: e.CommitInfo.OperationParameters, Metrics: e.CommitInfo.OperationMetrics,
				ReadVersion: -1, Adds: e.NumAdds, Removes: e.NumRemoves}
			if e.CommitInfo.ReadVersion != nil {
				s.ReadVersion = *e.CommitInfo.ReadVersion
			}
			if e.CommitInfo.IsBlindAppend != nil {
				s.IsBlindAppend = *e.CommitInfo.IsBlindAppend
			}
			if e.CommitInfo.EngineInfo != "streamgen/test" || e.CommitInfo.TxnID == "" {
				t.Errorf("version %d: engineInfo %q, txnId %q", e.Version, e.CommitInfo.EngineInfo, e.CommitInfo.TxnID)
			}
			out = append(out, s)
		}
		return out
	}
	at := func(s int) time.Time { return txFixedTime.Add(time.Duration(s) * time.Second) }
	want := []summary{
		{3, at(4), "DELETE", map[string]any{"predicate": "[]"}, map[string]string{"numRemovedFiles": "1", "numRemovedBytes": "10"}, 2, false, 0, 1},
		{2, at(3), "STREAMING UPDATE", map[string]any{"outputMode": "Append", "epochId": "0"},
			map[string]string{"numFiles": "2", "numOutputBytes": "50", "numOutputRows": "5"}, 1, true, 2, 0},
		{1, at(2), "WRITE", nil, map[string]string{"numFiles": "1", "numOutputBytes": "10", "numOutputRows": "1"}, 0, true, 1, 0},
		{0, at(1), "CREATE TABLE", map[string]any{"isManaged": "false", "partitionBy": `["part"]`, "properties": "{}"}, nil, -1, false, 0, 0},
	}
	h, err := tbl.History(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, summarize(h)); diff != "" {
		t.Errorf("History (-want +got):\n%s", diff)
	}
	h, err = tbl.History(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want[:2], summarize(h)); diff != "" {
		t.Errorf("History limit 2 (-want +got):\n%s", diff)
	}
	// Log cleanup removed commits 0 and 1 (kept reconstructable by a
	// checkpoint at 2): they leave the history.
	snap2, err := tbl.SnapshotAt(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := tbl.WriteCheckpoint(ctx, snap2); err != nil {
		t.Fatal(err)
	}
	for _, v := range []int64{0, 1} {
		if err := os.Remove(filepath.Join(dir, CommitFileName(v))); err != nil {
			t.Fatal(err)
		}
	}
	h, err = tbl.History(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want[:2], summarize(h)); diff != "" {
		t.Errorf("History after cleanup (-want +got):\n%s", diff)
	}
}

// mtSchema is the schema of the maintenance tests' tables.
var mtSchema = &StructType{Fields: []StructField{
	{Name: "id", Type: Long, Nullable: true},
	{Name: "part", Type: String, Nullable: true},
	{Name: "payload", Type: String, Nullable: true},
}}

// mtWriteFiles appends one file per entry of rowsPerFile to partition
// part, in one commit, and returns the rows written.
func mtWriteFiles(t *testing.T, tbl *Table, part string, nextID *int64, rowsPerFile ...int) []Row {
	t.Helper()
	ctx := context.Background()
	var all []Row
	var adds []*Add
	for _, n := range rowsPerFile {
		var rows []Row
		for i := 0; i < n; i++ {
			rows = append(rows, Row{*nextID, part, strings.Repeat("x", int(*nextID%7))})
			*nextID++
		}
		a, err := WriteRows(ctx, tbl.Storage(), mtSchema, []string{"part"}, rows, WriterOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(a) != 1 {
			t.Fatalf("WriteRows wrote %d files, want 1", len(a))
		}
		adds = append(adds, a...)
		all = append(all, rows...)
	}
	txCommit(t, tbl, func(tx *Transaction) { tx.Add(adds...) })
	return all
}

func mtCreate(t *testing.T) (*Table, string) {
	t.Helper()
	tbl, dir := txNewTable(t, CommitOptions{})
	tx, err := tbl.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tx.SetMetadata(Metadata{SchemaString: mtSchema.SchemaString(), PartitionColumns: []string{"part"}})
	if _, err := tx.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	return tbl, dir
}

// mtSortRows orders rows by id.
func mtSortRows(rows []Row) []Row {
	rows = slices.Clone(rows)
	sort.Slice(rows, func(i, j int) bool { return rows[i][0].(int64) < rows[j][0].(int64) })
	return rows
}

func mtRows(t *testing.T, snap *Snapshot) []Row {
	t.Helper()
	rows, err := snap.Rows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return mtSortRows(rows)
}

// mtFilesByPart counts active files per partition value.
func mtFilesByPart(snap *Snapshot) map[string]int {
	m := map[string]int{}
	for _, f := range snap.Files {
		m[*f.PartitionValues["part"]]++
	}
	return m
}

func TestOptimize(t *testing.T) {
	ctx := context.Background()
	tbl, dir := mtCreate(t)
	var id int64
	var want []Row
	want = append(want, mtWriteFiles(t, tbl, "a", &id, 3, 4, 5, 6, 7)...) // v1: 5 small files
	want = append(want, mtWriteFiles(t, tbl, "a", &id, 4000)...)          // v2: one big file
	want = append(want, mtWriteFiles(t, tbl, "b", &id, 2, 2, 2, 2)...)    // v3: 4 small files
	want = append(want, mtWriteFiles(t, tbl, "c", &id, 9)...)             // v4: a single small file
	want = mtSortRows(want)

	before, err := tbl.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var big *Add
	for _, f := range before.Files {
		if big == nil || f.Size > big.Size {
			big = f
		}
	}
	opts := OptimizeOptions{TargetFileSize: 64 << 20, MinFileSize: big.Size}

	// A dry run plans without writing.
	dry := opts
	dry.DryRun = true
	res, err := tbl.Optimize(ctx, dry)
	if err != nil {
		t.Fatal(err)
	}
	if res.Version != -1 || res.FilesRemoved != 9 || res.FilesAdded != 0 || res.Partitions != 2 || res.Bins != 2 || res.FilesConsidered != 11 {
		t.Errorf("dry run = %+v", res)
	}
	if vs := txCommitVersions(t, tbl); len(vs) != 5 {
		t.Fatalf("dry run committed: versions %v", vs)
	}

	res, err = tbl.Optimize(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Version != 5 || res.ReadVersion != 4 || res.FilesRemoved != 9 || res.FilesAdded != 2 || res.Partitions != 2 || res.Bins != 2 {
		t.Errorf("Optimize = %+v", res)
	}
	after, err := tbl.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, mtRows(t, after)); diff != "" {
		t.Errorf("rows after OPTIMIZE (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"a": 2, "b": 1, "c": 1}, mtFilesByPart(after)); diff != "" {
		t.Errorf("files per partition (-want +got):\n%s", diff)
	}
	// Partition by partition: every row of a new file belongs to its
	// partition and the partition's rows are unchanged.
	for _, f := range after.Files {
		rows, err := after.ReadFile(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if r[1] != *f.PartitionValues["part"] {
				t.Errorf("file %s (part=%s) holds a row of partition %v", f.Path, *f.PartitionValues["part"], r[1])
			}
		}
	}
	// The commit: commitInfo OPTIMIZE, removes then adds, all
	// dataChange=false, removes exactly the 9 small files of a and b.
	actions, err := tbl.ReadCommit(ctx, 5)
	if err != nil {
		t.Fatal(err)
	}
	var removed []string
	var kinds []string
	for _, a := range actions {
		kinds = append(kinds, a.Kind())
		switch {
		case a.CommitInfo != nil:
			ci := a.CommitInfo
			if ci.Operation != "OPTIMIZE" || *ci.IsBlindAppend || ci.IsolationLevel != "SnapshotIsolation" ||
				ci.OperationMetrics["numRemovedFiles"] != "9" || ci.OperationMetrics["numAddedFiles"] != "2" ||
				ci.OperationParameters["predicate"] != "[]" {
				t.Errorf("commitInfo = %+v", ci)
			}
		case a.Remove != nil:
			if a.Remove.DataChange {
				t.Errorf("remove %s has dataChange=true", a.Remove.Path)
			}
			removed = append(removed, a.Remove.Path)
		case a.Add != nil:
			if a.Add.DataChange {
				t.Errorf("add %s has dataChange=true", a.Add.Path)
			}
		}
	}
	var wantRemoved []string
	for _, f := range before.Files {
		if f != big && *f.PartitionValues["part"] != "c" {
			wantRemoved = append(wantRemoved, f.Path)
		}
	}
	sort.Strings(removed)
	sort.Strings(wantRemoved)
	if diff := cmp.Diff(wantRemoved, removed); diff != "" {
		t.Errorf("removed files (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"commitInfo", "remove", "remove", "remove", "remove", "remove", "remove", "remove", "remove", "remove", "add", "add"}, kinds); diff != "" {
		t.Errorf("action order (-want +got):\n%s", diff)
	}
	// Old files are still there for time travel.
	v4, err := tbl.SnapshotAt(ctx, 4)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, mtRows(t, v4)); diff != "" {
		t.Errorf("rows of version 4 after OPTIMIZE (-want +got):\n%s", diff)
	}

	// Nothing left to do: no commit.
	res, err = tbl.Optimize(ctx, opts)
	if err != nil || res.Version != -1 || res.FilesRemoved != 0 {
		t.Errorf("second Optimize = %+v, %v; want nothing done", res, err)
	}
	if vs := txCommitVersions(t, tbl); len(vs) != 6 {
		t.Errorf("versions after a no-op Optimize: %v", vs)
	}
	_ = dir
}

func TestOptimizeBinsAndPartitionFilter(t *testing.T) {
	ctx := context.Background()
	tbl, _ := mtCreate(t)
	var id int64
	var want []Row
	want = append(want, mtWriteFiles(t, tbl, "a", &id, 5, 5, 5, 5, 5)...)
	want = append(want, mtWriteFiles(t, tbl, "b", &id, 5, 5, 5)...)
	want = mtSortRows(want)
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	minSize, maxSize := snap.Files[0].Size, snap.Files[0].Size
	for _, f := range snap.Files {
		minSize, maxSize = min(minSize, f.Size), max(maxSize, f.Size)
	}
	// Bins hold two files, never three: 5 files of a give bins of 2, 2
	// and a single file that is left alone.
	target := 2*maxSize + minSize/2
	if 3*minSize <= target {
		t.Fatalf("file sizes %d..%d too uneven for the test", minSize, maxSize)
	}
	if _, err := tbl.Optimize(ctx, OptimizeOptions{Partition: map[string]string{"nope": "a"}}); err == nil ||
		!strings.Contains(err.Error(), `"nope" is not a partition column`) {
		t.Errorf("unknown partition column: %v", err)
	}
	res, err := tbl.Optimize(ctx, OptimizeOptions{TargetFileSize: target, MinFileSize: maxSize + 1, Partition: map[string]string{"part": "a"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Bins != 2 || res.FilesRemoved != 4 || res.Partitions != 1 || res.FilesConsidered != 5 || res.Version != 3 {
		t.Errorf("Optimize part=a = %+v; want 2 bins of 2 files at version 3", res)
	}
	after, err := tbl.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]int{"a": 1 + res.FilesAdded, "b": 3}, mtFilesByPart(after)); diff != "" || res.FilesAdded != 2 {
		t.Errorf("files per partition (-want +got), %d added:\n%s", res.FilesAdded, diff)
	}
	if diff := cmp.Diff(want, mtRows(t, after)); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	h, err := tbl.History(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if p := h[0].CommitInfo.OperationParameters["predicate"]; p != `["(part = 'a')"]` {
		t.Errorf("predicate = %v", p)
	}

	// A concurrent delete of a file OPTIMIZE is compacting: conflict, and
	// the table keeps the winner's state.
	raced := false
	hs := &txHookStore{Storage: tbl.Storage()}
	hs.putIfAbsent = func(ctx context.Context, name string, data []byte) error {
		if raced || ParseLogPath(storage.FileInfo{Name: name}).Type != LogPathCommit {
			return nil
		}
		raced = true
		tx, err := tbl.Begin(ctx)
		if err != nil {
			return err
		}
		for _, f := range tx.Snapshot().Files {
			if *f.PartitionValues["part"] == "b" {
				tx.Remove(RemoveFor(f, time.Now(), true))
				break
			}
		}
		_, err = tx.Commit(ctx)
		return err
	}
	_, err = Open(hs).Optimize(ctx, OptimizeOptions{Partition: map[string]string{"part": "b"}})
	var ce *ConflictError
	if !errors.As(err, &ce) || ce.Reason != ConflictDeleteDelete || ce.Version != 4 {
		t.Fatalf("Optimize racing a delete: %v; want ConcurrentDeleteDelete at version 4", err)
	}
	if vs := txCommitVersions(t, tbl); len(vs) != 5 {
		t.Errorf("versions after the conflict: %v, want 0..4", vs)
	}
}

// vacSchema has a partition column whose name starts with '_', so its
// directories look hidden.
const vacSchema = `{"type":"struct","fields":[` +
	`{"name":"id","type":"long","nullable":true,"metadata":{}},` +
	`{"name":"_p","type":"string","nullable":true,"metadata":{}}]}`

// vacFixture builds a table whose directory holds, relative to now:
//
//	_p=a/active-old.parquet       active, 30 days old          kept
//	_p=a/active-new.parquet       active, new                  kept
//	_p=a/removed-long-ago.parquet removed 30 days ago, old     deleted
//	_p=a/removed-recently.parquet removed 1 day ago, old       kept (tombstone)
//	_p=b/orphan-old.parquet       never committed, old         deleted
//	orphan-root-old.parquet       never committed, old         deleted
//	orphan-new.parquet            never committed, 1 hour old  kept (too new)
//	_change_data/cdc-old.parquet  old change data              deleted
//	_tmp/x.parquet, .hidden, _p=a/_SUCCESS, _p=a/.part.crc     hidden, kept
//	_delta_log/*                  the log, made old            kept
func vacFixture(t *testing.T, conf map[string]string) (tbl *Table, dir string, now time.Time, wantDeleted []string) {
	t.Helper()
	ctx := context.Background()
	now = time.Now().Truncate(time.Millisecond)
	old := now.Add(-30 * 24 * time.Hour)
	clock := now
	tbl, dir = txNewTable(t, CommitOptions{Clock: func() time.Time { return clock }})
	tx, err := tbl.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx.SetMetadata(Metadata{SchemaString: vacSchema, PartitionColumns: []string{"_p"}, Configuration: conf})
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	files := map[string]time.Time{
		"_p=a/active-old.parquet":       old,
		"_p=a/active-new.parquet":       now,
		"_p=a/removed-long-ago.parquet": old,
		"_p=a/removed-recently.parquet": old,
		"_p=b/orphan-old.parquet":       old,
		"orphan-root-old.parquet":       old,
		"orphan-new.parquet":            now.Add(-time.Hour),
		"_change_data/cdc-old.parquet":  old,
		"_tmp/x.parquet":                old,
		".hidden":                       old,
		"_p=a/_SUCCESS":                 old,
		"_p=a/.part.crc":                old,
	}
	for name := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(strings.Repeat("d", len(name))), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	add := func(name string) *Add {
		return txAdd(name, int64(len(name)), "_p", "a")
	}
	txCommit(t, tbl, func(tx *Transaction) {
		tx.Add(add("_p=a/active-old.parquet"), add("_p=a/active-new.parquet"),
			add("_p=a/removed-long-ago.parquet"), add("_p=a/removed-recently.parquet"))
	})
	clock = old
	txCommit(t, tbl, func(tx *Transaction) { tx.Remove(RemoveFor(add("_p=a/removed-long-ago.parquet"), old, true)) })
	clock = now.Add(-24 * time.Hour)
	txCommit(t, tbl, func(tx *Transaction) {
		tx.Remove(RemoveFor(add("_p=a/removed-recently.parquet"), now.Add(-24*time.Hour), true))
	})
	clock = now
	// Make every file of the log old too: VACUUM must not look at it.
	err = filepath.WalkDir(filepath.Join(dir, LogDir), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			err = os.Chtimes(p, old, old)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, mt := range files {
		if err := os.Chtimes(filepath.Join(dir, filepath.FromSlash(name)), mt, mt); err != nil {
			t.Fatal(err)
		}
	}
	wantDeleted = []string{"_change_data/cdc-old.parquet", "_p=a/removed-long-ago.parquet", "_p=b/orphan-old.parquet", "orphan-root-old.parquet"}
	return tbl, dir, now, wantDeleted
}

// vacListDir lists every file under dir (slash names, sorted).
func vacListDir(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func TestVacuum(t *testing.T) {
	ctx := context.Background()
	tbl, dir, now, wantDeleted := vacFixture(t, nil)
	var wantBytes int64
	for _, n := range wantDeleted {
		wantBytes += int64(len(n))
	}
	beforeFiles := vacListDir(t, dir)
	nowFn := func() time.Time { return now }

	dry, err := tbl.Vacuum(ctx, VacuumOptions{DryRun: true, Now: nowFn})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantDeleted, dry.Files); diff != "" {
		t.Errorf("dry run files (-want +got):\n%s", diff)
	}
	if dry.Bytes != wantBytes || dry.Retention != DefaultRetention || dry.StartVersion != -1 || dry.EndVersion != -1 || !dry.Cutoff.Equal(now.Add(-DefaultRetention)) {
		t.Errorf("dry run = %+v; want %d bytes, retention 168h", dry, wantBytes)
	}
	if diff := cmp.Diff(beforeFiles, vacListDir(t, dir)); diff != "" {
		t.Errorf("dry run changed the directory (-before +after):\n%s", diff)
	}

	res, err := tbl.Vacuum(ctx, VacuumOptions{Now: nowFn})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantDeleted, res.Files); diff != "" || res.Bytes != wantBytes || res.StartVersion != 4 || res.EndVersion != 5 {
		t.Errorf("Vacuum = %+v; files (-want +got):\n%s", res, diff)
	}
	var wantLeft []string
	for _, f := range beforeFiles {
		if !slices.Contains(wantDeleted, f) {
			wantLeft = append(wantLeft, f)
		}
	}
	wantLeft = append(wantLeft, CommitFileName(4), CommitFileName(5))
	sort.Strings(wantLeft)
	if diff := cmp.Diff(wantLeft, vacListDir(t, dir)); diff != "" {
		t.Errorf("files left (-want +got):\n%s", diff)
	}
	// The run is in the log as two commitInfo-only commits.
	for v, want := range map[int64]struct {
		op      string
		params  map[string]any
		metrics map[string]string
	}{
		4: {"VACUUM START", map[string]any{"retentionCheckEnabled": true, "defaultRetentionMillis": float64(DefaultRetention.Milliseconds()), "specifiedRetentionMillis": float64(DefaultRetention.Milliseconds())},
			map[string]string{"numFilesToDelete": "4", "sizeOfDataToDelete": fmt.Sprint(wantBytes)}},
		5: {"VACUUM END", map[string]any{"status": "COMPLETED"}, map[string]string{"numDeletedFiles": "4", "numVacuumedDirectories": "0"}},
	} {
		actions, err := tbl.ReadCommit(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		if len(actions) != 1 || actions[0].CommitInfo == nil {
			t.Fatalf("version %d: %d actions, want commitInfo only", v, len(actions))
		}
		ci := actions[0].CommitInfo
		if ci.Operation != want.op || !cmp.Equal(ci.OperationParameters, want.params) || !cmp.Equal(ci.OperationMetrics, want.metrics) {
			t.Errorf("version %d commitInfo: %s %v %v; want %s %v %v", v, ci.Operation, ci.OperationParameters, ci.OperationMetrics, want.op, want.params, want.metrics)
		}
	}
	// The table still reads, and a second vacuum has nothing to do.
	snap, err := tbl.Snapshot(ctx)
	if err != nil || len(snap.Files) != 2 {
		t.Fatalf("snapshot after vacuum: %v, %v", snap, err)
	}
	res, err = tbl.Vacuum(ctx, VacuumOptions{Now: nowFn})
	if err != nil || len(res.Files) != 0 {
		t.Errorf("second Vacuum = %+v, %v", res, err)
	}
}

func TestVacuumRetention(t *testing.T) {
	ctx := context.Background()
	tbl, dir, now, wantDeleted := vacFixture(t, nil)
	nowFn := func() time.Time { return now }
	before := vacListDir(t, dir)

	_, err := tbl.Vacuum(ctx, VacuumOptions{Retention: 12 * time.Hour, Now: nowFn})
	if err == nil || !strings.Contains(err.Error(), "retention 12h0m0s is shorter than the table's 168h0m0s") {
		t.Fatalf("short retention without Force: %v", err)
	}
	if diff := cmp.Diff(before, vacListDir(t, dir)); diff != "" {
		t.Errorf("refused vacuum changed the directory:\n%s", diff)
	}
	// Forced: the recent tombstone (1 day) is now past the retention,
	// the 1-hour-old orphan is not.
	res, err := tbl.Vacuum(ctx, VacuumOptions{Retention: 12 * time.Hour, Force: true, DryRun: true, Now: nowFn})
	if err != nil {
		t.Fatal(err)
	}
	want := append(slices.Clone(wantDeleted), "_p=a/removed-recently.parquet")
	sort.Strings(want)
	if diff := cmp.Diff(want, res.Files); diff != "" {
		t.Errorf("forced 12h (-want +got):\n%s", diff)
	}
	// No retention at all also takes the new orphan.
	res, err = tbl.Vacuum(ctx, VacuumOptions{Retention: -1, Force: true, DryRun: true, Now: nowFn})
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, "orphan-new.parquet")
	sort.Strings(want)
	if diff := cmp.Diff(want, res.Files); diff != "" || res.Retention != 0 {
		t.Errorf("forced zero retention %v (-want +got):\n%s", res.Retention, diff)
	}

	// The table's own retention property is the default and the minimum.
	tbl2, _, now2, _ := vacFixture(t, map[string]string{DeletedFileRetentionKey: "interval 12 hours"})
	res, err = tbl2.Vacuum(ctx, VacuumOptions{DryRun: true, Now: func() time.Time { return now2 }})
	if err != nil || res.Retention != 12*time.Hour || len(res.Files) != 5 {
		t.Errorf("Vacuum with a 12h table retention = %+v, %v", res, err)
	}
	if _, err := tbl2.Vacuum(ctx, VacuumOptions{Retention: time.Hour, DryRun: true, Now: func() time.Time { return now2 }}); err == nil {
		t.Error("1h retention below the table's 12h accepted without Force")
	}
}

func TestVacuumParseInterval(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"interval 1 week":     7 * 24 * time.Hour,
		"interval 7 days":     7 * 24 * time.Hour,
		"INTERVAL 2 DAYS":     48 * time.Hour,
		"168 hours":           168 * time.Hour,
		"interval 30 minutes": 30 * time.Minute,
		"interval 1 second":   time.Second,
	} {
		if got, err := ParseInterval(in); err != nil || got != want {
			t.Errorf("ParseInterval(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "1 fortnight", "interval week", "interval -1 days"} {
		if got, err := ParseInterval(in); err == nil {
			t.Errorf("ParseInterval(%q) = %v, want an error", in, got)
		}
	}
}

func TestVacuumHiddenPaths(t *testing.T) {
	for name, want := range map[string]bool{
		"part-0.parquet":           false,
		"a=1/part-0.parquet":       false,
		"_delta_log/0.json":        true,
		".tmp/x":                   true,
		"a=1/.x.crc":               true,
		"a=1/_SUCCESS":             true,
		"_a=1/part-0.parquet":      false, // partition directory of column _a
		"_a=1/_b/part-0.parquet":   true,
		"_change_data/x.parquet":   false,
		"_delta_index/x":           false,
		"_b=1/part-0.parquet":      true,
		"nested/.hidden/f.parquet": true,
	} {
		if got := isHiddenPath(name, []string{"_a", "c"}); got != want {
			t.Errorf("isHiddenPath(%q) = %v, want %v", name, got, want)
		}
	}
}
