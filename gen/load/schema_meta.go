package load

import (
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/streamgen/streamgen/gen/diag"
)

// The metaschemas are compiled once, from the copies built into
// santhosh-tekuri/jsonschema (nothing is fetched).
var (
	schemaMetaOnce    sync.Once
	schemaMetas       map[string]*jsonschema.Schema
	schemaMetaErr     error
	schemaMetaPrinter = message.NewPrinter(language.English)
)

var schemaMetaURLs = map[string]string{
	Draft2020: "https://json-schema.org/draft/2020-12/schema",
	Draft07:   "http://json-schema.org/draft-07/schema",
}

func schemaMeta(draft string) (*jsonschema.Schema, error) {
	schemaMetaOnce.Do(func() {
		schemaMetas = map[string]*jsonschema.Schema{}
		c := jsonschema.NewCompiler()
		for d, u := range schemaMetaURLs {
			s, err := c.Compile(u)
			if err != nil {
				schemaMetaErr = err
				return
			}
			schemaMetas[d] = s
		}
	})
	if schemaMetaErr != nil {
		return nil, schemaMetaErr
	}
	return schemaMetas[draft], nil
}

// schemaValidateMeta validates the file against its draft's metaschema and
// returns one error per instance location (the first leaf: for a failed
// anyOf, the first alternative's complaint), sorted by pointer.
func schemaValidateMeta(f *SchemaFile) []MetaError {
	m, err := schemaMeta(f.Draft)
	if err != nil {
		return []MetaError{{Msg: "streamgen: internal error: metaschema: " + err.Error()}}
	}
	err = m.Validate(f.Doc.Value())
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return nil
	}
	seen := map[string]bool{}
	var out []MetaError
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		ptr := ""
		for _, s := range e.InstanceLocation {
			ptr = JoinPointer(ptr, s)
		}
		if seen[ptr] {
			return
		}
		seen[ptr] = true
		out = append(out, MetaError{Pointer: ptr, Msg: e.ErrorKind.LocalizedString(schemaMetaPrinter)})
	}
	walk(ve)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Pointer < out[j].Pointer })
	return out
}

// CompileSchemas compiles every root file with
// santhosh-tekuri/jsonschema, with every loaded file registered as a
// resource under a file: URL of its Name and a loader that refuses
// anything else, so nothing is fetched from the network. It cross-checks
// the $ref resolution ir.BuildRecords did; a failure here is reported at
// the top of the root file.
func CompileSchemas(files []*SchemaFile) diag.List {
	var diags diag.List
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(schemaRefusingLoader{})
	for _, f := range files {
		if f.Doc == nil {
			continue
		}
		doc := f.Doc.Value()
		if m, ok := doc.(map[string]any); ok {
			// $refs resolve against the file's location, not its $id.
			delete(m, "$id")
		}
		if err := c.AddResource(schemaFileURL(f.Name), doc); err != nil {
			diags.Add(f.Pos(""), "", "streamgen: internal error: %v", err)
		}
	}
	for _, f := range files {
		if f.Doc == nil || !f.Root {
			continue
		}
		if _, err := c.Compile(schemaFileURL(f.Name)); err != nil {
			diags.Add(f.Pos(""), "", "invalid schema: %s", strings.ReplaceAll(err.Error(), "\n", " "))
		}
	}
	return diags
}

func schemaFileURL(name string) string {
	return (&url.URL{Scheme: "file", Path: "/" + name}).String()
}

type schemaRefusingLoader struct{}

func (schemaRefusingLoader) Load(u string) (any, error) {
	return nil, fmt.Errorf("%s is not a loaded schema file (streamgen never fetches schemas)", u)
}
