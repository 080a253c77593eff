package console

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// timeLayout is Spark's default timestamp rendering (yyyy-MM-dd HH:mm:ss
// with the fraction of a second when there is one).
const timeLayout = "2006-01-02 15:04:05.999999"

var (
	timeType     = reflect.TypeFor[time.Time]()
	stringerType = reflect.TypeFor[fmt.Stringer]()
)

// renderer turns rows of one type into cells. Struct field plans are
// computed once per type and cached.
type renderer struct {
	columns []string
	top     *structPlan // nil when the row type is not a struct
	ptr     bool        // the row type is a pointer to the struct

	mu    sync.Mutex
	plans map[reflect.Type]*structPlan
}

// structPlan lists the printed fields of a struct type, in order.
type structPlan struct {
	names   []string
	indexes [][]int
}

func newRenderer(t reflect.Type) *renderer {
	r := &renderer{plans: map[reflect.Type]*structPlan{}}
	st := t
	if st.Kind() == reflect.Pointer && st.Elem().Kind() == reflect.Struct && !st.Elem().Implements(stringerType) {
		st, r.ptr = st.Elem(), true
	}
	if st.Kind() == reflect.Struct && st != timeType && !st.Implements(stringerType) {
		r.top = r.plan(st)
		r.columns = r.top.names
	} else {
		r.ptr = false
		r.columns = []string{"value"}
	}
	return r
}

// plan returns the cached plan of struct type t.
func (r *renderer) plan(t reflect.Type) *structPlan {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p, ok := r.plans[t]; ok {
		return p
	}
	p := &structPlan{}
	addFields(p, t, nil)
	r.plans[t] = p
	return p
}

// addFields adds the printed fields of t to p, as encoding/json names
// them: the json tag's name, else the Go name; "-" and unexported fields
// left out; untagged embedded structs flattened.
func addFields(p *structPlan, t reflect.Type, prefix []int) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		index := append(slices.Clone(prefix), i)
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			addFields(p, f.Type, index)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		p.names = append(p.names, name)
		p.indexes = append(p.indexes, index)
	}
}

// row renders one row (a value of the sink's type) as cells.
func (r *renderer) row(v reflect.Value) []string {
	if r.top == nil {
		return []string{r.value(v)}
	}
	cells := make([]string, len(r.columns))
	if r.ptr {
		if v.IsNil() {
			for i := range cells {
				cells[i] = "null"
			}
			return cells
		}
		v = v.Elem()
	}
	for i, idx := range r.top.indexes {
		cells[i] = r.value(v.FieldByIndex(idx))
	}
	return cells
}

// value renders one value as Spark's show does.
func (r *renderer) value(v reflect.Value) string {
	if !v.IsValid() {
		return "null"
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Slice, reflect.Map:
		if v.IsNil() {
			return "null"
		}
	}
	if v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		return r.value(v.Elem())
	}
	if v.Type() == timeType {
		return v.Interface().(time.Time).UTC().Format(timeLayout)
	}
	if v.Type().Implements(stringerType) && v.CanInterface() {
		return v.Interface().(fmt.Stringer).String()
	}
	switch v.Kind() {
	case reflect.String:
		return v.String()
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(v.Uint(), 10)
	case reflect.Float32:
		return formatFloat(v.Float(), 32)
	case reflect.Float64:
		return formatFloat(v.Float(), 64)
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return hexBytes(v)
		}
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = r.value(v.Index(i))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case reflect.Map:
		parts := make([]string, 0, v.Len())
		it := v.MapRange()
		for it.Next() {
			parts = append(parts, r.value(it.Key())+" -> "+r.value(it.Value()))
		}
		slices.Sort(parts)
		return "{" + strings.Join(parts, ", ") + "}"
	case reflect.Struct:
		p := r.plan(v.Type())
		parts := make([]string, len(p.indexes))
		for i, idx := range p.indexes {
			parts[i] = r.value(v.FieldByIndex(idx))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	if v.CanInterface() {
		return fmt.Sprint(v.Interface())
	}
	return v.Kind().String()
}

// hexBytes renders binary as Spark does: [0A FF].
func hexBytes(v reflect.Value) string {
	var b strings.Builder
	b.WriteByte('[')
	for i := range v.Len() {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%02X", v.Index(i).Uint())
	}
	b.WriteByte(']')
	return b.String()
}
