// Command schemagen writes schemas/pipeline.schema.json, the JSON Schema
// of streamgen pipeline specs, from the Go types of gen/spec and their doc
// comments (github.com/invopop/jsonschema). It runs from gen/spec with
// `go generate` (make generate); main_test.go fails when the committed
// file is stale.
//
//	go run ./internal/schemagen -o ../../schemas/pipeline.schema.json
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/invopop/jsonschema"

	"github.com/streamgen/streamgen/gen/spec"
)

const specPkg = "github.com/streamgen/streamgen/gen/spec"

func main() {
	out := flag.String("o", "", "output file (default standard output)")
	src := flag.String("src", ".", "directory of the gen/spec sources (for doc comments)")
	flag.Parse()
	b, err := Generate(*src)
	if err != nil {
		fmt.Fprintln(os.Stderr, "schemagen:", err)
		os.Exit(1)
	}
	if *out == "" {
		os.Stdout.Write(b)
		return
	}
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "schemagen:", err)
		os.Exit(1)
	}
}

// Generate returns the schema; specDir is the gen/spec source directory.
func Generate(specDir string) ([]byte, error) {
	r := &jsonschema.Reflector{
		BaseSchemaID: "https://github.com/streamgen/streamgen/schemas",
		Mapper:       mapType,
	}
	if err := r.AddGoComments(specPkg, specDir, jsonschema.WithFullComment()); err != nil {
		return nil, err
	}
	// AddGoComments keys comments by base joined with the directory
	// walked; make the keys of specDir's files the package path, whatever
	// directory we run from, and unwrap comment lines into paragraphs.
	dirKey := path.Join(specPkg, filepath.ToSlash(specDir))
	fixed := map[string]string{}
	for k, v := range r.CommentMap {
		if rest, ok := strings.CutPrefix(k, dirKey+"."); ok {
			k = specPkg + "." + rest
		} else if strings.HasPrefix(k, dirKey+"/") {
			continue
		}
		fixed[k] = unwrap(v)
	}
	r.CommentMap = fixed
	s := r.Reflect(&spec.Pipeline{})
	s.ID = "https://github.com/streamgen/streamgen/schemas/pipeline.schema.json"
	s.Title = "streamgen pipeline spec"
	unionSelectItem(s)
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.Write(b)
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

var durationPattern = `^([0-9]+d)?([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))*$`

// unwrap joins the lines of each paragraph of a doc comment, keeping
// indented (code) lines as they are.
func unwrap(doc string) string {
	lines := strings.Split(doc, "\n")
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			prev := lines[i-1]
			switch {
			case l == "" || prev == "" || strings.HasPrefix(l, "\t") || strings.HasPrefix(prev, "\t") || strings.HasPrefix(l, "  "):
				b.WriteByte('\n')
			default:
				b.WriteByte(' ')
			}
		}
		b.WriteString(l)
	}
	return strings.TrimSpace(b.String())
}

// mapType gives the schema of spec types written as YAML scalars or
// mappings of their own.
func mapType(t reflect.Type) *jsonschema.Schema {
	switch t {
	case reflect.TypeFor[spec.Duration]():
		return &jsonschema.Schema{Type: "string", Pattern: durationPattern,
			Description: `A duration: "500ms", "10s", "5m", "1h", "7d", "1d12h".`}
	case reflect.TypeFor[spec.Size]():
		return &jsonschema.Schema{
			Description: `A size in bytes: an integer, or a number and unit ("64KiB", "128MiB", "1GB").`,
			OneOf: []*jsonschema.Schema{
				{Type: "integer", Minimum: json.Number("0")},
				{Type: "string", Pattern: `^[0-9]+ ?(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?$`},
			},
		}
	case reflect.TypeFor[spec.Time]():
		return &jsonschema.Schema{
			Description: `An instant: RFC 3339 ("2024-01-31T10:00:00Z"), a date ("2024-01-31") or epoch milliseconds.`,
			OneOf: []*jsonschema.Schema{
				{Type: "string"},
				{Type: "integer"},
			},
		}
	case reflect.TypeFor[spec.Version]():
		return &jsonschema.Schema{
			Description: "A table version, or latest.",
			OneOf: []*jsonschema.Schema{
				{Type: "integer", Minimum: json.Number("0")},
				{Type: "string", Enum: []any{"latest"}},
			},
		}
	case reflect.TypeFor[spec.KafkaOffsets]():
		return &jsonschema.Schema{
			Description: "earliest, latest, or topic → partition → offset (-2 earliest, -1 latest).",
			OneOf: []*jsonschema.Schema{
				{Type: "string", Enum: []any{"earliest", "latest"}},
				{Type: "object", AdditionalProperties: &jsonschema.Schema{
					Type:                 "object",
					AdditionalProperties: &jsonschema.Schema{Type: "integer", Minimum: json.Number("-2")},
				}},
			},
		}
	case reflect.TypeFor[spec.Aggregates]():
		return &jsonschema.Schema{
			Type:        "object",
			Description: "Output field → aggregate call: count(), count(f), sum(f), min(f), max(f), avg(f), first(f), last(f), count_distinct(f), approx_count_distinct(f).",
			AdditionalProperties: &jsonschema.Schema{
				Type:    "string",
				Pattern: `^\s*(count|sum|min|max|avg|first|last|count_distinct|approx_count_distinct)\s*\(\s*[A-Za-z_][A-Za-z0-9_]*\s*\)\s*$|^\s*count\s*\(\s*\)\s*$`,
			},
		}
	}
	return nil
}

// unionSelectItem lets a select item also be a plain field name.
func unionSelectItem(s *jsonschema.Schema) {
	def, ok := s.Definitions["SelectItem"]
	if !ok {
		return
	}
	obj := *def
	obj.Description = ""
	s.Definitions["SelectItem"] = &jsonschema.Schema{
		Description: def.Description,
		OneOf: []*jsonschema.Schema{
			{Type: "string", Description: "A field name, kept as is."},
			&obj,
		},
	}
}
