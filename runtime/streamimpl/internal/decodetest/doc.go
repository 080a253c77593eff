// Package decodetest holds generated JSON decoders for the events and
// sensor reading records (written by gen/emit/internal/decodegen through
// emit.Decoder) and their differential fuzz tests against encoding/json
// plus an independent schema validator, and the benchmarks that compare
// them with encoding/json (and encoding/json/v2 under
// GOEXPERIMENT=jsonv2). `make bench` runs the benchmarks; `make test`
// runs the fuzz seeds.
package decodetest

//go:generate go run ../../../../gen/emit/internal/decodegen -o .
