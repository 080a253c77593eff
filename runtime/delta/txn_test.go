package delta

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/streamgen/streamgen/runtime/shareddata"
	"github.com/streamgen/streamgen/runtime/storage"
)

// txSchema is the schema of the tables the transaction tests write: an id
// and a string partition column.
const txSchema = `{"type":"struct","fields":[` +
	`{"name":"id","type":"long","nullable":true,"metadata":{}},` +
	`{"name":"part","type":"string","nullable":true,"metadata":{}}]}`

// txFixedTime is the clock of deterministic tests.
var txFixedTime = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

// txIDs hands out deterministic UUIDs: ...-000000000001, -2, ...
type txIDs struct {
	mu sync.Mutex
	n  int
}

func (s *txIDs) next() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	return fmt.Sprintf("00000000-0000-0000-0000-%012d", s.n)
}

// txDeterministic returns commit options with a fixed clock and sequential
// ids.
func txDeterministic() CommitOptions {
	ids := &txIDs{}
	return CommitOptions{
		Clock:      func() time.Time { return txFixedTime },
		NewID:      ids.next,
		EngineInfo: "streamgen/test",
	}
}

// txNewTable returns a table in a fresh temporary directory.
func txNewTable(t testing.TB, opts CommitOptions) (*Table, string) {
	t.Helper()
	dir := t.TempDir()
	st, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	tbl := Open(st).WithCommitOptions(opts)
	// Before the directory is removed: the last background checkpoint.
	t.Cleanup(func() { tbl.WaitCheckpoints(context.Background()) })
	return tbl, dir
}

// txCreate commits version 0 of tbl: schema txSchema, partitioned by
// partCols, with configuration conf.
func txCreate(t testing.TB, tbl *Table, partCols []string, conf map[string]string) {
	t.Helper()
	ctx := context.Background()
	tx, err := tbl.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if tx.ReadVersion() != -1 || tx.Snapshot() != nil {
		t.Fatalf("Begin on a new table: read version %d, snapshot %v", tx.ReadVersion(), tx.Snapshot())
	}
	tx.SetMetadata(Metadata{SchemaString: txSchema, PartitionColumns: partCols, Configuration: conf})
	v, err := tx.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v != 0 {
		t.Fatalf("create committed version %d, want 0", v)
	}
}

// txAdd returns a log-only add action (no data file) with dataChange.
func txAdd(path string, size int64, part ...string) *Add {
	pv := map[string]*string{}
	for i := 0; i+1 < len(part); i += 2 {
		v := part[i+1]
		pv[part[i]] = &v
	}
	return &Add{Path: path, PartitionValues: pv, Size: size, ModificationTime: txFixedTime.UnixMilli(), DataChange: true,
		Stats: fmt.Sprintf(`{"numRecords":%d}`, size/10)}
}

// txCommit begins, lets build fill the transaction and commits it.
func txCommit(t testing.TB, tbl *Table, build func(tx *Transaction)) int64 {
	t.Helper()
	ctx := context.Background()
	tx, err := tbl.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	build(tx)
	v, err := tx.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// txReadLines returns the lines of the commit file of version.
func txReadLines(t testing.TB, dir string, version int64) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(CommitFileName(version))))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(b, []byte("\n")) {
		t.Errorf("commit %d does not end with a newline", version)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// txCommitVersions lists the JSON commit versions in the log.
func txCommitVersions(t testing.TB, tbl *Table) []int64 {
	t.Helper()
	infos, err := tbl.Storage().ListFrom(context.Background(), LogDir, "")
	if err != nil {
		t.Fatal(err)
	}
	var vs []int64
	for _, fi := range infos {
		if lp := ParseLogPath(fi); lp.Type == LogPathCommit {
			vs = append(vs, lp.Version)
		}
	}
	return vs
}

func TestTxnCommitShapes(t *testing.T) {
	tbl, dir := txNewTable(t, txDeterministic())
	ctx := context.Background()
	txCreate(t, tbl, []string{"part"}, map[string]string{"delta.appendOnly": "false"})

	ms := txFixedTime.UnixMilli()
	want0 := []string{
		fmt.Sprintf(`{"commitInfo":{"timestamp":%d,"operation":"CREATE TABLE","operationParameters":{"isManaged":"false","partitionBy":"[\"part\"]","properties":"{\"delta.appendOnly\":\"false\"}"},"isolationLevel":"Serializable","isBlindAppend":false,"engineInfo":"streamgen/test","txnId":"00000000-0000-0000-0000-000000000002"}}`, ms),
		`{"protocol":{"minReaderVersion":1,"minWriterVersion":2}}`,
		fmt.Sprintf(`{"metaData":{"id":"00000000-0000-0000-0000-000000000001","format":{"provider":"parquet","options":{}},"schemaString":%q,"partitionColumns":["part"],"configuration":{"delta.appendOnly":"false"},"createdTime":%d}}`, txSchema, ms),
	}
	if diff := cmp.Diff(want0, txReadLines(t, dir, 0)); diff != "" {
		t.Errorf("create commit (-want +got):\n%s", diff)
	}

	// A streaming append, like Spark's STREAMING UPDATE commits.
	tx, err := tbl.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx.SetTxn("e4a20b59-dd0e-4c50-b074-e8ae4786df30", 0)
	tx.SetOperation("STREAMING UPDATE", map[string]any{"outputMode": "Append", "queryId": "e4a20b59-dd0e-4c50-b074-e8ae4786df30", "epochId": "0"})
	tx.Add(txAdd("part=a/part-00000-x.snappy.parquet", 404, "part", "a"))
	if v, err := tx.Commit(ctx); err != nil || v != 1 {
		t.Fatalf("commit = %d, %v", v, err)
	}
	want1 := []string{
		fmt.Sprintf(`{"commitInfo":{"timestamp":%d,"operation":"STREAMING UPDATE","operationParameters":{"epochId":"0","outputMode":"Append","queryId":"e4a20b59-dd0e-4c50-b074-e8ae4786df30"},"readVersion":0,"isolationLevel":"Serializable","isBlindAppend":true,"operationMetrics":{"numFiles":"1","numOutputBytes":"404","numOutputRows":"40"},"engineInfo":"streamgen/test","txnId":"00000000-0000-0000-0000-000000000003"}}`, ms),
		fmt.Sprintf(`{"txn":{"appId":"e4a20b59-dd0e-4c50-b074-e8ae4786df30","version":0,"lastUpdated":%d}}`, ms),
		fmt.Sprintf(`{"add":{"path":"part=a/part-00000-x.snappy.parquet","partitionValues":{"part":"a"},"size":404,"modificationTime":%d,"dataChange":true,"stats":"{\"numRecords\":40}"}}`, ms),
	}
	got1 := txReadLines(t, dir, 1)
	if diff := cmp.Diff(want1, got1); diff != "" {
		t.Errorf("streaming commit (-want +got):\n%s", diff)
	}

	// A rewrite: remove (with extended file metadata) and add, removes
	// before adds.
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx = tbl.BeginAt(snap)
	tx.ReadFiles(snap.Files...)
	tx.Remove(RemoveFor(snap.Files[0], txFixedTime, true))
	tx.Add(txAdd("part=a/part-00001-y.snappy.parquet", 300, "part", "a"))
	tx.SetOperation("DELETE", map[string]any{"predicate": `["(id = 1)"]`})
	if v, err := tx.Commit(ctx); err != nil || v != 2 {
		t.Fatalf("commit = %d, %v", v, err)
	}
	want2 := []string{
		fmt.Sprintf(`{"commitInfo":{"timestamp":%d,"operation":"DELETE","operationParameters":{"predicate":"[\"(id = 1)\"]"},"readVersion":1,"isolationLevel":"Serializable","isBlindAppend":false,"operationMetrics":{"numFiles":"1","numOutputBytes":"300","numOutputRows":"30","numRemovedBytes":"404","numRemovedFiles":"1"},"engineInfo":"streamgen/test","txnId":"00000000-0000-0000-0000-000000000004"}}`, ms),
		fmt.Sprintf(`{"remove":{"path":"part=a/part-00000-x.snappy.parquet","deletionTimestamp":%d,"dataChange":true,"extendedFileMetadata":true,"partitionValues":{"part":"a"},"size":404,"stats":"{\"numRecords\":40}"}}`, ms),
		fmt.Sprintf(`{"add":{"path":"part=a/part-00001-y.snappy.parquet","partitionValues":{"part":"a"},"size":300,"modificationTime":%d,"dataChange":true,"stats":"{\"numRecords\":30}"}}`, ms),
	}
	if diff := cmp.Diff(want2, txReadLines(t, dir, 2)); diff != "" {
		t.Errorf("rewrite commit (-want +got):\n%s", diff)
	}

	// Structure against Spark's own STREAMING UPDATE commit: the same
	// actions in the same order, and every commitInfo key Spark writes is
	// written with the same JSON type.
	spark := txSparkStreamingCommit(t)
	if diff := cmp.Diff(txLineKinds(t, spark), txLineKinds(t, got1)); diff != "" {
		t.Errorf("action kinds differ from Spark's STREAMING UPDATE (-spark +ours):\n%s", diff)
	}
	sparkCI, oursCI := txObject(t, spark[0])["commitInfo"].(map[string]any), txObject(t, got1[0])["commitInfo"].(map[string]any)
	for k, sv := range sparkCI {
		ov, ok := oursCI[k]
		if !ok {
			t.Errorf("commitInfo lacks Spark's key %q", k)
			continue
		}
		if fmt.Sprintf("%T", sv) != fmt.Sprintf("%T", ov) {
			t.Errorf("commitInfo.%s is %T, Spark writes %T", k, ov, sv)
		}
	}
	if diff := cmp.Diff(txKeys(sparkCI["operationParameters"]), txKeys(oursCI["operationParameters"])); diff != "" {
		t.Errorf("operationParameters keys (-spark +ours):\n%s", diff)
	}
	for i, kind := range []string{"txn", "add"} {
		sk, ok := txKeys(txObject(t, spark[i+1])[kind]), txKeys(txObject(t, got1[i+1])[kind])
		if diff := cmp.Diff(sk, ok); diff != "" {
			t.Errorf("%s keys (-spark +ours; stats is optional):\n%s", kind, diff)
		}
	}
}

func txSparkStreamingCommit(t *testing.T) []string {
	t.Helper()
	dir, err := shareddata.Find("conformance/delta/delta-rs/delta-0.2.0/_delta_log")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "00000000000000000003.json"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	// Spark's add has no stats here; ours does. Compare the rest.
	var add map[string]any
	obj := txObject(t, lines[2])
	add = obj["add"].(map[string]any)
	add["stats"] = "{}"
	nb, _ := json.Marshal(obj)
	lines[2] = string(nb)
	return lines
}

func txObject(t *testing.T, line string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	return m
}

func txKeys(v any) []string {
	m, _ := v.(map[string]any)
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func txLineKinds(t *testing.T, lines []string) []string {
	var kinds []string
	for _, l := range lines {
		a, err := ParseAction([]byte(l))
		if err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, a.Kind())
	}
	return kinds
}

func TestTxnCommitValidation(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		create  bool // the table has version 0 (partitioned by part)
		build   func(tx *Transaction)
		wantErr string
	}{
		{"new table without metadata", false, func(tx *Transaction) { tx.Add(txAdd("a", 1)) }, "a new table needs metadata"},
		{"unparseable schema", false, func(tx *Transaction) {
			tx.SetMetadata(Metadata{SchemaString: `{"type":"struct","fields":[{"name":"x","type":"strin"}]}`})
		},
			`metadata: delta: schema: x: unsupported type "strin"`},
		{"partition column missing", false, func(tx *Transaction) {
			tx.SetMetadata(Metadata{SchemaString: txSchema, PartitionColumns: []string{"nope"}})
		}, `partition column "nope" is not in the schema struct<id:long,part:string>`},
		{"partition column not primitive", false, func(tx *Transaction) {
			tx.SetMetadata(Metadata{SchemaString: `{"type":"struct","fields":[{"name":"s","type":{"type":"array","elementType":"long","containsNull":true},"nullable":true,"metadata":{}}]}`, PartitionColumns: []string{"s"}})
		}, `partition column "s" has type array<long>; partition columns must be primitive`},
		{"partition column twice", false, func(tx *Transaction) {
			tx.SetMetadata(Metadata{SchemaString: txSchema, PartitionColumns: []string{"part", "part"}})
		}, `partition column "part" listed twice`},
		{"unsupported format", false, func(tx *Transaction) {
			tx.SetMetadata(Metadata{SchemaString: txSchema, Format: Format{Provider: "orc"}})
		}, `unsupported data format "orc"`},
		{"absolute path", true, func(tx *Transaction) { tx.Add(txAdd("/tmp/x.parquet", 1, "part", "a")) }, `add "/tmp/x.parquet": path must be relative to the table root`},
		{"uri path", true, func(tx *Transaction) { tx.Add(txAdd("s3://b/x.parquet", 1, "part", "a")) }, `path must be relative to the table root`},
		{"parent path", true, func(tx *Transaction) { tx.Add(txAdd("../x.parquet", 1, "part", "a")) }, `add "../x.parquet": path leaves the table root`},
		{"negative size", true, func(tx *Transaction) { tx.Add(txAdd("x.parquet", -1, "part", "a")) }, `add "x.parquet": negative size -1`},
		{"missing partition value", true, func(tx *Transaction) { tx.Add(txAdd("x.parquet", 1)) }, `add "x.parquet": partition values for 0 columns, the table has 1 (part)`},
		{"wrong partition value", true, func(tx *Transaction) { tx.Add(txAdd("x.parquet", 1, "other", "a")) }, `add "x.parquet": no value for partition column "part"`},
		{"protocol downgrade", true, func(tx *Transaction) { tx.SetProtocol(Protocol{MinReaderVersion: 1, MinWriterVersion: 1}) }, "protocol 1/1 would downgrade the table's 1/2"},
		{"unsupported writer feature", true, func(tx *Transaction) {
			tx.SetProtocol(Protocol{MinReaderVersion: 3, MinWriterVersion: 7, ReaderFeatures: []string{"deletionVectors"}, WriterFeatures: []string{"deletionVectors"}})
		}, `unsupported feature "deletionVectors"`},
		{"remove from an append-only table", true, func(tx *Transaction) {
			m := tx.Snapshot().Metadata
			m.Configuration = map[string]string{"delta.appendOnly": "true"}
			tx.SetMetadata(m)
			tx.Remove(&Remove{Path: "x.parquet", DataChange: true})
		}, `remove "x.parquet": the table is append-only (delta.appendOnly=true)`},
		{"empty appId", true, func(tx *Transaction) { tx.SetTxn("", 1) }, "txn with an empty appId"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tbl, dir := txNewTable(t, txDeterministic())
			if tc.create {
				txCreate(t, tbl, []string{"part"}, nil)
			}
			tx, err := tbl.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			tc.build(tx)
			v, err := tx.Commit(ctx)
			if err == nil {
				t.Fatalf("Commit = %d, want error containing %q", v, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), dir) {
				t.Errorf("Commit error = %q, want it to contain %q and the table location", err, tc.wantErr)
			}
			next := int64(0)
			if tc.create {
				next = 1
			}
			if _, err := os.Stat(filepath.Join(dir, CommitFileName(next))); !os.IsNotExist(err) {
				t.Errorf("a refused commit wrote version %d", next)
			}
		})
	}
}

func TestTxnAlreadyCommitted(t *testing.T) {
	ctx := context.Background()
	tbl, _ := txNewTable(t, CommitOptions{})
	txCreate(t, tbl, nil, nil)
	for epoch := int64(0); epoch < 3; epoch++ {
		txCommit(t, tbl, func(tx *Transaction) {
			tx.SetTxn("query-1", epoch)
			tx.Add(txAdd(fmt.Sprintf("f%d.parquet", epoch), 10))
		})
	}
	// A replay of epochs 0..2 (after a crash) must not write; 3 must.
	for _, epoch := range []int64{1, 2} {
		tx, err := tbl.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		tx.SetTxn("query-1", epoch)
		tx.Add(txAdd(fmt.Sprintf("dup%d.parquet", epoch), 10))
		if v, err := tx.Commit(ctx); !errors.Is(err, ErrTxnAlreadyCommitted) {
			t.Errorf("replayed epoch %d: Commit = %d, %v; want ErrTxnAlreadyCommitted", epoch, v, err)
		}
	}
	if got := txCommitVersions(t, tbl); len(got) != 4 {
		t.Errorf("versions after replays = %v, want 0..3", got)
	}
	v := txCommit(t, tbl, func(tx *Transaction) {
		tx.SetTxn("query-1", 3)
		tx.SetTxn("query-2", 0)
		tx.Add(txAdd("f3.parquet", 10))
	})
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for id, x := range snap.Txns {
		got[id] = x.Version
	}
	if diff := cmp.Diff(map[string]int64{"query-1": 3, "query-2": 0}, got); v != 4 || diff != "" {
		t.Errorf("after epoch 3: version %d (want 4), txns (-want +got):\n%s", v, diff)
	}

	// A committed transaction cannot be committed again.
	tx, _ := tbl.Begin(ctx)
	tx.Add(txAdd("g.parquet", 1))
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(ctx); err == nil || !strings.Contains(err.Error(), "already committed") {
		t.Errorf("second Commit of one transaction: %v", err)
	}
}

// txHookStore wraps a store and lets tests intercept writes.
type txHookStore struct {
	storage.Storage
	putIfAbsent func(ctx context.Context, name string, data []byte) error
	put         func(ctx context.Context, name string, data []byte) error
}

func (s *txHookStore) PutIfAbsent(ctx context.Context, name string, data []byte) error {
	if s.putIfAbsent != nil {
		if err := s.putIfAbsent(ctx, name, data); err != nil {
			return err
		}
	}
	return s.Storage.PutIfAbsent(ctx, name, data)
}

func (s *txHookStore) Put(ctx context.Context, name string, data []byte) error {
	if s.put != nil {
		if err := s.put(ctx, name, data); err != nil {
			return err
		}
	}
	return s.Storage.Put(ctx, name, data)
}

func TestTxnCommitRetriesAfterLostRaces(t *testing.T) {
	ctx := context.Background()
	base, dir := txNewTable(t, CommitOptions{})
	txCreate(t, base, nil, nil)

	// Every commit attempt first loses to another writer's blind append
	// (lost races of a commit that commutes), up to `losses` times.
	losses, n := 0, 0
	hs := &txHookStore{Storage: base.Storage()}
	other := Open(base.Storage())
	hs.putIfAbsent = func(ctx context.Context, name string, data []byte) error {
		if losses > 0 && ParseLogPath(storage.FileInfo{Name: name}).Type == LogPathCommit {
			losses--
			tx, err := other.Begin(ctx)
			if err != nil {
				return err
			}
			tx.Add(txAdd(fmt.Sprintf("other-%d.parquet", n), 5))
			n++
			if _, err := tx.Commit(ctx); err != nil {
				return err
			}
		}
		return nil
	}
	tbl := Open(hs).WithCommitOptions(CommitOptions{MaxRetries: 3, Backoff: time.Microsecond})

	losses = 3
	tx, err := tbl.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx.Add(txAdd("mine.parquet", 7))
	v, err := tx.Commit(ctx)
	if err != nil || v != 4 {
		t.Fatalf("Commit after 3 lost races = %d, %v; want version 4", v, err)
	}
	lines := txReadLines(t, dir, 4)
	if ci := txObject(t, lines[0])["commitInfo"].(map[string]any); ci["readVersion"] != float64(0) {
		t.Errorf("readVersion after retries = %v, want the version read (0)", ci["readVersion"])
	}

	losses = 4
	tx, err = tbl.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx.Add(txAdd("mine2.parquet", 7))
	if v, err := tx.Commit(ctx); !errors.Is(err, ErrTooManyRetries) {
		t.Fatalf("Commit after 4 lost races with MaxRetries 3 = %d, %v; want ErrTooManyRetries", v, err)
	}
	snap, err := base.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range snap.Files {
		paths = append(paths, f.Path)
	}
	want := []string{"mine.parquet", "other-0.parquet", "other-1.parquet", "other-2.parquet", "other-3.parquet", "other-4.parquet", "other-5.parquet", "other-6.parquet"}
	if diff := cmp.Diff(want, paths); diff != "" || snap.Version != 8 {
		t.Errorf("snapshot version %d (want 8), files (-want +got):\n%s", snap.Version, diff)
	}
}

func TestTxnCommitCheckpointTrigger(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts CommitOptions
		conf map[string]string
		want []int64 // checkpoint versions after 24 commits
	}{
		{"default interval", CommitOptions{}, nil, []int64{10, 20}},
		{"table property", CommitOptions{}, map[string]string{CheckpointIntervalKey: "7"}, []int64{7, 14, 21}},
		{"option overrides", CommitOptions{CheckpointInterval: 12}, map[string]string{CheckpointIntervalKey: "7"}, []int64{12, 24}},
		{"disabled", CommitOptions{CheckpointInterval: -1}, nil, nil},
	} {
		for _, sync := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/sync=%v", tc.name, sync), func(t *testing.T) {
				opts := tc.opts
				opts.BackgroundCheckpoints = !sync
				txCheckpointTrigger(t, opts, tc.conf, tc.want, sync)
			})
		}
	}
}

// txCheckpointTrigger makes 24 commits and checks that checkpoints were
// written at the want versions: exactly those when they are written
// within Commit, else (in the background, where a checkpoint that comes
// due while one is written may be skipped for the next) some of them,
// always the last.
func txCheckpointTrigger(t *testing.T, opts CommitOptions, conf map[string]string, want []int64, sync bool) {
	ctx := context.Background()
	tbl, dir := txNewTable(t, opts)
	txCreate(t, tbl, []string{"part"}, conf)
	for i := 1; i <= 24; i++ {
		txCommit(t, tbl, func(tx *Transaction) {
			tx.SetTxn("app", int64(i))
			tx.Add(txAdd(fmt.Sprintf("part=p%d/f%02d.parquet", i%3, i), int64(100+i), "part", fmt.Sprintf("p%d", i%3)))
			if i%5 == 0 {
				snap := tx.Snapshot()
				// Unexpired (recent) tombstones stay in checkpoints.
				tx.Remove(RemoveFor(snap.Files[0], time.Now(), true))
			}
		})
	}
	if !sync {
		if err := tbl.WaitCheckpoints(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var got []int64
	infos, _ := tbl.Storage().ListFrom(ctx, LogDir, "")
	for _, fi := range infos {
		if lp := ParseLogPath(fi); lp.Type == LogPathClassicCheckpoint {
			got = append(got, lp.Version)
		}
	}
	if sync || len(want) == 0 {
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("checkpoint versions (-want +got):\n%s", diff)
		}
	} else if len(got) == 0 || got[len(got)-1] != want[len(want)-1] || len(slices.DeleteFunc(slices.Clone(got), func(v int64) bool { return slices.Contains(want, v) })) > 0 {
		t.Fatalf("checkpoint versions %v, want some of %v including the last", got, want)
	}
	fromCheckpoint, err := tbl.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) > 0 && (fromCheckpoint.Segment.Checkpoint == nil || fromCheckpoint.Segment.Checkpoint.Version != want[len(want)-1]) {
		t.Errorf("latest snapshot segment %+v does not start at the newest checkpoint", fromCheckpoint.Segment)
	}
	// Replay the JSON alone: a copy of the log without
	// checkpoints.
	jsonDir := t.TempDir()
	for _, fi := range infos {
		if ParseLogPath(fi).Type != LogPathCommit {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(fi.Name)))
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Join(jsonDir, LogDir), 0o755)
		if err := os.WriteFile(filepath.Join(jsonDir, filepath.FromSlash(fi.Name)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	js, _ := storage.NewLocal(jsonDir)
	fromJSON, err := Open(js).Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fromJSON.Segment.Checkpoint != nil {
		t.Fatal("JSON copy has a checkpoint")
	}
	txCompareSnapshots(t, fromJSON, fromCheckpoint)
}

// txCompareSnapshots compares the table state of two snapshots (not their
// segments or timestamps).
func txCompareSnapshots(t *testing.T, want, got *Snapshot) {
	t.Helper()
	if want.Version != got.Version {
		t.Errorf("version %d, want %d", got.Version, want.Version)
	}
	if diff := cmp.Diff(want.Protocol, got.Protocol); diff != "" {
		t.Errorf("protocol (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want.Metadata, got.Metadata); diff != "" {
		t.Errorf("metadata (-want +got):\n%s", diff)
	}
	// Checkpoints store every action with dataChange=false, as Spark does.
	ignoreDataChange := cmp.Options{cmpopts.IgnoreFields(Add{}, "DataChange"), cmpopts.IgnoreFields(Remove{}, "DataChange")}
	if diff := cmp.Diff(want.Files, got.Files, ignoreDataChange); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want.Tombstones, got.Tombstones, ignoreDataChange); diff != "" {
		t.Errorf("tombstones (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want.Txns, got.Txns); diff != "" {
		t.Errorf("txns (-want +got):\n%s", diff)
	}
}

func TestTxnCommitCheckpointFailureIsLogged(t *testing.T) {
	base, dir := txNewTable(t, CommitOptions{})
	full := func(ctx context.Context, name string, data []byte) error {
		if lp := ParseLogPath(storage.FileInfo{Name: name}); lp.IsCheckpoint() || name == LastCheckpointName {
			return errors.New("disk full")
		}
		return nil
	}
	hs := &txHookStore{Storage: base.Storage(), put: full, putIfAbsent: full}
	var logBuf bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &logBuf, mu: &mu}, nil))
	tbl := Open(hs).WithCommitOptions(CommitOptions{CheckpointInterval: 2, Logger: logger})
	txCreate(t, tbl, nil, nil)
	for i := 0; i < 2; i++ {
		txCommit(t, tbl, func(tx *Transaction) { tx.Add(txAdd(fmt.Sprintf("f%d", i), 1)) })
	}
	if err := tbl.WaitCheckpoints(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logBuf.String(), "checkpoint failed") || !strings.Contains(logBuf.String(), "version=2") {
		t.Errorf("log = %q, want a checkpoint warning for version 2", logBuf.String())
	}
	if _, err := os.Stat(filepath.Join(dir, CheckpointFileName(2))); !os.IsNotExist(err) {
		t.Errorf("checkpoint written despite failing store: %v", err)
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestTxnBlindAppendFlag(t *testing.T) {
	tbl, dir := txNewTable(t, txDeterministic())
	txCreate(t, tbl, nil, nil)
	cases := []struct {
		build func(tx *Transaction)
		want  bool
	}{
		{func(tx *Transaction) { tx.Add(txAdd("a", 1)) }, true},
		{func(tx *Transaction) { tx.SetTxn("q", 1); tx.Add(txAdd("b", 1)) }, true},
		{func(tx *Transaction) { tx.ReadWholeTable(); tx.Add(txAdd("c", 1)) }, false},
		{func(tx *Transaction) { tx.ReadFiles(tx.Snapshot().Files[0]); tx.Add(txAdd("d", 1)) }, false},
		{func(tx *Transaction) { a := txAdd("e", 1); a.DataChange = false; tx.Add(a) }, false},
		{func(tx *Transaction) { tx.Remove(RemoveFor(tx.Snapshot().Files[0], txFixedTime, true)) }, false},
		{func(tx *Transaction) { m := tx.Snapshot().Metadata; tx.SetMetadata(m); tx.Add(txAdd("f", 1)) }, false},
		{func(tx *Transaction) {}, true},
	}
	for i, c := range cases {
		v := txCommit(t, tbl, c.build)
		ci := txObject(t, txReadLines(t, dir, v)[0])["commitInfo"].(map[string]any)
		if ci["isBlindAppend"] != c.want {
			t.Errorf("case %d: isBlindAppend = %v, want %v", i, ci["isBlindAppend"], c.want)
		}
	}
}
