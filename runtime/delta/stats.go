package delta

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Stats are the per-file statistics of an add action (PROTOCOL.md
// "Per-file Statistics"). MinValues and MaxValues mirror the schema's
// nesting: leaf values are json.Number for numbers and string for
// strings, dates and timestamps; NullCount leaves are int64. Any of the
// maps may be nil when the writer did not collect them.
type Stats struct {
	NumRecords  int64          `json:"numRecords"`
	MinValues   map[string]any `json:"minValues,omitempty"`
	MaxValues   map[string]any `json:"maxValues,omitempty"`
	NullCount   map[string]any `json:"nullCount,omitempty"`
	TightBounds *bool          `json:"tightBounds,omitempty"`
}

// ParseStats decodes the stats JSON string of an add action.
func ParseStats(s string) (*Stats, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var st Stats
	if err := dec.Decode(&st); err != nil {
		return nil, fmt.Errorf("delta: stats: %w", err)
	}
	if st.NullCount != nil {
		nc, err := nullCountInts(st.NullCount)
		if err != nil {
			return nil, fmt.Errorf("delta: stats: nullCount%w", err)
		}
		st.NullCount = nc
	}
	return &st, nil
}

func nullCountInts(m map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(m))
	for k, v := range m {
		switch v := v.(type) {
		case json.Number:
			n, err := v.Int64()
			if err != nil {
				return nil, fmt.Errorf(".%s: %w", k, err)
			}
			out[k] = n
		case map[string]any:
			sub, err := nullCountInts(v)
			if err != nil {
				return nil, fmt.Errorf(".%s%w", k, err)
			}
			out[k] = sub
		default:
			return nil, fmt.Errorf(".%s: not a number", k)
		}
	}
	return out, nil
}

// statsStringPrefix is how many characters of a string column Spark keeps
// in min/max stats (delta.dataSkippingStringPrefixLength).
const statsStringPrefix = 32

// statsNode accumulates the statistics of one column (a struct field's
// children, a primitive leaf, or an array/map counted only for nulls).
type statsNode struct {
	name     string
	typ      DataType
	children []*statsNode // struct
	// nulls is the null count; noNulls says it is unknown.
	nulls   int64
	noNulls bool
	// minmax says the type gets min/max stats; bad drops them (NaN, or a
	// value whose stats are unknown).
	minmax   bool
	bad      bool
	min, max any
}

// statsCollector builds the stats JSON for the data columns of a file.
type statsCollector struct {
	root    []*statsNode
	records int64
}

// newStatsCollector prepares stats for the fields of schema that are not
// partition columns (indexes given by dataFields).
func newStatsCollector(schema *StructType, dataFields []int) *statsCollector {
	c := &statsCollector{}
	for _, i := range dataFields {
		f := schema.Fields[i]
		if f.Type == Void {
			c.root = append(c.root, nil)
			continue
		}
		c.root = append(c.root, newStatsNode(f.Name, f.Type))
	}
	return c
}

func newStatsNode(name string, t DataType) *statsNode {
	n := &statsNode{name: name, typ: t}
	switch t := t.(type) {
	case *StructType:
		for _, f := range t.Fields {
			if f.Type == Void {
				n.children = append(n.children, nil)
				continue
			}
			n.children = append(n.children, newStatsNode(f.Name, f.Type))
		}
	case DecimalType:
		n.minmax = true
	case PrimitiveType:
		switch t {
		case String, Long, Integer, Short, Byte, Float, Double, Date, Timestamp, TimestampNTZ:
			n.minmax = true
		}
	}
	return n
}

// add observes one row's data values (aligned with dataFields).
func (c *statsCollector) add(values []any) {
	c.records++
	for i, n := range c.root {
		if n != nil {
			n.observe(values[i])
		}
	}
}

func (n *statsNode) observe(v any) {
	if n.children != nil {
		r, _ := v.(Row)
		if r == nil {
			if a, ok := v.([]any); ok {
				r = a
			}
		}
		for i, ch := range n.children {
			if ch == nil {
				continue
			}
			var cv any
			if i < len(r) {
				cv = r[i]
			}
			ch.observe(cv)
		}
		return
	}
	if v == nil {
		n.nulls++
		return
	}
	if !n.minmax || n.bad {
		return
	}
	n.observeMinMax(v, v)
}

// observeMinMax merges a known lower and upper bound of the column.
func (n *statsNode) observeMinMax(lo, hi any) {
	if f, ok := floatOf(lo); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
		n.bad = true
		return
	}
	if f, ok := floatOf(hi); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
		n.bad = true
		return
	}
	if n.min == nil || compareValues(lo, n.min) < 0 {
		n.min = lo
	}
	if n.max == nil || compareValues(hi, n.max) > 0 {
		n.max = hi
	}
}

func floatOf(v any) (float64, bool) {
	switch x := v.(type) {
	case float32:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// compareValues orders two non-null Row values of the same primitive or
// decimal type.
func compareValues(a, b any) int {
	switch x := a.(type) {
	case string:
		return strings.Compare(x, b.(string))
	case int64:
		return cmpOrdered(x, b.(int64))
	case int32:
		return cmpOrdered(x, b.(int32))
	case int16:
		return cmpOrdered(x, b.(int16))
	case int8:
		return cmpOrdered(x, b.(int8))
	case float32:
		return cmpOrdered(x, b.(float32))
	case float64:
		return cmpOrdered(x, b.(float64))
	case DateValue:
		return cmpOrdered(x, b.(DateValue))
	case time.Time:
		return x.Compare(b.(time.Time))
	case Decimal:
		y := b.(Decimal)
		if x.Scale == y.Scale {
			return x.Unscaled.Cmp(y.Unscaled)
		}
		s := max(x.Scale, y.Scale)
		xa, _ := rescaleDecimal(x, s)
		ya, _ := rescaleDecimal(y, s)
		return xa.Unscaled.Cmp(ya.Unscaled)
	case bool:
		y := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case []byte:
		return bytes.Compare(x, b.([]byte))
	}
	return 0
}

func cmpOrdered[T int64 | int32 | int16 | int8 | float32 | float64 | DateValue](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// json returns the stats document: numRecords, minValues, maxValues and
// nullCount, fields in schema order.
func (c *statsCollector) json() string {
	var b bytes.Buffer
	b.WriteString(`{"numRecords":`)
	b.WriteString(strconv.FormatInt(c.records, 10))
	for _, part := range []string{"minValues", "maxValues", "nullCount"} {
		b.WriteString(`,"` + part + `":`)
		writeStatsObject(&b, c.root, part)
	}
	b.WriteByte('}')
	return b.String()
}

// writeStatsObject writes one of the three maps for a list of columns,
// leaving out columns without a value; it reports whether any was written.
func writeStatsObject(b *bytes.Buffer, nodes []*statsNode, part string) bool {
	b.WriteByte('{')
	wrote := false
	for _, n := range nodes {
		if n == nil {
			continue
		}
		mark := b.Len()
		if wrote {
			b.WriteByte(',')
		}
		name, _ := json.Marshal(n.name)
		b.Write(name)
		b.WriteByte(':')
		ok := false
		if n.children != nil {
			ok = writeStatsObject(b, n.children, part)
		} else {
			switch part {
			case "nullCount":
				if !n.noNulls {
					b.WriteString(strconv.FormatInt(n.nulls, 10))
					ok = true
				}
			case "minValues":
				if n.minmax && !n.bad && n.min != nil {
					ok = writeStatsValue(b, n.min, n.typ, false)
				}
			case "maxValues":
				if n.minmax && !n.bad && n.max != nil {
					ok = writeStatsValue(b, n.max, n.typ, true)
				}
			}
		}
		if ok {
			wrote = true
		} else {
			b.Truncate(mark)
		}
	}
	b.WriteByte('}')
	return wrote
}

// writeStatsValue writes a min (upper=false) or max value as Spark does:
// numbers as JSON numbers, dates "2006-01-02", timestamps in milliseconds
// ("...T15:04:05.000Z"; a max is rounded up so it stays an upper bound,
// and left out when that would pass year 9999),
// strings cut to 32 characters (a cut max is bumped so it stays an upper
// bound, or left out when it cannot be).
func writeStatsValue(b *bytes.Buffer, v any, t DataType, upper bool) bool {
	switch x := v.(type) {
	case string:
		s, ok := truncateStatsString(x, upper)
		if !ok {
			return false
		}
		enc, _ := json.Marshal(s)
		b.Write(enc)
	case int64, int32, int16, int8:
		n, _ := intValue(x)
		b.WriteString(strconv.FormatInt(n, 10))
	case float32:
		b.WriteString(javaFloatString(float64(x), 32))
	case float64:
		b.WriteString(javaFloatString(x, 64))
	case DateValue:
		b.WriteString(`"` + x.String() + `"`)
	case time.Time:
		ts := x.UTC()
		ms := ts.Truncate(time.Millisecond)
		if upper && ms.Before(ts) {
			ms = ms.Add(time.Millisecond)
			if ms.Year() > 9999 {
				// Rounding 9999-12-31T23:59:59.999999 up gives a
				// five-digit year that Spark's and delta-rs's stats
				// parsers reject: leave the max out (no skipping)
				// rather than write an unreadable or low bound.
				return false
			}
		}
		layout := "2006-01-02T15:04:05.000Z07:00"
		if t == TimestampNTZ {
			layout = "2006-01-02T15:04:05.000"
		}
		b.WriteString(`"` + ms.Format(layout) + `"`)
	case Decimal:
		if x.Unscaled == nil {
			return false
		}
		b.WriteString(x.String())
	default:
		return false
	}
	return true
}

// truncateStatsString cuts s to statsStringPrefix characters. For a max
// the cut prefix is bumped (its last character that can be incremented
// is, the rest dropped) so that it still sorts after s.
func truncateStatsString(s string, upper bool) (string, bool) {
	if utf8.RuneCountInString(s) <= statsStringPrefix {
		return s, true
	}
	runes := []rune(s)[:statsStringPrefix]
	if !upper {
		return string(runes), true
	}
	for i := len(runes) - 1; i >= 0; i-- {
		r := runes[i] + 1
		if r >= 0xD800 && r <= 0xDFFF {
			r = 0xE000
		}
		if r <= utf8.MaxRune {
			return string(append(runes[:i:i], r)), true
		}
	}
	return "", false
}
