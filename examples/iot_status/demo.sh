#!/usr/bin/env bash
# demo.sh is what `make demo` runs: the iot_status example from a fresh
# clone, as a user would run it, through the built binaries.
#
#  1. builds the streamgen CLI (bin/streamgen);
#  2. regenerates the iot_status package from its spec with it (the
#     committed code is what it generates: `make check-generated`);
#  3. builds the pipeline's binary (bin/iot-status, static, no cgo);
#  4. writes 20 device-status files (four with a malformed line) with the
#     sample-data generator into demo-out/iot_status/data/input;
#  5. runs the pipeline with -trigger available-now: every file there now,
#     one per micro-batch (maxFilesPerTrigger: 1), then it stops (a
#     progress bar on a terminal);
#  6. prints the Delta table, its history and the quarantined lines
#     (streamgen table show / history).
#
# Run it again: the directory is recreated, so the output is the same.
# Environment: GO (default go), OUT (default demo-out/iot_status).
set -euo pipefail

GO=${GO:-go}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out=${OUT:-demo-out/iot_status}
bin=$root/bin

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "build the streamgen CLI"
CGO_ENABLED=0 "$GO" build -o "$bin/streamgen" ./cmd/streamgen

step "generate the iot_status pipeline from examples/iot_status/pipeline.yaml"
(cd examples/iot_status/iotstatus && "$bin/streamgen" generate --omit-version -o . ../pipeline.yaml)

step "build its binary"
CGO_ENABLED=0 "$GO" build -o "$bin/iot-status" ./examples/iot_status/iotstatus/cmd/iot-status

step "write 20 files of device readings (4 with a malformed line) into $out/data/input"
rm -rf "$out"
mkdir -p "$out"
"$GO" run ./examples/iot_status/datagen/cmd/datagen -dir "$out/data/input" -files 20 -malformed 4 -seed 1
ls "$out/data/input" | head -3
echo "... $(ls "$out/data/input" | wc -l | tr -d ' ') files"

step "run the pipeline: iot-status -trigger available-now"
(cd "$out" && "$bin/iot-status" -trigger available-now)

table=$out/data/tables/iot_status
step "the table: streamgen table show $table"
"$bin/streamgen" table show --limit 10 "$table"

step "its history: streamgen table history $table"
"$bin/streamgen" table history --limit 5 "$table"

step "the quarantined lines: streamgen table show $table/_quarantine"
"$bin/streamgen" table show --format jsonl "$table/_quarantine"
