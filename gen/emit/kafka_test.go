package emit

import (
	"fmt"
	"go/parser"
	"go/token"
	"strings"
	"testing"

	"github.com/dave/jennifer/jen"

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
