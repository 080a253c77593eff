package ir

import "fmt"

// checkCSV checks that the record of a files source with format csv can
// be read from CSV lines: every field is a column, so it must be a
// scalar, a timestamp, a date or an enum, never a nested object or a
// list (reported at the spec's format, naming the field); and the
// delimiter must be one ASCII byte that is not '"', NUL, '\r' or '\n'.
func (b *pipelineBuilder) checkCSV(src *Source) {
	if src.Files == nil || src.Files.Format != "csv" {
		return
	}
	const path = "source.files"
	if d := src.Files.CSVDelimiter; d == 0 || d >= 0x80 || d == '"' || d == '\r' || d == '\n' {
		b.errorf(path+".delimiter", "delimiter must be one ASCII character other than '\"', NUL, CR and LF, got %q", d)
	}
	if src.Record == nil {
		return
	}
	for _, f := range src.Record.Fields {
		var what string
		switch t := f.Type.(type) {
		case *Ref:
			what = fmt.Sprintf("a nested object (%s)", t.Name)
		case *List:
			what = fmt.Sprintf("a list (%s)", t)
		default:
			continue
		}
		if b.f.HasError(path + ".format") {
			return
		}
		b.diags.AddHint(b.pos(path+".format"), path+".format",
			"CSV columns hold strings, numbers, booleans, enums, dates and timestamps; use format json for nested data",
			"format csv: field %q of %s is %s, which cannot be a CSV column", f.Name, src.Record.Name, what)
	}
}
