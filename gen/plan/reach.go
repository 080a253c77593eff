package plan

import (
	"strings"

	"github.com/streamgen/streamgen/gen/ir"
)

// pipelineRecords returns the roots of a pipeline's package: the records
// its source decodes (Build adds the records they nest), and the records
// its steps derive (select outputs, the aggregation result), which are
// generated without decoders. Records of user Go types (map outputs) are
// the user's own and are not generated.
func pipelineRecords(pl *ir.Pipeline) (decoded, derived []*ir.Record) {
	if pl.Source != nil && pl.Source.Record != nil {
		decoded = append(decoded, pl.Source.Record)
	}
	for _, r := range pl.Records {
		if r == nil || strings.HasPrefix(r.ID, "go:") {
			continue
		}
		derived = append(derived, r)
	}
	return decoded, derived
}
