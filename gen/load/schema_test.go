package load

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/gen/diag"
)

func diagLines(l diag.List) []string {
	var out []string
	for _, d := range l {
		out = append(out, d.String())
	}
	return out
}

const nested = `{
  "type": "object",
  "properties": {
    "b": {"type": "string"},
    "a": {
      "type": "object",
      "properties": {
        "deep": {
          "type": "string",
          "format": "date-time"
        }
      }
    }
  },
  "required": ["b", "a"]
}
`

func TestSchemaPositions(t *testing.T) {
	f, diags := ParseSchema("s/x.json", "schemas/x.json", []byte(nested))
	if len(diags) != 0 {
		t.Fatal(diags)
	}
	type posCase struct {
		ptr        string
		key, value string
	}
	got := []posCase{}
	for _, ptr := range []string{"", "/type", "/properties", "/properties/b", "/properties/a/properties/deep/format", "/required/1", "/nope/deeper"} {
		got = append(got, posCase{ptr, f.Pos(ptr).String(), f.ValuePos(ptr).String()})
	}
	want := []posCase{
		{"", "schemas/x.json:1:1", "schemas/x.json:1:1"},
		{"/type", "schemas/x.json:2:3", "schemas/x.json:2:11"},
		{"/properties", "schemas/x.json:3:3", "schemas/x.json:3:17"},
		{"/properties/b", "schemas/x.json:4:5", "schemas/x.json:4:10"},
		{"/properties/a/properties/deep/format", "schemas/x.json:10:11", "schemas/x.json:10:21"},
		{"/required/1", "schemas/x.json:15:21", "schemas/x.json:15:21"},
		{"/nope/deeper", "schemas/x.json:1:1", "schemas/x.json:1:1"},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(posCase{})); diff != "" {
		t.Errorf("positions (-want +got):\n%s", diff)
	}
	var keys []string
	for _, m := range f.Node("/properties").Members {
		keys = append(keys, m.Key)
	}
	if diff := cmp.Diff([]string{"b", "a"}, keys); diff != "" {
		t.Errorf("property order (-want +got):\n%s", diff)
	}
	if f.Draft != Draft2020 || !f.Root || len(f.MetaErrors) != 0 {
		t.Errorf("Draft=%q Root=%v MetaErrors=%v", f.Draft, f.Root, f.MetaErrors)
	}
}

func TestSchemaPositionsMultibyte(t *testing.T) {
	// Columns count bytes (go/token), and escapes decode.
	src := "{\"title\": \"é\\u00e9\", \"type\": \"object\"}"
	f, diags := ParseSchema("x.json", "x.json", []byte(src))
	if len(diags) != 0 {
		t.Fatal(diags)
	}
	if got := f.Node("/title").Str; got != "éé" {
		t.Errorf("title = %q", got)
	}
	if got := f.Pos("/type").String(); got != "x.json:1:23" {
		t.Errorf("pos of type = %s", got)
	}
}

func TestPointerPath(t *testing.T) {
	for ptr, want := range map[string]string{
		"":                                      "",
		"/properties/time/format":               "properties.time.format",
		"/required/0":                           "required[0]",
		"/properties/items/type":                "properties.items.type",
		"/properties/x/items/enum/2":            "properties.x.items.enum[2]",
		"/properties/a.b/type":                  `properties["a.b"].type`,
		"/properties/a~1b":                      `properties["a/b"]`,
		"/$defs/Location/properties/lat":        "$defs.Location.properties.lat",
		"/properties/x/anyOf/1/type":            "properties.x.anyOf[1].type",
		"/properties/enum":                      "properties.enum",
		"/properties/0":                         "properties.0",
		"/properties/x/type/1":                  "properties.x.type[1]",
		"/properties/device id/x-streamgen-foo": `properties["device id"].x-streamgen-foo`,
	} {
		if got := PointerPath(ptr); got != want {
			t.Errorf("PointerPath(%q) = %q, want %q", ptr, got, want)
		}
	}
}

func TestParseSchemaErrors(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"empty", "  \n", []string{"x.json:1:1: empty file: a schema must be a JSON object"}},
		{"syntax", "{\n  \"type\": \"object\",\n  \"properties\": {,}\n}", []string{
			"x.json:3:18: invalid JSON: invalid character ',' looking for beginning of object key string"}},
		{"eof", "{\"type\": \"object\"", []string{"x.json:1:18: invalid JSON: unexpected end of file"}},
		{"trailing", "{}\n{}", []string{"x.json:2:1: invalid JSON: unexpected data after the top-level value"}},
		{"duplicate key", "{\"type\": \"object\",\n \"type\": \"string\"}", []string{`x.json:2:2: type: duplicate key "type"`}},
		{"draft-04", `{"$schema": "http://json-schema.org/draft-04/schema#"}`, []string{
			`x.json:1:13: $schema: unsupported $schema "http://json-schema.org/draft-04/schema#": streamgen reads JSON Schema draft 2020-12 and draft-07` +
				"\n\t" + `use "https://json-schema.org/draft/2020-12/schema" (the default) or "http://json-schema.org/draft-07/schema#"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := ParseSchema("x.json", "x.json", []byte(tt.src))
			if diff := cmp.Diff(tt.want, diagLines(diags)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestDraftAndMetaErrors(t *testing.T) {
	f, diags := ParseSchema("x.json", "x.json", []byte(`{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": 5,
  "type": "object",
  "properties": {"a": {"type": "strng"}},
  "required": ["a", "a"]
}`))
	if len(diags) != 0 {
		t.Fatal(diags)
	}
	if f.Draft != Draft07 {
		t.Errorf("Draft = %q", f.Draft)
	}
	want := []MetaError{
		{"/properties/a/type", "value must be one of 'array', 'boolean', 'integer', 'null', 'number', 'object', 'string'"},
		{"/required", "items at 0 and 1 are equal"},
		{"/title", "got number, want string"},
	}
	if diff := cmp.Diff(want, f.MetaErrors); diff != "" {
		t.Errorf("MetaErrors (-want +got):\n%s", diff)
	}
}

func TestResolveRef(t *testing.T) {
	f := &SchemaFile{Name: "schemas/event.json", Path: "../schemas/event.json"}
	tests := []struct {
		ref     string
		want    RefTarget
		wantErr string
	}{
		{ref: "#/$defs/Location", want: RefTarget{"schemas/event.json", "../schemas/event.json", "/$defs/Location"}},
		{ref: "#", want: RefTarget{"schemas/event.json", "../schemas/event.json", ""}},
		{ref: "common.json#/$defs/Location", want: RefTarget{"schemas/common.json", "../schemas/common.json", "/$defs/Location"}},
		{ref: "sub/loc.json", want: RefTarget{"schemas/sub/loc.json", "../schemas/sub/loc.json", ""}},
		{ref: "#/$defs/a~1b%20c", want: RefTarget{"schemas/event.json", "../schemas/event.json", "/$defs/a~1b c"}},
		{ref: "https://example.com/x.json", wantErr: `remote $ref "https://example.com/x.json" is not supported: streamgen reads schemas only from files (use a path relative to this file, such as "common.json#/$defs/Location")`},
		{ref: "//example.com/x.json", wantErr: `remote $ref "//example.com/x.json" is not supported: streamgen reads schemas only from files (use a path relative to this file, such as "common.json#/$defs/Location")`},
		{ref: "#loc", wantErr: `$ref "#loc": anchors are not supported (use a JSON Pointer such as "#/$defs/loc")`},
		{ref: "/abs.json", wantErr: `$ref "/abs.json": absolute paths are not supported (use a path relative to this file)`},
		{ref: "../../x.json", wantErr: `$ref "../../x.json": ../../x.json is outside the directory tree schemas are loaded from`},
		{ref: "#/a~2", wantErr: `invalid $ref "#/a~2": bad escape in JSON Pointer "/a~2"`},
	}
	for _, tt := range tests {
		got, err := ResolveRef(f, tt.ref)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("ResolveRef(%q) error = %v, want %s", tt.ref, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ResolveRef(%q): %v", tt.ref, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ResolveRef(%q) = %+v, want %+v", tt.ref, got, tt.want)
		}
	}
}

func TestLoadSchemas(t *testing.T) {
	fsys := fstest.MapFS{
		"schemas/order.json": {Data: []byte(`{"type": "object", "properties": {
			"ship": {"$ref": "common.json#/$defs/Location"},
			"bill": {"$ref": "sub/bill.json"},
			"gone": {"$ref": "missing.json"},
			"web":  {"$ref": "https://example.com/x.json"},
			"ex":   {"type": "string", "examples": [{"$ref": "notfollowed.json"}]}}}`)},
		"schemas/common.json":   {Data: []byte(`{"$defs": {"Location": {"type": "object", "properties": {"lat": {"type": "number"}}}}}`)},
		"schemas/sub/bill.json": {Data: []byte(`{"type": "object", "properties": {"to": {"$ref": "../common.json#/$defs/Location"}}}`)},
	}
	files, diags := LoadSchemas(fsys, []SchemaSource{{Name: "schemas/order.json", Display: "x/schemas/order.json"}})
	if len(diags) != 0 {
		t.Fatal(diags)
	}
	type row struct {
		Name, Path string
		Root       bool
		Loaded     bool
		Err        string
	}
	var got []row
	for _, f := range files {
		r := row{f.Name, f.Path, f.Root, f.Doc != nil, ""}
		if f.LoadErr != nil {
			r.Err = f.LoadErr.Error()
		}
		got = append(got, r)
	}
	want := []row{
		{"schemas/common.json", "x/schemas/common.json", false, true, ""},
		{"schemas/missing.json", "x/schemas/missing.json", false, false, "file does not exist"},
		{"schemas/order.json", "x/schemas/order.json", true, true, ""},
		{"schemas/sub/bill.json", "x/schemas/sub/bill.json", false, true, ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	_, diags = LoadSchemas(fsys, []SchemaSource{{Name: "schemas/nope.json"}})
	if diff := cmp.Diff([]string{"schemas/nope.json: cannot read schema: file does not exist"}, diagLines(diags)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// FuzzLoadSchema checks that parsing never panics, and that the syntax
// tree of every valid document holds exactly what encoding/json reads,
// with positions inside the file.
func FuzzLoadSchema(f *testing.F) {
	for _, s := range []string{nested, `{"a":[1,2,{"b":null}],"c":true}`, `"x"`, `[`, `{"$schema":"http://json-schema.org/draft-07/schema#"}`, "{\"\\ud800\":1}", "{\"a\xff\":1}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		fsys := fstest.MapFS{"x.json": {Data: src}}
		sf, diags := LoadSchema(fsys, "x.json", "x.json")
		for _, d := range diags {
			if !d.Pos.IsValid() {
				t.Fatalf("diagnostic without a line: %v", d)
			}
		}
		if sf == nil || sf.Doc == nil {
			return
		}
		var want any
		dec := json.NewDecoder(bytes.NewReader(src))
		dec.UseNumber()
		if err := dec.Decode(&want); err != nil {
			t.Fatalf("tree built for invalid JSON: %v", err)
		}
		if hasDuplicateKeys(diags) {
			return // encoding/json keeps the last, the tree every one
		}
		if diff := cmp.Diff(want, sf.Doc.Value()); diff != "" {
			t.Fatalf("tree differs from encoding/json (-want +got):\n%s", diff)
		}
		lines := bytes.Count(src, []byte("\n")) + 1
		var check func(n *SchemaNode)
		check = func(n *SchemaNode) {
			for _, p := range []diag.Pos{n.Pos, n.KeyPos} {
				if p.Line > lines || (p.IsValid() && p.Col < 1) {
					t.Fatalf("node %q: position %v outside the file", n.Pointer, p)
				}
			}
			if sf.Node(n.Pointer) != n {
				t.Fatalf("node %q not indexed", n.Pointer)
			}
			for _, m := range n.Members {
				check(m)
			}
			for _, e := range n.Elems {
				check(e)
			}
		}
		check(sf.Doc)
		_ = PointerPath(fmt.Sprint(sf.Doc.Pointer))
	})
}

func hasDuplicateKeys(l diag.List) bool {
	for _, d := range l {
		if strings.HasPrefix(d.Msg, "duplicate key") {
			return true
		}
	}
	return false
}
