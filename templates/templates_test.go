package templates

import (
	"encoding/json"
	"go/parser"
	"go/token"
	"strings"
	"testing"
)

func TestRender(t *testing.T) {
	d := Data{Name: "action_counts", Record: "ActionCountsEvent", Package: "actioncounts"}
	for _, f := range Files(d) {
		out, err := Render(f.Template, d)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.HasSuffix(f.Path, ".json"):
			if !json.Valid(out) || !strings.Contains(string(out), `"title": "ActionCountsEvent"`) {
				t.Errorf("%s:\n%s", f.Path, out)
			}
		case strings.HasSuffix(f.Path, ".go"):
			file, err := parser.ParseFile(token.NewFileSet(), f.Path, out, parser.ParseComments)
			if err != nil || file.Name.Name != "actioncounts" {
				t.Errorf("%s: %v\n%s", f.Path, err, out)
			}
		case strings.HasSuffix(f.Path, ".yaml"):
			if !strings.Contains(string(out), "name: action_counts\n") || !strings.Contains(string(out), "schema: ../schemas/action_counts.json\n") {
				t.Errorf("%s:\n%s", f.Path, out)
			}
		}
	}
	if _, err := Render("missing.tmpl", d); err == nil {
		t.Error("Render of a missing template succeeded")
	}
}
