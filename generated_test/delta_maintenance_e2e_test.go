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
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/delta"
	"github.com/streamgen/streamgen/runtime/storage"
)

// deltaSourceOffset is a Delta source's offset (Spark's
// DeltaSourceOffset) as the checkpoint's offsets log holds it.
type deltaSourceOffset struct {
	ReservoirVersion  int64 `json:"reservoirVersion"`
	Index             int64 `json:"index"`
	IsStartingVersion bool  `json:"isStartingVersion"`
}

// committedDeltaOffset returns the Delta source offset of the checkpoint
// cp's last committed batch (the newest commits/<n>, read from
// offsets/<n>), ok false when no batch is committed yet. It reports
// errors rather than calling t.Fatal: it runs in goroutines, while the
// query writes the checkpoint.
func committedDeltaOffset(cp string) (off deltaSourceOffset, ok bool, err error) {
	entries, err := os.ReadDir(filepath.Join(cp, "commits"))
	if errors.Is(err, os.ErrNotExist) {
		return off, false, nil
	}
	if err != nil {
		return off, false, err
	}
	last := int64(-1)
	for _, e := range entries {
		if n, err := strconv.ParseInt(e.Name(), 10, 64); err == nil && n > last {
			last = n
		}
	}
	if last < 0 {
		return off, false, nil
	}
	b, err := os.ReadFile(filepath.Join(cp, "offsets", strconv.FormatInt(last, 10)))
	if err != nil {
		return off, false, err
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &off); err != nil {
		return off, false, fmt.Errorf("offsets/%d: %q: %v", last, lines[len(lines)-1], err)
	}
	return off, true, nil
}

// passed reports whether a stream at the committed offset off has read
// every data file added before version v, and will never read one again.
func (off deltaSourceOffset) passed(v int64) bool {
	return !off.IsStartingVersion && off.ReservoirVersion >= v
}

// maintainer runs OPTIMIZE on a table every interval and VACUUM, with no
// retention, only over what a stream reading the table has committed:
// see run.
type maintainer struct {
	table *delta.Table
	cp    string // the reading stream's checkpoint

	optimizes []*delta.OptimizeResult // committed OPTIMIZEs
	vacuums   []*delta.VacuumResult
	removedBy map[string]int64 // file removed by an OPTIMIZE → its version
	// vacuumedRemoved counts the deleted files that an OPTIMIZE had
	// removed (the others are orphans of killed writers).
	vacuumedRemoved int
	// waits counts the VACUUMs put off, wholly or partly, because the
	// stream had not passed an OPTIMIZE.
	waits int
}

// run loops until stop is closed: each interval, it VACUUMs the table
// (retention 0, forced) when the stream's last committed offset has
// passed a pending OPTIMIZE's version, then runs OPTIMIZE.
//
// Retention 0 is applied as of just after that OPTIMIZE returned
// (VacuumOptions.Now): its tombstones, and older ones, are older than the
// cutoff, so the files it and earlier OPTIMIZEs removed go (every one of
// them added before the version the stream passed); the files later
// OPTIMIZEs removed, which the stream may not have read, keep their
// tombstones. A cutoff in the past also spares the data files a
// concurrent writer wrote since, before committing them (VACUUM with a
// retention of 0 at "now" would delete those: Delta's reason for the
// retention check), as long as no write sits over an interval (300 ms)
// uncommitted.
func (m *maintainer) run(ctx context.Context, interval time.Duration, stop <-chan struct{}) error {
	type pending struct {
		version int64
		at      time.Time
	}
	var pend []pending
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return nil
		case <-tick.C:
		}
		if len(pend) > 0 {
			off, ok, err := committedDeltaOffset(m.cp)
			if err != nil {
				return err
			}
			n := 0
			for ok && n < len(pend) && off.passed(pend[n].version) {
				n++
			}
			if n < len(pend) {
				m.waits++ // for the stream, to VACUUM what the newer OPTIMIZEs removed
			}
			if n > 0 {
				at, upTo := pend[n-1].at, pend[n-1].version
				res, err := m.table.Vacuum(ctx, delta.VacuumOptions{Retention: -1, Force: true, Now: func() time.Time { return at }})
				if err != nil {
					return fmt.Errorf("vacuum after the stream passed OPTIMIZE version %d (offset %+v): %w", upTo, off, err)
				}
				m.vacuums = append(m.vacuums, res)
				for _, f := range res.Files {
					v, removed := m.removedBy[f]
					if removed && v > upTo {
						return fmt.Errorf("vacuum after the stream passed OPTIMIZE version %d deleted %s, removed by version %d", upTo, f, v)
					}
					if removed {
						m.vacuumedRemoved++
					}
				}
				pend = pend[n:]
			}
		}
		res, err := m.table.Optimize(ctx, delta.OptimizeOptions{})
		if err != nil {
			return err
		}
		if res.Version >= 0 {
			m.optimizes = append(m.optimizes, res)
			for _, f := range res.Removed {
				m.removedBy[f] = res.Version
			}
			pend = append(pend, pending{res.Version, time.Now()})
		}
	}
}

// The chain of TestDeltaChainKill9 (device_status: files → Delta table A;
// delta_source: A → where → select → Delta table B) runs while files
// arrive, both binaries SIGKILLed a few times at random moments (seed
// logged; STREAMGEN_E2E_SEED replays them) and restarted, while the test
// OPTIMIZEs A every 300 ms and VACUUMs it with no retention once
// delta_source's committed offset has passed an OPTIMIZE's version (so
// only files the stream has read go). Then each binary runs with
// available-now. B holds every expected row once (the OPTIMIZE rewrites,
// dataChange=false, are not read again), A every record once, and A's
// history holds the OPTIMIZE and VACUUM commits.
func TestDeltaSourceWhileOptimized(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs two binaries")
	}
	if runtime.GOOS == "windows" {
		t.Skip("signals")
	}
	c := newDeltaChain(t)
	store, err := storage.NewLocal(c.status)
	if err != nil {
		t.Fatal(err)
	}
	table := delta.Open(store)

	rng := rand.New(rand.NewPCG(e2eSeed(t), 0))
	const files = 90
	delays := make([]time.Duration, files)
	for i := range delays {
		delays[i] = time.Duration(rng.IntN(60)) * time.Millisecond // ~2.7 s of arrivals
	}
	killAfters := func(kills, minMs, spreadMs int) []time.Duration {
		out := make([]time.Duration, kills)
		for i := range out {
			out[i] = time.Duration(minMs+rng.IntN(spreadMs)) * time.Millisecond
		}
		return out
	}
	statusKills, alertsKills, alertsDown := killAfters(4, 400, 500), killAfters(5, 250, 450), killAfters(5, 150, 500)

	var wg sync.WaitGroup
	errs := make(chan error, 3)
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
		// Down a while after each kill: the stream falls behind the
		// OPTIMIZEs, and VACUUM waits for it.
		for k, after := range alertsKills {
			if err := killLoop([]time.Duration{after}, c.alertsCmd); err != nil {
				errs <- err
				return
			}
			time.Sleep(alertsDown[k])
		}
		errs <- nil
	}()
	m := &maintainer{table: table, cp: c.alertsCP, removedBy: map[string]int64{}}
	stop, maintErr := make(chan struct{}), make(chan error, 1)
	go func() {
		if err := c.statusTableCreated(); err != nil {
			maintErr <- err
			return
		}
		maintErr <- m.run(t.Context(), 300*time.Millisecond, stop)
	}()
	wg.Wait()
	close(stop)
	if err := <-maintErr; err != nil {
		t.Errorf("maintenance: %v", err)
	}
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	vacuumed := 0
	for _, v := range m.vacuums {
		vacuumed += len(v.Files)
	}
	t.Logf("while running: %d OPTIMIZEs, %d VACUUMs deleting %d files (%d of them removed by an OPTIMIZE), %d put off for delta_source",
		len(m.optimizes), len(m.vacuums), vacuumed, m.vacuumedRemoved, m.waits)
	if len(m.optimizes) < 2 || m.vacuumedRemoved == 0 {
		t.Errorf("the maintenance did too little to test anything: %d OPTIMIZEs, %d files an OPTIMIZE removed vacuumed",
			len(m.optimizes), m.vacuumedRemoved)
	}

	c.finish(t, files)

	// A's history: each OPTIMIZE and VACUUM run, as committed.
	hist, err := table.History(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	byVersion := map[int64]delta.HistoryEntry{}
	for _, h := range hist {
		byVersion[h.Version] = h
	}
	for _, o := range m.optimizes {
		h := byVersion[o.Version]
		if h.CommitInfo.Operation != "OPTIMIZE" || h.NumRemoves != o.FilesRemoved || h.NumAdds != o.FilesAdded {
			t.Errorf("history of version %d: %q, %d removes, %d adds; want OPTIMIZE, %d, %d",
				o.Version, h.CommitInfo.Operation, h.NumRemoves, h.NumAdds, o.FilesRemoved, o.FilesAdded)
		}
	}
	for _, v := range m.vacuums {
		for version, op := range map[int64]string{v.StartVersion: "VACUUM START", v.EndVersion: "VACUUM END"} {
			if got := byVersion[version].CommitInfo.Operation; got != op {
				t.Errorf("history of version %d: %q, want %q", version, got, op)
			}
		}
		if got, want := byVersion[v.StartVersion].CommitInfo.OperationMetrics["numFilesToDelete"], strconv.Itoa(len(v.Files)); got != want {
			t.Errorf("VACUUM START at version %d: numFilesToDelete %s, want %s", v.StartVersion, got, want)
		}
	}
}

// runExit runs the binary (for at most a minute) and returns its exit
// code, stdout and stderr.
func runExit(t *testing.T, bin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s %s: still running after a minute\n%s", filepath.Base(bin), strings.Join(args, " "), errOut.String())
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
}

// dirNames returns the names of the entries of dir, sorted.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// VACUUM removing files of versions a stream has not read: delta_source
// reads table A to its end and stops; more appends arrive in A, the
// streamgen CLI OPTIMIZEs A (removing the unread files) and VACUUMs it with
// --retain 0 (refused without --force, then forced). delta_source, with
// available-now and then the default trigger, exits 1 naming the first
// unread file and its version, and commits nothing: table B's log, rows
// and the checkpoint's last committed batch are unchanged.
func TestDeltaSourceVacuumedAhead(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs three binaries")
	}
	c := newDeltaChain(t)
	cli := buildMain(t, "../cmd/streamgen")
	statusBin, alertsBin, alertsArgs := c.statusBin, c.alertsBin, c.alertsArgs
	in, status, alerts, alertsCP := c.in, c.status, c.alerts, c.alertsCP
	statusArgs := c.statusArgs("available-now")

	var want []string
	for i := range 6 {
		want = append(want, writeInput(t, in, i, 4, false)...)
	}
	runToEnd(t, statusBin, statusArgs...)
	runToEnd(t, alertsBin, alertsArgs("available-now")...)
	if diff := cmp.Diff(alertLines(want), alertTableLines(t, alerts)); diff != "" {
		t.Fatalf("delta_source table before the vacuum (-want +got):\n%s", diff)
	}
	read, ok, err := committedDeltaOffset(alertsCP)
	if err != nil || !ok || read.IsStartingVersion || read.Index != -1 {
		t.Fatalf("delta_source's committed offset after available-now: %+v, %v, %v; want the start of a version", read, ok, err)
	}
	alertsLog, alertsRows := dirNames(t, filepath.Join(alerts, "_delta_log")), alertTableLines(t, alerts)
	commitsBefore := dirNames(t, filepath.Join(alertsCP, "commits"))

	// Appends delta_source has not read.
	for i := 6; i < 12; i++ {
		writeInput(t, in, i, 4, false)
	}
	runToEnd(t, statusBin, statusArgs...)
	store, err := storage.NewLocal(status)
	if err != nil {
		t.Fatal(err)
	}
	table := delta.Open(store)
	// The first file the stream would read: the first data-change add at
	// or after its offset.
	missingVersion, missing := int64(-1), ""
	for v := read.ReservoirVersion; missing == ""; v++ {
		actions, err := table.ReadCommit(t.Context(), v)
		if err != nil {
			t.Fatalf("no append after version %d: %v", read.ReservoirVersion, err)
		}
		for _, a := range actions {
			if a.Add != nil && a.Add.DataChange {
				if missing, err = a.Add.DecodedPath(); err != nil {
					t.Fatal(err)
				}
				missingVersion = v
				break
			}
		}
	}

	code, _, stderr := runExit(t, cli, "table", "vacuum", status, "--retain", "0")
	if code != 1 || !strings.Contains(stderr, "is shorter than the table's") {
		t.Errorf("vacuum --retain 0 without --force: exit %d, want 1 and a refusal:\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(status, missing)); err != nil {
		t.Fatalf("after the refused vacuum: %v", err)
	}
	code, stdout, stderr := runExit(t, cli, "table", "optimize", status)
	if code != 0 || !strings.Contains(stdout, "committed version") {
		t.Fatalf("optimize: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = runExit(t, cli, "table", "vacuum", status, "--retain", "0", "--force")
	if code != 0 || !slices.Contains(strings.Split(stdout, "\n"), "  "+missing) {
		t.Fatalf("vacuum --retain 0 --force: exit %d, want 0 and %s deleted\n%s%s", code, missing, stdout, stderr)
	}
	if got := tableRecords(t, status); len(got) != 12*4 {
		t.Errorf("device_status table after OPTIMIZE and VACUUM: %d records, want %d", len(got), 12*4)
	}

	wantMsg := fmt.Sprintf("data file %s of version %d is missing", missing, missingVersion)
	for _, trigger := range []string{"available-now", "default"} {
		code, _, stderr := runExit(t, alertsBin, alertsArgs(trigger)...)
		if code != 1 || !strings.Contains(stderr, wantMsg) {
			t.Errorf("delta_source -trigger %s: exit %d, want 1 and %q in stderr:\n%s", trigger, code, wantMsg, stderr)
		}
		if diff := cmp.Diff(alertsLog, dirNames(t, filepath.Join(alerts, "_delta_log"))); diff != "" {
			t.Errorf("after -trigger %s: delta_source table's log (-before +after):\n%s", trigger, diff)
		}
		if diff := cmp.Diff(alertsRows, alertTableLines(t, alerts)); diff != "" {
			t.Errorf("after -trigger %s: delta_source table (-before +after):\n%s", trigger, diff)
		}
		if diff := cmp.Diff(commitsBefore, dirNames(t, filepath.Join(alertsCP, "commits"))); diff != "" {
			t.Errorf("after -trigger %s: delta_source checkpoint's commits (-before +after):\n%s", trigger, diff)
		}
	}
}
