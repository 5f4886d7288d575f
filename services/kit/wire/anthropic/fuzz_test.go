package anthropic

import (
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

	"bytes"
	"encoding/json"
	"testing"

	"google.golang.org/protobuf/proto"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

var fuzzSeeds = []string{
	`{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`,
	`{"model":"m","system":[{"type":"text","text":"s","cache_control":{"type":"ephemeral"}}],"messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"image","source":{"type":"url","url":"u"}}]}],"stream":true}`,
	`{"model":"m","messages":[{"role":"assistant","content":[{"type":"thinking","thinking":"t","signature":"s"},{"type":"tool_use","id":"1","name":"f","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"1","content":[{"type":"text","text":"r"}],"is_error":true}]}],"tools":[{"name":"f","input_schema":{}}],"tool_choice":{"type":"any"}}`,
	`{"model":"m","messages":[{"role":"system","content":"x"}],"thinking":{"type":"adaptive"},"output_config":{"effort":"high","format":{"type":"json_schema","schema":{}}},"metadata":{"user_id":"u"}}`,
	`{"model":"m","messages":[{"role":"user","content":[{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBE"}}]}]}`,
	`{"model":1e999,"messages":null,"temperature":"x","stop_sequences":[1]}`,
	`{"a":[[[[{}]]]],"b":"\u00e9\ud83d\ude00","c":-0.0e+1}`,
	`[`, `{`, `{"`, `{"a"`, `{"a":`, `"`, `nul`, `{"a":1,}`, ` `, ``,
}

// FuzzDecodeRequest: any input either decodes into a request that marshals
// as protobuf (valid UTF-8 everywhere) and that the encoders and builders
// handle, or fails with a 400; never a panic.
func FuzzDecodeRequest(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := DecodeRequest(body)
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
		if out, err := BuildRequest(r, "m"); err == nil && !json.Valid(out) {
			t.Fatalf("BuildRequest wrote invalid JSON %s", out)
		} else if err != nil {
			mustInvalid(t, err)
		}
		_ = EstimateInputTokens(r)
	})
}

// FuzzRewriteForUpstream: valid JSON objects come out valid with the model
// set; anything else is rejected.
func FuzzRewriteForUpstream(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), "claude-x")
	}
	f.Add([]byte(`{"model":"x"}`), "a\"\x00\xff")
	f.Fuzz(func(t *testing.T, in []byte, model string) {
		out, err := RewriteForUpstream(in, model)
		var top map[string]json.RawMessage
		isObject := json.Valid(in) && bytes.HasPrefix(bytes.TrimLeft(in, " \t\r\n"), []byte("{")) && json.Unmarshal(in, &top) == nil
		if err != nil {
			mustInvalid(t, err)
			if isObject && depth(in) < jsonx.MaxNesting {
				t.Fatalf("rejected valid input %q: %v", in, err)
			}
			return
		}
		if !isObject {
			t.Fatalf("accepted %q", in)
		}
		var got map[string]json.RawMessage
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("output %q is not JSON: %v", out, err)
		}
		var m string
		if err := json.Unmarshal(got["model"], &m); err != nil || m != jsonx.ValidUTF8([]byte(model)) {
			t.Fatalf("model = %s, want %q", got["model"], model)
		}
	})
}

// FuzzStreamParser: any event data parses or fails with ErrNotEvent; the
// encoder takes whatever the parser produced.
func FuzzStreamParser(f *testing.F) {
	f.Add("content_block_delta", []byte(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}}`))
	f.Add("content_block_start", []byte(`{"type":"content_block_start","index":3,"content_block":{"type":"tool_use","id":"t","name":"f","input":{"a":1}}}`))
	f.Add("message_delta", []byte(`{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":3}}`))
	f.Add("error", []byte(`{"type":"error","error":{"type":"overloaded_error","message":"x"}}`))
	f.Fuzz(func(t *testing.T, event string, data []byte) {
		p := NewStreamParser()
		cs, err := p.Parse(event, data)
		if err != nil {
			return
		}
		e := NewStreamEncoder("m")
		for _, c := range cs {
			canon := &inferencev1.ChatChunk{Deltas: c.GetDeltas(), Usage: c.GetUsage(), Error: c.GetError()}
			for _, fr := range e.Encode(canon) {
				if !json.Valid(fr.Data) {
					t.Fatalf("invalid frame %s", fr.Data)
				}
			}
		}
		e.Finish()
	})
}

// depth is the deepest nesting of arrays and objects in valid JSON.
func depth(b []byte) int {
	d, deepest, inString := 0, 0, false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			d++
			deepest = max(deepest, d)
		case c == '}' || c == ']':
			d--
		}
	}
	return deepest
}
