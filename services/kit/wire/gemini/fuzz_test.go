package gemini

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/tollgate/tollgate/services/kit/errs"
	"google.golang.org/protobuf/proto"
)

var fuzzSeeds = []string{
	`{"contents":[{"parts":[{"text":"hi"}]}]}`,
	`{"systemInstruction":{"parts":[{"text":"s"}]},"contents":[{"role":"model","parts":[{"text":"t","thought":true},{"functionCall":{"name":"f","args":{"a":[1]}},"thoughtSignature":"x"}]},` +
		`{"role":"user","parts":[{"functionResponse":{"name":"f","response":{"output":"o"}}},{"inlineData":{"mimeType":"image/png","data":"AA=="}}]}]}`,
	`{"contents":[{"parts":[{"text":"x"}]}],"tools":[{"functionDeclarations":[{"name":"f","parameters":{"type":"OBJECT","properties":{"a":{"type":"STRING","nullable":true}}}}],"googleSearch":{}}],` +
		`"toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["f"]}}}`,
	`{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"responseMimeType":"application/json","responseSchema":{"type":"ARRAY","items":{"anyOf":[{"type":"STRING"}]}},"thinkingConfig":{"thinkingBudget":-1},"seed":"3"}}`,
	`{"contents":[{"parts":[{"fileData":{"fileUri":"gs://b/o"}}]}],"cachedContent":"c","labels":{"a":"b"}}`,
	`{"a":[[[[{}]]]],"b":"\u00e9\ud83d\ude00","c":-0.0e+1}`,
	`[`, `{`, `{"`, `{"a"`, `{"a":`, `"`, `nul`, `{"a":1,}`, ` `, ``,
}

func mustInvalid(t *testing.T, err error) {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind != errs.KindInvalidArgument {
		t.Fatalf("error is not an errs.Invalid: %v", err)
	}
}

// FuzzDecodeRequest: any input either decodes into a request that marshals
// as protobuf (valid UTF-8 everywhere) and can be built for Gemini without
// panicking, or fails with a 400; never a panic.
func FuzzDecodeRequest(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := DecodeRequest("gemini-2.5-flash", body, true)
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
		_ = CheckTranslatable(r)
		if built, err := BuildRequest(r, "gemini-3-pro"); err == nil {
			if _, err := DecodeRequest("gemini-3-pro", built, false); err != nil && len(r.GetMessages()) > 0 {
				t.Fatalf("built body %s does not decode: %v", built, err)
			}
		}
		for _, tool := range r.GetTools() {
			if p := tool.GetParametersJson(); p != "" && !json.Valid([]byte(p)) {
				t.Fatalf("converted schema is not JSON: %s", p)
			}
		}
		_ = EstimateInputTokens(r)
	})
}

// FuzzRewriteForUpstream: valid JSON objects come back valid, invalid
// input is a 400.
func FuzzRewriteForUpstream(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), "gemini-2.5-pro")
	}
	f.Add([]byte(`{"requests":[{"model":"models/a"},1,{"model":2}],"model":"x"}`), "a\"\x00\xff")
	f.Fuzz(func(t *testing.T, in []byte, model string) {
		out, err := RewriteForUpstream(in, model)
		if err != nil {
			mustInvalid(t, err)
			return
		}
		if !json.Valid(out) {
			t.Fatalf("rewrote %q into invalid JSON %q", in, out)
		}
	})
}

// FuzzStreamParser: provider frames never panic the parser.
func FuzzStreamParser(f *testing.F) {
	f.Add([]byte(`{"candidates":[{"content":{"parts":[{"text":"a","thought":true},{"functionCall":{"name":"f"}}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":1}}`))
	f.Add([]byte(`{"error":{"code":500}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := NewStreamParser()
		for range 2 {
			_, _ = p.Parse("", data)
		}
		_, _ = ParseResponse(data)
		_ = ParseError(500, data)
	})
}
