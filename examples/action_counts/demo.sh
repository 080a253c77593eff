#!/usr/bin/env bash
# demo.sh: the action_counts example from a fresh clone, as a user would
# run it, through the built binaries.
#
#  1. builds the streamgen CLI (bin/streamgen);
#  2. regenerates the actioncounts package from its spec with it (the
#     committed code is what it generates: `make check-generated`);
#  3. builds the pipeline's binary (bin/action-counts, static, no cgo);
#  4. writes 50 files of 2,000 door events, an hour of event time each,
#     with the sample-data generator into demo-out/action_counts/data/events;
#  5. runs the pipeline with -trigger available-now: every file there now,
#     one per micro-batch (maxFilesPerTrigger: 1), each batch replacing the
#     table with the whole result (complete mode), then it stops;
#  6. prints the Delta table sorted by window and action, and its history
#     (streamgen table show / history).
#
# Run it again: the directory is recreated, so the output is the same.
# Environment: GO (default go), OUT (default demo-out/action_counts).
set -euo pipefail

GO=${GO:-go}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out=${OUT:-demo-out/action_counts}
bin=$root/bin

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "build the streamgen CLI"
CGO_ENABLED=0 "$GO" build -o "$bin/streamgen" ./cmd/streamgen

step "generate the action_counts pipeline from examples/action_counts/pipeline.yaml"
(cd examples/action_counts/actioncounts && "$bin/streamgen" generate --omit-version -o . ../pipeline.yaml)

step "build its binary"
CGO_ENABLED=0 "$GO" build -o "$bin/action-counts" ./examples/action_counts/actioncounts/cmd/action-counts

step "write 50 files of door events into $out/data/events"
rm -rf "$out"
mkdir -p "$out"
"$GO" run ./examples/action_counts/datagen/cmd/datagen -dir "$out/data/events" -files 50 -seed 1
ls "$out/data/events" | head -3
echo "... $(ls "$out/data/events" | wc -l | tr -d ' ') files; the first lines:"
head -3 "$out/data/events/events-00000.json"

step "run the pipeline: action-counts -trigger available-now"
(cd "$out" && "$bin/action-counts" -trigger available-now)

table=$out/data/tables/action_counts
step "the table, sorted by window and action: streamgen table show --format csv $table"
"$bin/streamgen" table show --format csv "$table" >"$out/table.csv"
head -1 "$out/table.csv"
tail -n +2 "$out/table.csv" | sort -t, -k2,2 -k1,1 | head -12
echo "... $(($(wc -l <"$out/table.csv") - 1)) rows (one per action and hour); the whole table: $out/table.csv"

step "its history: streamgen table history $table"
"$bin/streamgen" table history --limit 5 "$table"
