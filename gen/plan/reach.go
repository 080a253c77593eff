package plan

import (
	"fmt"
	"path"
	"strings"

	"github.com/streamgen/streamgen/gen/internal/naming"
	"github.com/streamgen/streamgen/gen/ir"
)

// pipelineRecords returns the roots of a pipeline's package: the records
// its source decodes (Build adds the records they nest), and the records
// its steps derive (select outputs, the aggregation result, map
// outputs), which are generated without decoders.
//
// A map step's ir output record describes the user's result type (its ID
// "go:<pkg>.<Type>"); the package gets a generated record with the same
// fields instead, <P>Mapped, <P>Mapped2, … (as select outputs are
// <P>Row, <P>Row2, …): the map step converts the user's result to it, so
// later steps and sinks only see generated records. mapped maps each
// map output to its generated record.
func pipelineRecords(pl *ir.Pipeline) (decoded, derived []*ir.Record, mapped map[*ir.Record]*ir.Record) {
	if pl.Source != nil && pl.Source.Record != nil {
		decoded = append(decoded, pl.Source.Record)
	}
	for _, r := range pl.Records {
		if r == nil || strings.HasPrefix(r.ID, "go:") {
			continue
		}
		derived = append(derived, r)
	}
	mapped = map[*ir.Record]*ir.Record{}
	n := 0
	for i, st := range pl.Steps {
		mp, ok := st.(*ir.Map)
		if !ok || mp.Out == nil || len(mp.OutBindings) != len(mp.Out.Fields) || mapped[mp.Out] != nil {
			continue
		}
		n++
		name := naming.Pascal(pl.Name) + "Mapped"
		if n > 1 {
			name = fmt.Sprintf("%s%d", name, n)
		}
		r := &ir.Record{
			Name:   name,
			ID:     fmt.Sprintf("%s#/steps/%d/map", pl.Spec, i),
			Doc:    fmt.Sprintf("The result of the map step of %s, converted from %s.%s.", mp.Pos, path.Base(mp.OutType.PkgPath), mp.OutType.Name),
			Source: mp.Out.Source,
			Pos:    mp.Out.Pos,
			Fields: mp.Out.Fields,
		}
		mapped[mp.Out] = r
		derived = append(derived, r)
	}
	return decoded, derived, mapped
}
