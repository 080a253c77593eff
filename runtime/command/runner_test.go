package command

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/streamgen/streamgen/runtime/stream"
)

// fakeRunner runs until Stop, handing one progress report to its
// listeners when started.
type fakeRunner struct {
	listeners []stream.Listener
	stopOnce  sync.Once
	stop      chan struct{}
	done      chan struct{}
	err       error
	stopped   bool
}

func newFakeRunner(env Env, err error) *fakeRunner {
	return &fakeRunner{listeners: env.Listeners, stop: make(chan struct{}), done: make(chan struct{}), err: err}
}

func (r *fakeRunner) Start(context.Context) error {
	p := stream.Progress{ID: "id", RunID: "run", Name: "fake", NumInputRows: 3}
	for _, l := range r.listeners {
		if lp, ok := l.(stream.ListenerProgress); ok {
			lp.OnProgress(p)
		}
	}
	go func() {
		if r.err == nil {
			<-r.stop
			r.stopped = true
		}
		close(r.done)
	}()
	return nil
}
func (r *fakeRunner) Stop()                 { r.stopOnce.Do(func() { close(r.stop) }) }
func (r *fakeRunner) Done() <-chan struct{} { return r.done }
func (r *fakeRunner) AwaitTermination(ctx context.Context) error {
	select {
	case <-r.done:
		return r.err
	case <-ctx.Done():
		return ctx.Err()
	}
}
func (r *fakeRunner) LastProgress() *stream.Progress { return &stream.Progress{Name: "fake"} }

// TestRunRunner: a Runner that is not a *stream.Query runs with the
// command's flags, monitor (/healthz, /metrics fed by its progress,
// /progress/last) and stop on cancellation; its error is returned.
func TestRunRunner(t *testing.T) {
	c := New("fake")
	c.SetOutput(io.Discard)
	addrc := make(chan string, 1)
	c.onListen = func(addr string) { addrc <- addr }
	ctx, cancel := context.WithCancel(t.Context())
	var r *fakeRunner
	errc := make(chan error, 1)
	go func() {
		errc <- c.RunRunner(ctx, []string{"-http", "127.0.0.1:0"}, func(_ context.Context, env Env) (Runner, error) {
			r = newFakeRunner(env, nil)
			return r, nil
		})
	}()
	addr := <-addrc
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	if code, body := get("/metrics"); code != http.StatusOK || !strings.Contains(body, "streamgen_query_input_rows_total") {
		t.Errorf("/metrics = %d without streamgen_query_input_rows_total", code)
	}
	if code, body := get("/progress/last"); code != http.StatusOK || !strings.Contains(body, `"name": "fake"`) {
		t.Errorf("/progress/last = %d %s", code, body)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if !r.stopped {
		t.Error("the runner was not stopped")
	}

	boom := errors.New("boom")
	quiet := func() *Command { c := New("fake"); c.SetOutput(io.Discard); return c }
	err := quiet().RunRunner(t.Context(), nil, func(_ context.Context, env Env) (Runner, error) {
		return newFakeRunner(env, boom), nil
	})
	if !errors.Is(err, boom) || ExitCode(err) != 1 {
		t.Errorf("failing runner: %v", err)
	}
	if err := quiet().RunRunner(t.Context(), []string{"-bogus"}, nil); ExitCode(err) != 2 {
		t.Errorf("bad flag: %v, want a usage error", err)
	}
}
