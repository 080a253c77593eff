package delta

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// DataType is a Delta column type: a [PrimitiveType], [DecimalType],
// [*StructType], [*ArrayType] or [*MapType]. The set is closed.
type DataType interface {
	// String returns the type in Spark's simple form, e.g. "long",
	// "decimal(10,2)", "array<string>", "struct<a:int>".
	String() string
	isDataType()
}

// PrimitiveType is a scalar Delta type named as in the schema JSON.
type PrimitiveType string

// The primitive types of the Delta protocol.
const (
	String       PrimitiveType = "string"
	Long         PrimitiveType = "long"
	Integer      PrimitiveType = "integer"
	Short        PrimitiveType = "short"
	Byte         PrimitiveType = "byte"
	Float        PrimitiveType = "float"
	Double       PrimitiveType = "double"
	Boolean      PrimitiveType = "boolean"
	Binary       PrimitiveType = "binary"
	Date         PrimitiveType = "date"
	Timestamp    PrimitiveType = "timestamp"
	TimestampNTZ PrimitiveType = "timestamp_ntz"
	// Void is Spark's NullType: a column that is always null and never
	// materialised in data files.
	Void PrimitiveType = "void"
)

var knownPrimitives = map[PrimitiveType]bool{
	String: true, Long: true, Integer: true, Short: true, Byte: true, Float: true,
	Double: true, Boolean: true, Binary: true, Date: true, Timestamp: true,
	TimestampNTZ: true, Void: true,
}

func (p PrimitiveType) String() string { return string(p) }
func (PrimitiveType) isDataType()      {}

// DecimalType is a fixed-point number with Precision digits, Scale of
// them after the point (precision at most 38).
type DecimalType struct {
	Precision int
	Scale     int
}

func (d DecimalType) String() string { return fmt.Sprintf("decimal(%d,%d)", d.Precision, d.Scale) }
func (DecimalType) isDataType()      {}

// StructField is one named field of a [StructType].
type StructField struct {
	Name     string
	Type     DataType
	Nullable bool
	// Metadata is carried verbatim (column mapping ids, comments,
	// generation expressions...). It may be nil.
	Metadata map[string]any
}

// StructType is an ordered list of fields; a table schema is one.
type StructType struct {
	Fields []StructField
}

func (*StructType) isDataType() {}

func (s *StructType) String() string {
	var b strings.Builder
	b.WriteString("struct<")
	for i, f := range s.Fields {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(f.Name)
		b.WriteByte(':')
		b.WriteString(f.Type.String())
	}
	b.WriteByte('>')
	return b.String()
}

// Field returns the field named name (exact match) and its index, or -1.
func (s *StructType) Field(name string) (StructField, int) {
	for i, f := range s.Fields {
		if f.Name == name {
			return f, i
		}
	}
	return StructField{}, -1
}

// ArrayType is a list of ElementType values.
type ArrayType struct {
	ElementType  DataType
	ContainsNull bool
}

func (*ArrayType) isDataType()      {}
func (a *ArrayType) String() string { return "array<" + a.ElementType.String() + ">" }

// MapType maps KeyType (never null) to ValueType.
type MapType struct {
	KeyType           DataType
	ValueType         DataType
	ValueContainsNull bool
}

func (*MapType) isDataType() {}
func (m *MapType) String() string {
	return "map<" + m.KeyType.String() + "," + m.ValueType.String() + ">"
}

// ParseSchema decodes a metaData.schemaString.
func ParseSchema(schemaString string) (*StructType, error) {
	var raw json.RawMessage
	if err := json.Unmarshal([]byte(schemaString), &raw); err != nil {
		return nil, fmt.Errorf("delta: schema: %w", err)
	}
	t, err := parseType(raw, "")
	if err != nil {
		return nil, fmt.Errorf("delta: schema: %w", err)
	}
	st, ok := t.(*StructType)
	if !ok {
		return nil, fmt.Errorf("delta: schema: top level is %s, want struct", t)
	}
	return st, nil
}

var decimalRE = regexp.MustCompile(`^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$`)

func parseType(raw json.RawMessage, path string) (DataType, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var name string
		if err := json.Unmarshal(raw, &name); err != nil {
			return nil, fmt.Errorf("%s: %w", pathOr(path), err)
		}
		return parsePrimitive(name, path)
	}
	var obj struct {
		Type              string            `json:"type"`
		Fields            []json.RawMessage `json:"fields"`
		ElementType       json.RawMessage   `json:"elementType"`
		ContainsNull      *bool             `json:"containsNull"`
		KeyType           json.RawMessage   `json:"keyType"`
		ValueType         json.RawMessage   `json:"valueType"`
		ValueContainsNull *bool             `json:"valueContainsNull"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, fmt.Errorf("%s: %w", pathOr(path), err)
	}
	switch obj.Type {
	case "struct":
		st := &StructType{Fields: make([]StructField, 0, len(obj.Fields))}
		for i, fr := range obj.Fields {
			var f struct {
				Name     *string         `json:"name"`
				Type     json.RawMessage `json:"type"`
				Nullable *bool           `json:"nullable"`
				Metadata map[string]any  `json:"metadata"`
			}
			if err := json.Unmarshal(fr, &f); err != nil {
				return nil, fmt.Errorf("%s.fields[%d]: %w", pathOr(path), i, err)
			}
			if f.Name == nil {
				return nil, fmt.Errorf("%s.fields[%d]: missing name", pathOr(path), i)
			}
			if len(f.Type) == 0 {
				return nil, fmt.Errorf("%s: missing type", joinPath(path, *f.Name))
			}
			t, err := parseType(f.Type, joinPath(path, *f.Name))
			if err != nil {
				return nil, err
			}
			st.Fields = append(st.Fields, StructField{
				Name: *f.Name, Type: t, Nullable: f.Nullable == nil || *f.Nullable, Metadata: f.Metadata,
			})
		}
		return st, nil
	case "array":
		et, err := parseType(obj.ElementType, path+"[]")
		if err != nil {
			return nil, err
		}
		return &ArrayType{ElementType: et, ContainsNull: obj.ContainsNull == nil || *obj.ContainsNull}, nil
	case "map":
		kt, err := parseType(obj.KeyType, path+".key")
		if err != nil {
			return nil, err
		}
		vt, err := parseType(obj.ValueType, path+".value")
		if err != nil {
			return nil, err
		}
		return &MapType{KeyType: kt, ValueType: vt, ValueContainsNull: obj.ValueContainsNull == nil || *obj.ValueContainsNull}, nil
	default:
		return nil, fmt.Errorf("%s: unsupported type %q", pathOr(path), obj.Type)
	}
}

func parsePrimitive(name, path string) (DataType, error) {
	if m := decimalRE.FindStringSubmatch(name); m != nil {
		p, _ := strconv.Atoi(m[1])
		s, _ := strconv.Atoi(m[2])
		if p < 1 || p > 38 || s > p {
			return nil, fmt.Errorf("%s: invalid %s", pathOr(path), name)
		}
		return DecimalType{Precision: p, Scale: s}, nil
	}
	if name == "decimal" {
		return DecimalType{Precision: 10, Scale: 0}, nil
	}
	if knownPrimitives[PrimitiveType(name)] {
		return PrimitiveType(name), nil
	}
	return nil, fmt.Errorf("%s: unsupported type %q", pathOr(path), name)
}

func pathOr(p string) string {
	if p == "" {
		return "schema"
	}
	return p
}

func joinPath(p, name string) string {
	if p == "" {
		return name
	}
	return p + "." + name
}

// MarshalJSON encodes the schema as a Spark StructType JSON object.
func (s *StructType) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	if err := writeType(&b, s); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// UnmarshalJSON decodes a Spark StructType JSON object.
func (s *StructType) UnmarshalJSON(data []byte) error {
	t, err := parseType(data, "")
	if err != nil {
		return err
	}
	st, ok := t.(*StructType)
	if !ok {
		return fmt.Errorf("delta: schema: top level is %s, want struct", t)
	}
	*s = *st
	return nil
}

// SchemaString returns the schema as a metaData.schemaString value.
func (s *StructType) SchemaString() string {
	b, err := s.MarshalJSON()
	if err != nil {
		// Only reachable with a nil or foreign DataType, a programming error.
		panic(fmt.Sprintf("delta: schema: %v", err))
	}
	return string(b)
}

func writeType(b *bytes.Buffer, t DataType) error {
	switch t := t.(type) {
	case PrimitiveType:
		b.WriteString(strconv.Quote(string(t)))
	case DecimalType:
		b.WriteString(strconv.Quote(t.String()))
	case *StructType:
		b.WriteString(`{"type":"struct","fields":[`)
		for i, f := range t.Fields {
			if i > 0 {
				b.WriteByte(',')
			}
			name, _ := json.Marshal(f.Name)
			b.WriteString(`{"name":`)
			b.Write(name)
			b.WriteString(`,"type":`)
			if err := writeType(b, f.Type); err != nil {
				return err
			}
			b.WriteString(`,"nullable":`)
			b.WriteString(strconv.FormatBool(f.Nullable))
			b.WriteString(`,"metadata":`)
			md := f.Metadata
			if md == nil {
				md = map[string]any{}
			}
			mb, err := json.Marshal(md)
			if err != nil {
				return err
			}
			b.Write(mb)
			b.WriteByte('}')
		}
		b.WriteString(`]}`)
	case *ArrayType:
		b.WriteString(`{"type":"array","elementType":`)
		if err := writeType(b, t.ElementType); err != nil {
			return err
		}
		b.WriteString(`,"containsNull":` + strconv.FormatBool(t.ContainsNull) + `}`)
	case *MapType:
		b.WriteString(`{"type":"map","keyType":`)
		if err := writeType(b, t.KeyType); err != nil {
			return err
		}
		b.WriteString(`,"valueType":`)
		if err := writeType(b, t.ValueType); err != nil {
			return err
		}
		b.WriteString(`,"valueContainsNull":` + strconv.FormatBool(t.ValueContainsNull) + `}`)
	default:
		return fmt.Errorf("unknown data type %T", t)
	}
	return nil
}
