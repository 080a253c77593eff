package emit

import (
	"fmt"
	"go/parser"
	"go/token"
	"strings"
	"testing"

	"github.com/dave/jennifer/jen"

	"github.com/streamgen/streamgen/gen/internal/naming"
	"github.com/streamgen/streamgen/gen/ir"
	"github.com/streamgen/streamgen/gen/plan"
)

// The Kafka sink's key function encodes each key kind as documented: a
// string or enum as its bytes, numbers and booleans as text, timestamps
// in RFC 3339, dates as YYYY-MM-DD; a nil pointer appends nothing.
func TestKafkaSinkKey(t *testing.T) {
	for _, tc := range []struct {
		kind    plan.GoKind
		pointer bool
		want    []string
	}{
		{plan.GoString, false, []string{"return append(dst, r.K...)"}},
		{plan.GoString, true, []string{"if r.K == nil {\n\t\treturn dst\n\t}", "return append(dst, *r.K...)"}},
		{plan.GoEnum, false, []string{"return append(dst, string(r.K)...)"}},
		{plan.GoEnum, true, []string{"return append(dst, string(*r.K)...)"}},
		{plan.GoInt32, false, []string{"return strconv.AppendInt(dst, int64(r.K), 10)"}},
		{plan.GoInt64, true, []string{"return strconv.AppendInt(dst, int64(*r.K), 10)"}},
		{plan.GoFloat64, false, []string{"return strconv.AppendFloat(dst, r.K, 'g', -1, 64)"}},
		{plan.GoBool, true, []string{"return strconv.AppendBool(dst, *r.K)"}},
		{plan.GoTime, false, []string{"return r.K.AppendFormat(dst, time.RFC3339Nano)"}},
		{plan.GoTime, true, []string{"return (*r.K).AppendFormat(dst, time.RFC3339Nano)"}},
		{plan.GoDate, false, []string{"return r.K.Time().AppendFormat(dst, time.DateOnly)"}},
		{plan.GoDate, true, []string{"return (*r.K).Time().AppendFormat(dst, time.DateOnly)"}},
	} {
		t.Run(fmt.Sprintf("%s pointer=%v", tc.kind, tc.pointer), func(t *testing.T) {
			f := &plan.Field{IR: &ir.Field{Name: "k"}, GoName: "K", Pointer: tc.pointer, Type: &plan.Type{Kind: tc.kind, Pointer: tc.pointer}}
			r := &plan.Runnable{
				New:    "NewP",
				Output: &plan.Record{GoName: "Out", Fields: []*plan.Field{f}},
				Kafka:  &plan.KafkaPlan{Sink: true, Closer: "pCloser", SinkKey: "pSinkKey", KeyField: f},
			}
			jf := jen.NewFile("p")
			for _, c := range kafkaFuncs(r) {
				jf.Add(c)
				jf.Line()
			}
			src := fmt.Sprintf("%#v", jf)
			if _, err := parser.ParseFile(token.NewFileSet(), "p.go", src, 0); err != nil {
				t.Fatalf("%v\n%s", err, src)
			}
			for _, w := range append(tc.want, "func pSinkKey(dst []byte, r *Out) []byte {", "type pCloser func()") {
				if !strings.Contains(src, w) {
					t.Errorf("missing %q in:\n%s", w, src)
				}
			}
		})
	}
}

// The Kafka sink's headers function: each header's field as the key's
// text, in the plan's (name) order, a pointer field's header only when it
// is not nil, the values slices of one buffer (b[n:], n advanced after
// each header but the last; the buffer itself for a single header).
func TestKafkaSinkHeaders(t *testing.T) {
	field := func(name string, kind plan.GoKind, pointer bool) *plan.Field {
		return &plan.Field{IR: &ir.Field{Name: name}, GoName: naming.Pascal(name), Pointer: pointer, Type: &plan.Type{Kind: kind, Pointer: pointer}}
	}
	emitHeaders := func(t *testing.T, hs ...*plan.KafkaHeader) string {
		t.Helper()
		var fields []*plan.Field
		for _, h := range hs {
			fields = append(fields, h.Field)
		}
		r := &plan.Runnable{
			New:    "NewP",
			Output: &plan.Record{GoName: "Out", Fields: fields},
			Kafka:  &plan.KafkaPlan{Sink: true, Closer: "pCloser", SinkHeaders: "pSinkHeaders", Headers: hs},
		}
		jf := jen.NewFile("p")
		for _, c := range kafkaFuncs(r) {
			jf.Add(c)
			jf.Line()
		}
		src := fmt.Sprintf("%#v", jf)
		if _, err := parser.ParseFile(token.NewFileSet(), "p.go", src, 0); err != nil {
			t.Fatalf("%v\n%s", err, src)
		}
		if strings.Contains(src, "SinkKey") {
			t.Errorf("a key function without a key:\n%s", src)
		}
		return src
	}
	inOrder := func(t *testing.T, src string, want ...string) {
		t.Helper()
		rest := strings.ReplaceAll(src, "\n// ", " ") // doc comments unwrapped
		for _, w := range want {
			i := strings.Index(rest, w)
			if i < 0 {
				t.Fatalf("missing %q (in this order) in:\n%s", w, src)
			}
			rest = rest[i+len(w):]
		}
	}

	t.Run("every kind", func(t *testing.T) {
		src := emitHeaders(t,
			&plan.KafkaHeader{Name: "a-str", Field: field("s", plan.GoString, false)},
			&plan.KafkaHeader{Name: "b-str", Field: field("ps", plan.GoString, true)},
			&plan.KafkaHeader{Name: "c-enum", Field: field("e", plan.GoEnum, true)},
			&plan.KafkaHeader{Name: "d-int32", Field: field("i", plan.GoInt32, false)},
			&plan.KafkaHeader{Name: "e-int64", Field: field("l", plan.GoInt64, true)},
			&plan.KafkaHeader{Name: "f-float", Field: field("f", plan.GoFloat64, false)},
			&plan.KafkaHeader{Name: "g-bool", Field: field("b", plan.GoBool, true)},
			&plan.KafkaHeader{Name: "h-time", Field: field("t", plan.GoTime, true)},
			&plan.KafkaHeader{Name: "i-date", Field: field("d", plan.GoDate, false)},
		)
		inOrder(t, src,
			"A header whose field is null is left out.",
			"func pSinkHeaders(r *Out) []kafka.Header {",
			"hs := make([]kafka.Header, 0, 9)", "var b []byte", "var n int",
			"b = append(b, r.S...)", `hs = append(hs, kafka.Header{Key: "a-str", Value: b[n:]})`, "n = len(b)",
			"if r.Ps != nil {", "b = append(b, *r.Ps...)", `{Key: "b-str", Value: b[n:]}`, "n = len(b)\n\t}",
			"if r.E != nil {", "b = append(b, string(*r.E)...)", `{Key: "c-enum", Value: b[n:]}`,
			"b = strconv.AppendInt(b, int64(r.I), 10)", `{Key: "d-int32", Value: b[n:]}`,
			"if r.L != nil {", "b = strconv.AppendInt(b, int64(*r.L), 10)", `{Key: "e-int64", Value: b[n:]}`,
			"b = strconv.AppendFloat(b, r.F, 'g', -1, 64)", `{Key: "f-float", Value: b[n:]}`,
			"if r.B != nil {", "b = strconv.AppendBool(b, *r.B)", `{Key: "g-bool", Value: b[n:]}`,
			"if r.T != nil {", "b = (*r.T).AppendFormat(b, time.RFC3339Nano)", `{Key: "h-time", Value: b[n:]}`,
			"b = r.D.Time().AppendFormat(b, time.DateOnly)", `hs = append(hs, kafka.Header{Key: "i-date", Value: b[n:]})`+"\n\treturn hs\n}",
		)
		if got := strings.Count(src, "n = len(b)"); got != 8 {
			t.Errorf("n advanced %d times, want 8 (after each header but the last):\n%s", got, src)
		}
	})
	t.Run("one header", func(t *testing.T) {
		src := emitHeaders(t, &plan.KafkaHeader{Name: "id", Field: field("id", plan.GoInt64, false)})
		inOrder(t, src, "pSinkHeaders returns the Kafka record headers of r, in name order, each a field as text (as the key): id: the id field, the integer in decimal. The values share one buffer",
			"hs := make([]kafka.Header, 0, 1)\n\tvar b []byte\n\tb = strconv.AppendInt(b, int64(r.ID), 10)\n\ths = append(hs, kafka.Header{Key: \"id\", Value: b})\n\treturn hs\n}")
		if strings.Contains(src, "var n") || strings.Contains(src, "left out") {
			t.Errorf("one non-null header: no offset, nothing left out:\n%s", src)
		}
	})
}

// The JSON options of the Kafka source are rendered sorted, as the
// runtime parses them.
func TestKafkaJSONOptions(t *testing.T) {
	if got, want := assignJSON([]ir.TopicPartitions{{Topic: "a", Partitions: []int32{0, 2}}, {Topic: "b", Partitions: []int32{1}}}), `{"a":[0,2],"b":[1]}`; got != want {
		t.Errorf("assignJSON = %s, want %s", got, want)
	}
	parts := []ir.PartitionOffset{{Topic: "a", Partition: 0, Offset: -2}, {Topic: "a", Partition: 1, Offset: 42}, {Topic: "b", Partition: 0, Offset: -1}}
	if got, want := startingOffsetsJSON(parts), `{"a":{"0":-2,"1":42},"b":{"0":-1}}`; got != want {
		t.Errorf("startingOffsetsJSON = %s, want %s", got, want)
	}
	if got := startingOffsetsJSON(nil); got != "{}" {
		t.Errorf("startingOffsetsJSON(nil) = %s", got)
	}
}
