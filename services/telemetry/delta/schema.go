package delta

import (
	"encoding/json"
	"fmt"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// The Delta schema of a table is derived from the Parquet schema of its row
// type, so the two cannot disagree: each supported Parquet shape maps to one
// Delta type (see deltaTypeOf). The partition column is not in the data files
// (Delta keeps partition values in the log) and is inserted separately.

// field is one Delta struct field as serialised in metaData.schemaString.
type field struct {
	Name     string         `json:"name"`
	Type     any            `json:"type"` // a primitive name, or *arrayType / *mapType / *structType
	Nullable bool           `json:"nullable"`
	Metadata map[string]any `json:"metadata"`
}

type structType struct {
	Type   string  `json:"type"` // "struct"
	Fields []field `json:"fields"`
}

type arrayType struct {
	Type         string `json:"type"` // "array"
	ElementType  any    `json:"elementType"`
	ContainsNull bool   `json:"containsNull"`
}

type mapType struct {
	Type              string `json:"type"` // "map"
	KeyType           any    `json:"keyType"`
	ValueType         any    `json:"valueType"`
	ValueContainsNull bool   `json:"valueContainsNull"`
}

// tableSchema builds the Delta schema of a table whose data files have the
// Parquet schema ps, with a non-null date partition column named partition
// placed after the column named partitionAfter (last when that is empty).
func tableSchema(ps *parquet.Schema, partition, partitionAfter string) (*structType, error) {
	st := &structType{Type: "struct"}
	partitionField := field{Name: partition, Type: "date", Nullable: false, Metadata: map[string]any{}}
	placed := false
	for _, f := range ps.Fields() {
		if f.Name() == partition {
			return nil, fmt.Errorf("delta: partition column %q must not be in the row type", partition)
		}
		t, err := deltaTypeOf(f)
		if err != nil {
			return nil, fmt.Errorf("delta: column %s: %w", f.Name(), err)
		}
		st.Fields = append(st.Fields, field{Name: f.Name(), Type: t, Nullable: f.Optional(), Metadata: map[string]any{}})
		if f.Name() == partitionAfter {
			st.Fields = append(st.Fields, partitionField)
			placed = true
		}
	}
	if !placed {
		if partitionAfter != "" {
			return nil, fmt.Errorf("delta: partition column placement: no column %q", partitionAfter)
		}
		st.Fields = append(st.Fields, partitionField)
	}
	return st, nil
}

func (st *structType) json() (string, error) {
	b, err := json.Marshal(st)
	if err != nil {
		return "", fmt.Errorf("delta: encode schema: %w", err)
	}
	return string(b), nil
}

// logicalOf is the node's logical type annotation, nil for none.
func logicalOf(t parquet.Type) format.LogicalTypeValue {
	if lt := t.LogicalType(); lt != nil {
		return lt.Value
	}
	return nil
}

// deltaTypeOf maps a Parquet node to its Delta type.
func deltaTypeOf(n parquet.Node) (any, error) {
	switch logicalOf(n.Type()).(type) {
	case *format.ListType:
		// 3-level list: <name> (LIST) { repeated group list { element } }
		inner := n.Fields()
		if len(inner) != 1 || len(inner[0].Fields()) != 1 {
			return nil, fmt.Errorf("unsupported LIST layout")
		}
		elem := inner[0].Fields()[0]
		et, err := deltaTypeOf(elem)
		if err != nil {
			return nil, err
		}
		return &arrayType{Type: "array", ElementType: et, ContainsNull: elem.Optional()}, nil
	case *format.MapType:
		// <name> (MAP) { repeated group key_value { key; value } }
		inner := n.Fields()
		if len(inner) != 1 || len(inner[0].Fields()) != 2 {
			return nil, fmt.Errorf("unsupported MAP layout")
		}
		kv := inner[0].Fields()
		key, value := kv[0], kv[1]
		if key.Name() != "key" {
			key, value = value, key
		}
		kt, err := deltaTypeOf(key)
		if err != nil {
			return nil, err
		}
		vt, err := deltaTypeOf(value)
		if err != nil {
			return nil, err
		}
		return &mapType{Type: "map", KeyType: kt, ValueType: vt, ValueContainsNull: value.Optional()}, nil
	}
	switch {
	case !n.Leaf():
		st := &structType{Type: "struct"}
		for _, f := range n.Fields() {
			t, err := deltaTypeOf(f)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f.Name(), err)
			}
			st.Fields = append(st.Fields, field{Name: f.Name(), Type: t, Nullable: f.Optional(), Metadata: map[string]any{}})
		}
		return st, nil
	case n.Repeated():
		return nil, fmt.Errorf("bare repeated fields are not supported; use the list tag")
	}
	return primitiveTypeOf(n.Type())
}

func primitiveTypeOf(t parquet.Type) (string, error) {
	lt := logicalOf(t)
	switch t.Kind() {
	case parquet.Boolean:
		return "boolean", nil
	case parquet.Int32:
		switch lt := lt.(type) {
		case nil:
			return "integer", nil
		case *format.DateType:
			return "date", nil
		case *format.IntType:
			if lt.IsSigned {
				switch lt.BitWidth {
				case 8:
					return "byte", nil
				case 16:
					return "short", nil
				case 32:
					return "integer", nil
				}
			}
		}
	case parquet.Int64:
		switch lt := lt.(type) {
		case nil:
			return "long", nil
		case *format.TimestampType:
			if _, micros := lt.Unit.Value.(*format.MicroSeconds); micros && lt.IsAdjustedToUTC {
				return "timestamp", nil
			}
			return "", fmt.Errorf("timestamps must be microseconds adjusted to UTC")
		case *format.IntType:
			if lt.IsSigned && lt.BitWidth == 64 {
				return "long", nil
			}
		}
	case parquet.Float:
		return "float", nil
	case parquet.Double:
		return "double", nil
	case parquet.ByteArray:
		switch lt.(type) {
		case nil:
			return "binary", nil
		case *format.StringType:
			return "string", nil
		}
	}
	return "", fmt.Errorf("parquet type %s has no Delta equivalent here", t)
}

// isTimestamp reports whether a Parquet leaf holds a timestamp.
func isTimestamp(t parquet.Type) bool {
	_, ok := logicalOf(t).(*format.TimestampType)
	return ok
}

// isString reports whether a Parquet leaf holds UTF-8 strings.
func isString(t parquet.Type) bool {
	_, ok := logicalOf(t).(*format.StringType)
	return ok
}

// isDate reports whether a Parquet leaf holds dates.
func isDate(t parquet.Type) bool {
	_, ok := logicalOf(t).(*format.DateType)
	return ok
}
