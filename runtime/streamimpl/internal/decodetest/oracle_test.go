package decodetest

// The oracle of the differential tests: encoding/json parses the input
// into generic values (numbers as json.Number), and a schema validator
// written independently of the generated decoders checks them against the
// schema in the record struct's `schema` tags and builds the value the
// decoder must produce. gen/emit's tests copy this file into scratch
// modules; it must depend only on the standard library.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/streamgen/streamgen/runtime/delta"
)

var (
	rfc3339Re = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-](\d{2}):(\d{2}))$`)
	dateRe    = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	uuidRe    = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	intRe     = regexp.MustCompile(`^-?(0|[1-9][0-9]*)$`)
)

// The instants timestamps may denote: years 0000–9999.
var (
	minTime = time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)
)

// expect reports whether data is a valid record for the struct dst
// points to and, if it is, fills *dst with the expected decoded value.
func expect(data []byte, dst any) error {
	// JSON text must be UTF-8 and escapes must denote Unicode scalar
	// values; encoding/json silently replaces both with U+FFFD.
	if !utf8.Valid(data) {
		return errors.New("invalid UTF-8")
	}
	if loneSurrogate(data) {
		return errors.New("lone surrogate escape")
	}
	if !json.Valid(data) {
		return errors.New("invalid JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return err
	}
	rv := reflect.ValueOf(dst).Elem()
	rv.SetZero()
	return fill(v, rv)
}

// fill checks that v, a JSON object, satisfies the schema of the struct
// rv and sets rv's fields.
func fill(v any, rv reflect.Value) error {
	obj, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("not an object: %T", v)
	}
	rt := rv.Type()
	if c, ok := rv.Addr().Interface().(interface{ SchemaClosed() bool }); ok && c.SchemaClosed() {
		for name := range obj {
			known := false
			for i := range rt.NumField() {
				known = known || rt.Field(i).Tag.Get("json") == name
			}
			if !known {
				return fmt.Errorf("unknown field %q", name)
			}
		}
	}
	for i := range rt.NumField() {
		sf := rt.Field(i)
		name := sf.Tag.Get("json")
		parts := splitTag(sf.Tag.Get("schema"))
		typ, flags := parts[0], parts[1:]
		required, nullable := has(flags, "required"), has(flags, "nullable")
		val, present := obj[name]
		switch {
		case !present:
			if required {
				return fmt.Errorf("missing %s", name)
			}
		case val == nil:
			if !nullable {
				return fmt.Errorf("%s: null", name)
			}
		default:
			if err := setValue(typ, val, rv.Field(i)); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
	}
	return nil
}

// setValue checks that v has schema type typ and stores it in fv,
// allocating when fv is a pointer.
func setValue(typ string, v any, fv reflect.Value) error {
	if fv.Kind() == reflect.Pointer {
		p := reflect.New(fv.Type().Elem())
		if err := setValue(typ, v, p.Elem()); err != nil {
			return err
		}
		fv.Set(p)
		return nil
	}
	str, isStr := v.(string)
	num, isNum := v.(json.Number)
	if base, bounds, ok := strings.Cut(typ, "{"); ok {
		// An integer with bounds: int64{MIN:MAX}.
		if err := setValue(base, v, fv); err != nil {
			return err
		}
		lo, hi, _ := strings.Cut(strings.TrimSuffix(bounds, "}"), ":")
		if lo != "" {
			if min, _ := strconv.ParseInt(lo, 10, 64); fv.Int() < min {
				return errors.New("below minimum")
			}
		}
		if hi != "" {
			if max, _ := strconv.ParseInt(hi, 10, 64); fv.Int() > max {
				return errors.New("above maximum")
			}
		}
		return nil
	}
	switch {
	case typ == "string":
		if !isStr {
			return errors.New("not a string")
		}
		fv.SetString(str)
	case typ == "uuid":
		if !isStr || !uuidRe.MatchString(str) {
			return errors.New("not a uuid")
		}
		fv.SetString(str)
	case typ == "int32" || typ == "int64":
		bits := 64
		if typ == "int32" {
			bits = 32
		}
		if !isNum || !intRe.MatchString(string(num)) {
			return errors.New("not an integer")
		}
		n, err := strconv.ParseInt(string(num), 10, bits)
		if err != nil {
			return err
		}
		fv.SetInt(n)
	case typ == "float64":
		if !isNum {
			return errors.New("not a number")
		}
		f, err := strconv.ParseFloat(string(num), 64)
		if err != nil {
			return err
		}
		fv.SetFloat(f)
	case typ == "bool":
		b, ok := v.(bool)
		if !ok {
			return errors.New("not a boolean")
		}
		fv.SetBool(b)
	case typ == "rfc3339":
		m := rfc3339Re.FindStringSubmatch(str)
		if !isStr || m == nil {
			return errors.New("not an RFC 3339 timestamp")
		}
		if m[3] != "" && (m[3] > "23" || m[4] > "59") {
			return errors.New("offset out of range")
		}
		t, err := time.Parse(time.RFC3339, str)
		if err != nil {
			return err
		}
		fv.Set(reflect.ValueOf(t.UTC()))
	case typ == "epoch-seconds" || typ == "epoch-millis":
		if !isNum || !intRe.MatchString(string(num)) {
			return errors.New("not an integer")
		}
		n, err := strconv.ParseInt(string(num), 10, 64)
		if err != nil {
			return err
		}
		t := time.Unix(n, 0).UTC()
		if typ == "epoch-millis" {
			t = time.UnixMilli(n).UTC()
		}
		if t.Before(minTime) || t.After(maxTime) {
			return errors.New("timestamp out of range")
		}
		fv.Set(reflect.ValueOf(t))
	case typ == "date":
		if !isStr || !dateRe.MatchString(str) {
			return errors.New("not a date")
		}
		t, err := time.Parse(time.DateOnly, str)
		if err != nil {
			return err
		}
		fv.Set(reflect.ValueOf(delta.DateValue(t.Unix() / 86400)))
	case strings.HasPrefix(typ, "enum("):
		values := strings.Split(strings.TrimSuffix(strings.TrimPrefix(typ, "enum("), ")"), "|")
		if !isStr || !has(values, str) {
			return fmt.Errorf("%q not in enum", str)
		}
		fv.SetString(str)
	case typ == "ref":
		return fill(v, fv)
	case strings.HasPrefix(typ, "list<"):
		elem := strings.TrimSuffix(strings.TrimPrefix(typ, "list<"), ">")
		elemNullable := strings.HasSuffix(elem, "?")
		elem = strings.TrimSuffix(elem, "?")
		arr, ok := v.([]any)
		if !ok {
			return errors.New("not an array")
		}
		list := reflect.MakeSlice(fv.Type(), len(arr), len(arr))
		for i, e := range arr {
			if e == nil {
				if !elemNullable {
					return fmt.Errorf("[%d]: null", i)
				}
				continue
			}
			if err := setValue(elem, e, list.Index(i)); err != nil {
				return fmt.Errorf("[%d]: %w", i, err)
			}
		}
		fv.Set(list)
	default:
		panic("oracle: unknown schema type " + typ)
	}
	return nil
}

// splitTag splits a schema tag at the commas outside <> and ().
func splitTag(tag string) []string {
	var parts []string
	depth, start := 0, 0
	for i, c := range tag {
		switch c {
		case '<', '(':
			depth++
		case '>', ')':
			depth--
		case ',':
			if depth == 0 {
				parts = append(parts, tag[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, tag[start:])
}

// has reports whether list contains s.
func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// loneSurrogate reports whether data has a \uXXXX escape of a surrogate
// that is not part of a high-low pair. (Outside strings a backslash is a
// syntax error anyway, so the whole input is scanned.)
func loneSurrogate(data []byte) bool {
	hex := func(i int) int {
		if i+4 > len(data) {
			return -1
		}
		v, err := strconv.ParseUint(string(data[i:i+4]), 16, 16)
		if err != nil {
			return -1
		}
		return int(v)
	}
	for i := 0; i < len(data); i++ {
		if data[i] != '\\' || i+1 >= len(data) {
			continue
		}
		if data[i+1] != 'u' {
			i++
			continue
		}
		switch r := hex(i + 2); {
		case r >= 0xDC00 && r <= 0xDFFF:
			return true
		case r >= 0xD800 && r <= 0xDBFF:
			if i+7 >= len(data) || data[i+6] != '\\' || data[i+7] != 'u' {
				return true
			}
			if lo := hex(i + 8); lo < 0xDC00 || lo > 0xDFFF {
				return true
			}
			i += 11
		default:
			i += 5
		}
	}
	return false
}
