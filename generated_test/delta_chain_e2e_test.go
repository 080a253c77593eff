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
	statusBin := buildDeviceStatus(t)
	alertsBin := buildMain(t, "./delta_source/want/cmd/delta-source")
	dir := t.TempDir()
	in, status, statusCP := filepath.Join(dir, "in"), filepath.Join(dir, "iot_status"), filepath.Join(dir, "status_cp")
	alerts, alertsCP := filepath.Join(dir, "iot_alerts"), filepath.Join(dir, "alerts_cp")
	if err := os.MkdirAll(in, 0o755); err != nil {
		t.Fatal(err)
	}
	statusArgs := func(trigger string) []string {
		return []string{"-source-path", in, "-sink-path", status, "-checkpoint", statusCP, "-trigger", trigger, "-log-level", "warn"}
	}
	alertsArgs := func(trigger string) []string {
		return []string{"-source-path", status, "-sink-path", alerts, "-checkpoint", alertsCP, "-trigger", trigger, "-log-level", "warn"}
	}

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

	var (
		mu   sync.Mutex
		want []string
		wg   sync.WaitGroup
		errs = make(chan error, 2)
	)
	wg.Add(3)
	go func() { // files keep arriving
		defer wg.Done()
		for i := range files {
			recs := writeInput(t, in, i, 4, i%7 == 0)
			mu.Lock()
			want = append(want, recs...)
			mu.Unlock()
			time.Sleep(delays[i])
		}
	}()
	go func() {
		defer wg.Done()
		errs <- killLoop(statusKills, func() *exec.Cmd { return exec.Command(statusBin, statusArgs("default")...) })
	}()
	go func() {
		defer wg.Done()
		// delta_source fails on a path that is not a table yet: start it
		// once device_status committed its first version.
		deadline := time.Now().Add(30 * time.Second)
		for {
			if _, err := os.Stat(filepath.Join(status, "_delta_log", "00000000000000000000.json")); err == nil {
				break
			}
			if time.Now().After(deadline) {
				errs <- errors.New("device_status made no table in 30s")
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		errs <- killLoop(alertsKills, func() *exec.Cmd { return exec.Command(alertsBin, alertsArgs("default")...) })
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	before := 0
	if _, err := os.Stat(filepath.Join(alerts, "_delta_log")); err == nil {
		before = len(alertTableLines(t, alerts))
	}
	t.Logf("%d status records, %d alert rows in the table before the final runs", len(tableRecords(t, status)), before)
	if before == 0 {
		t.Errorf("the killed delta_source runs wrote nothing")
	}

	runToEnd(t, statusBin, statusArgs("available-now")...)
	runToEnd(t, alertsBin, alertsArgs("available-now")...)
	sort.Strings(want)
	if diff := cmp.Diff(want, tableRecords(t, status)); diff != "" {
		t.Errorf("device_status table (-want +got):\n%s", diff)
	}
	var wantQ []string
	for i := 0; i < files; i += 7 {
		wantQ = append(wantQ, malformedRecord(i, 4))
	}
	if diff := cmp.Diff(wantQ, quarantineRecords(t, status)); diff != "" {
		t.Errorf("device_status quarantine table (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(alertLines(want), alertTableLines(t, alerts)); diff != "" {
		t.Errorf("delta_source table (-want +got):\n%s", diff)
	}
}
