package delta

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamgen/streamgen/runtime/storage"
)

// lrTable is a hand-built table in a temp dir for log-reader tests.
type lrTable struct {
	t   testing.TB
	dir string
	st  *storage.Local
	tbl *Table
}

func lrNewTable(t testing.TB) *lrTable {
	t.Helper()
	dir := t.TempDir()
	st, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	return &lrTable{t: t, dir: dir, st: st, tbl: Open(st)}
}

// commit writes version with the given actions via MarshalLine and
// PutIfAbsent.
func (lt *lrTable) commit(version int64, actions ...*Action) {
	lt.t.Helper()
	var b strings.Builder
	for _, a := range actions {
		line, err := a.MarshalLine()
		if err != nil {
			lt.t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	lt.put(CommitFileName(version), b.String())
}

func (lt *lrTable) put(name, content string) {
	lt.t.Helper()
	if err := lt.st.PutIfAbsent(context.Background(), name, []byte(content)); err != nil {
		lt.t.Fatal(err)
	}
}

func (lt *lrTable) remove(name string) {
	lt.t.Helper()
	if err := os.Remove(filepath.Join(lt.dir, filepath.FromSlash(name))); err != nil {
		lt.t.Fatal(err)
	}
}

func lrProtocol() *Action {
	return &Action{Protocol: &Protocol{MinReaderVersion: 1, MinWriterVersion: 2}}
}

func lrMetadata(partCols ...string) *Action {
	fields := []string{`{"name":"id","type":"long","nullable":true,"metadata":{}}`}
	for _, c := range partCols {
		fields = append(fields, fmt.Sprintf(`{"name":%q,"type":"string","nullable":true,"metadata":{}}`, c))
	}
	created := int64(1700000000000)
	return &Action{Metadata: &Metadata{
		ID:               "11111111-2222-3333-4444-555555555555",
		Format:           Format{Provider: "parquet", Options: map[string]string{}},
		SchemaString:     `{"type":"struct","fields":[` + strings.Join(fields, ",") + `]}`,
		PartitionColumns: append([]string{}, partCols...),
		Configuration:    map[string]string{},
		CreatedTime:      &created,
	}}
}

func lrAdd(path string) *Action {
	return &Action{Add: &Add{Path: path, PartitionValues: map[string]*string{}, Size: 100,
		ModificationTime: 1700000000000, DataChange: true, Stats: `{"numRecords":1}`}}
}

func lrRemove(path string, ts int64) *Action {
	return &Action{Remove: &Remove{Path: path, DeletionTimestamp: &ts, DataChange: true}}
}

func lrCommitInfo(ts int64) *Action {
	return &Action{CommitInfo: &CommitInfo{Timestamp: &ts, Operation: "WRITE"}}
}

func lrPaths(s *Snapshot) []string {
	var out []string
	for _, f := range s.Files {
		p, _ := f.DecodedPath()
		out = append(out, p)
	}
	return out
}

func TestReadNotATable(t *testing.T) {
	ctx := context.Background()
	lt := lrNewTable(t)
	if _, err := lt.tbl.LatestVersion(ctx); !errors.Is(err, ErrNotATable) {
		t.Errorf("LatestVersion: %v, want ErrNotATable", err)
	}
	if _, err := lt.tbl.Snapshot(ctx); !errors.Is(err, ErrNotATable) {
		t.Errorf("Snapshot: %v, want ErrNotATable", err)
	}
	// Junk in _delta_log is not a table either.
	lt.put(LogDir+"/00000000000000000000.crc", "{}")
	lt.put(LogDir+"/.00000000000000000000.json.tmp", "{}")
	lt.put(LogDir+"/0000000000000000000.json", "{}")
	lt.put(LastCheckpointName, `{"version":0,"size":1}`)
	_, err := lt.tbl.Snapshot(ctx)
	if !errors.Is(err, ErrNotATable) {
		t.Fatalf("Snapshot: %v, want ErrNotATable", err)
	}
	if !strings.HasPrefix(err.Error(), "delta: table "+lt.tbl.Location()) {
		t.Errorf("error %q does not start with the table location", err)
	}
}

func TestReadReconciliation(t *testing.T) {
	ctx := context.Background()
	lt := lrNewTable(t)
	lt.commit(0, lrCommitInfo(1000), lrProtocol(), lrMetadata(), lrAdd("a"), lrAdd("b%20c"), lrAdd("d"))
	// remove by a different encoding of the same decoded path
	lt.commit(1, lrCommitInfo(2000), lrRemove("b c", 2000), lrRemove("a", 2000),
		&Action{Txn: &Txn{AppID: "app", Version: 1}},
		&Action{DomainMetadata: &DomainMetadata{Domain: "d1", Configuration: `{"x":1}`}},
		&Action{DomainMetadata: &DomainMetadata{Domain: "d2", Configuration: `{}`}})
	lt.commit(2, lrCommitInfo(3000), lrAdd("a"), // re-add after remove
		&Action{Txn: &Txn{AppID: "app", Version: 5}},
		&Action{Txn: &Txn{AppID: "other", Version: 0}},
		&Action{DomainMetadata: &DomainMetadata{Domain: "d1", Configuration: `{"x":2}`}},
		&Action{DomainMetadata: &DomainMetadata{Domain: "d2", Removed: true}},
		&Action{CDC: &CDC{Path: "_change_data/x", PartitionValues: map[string]*string{}, Size: 1}})
	// unknown action, blank line, and a newer protocol + metadata
	lt.put(CommitFileName(3), `{"commitInfo":{"timestamp":4000}}`+"\n\n"+
		`{"someFutureAction":{"x":1}}`+"\n"+
		`{"protocol":{"minReaderVersion":1,"minWriterVersion":3}}`+"\n"+
		`{"metaData":{"id":"new","format":{"provider":"parquet","options":{}},"schemaString":"{\"type\":\"struct\",\"fields\":[]}","partitionColumns":[],"configuration":{}}}`)

	s, err := lt.tbl.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(lrPaths(s), ","), "a,d"; got != want {
		t.Errorf("files = %s, want %s", got, want)
	}
	if len(s.Tombstones) != 1 || s.Tombstones[0].Path != "b c" {
		t.Errorf("tombstones = %+v, want [b c]", s.Tombstones)
	}
	if s.Txns["app"].Version != 5 || s.Txns["other"].Version != 0 || len(s.Txns) != 2 {
		t.Errorf("txns = %+v", s.Txns)
	}
	if len(s.Domains) != 1 || s.Domains["d1"].Configuration != `{"x":2}` {
		t.Errorf("domains = %+v", s.Domains)
	}
	if s.Protocol.MinWriterVersion != 3 || s.Metadata.ID != "new" {
		t.Errorf("protocol %+v / metadata id %q: newest must win", s.Protocol, s.Metadata.ID)
	}
	if s.Schema == nil || len(s.Schema.Fields) != 0 {
		t.Errorf("schema = %v", s.Schema)
	}
	if !s.Timestamp.Equal(time.UnixMilli(4000)) {
		t.Errorf("timestamp = %v", s.Timestamp)
	}
	if s.Version != 3 || s.Segment.Version != 3 || len(s.Segment.Commits) != 4 || s.Segment.Checkpoint != nil {
		t.Errorf("segment = %+v", s.Segment)
	}

	// Time travel by version.
	s1, err := lt.tbl.SnapshotAt(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(lrPaths(s1), ","); got != "d" || len(s1.Tombstones) != 2 || len(s1.Domains) != 2 {
		t.Errorf("v1: files %s tombstones %d domains %d", got, len(s1.Tombstones), len(s1.Domains))
	}
	if _, err := lt.tbl.SnapshotAt(ctx, 4); !errors.Is(err, ErrVersionNotFound) {
		t.Errorf("SnapshotAt(4): %v", err)
	}
	if _, err := lt.tbl.SnapshotAt(ctx, -1); !errors.Is(err, ErrVersionNotFound) {
		t.Errorf("SnapshotAt(-1): %v", err)
	}

	// ReadCommit keeps file order and includes cdc and unknown actions.
	acts, err := lt.tbl.ReadCommit(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, a := range acts {
		kinds = append(kinds, a.Kind())
	}
	if got := strings.Join(kinds, ","); got != "commitInfo,someFutureAction,protocol,metaData" {
		t.Errorf("ReadCommit kinds = %s", got)
	}
	if _, err := lt.tbl.ReadCommit(ctx, 9); !errors.Is(err, ErrVersionNotFound) {
		t.Errorf("ReadCommit(9): %v", err)
	}
}

func TestReadMissingProtocolMetadata(t *testing.T) {
	ctx := context.Background()
	lt := lrNewTable(t)
	lt.commit(0, lrMetadata(), lrAdd("a"))
	var cle *CorruptLogError
	if _, err := lt.tbl.Snapshot(ctx); !errors.As(err, &cle) || !strings.Contains(err.Error(), "no protocol") {
		t.Errorf("no protocol: %v", err)
	}
	lt2 := lrNewTable(t)
	lt2.commit(0, lrProtocol(), lrAdd("a"))
	if _, err := lt2.tbl.Snapshot(ctx); !errors.As(err, &cle) || !strings.Contains(err.Error(), "no metaData") {
		t.Errorf("no metaData: %v", err)
	}
}

func TestReadCorruptLine(t *testing.T) {
	ctx := context.Background()
	lt := lrNewTable(t)
	lt.commit(0, lrProtocol(), lrMetadata())
	lt.put(CommitFileName(1), `{"commitInfo":{}}`+"\n"+`{"add":{"path":"x","size":"big"}}`+"\n")
	_, err := lt.tbl.Snapshot(ctx)
	var cle *CorruptLogError
	if !errors.As(err, &cle) {
		t.Fatalf("err = %v, want *CorruptLogError", err)
	}
	if cle.File != CommitFileName(1) || cle.Version != 1 || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("err = %v (%+v), want file %s line 2", err, cle, CommitFileName(1))
	}
	// A bad path encoding is reported too.
	lt2 := lrNewTable(t)
	lt2.commit(0, lrProtocol(), lrMetadata(), lrAdd("bad%zz"))
	if _, err := lt2.tbl.Snapshot(ctx); !errors.As(err, &cle) {
		t.Errorf("bad path: %v", err)
	}
}

func TestReadVersionGap(t *testing.T) {
	ctx := context.Background()
	lt := lrNewTable(t)
	lt.commit(0, lrProtocol(), lrMetadata())
	lt.commit(1, lrAdd("a"))
	lt.commit(3, lrAdd("b"))
	_, err := lt.tbl.Snapshot(ctx)
	var cle *CorruptLogError
	if !errors.As(err, &cle) || !strings.Contains(err.Error(), "versions not contiguous: missing version 2") {
		t.Fatalf("err = %v", err)
	}
	// Version 1 is still fine.
	if s, err := lt.tbl.SnapshotAt(ctx, 1); err != nil || len(s.Files) != 1 {
		t.Errorf("SnapshotAt(1): %v", err)
	}
}

func TestReadProtocolRefused(t *testing.T) {
	ctx := context.Background()
	lt := lrNewTable(t)
	lt.commit(0, lrProtocol(), lrMetadata(), lrAdd("a"))
	lt.commit(1, &Action{Protocol: &Protocol{MinReaderVersion: 3, MinWriterVersion: 7,
		ReaderFeatures: []string{"timestampNtz"}, WriterFeatures: []string{"timestampNtz"}}})
	s, err := lt.tbl.Snapshot(ctx)
	var ufe *UnsupportedFeatureError
	if !errors.As(err, &ufe) || ufe.Feature != FeatureTimestampNTZ || s != nil {
		t.Fatalf("snapshot %v err %v, want timestampNtz refusal", s, err)
	}
	// The version before the upgrade still reads.
	if _, err := lt.tbl.SnapshotAt(ctx, 0); err != nil {
		t.Error(err)
	}

	// A deletion vector is refused even if the protocol does not say so.
	lt2 := lrNewTable(t)
	add := lrAdd("a")
	add.Add.DeletionVector = &DeletionVector{StorageType: "u", PathOrInlineDv: "ab", SizeInBytes: 3, Cardinality: 1}
	lt2.commit(0, lrProtocol(), lrMetadata(), add)
	if _, err := lt2.tbl.Snapshot(ctx); !errors.As(err, &ufe) || ufe.Feature != FeatureDeletionVectors {
		t.Errorf("DV: %v", err)
	}
	// ...but a DV file removed again is fine: the remove key matches.
	rm := lrRemove("a", 1)
	rm.Remove.DeletionVector = add.Add.DeletionVector
	lt2.commit(1, rm)
	if s, err := lt2.tbl.Snapshot(ctx); err != nil || len(s.Files) != 0 {
		t.Errorf("DV removed: %v", err)
	}
}

func TestCheckReadWriteSupport(t *testing.T) {
	for _, tc := range []struct {
		p           Protocol
		read, write string // "" = supported, else Feature
	}{
		{Protocol{MinReaderVersion: 1, MinWriterVersion: 2}, "", ""},
		{Protocol{MinReaderVersion: 1, MinWriterVersion: 1}, "", ""},
		{Protocol{MinReaderVersion: 1, MinWriterVersion: 3}, "", FeatureCheckConstraints},
		{Protocol{MinReaderVersion: 1, MinWriterVersion: 4}, "", FeatureGeneratedColumns},
		{Protocol{MinReaderVersion: 2, MinWriterVersion: 5}, FeatureColumnMapping, FeatureColumnMapping},
		{Protocol{MinReaderVersion: 3, MinWriterVersion: 7}, "", ""},
		{Protocol{MinReaderVersion: 3, MinWriterVersion: 7, WriterFeatures: []string{"appendOnly", "invariants"}}, "", ""},
		{Protocol{MinReaderVersion: 3, MinWriterVersion: 7, WriterFeatures: []string{"appendOnly", "checkConstraints"}}, "", FeatureCheckConstraints},
		{Protocol{MinReaderVersion: 3, MinWriterVersion: 7, WriterFeatures: []string{"generatedColumns"}}, "", FeatureGeneratedColumns},
		{Protocol{MinReaderVersion: 3, MinWriterVersion: 7, ReaderFeatures: []string{"vacuumProtocolCheck"}, WriterFeatures: []string{"vacuumProtocolCheck"}}, "", "vacuumProtocolCheck"},
		{Protocol{MinReaderVersion: 3, MinWriterVersion: 7, ReaderFeatures: []string{"deletionVectors"}}, FeatureDeletionVectors, FeatureDeletionVectors},
		{Protocol{MinReaderVersion: 3, MinWriterVersion: 7, ReaderFeatures: []string{"v2Checkpoint"}}, FeatureV2Checkpoint, FeatureV2Checkpoint},
		{Protocol{MinReaderVersion: 99, MinWriterVersion: 7}, "readerVersion 99", "readerVersion 99"},
		{Protocol{MinReaderVersion: 0, MinWriterVersion: 2}, "readerVersion 0", "readerVersion 0"},
		{Protocol{MinReaderVersion: 1, MinWriterVersion: 8}, "", "writerVersion 8"},
	} {
		check := func(what string, err error, want string) {
			t.Helper()
			if want == "" {
				if err != nil {
					t.Errorf("%s %+v: %v", what, tc.p, err)
				}
				return
			}
			var ufe *UnsupportedFeatureError
			if !errors.As(err, &ufe) || ufe.Feature != want || ufe.Table != "tbl" {
				t.Errorf("%s %+v: %v, want feature %q", what, tc.p, err, want)
			} else if !strings.HasPrefix(err.Error(), "delta: table tbl: ") {
				t.Errorf("message %q", err)
			}
		}
		check("read", CheckReadSupport("tbl", tc.p), tc.read)
		check("write", CheckWriteSupport("tbl", tc.p), tc.write)
	}
}

func TestReadTimestamps(t *testing.T) {
	ctx := context.Background()
	lt := lrNewTable(t)
	lt.commit(0, lrCommitInfo(1000), lrProtocol(), lrMetadata())
	lt.commit(1, lrAdd("a"), lrCommitInfo(3000)) // commitInfo last (old Spark)
	lt.commit(2, lrCommitInfo(2000), lrAdd("b")) // goes back in time: becomes 3001
	ict := int64(9000)
	lt.commit(3, &Action{CommitInfo: &CommitInfo{Timestamp: ptr(int64(5000)), InCommitTimestamp: &ict}}, lrAdd("c"))
	lt.commit(4, lrAdd("d")) // no commitInfo: file mtime
	mtime := time.UnixMilli(20000)
	if err := os.Chtimes(filepath.Join(lt.dir, filepath.FromSlash(CommitFileName(4))), mtime, mtime); err != nil {
		t.Fatal(err)
	}
	for v, want := range []int64{1000, 3000, 2000, 9000, 20000} {
		got, err := lt.tbl.CommitTimestamp(ctx, int64(v))
		if err != nil || got.UnixMilli() != want {
			t.Errorf("CommitTimestamp(%d) = %v, %v; want %d", v, got.UnixMilli(), err, want)
		}
	}
	if _, err := lt.tbl.CommitTimestamp(ctx, 5); !errors.Is(err, ErrVersionNotFound) {
		t.Errorf("CommitTimestamp(5): %v", err)
	}
	for _, tc := range []struct {
		at   int64
		want int64
	}{{1000, 0}, {2999, 0}, {3000, 1}, {3001, 2}, {8999, 2}, {9000, 3}, {19999, 3}, {20000, 4}, {1 << 50, 4}} {
		s, err := lt.tbl.SnapshotAsOf(ctx, time.UnixMilli(tc.at))
		if err != nil {
			t.Errorf("SnapshotAsOf(%d): %v", tc.at, err)
			continue
		}
		if s.Version != tc.want {
			t.Errorf("SnapshotAsOf(%d) = version %d, want %d", tc.at, s.Version, tc.want)
		}
	}
	_, err := lt.tbl.SnapshotAsOf(ctx, time.UnixMilli(999))
	if !errors.Is(err, ErrVersionNotFound) || !strings.Contains(err.Error(), "earliest available commit (version 0 at 1970-01-01T00:00:01Z)") {
		t.Errorf("SnapshotAsOf(999): %v", err)
	}
	if s, _ := lt.tbl.SnapshotAt(ctx, 3); s == nil || s.Timestamp.UnixMilli() != 9000 {
		t.Errorf("snapshot timestamp must prefer inCommitTimestamp: %v", s)
	}
}

// lrCopyTable copies a conformance table to a temp dir.
func lrCopyTable(t testing.TB, name string) *lrTable {
	t.Helper()
	var src string
	for _, c := range conformanceCases(t) {
		if c.Name == name {
			src = c.Dir
		}
	}
	if src == "" {
		t.Fatalf("no conformance case %s", name)
	}
	lt := lrNewTable(t)
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		dst := filepath.Join(lt.dir, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return lt
}

// lrListStore records the start argument of every ListFrom.
type lrListStore struct {
	storage.Storage
	mu     sync.Mutex
	starts []string
}

func (s *lrListStore) ListFrom(ctx context.Context, dir, start string) ([]storage.FileInfo, error) {
	s.mu.Lock()
	s.starts = append(s.starts, start)
	s.mu.Unlock()
	return s.Storage.ListFrom(ctx, dir, start)
}

func TestReadLastCheckpointHint(t *testing.T) {
	ctx := context.Background()
	// Listing starts at the hint, not at 0.
	lt := lrCopyTable(t, "golden/basic-with-inserts-deletes-checkpoint")
	ls := &lrListStore{Storage: lt.st}
	tbl := Open(ls)
	s, err := tbl.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.Version != 13 || s.Segment.Checkpoint == nil || s.Segment.Checkpoint.Version != 10 || len(s.Segment.Commits) != 3 {
		t.Errorf("segment = %+v", s.Segment)
	}
	if len(ls.starts) != 1 || ls.starts[0] != versionPrefix(10) {
		t.Errorf("ListFrom starts = %q, want one listing from the hint", ls.starts)
	}
	baseline := len(s.Files)

	for name, hint := range map[string]string{
		"empty":          "",
		"garbage":        "{not json",
		"no version":     `{"size":3}`,
		"negative":       `{"version":-4,"size":3}`,
		"future":         `{"version":999,"size":3}`,
		"no such cp":     `{"version":12,"size":3}`,
		"stale":          `{"version":0,"size":3}`,
		"wrong type":     `{"version":"ten"}`,
		"snake + extras": `{"version":10,"size":13,"size_in_bytes":5,"num_of_add_files":2,"tags":{"a":"b"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			lt := lrCopyTable(t, "golden/basic-with-inserts-deletes-checkpoint")
			if err := lt.st.Put(ctx, LastCheckpointName, []byte(hint)); err != nil {
				t.Fatal(err)
			}
			s, err := lt.tbl.Snapshot(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if s.Version != 13 || len(s.Files) != baseline {
				t.Errorf("version %d files %d", s.Version, len(s.Files))
			}
			if s.Segment.Checkpoint == nil || s.Segment.Checkpoint.Version != 10 {
				t.Errorf("checkpoint = %+v, want the v10 checkpoint", s.Segment.Checkpoint)
			}
			if v, err := lt.tbl.LatestVersion(ctx); err != nil || v != 13 {
				t.Errorf("LatestVersion = %d, %v", v, err)
			}
		})
	}
}

func TestReadCleanedUpLog(t *testing.T) {
	ctx := context.Background()
	// dat/no_replay: commits 0 and 1 are gone, checkpoint at 2.
	lt := lrCopyTable(t, "dat/no_replay")
	for _, v := range []int64{0, 1} {
		_, err := lt.tbl.SnapshotAt(ctx, v)
		if !errors.Is(err, ErrVersionNotFound) || !strings.Contains(err.Error(), "earliest reconstructable version is 2") {
			t.Errorf("SnapshotAt(%d): %v", v, err)
		}
	}
	for _, v := range []int64{2, 3} {
		if _, err := lt.tbl.SnapshotAt(ctx, v); err != nil {
			t.Errorf("SnapshotAt(%d): %v", v, err)
		}
	}
	// Without its checkpoint the log cannot be replayed at all.
	lt.remove(CheckpointFileName(2))
	var cle *CorruptLogError
	if _, err := lt.tbl.Snapshot(ctx); !errors.As(err, &cle) {
		t.Errorf("Snapshot without checkpoint: %v, want *CorruptLogError", err)
	}
	if _, err := lt.tbl.SnapshotAt(ctx, 2); !errors.Is(err, ErrVersionNotFound) {
		t.Errorf("SnapshotAt(2) without checkpoint: %v", err)
	}
}

func TestReadContextCanceled(t *testing.T) {
	lt := lrNewTable(t)
	lt.commit(0, lrProtocol(), lrMetadata())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := lt.tbl.Snapshot(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Snapshot with canceled context: %v", err)
	}
}
