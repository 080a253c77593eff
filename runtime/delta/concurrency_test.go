package delta

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/storage/miniotest"
	// s3store registers s3:// with storage.OpenURL for the writer
	// processes (miniotest imports it too).
	"github.com/streamgen/streamgen/runtime/storage/s3store"
)

// The test binary doubles as a writer process for the multi-process and
// crash tests: with STREAMGEN_DELTA_WRITER=1 in its environment TestMain
// appends to the table at STREAMGEN_DELTA_TABLE (a location as
// storage.OpenURL takes: a directory, or an s3:// URL with the AWS
// variables of miniotest's Server.Env) and exits instead of running
// tests.
const (
	envWriter   = "STREAMGEN_DELTA_WRITER"
	envTable    = "STREAMGEN_DELTA_TABLE"
	envCommits  = "STREAMGEN_DELTA_COMMITS"
	envWriterID = "STREAMGEN_DELTA_WRITER_ID"
	// envMode is "append" (K blind appends) or "txn" (appends numbered
	// with SetTxn, resuming after the last one committed: what a
	// restarted streaming writer does).
	envMode = "STREAMGEN_DELTA_MODE"
	// envSeed overrides the seed of the randomized tests.
	envSeed = "STREAMGEN_TEST_SEED"
)

func TestMain(m *testing.M) {
	if os.Getenv(envWriter) == "1" {
		if err := runWriterProcess(); err != nil {
			fmt.Fprintln(os.Stderr, "writer:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := m.Run()
	miniotest.StopShared()
	os.Exit(code)
}

func runWriterProcess() error {
	ctx := context.Background()
	st, err := storage.OpenURL(ctx, os.Getenv(envTable))
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(os.Getenv(envCommits))
	if err != nil {
		return err
	}
	tbl := Open(st)
	id := os.Getenv(envWriterID)
	switch os.Getenv(envMode) {
	case "append":
		for i := 0; i < n; i++ {
			if err := concAppend(ctx, tbl, id, i, false); err != nil {
				return err
			}
		}
		return nil
	case "txn":
		snap, err := tbl.Snapshot(ctx)
		if err != nil {
			return err
		}
		start := 0
		if x, ok := snap.Txns[id]; ok {
			start = int(x.Version) + 1
		}
		for i := start; i < n; i++ {
			if err := concAppend(ctx, tbl, id, i, true); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("unknown %s %q", envMode, os.Getenv(envMode))
}

// concAppend writes one data file of two rows for commit seq of writer
// (partition writer, payloads "<writer>-<seq>-0/1") and commits it as a
// blind append; with txn the commit carries txn (writer, seq).
func concAppend(ctx context.Context, tbl *Table, writer string, seq int, txn bool) error {
	rows := []Row{
		{int64(seq), writer, fmt.Sprintf("%s-%d-0", writer, seq)},
		{int64(seq), writer, fmt.Sprintf("%s-%d-1", writer, seq)},
	}
	adds, err := WriteRows(ctx, tbl.Storage(), mtSchema, []string{"part"}, rows, WriterOptions{Compression: "none"})
	if err != nil {
		return err
	}
	tx, err := tbl.Begin(ctx)
	if err != nil {
		return err
	}
	if txn {
		tx.SetTxn(writer, int64(seq))
	}
	tx.SetOperation("STREAMING UPDATE", map[string]any{"outputMode": "Append", "queryId": writer, "epochId": strconv.Itoa(seq)})
	tx.Add(adds...)
	_, err = tx.Commit(ctx)
	return err
}

// concPayloads lists the payloads concAppend writes for seqs [0, n).
func concPayloads(writer string, n int) []string {
	var out []string
	for i := 0; i < n; i++ {
		out = append(out, fmt.Sprintf("%s-%d-0", writer, i), fmt.Sprintf("%s-%d-1", writer, i))
	}
	return out
}

// concSeed returns the seed of a randomized test and logs it.
func concSeed(t *testing.T) uint64 {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(envSeed); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		seed = v
	}
	t.Logf("seed %d (rerun with %s=%d)", seed, envSeed, seed)
	return seed
}

// concVerify checks the whole table: the JSON commits are exactly versions
// 0..wantVersion (none missing, none extra) and each parses; every file
// was added by exactly one commit and never removed; the latest snapshot
// (read through the newest checkpoint) holds exactly those files, each
// present on storage with the exact size; and the rows' payloads are
// exactly want (when want is non-nil).
func concVerify(t *testing.T, tbl *Table, wantVersion int64, want []string) *Snapshot {
	t.Helper()
	ctx := context.Background()
	vs := txCommitVersions(t, tbl)
	for i, v := range vs {
		if v != int64(i) {
			t.Fatalf("commit versions are not contiguous from 0: %v", vs)
		}
	}
	if wantVersion >= 0 && int64(len(vs)) != wantVersion+1 {
		t.Fatalf("table has versions 0..%d, want 0..%d", len(vs)-1, wantVersion)
	}
	addedBy := map[string]int64{}
	for _, v := range vs {
		actions, err := tbl.ReadCommit(ctx, v)
		if err != nil {
			t.Fatalf("commit %d: %v", v, err)
		}
		if len(actions) == 0 || actions[0].CommitInfo == nil {
			t.Fatalf("commit %d does not start with commitInfo", v)
		}
		for _, a := range actions {
			if a.Remove != nil {
				t.Errorf("commit %d removes %s", v, a.Remove.Path)
			}
			if a.Add == nil {
				continue
			}
			if prev, dup := addedBy[a.Add.Path]; dup {
				t.Errorf("file %s added by commits %d and %d", a.Add.Path, prev, v)
			}
			addedBy[a.Add.Path] = v
		}
	}
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Version != vs[len(vs)-1] {
		t.Errorf("snapshot version %d, log ends at %d", snap.Version, vs[len(vs)-1])
	}
	if len(snap.Files) != len(addedBy) {
		t.Errorf("snapshot has %d files, the commits added %d", len(snap.Files), len(addedBy))
	}
	for _, f := range snap.Files {
		if _, ok := addedBy[f.Path]; !ok {
			t.Errorf("snapshot file %s was never added", f.Path)
		}
		name, _ := f.DecodedPath()
		fi, err := tbl.Storage().Stat(ctx, name)
		if err != nil {
			t.Errorf("file %s: %v", f.Path, err)
		} else if fi.Size != f.Size {
			t.Errorf("file %s is %d bytes, the log says %d", f.Path, fi.Size, f.Size)
		}
	}
	if want != nil {
		rows, err := snap.Rows(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rows {
			got = append(got, r[2].(string))
		}
		sort.Strings(got)
		want = slices.Clone(want)
		sort.Strings(want)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("row payloads (-want +got):\n%s", diff)
		}
	}
	return snap
}

// TestConcurrentGoroutineAppends: 4 goroutines append 50 commits each to
// one table; every commit lands exactly once at contiguous versions.
func TestConcurrentGoroutineAppends(t *testing.T) {
	ctx := context.Background()
	tbl, _ := mtCreate(t)
	const writers, perWriter = 4, 50
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for w := 0; w < writers; w++ {
		wg.Go(func() {
			for i := 0; i < perWriter; i++ {
				if err := concAppend(ctx, tbl, fmt.Sprintf("g%d", w), i, false); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d commits by %d goroutines in %v", writers*perWriter, writers, time.Since(start))
	if err := tbl.WaitCheckpoints(ctx); err != nil {
		t.Fatal(err)
	}
	var want []string
	for w := 0; w < writers; w++ {
		want = append(want, concPayloads(fmt.Sprintf("g%d", w), perWriter)...)
	}
	snap := concVerify(t, tbl, writers*perWriter, want)
	if snap.Segment.Checkpoint == nil || snap.Segment.Checkpoint.Version != 200 {
		t.Errorf("latest snapshot was not read from the version-200 checkpoint: %+v", snap.Segment)
	}
}

// concTarget is a table of the multi-process tests: the parent's handle
// on it, its location for storage.OpenURL in the writer processes, and the
// environment they need besides (credentials and endpoint of an object
// store).
type concTarget struct {
	tbl      *Table
	location string
	env      []string
}

// concLocal creates a table (mtSchema, partitioned by part) in a
// temporary directory.
func concLocal(t *testing.T) concTarget {
	tbl, dir := mtCreate(t)
	return concTarget{tbl: tbl, location: dir}
}

// concS3 creates the same table as concLocal under tables/<name> of a new
// bucket of the shared MinIO server; it skips the test when MinIO cannot
// be had (fails under CI=true).
func concS3(t *testing.T, name string) concTarget {
	t.Helper()
	ctx := context.Background()
	srv := miniotest.Shared(t)
	bucket := srv.NewBucket(t)
	b, err := srv.OpenBucket(ctx, bucket)
	if err != nil {
		t.Fatal(err)
	}
	prefix := "tables/" + name
	st := s3store.New(b, prefix, "s3://"+bucket+"/"+prefix, nil)
	t.Cleanup(func() { st.Close() })
	tbl := Open(st)
	tx, err := tbl.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx.SetMetadata(Metadata{SchemaString: mtSchema.SchemaString(), PartitionColumns: []string{"part"}})
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	return concTarget{tbl: tbl, location: srv.URL(bucket, prefix), env: srv.Env()}
}

// concStartWriter starts the test binary as a writer process of target's
// table.
func concStartWriter(t *testing.T, target concTarget, id, mode string, commits int) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), target.env...)
	cmd.Env = append(cmd.Env, envWriter+"=1", envTable+"="+target.location, envWriterID+"="+id,
		envMode+"="+mode, envCommits+"="+strconv.Itoa(commits))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// TestConcurrentProcessAppends: 2 writer processes and 2 goroutines
// append to one table at the same time, 50 commits each on local storage
// and 15 each on MinIO (through a checkpoint every 10 versions). Every
// commit lands exactly once, at contiguous versions, with all its rows:
// exactly one writer wins each version and none is lost.
func TestConcurrentProcessAppends(t *testing.T) {
	t.Run("local", func(t *testing.T) { concProcessAppends(t, concLocal(t), 50) })
	t.Run("s3", func(t *testing.T) { concProcessAppends(t, concS3(t, "procs"), 15) })
}

// concProcessAppends runs TestConcurrentProcessAppends on target with
// perWriter commits per writer, and checks the whole table with
// concVerify.
func concProcessAppends(t *testing.T, target concTarget, perWriter int) {
	ctx := context.Background()
	start := time.Now()
	var procs []*exec.Cmd
	for p := 0; p < 2; p++ {
		procs = append(procs, concStartWriter(t, target, fmt.Sprintf("p%d", p), "append", perWriter))
	}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for g := 0; g < 2; g++ {
		wg.Go(func() {
			for i := 0; i < perWriter; i++ {
				if err := concAppend(ctx, target.tbl, fmt.Sprintf("g%d", g), i, false); err != nil {
					errs[g] = err
					return
				}
			}
		})
	}
	for p, cmd := range procs {
		if err := cmd.Wait(); err != nil {
			errs[2+p] = fmt.Errorf("writer process p%d: %w", p, err)
		}
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d commits by 2 processes and 2 goroutines in %v", 4*perWriter, time.Since(start))
	var want []string
	for _, w := range []string{"p0", "p1", "g0", "g1"} {
		want = append(want, concPayloads(w, perWriter)...)
	}
	concVerify(t, target.tbl, int64(4*perWriter), want)
}

// TestCrashWriterKilled: a writer process appending numbered commits (50
// on local storage, 20 on MinIO) is killed with SIGKILL at random moments
// while it commits, and restarted; it resumes after its last committed
// number. After every kill the table reads cleanly (whole commits only,
// every file present), and at the end it holds each commit exactly once.
func TestCrashWriterKilled(t *testing.T) {
	t.Run("local", func(t *testing.T) { concCrashWriter(t, concLocal(t), 50, 8, 40*time.Millisecond) })
	t.Run("s3", func(t *testing.T) { concCrashWriter(t, concS3(t, "crash"), 20, 5, 150*time.Millisecond) })
}

// concCrashWriter runs TestCrashWriterKilled on target: commits numbered
// commits, at most maxKills kills. Each kill comes a random time in [0,
// maxDelay) after the writer's first new commit of its round (so that it
// lands among the writes of a commit, not while the process starts); a
// writer that exits before that is not killed. After every round the
// table is checked with concVerify and its txn must match its version;
// at the end it must hold exactly the payloads of commits 0..commits-1.
func concCrashWriter(t *testing.T, target concTarget, commits, maxKills int, maxDelay time.Duration) {
	ctx := context.Background()
	tbl := target.tbl
	rng := rand.New(rand.NewPCG(concSeed(t), 0))
	start := time.Now()
	kills := 0
	var n int64 // the table's version after the last round
	for round := 0; ; round++ {
		cmd := concStartWriter(t, target, "crash", "txn", commits)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var err error
		finished := false
		if kills < maxKills {
			// Wait for the round's first commit (or the writer's exit).
		wait:
			for {
				select {
				case err = <-done:
					finished = true
					break wait
				default:
				}
				v, lerr := tbl.LatestVersion(ctx)
				if lerr != nil {
					t.Fatalf("round %d: %v", round, lerr)
				}
				if v > n {
					break
				}
				time.Sleep(2 * time.Millisecond)
			}
			if !finished {
				delay := time.Duration(rng.Int64N(int64(maxDelay)))
				select {
				case err = <-done:
					finished = true
				case <-time.After(delay):
					_ = cmd.Process.Signal(syscall.SIGKILL)
					err = <-done
					var ee *exec.ExitError
					if errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signaled() {
						kills++
						err = nil
					} else {
						finished = true // exited on its own just before the kill
					}
				}
			}
		} else {
			err = <-done
			finished = true
		}
		if err != nil {
			t.Fatalf("round %d: writer failed: %v", round, err)
		}
		snap := concVerify(t, tbl, -1, nil)
		// Exactly-once: the commits are numbered 0..n-1 with no gaps.
		n = snap.Version
		if x, ok := snap.Txns["crash"]; (ok && x.Version != n-1) || (!ok && n != 0) {
			t.Fatalf("round %d: txn crash at %+v with table version %d", round, x, n)
		}
		if t.Failed() {
			t.Fatalf("round %d: table inconsistent after kill", round)
		}
		t.Logf("round %d: killed=%v, table at version %d", round, !finished, n)
		if finished {
			break
		}
	}
	t.Logf("%d kills, %v", kills, time.Since(start))
	snap := concVerify(t, tbl, int64(commits), concPayloads("crash", commits))
	if x := snap.Txns["crash"]; x.Version != int64(commits-1) {
		t.Errorf("txn crash = %+v, want version %d", x, commits-1)
	}
}
