package ir

import (
	"strings"
	"testing"
)

// Integer bounds at and beyond the int64 range: a bound beyond the range
// on the wrong side used to be dropped (minimum 1e19 accepted every
// value) or to dereference a nil bound (minimum 5 with exclusiveMinimum
// 1e19 panicked), and MaxInt64 written exactly was rounded through
// float64 to 2^63 and dropped.
func TestReviewIntegerBoundsBeyondInt64(t *testing.T) {
	for _, tt := range []struct {
		bounds string
		want   string // the field's type, or the diagnostic
	}{
		{`"minimum": 5, "exclusiveMinimum": 1e19`, "no 64-bit integer satisfies these bounds"},
		{`"maximum": 5, "exclusiveMaximum": -1e19`, "no 64-bit integer satisfies these bounds"},
		{`"minimum": 1e19`, "no 64-bit integer satisfies these bounds"},
		{`"maximum": -1e19`, "no 64-bit integer satisfies these bounds"},
		{`"minimum": 9223372036854775808`, "no 64-bit integer satisfies these bounds"},
		{`"minimum": 9223372036854775807`, "int64[9223372036854775807,]"},
		{`"maximum": -9223372036854775808`, "int64[,-9223372036854775808]"},
		{`"maximum": -9223372036854775808.5`, "no 64-bit integer satisfies these bounds"},
		{`"minimum": -1e19, "maximum": 1e19`, "int64"},
		{`"minimum": 9223372036854775806.5`, "int64[9223372036854775807,]"},
		{`"exclusiveMaximum": 9223372036854775807`, "int64[,9223372036854775806]"},
		{`"minimum": -2147483648, "maximum": 2147483647`, "int32"},
	} {
		src := `{"type": "object", "properties": {"n": {"type": "integer", ` + tt.bounds + `}}}`
		recs, diags := buildFS(t, mapFS(map[string]string{"x.json": src}))
		got := strings.Join(diags, "\n")
		if len(diags) == 0 && len(recs) == 1 && len(recs[0].Fields) == 1 {
			got = boundsString(recs[0].Fields[0].Type)
		}
		if !strings.Contains(got, tt.want) {
			t.Errorf("%s: got %s, want %s", tt.bounds, got, tt.want)
		}
	}
}

func boundsString(t Type) string {
	s, ok := t.(*Scalar)
	if !ok {
		return t.String()
	}
	out := string(s.Kind)
	if s.Min != nil || s.Max != nil {
		out += "["
		if s.Min != nil {
			out += itoa(*s.Min)
		}
		out += ","
		if s.Max != nil {
			out += itoa(*s.Max)
		}
		out += "]"
	}
	return out
}

func itoa(v int64) string {
	neg := v < 0
	u := uint64(v)
	if neg {
		u = -u
	}
	var b []byte
	for {
		b = append([]byte{byte('0' + u%10)}, b...)
		u /= 10
		if u == 0 {
			break
		}
	}
	if neg {
		b = append([]byte{'-'}, b...)
	}
	return string(b)
}
