package generated_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/generated_test/internal/aggmodel"
)

// buildAggBinary builds the generated main of an agg_modes_* golden case
// as a static binary, as a user would.
func buildAggBinary(t *testing.T, dir, name string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), name)
	cmd := exec.Command("go", "build", "-o", bin, "./"+dir+"/want/cmd/"+name)
	cmd.Env = append(goEnvWithoutFlags(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// A windowed aggregation with a watermark (10-minute tumbling windows,
// 5-minute delay, late clicks) into Delta, in append mode (each window
// committed once, when the watermark passes its end) and update mode (a
// keyed merge), run as the generated binary: SIGKILLed at random moments
// (seed logged; STREAMGEN_E2E_SEED replays a run) while files arrive,
// restarted after each kill, then run to the end with available-now. The
// final table equals, row for row, an uninterrupted run's and the
// brute-force model's (internal/aggmodel): no window lost, emitted twice
// or counted with a late row, whatever batch the kills interrupted.
func TestAggregationKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs binaries")
	}
	if runtime.GOOS == "windows" {
		t.Skip("signals")
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("STREAMGEN_E2E_SEED"); s != "" { // reproduce a run
		if _, err := fmt.Sscan(s, &seed); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("seed %d (STREAMGEN_E2E_SEED reruns it)", seed)
	for _, c := range []struct {
		mode      aggmodel.Mode
		dir, name string
	}{
		{aggmodel.Append, "agg_modes_delta_append", "clicks-append-delta"},
		{aggmodel.Update, "agg_modes_delta_update", "clicks-update-delta"},
	} {
		t.Run(string(c.mode), func(t *testing.T) {
			t.Parallel()
			bin := buildAggBinary(t, c.dir, c.name)
			const nfiles, kills = 60, 12
			files := aggmodel.Files(seed, aggmodel.Options{Files: nfiles, PerFile: 20,
				Base: time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC), Step: 4 * time.Minute, LatePct: 20})
			want := aggmodel.Final(files, c.mode)

			// Uninterrupted.
			d := newE2EDirs(t)
			aggmodel.WriteFiles(t, d.in, files)
			runToEnd(t, bin, d.args("available-now")...)
			uninterrupted := aggmodel.TableRows(t, d.table, -1)
			if diff := cmp.Diff(want, uninterrupted); diff != "" {
				t.Errorf("uninterrupted run, table (-model +got):\n%s", diff)
			}

			// Killed while files arrive.
			d = newE2EDirs(t)
			rng := rand.New(rand.NewPCG(seed, uint64(len(c.mode))))
			delays := make([]time.Duration, nfiles)
			for i := range delays {
				delays[i] = time.Duration(rng.IntN(30)) * time.Millisecond // ~0.9 s of arrivals
			}
			var wg sync.WaitGroup
			wg.Add(1)
			go func() { // files keep arriving
				defer wg.Done()
				for i, f := range files {
					if err := aggmodel.WriteFile(d.in, i, f, true); err != nil {
						t.Error(err)
						return
					}
					time.Sleep(delays[i])
				}
			}()
			for k := range kills {
				cmd := exec.Command(bin, d.args("default")...)
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				after := time.Duration(30+rng.IntN(150)) * time.Millisecond
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
					t.Fatalf("kill %d after %v: the binary exited by itself: %v\n%s", k, after, err, stderr.String())
				}
			}
			wg.Wait()
			commits, _ := os.ReadDir(filepath.Join(d.cp, "commits"))
			t.Logf("%d commit files in the checkpoint after the killed runs", len(commits))
			if len(commits) == 0 {
				t.Errorf("the killed runs committed nothing")
			}
			runToEnd(t, bin, d.args("available-now")...)
			got := aggmodel.TableRows(t, d.table, -1)
			if diff := cmp.Diff(uninterrupted, got); diff != "" {
				t.Errorf("after %d kills (seed %d), table (-uninterrupted +got):\n%s", kills, seed, diff)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("after %d kills (seed %d), table (-model +got):\n%s", kills, seed, diff)
			}
		})
	}
}
