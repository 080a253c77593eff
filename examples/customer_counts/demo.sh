#!/usr/bin/env bash
# demo.sh is what `make demo` runs for the customer_counts example: the
# internet orders Delta table of ../orders_stream read as a stream and
# counted per customer into a Delta table in complete mode, through the
# built binaries, as a user would run them.
#
#  1. builds the streamgen CLI (bin/streamgen);
#  2. regenerates the customercounts package from its spec with it (the
#     committed code is what it generates: `make check-generated`);
#  3. builds the pipeline's binary (bin/customer-counts) and the orders
#     example's order generator (bin/ordergen), both static, no cgo;
#  4. appends 5 commits of 200 orders to the Delta table
#     tables/internetorders with ordergen;
#  5. runs the pipeline with -trigger available-now: the table's snapshot,
#     then it stops;
#  6. prints the output table tables/customer_counts (one row per
#     customer, the busiest first) and its history;
#  7. appends 2 more commits of orders, an UPDATE commit (placed orders of
#     the newest file marked paid) and an OPTIMIZE commit;
#  8. runs the pipeline again: it resumes from its checkpoint, reads only
#     the new orders (the UPDATE is skipped, skipChangeCommits: its orders
#     were counted once already; OPTIMIZE changes no data) and replaces the
#     table with the new counts.
#
# Run it again: the directory is recreated, so the output is the same
# (but for ids and times). Environment: GO (default go), OUT (default
# demo-out/customer_counts).
set -euo pipefail

GO=${GO:-go}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out=${OUT:-demo-out/customer_counts}
bin=$root/bin

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "build the streamgen CLI"
CGO_ENABLED=0 "$GO" build -o "$bin/streamgen" ./cmd/streamgen

step "generate the customer_counts pipeline from examples/customer_counts/streamgen.yaml"
(cd examples/customer_counts/customercounts && "$bin/streamgen" generate --omit-version -o . ../streamgen.yaml)

if [ ! -d examples/customer_counts/customercounts/cmd/customer-counts ]; then
	echo "this streamgen generates only the records of Delta-source specs, no pipeline binary yet: skipping the customer_counts demo"
	exit 0
fi

step "build its binary and the order generator of examples/orders_stream"
CGO_ENABLED=0 "$GO" build -o "$bin/customer-counts" ./examples/customer_counts/customercounts/cmd/customer-counts
CGO_ENABLED=0 "$GO" build -o "$bin/ordergen" ./examples/orders_stream/ordergen/cmd/ordergen

rm -rf "$out"
mkdir -p "$out"
orders=$out/tables/internetorders
table=$out/tables/customer_counts

# show prints the table's busiest customers (then by id) and its size.
show() {
	"$bin/streamgen" table show --format csv "$table" >"$out/table.csv"
	head -1 "$out/table.csv"
	tail -n +2 "$out/table.csv" | sort -t, -k2,2nr -k1,1 | head -n 8
	echo "... $(($(wc -l <"$out/table.csv") - 1)) customers, $(tail -n +2 "$out/table.csv" | awk -F, '{ n += $2 } END { print n }') orders (the whole table: $out/table.csv)"
}

step "append 5 commits of 200 orders to $orders"
"$bin/ordergen" -table "$orders" -commits 5 -orders 200 -seed 1

step "run the pipeline: customer-counts -trigger available-now (in $out)"
(cd "$out" && "$bin/customer-counts" -trigger available-now)

step "the table, busiest customers first: streamgen table show --format csv $table"
show
step "its history: streamgen table history $table"
"$bin/streamgen" table history --limit 3 "$table"

step "2 more commits of orders, an UPDATE (placed orders of the newest file paid) and an OPTIMIZE"
"$bin/ordergen" -table "$orders" -commits 2 -orders 200 -seed 1 -update -optimize
"$bin/streamgen" table history --limit 4 "$orders"

step "the pipeline again: it resumes from its checkpoint, skipping the UPDATE and the OPTIMIZE"
(cd "$out" && "$bin/customer-counts" -trigger available-now)
show
"$bin/streamgen" table history --limit 2 "$table"
echo "done: $out"
