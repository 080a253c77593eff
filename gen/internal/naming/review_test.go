package naming

import (
	"go/token"
	"testing"
)

// A Pascal name must be exported: a field or record whose name starts
// with a letter without case (名前) would otherwise become an unexported
// struct field, which encoding/json, parquet-go and delta.WriteTyped skip.
func TestPascalIsExported(t *testing.T) {
	for in, want := range map[string]string{
		"名前":    "X名前",
		"名前_id": "X名前ID",
		"1st":   "X1st",
		"ñame":  "Ñame",
		"żółw":  "Żółw",
		"ǆ":     "Ǆ",
	} {
		got := Pascal(in)
		if got != want {
			t.Errorf("Pascal(%q) = %q, want %q", in, got, want)
		}
		if !token.IsExported(got) || !token.IsIdentifier(got) {
			t.Errorf("Pascal(%q) = %q is not an exported identifier", in, got)
		}
	}
}
