package command

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/streamgen/streamgen/runtime/monitor"
	"github.com/streamgen/streamgen/runtime/stream"
)

// Runner is a pipeline run other than a micro-batch *stream.Query, such
// as a process of a Kafka consumer group (runtime/kafkagroup): it runs
// from Start until its trigger ends it, Stop (which lets the batch in
// hand finish) or an error. *stream.Query satisfies it.
type Runner interface {
	Start(ctx context.Context) error
	Stop()
	Done() <-chan struct{}
	AwaitTermination(ctx context.Context) error
}

// NewRunner builds the pipeline's runner, not started. ctx is done when a
// signal asked the command to stop. The runner should register
// env.Listeners and hand them a stream.Progress per batch.
type NewRunner func(ctx context.Context, env Env) (Runner, error)

// MainRunner is Main for a Runner: the same flags, logging, signals and
// exit codes. A Runner that is a *stream.Query gets the full monitor;
// another one gets, with -http, /healthz, /metrics (from the progress it
// hands to env.Listeners) and, when it has a LastProgress method,
// /progress/last.
func (c *Command) MainRunner(newRunner NewRunner) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := c.RunRunner(ctx, os.Args[1:], newRunner)
	stop()
	os.Exit(ExitCode(err))
}

// RunRunner is Run for a Runner. A *stream.Query is run as Run runs it.
func (c *Command) RunRunner(ctx context.Context, args []string, newRunner NewRunner) error {
	bar, help, err := c.parse(args)
	if help || err != nil {
		return err
	}
	logger := c.logger(bar)
	var other Runner
	var metrics *monitor.Metrics
	err = c.run(ctx, logger, bar, func(ctx context.Context, env Env) (*stream.Query, error) {
		for _, l := range env.Listeners {
			if m, ok := l.(*monitor.Metrics); ok {
				metrics = m
			}
		}
		r, err := newRunner(ctx, env)
		if err != nil {
			return nil, err
		}
		if q, ok := r.(*stream.Query); ok {
			return q, nil
		}
		other = r
		return nil, errNotAQuery
	})
	if other != nil {
		err = c.runRunner(ctx, logger, other, metrics)
	}
	c.reportFailure(logger, err)
	return err
}

// errNotAQuery ends run, before it starts anything, when the runner is
// not a *stream.Query.
var errNotAQuery = errors.New("not a stream query")

// runRunner runs a Runner that is not a *stream.Query until it ends or
// ctx is done, which stops it after its current batch.
func (c *Command) runRunner(ctx context.Context, logger *slog.Logger, r Runner, metrics *monitor.Metrics) error {
	if c.httpAddr != "" {
		ln, err := net.Listen("tcp", c.httpAddr)
		if err != nil {
			return fmt.Errorf("%s: monitor: %w", c.name, err)
		}
		logger.Info("serving the monitor", "addr", ln.Addr().String())
		if c.onListen != nil {
			c.onListen(ln.Addr().String())
		}
		sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := monitor.ServeListener(sctx, ln, runnerHandler(r, metrics)); err != nil {
				logger.Error("http server failed", "err", err)
			}
		}()
		defer func() { cancel(); <-done }()
	}
	if err := r.Start(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		logger.Info("stopping after the current batch")
		r.Stop()
	case <-r.Done():
	}
	return r.AwaitTermination(context.WithoutCancel(ctx))
}

// runnerHandler serves /healthz, /metrics and /progress/last for a
// Runner that is not a *stream.Query.
func runnerHandler(r Runner, m *monitor.Metrics) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		var err error
		select {
		case <-r.Done():
			err = r.AwaitTermination(context.Background())
		default:
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	if m != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(m.Registry(), promhttp.HandlerOpts{}))
	}
	if lp, ok := r.(interface{ LastProgress() *stream.Progress }); ok {
		mux.HandleFunc("GET /progress/last", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			_ = enc.Encode(lp.LastProgress())
		})
	}
	return mux
}
