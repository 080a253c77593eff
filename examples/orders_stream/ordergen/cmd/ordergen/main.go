// Command ordergen writes internet orders into a Delta table for the
// orders_stream and customer_counts examples: append commits of new
// orders, then optionally an UPDATE commit (orders marked paid: a data
// file removed and its rewrite added, dataChange=true, as Spark's UPDATE
// does) and an OPTIMIZE commit (dataChange=false).
//
// Usage:
//
//	go run ./examples/orders_stream/ordergen/cmd/ordergen [-table tables/internetorders]
//	    [-commits 5] [-orders 200] [-seed 1] [-customers 25] [-first -1]
//	    [-update] [-optimize]
//
// Order n is the same for the same -seed; a run continues after the
// orders the table holds (its txn action "ordergen"), or at -first. With
// -update the orders still placed among the newest -orders ones are
// marked paid. -table may be a path or an s3://, gs:// or azblob:// URL.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/streamgen/streamgen/examples/orders_stream/ordergen"
	"github.com/streamgen/streamgen/runtime/storage"
	_ "github.com/streamgen/streamgen/runtime/storage/cloud"
)

func main() {
	var cfg ordergen.Config
	table := flag.String("table", "tables/internetorders", "the Delta table of orders: a directory or an object store URL")
	flag.IntVar(&cfg.Commits, "commits", 5, "append commits")
	flag.IntVar(&cfg.PerCommit, "orders", 200, "orders per append commit (and the newest orders -update covers)")
	flag.Uint64Var(&cfg.Seed, "seed", 1, "seed of the orders: the same seed gives the same orders")
	flag.IntVar(&cfg.Customers, "customers", 25, "number of customers, cust-001 …")
	flag.Int64Var(&cfg.First, "first", -1, "number of the first order (-1: after the orders in the table)")
	flag.BoolVar(&cfg.Update, "update", false, "then mark the placed orders among the newest -orders ones paid (an UPDATE commit)")
	flag.BoolVar(&cfg.Optimize, "optimize", false, "then compact the table's small files (an OPTIMIZE commit)")
	flag.Parse()
	if flag.NArg() > 0 || cfg.Commits < 0 || cfg.PerCommit < 1 || cfg.Customers < 1 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	store, err := storage.OpenURL(ctx, *table)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ordergen: %v\n", err)
		os.Exit(1)
	}
	res, err := ordergen.Run(ctx, store, cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ordergen: %v\n", err)
		os.Exit(1)
	}
	if len(res.Appends) > 0 {
		fmt.Printf("appended orders %s … %s to %s in %d commits (versions %d-%d)\n",
			ordergen.OrderID(res.First), ordergen.OrderID(res.Next-1), *table, len(res.Appends), res.Appends[0], res.Appends[len(res.Appends)-1])
	}
	if cfg.Update {
		if res.UpdateVersion < 0 {
			fmt.Println("update: no placed order among the newest ones, nothing committed")
		} else {
			fmt.Printf("version %d: UPDATE marked %d placed orders of %s … %s paid, rewriting %d file(s) (%d rows copied)\n",
				res.UpdateVersion, res.Updated, ordergen.OrderID(res.UpdateFrom), ordergen.OrderID(res.UpdateTo-1), res.UpdatedFiles, res.Copied)
		}
	}
	if cfg.Optimize {
		if res.OptimizeVersion < 0 {
			fmt.Println("optimize: nothing to compact")
		} else {
			fmt.Printf("version %d: OPTIMIZE compacted the small files\n", res.OptimizeVersion)
		}
	}
}
