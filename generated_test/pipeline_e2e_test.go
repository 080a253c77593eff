package generated_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/storage"
)

// buildDeviceStatus builds the device_status golden's generated main as
// a static binary, as a user would.
func buildDeviceStatus(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "device-status")
	cmd := exec.Command("go", "build", "-o", bin, "./device_status/want/cmd/device-status")
	cmd.Env = append(goEnvWithoutFlags(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// e2eDirs are a run's directories.
type e2eDirs struct{ in, table, cp string }

func newE2EDirs(t *testing.T) e2eDirs {
	dir := t.TempDir()
	d := e2eDirs{filepath.Join(dir, "in"), filepath.Join(dir, "table"), filepath.Join(dir, "checkpoint")}
	if err := os.MkdirAll(d.in, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

func (d e2eDirs) args(trigger string) []string {
	return []string{"-source-path", d.in, "-sink-path", d.table, "-checkpoint", d.cp, "-trigger", trigger, "-log-level", "warn"}
}

// writeInput writes file i (lines records, and a malformed line when
// malformed) under a hidden name and renames it into place; it returns
// the valid records as "device/status".
func writeInput(t *testing.T, dir string, i, lines int, malformed bool) []string {
	name, data, recs := inputFile(i, lines, malformed)
	tmp := filepath.Join(dir, "."+name)
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		t.Error(err)
		return nil
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		t.Error(err)
		return nil
	}
	return recs
}

// inputFile returns the name and content of writeInput's file i and its
// valid records as "device/status".
func inputFile(i, lines int, malformed bool) (name string, data []byte, recs []string) {
	var b strings.Builder
	for j := range lines {
		dev, status := fmt.Sprintf("dev-%03d-%02d", i, j), []string{"ok", "hot", "off"}[(i+j)%3]
		fmt.Fprintf(&b, "{\"device\":%q,\"status\":%q}\n", dev, status)
		recs = append(recs, dev+"/"+status)
	}
	if malformed {
		fmt.Fprintf(&b, "{\"device\":%d}\n", i)
	}
	return fmt.Sprintf("f-%03d.jsonl", i), []byte(b.String()), recs
}

// malformedRecord is quarantineRecords' line for the malformed line of
// writeInput(t, dir, i, lines, true).
func malformedRecord(i, lines int) string {
	return fmt.Sprintf("f-%03d.jsonl:%d: {\"device\":%d}", i, lines+1, i)
}

// quarantineRecords returns the rows of the quarantine table of the sink
// table at dir as sorted "<file base>:<line>: <raw>", checking that each
// names its error.
func quarantineRecords(t *testing.T, dir string) []string {
	t.Helper()
	return quarantineLines(t, readTable(t, filepath.Join(dir, "_quarantine")))
}

// quarantineLines formats the rows of a quarantine table as
// quarantineRecords does.
func quarantineLines(t *testing.T, rows []delta.Row) []string {
	t.Helper()
	var out []string
	for _, r := range rows {
		// source, file, line, offset, raw, raw_bytes, error, query_id, quarantined_at
		if !strings.Contains(fmt.Sprint(r[6]), "device") {
			t.Errorf("quarantined row %v: error does not name the field", r)
		}
		out = append(out, fmt.Sprintf("%s:%v: %v", filepath.Base(fmt.Sprint(r[1])), r[2], r[4]))
	}
	sort.Strings(out)
	return out
}

// readTable returns the rows of the Delta table at dir.
func readTable(t *testing.T, dir string) []delta.Row {
	t.Helper()
	store, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	return storeRows(t, store)
}

// storeRows returns the rows of the Delta table of store.
func storeRows(t *testing.T, store storage.Storage) []delta.Row {
	t.Helper()
	snap, err := delta.Open(store).Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rows, err := snap.Rows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// tableRecords returns the table's rows as sorted "device/status".
func tableRecords(t *testing.T, dir string) []string {
	t.Helper()
	return recordLines(readTable(t, dir))
}

// recordLines formats the rows of a device_status table as sorted
// "device/status".
func recordLines(rows []delta.Row) []string {
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%v/%v", r[0], r[1]))
	}
	sort.Strings(out)
	return out
}

// runToEnd runs the binary and wants exit status 0.
func runToEnd(t *testing.T, bin string, args ...string) {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, stderr.String())
	}
}

// The generated device_status binary: available-now over 20 files exits
// 0 with every valid record in the table once; SIGTERM stops a running
// query cleanly (exit 0); and SIGKILL at random moments while files keep
// arriving, with a restart after each, loses and duplicates nothing.
func TestPipelineProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a binary")
	}
	if runtime.GOOS == "windows" {
		t.Skip("signals")
	}
	bin := buildDeviceStatus(t)

	t.Run("available-now", func(t *testing.T) {
		d := newE2EDirs(t)
		var want []string
		for i := range 20 {
			want = append(want, writeInput(t, d.in, i, 5, i%4 == 0)...)
		}
		runToEnd(t, bin, d.args("available-now")...)
		sort.Strings(want)
		if diff := cmp.Diff(want, tableRecords(t, d.table)); diff != "" {
			t.Errorf("table (-want +got):\n%s", diff)
		}
		var wantQ []string
		for i := 0; i < 20; i += 4 {
			wantQ = append(wantQ, malformedRecord(i, 5))
		}
		if diff := cmp.Diff(wantQ, quarantineRecords(t, d.table)); diff != "" {
			t.Errorf("quarantine table (-want +got):\n%s", diff)
		}
	})

	t.Run("sigterm-http", func(t *testing.T) {
		d := newE2EDirs(t)
		want := writeInput(t, d.in, 0, 3, false)
		cmd := exec.Command(bin, append(d.args("50ms"), "-http", "127.0.0.1:0", "-log-level", "info")...)
		stderr := &syncBuffer{}
		cmd.Stderr = stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer cmd.Process.Kill()
		// The monitor's address is logged; wait for the first commit.
		addr := ""
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			if addr == "" {
				if _, rest, ok := strings.Cut(stderr.String(), "addr="); ok {
					addr, _, _ = strings.Cut(rest, "\n")
				}
			}
			if _, err := os.Stat(filepath.Join(d.cp, "commits", "0")); err == nil && addr != "" {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		for path, want := range map[string]string{"/progress": `"recentProgress"`, "/metrics": "streamgen_query_input_rows_total", "/healthz": "ok"} {
			body := httpGet(t, "http://"+addr+path)
			if !strings.Contains(body, want) {
				t.Errorf("GET %s: %q does not contain %q", path, body, want)
			}
		}
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("after SIGTERM: %v\n%s", err, stderr.String())
		}
		if !strings.Contains(stderr.String(), "stopping after the current batch") {
			t.Errorf("no stop message in the log:\n%s", stderr.String())
		}
		sort.Strings(want)
		if diff := cmp.Diff(want, tableRecords(t, d.table)); diff != "" {
			t.Errorf("table (-want +got):\n%s", diff)
		}
	})

	t.Run("sigkill", func(t *testing.T) {
		d := newE2EDirs(t)
		seed := uint64(time.Now().UnixNano())
		if s := os.Getenv("STREAMGEN_E2E_SEED"); s != "" { // reproduce a run
			if _, err := fmt.Sscan(s, &seed); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("seed %d (STREAMGEN_E2E_SEED reruns it)", seed)
		rng := rand.New(rand.NewPCG(seed, 0))
		const files, kills = 200, 20 // the chaos scale
		var (
			mu   sync.Mutex
			want []string
			wg   sync.WaitGroup
		)
		delays := make([]time.Duration, files)
		for i := range delays {
			delays[i] = time.Duration(rng.IntN(20)) * time.Millisecond // ~2 s of arrivals, as long as the kills
		}
		wg.Add(1)
		go func() { // files keep arriving
			defer wg.Done()
			for i := range files {
				recs := writeInput(t, d.in, i, 4, i%7 == 0)
				mu.Lock()
				want = append(want, recs...)
				mu.Unlock()
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
			after := time.Duration(20+rng.IntN(150)) * time.Millisecond
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
		wg.Wait()
		// The killed runs made progress (so the kills hit running
		// queries), and their checkpoint is readable: the last run
		// recovers from it.
		before := 0
		if _, err := os.Stat(filepath.Join(d.table, "_delta_log")); err == nil {
			before = len(tableRecords(t, d.table))
		}
		t.Logf("%d of %d records in the table before the final run", before, len(want))
		if before == 0 {
			t.Errorf("the killed runs wrote nothing")
		}
		runToEnd(t, bin, d.args("available-now")...)
		sort.Strings(want)
		got := tableRecords(t, d.table)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("after %d kills (seed %d), table (-want +got):\n%s", kills, seed, diff)
		}
		var wantQ []string
		for i := 0; i < files; i += 7 {
			wantQ = append(wantQ, malformedRecord(i, 4))
		}
		if diff := cmp.Diff(wantQ, quarantineRecords(t, d.table)); diff != "" {
			t.Errorf("after %d kills (seed %d), quarantine table (-want +got):\n%s", kills, seed, diff)
		}
	})
}

// syncBuffer is a bytes.Buffer safe for a process writing while the test
// reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s: %s\n%s", url, resp.Status, body)
	}
	return string(body)
}
