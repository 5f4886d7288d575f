package responses

import (
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"google.golang.org/protobuf/proto"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
)

var fuzzSeeds = []string{
	`{"model":"m","input":"hi"}`,
	`{"model":"m","instructions":"s","input":[{"role":"user","content":[{"type":"input_text","text":"a"},{"type":"input_image","image_url":"data:image/png;base64,AA=="}]}],"stream":true}`,
	`{"model":"m","input":[{"type":"reasoning","summary":[],"encrypted_content":"x"},{"type":"function_call","call_id":"1","name":"f","arguments":"{}"},{"type":"function_call_output","call_id":"1","output":"r"}],"tools":[{"type":"function","name":"f"},{"type":"namespace","name":"n","tools":[{"type":"function","name":"g"}]},{"type":"custom","name":"c","format":{"type":"grammar","syntax":"lark","definition":"x"}}]}`,
	`{"model":"m","input":[{"type":"compaction","encrypted_content":"x"},{"type":"item_reference","id":"i"}],"previous_response_id":"r","background":true}`,
	`{"model":1e999,"input":null,"temperature":"x","tool_choice":{"type":"allowed_tools"}}`,
	`{"a":[[[[{}]]]],"b":"\u00e9\ud83d\ude00","c":-0.0e+1}`,
	`[`, `{`, `{"`, `{"a"`, `{"a":`, `"`, `nul`, `{"a":1,}`, ` `, ``,
}

// FuzzDecodeRequest: any input either decodes into a request that marshals
// as protobuf (valid UTF-8 everywhere), translates or is reported, builds
// for a Responses provider, and encodes answers; or fails with a 400. Never
// a panic.
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
		if note := CheckTranslatable(r); note != nil && note.Kind != errs.KindInvalidArgument {
			t.Fatalf("note of kind %v", note.Kind)
		}
		if built, err := BuildRequest(r, "m"); err == nil && !json.Valid(built) {
			t.Fatalf("built body is not JSON: %s", built)
		}
		if !json.Valid(EncodeResponse(&inferencev1.ChatResponse{}, r.GetModel(), WithRequest(r))) {
			t.Fatal("encoded response is not JSON")
		}
	})
}

func mustInvalid(t *testing.T, err error) {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind != errs.KindInvalidArgument {
		t.Fatalf("error %v is not InvalidArgument", err)
	}
}

// FuzzRewriteForUpstream: valid JSON objects come out valid with only the
// model changed; anything else is rejected.
func FuzzRewriteForUpstream(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), "gpt-5")
	}
	f.Add([]byte(`{"model":"x"}`), "a\"\x00\xff")
	f.Fuzz(func(t *testing.T, in []byte, model string) {
		out, err := RewriteForUpstream(in, model)
		var top map[string]json.RawMessage
		isObject := json.Unmarshal(in, &top) == nil && top != nil
		if err != nil {
			mustInvalid(t, err)
			if isObject && depth(in) < jsonx.MaxNesting {
				t.Fatalf("rejected a valid object %q: %v", in, err)
			}
			return
		}
		if !isObject {
			t.Fatalf("accepted %q", in)
		}
		before, errIn := decodeObject(in)
		after, errOut := decodeObject(out)
		if errIn != nil || errOut != nil {
			t.Fatalf("not an object: %q -> %q", in, out)
		}
		var gotModel string
		if json.Unmarshal(mustRawMember(t, out, "model"), &gotModel) != nil {
			t.Fatalf("model missing or not a string in %q", out)
		}
		for k := range before {
			if k != "model" && !reflect.DeepEqual(before[k], after[k]) {
				t.Fatalf("member %q changed: %q -> %q", k, in, out)
			}
		}
	})
}

// FuzzStreamParser: any event data either parses into exactly one chunk
// carrying it raw, or fails with ErrNotEvent; parsed chunks re-encode.
func FuzzStreamParser(f *testing.F) {
	for _, s := range []string{
		`{"type":"response.output_text.delta","item_id":"m","delta":"x"}`,
		`{"type":"response.output_item.added","output_index":0,"item":{"type":"function_call","id":"fc","call_id":"c","name":"f"}}`,
		`{"type":"response.function_call_arguments.delta","item_id":"fc","delta":"{"}`,
		`{"type":"response.completed","response":{"status":"completed","usage":{"input_tokens":1}}}`,
		`{"type":"response.failed","response":{"status":"failed","error":{"code":1}}}`,
		`{"type":"error","error":{"message":"x"}}`, `{}`, `[]`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		p := NewStreamParser()
		cs, err := p.Parse("", []byte(data))
		if err != nil {
			if !errors.Is(err, ErrNotEvent) {
				t.Fatalf("error %v is not ErrNotEvent", err)
			}
			return
		}
		if len(cs) != 1 || !bytes.Equal(cs[0].GetRaw(), []byte(data)) {
			t.Fatalf("chunks %v", cs)
		}
		c := proto.Clone(cs[0]).(*inferencev1.ChatChunk)
		c.Raw, c.RawDialect = nil, 0
		enc := NewStreamEncoder("m")
		for _, fr := range append(enc.Encode(c), enc.Finish()...) {
			if !json.Valid(fr.Data) {
				t.Fatalf("frame %s is not JSON: %s", fr.Event, fr.Data)
			}
		}
	})
}

// decodeObject reads a top-level object keeping numbers as written.
func decodeObject(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	err := dec.Decode(&m)
	return m, err
}

func mustRawMember(t *testing.T, doc []byte, key string) json.RawMessage {
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
