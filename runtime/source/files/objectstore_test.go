package files_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"
	"gocloud.dev/blob"
	"gocloud.dev/blob/s3blob"

	"github.com/streamgen/streamgen/runtime/sink/memory"
	"github.com/streamgen/streamgen/runtime/source/files"
	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/storage/miniotest"
	"github.com/streamgen/streamgen/runtime/storage/objstore"
	"github.com/streamgen/streamgen/runtime/storage/s3store"
	"github.com/streamgen/streamgen/runtime/stream"
	"github.com/streamgen/streamgen/runtime/trigger"
)

// The tests of this file run the files source on a real S3-compatible
// store, MinIO (skipped when it cannot be had, except under CI=true).

// s3env is a bucket of a MinIO server, reached through an HTTP client
// that counts the LIST requests (ListObjectsV2).
type s3env struct {
	t      testing.TB
	bucket string
	b      *blob.Bucket
	lists  atomic.Int64
}

// countingHTTP counts the ListObjectsV2 requests it sends.
type countingHTTP struct {
	c     *http.Client
	lists *atomic.Int64
}

func (c countingHTTP) Do(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodGet && req.URL.Query().Get("list-type") == "2" {
		c.lists.Add(1)
	}
	return c.c.Do(req)
}

func newS3(t testing.TB) *s3env {
	t.Helper()
	srv := miniotest.Start(t)
	e := &s3env{t: t, bucket: srv.NewBucket(t)}
	client := miniotest.ClientFor(srv.Endpoint, srv.AccessKey, srv.SecretKey, func(o *s3.Options) {
		o.HTTPClient = countingHTTP{c: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}, lists: &e.lists}
	})
	b, err := s3blob.OpenBucket(context.Background(), client, e.bucket, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	e.b = b
	return e
}

// store returns the store on prefix of the bucket (the bucket stays open
// until the test ends), listing pageSize keys per request (0: S3's 1000).
func (e *s3env) store(prefix string, pageSize int) *objstore.ObjectStore {
	return s3store.New(e.b, prefix, "s3://"+e.bucket+"/"+prefix, &objstore.Options{ListPageSize: pageSize})
}

// putAll writes the files into st, 16 at a time.
func putAll(t testing.TB, st storage.Storage, fs map[string]string) {
	t.Helper()
	ctx := context.Background()
	sem := make(chan struct{}, 32)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for name, content := range fs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := st.Put(ctx, name, []byte(content)); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if first != nil {
		t.Fatal(first)
	}
}

// contents returns every file of st with its content.
func contents(t testing.TB, st storage.Storage) map[string]string {
	t.Helper()
	ctx := context.Background()
	infos, err := st.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range infos {
		b, err := st.Read(ctx, f.Name)
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name] = string(b)
	}
	return out
}

// newSource opens the source on st with a fresh view of e's checkpoint
// (a restart).
func newSource(t testing.TB, e *env, st storage.Storage, opts ...files.Opt) *files.Source[row] {
	t.Helper()
	opts = append([]files.Opt{files.Logger(discard), files.OnMalformed(files.FailMalformed)}, opts...)
	s, err := files.New(context.Background(), st, e.checkpoint(), 0, newDecoder, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// readingFiles returns n files named f<i>.jsonl (i from n0) of 1 to 3
// rows each, and their rows.
func readingFiles(n0, n int) (map[string]string, []row) {
	fs := map[string]string{}
	var rows []row
	for i := n0; i < n0+n; i++ {
		var sb strings.Builder
		for j := range i%3 + 1 {
			r := row{Device: fmt.Sprintf("d%05d", i), Status: fmt.Sprintf("s%d", j)}
			rows = append(rows, r)
			sb.WriteString(line(r.Device, r.Status))
		}
		fs[fmt.Sprintf("f%05d.jsonl", i)] = sb.String()
	}
	return fs, rows
}

// A prefix of more files than one S3 list page (1000 keys) is read by
// available-now queries with maxFilesPerTrigger, killed after a batch and
// restarted with a new Source over the same checkpoint, then run again
// after more files arrived: every file is read once and the sink holds
// exactly the files' rows. Each run lists the prefix once, in pages of
// 1000 keys.
func TestObjectStoreManyFilesQuery(t *testing.T) {
	const n, more, per = 2300, 150, 400
	s3e := newS3(t)
	st := s3e.store("in", 0)
	fs, want := readingFiles(0, n)
	// Never read: hidden, in flight, or below the top of the root.
	fs["_tmp/f99999.jsonl"] = line("x", "x")
	fs[".f99998.jsonl"] = line("x", "x")
	fs["f99997.jsonl.tmp"] = line("x", "x")
	fs["sub/f99996.jsonl"] = line("x", "x")
	t0 := time.Now()
	putAll(t, st, fs)
	t.Logf("uploaded %d files in %s", len(fs), time.Since(t0))

	// The store pages through a listing of the prefix.
	s3e.lists.Store(0)
	infos, err := st.List(context.Background(), "")
	if err != nil || len(infos) != len(fs) {
		t.Fatalf("List: %d files, %v; want %d", len(infos), err, len(fs))
	}
	if got := s3e.lists.Load(); got != 3 {
		t.Errorf("List of %d keys took %d LIST requests, want 3", len(fs), got)
	}
	for _, tc := range []struct {
		start      string
		n, pages   int
		first, end string
	}{
		// The top of the root: the n files, .f99998.jsonl and
		// f99997.jsonl.tmp, and the "directories" _tmp/ and sub/.
		{"", n + 2, 3, ".f99998.jsonl", "f99997.jsonl.tmp"},
		// From the start key on the service (StartAfter).
		{"f01000", n - 1000 + 1, 2, "f01000.jsonl", "f99997.jsonl.tmp"},
	} {
		s3e.lists.Store(0)
		infos, err := st.ListFrom(context.Background(), "", tc.start)
		if err != nil {
			t.Fatal(err)
		}
		if len(infos) != tc.n || infos[0].Name != tc.first || infos[len(infos)-1].Name != tc.end {
			t.Errorf("ListFrom from %q: %d files, %s to %s; want %d, %s to %s", tc.start, len(infos),
				infos[0].Name, infos[len(infos)-1].Name, tc.n, tc.first, tc.end)
		}
		if got := s3e.lists.Load(); got != int64(tc.pages) {
			t.Errorf("ListFrom from %q took %d LIST requests, want %d", tc.start, got, tc.pages)
		}
	}

	e := newEnv(t) // the checkpoint
	sink := memory.New[row]()
	read := map[string]int{}
	run := func(kill int64) []int64 {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		cp := e.checkpoint()
		src, err := files.New(ctx, st, cp, 0, newDecoder, files.Logger(discard),
			files.MaxFilesPerTrigger(per), files.OnMalformed(files.FailMalformed))
		if err != nil {
			t.Fatal(err)
		}
		var seen []int64
		runner := func(ctx context.Context, b *stream.Batch) (stream.BatchResult, error) {
			seen = append(seen, b.ID)
			es, err := src.Files(ctx, b.Start[0], b.End[0])
			if err != nil {
				return stream.BatchResult{}, err
			}
			var rows []row
			stats, err := src.Read(ctx, b.Start[0], b.End[0], func(r *row, _ files.Origin) error {
				rows = append(rows, *r)
				return nil
			})
			if err != nil {
				return stream.BatchResult{}, err
			}
			if err := sink.AddBatch(ctx, b.ID, rows); err != nil {
				return stream.BatchResult{}, err
			}
			for _, f := range es {
				read[f.Path]++
			}
			if b.ID == kill {
				cancel() // killed after the sink write, before the commit
				return stream.BatchResult{}, ctx.Err()
			}
			return stream.BatchResult{NumInputRows: stats.Rows, NumOutputRows: int64(len(rows))}, nil
		}
		q, err := stream.NewQuery(cp, []stream.Source{src}, runner, stream.Trigger(trigger.AvailableNow()), stream.Logger(discard))
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		wctx, wcancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer wcancel()
		if err := q.AwaitTermination(wctx); err != nil {
			t.Fatal(err)
		}
		return seen
	}

	s3e.lists.Store(0)
	t0 = time.Now()
	if diff := cmp.Diff([]int64{0, 1, 2}, run(2)); diff != "" {
		t.Errorf("killed run: batches (-want +got):\n%s", diff)
	}
	// Batch 2 is re-run after the restart: its files were read twice.
	if diff := cmp.Diff([]int64{2, 3, 4, 5}, run(-1)); diff != "" {
		t.Errorf("restarted run: batches (-want +got):\n%s", diff)
	}
	if got := s3e.lists.Load(); got != 2*3 {
		t.Errorf("two available-now runs over %d keys sent %d LIST requests, want 2×3", len(fs), got)
	}
	add, addRows := readingFiles(n, more)
	putAll(t, st, add)
	want = append(want, addRows...)
	if diff := cmp.Diff([]int64{6}, run(-1)); diff != "" {
		t.Errorf("run after new files: batches (-want +got):\n%s", diff)
	}
	t.Logf("3 runs in %s", time.Since(t0))

	// Every file was read once, but the killed batch's twice; the sink
	// (idempotent per batch ID) holds every row once.
	s := newSource(t, e, st)
	all, err := s.Files(context.Background(), nil, off(6))
	if err != nil {
		t.Fatal(err)
	}
	logged := map[string]int{}
	for _, f := range all {
		logged[f.Path]++
	}
	for name, c := range logged {
		if c != 1 {
			t.Errorf("%s is in %d log batches", name, c)
		}
	}
	if len(logged) != n+more || len(read) != n+more {
		t.Errorf("%d files logged, %d read; want %d", len(logged), len(read), n+more)
	}
	for name := range read {
		if !strings.HasPrefix(name, "f") || strings.HasSuffix(name, ".tmp") || strings.HasPrefix(name, "f9999") {
			t.Errorf("read %s", name)
		}
	}
	if diff := diffRows(want, sink.Rows()); diff != "" {
		t.Errorf("sink rows: %s", diff)
	}
}

// diffRows compares two multisets of rows (cmp.Diff of thousands of rows
// is slow), describing at most ten differences.
func diffRows(want, got []row) string {
	count := map[row]int{}
	for _, r := range want {
		count[r]++
	}
	for _, r := range got {
		count[r]--
	}
	var diffs []string
	for r, c := range count {
		switch {
		case c > 0:
			diffs = append(diffs, fmt.Sprintf("%v missing %d times", r, c))
		case c < 0:
			diffs = append(diffs, fmt.Sprintf("%v extra %d times", r, -c))
		}
	}
	if len(diffs) == 0 {
		return ""
	}
	slices.Sort(diffs)
	return fmt.Sprintf("%d rows differ (%d want, %d got): %s", len(diffs), len(want), len(got), strings.Join(diffs[:min(10, len(diffs))], "; "))
}

// recordingStore records the listings of a store.
type recordingStore struct {
	storage.Storage
	mu    sync.Mutex
	calls []string
}

func (r *recordingStore) List(ctx context.Context, prefix string) ([]storage.FileInfo, error) {
	r.mu.Lock()
	r.calls = append(r.calls, "List("+prefix+")")
	r.mu.Unlock()
	return r.Storage.List(ctx, prefix)
}

func (r *recordingStore) ListFrom(ctx context.Context, dir, start string) ([]storage.FileInfo, error) {
	r.mu.Lock()
	r.calls = append(r.calls, "ListFrom("+dir+", "+start+")")
	r.mu.Unlock()
	return r.Storage.ListFrom(ctx, dir, start)
}

func (r *recordingStore) takeCalls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.calls
	r.calls = nil
	return c
}

// readRows reads the batch (start, end] and returns its rows.
func readRows(t *testing.T, s *files.Source[row], start, end []byte) []row {
	t.Helper()
	var rows []row
	if _, err := s.Read(context.Background(), start, end, func(r *row, _ files.Origin) error {
		rows = append(rows, *r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return rows
}

// Globs with directories on S3: the listing starts at the glob's literal
// prefix ("date=" for "date=*/*.jsonl"), so the keys beside it are not
// paged through, and files added between triggers are picked up.
func TestObjectStoreGlob(t *testing.T) {
	s3e := newS3(t)
	noise := map[string]string{}
	for i := range 40 {
		noise[fmt.Sprintf("other/%02d.jsonl", i)] = line("x", "x") // beside the prefix
	}
	for _, tc := range []struct {
		glob  string
		calls []string
		files map[string]bool // the files, and whether the glob matches them
		later map[string]bool // written after the first trigger
	}{
		{
			glob:  "date=*/*.jsonl",
			calls: []string{"List(date=)"},
			files: map[string]bool{
				"date=2026-11-01/a.jsonl": true, "date=2026-11-01/b.jsonl": true, "date=2026-11-02/c.jsonl": true,
				"date=2026-11-01/sub/d.jsonl": false, "date=2026-11-01/e.json": false, "date=2026-11-01/_f.jsonl": false,
				"top.jsonl": false, "_spark_metadata/0.jsonl": false, "datex/g.jsonl": false,
			},
			later: map[string]bool{"date=2026-11-03/h.jsonl": true, "date=2026-11-01/i.jsonl": true, "date=2026-11-04/x/j.jsonl": false},
		},
		{
			glob:  "logs/part-*.jsonl",
			calls: []string{"ListFrom(logs, part-)"},
			files: map[string]bool{
				"logs/part-0.jsonl": true, "logs/part-1.jsonl": true,
				"logs/aaa.jsonl": false, "logs/zzz.jsonl": false, "logs/part-2.json": false, "logs/part-3/x.jsonl": false,
			},
			later: map[string]bool{"logs/part-4.jsonl": true, "logs/a.jsonl": false},
		},
		{
			glob:  "**/*.jsonl",
			calls: []string{"List()"},
			files: map[string]bool{"a.jsonl": true, "x/b.jsonl": true, "x/y/c.jsonl": true, "x/_y/d.jsonl": false, "x/e.json": false},
			later: map[string]bool{"x/y/z/f.jsonl": true},
		},
	} {
		t.Run(tc.glob, func(t *testing.T) {
			ctx := context.Background()
			prefix := "in-" + strings.NewReplacer("*", "x", "/", "-").Replace(tc.glob)
			raw := s3e.store(prefix, 10) // 10 keys per LIST request
			rec := &recordingStore{Storage: raw}
			contentsOf := func(fs map[string]bool) (map[string]string, []row) {
				out := map[string]string{}
				var rows []row
				for name, match := range fs {
					r := row{Device: name, Status: "1"}
					out[name] = line(r.Device, r.Status)
					if match {
						rows = append(rows, r)
					}
				}
				return out, rows
			}
			fs, want := contentsOf(tc.files)
			if tc.glob != "**/*.jsonl" {
				for k, v := range noise {
					fs[k] = v
				}
			}
			putAll(t, raw, fs)
			e := newEnv(t)
			s := newSource(t, e, rec, files.Glob(tc.glob))
			s3e.lists.Store(0)
			end0, err := s.LatestOffset(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.calls, rec.takeCalls()); diff != "" {
				t.Errorf("listings (-want +got):\n%s", diff)
			}
			if tc.glob != "**/*.jsonl" {
				// The 40 keys under other/ would take 4 more requests.
				if got := s3e.lists.Load(); got > 2 {
					t.Errorf("a trigger sent %d LIST requests, want at most 2 (the prefix holds fewer than 20 keys)", got)
				}
			}
			if diff := cmp.Diff(sorted(want), sorted(readRows(t, s, nil, end0))); diff != "" {
				t.Errorf("first trigger (-want +got):\n%s", diff)
			}
			// Between triggers: new files are picked up by the next one.
			later, wantLater := contentsOf(tc.later)
			putAll(t, raw, later)
			end1, err := s.LatestOffset(ctx, end0)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(sorted(wantLater), sorted(readRows(t, s, end0, end1))); diff != "" {
				t.Errorf("second trigger (-want +got):\n%s", diff)
			}
			if end2, err := s.LatestOffset(ctx, end1); err != nil || string(end2) != string(end1) {
				t.Errorf("third trigger: %s, %v; want no new batch", end2, err)
			}
		})
	}
}

// spyStore counts the whole reads and the opens of an object store, and
// the bytes the source pulled from the opened objects.
type spyStore struct {
	*objstore.ObjectStore
	reads, opens, pulled atomic.Int64
}

func (s *spyStore) Read(ctx context.Context, name string) ([]byte, error) {
	s.reads.Add(1)
	return s.ObjectStore.Read(ctx, name)
}

func (s *spyStore) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	s.opens.Add(1)
	r, err := s.ObjectStore.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	return &pullCounter{ReadCloser: r, n: &s.pulled}, nil
}

type pullCounter struct {
	io.ReadCloser
	n *atomic.Int64
}

func (p *pullCounter) Read(b []byte) (int, error) {
	n, err := p.ReadCloser.Read(b)
	p.n.Add(int64(n))
	return n, err
}

// Read streams an object store's files through storage.Opener (one GET
// each) instead of reading them whole: the first row of an 8 MiB file is
// handed over when a few hundred KiB of it were pulled.
func TestObjectStoreReadStreams(t *testing.T) {
	ctx := context.Background()
	s3e := newS3(t)
	spy := &spyStore{ObjectStore: s3e.store("in", 0)}
	var sb strings.Builder
	var want int64
	for sb.Len() < 8<<20 {
		sb.WriteString(line(fmt.Sprintf("dev%07d", want), "ok"))
		want++
	}
	small := line("s", "1")
	putAll(t, spy, map[string]string{"big.jsonl": sb.String(), "small.jsonl": small})
	s := newSource(t, newEnv(t), spy)
	end, err := s.LatestOffset(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var rows int64
	var atFirst int64 = -1
	st, err := s.Read(ctx, nil, end, func(r *row, o files.Origin) error {
		if o.File == "big.jsonl" && atFirst < 0 {
			atFirst = spy.pulled.Load()
		}
		rows++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if rows != want+1 || st.Files != 2 || st.Bytes != int64(sb.Len()+len(small)) {
		t.Errorf("read %d rows, %+v; want %d rows of 2 files, %d bytes", rows, st, want+1, sb.Len()+len(small))
	}
	if got := spy.reads.Load(); got != 0 {
		t.Errorf("Read called %d times: object store files are read whole", got)
	}
	if got := spy.opens.Load(); got != 2 {
		t.Errorf("Open called %d times, want 2", got)
	}
	if atFirst < 0 || atFirst > 1<<20 {
		t.Errorf("%d bytes pulled before the first row of an %d-byte file: not streamed", atFirst, sb.Len())
	}
}

// failDelete is a source store whose deletes fail: a crash between
// archiving a file and deleting it.
type failDelete struct{ storage.Storage }

func (failDelete) Delete(context.Context, string) error { return errors.New("crash") }

// cleanSource across stores: archive from S3 to S3, S3 to local and local
// to S3, and delete on S3. After a crash between the archive copy and the
// delete, the restarted query's Commit of the same batch finishes the
// job without losing a file.
func TestObjectStoreCleanSource(t *testing.T) {
	s3e := newS3(t)
	input := map[string]string{
		"a.jsonl": line("a", "1"), "sub/b.jsonl": line("b", "1") + line("b", "2"), "c.jsonl": line("c", "1"),
		"d.jsonl": line("d", "1"),
	}
	for _, tc := range []struct {
		name     string
		src, arc func(t *testing.T, e *env) storage.Storage
	}{
		{"s3-to-s3",
			func(t *testing.T, e *env) storage.Storage { return s3e.store("s3s3/in", 0) },
			func(t *testing.T, e *env) storage.Storage { return s3e.store("s3s3/archive", 0) }},
		{"s3-to-local",
			func(t *testing.T, e *env) storage.Storage { return s3e.store("s3local/in", 0) },
			func(t *testing.T, e *env) storage.Storage { return localStore(t, t.TempDir()) }},
		{"local-to-s3",
			func(t *testing.T, e *env) storage.Storage { return e.store },
			func(t *testing.T, e *env) storage.Storage { return s3e.store("locals3/archive", 0) }},
		{"s3-delete",
			func(t *testing.T, e *env) storage.Storage { return s3e.store("s3delete/in", 0) },
			nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t)
			src := tc.src(t, e)
			putAll(t, src, input)
			opts := []files.Opt{files.Glob("**/*.jsonl"), files.MaxFilesPerTrigger(2), files.CleanSource(files.CleanDelete)}
			var arc storage.Storage
			if tc.arc != nil {
				arc = tc.arc(t, e)
				opts = append(opts[:2], files.CleanSource(files.CleanArchive), files.SourceArchiveDir(arc))
			}
			s := newSource(t, e, src, opts...)
			end0, err := s.LatestOffset(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			first := names(t, s, nil, end0)
			rows := readRows(t, s, nil, end0)
			if err := s.Commit(ctx, end0); err != nil {
				t.Fatal(err)
			}
			left := maps(input, func(name string) bool { return !slices.Contains(first, name) })
			if diff := cmp.Diff(left, contents(t, src)); diff != "" {
				t.Errorf("source after the first batch (-want +got):\n%s", diff)
			}
			if arc != nil {
				if diff := cmp.Diff(maps(input, func(name string) bool { return slices.Contains(first, name) }), contents(t, arc)); diff != "" {
					t.Errorf("archive after the first batch (-want +got):\n%s", diff)
				}
			}

			// The second batch's files are archived (or not yet deleted)
			// when the process crashes: their deletes fail.
			s = newSource(t, e, failDelete{src}, opts...)
			end1, err := s.LatestOffset(ctx, end0)
			if err != nil {
				t.Fatal(err)
			}
			rows = append(rows, readRows(t, s, end0, end1)...)
			if err := s.Commit(ctx, end1); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(left, contents(t, src)); diff != "" {
				t.Errorf("source after the crash (-want +got):\n%s", diff)
			}
			// The restarted query commits its last batch again.
			s = newSource(t, e, src, opts...)
			if err := s.Commit(ctx, end1); err != nil {
				t.Fatal(err)
			}
			if got := contents(t, src); len(got) != 0 {
				t.Errorf("source holds %v after cleaning every batch", got)
			}
			if arc != nil {
				if diff := cmp.Diff(input, contents(t, arc)); diff != "" {
					t.Errorf("archive (-want +got):\n%s", diff)
				}
			}
			// No file is read again, and none was lost.
			if end2, err := s.LatestOffset(ctx, end1); err != nil || string(end2) != string(end1) {
				t.Errorf("after cleaning: %s, %v; want no new batch", end2, err)
			}
			var want []row
			for _, c := range input {
				for _, l := range strings.SplitAfter(c, "\n") {
					if l != "" {
						want = append(want, rowOf(t, l))
					}
				}
			}
			if diff := cmp.Diff(sorted(want), sorted(rows)); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
		})
	}
	// An archive inside the source prefix is refused, unless hidden.
	e := newEnv(t)
	src := s3e.store("refuse/in", 0)
	for prefix, want := range map[string]string{
		"refuse/in/archive": "is inside the source directory", "refuse": "contains the source directory",
		"refuse/in/_archive": "", "refuse/in2": "",
	} {
		_, err := files.New(context.Background(), src, e.checkpoint(), 0, newDecoder, files.OnMalformed(files.DropMalformed),
			files.CleanSource(files.CleanArchive), files.SourceArchiveDir(s3e.store(prefix, 0)))
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("archive %s: error %v, want %q", prefix, err, want)
		}
	}
}

func localStore(t *testing.T, dir string) *storage.Local {
	t.Helper()
	l, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// maps returns the entries of m whose keys keep accepts.
func maps(m map[string]string, keep func(string) bool) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if keep(k) {
			out[k] = v
		}
	}
	return out
}

// rowOf decodes one line.
func rowOf(t *testing.T, l string) row {
	t.Helper()
	var r row
	if err := newDecoder().Decode([]byte(strings.TrimSuffix(l, "\n")), &r); err != nil {
		t.Fatal(err)
	}
	return r
}
