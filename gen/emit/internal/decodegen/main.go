// Command decodegen writes the generated JSON decoders and test record
// structs of runtime/streamimpl/internal/decodetest, where the decoders'
// differential fuzz tests and benchmarks live. It runs from that
// package's go:generate line:
//
//	go run ../../../../gen/emit/internal/decodegen -o .
//
// For each record it writes <record>.go (struct, from decodefixture) and
// <record>_decode.go (emit.Decoder).
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/streamgen/streamgen/gen/emit"
	"github.com/streamgen/streamgen/gen/emit/internal/decodefixture"
	"github.com/streamgen/streamgen/gen/plan"
)

func main() {
	out := flag.String("o", ".", "output directory")
	pkg := flag.String("pkg", "decodetest", "package name")
	flag.Parse()
	if err := run(*out, *pkg); err != nil {
		fmt.Fprintln(os.Stderr, "decodegen:", err)
		os.Exit(1)
	}
}

// run writes the files of the event and sensor reading records to dir.
func run(dir, pkg string) error {
	for _, r := range []*plan.Record{decodefixture.Event(), decodefixture.SensorReading()} {
		base := snake(r.GoName)
		for name, decls := range map[string][]jen.Code{
			base + ".go":        decodefixture.Struct(r),
			base + "_decode.go": emit.Decoder(r),
		} {
			src, err := decodefixture.Render(pkg, decls)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if err := os.WriteFile(filepath.Join(dir, name), src, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

var upper = regexp.MustCompile(`([a-z0-9])([A-Z])`)

// snake turns "SensorReading" into "sensor_reading".
func snake(s string) string { return strings.ToLower(upper.ReplaceAllString(s, "${1}_${2}")) }
