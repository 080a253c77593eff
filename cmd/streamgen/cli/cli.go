// Package cli implements the streamgen command line. [Main] takes the
// arguments and the standard streams, so tests run the whole command
// in-process with buffers; cmd/streamgen's main only calls it.
//
// Exit status: 0 on success, 1 for a user or data error (a path that is
// not a table, a corrupt log, a failed commit), 2 for a usage error (an
// unknown command or flag, a bad flag value, a missing argument).
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
)

// Exit statuses returned by [Main].
const (
	ExitOK    = 0 // success
	ExitError = 1 // user or data error
	ExitUsage = 2 // usage error
)

const usageText = `streamgen generates typed streaming pipelines that write Delta Lake tables,
and inspects and maintains Delta tables.

Usage:

	streamgen <command> [arguments]

Commands:

	generate    generate Go code from pipeline specs
	check       check pipeline specs and their schemas, and whether a changed
	            pipeline can restart on its checkpoint and table
	diff        report generated files that are stale
	init        scaffold a new pipeline
	ir          dump the validated pipeline model as JSON
	table       inspect and maintain Delta tables (show, describe, history,
	            optimize, vacuum)
	version     print the streamgen version
	help        print help for a command

Run 'streamgen help <command>' for details on a command.
`

// commandUsage maps each generator command to its usage text.
var commandUsage = map[string]string{
	"generate": generateUsage,
	"check":    checkUsage,
	"diff":     diffUsage,
	"init":     initUsage,
	"ir":       irUsage,
}

// Main runs the streamgen command line with args (without the program
// name), reading stdin and writing stdout and stderr, and returns the exit
// status: [ExitOK], [ExitError] or [ExitUsage]. It holds no global state:
// every call builds what it needs.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &command{stdin: stdin, stdout: stdout, stderr: stderr}
	return c.run(context.Background(), args)
}

// command carries the streams of one Main call.
type command struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

func (c *command) run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(c.stderr, usageText)
		return ExitUsage
	}
	switch cmd := args[0]; cmd {
	case "help", "-h", "-help", "--help":
		return c.help(args[1:])
	case "version", "-version", "--version":
		return c.version(args[1:])
	case "table":
		return c.table(ctx, args[1:])
	case "generate":
		return c.generate(ctx, args[1:])
	case "check":
		return c.check(ctx, args[1:])
	case "diff":
		return c.diff(ctx, args[1:])
	case "init":
		return c.init(args[1:])
	case "ir":
		return c.ir(ctx, args[1:])
	default:
		fmt.Fprintf(c.stderr, "streamgen: unknown command %q\n\n", cmd)
		fmt.Fprint(c.stderr, usageText)
		return ExitUsage
	}
}

// help prints the usage of the command named by args, or the overview.
func (c *command) help(args []string) int {
	if len(args) == 0 {
		fmt.Fprint(c.stdout, usageText)
		return ExitOK
	}
	topic := strings.Join(args, " ")
	switch topic {
	case "help":
		fmt.Fprint(c.stdout, usageText)
		return ExitOK
	case "version":
		fmt.Fprint(c.stdout, versionUsage)
		return ExitOK
	case "table":
		fmt.Fprint(c.stdout, tableUsage)
		return ExitOK
	}
	if sub, ok := strings.CutPrefix(topic, "table "); ok {
		if u, ok := tableSubUsage[sub]; ok {
			fmt.Fprint(c.stdout, u)
			return ExitOK
		}
	}
	if u, ok := commandUsage[topic]; ok {
		fmt.Fprint(c.stdout, u)
		return ExitOK
	}
	fmt.Fprintf(c.stderr, "streamgen help: unknown help topic %q; run 'streamgen help'\n", topic)
	return ExitUsage
}

const versionUsage = `Usage: streamgen version

Print the streamgen version, the Go version it was built with, and the
platform.
`

func (c *command) version(args []string) int {
	fs := newFlagSet("version")
	if code, done := c.parse(fs, "version", versionUsage, args, nil); done {
		return code
	}
	v := "(devel)"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		v = bi.Main.Version
	}
	fmt.Fprintf(c.stdout, "streamgen %s %s %s/%s\n", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return ExitOK
}

// newFlagSet returns a flag set that reports nothing itself: parse prints
// errors and usage in streamgen's form.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parse parses args with fs, allowing flags before and after positional
// arguments (streamgen table show PATH --limit 5). A "--" ends the flags:
// everything after it is positional. The positional arguments are
// appended to *pos when pos is not nil; otherwise any is a usage error.
// done reports that the command must return code: after -h (usage on
// stdout, exit 0) or a usage error (message and usage on stderr, exit 2).
func (c *command) parse(fs *flag.FlagSet, name, usage string, args []string, pos *[]string) (code int, done bool) {
	var positional []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(c.stdout, usage)
			return ExitOK, true
		}
		if err != nil {
			return c.usageError(name, usage, err.Error()), true
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	if pos == nil {
		if len(positional) > 0 {
			return c.usageError(name, usage, fmt.Sprintf("unexpected argument %q", positional[0])), true
		}
		return 0, false
	}
	*pos = append(*pos, positional...)
	return 0, false
}

// usageError prints "streamgen <name>: <msg>" and the command's usage on
// stderr and returns [ExitUsage].
func (c *command) usageError(name, usage, msg string) int {
	fmt.Fprintf(c.stderr, "streamgen %s: %s\n\n%s", name, msg, usage)
	return ExitUsage
}

// flagsSet returns the names of the flags given on the command line.
func flagsSet(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}
