package delta

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// HiveDefaultPartition is the directory value Spark and Hive use for a
// null partition value. Readers never parse it: partition values come from
// add.partitionValues.
const HiveDefaultPartition = "__HIVE_DEFAULT_PARTITION__"

// partitionTimestampLayout is how Spark serialises timestamp partition
// values (PROTOCOL.md "Partition Value Serialization"); trailing zeros of
// the fraction are dropped, as Spark does.
const partitionTimestampLayout = "2006-01-02 15:04:05.999999"

// ParsePartitionValue decodes a serialised partition value (PROTOCOL.md
// "Partition Value Serialization") into the Row value of type t. A nil
// pointer or an empty string is SQL NULL (Spark writes empty strings as
// null partitions). Timestamps without a zone are UTC; ISO 8601 values
// with a zone are accepted too. Binary values are the raw bytes of the
// string.
func ParsePartitionValue(v *string, t DataType) (any, error) {
	if v == nil || *v == "" {
		return nil, nil
	}
	s := *v
	switch t := t.(type) {
	case DecimalType:
		d, err := ParseDecimal(s, t.Scale)
		if err != nil {
			return nil, fmt.Errorf("partition value %q as %s: %w", s, t, err)
		}
		return d, nil
	case PrimitiveType:
		switch t {
		case String:
			return s, nil
		case Binary:
			return []byte(s), nil
		case Long, Integer, Short, Byte:
			bits := map[PrimitiveType]int{Long: 64, Integer: 32, Short: 16, Byte: 8}[t]
			n, err := strconv.ParseInt(strings.TrimSpace(s), 10, bits)
			if err != nil {
				return nil, fmt.Errorf("partition value %q as %s: %w", s, t, err)
			}
			switch t {
			case Long:
				return n, nil
			case Integer:
				return int32(n), nil
			case Short:
				return int16(n), nil
			default:
				return int8(n), nil
			}
		case Float, Double:
			bits := 64
			if t == Float {
				bits = 32
			}
			f, err := strconv.ParseFloat(strings.TrimSpace(s), bits)
			if err != nil {
				return nil, fmt.Errorf("partition value %q as %s: %w", s, t, err)
			}
			if t == Float {
				return float32(f), nil
			}
			return f, nil
		case Boolean:
			switch strings.ToLower(strings.TrimSpace(s)) {
			case "true":
				return true, nil
			case "false":
				return false, nil
			}
			return nil, fmt.Errorf("partition value %q as boolean: want true or false", s)
		case Date:
			d, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(s), time.UTC)
			if err != nil {
				return nil, fmt.Errorf("partition value %q as date: %w", s, err)
			}
			return DateOf(d), nil
		case Timestamp, TimestampNTZ:
			ts, err := parsePartitionTimestamp(s)
			if err != nil {
				return nil, fmt.Errorf("partition value %q as %s: %w", s, t, err)
			}
			return ts, nil
		case Void:
			return nil, nil
		}
	}
	return nil, fmt.Errorf("partition value %q: type %s cannot be a partition column", s, t)
}

var partitionTimestampLayouts = []string{
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02",
}

func parsePartitionTimestamp(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	var firstErr error
	for _, layout := range partitionTimestampLayouts {
		ts, err := time.ParseInLocation(layout, s, time.UTC)
		if err == nil {
			return ts.UTC().Truncate(time.Microsecond), nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return time.Time{}, firstErr
}

// FormatPartitionValue serialises a Row value of type t as a partition
// value, the inverse of [ParsePartitionValue]. nil gives a nil pointer
// (JSON null), and so does an empty string or binary value: Spark stores
// empty partition strings as null. Timestamps are written in UTC as "2006-01-02 15:04:05"
// with up to six fraction digits; floats as Java's Double.toString does.
func FormatPartitionValue(v any, t DataType) (*string, error) {
	if v == nil {
		return nil, nil
	}
	var s string
	bad := func() (*string, error) {
		return nil, fmt.Errorf("partition value %v (%T) is not a %s", v, v, t)
	}
	switch t := t.(type) {
	case DecimalType:
		d, ok := v.(Decimal)
		if !ok || d.Unscaled == nil {
			return bad()
		}
		d, err := rescaleDecimal(d, t.Scale)
		if err != nil {
			return nil, err
		}
		s = d.String()
	case PrimitiveType:
		switch t {
		case String:
			x, ok := v.(string)
			if !ok {
				return bad()
			}
			s = x
		case Binary:
			x, ok := v.([]byte)
			if !ok {
				return bad()
			}
			s = string(x)
		case Long, Integer, Short, Byte:
			n, ok := intValue(v)
			if !ok {
				return bad()
			}
			s = strconv.FormatInt(n, 10)
		case Float:
			x, ok := v.(float32)
			if !ok {
				return bad()
			}
			s = javaFloatString(float64(x), 32)
		case Double:
			x, ok := v.(float64)
			if !ok {
				return bad()
			}
			s = javaFloatString(x, 64)
		case Boolean:
			x, ok := v.(bool)
			if !ok {
				return bad()
			}
			s = strconv.FormatBool(x)
		case Date:
			x, ok := v.(DateValue)
			if !ok {
				return bad()
			}
			s = x.String()
		case Timestamp, TimestampNTZ:
			x, ok := v.(time.Time)
			if !ok {
				return bad()
			}
			s = x.UTC().Truncate(time.Microsecond).Format(partitionTimestampLayout)
		default:
			return bad()
		}
	default:
		return bad()
	}
	if s == "" {
		return nil, nil // only strings and binaries format as ""
	}
	return &s, nil
}

func intValue(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int32:
		return int64(x), true
	case int16:
		return int64(x), true
	case int8:
		return int64(x), true
	case int:
		return int64(x), true
	}
	return 0, false
}

// javaFloatString formats f like Java's Float/Double.toString: "1.0",
// "0.001", "1.0E7", "NaN", "Infinity".
func javaFloatString(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	abs := math.Abs(f)
	if abs >= 1e-3 && abs < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, bits)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'E', -1, bits) // e.g. 1.5E+07
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}

// rescaleDecimal returns d at scale, failing if digits would be lost.
func rescaleDecimal(d Decimal, scale int) (Decimal, error) {
	if d.Scale == scale {
		return d, nil
	}
	if d.Scale < scale {
		m := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale-d.Scale)), nil)
		return Decimal{Unscaled: new(big.Int).Mul(d.Unscaled, m), Scale: scale}, nil
	}
	m := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(d.Scale-scale)), nil)
	q, r := new(big.Int).QuoRem(d.Unscaled, m, new(big.Int))
	if r.Sign() != 0 {
		return Decimal{}, fmt.Errorf("decimal %s does not fit scale %d", d, scale)
	}
	return Decimal{Unscaled: q, Scale: scale}, nil
}

// escapePartitionName escapes a partition directory component as Spark's
// ExternalCatalogUtils.escapePathName does: control characters and
// "#%'*/:=?\{[]^ plus DEL become %XX (upper-case hex); everything else,
// including spaces and non-ASCII, is kept.
func escapePartitionName(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if needsPartitionEscape(c) {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

func needsPartitionEscape(c byte) bool {
	if c >= 0x01 && c <= 0x1F || c == 0x7F {
		return true
	}
	return strings.IndexByte("\"#%'*/:=?\\{[]^", c) >= 0
}

// partitionDir returns the Hive-style directory ("a=1/b=x/") for the
// serialised partition values of one file, in partitionColumns order.
func partitionDir(partitionColumns []string, values map[string]*string) string {
	var b strings.Builder
	for _, c := range partitionColumns {
		b.WriteString(escapePartitionName(c))
		b.WriteByte('=')
		if v := values[c]; v == nil || *v == "" {
			b.WriteString(HiveDefaultPartition)
		} else {
			b.WriteString(escapePartitionName(*v))
		}
		b.WriteByte('/')
	}
	return b.String()
}
