package emit_test

import (
	"bytes"
	"go/format"
	"strings"
	"testing"

	"github.com/streamgen/streamgen/gen/emit"
	"github.com/streamgen/streamgen/gen/emit/internal/decodefixture"
	"github.com/streamgen/streamgen/gen/plan"
)

// csvRecord marks r as the record of a csv files source, as plan does.
func csvRecord(r *plan.Record) *plan.Record {
	r.CSVDecoderName = r.GoName + "CSVDecoder"
	r.CSVColumnsVar = strings.ToLower(r.GoName[:1]) + r.GoName[1:] + "CSVColumns"
	return r
}

func TestCSVDecoderDeterministicAndFormatted(t *testing.T) {
	for _, r := range []*plan.Record{decodefixture.Event(), decodefixture.SensorReading(), decodefixture.Many()} {
		r = csvRecord(r)
		render := func() []byte {
			decls, err := emit.CSVDecoder(r)
			if err != nil {
				t.Fatal(err)
			}
			src, err := decodefixture.Render("p", decls)
			if err != nil {
				t.Fatal(err)
			}
			return src
		}
		a, b := render(), render()
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two renderings differ", r.GoName)
		}
		if formatted, err := format.Source(a); err != nil || !bytes.Equal(formatted, a) {
			t.Errorf("%s: not gofmt-clean (%v)", r.GoName, err)
		}
		n := r.CSVDecoderName
		for _, want := range []string{
			"type " + n + " struct",
			"func New" + n + "(header bool, delimiter byte) *" + n,
			"func (d *" + n + ") Header(line []byte) error",
			"func (d *" + n + ") Decode(data []byte, dst *" + r.GoName + ") error",
			"func (d *" + n + ") Reset()",
			"= (*" + n + ")(nil)\n)",
			"var " + r.CSVColumnsVar + " = [...]streamimpl.CSVColumn{",
		} {
			if !bytes.Contains(a, []byte(want)) {
				t.Errorf("%s: no %q in\n%s", r.GoName, want, a)
			}
		}
		if !bytes.Contains(a, []byte("_ streamimpl.HeaderDecoder")) {
			t.Errorf("%s: no HeaderDecoder check", r.GoName)
		}
		if bytes.Contains(a, []byte(`"reflect"`)) || bytes.Contains(a, []byte(`"encoding/csv"`)) {
			t.Errorf("%s: CSV decoder uses reflect or encoding/csv", r.GoName)
		}
	}
}

// TestCSVDecoderErrors: a record without a planned CSV decoder, or with
// a nested object or list field, is an emitter error (gen/ir reports
// such specs before planning).
func TestCSVDecoderErrors(t *testing.T) {
	if _, err := emit.CSVDecoder(decodefixture.Event()); err == nil || !strings.Contains(err.Error(), "no planned CSV decoder") {
		t.Errorf("unplanned: %v", err)
	}
	for _, r := range decodefixture.AllTypes() {
		nested := false
		for _, f := range r.Fields {
			if f.Ref != nil || strings.HasPrefix(f.IR.Type.String(), "list<") {
				nested = true
			}
		}
		_, err := emit.CSVDecoder(csvRecord(r))
		if nested != (err != nil) {
			t.Errorf("%s: nested fields %v, error %v", r.GoName, nested, err)
		}
		if err != nil && !strings.Contains(err.Error(), "cannot be a CSV column") {
			t.Errorf("%s: %v", r.GoName, err)
		}
	}
}
