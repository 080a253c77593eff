// Command datagen writes the iot_status example's sample data: JSON lines
// files of device statuses {"device":"Dev1","status":"ok"}.
//
// Usage:
//
//	go run ./examples/iot_status/datagen/cmd/datagen [-dir data/input] [-files 10]
//	    [-first 1] [-lines 4] [-devices 5] [-seed 1] [-malformed 0] [-interval 0]
//
// It writes files status-<first>.json … in order, each under a hidden
// temporary name then renamed into place (the files source never reads a
// half-written file), waiting -interval between files to trickle them in.
// The same -seed gives the same files; -first continues an earlier run.
// Files 1 … -malformed hold one malformed line each, which the pipeline
// quarantines.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/streamgen/streamgen/examples/iot_status/datagen"
)

func main() {
	dir := flag.String("dir", "data/input", "directory to write the files into")
	files := flag.Int("files", 10, "number of files")
	first := flag.Int("first", 1, "number of the first file")
	var o datagen.Options
	flag.IntVar(&o.Lines, "lines", 4, "valid readings per file")
	flag.IntVar(&o.Devices, "devices", 5, "number of devices, Dev1 … DevN")
	flag.Uint64Var(&o.Seed, "seed", 1, "seed of the random readings")
	flag.IntVar(&o.Malformed, "malformed", 0, "files 1 … N hold one malformed line each")
	interval := flag.Duration("interval", 0, "wait between files, such as 500ms")
	flag.Parse()
	if flag.NArg() > 0 || *files < 0 || *first < 1 || o.Lines < 1 || o.Devices < 1 || o.Malformed < 0 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	fs := o.Files(*first, *files)
	if err := datagen.WriteAll(ctx, *dir, fs, *interval); err != nil {
		fmt.Fprintf(os.Stderr, "datagen: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("wrote %d files to %s\n", len(fs), *dir)
}
