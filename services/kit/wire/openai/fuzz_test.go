package openai

import (
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"google.golang.org/protobuf/proto"
)

var fuzzSeeds = []string{
	`{"model":"m","messages":[{"role":"user","content":"hi"}]}`,
	`{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"u"}}]}],"stream":true}`,
	`{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"1","type":"function","function":{"name":"f","arguments":"{}"}}]}],"tools":[{"type":"function","function":{"name":"f"}}]}`,
	`{"model":"m","stream":true,"stream_options":{"include_usage":false},"client_request_id":"x","usage_context":{"a":"b"}}`,
	`{"model":1e999,"messages":null,"temperature":"x","stop":[1]}`,
	`{"a":[[[[{}]]]],"b":"\u00e9\ud83d\ude00","c":-0.0e+1}`,
	`[`, `{`, `{"`, `{"a"`, `{"a":`, `"`, `nul`, `{"a":1,}`, ` `, ``,
}

// FuzzDecodeChatRequest: any input either decodes into a request that
// marshals as protobuf (valid UTF-8 everywhere) or fails with a 400; never a
// panic.
func FuzzDecodeChatRequest(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := DecodeChatRequest(body)
		if err != nil {
			mustInvalid(t, err)
			return
		}
		if !json.Valid(body) {
			t.Fatalf("accepted invalid JSON %q", body)
		}
		if _, err := proto.Marshal(r); err != nil {
			t.Fatalf("decoded request does not marshal: %v", err)
		}
		_ = EncodeChatResponse(nil, r.GetModel())
	})
}

// FuzzRewriteForUpstream: valid JSON in means valid JSON out with the same
// content apart from the rewritten fields; invalid JSON is rejected.
func FuzzRewriteForUpstream(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), "gpt-4o", true)
	}
	f.Add([]byte(`{"model":"x"}`), "a\"\x00\xff", false)
	f.Fuzz(func(t *testing.T, in []byte, model string, usage bool) {
		out, err := RewriteForUpstream(in, model, usage)
		valid := json.Valid(in)
		if err != nil {
			mustInvalid(t, err)
			var top map[string]json.RawMessage
			if valid && json.Unmarshal(in, &top) == nil && depth(in) < jsonx.MaxNesting {
				if so, ok := top["stream_options"]; !ok || string(so) == "null" || so[0] == '{' {
					t.Fatalf("rejected valid input %q: %v", in, err)
				}
			}
			return
		}
		if !valid {
			t.Fatalf("accepted invalid JSON %q", in)
		}
		if !json.Valid(out) {
			t.Fatalf("output is not JSON: %q -> %q", in, out)
		}
		before, errIn := decodeObject(in)
		after, errOut := decodeObject(out)
		if errIn != nil || errOut != nil {
			t.Fatalf("top level is not an object: %q -> %q", in, out)
		}
		var gotModel string
		if json.Unmarshal(mustRaw(t, out, "model"), &gotModel) != nil {
			t.Fatalf("model missing or not a string in %q", out)
		}
		for k := range before {
			switch k {
			case "model", "stream_options":
			case gatewayFieldClientRequestID, gatewayFieldUsageContext:
				if _, ok := after[k]; ok {
					t.Fatalf("%s not stripped: %q", k, out)
				}
			default:
				if !reflect.DeepEqual(before[k], after[k]) {
					t.Fatalf("member %q changed: %q -> %q", k, in, out)
				}
			}
		}
	})
}

// decodeObject reads a top-level object keeping numbers as written, so huge
// exponents compare instead of failing.
func decodeObject(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	err := dec.Decode(&m)
	return m, err
}

// mustRaw returns the last top-level member named key, as JSON parsers see it.
func mustRaw(t *testing.T, doc []byte, key string) json.RawMessage {
	t.Helper()
	var top map[string]json.RawMessage
	if err := json.Unmarshal(doc, &top); err != nil {
		t.Fatal(err)
	}
	return top[key]
}

func depth(b []byte) int {
	d, max := 0, 0
	inString := false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case !inString && (c == '[' || c == '{'):
			d++
			if d > max {
				max = d
			}
		case !inString && (c == ']' || c == '}'):
			d--
		}
	}
	return max
}

// FuzzReadString: for every valid JSON string, readString agrees with
// encoding/json (escapes, surrogate pairs, invalid UTF-8 replacement).
func FuzzReadString(f *testing.F) {
	for _, s := range []string{`"plain"`, `"\n\t\"\\\/\b\f\r"`, `"\u00e9\ud83d\ude00"`, `"\ud800x"`, `"\udc00\ud800"`, `"\ud83d\u0041"`, "\"\xff\xfe\"", `"\u0000"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		end, err := jsonx.SkipValue(b, 0)
		if err != nil || end != len(b) || b[0] != '"' {
			return
		}
		var want string
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatalf("encoding/json rejects %q that the scanner accepted: %v", b, err)
		}
		got, err := jsonx.ReadString(b)
		if err != nil || got != want {
			t.Fatalf("readString(%q) = %q, %v; encoding/json says %q", b, got, err, want)
		}
	})
}
