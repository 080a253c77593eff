// Package command is the body of every generated pipeline binary: its
// flags, logging, HTTP monitor, progress bar and signal handling, so that a
// generated cmd/<pipeline>/main.go only declares the pipeline's own flags
// and how to build its query.
//
// A generated main looks like:
//
//	func main() {
//		cfg := devicestatus.DefaultDeviceStatusConfig()
//		c := command.New("device_status")
//		c.StringVar(&cfg.SourcePath, "source-path", "directory of the input files")
//		c.TriggerVar(&cfg.Trigger)
//		c.Main(func(ctx context.Context, env command.Env) (*stream.Query, error) {
//			cfg.Logger, cfg.Listeners = env.Logger, append(cfg.Listeners, env.Listeners...)
//			return devicestatus.NewDeviceStatus(ctx, cfg)
//		})
//	}
//
// Every binary has these flags besides the pipeline's:
//
//   - -http ADDR: serve /progress, /progress/last, /metrics (Prometheus)
//     and /healthz on ADDR (see runtime/monitor);
//   - -log-level debug|info|warn|error and -log-json (log/slog text or JSON
//     lines on standard error);
//   - -progress auto|on|off: the progress bar of an available-now run
//     (auto: only when standard error is a terminal and the trigger is
//     available-now).
//
// SIGINT and SIGTERM stop the query after its current batch; a second
// signal is not needed and not special. Main exits 0 when the query ends
// without an error, 1 when it fails and 2 on a command-line error.
package command

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"

	"github.com/streamgen/streamgen/runtime/monitor"
	"github.com/streamgen/streamgen/runtime/planprint"
	"github.com/streamgen/streamgen/runtime/stream"
	"github.com/streamgen/streamgen/runtime/trigger"
)

// Env is what a Command hands the function building the query.
type Env struct {
	// Logger is the logger the flags configured.
	Logger *slog.Logger
	// Listeners must be registered on the query (the monitor's metrics,
	// the progress bar).
	Listeners []stream.Listener
}

// NewQuery builds the pipeline's query, not started. ctx is done when a
// signal asked the command to stop.
type NewQuery func(ctx context.Context, env Env) (*stream.Query, error)

// Command is a pipeline binary's command line. Create it with New, add
// the pipeline's flags, then call Main (or Run in tests).
type Command struct {
	name     string
	fs       *flag.FlagSet
	trig     *trigger.Trigger
	httpAddr string
	level    slog.Level
	logJSON  bool
	progress string
	stderr   io.Writer
	// isTerminal reports whether stderr is a terminal; replaced in tests.
	isTerminal func() bool
	// onListen is called with the monitor's address once it listens;
	// for tests.
	onListen func(addr string)
}

// New returns the command line of the pipeline named name (the query's
// name), with the common flags registered.
func New(name string) *Command {
	c := &Command{
		name:     name,
		fs:       flag.NewFlagSet(name, flag.ContinueOnError),
		stderr:   os.Stderr,
		progress: "auto",
	}
	c.isTerminal = func() bool { return isTerminal(c.stderr) }
	c.fs.SetOutput(c.stderr)
	c.fs.StringVar(&c.httpAddr, "http", "", "serve /progress, /metrics and /healthz on this address, such as :9090")
	c.fs.TextVar(&c.level, "log-level", slog.LevelInfo, "log level: debug, info, warn or error")
	c.fs.BoolVar(&c.logJSON, "log-json", false, "log JSON lines instead of text")
	c.fs.StringVar(&c.progress, "progress", "auto", "progress bar of an available-now run: auto (on a terminal), on or off")
	return c
}

// SetOutput sets where logs, usage and the progress bar go, instead of
// standard error.
func (c *Command) SetOutput(w io.Writer) {
	c.stderr = w
	c.fs.SetOutput(w)
}

// FlagSet returns the command's flags, for flags beyond StringVar and
// TriggerVar.
func (c *Command) FlagSet() *flag.FlagSet { return c.fs }

// StringVar registers a string flag whose default is *p's current value.
func (c *Command) StringVar(p *string, name, usage string) {
	c.fs.StringVar(p, name, *p, usage)
}

// TriggerVar registers -trigger over *t, whose current value is the
// default: default, once, available-now or an interval such as 10s.
func (c *Command) TriggerVar(t *trigger.Trigger) {
	c.trig = t
	c.fs.TextVar(t, "trigger", *t, "when batches run: default, once, available-now or an interval such as 10s")
}

// errUsage marks command-line errors (exit code 2).
var errUsage = errors.New("usage")

// Main runs the command with the process's arguments until the query
// ends, SIGINT or SIGTERM stopping it after the current batch, and exits
// the process: 0 on success, 1 when the query fails, 2 on a command-line
// error.
func (c *Command) Main(newQuery NewQuery) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := c.Run(ctx, os.Args[1:], newQuery)
	stop()
	os.Exit(ExitCode(err))
}

// ExitCode is the exit code for Run's error: 0 for nil, 2 for a
// command-line error, 1 otherwise.
func ExitCode(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		return 2
	}
	return 1
}

// Run parses args, builds the query and runs it until its trigger ends it
// or ctx is done, which stops it after the current batch (not midway). It
// returns the query's error; a failure is also logged. Run may be called
// once per Command.
func (c *Command) Run(ctx context.Context, args []string, newQuery NewQuery) error {
	bar, help, err := c.parse(args)
	if help || err != nil {
		return err
	}
	logger := c.logger(bar)
	err = c.run(ctx, logger, bar, newQuery)
	c.reportFailure(logger, err)
	return err
}

// reportFailure logs a failed run. A refused pipeline change (a
// *planprint.RefusedError: one line per change, with the way forward) is
// also written to stderr as it is, since a log line would escape its
// lines.
func (c *Command) reportFailure(logger *slog.Logger, err error) {
	if err == nil {
		return
	}
	logger.Error(c.name+" failed", "err", err)
	if refused, ok := errors.AsType[*planprint.RefusedError](err); ok && refused != nil {
		fmt.Fprintln(c.stderr, err) // it names the pipeline already
	}
}

// parse parses args and decides whether to show the progress bar; help
// is true when -h asked for the usage (already printed).
func (c *Command) parse(args []string) (bar, help bool, err error) {
	if err := c.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return false, true, nil
		}
		return false, false, fmt.Errorf("%w: %w", errUsage, err)
	}
	if c.fs.NArg() > 0 {
		fmt.Fprintf(c.stderr, "%s: unexpected arguments: %q\n", c.name, c.fs.Args())
		c.fs.Usage()
		return false, false, fmt.Errorf("%w: unexpected arguments %q", errUsage, c.fs.Args())
	}
	bar, err = c.wantProgressBar()
	if err != nil {
		fmt.Fprintf(c.stderr, "%s: %v\n", c.name, err)
		return false, false, fmt.Errorf("%w: %w", errUsage, err)
	}
	return bar, false, nil
}

// run is Run after the flags.
func (c *Command) run(ctx context.Context, logger *slog.Logger, bar bool, newQuery NewQuery) error {
	env := Env{Logger: logger}
	var metrics *monitor.Metrics
	if c.httpAddr != "" {
		metrics = monitor.NewMetrics()
		env.Listeners = append(env.Listeners, metrics)
	}
	if bar {
		env.Listeners = append(env.Listeners, newProgressBar(c.stderr))
	}
	q, err := newQuery(ctx, env)
	if err != nil {
		return err
	}
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
			if err := monitor.ServeListener(sctx, ln, monitor.Handler(q, metrics)); err != nil {
				logger.Error("http server failed", "err", err)
			}
		}()
		defer func() { cancel(); <-done }()
	}
	// Not ctx: cancelling Start's context interrupts a batch midway.
	if err := q.Start(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		logger.Info("stopping after the current batch")
		q.Stop()
	case <-q.Done():
	}
	return q.AwaitTermination(context.WithoutCancel(ctx))
}

// wantProgressBar says whether the run shows a progress bar, from
// -progress, the trigger and the terminal.
func (c *Command) wantProgressBar() (bool, error) {
	availableNow := c.trig != nil && c.trig.Kind() == trigger.KindAvailableNow
	switch c.progress {
	case "off":
		return false, nil
	case "on":
		return true, nil
	case "auto":
		return availableNow && c.isTerminal(), nil
	}
	return false, fmt.Errorf("-progress %q: want auto, on or off", c.progress)
}

// logger returns the logger the flags ask for. With a progress bar on
// the same terminal, only warnings and errors are logged, so that log
// lines do not tear the bar.
func (c *Command) logger(bar bool) *slog.Logger {
	level := c.level
	if bar && level < slog.LevelWarn && !c.levelSet() {
		level = slog.LevelWarn
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(c.stderr, opts)
	if c.logJSON {
		h = slog.NewJSONHandler(c.stderr, opts)
	}
	return slog.New(h)
}

// levelSet reports whether -log-level was given.
func (c *Command) levelSet() bool {
	set := false
	c.fs.Visit(func(f *flag.Flag) {
		if f.Name == "log-level" {
			set = true
		}
	})
	return set
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
