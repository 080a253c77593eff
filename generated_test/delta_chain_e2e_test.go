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
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// killLoop starts the command command makes, kills it with SIGKILL after
// each of afters and starts it again; it returns an error when a run
// ended by itself before its kill (only an error does that), with its
// stderr. It is killRunsOf for a goroutine: it reports instead of
// calling t.Fatal.
func killLoop(afters []time.Duration, command func() *exec.Cmd) error {
	for k, after := range afters {
		cmd := command()
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			return err
		}
		time.Sleep(after)
		if err := cmd.Process.Kill(); err != nil {
			return err
		}
		err := cmd.Wait()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			return err
		}
		if exit == nil || exit.ExitCode() != -1 {
			return fmt.Errorf("%s: kill %d after %v: the binary exited by itself: %v\n%s", filepath.Base(cmd.Path), k, after, err, stderr.String())
		}
	}
	return nil
}

// alertLines is the delta_source table expected from the device_status
// records recs ("device/status"), computed independently of the
// generated code: the where step drops status "off", the select adds
// alert = status == "hot"; sorted "device/status/alert".
func alertLines(recs []string) []string {
	var out []string
	for _, r := range recs {
		_, status, _ := strings.Cut(r, "/")
		if status == "off" {
			continue
		}
		out = append(out, fmt.Sprintf("%s/%t", r, status == "hot"))
	}
	sort.Strings(out)
	return out
}

// alertTableLines returns the delta_source table's rows as sorted
// "device/status/alert".
func alertTableLines(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, r := range readTable(t, dir) {
		out = append(out, fmt.Sprintf("%v/%v/%v", r[0], r[1], r[2]))
	}
	sort.Strings(out)
	return out
}

// deltaChain is the chain of the Delta-source end-to-end tests:
// device_status reads the JSON files of in into the Delta table status,
// delta_source reads status into the Delta table alerts, each with its
// checkpoint, all under one temporary directory.
type deltaChain struct {
	statusBin, alertsBin                   string
	in, status, statusCP, alerts, alertsCP string

	mu   sync.Mutex
	want []string // the valid records of the files fed so far
}

// newDeltaChain builds both binaries and makes the input directory.
func newDeltaChain(t *testing.T) *deltaChain {
	t.Helper()
	dir := t.TempDir()
	c := &deltaChain{
		statusBin: buildDeviceStatus(t),
		alertsBin: buildMain(t, "./delta_source/want/cmd/delta-source"),
		in:        filepath.Join(dir, "in"),
		status:    filepath.Join(dir, "iot_status"), statusCP: filepath.Join(dir, "status_cp"),
		alerts: filepath.Join(dir, "iot_alerts"), alertsCP: filepath.Join(dir, "alerts_cp"),
	}
	if err := os.MkdirAll(c.in, 0o755); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *deltaChain) statusArgs(trigger string) []string {
	return []string{"-source-path", c.in, "-sink-path", c.status, "-checkpoint", c.statusCP, "-trigger", trigger, "-log-level", "warn"}
}

func (c *deltaChain) alertsArgs(trigger string) []string {
	return []string{"-source-path", c.status, "-sink-path", c.alerts, "-checkpoint", c.alertsCP, "-trigger", trigger, "-log-level", "warn"}
}

func (c *deltaChain) statusCmd() *exec.Cmd {
	return exec.Command(c.statusBin, c.statusArgs("default")...)
}

func (c *deltaChain) alertsCmd() *exec.Cmd {
	return exec.Command(c.alertsBin, c.alertsArgs("default")...)
}

// feed writes len(delays) input files of 4 lines, delays[i] after file i,
// every seventh with a malformed line, and records their valid records.
func (c *deltaChain) feed(t *testing.T, delays []time.Duration) {
	for i := range delays {
		recs := writeInput(t, c.in, i, 4, i%7 == 0)
		c.mu.Lock()
		c.want = append(c.want, recs...)
		c.mu.Unlock()
		time.Sleep(delays[i])
	}
}

// statusTableCreated waits for device_status's first commit: delta_source
// (and OPTIMIZE) fail on a path that is not a table yet.
func (c *deltaChain) statusTableCreated() error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(c.status, "_delta_log", "00000000000000000000.json")); err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New("device_status made no table in 30s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// finish runs both binaries with available-now, in chain order, and
// checks the three tables against the files fed: every valid record once
// in status, every malformed line of the files once in its quarantine,
// and alerts the where/select of status.
func (c *deltaChain) finish(t *testing.T, files int) {
	t.Helper()
	runToEnd(t, c.statusBin, c.statusArgs("available-now")...)
	runToEnd(t, c.alertsBin, c.alertsArgs("available-now")...)
	want := slices.Sorted(slices.Values(c.want))
	if diff := cmp.Diff(want, tableRecords(t, c.status)); diff != "" {
		t.Errorf("device_status table (-want +got):\n%s", diff)
	}
	var wantQ []string
	for i := 0; i < files; i += 7 {
		wantQ = append(wantQ, malformedRecord(i, 4))
	}
	if diff := cmp.Diff(wantQ, quarantineRecords(t, c.status)); diff != "" {
		t.Errorf("device_status quarantine table (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(alertLines(want), alertTableLines(t, c.alerts)); diff != "" {
		t.Errorf("delta_source table (-want +got):\n%s", diff)
	}
}

// A chain of two generated binaries through SIGKILLs: device_status
// (files → Delta) and delta_source (that Delta table → where → select →
// another Delta table) run concurrently while files arrive, each SIGKILLed
// 8 times at random moments (seed logged; STREAMGEN_E2E_SEED replays the
// kill moments and arrival delays) and restarted; then each runs with
// available-now, in chain order. Both tables hold every record exactly
// once (multisets compared, whole rows), the quarantine table every
// malformed line once.
func TestDeltaChainKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs two binaries")
	}
	if runtime.GOOS == "windows" {
		t.Skip("signals")
	}
	c := newDeltaChain(t)
	rng := rand.New(rand.NewPCG(e2eSeed(t), 0))
	const files, kills = 120, 8
	delays := make([]time.Duration, files)
	for i := range delays {
		delays[i] = time.Duration(rng.IntN(25)) * time.Millisecond // ~1.5 s of arrivals
	}
	killAfters := func() []time.Duration {
		out := make([]time.Duration, kills)
		for i := range out {
			out[i] = time.Duration(40+rng.IntN(200)) * time.Millisecond
		}
		return out
	}
	statusKills, alertsKills := killAfters(), killAfters()

	var wg sync.WaitGroup
	errs := make(chan error, 2)
	wg.Add(3)
	go func() { // files keep arriving
		defer wg.Done()
		c.feed(t, delays)
	}()
	go func() {
		defer wg.Done()
		errs <- killLoop(statusKills, c.statusCmd)
	}()
	go func() {
		defer wg.Done()
		if err := c.statusTableCreated(); err != nil {
			errs <- err
			return
		}
		errs <- killLoop(alertsKills, c.alertsCmd)
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	before := 0
	if _, err := os.Stat(filepath.Join(c.alerts, "_delta_log")); err == nil {
		before = len(alertTableLines(t, c.alerts))
	}
	t.Logf("%d status records, %d alert rows in the table before the final runs", len(tableRecords(t, c.status)), before)
	if before == 0 {
		t.Errorf("the killed delta_source runs wrote nothing")
	}
	c.finish(t, files)
}
