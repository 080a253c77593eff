# streamgen — developer commands. `make test` is the one test command; CI
# (.ci/run) runs lint, check-generated and test on a fresh clone.

GO        ?= go
GOFLAGS   ?=
BIN       := bin
# The whole suite must stay well under 15 minutes on 2 noisy cores.
TEST_TIMEOUT ?= 14m
# The race detector runs in every `make test` (the suite takes ~30 s with it);
# RACE= turns it off, e.g. where no C compiler is installed.
RACE ?= -race
BENCH_TIME   ?= 2s

.PHONY: all build test bench generate check-generated demo demo-events demo-live demo-table lint fuzz clean interop-setup interop minio-setup emulators-setup

all: lint build test

## build: compile every package and the streamgen binary (static, no cgo).
build:
	CGO_ENABLED=0 $(GO) build $(GOFLAGS) ./...
	CGO_ENABLED=0 $(GO) build $(GOFLAGS) -o $(BIN)/streamgen ./cmd/streamgen

## test: unit, conformance (../shared), concurrency, crash, interop and fuzz-seed tests.
test:
	$(GO) test $(GOFLAGS) $(RACE) -count=1 -timeout $(TEST_TIMEOUT) ./...

## interop-setup: install DuckDB for Node (npm ci, pinned by package-lock.json)
## for the Delta interop test; without it that test skips.
interop-setup:
	npm ci --prefix runtime/delta/interop/duckdb --no-audit --no-fund

## interop: DuckDB reads the Delta tables we write (needs interop-setup).
interop:
	STREAMGEN_REQUIRE_DUCKDB=1 $(GO) test $(GOFLAGS) -count=1 -run DuckDB ./runtime/delta/

## bench: throughput and latency benchmarks (figures go in README.md).
## The end-to-end benchmarks (./bench: decode, Parquet write, pipeline in
## process and as a binary, DuckDB one-thread baseline when make interop-setup
## installed it; 10M events in 5,000 files) run each stage once
## (an iteration is seconds long); BenchmarkWindowedCount counts the same
## events per action and 1-hour window (and a 1M-group dataset for the
## state's bytes per group) in process, as a binary and with DuckDB;
## STREAMGEN_BENCH_RSS_BYTES=1G adds the peak-RSS run over 1 GB of input.
bench:
	$(GO) test $(GOFLAGS) -run '^$$' -bench . -benchmem -benchtime $(BENCH_TIME) ./runtime/...
	$(GO) test $(GOFLAGS) -run '^$$' -bench . -benchtime 1x -count 1 -timeout 20m ./bench/...

## generate: regenerate every generated file (go generate ./...).
generate:
	$(GO) generate ./...

## check-generated: fail if `make generate` changes anything tracked or adds files.
check-generated: generate
	@git diff --exit-code || { echo "generated files are stale: run 'make generate' and commit"; exit 1; }
	@test -z "$$(git status --porcelain --untracked-files=all)" || { git status --porcelain --untracked-files=all; echo "make generate created untracked files"; exit 1; }

## demo: the examples as a user runs them: build streamgen, generate, build
## the pipeline binary, write sample files, run it with -trigger available-now,
## then print the Delta table and its history. First iot_status (device-status
## files -> Delta append, with the quarantined lines; demo-out/iot_status), then
## action_counts (door events -> 1-hour windowed counts, complete mode, on the
## state store; demo-out/action_counts), then kafka_sensors (readings produced
## to an in-process Kafka cluster -> bronze Delta table, with the quarantined
## records; demo-out/kafka_sensors), then orders_stream and customer_counts
## (a Delta table of orders, appended to and updated, read as a stream ->
## per-minute counts appended / per-customer counts in complete mode;
## demo-out/orders_stream, demo-out/customer_counts).
demo:
	GO=$(GO) bash examples/iot_status/demo.sh
	GO=$(GO) bash examples/action_counts/demo.sh
	GO=$(GO) bash examples/kafka_sensors/demo.sh
	GO=$(GO) bash examples/orders_stream/demo.sh
	GO=$(GO) bash examples/customer_counts/demo.sh

## demo-events: the action_counts demo alone.
demo-events:
	GO=$(GO) bash examples/action_counts/demo.sh

## demo-live: the same pipeline in process with the default trigger: the
## table queried while files trickle in, then Stop (demo-out/iot_status-live).
demo-live:
	$(GO) run ./examples/iot_status/demo -dir demo-out/iot_status-live

## demo-table: the Delta table layer alone: write, optimize, show (demo-out/tabledemo).
demo-table:
	$(GO) run ./examples/tabledemo

## lint: gofmt and go vet.
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## fuzz: run each fuzz target briefly (seeds alone run in `make test`).
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParseAction$$' -fuzztime 30s ./runtime/delta
	$(GO) test -run '^$$' -fuzz '^FuzzLastCheckpoint$$' -fuzztime 30s ./runtime/delta
	$(GO) test -run '^$$' -fuzz '^FuzzParseCheckpoint$$' -fuzztime 30s ./runtime/delta
	$(GO) test -run '^$$' -fuzz '^FuzzScanner$$' -fuzztime 30s ./runtime/streamimpl
	$(GO) test -run '^$$' -fuzz '^FuzzEventDecoder$$' -fuzztime 30s ./runtime/streamimpl/internal/decodetest
	$(GO) test -run '^$$' -fuzz '^FuzzSensorReadingDecoder$$' -fuzztime 30s ./runtime/streamimpl/internal/decodetest
	$(GO) test -run '^$$' -fuzz '^FuzzLoadSchema$$' -fuzztime 30s -fuzzminimizetime 3s ./gen/load
	$(GO) test -run '^$$' -fuzz '^FuzzLoadSpec$$' -fuzztime 30s -fuzzminimizetime 3s ./gen/load
	$(GO) test -run '^$$' -fuzz '^FuzzBuildRecords$$' -fuzztime 30s -fuzzminimizetime 3s ./gen/ir
	$(GO) test -run '^$$' -fuzz '^FuzzBinaryReader$$' -fuzztime 30s ./runtime/streamimpl
	$(GO) test -run '^$$' -fuzz '^FuzzStateDecode$$' -fuzztime 30s ./generated_test/events/want
	$(GO) test -run '^$$' -fuzz '^FuzzStateDecode$$' -fuzztime 30s ./generated_test/aggregates/want
	$(GO) test -run '^$$' -fuzz '^FuzzParseOffsetSeq$$' -fuzztime 30s ./runtime/checkpoint
	$(GO) test -run '^$$' -fuzz '^FuzzParseCommit$$' -fuzztime 30s ./runtime/checkpoint
	$(GO) test -run '^$$' -fuzz '^FuzzNextStart$$' -fuzztime 30s ./runtime/trigger

clean:
	rm -rf $(BIN) demo-out

## minio-setup: build the pinned MinIO (runtime/storage/miniotest) into
## ~/.cache/streamgen (once: about 4.5 minutes cold) and run the object-store
## contract tests on it. The tests build it themselves when needed; this
## only does it up front.
minio-setup:
	CI=true $(GO) test -count=1 -run 'TestObjectStoreContractMinIO$$' ./runtime/storage/objstore/

## emulators-setup: build the pinned GCS emulator fake-gcs-server
## (runtime/storage/gcstest, from the Go module proxy) and install the pinned
## Azure emulator Azurite (runtime/storage/azuritest, npm ci) into
## ~/.cache/streamgen (once: about 1.5 and 1 minutes cold, side by side), and
## run the GCS and Azure contract tests on them. The tests install them
## themselves when needed; this only does it up front.
emulators-setup:
	CI=true $(GO) test -count=1 -run 'TestContract(FakeGCS|Azurite)$$' ./runtime/storage/gcsstore/ ./runtime/storage/azurestore/
