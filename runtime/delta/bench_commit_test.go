package delta

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/streamgen/streamgen/runtime/storage"
)

// BenchmarkCommitSmallAppend measures one writer committing one small
// (log-only) add per commit on local disk: Begin (latest snapshot) plus
// Commit (put-if-absent with fsync; every 10 commits a checkpoint, written
// in the background).
func BenchmarkCommitSmallAppend(b *testing.B) {
	ctx := context.Background()
	tbl, _ := txNewTable(b, CommitOptions{})
	txCreate(b, tbl, nil, nil)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		tx, err := tbl.Begin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		tx.Add(txAdd(fmt.Sprintf("part-%08d.parquet", i), 1024))
		if _, err := tx.Commit(ctx); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "commits/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkSnapshotLoad10kVersions measures loading the latest snapshot
// of a table with 10,000 versions and a checkpoint every 10 (so the read
// is _last_checkpoint + a checkpoint of 500 files + 9 JSON commits, and
// the log directory holds 11,000 files to list from).
func BenchmarkSnapshotLoad10kVersions(b *testing.B) {
	ctx := context.Background()
	dir := benchTable10k(b)
	st, err := storage.NewLocal(dir)
	if err != nil {
		b.Fatal(err)
	}
	tbl := Open(st)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		snap, err := tbl.Snapshot(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if snap.Version != bench10kVersions-1 || len(snap.Files) != bench10kActive {
			b.Fatalf("snapshot version %d with %d files, want %d with %d", snap.Version, len(snap.Files), bench10kVersions-1, bench10kActive)
		}
	}
}

const (
	bench10kVersions = 10000
	// bench10kActive is the number of active files: commit v adds file v
	// and, past this many, removes file v-bench10kActive.
	bench10kActive = 500
	// bench10kName keys the cached table under os.TempDir; bump it when
	// the layout changes.
	bench10kName = "streamgen-bench-delta-10k-v1"
)

// benchTable10k returns the directory of the cached 10,000-version table,
// building it on first use: commit JSON written directly (log-only adds,
// no data files), checkpoints every 10 versions via WriteCheckpoint.
func benchTable10k(b *testing.B) string {
	b.Helper()
	dir := filepath.Join(os.TempDir(), bench10kName)
	if _, err := os.Stat(filepath.Join(dir, LastCheckpointName)); err == nil {
		return dir
	}
	start := time.Now()
	tmp, err := os.MkdirTemp(os.TempDir(), bench10kName+".build-")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	if err := buildBenchTable(tmp); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		// Another benchmark process built it first.
		if _, serr := os.Stat(filepath.Join(dir, LastCheckpointName)); serr != nil {
			b.Fatal(err)
		}
	}
	b.Logf("built %s in %v", dir, time.Since(start))
	return dir
}

func buildBenchTable(dir string) error {
	ctx := context.Background()
	st, err := storage.NewLocal(dir)
	if err != nil {
		return err
	}
	tbl := Open(benchFastStore{st})
	if err := os.MkdirAll(filepath.Join(dir, LogDir), 0o755); err != nil {
		return err
	}
	created := int64(1_700_000_000_000)
	protocol := Protocol{MinReaderVersion: 1, MinWriterVersion: 2}
	meta := Metadata{ID: "00000000-0000-0000-0000-00000000b10c", Format: Format{Provider: "parquet", Options: map[string]string{}},
		SchemaString: txSchema, PartitionColumns: []string{}, Configuration: map[string]string{}, CreatedTime: &created}
	schema, err := meta.Schema()
	if err != nil {
		return err
	}
	// Removes are dated long ago, so their tombstones are expired and
	// checkpoints omit them.
	deleted := int64(1_600_000_000_000)
	fileName := func(i int) string { return fmt.Sprintf("part-%05d-0000-c000.snappy.parquet", i) }
	newAdd := func(i int) *Add {
		return &Add{Path: fileName(i), PartitionValues: map[string]*string{}, Size: 700 + int64(i%100),
			ModificationTime: created + int64(i)*1000, DataChange: true,
			Stats: fmt.Sprintf(`{"numRecords":10,"minValues":{"id":%d,"part":"a"},"maxValues":{"id":%d,"part":"z"},"nullCount":{"id":0,"part":0}}`, i*10, i*10+9)}
	}
	var active []*Add
	type job struct{ snap *Snapshot }
	jobs := make(chan job, 16)
	var wg sync.WaitGroup
	var errMu sync.Mutex
	var firstErr error
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Go(func() {
			for j := range jobs {
				if err := tbl.WriteCheckpoint(ctx, j.snap); err != nil {
					errMu.Lock()
					firstErr = err
					errMu.Unlock()
				}
			}
		})
	}
	var last *Snapshot
	for v := 0; v < bench10kVersions; v++ {
		ts := created + int64(v)*1000
		op := "STREAMING UPDATE"
		if v == 0 {
			op = "CREATE TABLE"
		}
		actions := []*Action{{CommitInfo: &CommitInfo{Timestamp: &ts, Operation: op, EngineInfo: "streamgen/bench"}}}
		if v == 0 {
			actions = append(actions, &Action{Protocol: &protocol}, &Action{Metadata: &meta})
		} else {
			actions = append(actions, &Action{Txn: &Txn{AppID: "bench", Version: int64(v), LastUpdated: &ts}})
			if v > bench10kActive {
				old := active[0]
				active = active[1:]
				actions = append(actions, &Action{Remove: RemoveFor(old, time.UnixMilli(deleted), true)})
			}
			a := newAdd(v)
			active = append(active, a)
			actions = append(actions, &Action{Add: a})
		}
		var buf []byte
		for _, a := range actions {
			line, err := a.MarshalLine()
			if err != nil {
				return err
			}
			buf = append(append(buf, line...), '\n')
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(CommitFileName(int64(v)))), buf, 0o644); err != nil {
			return err
		}
		if v > 0 && v%10 == 0 {
			// The snapshot at v, assembled from what was written (files
			// are named in version order, so active is sorted).
			last = &Snapshot{Version: int64(v), Protocol: protocol, Metadata: meta, Schema: schema,
				Files: slices.Clone(active), Txns: map[string]Txn{"bench": {AppID: "bench", Version: int64(v), LastUpdated: &ts}}}
			jobs <- job{last}
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	// Checkpoints were written in parallel: make sure the hint names the
	// newest one.
	return tbl.WriteCheckpoint(ctx, last)
}

// benchFastStore is a Local store whose writes skip fsync and the
// temp-file dance: only for building benchmark fixtures that nobody reads
// while they are written.
type benchFastStore struct{ *storage.Local }

func (s benchFastStore) PutIfAbsent(ctx context.Context, name string, data []byte) error {
	p := s.URL(name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if os.IsExist(err) {
			return fmt.Errorf("bench: put %s: %w", p, storage.ErrExist)
		}
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (s benchFastStore) Put(ctx context.Context, name string, data []byte) error {
	p := s.URL(name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, data, 0o644)
}
