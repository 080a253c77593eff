// Package generated holds the generator's golden tests: each
// directory is one case, with its spec (streamgen.yaml), its schemas and
// the committed generated package under want/, which `go build ./...`
// compiles. `go test ./generated_test -update` (or `go generate
// ./generated_test`) rewrites want/; hand-written *_test.go files in
// want/ carry no generated-code marker and are never touched.
package generated

//go:generate go run ../cmd/streamgen generate --omit-version -o agg_modes_delta_append/want agg_modes_delta_append/streamgen.yaml
//go:generate go run ../cmd/streamgen generate --omit-version -o agg_modes_delta_complete/want agg_modes_delta_complete/streamgen.yaml
//go:generate go run ../cmd/streamgen generate --omit-version -o agg_modes_delta_update/want agg_modes_delta_update/streamgen.yaml
//go:generate go run ../cmd/streamgen generate --omit-version -o agg_modes_memory_append/want agg_modes_memory_append/streamgen.yaml
//go:generate go run ../cmd/streamgen generate --omit-version -o agg_modes_memory_complete/want agg_modes_memory_complete/streamgen.yaml
//go:generate go run ../cmd/streamgen generate --omit-version -o agg_modes_memory_update/want agg_modes_memory_update/streamgen.yaml
//go:generate go run ../cmd/streamgen generate --omit-version -o agg_sessions_delta_append/want agg_sessions_delta_append/streamgen.yaml
//go:generate go run ../cmd/streamgen generate --omit-version -o agg_sessions_memory_complete/want agg_sessions_memory_complete/streamgen.yaml
//go:generate go run ../cmd/streamgen generate --omit-version -o aggregates/want aggregates/streamgen.yaml
//go:generate go run ../cmd/streamgen generate --omit-version -o all_types/want all_types/streamgen.yaml
//go:generate go run ../cmd/streamgen generate --omit-version -o console/want console/streamgen.yaml
//go:generate go run ../cmd/streamgen generate --omit-version -o csv_readings/want csv_readings/streamgen.yaml
//go:generate go run ../cmd/streamgen generate --omit-version -o delta_all_types/want delta_all_types/streamgen.yaml
//go:generate go run ../cmd/streamgen generate --omit-version -o delta_counts/want delta_counts/streamgen.yaml
//go:generate go run ../cmd/streamgen generate --omit-version -o delta_source/want delta_source/streamgen.yaml
//go:generate go run ../cmd/streamgen generate --omit-version -o device_status/want device_status/streamgen.yaml
//go:generate go run ../cmd/streamgen generate --omit-version -o events/want events/streamgen.yaml
//go:generate go run ../cmd/streamgen generate --omit-version -o events_delta/want events_delta/streamgen.yaml
//go:generate go run ../cmd/streamgen generate --omit-version -o filters/want filters/streamgen.yaml
//go:generate go run ../cmd/streamgen generate --omit-version -o kafka_agg/want kafka_agg/streamgen.yaml
//go:generate go run ../cmd/streamgen generate --omit-version -o kafka_group/want kafka_group/streamgen.yaml
//go:generate go run ../cmd/streamgen generate --omit-version -o kafka_sink/want kafka_sink/streamgen.yaml
//go:generate go run ../cmd/streamgen generate --omit-version -o kafka_to_kafka/want kafka_to_kafka/streamgen.yaml
//go:generate go run ../cmd/streamgen generate --omit-version -o mapdelta/want mapdelta/streamgen.yaml
//go:generate go run ../cmd/streamgen generate --omit-version -o mapfn/want mapfn/streamgen.yaml
//go:generate go run ../cmd/streamgen generate --omit-version -o partitioned/want partitioned/streamgen.yaml
//go:generate go run ../cmd/streamgen generate --omit-version -o sensor_readings/want sensor_readings/streamgen.yaml
//go:generate go run ../cmd/streamgen generate --omit-version -o windowed_counts/want windowed_counts/streamgen.yaml
