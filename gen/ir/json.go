package ir

import (
	"encoding/json"
	"fmt"
)

// The JSON encoding of a Type (see the package doc) is an object tagged
// by "kind". Each concrete type marshals itself with its tag, so a Type
// anywhere in the IR (Field.Type, List.Elem, Agg.Type) is written with
// it; Field, List and Agg unmarshal their Type with DecodeType.

// The "kind" tags of the Type encodings.
const (
	kindScalar    = "scalar"
	kindTimestamp = "timestamp"
	kindDate      = "date"
	kindEnum      = "enum"
	kindList      = "list"
	kindRef       = "ref"
)

// MarshalJSON writes {"kind":"scalar","scalar":"int32","min":0,"max":9}
// (min and max only when set).
func (s *Scalar) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Kind   string     `json:"kind"`
		Scalar ScalarKind `json:"scalar"`
		Min    *int64     `json:"min,omitempty"`
		Max    *int64     `json:"max,omitempty"`
	}{kindScalar, s.Kind, s.Min, s.Max})
}

// MarshalJSON writes {"kind":"timestamp","unit":"epoch-seconds"}.
func (t *Timestamp) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Kind string   `json:"kind"`
		Unit TimeUnit `json:"unit"`
	}{kindTimestamp, t.Unit})
}

// MarshalJSON writes {"kind":"date"}.
func (*Date) MarshalJSON() ([]byte, error) {
	return []byte(`{"kind":"date"}`), nil
}

// MarshalJSON writes {"kind":"enum","values":["Open","Close"]}.
func (e *Enum) MarshalJSON() ([]byte, error) {
	values := e.Values
	if values == nil {
		values = []string{}
	}
	return json.Marshal(struct {
		Kind   string   `json:"kind"`
		Values []string `json:"values"`
	}{kindEnum, values})
}

// MarshalJSON writes {"kind":"list","elem":{…},"elemNullable":true}.
func (l *List) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Kind         string `json:"kind"`
		Elem         Type   `json:"elem"`
		ElemNullable bool   `json:"elemNullable"`
	}{kindList, l.Elem, l.ElemNullable})
}

// MarshalJSON writes {"kind":"ref","record":"Location"}.
func (r *Ref) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Kind   string `json:"kind"`
		Record string `json:"record"`
	}{kindRef, r.Name})
}

// typeJSON is the union of the Type encodings, for decoding.
type typeJSON struct {
	Kind         string          `json:"kind"`
	Scalar       ScalarKind      `json:"scalar"`
	Min          *int64          `json:"min"`
	Max          *int64          `json:"max"`
	Unit         TimeUnit        `json:"unit"`
	Values       []string        `json:"values"`
	Elem         json.RawMessage `json:"elem"`
	ElemNullable bool            `json:"elemNullable"`
	Record       string          `json:"record"`
}

// DecodeType decodes a Type from its JSON encoding (see the package doc).
// JSON null decodes to a nil Type. A Ref's Record is not restored: only
// its Name is in the encoding.
func DecodeType(data []byte) (Type, error) {
	var j *typeJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, err
	}
	if j == nil {
		return nil, nil
	}
	switch j.Kind {
	case kindScalar:
		if j.Scalar == "" {
			return nil, fmt.Errorf("ir: scalar type without a scalar kind")
		}
		return &Scalar{Kind: j.Scalar, Min: j.Min, Max: j.Max}, nil
	case kindTimestamp:
		if j.Unit == "" {
			return nil, fmt.Errorf("ir: timestamp type without a unit")
		}
		return &Timestamp{Unit: j.Unit}, nil
	case kindDate:
		return &Date{}, nil
	case kindEnum:
		return &Enum{Values: j.Values}, nil
	case kindList:
		elem, err := DecodeType(j.Elem)
		if err != nil {
			return nil, err
		}
		if elem == nil {
			return nil, fmt.Errorf("ir: list type without an element type")
		}
		return &List{Elem: elem, ElemNullable: j.ElemNullable}, nil
	case kindRef:
		return &Ref{Name: j.Record}, nil
	case "":
		return nil, fmt.Errorf("ir: type without a kind")
	}
	return nil, fmt.Errorf("ir: unknown type kind %q", j.Kind)
}

// decodeAs decodes data into *dst, which must be a type of the same
// concrete kind.
func decodeAs[T Type](data []byte, dst *T) error {
	t, err := DecodeType(data)
	if err != nil {
		return err
	}
	v, ok := t.(T)
	if !ok {
		return fmt.Errorf("ir: decode %T: got type %v", *dst, t)
	}
	*dst = v
	return nil
}

// UnmarshalJSON decodes the encoding MarshalJSON writes.
func (s *Scalar) UnmarshalJSON(data []byte) error {
	var t *Scalar
	if err := decodeAs(data, &t); err != nil {
		return err
	}
	*s = *t
	return nil
}

// UnmarshalJSON decodes the encoding MarshalJSON writes.
func (t *Timestamp) UnmarshalJSON(data []byte) error {
	var v *Timestamp
	if err := decodeAs(data, &v); err != nil {
		return err
	}
	*t = *v
	return nil
}

// UnmarshalJSON decodes the encoding MarshalJSON writes.
func (d *Date) UnmarshalJSON(data []byte) error {
	var v *Date
	return decodeAs(data, &v)
}

// UnmarshalJSON decodes the encoding MarshalJSON writes.
func (e *Enum) UnmarshalJSON(data []byte) error {
	var v *Enum
	if err := decodeAs(data, &v); err != nil {
		return err
	}
	*e = *v
	return nil
}

// UnmarshalJSON decodes the encoding MarshalJSON writes.
func (l *List) UnmarshalJSON(data []byte) error {
	var v *List
	if err := decodeAs(data, &v); err != nil {
		return err
	}
	*l = *v
	return nil
}

// UnmarshalJSON decodes the encoding MarshalJSON writes (Record is left
// nil).
func (r *Ref) UnmarshalJSON(data []byte) error {
	var v *Ref
	if err := decodeAs(data, &v); err != nil {
		return err
	}
	*r = *v
	return nil
}

// UnmarshalJSON decodes a field, its Type with DecodeType.
func (f *Field) UnmarshalJSON(data []byte) error {
	type plain Field // without the methods
	var v struct {
		*plain
		Type json.RawMessage `json:"type"`
	}
	out := Field{}
	v.plain = (*plain)(&out)
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	t, err := DecodeType(v.Type)
	if err != nil {
		return fmt.Errorf("field %q: %w", out.Name, err)
	}
	out.Type = t
	*f = out
	return nil
}

// UnmarshalJSON decodes an aggregate, its Type with DecodeType.
func (a *Agg) UnmarshalJSON(data []byte) error {
	type plain Agg // without the methods
	var v struct {
		*plain
		Type json.RawMessage `json:"type"`
	}
	out := Agg{}
	v.plain = (*plain)(&out)
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	t, err := DecodeType(v.Type)
	if err != nil {
		return fmt.Errorf("aggregate %q: %w", out.As, err)
	}
	out.Type = t
	*a = out
	return nil
}
