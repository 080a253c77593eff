package load

import (
	"strings"
	"testing"
)

// A second YAML document in a spec used to be ignored silently (the
// pipeline after "---" never generated); it is an error at its first
// line. A trailing "---" or "..." with nothing after it is fine.
func TestReviewSpecMultiDocument(t *testing.T) {
	for _, tt := range []struct{ src, want string }{
		{actionCounts + "---\nname: other\n", "p.yaml:16:1: a spec holds one YAML document (one pipeline); this is a second one: put each pipeline in its own file"},
		{actionCounts + "---\nname: [\n", "p.yaml:16: invalid YAML:"},
		{actionCounts + "---\n", ""},
		{"---\n" + actionCounts + "...\n", ""},
	} {
		_, diags := ParseSpec("p.yaml", []byte(tt.src))
		got := diags.Error()
		if tt.want == "" && len(diags) > 0 || !strings.HasPrefix(got, tt.want) {
			t.Errorf("ParseSpec(%q) diagnostics:\n%s\nwant:\n%s", tt.src, got, tt.want)
		}
	}
}

// Merge keys get an error saying so, not "unknown key".
func TestReviewSpecMergeKey(t *testing.T) {
	src := "name: a\nsource:\n  files:\n    <<: {path: data}\n    schema: s.json\nsink:\n  memory: {name: m}\n"
	_, diags := ParseSpec("p.yaml", []byte(src))
	if got := diags.Error(); !strings.Contains(got, "p.yaml:4:5: source.files: YAML merge keys (<<) are not supported") {
		t.Errorf("diagnostics:\n%s", got)
	}
}
