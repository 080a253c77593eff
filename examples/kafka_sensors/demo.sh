#!/usr/bin/env bash
# demo.sh is what `make demo` runs for the kafka_sensors example: sensor
# readings published to a Kafka topic, streamed into a bronze Delta table,
# through the built binaries, as a user would run them.
#
#  1. builds the streamgen CLI (bin/streamgen);
#  2. regenerates the kafkasensors package from its spec with it (the
#     committed code is what it generates: `make check-generated`);
#  3. builds the pipeline's binary (bin/kafka-sensors) and the sample-data
#     producer (bin/kafka-sensors-producer), both static, no cgo;
#  4. starts the producer with -serve on a free port: it runs an in-process
#     Kafka cluster (franz-go's kfake) with the topic sensor-readings in 3
#     partitions, writes 2,000 readings keyed by device (2% malformed)
#     and keeps serving;
#  5. runs the pipeline with -kafka-brokers (that cluster) and -trigger
#     available-now: every record in the topic now, then it stops;
#  6. prints the table (its size, rows), its history and the quarantined
#     records with their Kafka origin (topic/partition and offset);
#  7. produces 500 more readings and runs the pipeline again: it resumes
#     from its checkpoint and reads only those;
#  8. stops the producer's cluster.
#
# Run it again: the directory is recreated, so the output is the same
# (but for ids and times). Environment: GO (default go), OUT (default
# demo-out/kafka_sensors).
set -euo pipefail

GO=${GO:-go}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out=${OUT:-demo-out/kafka_sensors}
bin=$root/bin

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "build the streamgen CLI"
CGO_ENABLED=0 "$GO" build -o "$bin/streamgen" ./cmd/streamgen

step "generate the kafka_sensors pipeline from examples/kafka_sensors/streamgen.yaml"
(cd examples/kafka_sensors/kafkasensors && "$bin/streamgen" generate --omit-version -o . ../streamgen.yaml)

if [ ! -d examples/kafka_sensors/kafkasensors/cmd/kafka-sensors ]; then
	echo "this streamgen generates only the records and decoders of Kafka specs, no pipeline binary yet: skipping the kafka_sensors demo"
	exit 0
fi

step "build its binary and the producer"
CGO_ENABLED=0 "$GO" build -o "$bin/kafka-sensors" ./examples/kafka_sensors/kafkasensors/cmd/kafka-sensors
CGO_ENABLED=0 "$GO" build -o "$bin/kafka-sensors-producer" ./examples/kafka_sensors/producer/cmd/producer

rm -rf "$out"
mkdir -p "$out"

step "start a Kafka cluster in the producer, write 2000 readings (2% malformed) to sensor-readings"
producer_pid=
cleanup() {
	if [ -n "$producer_pid" ] && kill -0 "$producer_pid" 2>/dev/null; then
		kill -TERM "$producer_pid" 2>/dev/null || true
		wait "$producer_pid" 2>/dev/null || true
	fi
}
trap cleanup EXIT
"$bin/kafka-sensors-producer" -serve 127.0.0.1:0 -partitions 3 -count 2000 -rate 0 -malformed 0.02 -seed 1 \
	-ready "$out/brokers" &
producer_pid=$!
for _ in $(seq 300); do
	[ -s "$out/brokers" ] && break
	kill -0 "$producer_pid" 2>/dev/null || { echo "the producer exited"; exit 1; }
	sleep 0.1
done
[ -s "$out/brokers" ] || { echo "the producer's cluster did not come up in 30s"; exit 1; }
brokers=$(cat "$out/brokers")

step "run the pipeline: kafka-sensors -kafka-brokers $brokers -trigger available-now"
(cd "$out" && "$bin/kafka-sensors" -kafka-brokers "$brokers" -trigger available-now)

table=$out/tables/sensor_readings_bronze
step "the table: streamgen table describe / show $table"
"$bin/streamgen" table describe "$table" | grep -E '^(version|files|records):'
"$bin/streamgen" table show --limit 10 "$table"

step "its history: streamgen table history $table"
"$bin/streamgen" table history --limit 5 "$table"

step "the quarantined records (file = kafka:<topic>/<partition>, offset): streamgen table show $table/_quarantine"
"$bin/streamgen" table show --limit 10 --format jsonl "$table/_quarantine"
"$bin/streamgen" table describe "$table/_quarantine" | grep -E '^records:'

step "500 more readings, then the pipeline again: it resumes from its checkpoint"
"$bin/kafka-sensors-producer" -brokers "$brokers" -first 2000 -count 500 -rate 0 -malformed 0.02 -seed 1
(cd "$out" && "$bin/kafka-sensors" -kafka-brokers "$brokers" -trigger available-now)
"$bin/streamgen" table describe "$table" | grep -E '^(version|records):'
"$bin/streamgen" table history --limit 2 "$table"

step "stop the producer's Kafka cluster"
cleanup
producer_pid=
echo "done: $out"
