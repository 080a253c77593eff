package plan

import (
	"github.com/streamgen/streamgen/gen/internal/naming"
	"github.com/streamgen/streamgen/gen/ir"
)

// csvRecord returns the record a files source with format csv reads, or
// nil.
func csvRecord(pl *ir.Pipeline) *ir.Record {
	if pl == nil || pl.Source == nil || pl.Source.Kind != ir.SourceFiles || pl.Source.Files == nil || pl.Source.Files.Format != "csv" {
		return nil
	}
	return pl.Source.Record
}

// planCSV names the CSV decoder of r, the record of a csv files source,
// and claims its package-level identifiers: <Record>CSVDecoder,
// New<Record>CSVDecoder and <record>CSVColumns.
func (b *builder) planCSV(r *Record) {
	r.CSVDecoderName = r.GoName + "CSVDecoder"
	r.CSVColumnsVar = naming.Camel(r.GoName) + "CSVColumns"
	o := owner{what: "the CSV decoder of record " + r.IR.Name, pos: r.IR.Pos, path: recordPath(r.IR)}
	for _, name := range []string{r.CSVDecoderName, "New" + r.CSVDecoderName, r.CSVColumnsVar} {
		b.claim(name, o)
	}
}

// deltaSource reports whether pl reads a Delta table.
func deltaSource(pl *ir.Pipeline) bool {
	return pl != nil && pl.Source != nil && pl.Source.Kind == ir.SourceDelta && pl.Source.Delta != nil
}

// planDeltaRow names the Delta row converter of r, the record of a delta
// source or a record it nests, and claims it: <record>FromDeltaRow.
func (b *builder) planDeltaRow(r *Record) {
	r.DeltaRowFunc = naming.Camel(r.GoName) + "FromDeltaRow"
	b.claim(r.DeltaRowFunc, owner{what: "the Delta row converter of record " + r.IR.Name, pos: r.IR.Pos, path: recordPath(r.IR)})
}
