#!/usr/bin/env bash
# demo.sh is what `make demo` runs for the orders_stream example: a Delta
# table of internet orders read as a stream, counted per minute into
# another Delta table, through the built binaries, as a user would run
# them.
#
#  1. builds the streamgen CLI (bin/streamgen);
#  2. regenerates the ordersstream package from its spec with it (the
#     committed code is what it generates: `make check-generated`);
#  3. builds the pipeline's binary (bin/orders-stream) and the order
#     generator (bin/ordergen), both static, no cgo;
#  4. appends 5 commits of 200 orders to the Delta table
#     tables/internetorders with ordergen and prints its history;
#  5. runs the pipeline with -trigger available-now: the table's snapshot,
#     then it stops;
#  6. prints the output table tables/orders_per_minute (one row per minute
#     the watermark has passed: the newest minutes wait for later orders)
#     and its history;
#  7. appends 2 more commits of orders, then an UPDATE commit (the placed
#     orders of the newest file marked paid: the file removed, its rewrite
#     added) and an OPTIMIZE commit, and prints the source's history;
#  8. runs the pipeline again: it resumes from its checkpoint, reads only
#     the new orders (the UPDATE is skipped, skipChangeCommits: its orders
#     were counted once already; OPTIMIZE changes no data) and appends the
#     minutes the watermark has now passed.
#
# Run it again: the directory is recreated, so the output is the same
# (but for ids and times). Environment: GO (default go), OUT (default
# demo-out/orders_stream).
set -euo pipefail

GO=${GO:-go}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out=${OUT:-demo-out/orders_stream}
bin=$root/bin

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "build the streamgen CLI"
CGO_ENABLED=0 "$GO" build -o "$bin/streamgen" ./cmd/streamgen

step "generate the orders_stream pipeline from examples/orders_stream/streamgen.yaml"
(cd examples/orders_stream/ordersstream && "$bin/streamgen" generate --omit-version -o . ../streamgen.yaml)

if [ ! -d examples/orders_stream/ordersstream/cmd/orders-stream ]; then
	echo "this streamgen generates only the records of Delta-source specs, no pipeline binary yet: skipping the orders_stream demo"
	exit 0
fi

step "build its binary and the order generator"
CGO_ENABLED=0 "$GO" build -o "$bin/orders-stream" ./examples/orders_stream/ordersstream/cmd/orders-stream
CGO_ENABLED=0 "$GO" build -o "$bin/ordergen" ./examples/orders_stream/ordergen/cmd/ordergen

rm -rf "$out"
mkdir -p "$out"
orders=$out/tables/internetorders
table=$out/tables/orders_per_minute

step "append 5 commits of 200 orders to $orders"
"$bin/ordergen" -table "$orders" -commits 5 -orders 200 -seed 1
"$bin/streamgen" table show --limit 3 "$orders"
"$bin/streamgen" table history "$orders"

step "run the pipeline: orders-stream -trigger available-now (in $out)"
(cd "$out" && "$bin/orders-stream" -trigger available-now)

# show prints the header, the first $1 and the last $2 minutes of the table
# (amount is a double: rounded to the cent here), and sets rows to its size.
rows=0
show() {
	"$bin/streamgen" table show --format csv "$table" >"$out/table.csv"
	head -1 "$out/table.csv"
	tail -n +2 "$out/table.csv" | sort | awk -F, -v OFS=, '{ $4 = sprintf("%.2f", $4) } 1' >"$out/sorted.csv"
	if [ "$1" -gt 0 ]; then head -n "$1" "$out/sorted.csv"; echo "..."; fi
	tail -n "$2" "$out/sorted.csv"
	rows=$(wc -l <"$out/sorted.csv" | tr -d ' ')
	echo "$rows rows, one per minute of orderTime (the whole table: $out/table.csv)"
}
step "the table, by minute: streamgen table show --format csv $table"
show 3 2
step "its history: streamgen table history $table"
"$bin/streamgen" table history --limit 3 "$table"

step "2 more commits of orders, an UPDATE (placed orders of the newest file paid) and an OPTIMIZE"
"$bin/ordergen" -table "$orders" -commits 2 -orders 200 -seed 1 -update -optimize
"$bin/streamgen" table history --limit 4 "$orders"

step "the pipeline again: it resumes from its checkpoint, skipping the UPDATE and the OPTIMIZE"
(cd "$out" && "$bin/orders-stream" -trigger available-now)
before=$rows
"$bin/streamgen" table show --format csv "$table" >"$out/table.csv"
echo "the minutes this run appended: those the first run held back, and the new orders' (but the newest):"
show 0 $(($(wc -l <"$out/table.csv") - 1 - before))
"$bin/streamgen" table history --limit 3 "$table"
echo "done: $out"
