// Command datagen writes door events like the classic Structured
// Streaming demo's files: JSON lines {"time":1469501675,"action":"Open"},
// for the action_counts, late_events and sliding_window examples.
//
// Usage:
//
//	go run ./examples/action_counts/datagen/cmd/datagen [-dir data/events]
//	    [-files 50] [-first 0] [-events 2000] [-start 2016-07-26T02:45:07Z]
//	    [-span 1h] [-late 0] [-late-by 30m] [-seed 1] [-interval 0]
//
// It writes files events-<first>.json … in order, each under a hidden
// temporary name then renamed into place (the files source never reads a
// half-written file), waiting -interval between files to trickle them in
// (without one, modification times are set a second apart in file order).
// File n covers -span of event time from -start + n·span, in time order,
// except the -late percent of events moved back by up to -late-by. The
// same -seed gives the same files; -first continues an earlier run.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/streamgen/streamgen/examples/action_counts/datagen"
)

func main() {
	dir := flag.String("dir", "data/events", "directory to write the files into")
	files := flag.Int("files", 50, "number of files")
	first := flag.Int("first", 0, "number of the first file")
	start := flag.String("start", datagen.DefaultStart.Format(time.RFC3339), "event time of the first file's start (RFC 3339)")
	var o datagen.Options
	flag.IntVar(&o.Events, "events", 2000, "events per file")
	flag.DurationVar(&o.Span, "span", time.Hour, "event time covered by a file")
	flag.IntVar(&o.Late, "late", 0, "percentage of late events (0-100)")
	flag.DurationVar(&o.LateBy, "late-by", 30*time.Minute, "how far back a late event goes at most")
	flag.Uint64Var(&o.Seed, "seed", 1, "seed of the random events")
	interval := flag.Duration("interval", 0, "wait between files, such as 500ms")
	flag.Parse()
	st, err := time.Parse(time.RFC3339, *start)
	if err != nil || flag.NArg() > 0 || *files < 0 || *first < 0 || o.Events < 1 || o.Span < time.Second ||
		o.Late < 0 || o.Late > 100 || o.LateBy < time.Second {
		flag.Usage()
		os.Exit(2)
	}
	o.Start = st.Truncate(time.Second)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	fs := o.Files(*first, *files)
	if err := datagen.WriteAll(ctx, *dir, fs, *interval); err != nil {
		fmt.Fprintf(os.Stderr, "datagen: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("wrote %d files to %s\n", len(fs), *dir)
}
