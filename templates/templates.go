// Package templates holds the non-Go scaffolds `streamgen init NAME`
// writes: a JSON Schema, a pipeline spec and the gen.go whose
// //go:generate line runs the generator. They are text/template files
// over [Data]; Go code proper is never text-templated (the generator emits
// it with jennifer).
package templates

import (
	"bytes"
	"embed"
	"fmt"
	"text/template"
)

//go:embed *.tmpl
var files embed.FS

// Data is what the templates are executed with.
type Data struct {
	// Name is the pipeline's name, snake case ("action_counts").
	Name string
	// Record is the name of the schema's record ("ActionCountsEvent").
	Record string
	// Package is the generated package's name and directory under
	// internal/ ("actioncounts").
	Package string
}

// File is one scaffold file: where it goes (slash-separated, relative to
// the project directory) and the template it comes from.
type File struct {
	Path     string
	Template string
}

// Files returns the scaffold of a pipeline, in the order init writes it.
func Files(d Data) []File {
	return []File{
		{Path: "schemas/" + d.Name + ".json", Template: "schema.json.tmpl"},
		{Path: "pipelines/" + d.Name + ".yaml", Template: "pipeline.yaml.tmpl"},
		{Path: "internal/" + d.Package + "/gen.go", Template: "gen.go.tmpl"},
	}
}

// Render executes the named template with d.
func Render(name string, d Data) ([]byte, error) {
	t, err := template.New(name).Option("missingkey=error").ParseFS(files, name)
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, d); err != nil {
		return nil, fmt.Errorf("templates: %s: %w", name, err)
	}
	return buf.Bytes(), nil
}
