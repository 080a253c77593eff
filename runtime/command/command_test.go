package command

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamgen/streamgen/runtime/checkpoint"
	"github.com/streamgen/streamgen/runtime/planprint"
	"github.com/streamgen/streamgen/runtime/storage"
	"github.com/streamgen/streamgen/runtime/stream"
	"github.com/streamgen/streamgen/runtime/trigger"
)

// counter is a source over the numbers 1..n, two per batch: its offset is
// the last number read.
type counter struct{ n int }

func (c *counter) Description() string { return "counter" }
func (c *counter) InitialOffset(context.Context) (json.RawMessage, error) {
	return json.RawMessage("0"), nil
}
func (c *counter) LatestOffset(_ context.Context, start json.RawMessage) (json.RawMessage, error) {
	n, err := strconv.Atoi(string(start))
	if err != nil {
		return nil, err
	}
	return json.RawMessage(strconv.Itoa(min(n+2, c.n))), nil
}
func (c *counter) Commit(context.Context, json.RawMessage) error { return nil }

// syncBuffer is a bytes.Buffer safe for the query's and the test's
// goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// pipeline is a toy generated pipeline: its config, its command and the
// numbers its runner saw.
type pipeline struct {
	checkpoint string
	trig       trigger.Trigger
	n          int
	fail       error         // returned by the runner of the batch reading fail's number
	block      chan struct{} // when set, every batch from blockFrom on waits for it
	blockFrom  int64
	entered    chan struct{} // when set, signalled as each batch starts

	mu   sync.Mutex
	seen []int
	env  Env
}

func (p *pipeline) newQuery(ctx context.Context, env Env) (*stream.Query, error) {
	p.env = env
	store, err := storage.NewLocal(p.checkpoint)
	if err != nil {
		return nil, err
	}
	cp, err := checkpoint.Open(ctx, store, checkpoint.Logger(env.Logger))
	if err != nil {
		return nil, err
	}
	run := func(ctx context.Context, b *stream.Batch) (stream.BatchResult, error) {
		if p.entered != nil {
			p.entered <- struct{}{}
		}
		if p.block != nil && b.ID >= p.blockFrom {
			<-p.block
		}
		from, _ := strconv.Atoi(string(b.Start[0]))
		to, _ := strconv.Atoi(string(b.End[0]))
		p.mu.Lock()
		defer p.mu.Unlock()
		for i := from + 1; i <= to; i++ {
			if p.fail != nil && i == 3 {
				return stream.BatchResult{}, p.fail
			}
			p.seen = append(p.seen, i)
		}
		return stream.BatchResult{NumInputRows: int64(to - from), NumOutputRows: int64(to - from)}, nil
	}
	return stream.NewQuery(cp, []stream.Source{&counter{n: p.n}}, run,
		stream.Name("toy"), stream.Trigger(p.trig), stream.Logger(env.Logger), stream.Listeners(env.Listeners...))
}

func (p *pipeline) command(out io.Writer) *Command {
	c := New("toy")
	c.SetOutput(out)
	c.StringVar(&p.checkpoint, "checkpoint", "checkpoint directory")
	c.TriggerVar(&p.trig)
	return c
}

func (p *pipeline) numbers() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.seen)
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i + 1
	}
	return s
}

func TestRunAvailableNowOverridesSpecTrigger(t *testing.T) {
	p := &pipeline{checkpoint: "does-not-exist", trig: trigger.ProcessingTime(time.Hour), n: 7}
	var out syncBuffer
	dir := t.TempDir()
	err := p.command(&out).Run(t.Context(), []string{"-checkpoint", dir, "-trigger", "available-now", "-log-level", "warn"}, p.newQuery)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	if got := p.numbers(); !slices.Equal(got, seq(7)) {
		t.Fatalf("numbers = %v, want %v", got, seq(7))
	}
	if out.String() != "" {
		t.Errorf("warn level logged on a clean run:\n%s", out.String())
	}
	// The flags reached the pipeline: a second run on the same checkpoint
	// has nothing left to read.
	p2 := &pipeline{trig: trigger.Default(), n: 7}
	if err := p2.command(io.Discard).Run(t.Context(), []string{"-checkpoint", dir, "-trigger", "once"}, p2.newQuery); err != nil {
		t.Fatal(err)
	}
	if got := p2.numbers(); len(got) != 0 {
		t.Fatalf("restart re-read %v", got)
	}
}

func TestRunFailureIsLoggedAndExitsOne(t *testing.T) {
	boom := errors.New("boom")
	p := &pipeline{checkpoint: t.TempDir(), trig: trigger.AvailableNow(), n: 5, fail: boom}
	var out syncBuffer
	err := p.command(&out).Run(t.Context(), []string{"-log-json"}, p.newQuery)
	if !errors.Is(err, boom) {
		t.Fatalf("Run = %v, want %v", err, boom)
	}
	if ExitCode(err) != 1 {
		t.Errorf("ExitCode = %d, want 1", ExitCode(err))
	}
	var failed bool
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("-log-json wrote a non-JSON line %q: %v", line, err)
		}
		if rec["msg"] == "toy failed" && rec["level"] == "ERROR" && strings.Contains(fmt.Sprint(rec["err"]), "boom") {
			failed = true
		}
	}
	if !failed {
		t.Errorf("no ERROR record for the failure in:\n%s", out.String())
	}
}

func TestRunUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-no-such-flag"},
		{"-trigger", "sometimes"},
		{"-progress", "maybe"},
		{"extra"},
	} {
		p := &pipeline{checkpoint: t.TempDir(), trig: trigger.Once(), n: 1}
		var out syncBuffer
		err := p.command(&out).Run(t.Context(), args, p.newQuery)
		if ExitCode(err) != 2 {
			t.Errorf("%q: ExitCode(%v) = %d, want 2", args, err, ExitCode(err))
		}
		if p.env.Logger != nil {
			t.Errorf("%q: the query was built despite the usage error", args)
		}
		if out.String() == "" {
			t.Errorf("%q: nothing said about the usage error", args)
		}
	}
}

func TestCancelStopsAfterTheCurrentBatch(t *testing.T) {
	p := &pipeline{
		checkpoint: t.TempDir(), trig: trigger.Default(), n: 1 << 30,
		block: make(chan struct{}), entered: make(chan struct{}),
	}
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- p.command(io.Discard).Run(ctx, nil, p.newQuery) }()
	<-p.entered // batch 0 is running
	cancel()
	time.Sleep(50 * time.Millisecond) // the signal reaches Run while the batch is blocked
	close(p.block)
	go func() { // later batches, if any, must not wait for the test
		for range p.entered {
		}
	}()
	if err := <-errc; err != nil {
		t.Fatalf("Run after a signal = %v, want nil", err)
	}
	close(p.entered)
	// Batch 0 finished whole (1, 2) and no batch started after the stop
	// request except possibly one already underway.
	if got := p.numbers(); len(got) < 2 || !slices.Equal(got[:2], []int{1, 2}) || len(got) > 4 {
		t.Fatalf("numbers = %v, want batch 0 complete and at most one more batch", got)
	}
}

func TestHTTPMonitor(t *testing.T) {
	p := &pipeline{
		checkpoint: t.TempDir(), trig: trigger.AvailableNow(), n: 4,
		block: make(chan struct{}), blockFrom: 1, entered: make(chan struct{}, 2),
	}
	c := p.command(io.Discard)
	addrc := make(chan string, 1)
	c.onListen = func(addr string) { addrc <- addr }
	errc := make(chan error, 1)
	go func() { errc <- c.Run(t.Context(), []string{"-http", "127.0.0.1:0"}, p.newQuery) }()
	addr := <-addrc
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(b)
	}
	<-p.entered
	<-p.entered // batch 0 is committed: batch 1 runs, blocked
	if code, body := get("/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Errorf("/healthz = %d %q, want 200 \"ok\\n\"", code, body)
	}
	code, body := get("/progress")
	var rep struct {
		Name           string            `json:"name"`
		RecentProgress []stream.Progress `json:"recentProgress"`
	}
	if err := json.Unmarshal([]byte(body), &rep); code != http.StatusOK || err != nil {
		t.Fatalf("/progress = %d, %v:\n%s", code, err, body)
	}
	if rep.Name != "toy" || len(rep.RecentProgress) != 1 || rep.RecentProgress[0].NumInputRows != 2 {
		t.Errorf("/progress = %s, want batch 0 of toy with 2 rows", body)
	}
	if code, body := get("/metrics"); code != http.StatusOK || !strings.Contains(body, "streamgen_query_input_rows_total") {
		t.Errorf("/metrics = %d, no streamgen_query_input_rows_total in:\n%s", code, body)
	}
	close(p.block)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if got := p.numbers(); !slices.Equal(got, seq(4)) {
		t.Fatalf("numbers = %v", got)
	}
}

func TestProgressBarChoice(t *testing.T) {
	for _, tc := range []struct {
		flag     string
		trig     trigger.Trigger
		terminal bool
		want     bool
	}{
		{"auto", trigger.AvailableNow(), true, true},
		{"auto", trigger.AvailableNow(), false, false},
		{"auto", trigger.Default(), true, false},
		{"auto", trigger.Once(), true, false},
		{"on", trigger.Default(), false, true},
		{"off", trigger.AvailableNow(), true, false},
	} {
		trig := tc.trig
		c := New("toy")
		c.SetOutput(io.Discard)
		c.TriggerVar(&trig)
		c.isTerminal = func() bool { return tc.terminal }
		if err := c.fs.Parse([]string{"-progress", tc.flag}); err != nil {
			t.Fatal(err)
		}
		got, err := c.wantProgressBar()
		if err != nil || got != tc.want {
			t.Errorf("-progress %s, trigger %v, terminal %v: bar = %v, %v; want %v", tc.flag, tc.trig, tc.terminal, got, err, tc.want)
		}
	}
}

func TestIsTerminal(t *testing.T) {
	if isTerminal(&bytes.Buffer{}) {
		t.Error("a buffer is a terminal")
	}
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	if isTerminal(null) {
		t.Errorf("%s (a character device, not a terminal) is a terminal", os.DevNull)
	}
}

// A refused pipeline change is written to stderr as it is, one line per
// change, beside the log record.
func TestRunPrintsRefusedPlanReport(t *testing.T) {
	refused := &planprint.RefusedError{Verdict: planprint.Verdict{Changes: []planprint.Change{{
		Kind: planprint.Refused, What: "grouping keys",
		Old: "[device string]", New: "[device string, site string]",
		Why:        "the state of the checkpoint is keyed by the old keys",
		WayForward: "start a new checkpoint",
	}}}}
	var out syncBuffer
	c := New("toy")
	c.SetOutput(&out)
	err := c.Run(t.Context(), nil, func(context.Context, Env) (*stream.Query, error) {
		return nil, fmt.Errorf("toy: %w", refused)
	})
	if !errors.Is(err, refused) || ExitCode(err) != 1 {
		t.Fatalf("Run = %v (exit %d), want the refusal and exit 1", err, ExitCode(err))
	}
	want := "toy: " + refused.Error() + "\n"
	if !strings.Contains(out.String(), want) {
		t.Errorf("output lacks the plain report %q:\n%s", want, out.String())
	}
	if !strings.Contains(refused.Error(), "\n"+refused.Verdict.Changes[0].String()) {
		t.Errorf("the report %q lacks its change line", refused.Error())
	}
}
