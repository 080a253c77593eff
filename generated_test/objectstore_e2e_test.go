package generated_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gocloud.dev/blob"

	"github.com/streamgen/streamgen/generated_test/internal/aggmodel"
	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/storage/miniotest"
	"github.com/streamgen/streamgen/runtime/storage/s3store"
)

// buildWithS3 builds the generated main of a golden case,
// ./<dir>/want/cmd/<name>, as a static binary (as buildAggBinary does)
// with runtime/storage/s3store linked. The golden specs name local paths,
// so their mains link no object-store driver (gen links only those the
// spec's locations name). Rather than a copy of the main, the build adds
// one file to the golden main package through go build -overlay,
//
//	package main
//
//	import _ "github.com/streamgen/streamgen/runtime/storage/s3store"
//
// so the binary is the golden main itself plus the driver, as a main
// generated from a spec with s3:// paths would be, and nothing is written
// into the repository.
func buildWithS3(t *testing.T, dir, name string) string {
	t.Helper()
	tmp := t.TempDir()
	pkgDir, err := filepath.Abs(filepath.Join(dir, "want", "cmd", name))
	if err != nil {
		t.Fatal(err)
	}
	driver := filepath.Join(tmp, "s3store.go")
	const src = "package main\n\nimport _ \"github.com/streamgen/streamgen/runtime/storage/s3store\" // s3:// locations\n"
	if err := os.WriteFile(driver, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	overlay, _ := json.Marshal(map[string]map[string]string{
		"Replace": {filepath.Join(pkgDir, "zz_s3store_overlay.go"): driver},
	})
	overlayPath := filepath.Join(tmp, "overlay.json")
	if err := os.WriteFile(overlayPath, overlay, 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(tmp, name)
	cmd := exec.Command("go", "build", "-overlay", overlayPath, "-o", bin, "./"+dir+"/want/cmd/"+name)
	cmd.Env = append(goEnvWithoutFlags(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// e2eSeed returns the seed of a randomized end-to-end run, logged, or
// STREAMGEN_E2E_SEED's.
func e2eSeed(t *testing.T) uint64 {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("STREAMGEN_E2E_SEED"); s != "" { // reproduce a run
		if _, err := fmt.Sscan(s, &seed); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("seed %d (STREAMGEN_E2E_SEED reruns it)", seed)
	return seed
}

// minioRun is a bucket of a MinIO server that generated binaries run
// against: every location they are given is an s3:// URL in it, and they
// reach the server through the AWS SDK's environment (Server.Env). The
// test reads and writes the bucket with its own client, without touching
// its environment.
type minioRun struct {
	srv    *miniotest.Server
	bucket string
	b      *blob.Bucket
	// root is the bucket's root: inputs are uploaded and outputs listed
	// through it.
	root storage.Storage
	// work is the binaries' working directory and tmp their TMPDIR: both
	// stay empty when every location is on the object store.
	work, tmp string
}

func newMinIORun(t *testing.T) *minioRun {
	t.Helper()
	srv := miniotest.Start(t) // skips without MinIO, but fails under CI=true
	bucket := srv.NewBucket(t)
	b, err := srv.OpenBucket(context.Background(), bucket)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return &minioRun{srv: srv, bucket: bucket, b: b, root: bucketStore(b, bucket, ""), work: t.TempDir(), tmp: t.TempDir()}
}

// bucketStore returns the store on prefix of bucket (b), as s3store opens
// s3://bucket/prefix. The stores share b and are not closed.
func bucketStore(b *blob.Bucket, bucket, prefix string) storage.Storage {
	return s3store.New(b, prefix, "s3://"+bucket+"/"+prefix, nil)
}

// url returns the s3:// location of prefix, as a user would write it.
func (r *minioRun) url(prefix string) string { return "s3://" + r.bucket + "/" + prefix }

// store returns the store on prefix, as the binaries open it.
func (r *minioRun) store(prefix string) storage.Storage { return bucketStore(r.b, r.bucket, prefix) }

// command returns the command running bin against the server.
func (r *minioRun) command(bin string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Dir = r.work
	cmd.Env = append(os.Environ(), r.srv.Env()...)
	cmd.Env = append(cmd.Env, "TMPDIR="+r.tmp)
	return cmd
}

// upload puts an input file under prefix: an object appears whole, so no
// hidden name and rename are needed.
func (r *minioRun) upload(prefix, name string, data []byte) error {
	return r.root.Put(context.Background(), prefix+"/"+name, data)
}

// count returns the number of objects under prefix.
func (r *minioRun) count(t *testing.T, prefix string) int {
	t.Helper()
	l, err := r.root.List(context.Background(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	return len(l)
}

// runToEnd runs bin against the server and wants exit status 0.
func (r *minioRun) runToEnd(t *testing.T, bin string, args ...string) {
	t.Helper()
	var stderr bytes.Buffer
	cmd := r.command(bin, args...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, stderr.String())
	}
}

// killRuns starts bin with args kills times against the server, each run
// SIGKILLed after a random 150-600 ms (process start, AWS configuration
// and checkpoint recovery included), and wants every run to be killed
// rather than end by itself.
func (r *minioRun) killRuns(t *testing.T, rng *rand.Rand, kills int, bin string, args ...string) {
	t.Helper()
	killRunsOf(t, rng, kills, 150*time.Millisecond, 450, func() *exec.Cmd { return r.command(bin, args...) })
}

// killRunsOf starts the command made by command kills times, each run
// SIGKILLed after minAfter plus a random 0 to spreadMs-1 ms drawn from rng, and
// wants every run to be killed rather than end by itself.
func killRunsOf(t *testing.T, rng *rand.Rand, kills int, minAfter time.Duration, spreadMs int, command func() *exec.Cmd) {
	t.Helper()
	for k := range kills {
		cmd := command()
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		after := minAfter + time.Duration(rng.IntN(spreadMs))*time.Millisecond
		time.Sleep(after)
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		err := cmd.Wait()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatal(err)
		}
		if exit == nil || exit.ExitCode() != -1 {
			// Exited by itself before the kill: only an error does that.
			t.Fatalf("kill %d after %v: the binary exited by itself: %v\n%s", k, after, err, stderr.String())
		}
	}
}

// checkLocalEmpty wants the binaries' working directory and TMPDIR empty:
// nothing of a query whose locations are all on the object store goes to
// local files.
func (r *minioRun) checkLocalEmpty(t *testing.T) {
	t.Helper()
	for _, dir := range []string{r.work, r.tmp} {
		var names []string
		_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if path != dir {
				names = append(names, path)
			}
			return nil
		})
		if len(names) > 0 {
			t.Errorf("the binaries wrote local files: %s", strings.Join(names, ", "))
		}
	}
}

// The device_status binary with every location on MinIO: the file source
// reads the s3:// prefix in/, the Delta table, its _quarantine table and
// the checkpoint are s3:// prefixes too. Files are uploaded while the
// binary runs, and it is SIGKILLed at random moments (seed logged;
// STREAMGEN_E2E_SEED replays the kill moments and arrival delays) and
// restarted after each kill; a final available-now run then leaves every
// valid record in the table once and every malformed line in the
// quarantine table once.
func TestObjectStorePipelineKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts MinIO, builds and runs a binary")
	}
	if runtime.GOOS == "windows" {
		t.Skip("signals")
	}
	t.Parallel()
	r := newMinIORun(t)
	bin := buildWithS3(t, "device_status", "device-status")
	seed := e2eSeed(t)
	rng := rand.New(rand.NewPCG(seed, 0))
	args := func(trigger string) []string {
		return []string{"-source-path", r.url("in"), "-sink-path", r.url("table"), "-checkpoint", r.url("checkpoint"),
			"-trigger", trigger, "-log-level", "warn"}
	}

	const files, kills = 40, 7
	var (
		mu   sync.Mutex
		want []string
		wg   sync.WaitGroup
	)
	delays := make([]time.Duration, files)
	for i := range delays {
		delays[i] = time.Duration(rng.IntN(100)) * time.Millisecond // ~2 s of arrivals, as long as the kills
	}
	wg.Add(1)
	go func() { // files keep arriving
		defer wg.Done()
		for i := range files {
			name, data, recs := inputFile(i, 4, i%7 == 0)
			if err := r.upload("in", name, data); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			want = append(want, recs...)
			mu.Unlock()
			time.Sleep(delays[i])
		}
	}()
	r.killRuns(t, rng, kills, bin, args("default")...)
	wg.Wait()

	// The killed runs made progress on the object store (so the kills hit
	// running queries), and their checkpoint there is readable: the last
	// run recovers from it.
	before := 0
	if r.count(t, "table/_delta_log/") > 0 {
		before = len(storeRows(t, r.store("table")))
	}
	t.Logf("%d of %d records in the table, %d commit objects in the checkpoint before the final run",
		before, len(want), r.count(t, "checkpoint/commits/"))
	if before == 0 {
		t.Errorf("the killed runs wrote nothing")
	}
	r.runToEnd(t, bin, args("available-now")...)
	sort.Strings(want)
	if diff := cmp.Diff(want, recordLines(storeRows(t, r.store("table")))); diff != "" {
		t.Errorf("after %d kills (seed %d), table (-want +got):\n%s", kills, seed, diff)
	}
	var wantQ []string
	for i := 0; i < files; i += 7 {
		wantQ = append(wantQ, malformedRecord(i, 4))
	}
	if diff := cmp.Diff(wantQ, quarantineLines(t, storeRows(t, r.store("table/_quarantine")))); diff != "" {
		t.Errorf("after %d kills (seed %d), quarantine table (-want +got):\n%s", kills, seed, diff)
	}
	// Every input file is in the source log on the object store.
	if n := r.count(t, "checkpoint/sources/0/"); n == 0 {
		t.Errorf("no source log under %s", r.url("checkpoint/sources/0/"))
	}
	r.checkLocalEmpty(t)
}

// The windowed aggregation of agg_modes_delta_update (10-minute tumbling
// windows, 5-minute watermark, late clicks; a keyed merge into Delta) as
// the generated binary with its source prefix, table and checkpoint on
// MinIO, so its state store is on the object store too: SIGKILLed at
// random moments while files are uploaded (seed logged;
// STREAMGEN_E2E_SEED replays a run), restarted after each kill, then run
// to the end with available-now. The final table equals, row for row, the
// brute-force model's (internal/aggmodel).
func TestObjectStoreAggregationKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts MinIO, builds and runs a binary")
	}
	if runtime.GOOS == "windows" {
		t.Skip("signals")
	}
	t.Parallel()
	r := newMinIORun(t)
	bin := buildWithS3(t, "agg_modes_delta_update", "clicks-update-delta")
	seed := e2eSeed(t)
	args := func(trigger string) []string {
		return []string{"-source-path", r.url("in"), "-sink-path", r.url("table"), "-checkpoint", r.url("checkpoint"),
			"-trigger", trigger, "-log-level", "warn"}
	}

	const nfiles, kills = 30, 6
	files := aggmodel.Files(seed, aggmodel.Options{Files: nfiles, PerFile: 20,
		Base: time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC), Step: 4 * time.Minute, LatePct: 20})
	want := aggmodel.Final(files, aggmodel.Update)

	rng := rand.New(rand.NewPCG(seed, 1))
	delays := make([]time.Duration, nfiles)
	for i := range delays {
		delays[i] = time.Duration(rng.IntN(120)) * time.Millisecond // ~1.8 s of arrivals
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // files keep arriving, one at a time and in order: the
		// source takes them by modification time, then name, one per
		// batch, as the model does
		defer wg.Done()
		for i, f := range files {
			if err := r.upload("in", aggmodel.Name(i), aggmodel.Content(f)); err != nil {
				t.Error(err)
				return
			}
			time.Sleep(delays[i])
		}
	}()
	r.killRuns(t, rng, kills, bin, args("default")...)
	wg.Wait()

	commits, state := r.count(t, "checkpoint/commits/"), r.count(t, "checkpoint/state/")
	t.Logf("%d commit and %d state store objects in the checkpoint after the killed runs", commits, state)
	if commits == 0 {
		t.Errorf("the killed runs committed nothing")
	}
	r.runToEnd(t, bin, args("available-now")...)
	if n := r.count(t, "checkpoint/state/"); n == 0 {
		t.Errorf("no state store under %s", r.url("checkpoint/state/"))
	}
	if diff := cmp.Diff(want, aggmodel.StoreRows(t, r.store("table"), -1)); diff != "" {
		t.Errorf("after %d kills (seed %d), table (-model +got):\n%s", kills, seed, diff)
	}
	r.checkLocalEmpty(t)
}
