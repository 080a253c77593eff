package delta

import (
	"encoding/json"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// allTypesSchema is a schema using every type the protocol defines, in the
// exact JSON Spark writes (field order: name, type, nullable, metadata).
const allTypesSchema = `{"type":"struct","fields":[` +
	`{"name":"s","type":"string","nullable":true,"metadata":{}},` +
	`{"name":"l","type":"long","nullable":false,"metadata":{}},` +
	`{"name":"i","type":"integer","nullable":true,"metadata":{}},` +
	`{"name":"sh","type":"short","nullable":true,"metadata":{}},` +
	`{"name":"b","type":"byte","nullable":true,"metadata":{}},` +
	`{"name":"f","type":"float","nullable":true,"metadata":{}},` +
	`{"name":"d","type":"double","nullable":true,"metadata":{}},` +
	`{"name":"bo","type":"boolean","nullable":true,"metadata":{}},` +
	`{"name":"bi","type":"binary","nullable":true,"metadata":{}},` +
	`{"name":"dt","type":"date","nullable":true,"metadata":{}},` +
	`{"name":"ts","type":"timestamp","nullable":true,"metadata":{}},` +
	`{"name":"ntz","type":"timestamp_ntz","nullable":true,"metadata":{}},` +
	`{"name":"dec","type":"decimal(38,18)","nullable":true,"metadata":{"comment":"money"}},` +
	`{"name":"v","type":"void","nullable":true,"metadata":{}},` +
	`{"name":"st","type":{"type":"struct","fields":[{"name":"x","type":"integer","nullable":true,"metadata":{}}]},"nullable":true,"metadata":{}},` +
	`{"name":"arr","type":{"type":"array","elementType":"string","containsNull":false},"nullable":true,"metadata":{}},` +
	`{"name":"m","type":{"type":"map","keyType":"string","valueType":{"type":"array","elementType":"long","containsNull":true},"valueContainsNull":true},"nullable":true,"metadata":{}}` +
	`]}`

func TestSchemaRoundTripIsByteExact(t *testing.T) {
	st, err := ParseSchema(allTypesSchema)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.SchemaString(); got != allTypesSchema {
		t.Errorf("SchemaString round trip differs:\n got %s\nwant %s", got, allTypesSchema)
	}
	want := "struct<s:string,l:long,i:integer,sh:short,b:byte,f:float,d:double,bo:boolean,bi:binary," +
		"dt:date,ts:timestamp,ntz:timestamp_ntz,dec:decimal(38,18),v:void,st:struct<x:integer>," +
		"arr:array<string>,m:map<string,array<long>>>"
	if got := st.String(); got != want {
		t.Errorf("String() = %s, want %s", got, want)
	}
	f, idx := st.Field("dec")
	if idx != 12 || f.Type != (DecimalType{Precision: 38, Scale: 18}) || f.Metadata["comment"] != "money" {
		t.Errorf("Field(dec) = %+v at %d", f, idx)
	}
	if f, _ := st.Field("l"); f.Nullable {
		t.Error("l must be non-nullable")
	}
}

func TestSchemaJSONMarshalEmbeds(t *testing.T) {
	st := &StructType{Fields: []StructField{{Name: "a", Type: Long, Nullable: true}}}
	b, err := json.Marshal(map[string]any{"schema": st})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"schema":{"type":"struct","fields":[{"name":"a","type":"long","nullable":true,"metadata":{}}]}}`
	if string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
	var back struct{ Schema StructType }
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Schema.SchemaString() != st.SchemaString() {
		t.Errorf("unmarshal gave %s", back.Schema.SchemaString())
	}
}

func TestParseSchemaErrorsNameTheField(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"type":"struct","fields":[{"name":"a","type":"varchar","nullable":true}]}`, `a: unsupported type "varchar"`},
		{`{"type":"struct","fields":[{"name":"a","type":{"type":"struct","fields":[{"name":"b","type":"decimal(40,2)"}]}}]}`, `a.b: invalid decimal(40,2)`},
		{`{"type":"struct","fields":[{"type":"long"}]}`, `fields[0]: missing name`},
		{`"long"`, `top level is long, want struct`},
		{`{"type":"struct","fields":[{"name":"a"}]}`, `a: missing type`},
		{`not json`, `invalid character`},
	}
	for _, tt := range tests {
		_, err := ParseSchema(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseSchema(%s) = %v, want error containing %q", tt.in, err, tt.want)
		}
	}
}

func TestParseActionKindsAndUnknowns(t *testing.T) {
	lines := []string{
		`{"protocol":{"minReaderVersion":3,"minWriterVersion":7,"readerFeatures":[],"writerFeatures":["appendOnly"]}}`,
		`{"metaData":{"id":"x","format":{"provider":"parquet","options":{}},"schemaString":"{}","partitionColumns":["p"],"configuration":{"k":"v"},"createdTime":1}}`,
		`{"add":{"path":"p=1/a%20b.parquet","partitionValues":{"p":"1","q":null},"size":10,"modificationTime":5,"dataChange":true,"stats":"{\"numRecords\":1}","unknownField":7}}`,
		`{"remove":{"path":"a","deletionTimestamp":9,"dataChange":true,"extendedFileMetadata":true,"size":3}}`,
		`{"txn":{"appId":"q","version":4,"lastUpdated":100}}`,
		`{"commitInfo":{"timestamp":1,"operation":"WRITE","operationParameters":{"mode":"Append"},"operationMetrics":{"numFiles":2},"clusterId":"c-1"}}`,
		`{"cdc":{"path":"_change_data/x","partitionValues":{},"size":1,"dataChange":false}}`,
		`{"domainMetadata":{"domain":"d","configuration":"{}","removed":false}}`,
		`{"checkpointMetadata":{"version":1}}`,
	}
	wantKinds := []string{"protocol", "metaData", "add", "remove", "txn", "commitInfo", "cdc", "domainMetadata", "checkpointMetadata"}
	for i, l := range lines {
		a, err := ParseAction([]byte(l))
		if err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		if a.Kind() != wantKinds[i] {
			t.Errorf("line %d: kind %q, want %q", i, a.Kind(), wantKinds[i])
		}
	}
	add, _ := ParseAction([]byte(lines[2]))
	if p, _ := add.Add.DecodedPath(); p != "p=1/a b.parquet" {
		t.Errorf("decoded path %q", p)
	}
	if add.Add.PartitionValues["q"] != nil || *add.Add.PartitionValues["p"] != "1" {
		t.Errorf("partitionValues %v", add.Add.PartitionValues)
	}
	ci, _ := ParseAction([]byte(lines[5]))
	if ci.CommitInfo.OperationMetrics["numFiles"] != "2" {
		t.Errorf("numeric operationMetrics not kept as string: %v", ci.CommitInfo.OperationMetrics)
	}
	if string(ci.CommitInfo.Extra["clusterId"]) != `"c-1"` {
		t.Errorf("unknown commitInfo keys not carried: %v", ci.CommitInfo.Extra)
	}
	// Writing back keeps the carried key.
	b, err := ci.MarshalLine()
	if err != nil || !strings.Contains(string(b), `"clusterId":"c-1"`) {
		t.Errorf("MarshalLine = %s, %v", b, err)
	}
	unknown, _ := ParseAction([]byte(lines[8]))
	if _, err := unknown.MarshalLine(); err == nil {
		t.Error("writing an unknown action must fail")
	}
}

func TestParseActionRejectsMalformed(t *testing.T) {
	for _, l := range []string{
		`{"add":{"path":7}}`,
		`{"add":{"size":1}}`,
		`[1,2]`,
		`{"add":`,
		`{}`,
		`{"protocol":{"minReaderVersion":"one"}}`,
	} {
		if a, err := ParseAction([]byte(l)); err == nil {
			t.Errorf("ParseAction(%s) = %+v, want error", l, a)
		}
	}
	if a, err := ParseAction([]byte("  \t")); a != nil || err != nil {
		t.Errorf("blank line = %v, %v; want nil, nil", a, err)
	}
}

func TestAddLineShape(t *testing.T) {
	v := "1"
	a := &Action{Add: &Add{
		Path: "p=1/part-0.parquet", PartitionValues: map[string]*string{"p": &v, "q": nil},
		Size: 10, ModificationTime: 20, DataChange: true, Stats: `{"numRecords":1}`,
	}}
	b, err := a.MarshalLine()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"add":{"path":"p=1/part-0.parquet","partitionValues":{"p":"1","q":null},"size":10,"modificationTime":20,"dataChange":true,"stats":"{\"numRecords\":1}"}}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}

func TestPathEncoding(t *testing.T) {
	tests := []struct{ raw, enc string }{
		{"part-0.parquet", "part-0.parquet"},
		{"x=A%2FA/f.parquet", "x=A%252FA/f.parquet"},
		{"x=B B/f.parquet", "x=B%20B/f.parquet"},
		{"d=1970-01-02 08:45:00/f", "d=1970-01-02%2008:45:00/f"},
		{"a+b/ü.parquet", "a+b/%C3%BC.parquet"},
	}
	for _, tt := range tests {
		if got := EncodePath(tt.raw); got != tt.enc {
			t.Errorf("EncodePath(%q) = %q, want %q", tt.raw, got, tt.enc)
		}
		if got, err := DecodePath(tt.enc); err != nil || got != tt.raw {
			t.Errorf("DecodePath(%q) = %q, %v; want %q", tt.enc, got, err, tt.raw)
		}
	}
	if _, err := DecodePath("bad%zz"); err == nil {
		t.Error("DecodePath of an invalid escape must fail")
	}
}

func TestDecimalAndDate(t *testing.T) {
	tests := []struct {
		unscaled int64
		scale    int
		want     string
	}{
		{12345, 3, "12.345"}, {-5, 3, "-0.005"}, {0, 2, "0.00"}, {7, 0, "7"}, {-123, 1, "-12.3"},
	}
	for _, tt := range tests {
		d := Decimal{Unscaled: big.NewInt(tt.unscaled), Scale: tt.scale}
		if d.String() != tt.want {
			t.Errorf("Decimal(%d,%d) = %s, want %s", tt.unscaled, tt.scale, d, tt.want)
		}
		back, err := ParseDecimal(tt.want, tt.scale)
		if err != nil || back.Unscaled.Cmp(d.Unscaled) != 0 {
			t.Errorf("ParseDecimal(%s) = %v, %v", tt.want, back, err)
		}
	}
	if _, err := ParseDecimal("1.234", 2); err == nil {
		t.Error("ParseDecimal must refuse extra fraction digits")
	}
	d := DateOf(time.Date(2021, 9, 8, 23, 59, 0, 0, time.UTC))
	if d.String() != "2021-09-08" || int32(d) != 18878 {
		t.Errorf("DateOf = %d %s", d, d)
	}
	if diff := cmp.Diff("1969-12-31", DateValue(-1).String()); diff != "" {
		t.Error(diff)
	}
}
