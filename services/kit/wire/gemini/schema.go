package gemini

import (
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

	"bytes"
	"strconv"
	"strings"
)

// Gemini describes function parameters and response shapes with its own
// Schema, a subset of OpenAPI 3.0: upper-case type names (OBJECT, STRING),
// "nullable" instead of a "null" type, "propertyOrdering", and no
// additionalProperties, $ref or oneOf. It also takes plain JSON Schema in
// parametersJsonSchema and responseJsonSchema (where clients such as Gemini
// CLI still write upper-case type names). The canonical model holds JSON
// Schema, so the decoder converts both forms to it and the builder converts
// back where Gemini's Schema can say the same thing.
//
// Both converters rewrite bytes in place order: properties keep the order
// the client wrote them in, which models follow when they fill arguments.

// maxSchemaDepth bounds how deeply schemas may nest (each level is a
// recursive call).
const maxSchemaDepth = 64

var errSchemaDepth = jsonx.BadValue("nests schemas more than 64 levels deep")

// toJSONSchema converts a Gemini Schema, or JSON Schema with Gemini's
// spellings, to JSON Schema: type names lower-case, nullable folded into
// the type ("type": ["string", "null"]), int64 limits written as numbers
// rather than strings, "example" as "examples", and the Gemini-only
// propertyOrdering and format "enum" left out. Everything else is kept.
func toJSONSchema(v []byte) (string, error) {
	out, err := appendJSONSchema(make([]byte, 0, len(v)+16), v, 0)
	if err != nil {
		return "", err
	}
	return jsonx.ValidUTF8(out), nil
}

// schemaMapKeys hold an object whose values are schemas.
func isSchemaMapKey(k string) bool {
	switch k {
	case "properties", "$defs", "definitions", "patternProperties", "dependentSchemas":
		return true
	}
	return false
}

// isSchemaValueKey holds one schema (or a boolean, or for items an array).
func isSchemaValueKey(k string) bool {
	switch k {
	case "items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames",
		"additionalItems", "unevaluatedItems", "unevaluatedProperties":
		return true
	}
	return false
}

// isSchemaListKey holds an array of schemas.
func isSchemaListKey(k string) bool {
	switch k {
	case "anyOf", "oneOf", "allOf", "prefixItems":
		return true
	}
	return false
}

// isSnakeSchemaField reports the Gemini Schema fields whose proto names
// have an underscore (any_of, max_items…), which Google accepts too.
func isSnakeSchemaField(k string) bool {
	return k == "anyOf" || k == "propertyOrdering" || isCountKey(k)
}

func isCountKey(k string) bool {
	switch k {
	case "minItems", "maxItems", "minLength", "maxLength", "minProperties", "maxProperties":
		return true
	}
	return false
}

func appendJSONSchema(dst, v []byte, depth int) ([]byte, error) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || v[0] != '{' {
		return append(dst, v...), nil // true, false: boolean schemas
	}
	if depth > maxSchemaDepth {
		return nil, errSchemaDepth
	}
	var buf [16]jsonx.Member
	ms := buf[:0]
	if _, err := jsonx.ScanObject(v, 0, func(m jsonx.Member) error { ms = append(ms, m); return nil }); err != nil {
		return nil, err
	}
	nullable := false
	for k := range ms {
		if string(camelKey(jsonx.KeyOf(v, &ms[k]))) == "nullable" {
			nullable = string(v[ms[k].ValStart:ms[k].ValEnd]) == "true"
		}
	}
	dst = append(dst, '{')
	first := true
	var err error
	for k := range ms {
		m := &ms[k]
		raw := jsonx.KeyOf(v, m)
		key := camelKey(raw)
		if len(key) != len(raw) && !isSnakeSchemaField(string(key)) {
			key = raw // a custom keyword, not a Gemini Schema field
		}
		name := string(key)
		val := v[m.ValStart:m.ValEnd]
		if name == "nullable" || name == "propertyOrdering" || name == "format" && string(val) == `"enum"` {
			continue
		}
		if name == "type" && (!jsonx.Present(val) || strings.EqualFold(string(val), `"TYPE_UNSPECIFIED"`)) {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		switch {
		case name == "example":
			dst = append(dst, `"examples":[`...)
			dst = append(dst, val...)
			dst = append(dst, ']')
			continue
		case len(raw) != len(key): // a snake_case keyword: write its JSON Schema name
			dst = jsonx.AppendString(dst, name)
			dst = append(dst, ':')
		default:
			dst = append(dst, v[m.KeyStart:m.KeyEnd]...)
			dst = append(dst, ':')
		}
		switch {
		case name == "type":
			dst, err = appendLowerType(dst, val, nullable)
		case isCountKey(name) && val[0] == '"':
			n, perr := readIntField(val)
			if perr != nil {
				return nil, jsonx.InField(name, perr)
			}
			dst = strconv.AppendInt(dst, n, 10)
		case isSchemaMapKey(name) && val[0] == '{':
			dst, err = appendSchemaMap(dst, val, depth, appendJSONSchema)
		case isSchemaValueKey(name) && val[0] == '{':
			dst, err = appendJSONSchema(dst, val, depth+1)
		case (isSchemaListKey(name) || name == "items") && val[0] == '[':
			dst, err = appendSchemaList(dst, val, depth)
		default:
			dst = append(dst, val...)
		}
		if err != nil {
			return nil, jsonx.InField(name, err)
		}
	}
	return append(dst, '}'), nil
}

// appendLowerType writes a type name (or list of names) lower-case, with
// "null" added when the schema was nullable.
func appendLowerType(dst, val []byte, nullable bool) ([]byte, error) {
	if val[0] == '"' {
		t, err := jsonx.ReadString(val)
		if err != nil {
			return nil, err
		}
		t = strings.ToLower(t)
		if nullable && t != "null" {
			dst = append(dst, '[')
			dst = jsonx.AppendString(dst, t)
			return append(dst, `,"null"]`...), nil
		}
		return jsonx.AppendString(dst, t), nil
	}
	types, err := jsonx.ReadStringArray(val)
	if err != nil {
		return nil, err
	}
	dst = append(dst, '[')
	sawNull := false
	for i, t := range types {
		if i > 0 {
			dst = append(dst, ',')
		}
		t = strings.ToLower(t)
		sawNull = sawNull || t == "null"
		dst = jsonx.AppendString(dst, t)
	}
	if nullable && !sawNull {
		if len(types) > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `"null"`...)
	}
	return append(dst, ']'), nil
}

type schemaWriter func(dst, v []byte, depth int) ([]byte, error)

// appendSchemaMap converts each value of an object of schemas, keeping the
// keys (property names) byte for byte.
func appendSchemaMap(dst, v []byte, depth int, write schemaWriter) ([]byte, error) {
	dst = append(dst, '{')
	first := true
	_, err := jsonx.ScanObject(v, 0, func(m jsonx.Member) error {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, v[m.KeyStart:m.KeyEnd]...)
		dst = append(dst, ':')
		var err error
		if dst, err = write(dst, v[m.ValStart:m.ValEnd], depth+1); err != nil {
			return jsonx.InField(jsonx.ValidUTF8(jsonx.KeyOf(v, &m)), err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return append(dst, '}'), nil
}

func appendSchemaList(dst, v []byte, depth int) ([]byte, error) {
	dst = append(dst, '[')
	_, err := jsonx.ScanArray(v, 0, func(i, start, end int) error {
		if i > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = appendJSONSchema(dst, v[start:end], depth+1); err != nil {
			return jsonx.InIndex(i, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return append(dst, ']'), nil
}

// toGeminiSchema converts JSON Schema to Gemini's Schema when Gemini's can
// say the same thing, and reports ok false when it cannot (additionalProperties
// false, $ref, oneOf, allOf, tuples, non-string enums, objects without
// properties below the top level…): the caller then sends the JSON Schema
// itself as parametersJsonSchema or responseJsonSchema. Annotations with no
// Gemini counterpart ($schema, $id, $comment, examples) are left out.
func toGeminiSchema(schema string) ([]byte, bool) {
	out, ok := appendGeminiSchema(make([]byte, 0, len(schema)+16), []byte(schema), 0)
	return out, ok
}

// geminiTypes are the JSON Schema types Gemini's Schema has, upper-cased.
var geminiTypes = map[string]string{
	"string": "STRING", "number": "NUMBER", "integer": "INTEGER",
	"boolean": "BOOLEAN", "array": "ARRAY", "object": "OBJECT",
}

func appendGeminiSchema(dst, v []byte, depth int) ([]byte, bool) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || v[0] != '{' || depth > maxSchemaDepth {
		return nil, false
	}
	var buf [16]jsonx.Member
	ms := buf[:0]
	if _, err := jsonx.ScanObject(v, 0, func(m jsonx.Member) error { ms = append(ms, m); return nil }); err != nil {
		return nil, false
	}
	dst = append(dst, '{')
	first := true
	comma := func() {
		if !first {
			dst = append(dst, ',')
		}
		first = false
	}
	var ok bool
	nullable, sawNullable, isObject, hasProperties := false, false, false, false
	for k := range ms {
		m := &ms[k]
		key := string(jsonx.KeyOf(v, m))
		val := v[m.ValStart:m.ValEnd]
		switch key {
		case "$schema", "$id", "$comment", "examples":
			continue
		case "additionalProperties":
			if string(val) == "true" || string(bytes.Join(bytes.Fields(val), nil)) == "{}" {
				continue // the default: nothing to say
			}
			return nil, false
		case "type":
			var typ string
			if typ, nullable, ok = geminiType(val); !ok {
				return nil, false
			}
			isObject = typ == "OBJECT"
			comma()
			dst = append(dst, `"type":`...)
			dst = jsonx.AppendString(dst, typ)
		case "nullable":
			sawNullable = true
			comma()
			dst = append(dst, `"nullable":`...)
			dst = append(dst, val...)
		case "format", "title", "description", "pattern", "default", "example", "minimum", "maximum",
			"minItems", "maxItems", "minLength", "maxLength", "minProperties", "maxProperties",
			"required", "propertyOrdering":
			comma()
			dst = append(dst, v[m.KeyStart:m.KeyEnd]...)
			dst = append(dst, ':')
			dst = append(dst, val...)
		case "enum":
			if !allStrings(val) {
				return nil, false
			}
			comma()
			dst = append(dst, `"enum":`...)
			dst = append(dst, val...)
		case "const":
			if val[0] != '"' {
				return nil, false
			}
			comma()
			dst = append(dst, `"enum":[`...)
			dst = append(dst, val...)
			dst = append(dst, ']')
		case "properties":
			if val[0] != '{' {
				return nil, false
			}
			n := 0
			comma()
			dst = append(dst, `"properties":{`...)
			_, err := jsonx.ScanObject(val, 0, func(p jsonx.Member) error {
				if n > 0 {
					dst = append(dst, ',')
				}
				n++
				dst = append(dst, val[p.KeyStart:p.KeyEnd]...)
				dst = append(dst, ':')
				if dst, ok = appendGeminiSchema(dst, val[p.ValStart:p.ValEnd], depth+1); !ok {
					return jsonx.ErrNotObject
				}
				return nil
			})
			if err != nil {
				return nil, false
			}
			dst = append(dst, '}')
			hasProperties = n > 0
		case "items":
			comma()
			dst = append(dst, `"items":`...)
			if dst, ok = appendGeminiSchema(dst, val, depth+1); !ok {
				return nil, false
			}
		case "anyOf":
			if val[0] != '[' {
				return nil, false
			}
			comma()
			dst = append(dst, `"anyOf":[`...)
			_, err := jsonx.ScanArray(val, 0, func(i, start, end int) error {
				if i > 0 {
					dst = append(dst, ',')
				}
				if dst, ok = appendGeminiSchema(dst, val[start:end], depth+1); !ok {
					return jsonx.ErrNotObject
				}
				return nil
			})
			if err != nil {
				return nil, false
			}
			dst = append(dst, ']')
		default:
			return nil, false
		}
	}
	if nullable && !sawNullable {
		comma()
		dst = append(dst, `"nullable":true`...)
	}
	// Gemini rejects an OBJECT without properties; only the top level may
	// be one (the caller leaves an argument-less function's parameters out).
	if isObject && !hasProperties && depth > 0 {
		return nil, false
	}
	return append(dst, '}'), true
}

// geminiType converts a JSON Schema type: a name, or a list of one name
// with or without "null".
func geminiType(val []byte) (typ string, nullable, ok bool) {
	if val[0] == '"' {
		t, err := jsonx.ReadString(val)
		typ, ok = geminiTypes[t]
		return typ, false, err == nil && ok
	}
	types, err := jsonx.ReadStringArray(val)
	if err != nil {
		return "", false, false
	}
	for _, t := range types {
		if t == "null" {
			nullable = true
			continue
		}
		if typ != "" {
			return "", false, false // a union of types
		}
		if typ, ok = geminiTypes[t]; !ok {
			return "", false, false
		}
	}
	return typ, nullable, typ != ""
}

func allStrings(val []byte) bool {
	if val[0] != '[' {
		return false
	}
	ok := true
	_, err := jsonx.ScanArray(val, 0, func(i, start, end int) error {
		ok = ok && val[start] == '"'
		return nil
	})
	return err == nil && ok
}

// isEmptyObjectSchema reports a schema that takes no arguments: an object
// type with no (or empty) properties and nothing else that constrains it.
func isEmptyObjectSchema(schema string) bool {
	v := []byte(schema)
	empty := true
	_, err := jsonx.ScanObject(v, 0, func(m jsonx.Member) error {
		val := v[m.ValStart:m.ValEnd]
		switch string(jsonx.KeyOf(v, &m)) {
		case "type":
			t, _ := jsonx.ReadString(val)
			empty = empty && strings.EqualFold(t, "object")
		case "properties":
			empty = empty && string(bytes.Join(bytes.Fields(val), nil)) == "{}"
		case "required":
			empty = empty && string(bytes.Join(bytes.Fields(val), nil)) == "[]"
		case "additionalProperties", "$schema", "description", "title":
		default:
			empty = false
		}
		return nil
	})
	return err == nil && empty
}
