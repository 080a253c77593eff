package gen

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/gen/diag"
)

// project writes a small module with a schema and a spec, and returns its
// directory.
func project(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const eventSchema = `{
  "title": "Event",
  "type": "object",
  "properties": {
    "time": {"type": "integer", "x-streamgen-timestamp": "epoch-seconds"},
    "action": {"type": "string"}
  },
  "required": ["time", "action"]
}
`

const eventSpec = `name: action_log
source:
  files: {path: data/events, schema: ../schemas/event.json}
sink:
  delta: {path: tables/actions}
checkpoint: checkpoints/actions
`

func TestGenerate(t *testing.T) {
	dir := project(t, map[string]string{
		"go.mod":                    "module example.com/shop // the shop\n\ngo 1.26\n",
		"schemas/event.json":        eventSchema,
		"pipelines/action_log.yaml": eventSpec,
	})
	// As from //go:generate in internal/actionlog: paths relative to it.
	pkgDir := filepath.Join(dir, "internal", "actionlog")
	out, err := Generate(context.Background(), Config{Dir: pkgDir, Specs: []string{"../../pipelines/action_log.yaml"}, OmitVersion: true})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range out.Files {
		paths = append(paths, f.Path)
	}
	if diff := cmp.Diff([]string{"action_log_pipeline.go", "cmd/action-log/main.go", "event.go", "event_decode.go", "event_encode.go", "streamgen.go"}, paths); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	// Sources are module-relative wherever generate runs.
	for _, f := range out.Files {
		want := "// source: schemas/event.json\n"
		pkg := "\npackage actionlog\n"
		switch f.Path {
		case "streamgen.go", "action_log_pipeline.go":
			want = "// source: pipelines/action_log.yaml\n"
		case "cmd/action-log/main.go":
			want, pkg = "// source: pipelines/action_log.yaml\n", "\npackage main\n"
		}
		if got := string(f.Content); !strings.Contains(got, "DO NOT EDIT.\n"+want) || !strings.Contains(got, pkg) {
			t.Errorf("%s starts:\n%.200s", f.Path, got)
		}
	}
	// The same run from the module root gives the same bytes.
	out2, err := Generate(context.Background(), Config{Dir: dir, Specs: []string{"pipelines/action_log.yaml"}, OutDir: "internal/actionlog", OmitVersion: true})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(out, out2); diff != "" {
		t.Errorf("output depends on the working directory (-from package +from root):\n%s", diff)
	}
}

func contains(s, sub string) bool {
	return len(sub) == 0 || len(s) >= len(sub) && (s[:len(sub)] == sub || contains(s[1:], sub))
}

func TestGenerateDiagnostics(t *testing.T) {
	dir := project(t, map[string]string{
		"go.mod":             "module example.com/shop\n",
		"schemas/event.json": `{"title": "Event", "type": "object", "properties": {"device_id": {"type": "string"}, "deviceId": {"type": "string"}}}`,
		"pipelines/a.yaml":   eventSpec,
	})
	_, err := Generate(context.Background(), Config{Dir: filepath.Join(dir, "pipelines"), Specs: []string{"a.yaml"}})
	var dl diag.List
	if !errors.As(err, &dl) {
		t.Fatalf("Generate = %v, want diagnostics", err)
	}
	var files []string
	for _, d := range dl {
		files = append(files, d.Pos.File)
	}
	// Positions are relative to Dir.
	if diff := cmp.Diff([]string{"../schemas/event.json", "../schemas/event.json"}, files); diff != "" {
		t.Errorf("diagnostic files (-want +got):\n%s\n%v", diff, dl)
	}
}

func TestModulePath(t *testing.T) {
	for in, want := range map[string]string{
		"module example.com/a\n":            "example.com/a",
		"// c\nmodule \"example.com/b\"\n":  "example.com/b",
		"module example.com/c // comment\n": "example.com/c",
		"go 1.26\n":                         "",
	} {
		if got := modulePath([]byte(in)); got != want {
			t.Errorf("modulePath(%q) = %q, want %q", in, got, want)
		}
	}
}
