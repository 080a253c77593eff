package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/streamgen/streamgen/gen"
	"github.com/streamgen/streamgen/templates"
)

const initUsage = `Usage: streamgen init NAME

Scaffold a pipeline named NAME (lowercase letters, digits and underscores,
starting with a letter) in the current directory:

	schemas/NAME.json          JSON Schema of its records ({"time","action"})
	pipelines/NAME.yaml        pipeline spec: JSON files → Delta table
	internal/PACKAGE/gen.go    the //go:generate line running streamgen

where PACKAGE is NAME without underscores. Existing files are never
overwritten: if any of the three exists, nothing is written (exit status
1). Then edit the schema and the spec, and run 'go generate ./...'.
`

// pipelineName is the grammar of a pipeline's name in a spec.
var pipelineName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

func (c *command) init(args []string) int {
	flags := newFlagSet("init")
	var pos []string
	if code, done := c.parse(flags, "init", initUsage, args, &pos); done {
		return code
	}
	switch {
	case len(pos) == 0:
		return c.usageError("init", initUsage, "missing NAME")
	case len(pos) > 1:
		return c.usageError("init", initUsage, fmt.Sprintf("unexpected argument %q after NAME", pos[1]))
	case !pipelineName.MatchString(pos[0]):
		return c.usageError("init", initUsage, fmt.Sprintf("invalid NAME %q: want lowercase letters, digits and underscores, starting with a letter", pos[0]))
	}
	name := pos[0]
	d := templates.Data{Name: name, Record: gen.GoName(name) + "Event", Package: gen.PackageName(name)}
	files := templates.Files(d)
	var exist []string
	contents := make([][]byte, len(files))
	for i, f := range files {
		if _, err := os.Stat(filepath.FromSlash(f.Path)); err == nil {
			exist = append(exist, f.Path)
		} else if !errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(c.stderr, "streamgen init: %v\n", err)
			return ExitError
		}
		data, err := templates.Render(f.Template, d)
		if err != nil {
			fmt.Fprintf(c.stderr, "streamgen: internal error: %v\n", err)
			return ExitError
		}
		contents[i] = data
	}
	if len(exist) > 0 {
		fmt.Fprintf(c.stderr, "streamgen init: not overwriting existing %s: %s\n", plural(len(exist), "file", "files"), strings.Join(exist, ", "))
		return ExitError
	}
	for i, f := range files {
		p := filepath.FromSlash(f.Path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			fmt.Fprintf(c.stderr, "streamgen init: %v\n", err)
			return ExitError
		}
		if err := os.WriteFile(p, contents[i], 0o644); err != nil {
			fmt.Fprintf(c.stderr, "streamgen init: %v\n", err)
			return ExitError
		}
		fmt.Fprintf(c.stdout, "created %s\n", f.Path)
	}
	fmt.Fprintf(c.stdout, "\nNext: edit the schema and the spec, then run 'go generate ./internal/%s'.\n", d.Package)
	return ExitOK
}
