package delta

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/storage/miniotest"
)

// The object-store benchmarks run the same work on a Local store in a
// temporary directory (sub-benchmark "local") and on a bucket of a MinIO
// server on 127.0.0.1 (sub-benchmark "minio"; skipped, after the local
// ones, when MinIO cannot be had: see miniotest). MinIO is one server on
// one drive of the same machine, so its figures are the cost of the S3
// protocol (HTTP round trips, signing, MinIO's own metadata) on top of the
// disk, without network latency.

// bosStores runs bench on a local store, then on MinIO. newStore returns a
// fresh, empty store on each call.
func bosStores(b *testing.B, bench func(b *testing.B, newStore func(b *testing.B) storage.Storage)) {
	b.Run("local", func(b *testing.B) {
		bench(b, func(b *testing.B) storage.Storage {
			st, err := storage.NewLocal(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			return st
		})
	})
	srv := miniotest.Start(b)
	b.Run("minio", func(b *testing.B) {
		bench(b, func(b *testing.B) storage.Storage { return srv.Store(b, "bench/table", nil) })
	})
}

// bosCounter counts the requests a store serves.
type bosCounter struct {
	storage.Storage
	lists, reads, writes, other atomic.Int64
}

func (s *bosCounter) List(ctx context.Context, prefix string) ([]storage.FileInfo, error) {
	s.lists.Add(1)
	return s.Storage.List(ctx, prefix)
}

func (s *bosCounter) ListFrom(ctx context.Context, dir, start string) ([]storage.FileInfo, error) {
	s.lists.Add(1)
	return s.Storage.ListFrom(ctx, dir, start)
}

func (s *bosCounter) Read(ctx context.Context, name string) ([]byte, error) {
	s.reads.Add(1)
	return s.Storage.Read(ctx, name)
}

func (s *bosCounter) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	s.reads.Add(1)
	return storage.Open(ctx, s.Storage, name)
}

func (s *bosCounter) Stat(ctx context.Context, name string) (storage.FileInfo, error) {
	s.other.Add(1)
	return s.Storage.Stat(ctx, name)
}

func (s *bosCounter) PutIfAbsent(ctx context.Context, name string, data []byte) error {
	s.writes.Add(1)
	return s.Storage.PutIfAbsent(ctx, name, data)
}

func (s *bosCounter) Put(ctx context.Context, name string, data []byte) error {
	s.writes.Add(1)
	return s.Storage.Put(ctx, name, data)
}

func (s *bosCounter) Delete(ctx context.Context, name string) error {
	s.other.Add(1)
	return s.Storage.Delete(ctx, name)
}

func (s *bosCounter) reset() {
	s.lists.Store(0)
	s.reads.Store(0)
	s.writes.Store(0)
	s.other.Store(0)
}

const bosSchema = `{"type":"struct","fields":[` +
	`{"name":"id","type":"long","nullable":true,"metadata":{}},` +
	`{"name":"part","type":"string","nullable":true,"metadata":{}}]}`

// bosAdd is the add action of the i-th commit: a log-only add (no data
// file behind it), as in BenchmarkCommitSmallAppend.
func bosAdd(i int) *Add {
	return &Add{Path: fmt.Sprintf("part-%08d.parquet", i), PartitionValues: map[string]*string{}, Size: 1024,
		ModificationTime: time.Now().UnixMilli(), DataChange: true, Stats: `{"numRecords":100}`}
}

// bosPercentile returns the p-th percentile (0-100) of sorted, in ms.
func bosPercentile(sorted []time.Duration, p int) float64 {
	return float64(sorted[(len(sorted)-1)*p/100].Microseconds()) / 1000
}

// BenchmarkObjectStoreCommit measures one writer making sequential small
// commits (one add action each): Begin (the latest snapshot: read
// _last_checkpoint, list the log from it, read the checkpoint and the
// commits after it) then Commit (put-if-absent of the next version, and
// every 10 commits a checkpoint and _last_checkpoint). It reports the
// latency of Begin+Commit (p50-ms, p99-ms), of Commit alone
// (commit-p50-ms), commits/s, and the store requests per commit.
func BenchmarkObjectStoreCommit(b *testing.B) {
	bosStores(b, func(b *testing.B, newStore func(b *testing.B) storage.Storage) {
		ctx := context.Background()
		st := &bosCounter{Storage: newStore(b)}
		tbl := Open(st)
		tx, err := tbl.Begin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		tx.SetMetadata(Metadata{SchemaString: bosSchema, PartitionColumns: []string{}})
		if _, err := tx.Commit(ctx); err != nil {
			b.Fatal(err)
		}
		lat := make([]time.Duration, 0, b.N)
		commitLat := make([]time.Duration, 0, b.N)
		st.reset()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			t0 := time.Now()
			tx, err := tbl.Begin(ctx)
			if err != nil {
				b.Fatal(err)
			}
			tx.Add(bosAdd(i))
			t1 := time.Now()
			if _, err := tx.Commit(ctx); err != nil {
				b.Fatal(err)
			}
			t2 := time.Now()
			lat = append(lat, t2.Sub(t0))
			commitLat = append(commitLat, t2.Sub(t1))
		}
		// The background checkpoints' requests count too.
		if err := tbl.WaitCheckpoints(ctx); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		slices.Sort(lat)
		slices.Sort(commitLat)
		n := float64(b.N)
		b.ReportMetric(n/b.Elapsed().Seconds(), "commits/s")
		b.ReportMetric(bosPercentile(lat, 50), "p50-ms")
		b.ReportMetric(bosPercentile(lat, 99), "p99-ms")
		b.ReportMetric(bosPercentile(commitLat, 50), "commit-p50-ms")
		b.ReportMetric(float64(st.lists.Load())/n, "lists/commit")
		b.ReportMetric(float64(st.reads.Load())/n, "reads/commit")
		b.ReportMetric(float64(st.writes.Load())/n, "writes/commit")
		if other := st.other.Load(); other != 0 {
			b.ReportMetric(float64(other)/n, "stats+deletes/commit")
		}
	})
}

// BenchmarkObjectStoreRequest measures the single requests a commit is
// made of: a put-if-absent of a 1 KiB object (a commit file), a read of
// one, and a listing from a key of a directory of 100 objects (a log).
func BenchmarkObjectStoreRequest(b *testing.B) {
	ctx := context.Background()
	small := bosRandom(b, 1<<10)
	bosStores(b, func(b *testing.B, newStore func(b *testing.B) storage.Storage) {
		b.Run("put-if-absent-1KiB", func(b *testing.B) {
			st := newStore(b)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := st.PutIfAbsent(ctx, CommitFileName(int64(i)), small); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("read-1KiB", func(b *testing.B) {
			st := newStore(b)
			if err := st.Put(ctx, "x.json", small); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := st.Read(ctx, "x.json"); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("list-from-100", func(b *testing.B) {
			st := newStore(b)
			for v := 0; v < 100; v++ {
				if err := st.Put(ctx, CommitFileName(int64(v)), small); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				infos, err := st.ListFrom(ctx, LogDir, versionPrefix(90))
				if err != nil {
					b.Fatal(err)
				}
				if len(infos) != 10 {
					b.Fatalf("listed %d files from version 90, want 10", len(infos))
				}
			}
		})
	})
}

// BenchmarkObjectStoreFiles measures writing data files (Put of 64 KiB
// and 4 MiB of random bytes, the size of small and mid-size Parquet
// files) and reading them back whole, one at a time ("seq") and 8 at a
// time ("x8"). MB/s is in the standard column; files/s is reported. Local
// writes are fsync'd (storage.Local's Put: temporary file, fsync, rename).
func BenchmarkObjectStoreFiles(b *testing.B) {
	sizes := []struct {
		name string
		n    int
	}{{"64KiB", 64 << 10}, {"4MiB", 4 << 20}}
	bosStores(b, func(b *testing.B, newStore func(b *testing.B) storage.Storage) {
		for _, size := range sizes {
			data := bosRandom(b, size.n)
			for _, workers := range []int{1, 8} {
				mode := "seq"
				if workers > 1 {
					mode = fmt.Sprintf("x%d", workers)
				}
				// Names cycle through 256 so that a long run (make
				// bench's -benchtime 2s) holds at most 1 GiB.
				name := func(i int) string { return fmt.Sprintf("part-%05d-%08d.parquet", i%7, i%256) }
				b.Run(fmt.Sprintf("write-%s-%s", size.name, mode), func(b *testing.B) {
					ctx := context.Background()
					st := newStore(b)
					b.SetBytes(int64(size.n))
					b.ResetTimer()
					bosEach(b, workers, b.N, func(i int) error { return st.Put(ctx, name(i), data) })
					b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "files/s")
				})
				b.Run(fmt.Sprintf("read-%s-%s", size.name, mode), func(b *testing.B) {
					ctx := context.Background()
					st := newStore(b)
					// Up to 32 distinct files (128 MiB of 4 MiB ones),
					// read round robin.
					files := min(b.N, 32)
					bosEach(b, 8, files, func(i int) error { return st.Put(ctx, name(i), data) })
					b.SetBytes(int64(size.n))
					b.ResetTimer()
					bosEach(b, workers, b.N, func(i int) error {
						got, err := st.Read(ctx, name(i%files))
						if err == nil && len(got) != size.n {
							err = fmt.Errorf("read %d bytes, want %d", len(got), size.n)
						}
						return err
					})
					b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "files/s")
				})
			}
		}
	})
}

// bosEach calls f(0..n-1) on workers goroutines and fails b on an error.
func bosEach(b *testing.B, workers, n int, f func(i int) error) {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := 0; w < workers; w++ {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
}

func bosRandom(b *testing.B, n int) []byte {
	data := make([]byte, n)
	if _, err := rand.Read(data); err != nil {
		b.Fatal(err)
	}
	return data
}
