package ir

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/streamgen/streamgen/gen/diag"
)

func TestTypeJSON(t *testing.T) {
	loc := &Record{Name: "Location"}
	tests := []struct {
		typ  Type
		want string
	}{
		{&Scalar{Kind: String}, `{"kind":"scalar","scalar":"string"}`},
		{&Scalar{Kind: Int32, Min: i64(0), Max: i64(1000)}, `{"kind":"scalar","scalar":"int32","min":0,"max":1000}`},
		{&Scalar{Kind: UUID}, `{"kind":"scalar","scalar":"uuid"}`},
		{&Timestamp{Unit: EpochSeconds}, `{"kind":"timestamp","unit":"epoch-seconds"}`},
		{&Timestamp{Unit: RFC3339}, `{"kind":"timestamp","unit":"rfc3339"}`},
		{&Date{}, `{"kind":"date"}`},
		{&Enum{Values: []string{"Open", "Close"}}, `{"kind":"enum","values":["Open","Close"]}`},
		{&Enum{}, `{"kind":"enum","values":[]}`},
		{&List{Elem: &Scalar{Kind: String}, ElemNullable: true}, `{"kind":"list","elem":{"kind":"scalar","scalar":"string"},"elemNullable":true}`},
		{&List{Elem: &List{Elem: &Date{}}}, `{"kind":"list","elem":{"kind":"list","elem":{"kind":"date"},"elemNullable":false},"elemNullable":false}`},
		{&Ref{Record: loc, Name: "Location"}, `{"kind":"ref","record":"Location"}`},
	}
	for _, tt := range tests {
		// As a Field's type (an interface value), and on its own.
		f := &Field{Name: "f", Type: tt.typ, Required: true}
		data, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		if want := `{"name":"f","type":` + tt.want + `,"required":true,"nullable":false,"pos":{"file":"","line":0,"col":0}}`; string(data) != want {
			t.Errorf("%s: field encodes as\n%s\nwant\n%s", tt.typ, data, want)
		}
		var back Field
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatalf("%s: %v", tt.typ, err)
		}
		if diff := cmp.Diff(f, &back, cmpopts.IgnoreFields(Ref{}, "Record"), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s: round trip (-want +got):\n%s", tt.typ, diff)
		}
		got, err := DecodeType([]byte(tt.want))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.typ, got, cmpopts.IgnoreFields(Ref{}, "Record"), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("DecodeType(%s) (-want +got):\n%s", tt.want, diff)
		}
	}
	// A concrete type decodes from its own encoding, and refuses another.
	var l List
	if err := json.Unmarshal([]byte(`{"kind":"list","elem":{"kind":"date"},"elemNullable":true}`), &l); err != nil || !l.ElemNullable || l.Elem.String() != "date" {
		t.Errorf("List.UnmarshalJSON: %+v, %v", l, err)
	}
	var s Scalar
	if err := json.Unmarshal([]byte(`{"kind":"date"}`), &s); err == nil {
		t.Error("a date decoded as a Scalar")
	}
}

func TestDecodeTypeErrors(t *testing.T) {
	for _, in := range []string{
		`{}`,
		`{"kind":"struct"}`,
		`{"kind":"scalar"}`,
		`{"kind":"timestamp"}`,
		`{"kind":"list"}`,
		`{"kind":"list","elem":{"kind":"nope"}}`,
		`{"scalar":"string"}`,
		`[1]`,
	} {
		if typ, err := DecodeType([]byte(in)); err == nil {
			t.Errorf("DecodeType(%s) = %v, want an error", in, typ)
		}
	}
	if typ, err := DecodeType([]byte(`null`)); typ != nil || err != nil {
		t.Errorf("DecodeType(null) = %v, %v", typ, err)
	}
	var f Field
	err := json.Unmarshal([]byte(`{"name":"x","type":{"kind":"blob"}}`), &f)
	if err == nil || !strings.Contains(err.Error(), `field "x": ir: unknown type kind "blob"`) {
		t.Errorf("bad field type: %v", err)
	}
}

// TestRecordsJSONRoundTrip encodes records and aggregates with a field of
// every type, decodes them and encodes them again.
func TestRecordsJSONRoundTrip(t *testing.T) {
	pos := diag.Pos{File: "schemas/order.json", Line: 3, Col: 5}
	item := &Record{Name: "Item", ID: "schemas/order.json#/$defs/Item", Source: "schemas/order.json", Pos: pos,
		Fields: []*Field{{Name: "sku", Type: &Scalar{Kind: String}, Required: true, Pos: pos}}}
	order := &Record{Name: "Order", ID: "schemas/order.json#", Doc: "An order.", Source: "schemas/order.json", Closed: true, Pos: pos,
		Fields: []*Field{
			{Name: "id", Type: &Scalar{Kind: UUID}, Required: true, Pos: pos},
			{Name: "qty", Type: &Scalar{Kind: Int32, Min: i64(1), Max: i64(99)}, Required: true, Pos: pos},
			{Name: "at", Type: &Timestamp{Unit: EpochMillis}, Nullable: true, Pos: pos},
			{Name: "day", Type: &Date{}, Pos: pos},
			{Name: "status", Doc: "Where it is.", Type: &Enum{Values: []string{"new", "paid"}}, Required: true, Pos: pos},
			{Name: "items", Type: &List{Elem: &Ref{Record: item, Name: "Item"}, ElemNullable: true}, Pos: pos},
			{Name: "tags", Type: &List{Elem: &List{Elem: &Scalar{Kind: Bool}}}, Pos: pos},
		}}
	aggs := []*Agg{
		{Func: AggCount, As: "n", Type: &Scalar{Kind: Int64}, Pos: pos},
		{Func: AggMax, Field: "at", As: "latest", Type: &Timestamp{Unit: EpochMillis}, Pos: pos},
		{Func: AggLast, Field: "status", As: "last_status", Type: &Enum{Values: []string{"new", "paid"}}, Pos: pos},
	}
	type doc struct {
		Records []*Record `json:"records"`
		Aggs    []*Agg    `json:"aggs"`
	}
	in := doc{Records: []*Record{item, order}, Aggs: aggs}
	data, err := json.MarshalIndent(in, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	var out doc
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, out, cmpopts.IgnoreFields(Ref{}, "Record")); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	again, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(data) {
		t.Errorf("re-encoding differs:\n%s\nwant\n%s", again, data)
	}
}
