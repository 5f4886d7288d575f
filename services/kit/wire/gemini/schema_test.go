package gemini

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestToJSONSchema(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"type":"OBJECT","properties":{"a":{"type":"STRING","nullable":true},"type":{"type":"INTEGER","minimum":1}},"required":["a"]}`,
			`{"type":"object","properties":{"a":{"type":["string","null"]},"type":{"type":"integer","minimum":1}},"required":["a"]}`},
		{`{"type":"ARRAY","items":{"type":"NUMBER","format":"float"},"min_items":"1","max_items":2}`,
			`{"type":"array","items":{"type":"number","format":"float"},"minItems":1,"maxItems":2}`},
		{`{"any_of":[{"type":"STRING"},{"type":"TYPE_UNSPECIFIED","description":"x"}],"property_ordering":["b","a"]}`,
			`{"anyOf":[{"type":"string"},{"description":"x"}]}`},
		// JSON Schema passes through, apart from type-name case.
		{`{"type":"object","properties":{"x":{"$ref":"#/$defs/X"}},"$defs":{"X":{"type":"STRING","const":"k"}},"additionalProperties":false,"x_custom":1}`,
			`{"type":"object","properties":{"x":{"$ref":"#/$defs/X"}},"$defs":{"X":{"type":"string","const":"k"}},"additionalProperties":false,"x_custom":1}`},
		{`{"type":["STRING","NULL"]}`, `{"type":["string","null"]}`},
		{`{"nullable":true,"type":["integer"]}`, `{"type":["integer","null"]}`},
		{`{"properties":{"a":true}}`, `{"properties":{"a":true}}`},
	}
	for _, tt := range tests {
		got, err := toJSONSchema([]byte(tt.in))
		if err != nil || got != tt.want {
			t.Errorf("toJSONSchema(%s)\n got %s (%v)\nwant %s", tt.in, got, err, tt.want)
		}
		if !json.Valid([]byte(got)) {
			t.Errorf("invalid JSON %s", got)
		}
	}
	deep := strings.Repeat(`{"items":`, 70) + `{}` + strings.Repeat(`}`, 70)
	if _, err := toJSONSchema([]byte(deep)); err == nil {
		t.Error("a 70-level schema was accepted")
	}
}

func TestToGeminiSchema(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{`{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":{"city":{"type":"string","description":"City"},"days":{"type":["integer","null"]},"unit":{"enum":["C","F"]},"tags":{"type":"array","items":{"type":"string"}}},"required":["city"],"additionalProperties":true}`,
			`{"type":"OBJECT","properties":{"city":{"type":"STRING","description":"City"},"days":{"type":"INTEGER","nullable":true},"unit":{"enum":["C","F"]},"tags":{"type":"ARRAY","items":{"type":"STRING"}}},"required":["city"]}`, true},
		{`{"type":"object","properties":{"mode":{"const":"fast"},"v":{"anyOf":[{"type":"string"},{"type":"number"}]}}}`,
			`{"type":"OBJECT","properties":{"mode":{"enum":["fast"]},"v":{"anyOf":[{"type":"STRING"},{"type":"NUMBER"}]}}}`, true},
		{`{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}`, "", false},
		{`{"type":"object","properties":{"a":{"$ref":"#/$defs/A"}}}`, "", false},
		{`{"type":"object","properties":{"a":{"oneOf":[{"type":"string"}]}}}`, "", false},
		{`{"type":"object","properties":{"a":{"type":["string","integer"]}}}`, "", false},
		{`{"type":"object","properties":{"a":{"enum":[1,2]}}}`, "", false},
		{`{"type":"object","properties":{"a":{"type":"object"}}}`, "", false},
		{`{"type":"array","items":[{"type":"string"}]}`, "", false},
	}
	for _, tt := range tests {
		got, ok := toGeminiSchema(tt.in)
		if ok != tt.ok || ok && string(got) != tt.want {
			t.Errorf("toGeminiSchema(%s)\n got %s %v\nwant %s %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// TestSchemaRoundTrip: a schema Gemini can express survives JSON Schema →
// Gemini → JSON Schema.
func TestSchemaRoundTrip(t *testing.T) {
	in := `{"type":"object","properties":{"q":{"type":"string","description":"query"},"n":{"type":["integer","null"],"minimum":1},"opts":{"type":"array","items":{"type":"string","enum":["a","b"]}}},"required":["q"]}`
	g, ok := toGeminiSchema(in)
	if !ok {
		t.Fatal("not convertible")
	}
	back, err := toJSONSchema(g)
	if err != nil || back != in {
		t.Errorf("round trip\n got %s (%v)\nwant %s", back, err, in)
	}
}

func TestIsEmptyObjectSchema(t *testing.T) {
	for in, want := range map[string]bool{
		`{"type":"object","properties":{}}`:                              true,
		`{"type":"object"}`:                                              true,
		`{"type":"object","properties":{},"additionalProperties":false}`: true,
		`{"type":"object","properties":{"a":{}}}`:                        false,
		`{"type":"string"}`:                                              false,
		`{"type":"object","required":["a"]}`:                             false,
	} {
		if got := isEmptyObjectSchema(in); got != want {
			t.Errorf("isEmptyObjectSchema(%s) = %v", in, got)
		}
	}
}
