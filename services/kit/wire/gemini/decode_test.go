package gemini

import (
	"errors"
	"strings"
	"testing"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
)

func mustDecode(t *testing.T, body string) *inferencev1.ChatRequest {
	t.Helper()
	r, err := DecodeRequest("models/gemini-2.5-flash", []byte(body), false)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return r
}

func TestDecodeRequestFull(t *testing.T) {
	r := mustDecode(t, `{
	 "system_instruction": {"parts": [{"text": "Be brief."}]},
	 "contents": [
	  {"role": "user", "parts": [{"text": "Look"}, {"inline_data": {"mime_type": "image/png", "data": "aGVsbG8="}},
	    {"inlineData": {"mimeType": "audio/mpeg", "data": "AAE"}}, {"fileData": {"mimeType": "application/pdf", "fileUri": "https://example.com/a.pdf"}}]},
	  {"role": "model", "parts": [{"text": "Let me think", "thought": true}, {"text": " more", "thought": true},
	    {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": "sig-1"},
	    {"functionCall": {"name": "get_time"}}]},
	  {"role": "user", "parts": [{"functionResponse": {"name": "get_time", "response": {"output": "noon"}}},
	    {"functionResponse": {"name": "get_weather", "response": {"temp": 14}}}, {"text": "and tomorrow?"}]}
	 ],
	 "tools": [{"functionDeclarations": [{"name": "get_weather", "description": "Weather",
	    "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING", "nullable": true}}, "required": ["city"], "propertyOrdering": ["city"]}},
	   {"name": "get_time", "parametersJsonSchema": {"type": "object", "properties": {}}}]}, {"googleSearch": {}}],
	 "toolConfig": {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}},
	 "generationConfig": {"temperature": 0.5, "topP": 0.9, "topK": 40, "candidateCount": 1, "maxOutputTokens": 256,
	   "stopSequences": ["END"], "seed": 7, "presencePenalty": 0.1, "frequencyPenalty": 0.2,
	   "thinkingConfig": {"thinkingBudget": 1024, "includeThoughts": true}},
	 "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
	 "labels": {"team": "search"}
	}`)
	if r.GetModel() != "gemini-2.5-flash" || r.GetSource().GetClientModel() != "gemini-2.5-flash" || r.GetStream() {
		t.Errorf("model %q, client model %q, stream %v", r.GetModel(), r.GetSource().GetClientModel(), r.GetStream())
	}
	msgs := r.GetMessages()
	if len(msgs) != 4 || msgs[0].GetRole() != inferencev1.Role_ROLE_SYSTEM || msgs[0].GetContent()[0].GetText() != "Be brief." {
		t.Fatalf("messages = %v", msgs)
	}
	user := msgs[1].GetContent()
	if img := user[1].GetImage(); img.GetMediaType() != "image/png" || string(img.GetData()) != "hello" {
		t.Errorf("image = %v", img)
	}
	if a := user[2].GetAudio(); a.GetFormat() != "mp3" || len(a.GetData()) != 2 {
		t.Errorf("audio = %v", a)
	}
	if f := user[3].GetFile(); f.GetUrl() != "https://example.com/a.pdf" || f.GetMediaType() != "application/pdf" {
		t.Errorf("file = %v", f)
	}
	model := msgs[2]
	if rs := model.GetContent()[0].GetReasoning(); rs.GetText() != "Let me think more" || rs.GetSignature() != "sig-1" {
		t.Errorf("reasoning = %v", rs)
	}
	calls := model.GetToolCalls()
	if len(calls) != 2 || calls[0].GetId() != "call_1_2" || calls[0].GetSignature() != "sig-1" ||
		calls[0].GetArgumentsJson() != `{"city": "Paris"}` || calls[1].GetId() != "call_1_3" || calls[1].GetArgumentsJson() != "{}" {
		t.Errorf("calls = %v", calls)
	}
	results := msgs[3].GetContent()
	if tr := results[0].GetToolResult(); tr.GetToolCallId() != "call_1_3" || tr.GetName() != "get_time" || tr.GetContent()[0].GetText() != "noon" {
		t.Errorf("first result = %v", tr)
	}
	if tr := results[1].GetToolResult(); tr.GetToolCallId() != "call_1_2" || tr.GetContent()[0].GetText() != `{"temp": 14}` {
		t.Errorf("second result = %v", tr)
	}
	if results[2].GetText() != "and tomorrow?" {
		t.Errorf("text after results = %v", results[2])
	}
	// Mode ANY with one allowed function forces it; the tools stay.
	if tc := r.GetToolChoice(); tc.GetMode() != inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_FUNCTION || tc.GetFunctionName() != "get_weather" {
		t.Errorf("tool choice = %v", tc)
	}
	tools := r.GetTools()
	if len(tools) != 3 || tools[0].GetParametersJson() !=
		`{"type":"object","properties":{"city":{"type":["string","null"]}},"required":["city"]}` ||
		tools[1].GetParametersJson() != `{"type":"object","properties":{}}` {
		t.Errorf("function tools = %v", tools)
	}
	if tools[2].GetType() != "google_search" || tools[2].GetRawJson() != `{"googleSearch":{}}` {
		t.Errorf("native tool = %v", tools[2])
	}
	s := r.GetSampling()
	if s.GetTemperature() != 0.5 || s.GetTopP() != 0.9 || s.GetTopK() != 40 || s.GetN() != 1 || s.GetMaxTokens() != 256 ||
		s.GetStop()[0] != "END" || s.GetSeed() != 7 || s.GetPresencePenalty() != 0.1 || s.GetFrequencyPenalty() != 0.2 {
		t.Errorf("sampling = %v", s)
	}
	if rs := r.GetReasoning(); rs.GetBudgetTokens() != 1024 || !rs.GetEnabled() {
		t.Errorf("reasoning = %v", rs)
	}
	if len(r.GetMetadata()) != 0 {
		t.Errorf("metadata = %v", r.GetMetadata())
	}
	if note := CheckTranslatable(r); note != nil {
		t.Errorf("CheckTranslatable: %v", note)
	}
}

func TestDecodeRequestVariants(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		check func(t *testing.T, r *inferencev1.ChatRequest)
	}{
		{"role defaults to user and empty turns are left out",
			`{"contents":[{"parts":[{"text":"hi"}]},{"role":"model","parts":[]}]}`,
			func(t *testing.T, r *inferencev1.ChatRequest) {
				if len(r.GetMessages()) != 1 || r.GetMessages()[0].GetRole() != inferencev1.Role_ROLE_USER {
					t.Errorf("messages = %v", r.GetMessages())
				}
			}},
		{"client ids are matched by id, responses without id by name and order",
			`{"contents":[{"role":"model","parts":[{"functionCall":{"id":"a","name":"f"}},{"functionCall":{"name":"f"}}]},
			  {"role":"user","parts":[{"functionResponse":{"name":"f","response":{}}},{"functionResponse":{"id":"a","name":"f","response":{"error":"boom"}}}]}]}`,
			func(t *testing.T, r *inferencev1.ChatRequest) {
				res := r.GetMessages()[1].GetContent()
				first, second := res[0].GetToolResult(), res[1].GetToolResult()
				if first.GetToolCallId() != "call_0_1" || second.GetToolCallId() != "a" || !second.GetIsError() ||
					second.GetContent()[0].GetText() != "boom" || first.GetContent()[0].GetText() != "{}" {
					t.Errorf("results = %v, %v", first, second)
				}
			}},
		{"responses match the latest turn's calls first",
			`{"contents":[{"role":"model","parts":[{"functionCall":{"name":"f"}}]},{"role":"user","parts":[{"text":"x"}]},
			  {"role":"model","parts":[{"functionCall":{"name":"f"}}]},{"role":"user","parts":[{"functionResponse":{"name":"f","response":{"output":1}}}]}]}`,
			func(t *testing.T, r *inferencev1.ChatRequest) {
				tr := r.GetMessages()[3].GetContent()[0].GetToolResult()
				if tr.GetToolCallId() != "call_2_0" || tr.GetContent()[0].GetText() != `{"output":1}` {
					t.Errorf("result = %v", tr)
				}
			}},
		{"a signature on text signs the thinking before it; a lone signature makes a signed empty reasoning",
			`{"contents":[{"role":"model","parts":[{"text":"hm","thought":true},{"text":"Hi","thoughtSignature":"s1"},{"text":"!"},{"text":"","thoughtSignature":"s2"}]}]}`,
			func(t *testing.T, r *inferencev1.ChatRequest) {
				c := r.GetMessages()[0].GetContent()
				if len(c) != 4 || c[0].GetReasoning().GetSignature() != "s1" || c[1].GetText() != "Hi" ||
					c[2].GetText() != "!" || c[3].GetReasoning().GetSignature() != "s2" || c[3].GetReasoning().GetText() != "" {
					t.Errorf("content = %v", c)
				}
			}},
		{"thinking level and budget",
			`{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"thinkingConfig":{"thinkingLevel":"LOW"}}}`,
			func(t *testing.T, r *inferencev1.ChatRequest) {
				if rs := r.GetReasoning(); rs.GetEffort() != "low" || !rs.GetEnabled() {
					t.Errorf("reasoning = %v", rs)
				}
			}},
		{"thinking off",
			`{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"thinkingConfig":{"thinkingBudget":0}}}`,
			func(t *testing.T, r *inferencev1.ChatRequest) {
				if rs := r.GetReasoning(); rs.GetEffort() != "none" || rs.GetEnabled() {
					t.Errorf("reasoning = %v", rs)
				}
			}},
		{"JSON mode, response schema, int64 strings",
			`{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"responseMimeType":"application/json","seed":"42",
			  "responseSchema":{"type":"ARRAY","items":{"type":"STRING","format":"enum","enum":["a","b"]},"maxItems":"3","example":["a"]}}}`,
			func(t *testing.T, r *inferencev1.ChatRequest) {
				rf := r.GetResponseFormat()
				if rf.GetType() != "json_schema" || rf.GetSchemaJson() != `{"type":"array","items":{"type":"string","enum":["a","b"]},"maxItems":3,"examples":[["a"]]}` {
					t.Errorf("response format = %v", rf)
				}
				if r.GetSampling().GetSeed() != 42 {
					t.Errorf("seed = %v", r.GetSampling())
				}
			}},
		{"JSON mode without schema",
			`{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"responseMimeType":"application/json"}}`,
			func(t *testing.T, r *inferencev1.ChatRequest) {
				if r.GetResponseFormat().GetType() != "json_object" {
					t.Errorf("response format = %v", r.GetResponseFormat())
				}
			}},
		{"allowed functions narrow the tools; NONE; numeric modes",
			`{"contents":[{"parts":[{"text":"x"}]}],"tools":[{"functionDeclarations":[{"name":"a"},{"name":"b"},{"name":"c"}]}],
			  "toolConfig":{"function_calling_config":{"mode":2,"allowed_function_names":["a","c"]}}}`,
			func(t *testing.T, r *inferencev1.ChatRequest) {
				if r.GetToolChoice().GetMode() != inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_REQUIRED ||
					len(r.GetTools()) != 2 || r.GetTools()[1].GetName() != "c" {
					t.Errorf("choice %v, tools %v", r.GetToolChoice(), r.GetTools())
				}
			}},
		{"function response media",
			`{"contents":[{"role":"user","parts":[{"functionResponse":{"name":"shot","response":{"output":"ok"},"parts":[{"inlineData":{"mimeType":"image/jpeg","data":"AAAA"}}]}}]}]}`,
			func(t *testing.T, r *inferencev1.ChatRequest) {
				tr := r.GetMessages()[0].GetContent()[0].GetToolResult()
				if len(tr.GetContent()) != 2 || tr.GetContent()[1].GetImage().GetMediaType() != "image/jpeg" {
					t.Errorf("result = %v", tr)
				}
			}},
		{"unknown members are accepted and left in the body",
			`{"contents":[{"parts":[{"text":"x","partMetadata":{}}]}],"serviceTier":"flex","generationConfig":{"mediaResolution":"MEDIA_RESOLUTION_LOW"}}`,
			func(t *testing.T, r *inferencev1.ChatRequest) {
				if len(r.GetMessages()) != 1 {
					t.Errorf("messages = %v", r.GetMessages())
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.check(t, mustDecode(t, tt.body)) })
	}
}

func TestDecodeRequestStreamAndCountTokens(t *testing.T) {
	r, err := DecodeRequest("gemini-2.5-pro", []byte(`{"contents":[{"parts":[{"text":"x"}]}]}`), true)
	if err != nil || !r.GetStream() || !r.GetIncludeUsage() {
		t.Fatalf("stream request = %v, %v", r, err)
	}
	ct, err := DecodeCountTokensRequest("gemini-2.5-pro", []byte(`{"generateContentRequest":{"model":"models/gemini-2.5-pro",
		"contents":[{"parts":[{"text":"hello there"}]}],"systemInstruction":{"parts":[{"text":"sys"}]}}}`))
	if err != nil || len(ct.GetMessages()) != 2 || ct.GetStream() {
		t.Fatalf("count tokens request = %v, %v", ct, err)
	}
	if _, err := DecodeCountTokensRequest("m", []byte(`{}`)); err != nil {
		t.Errorf("empty countTokens body: %v", err)
	}
}

func TestCheckTranslatable(t *testing.T) {
	tests := []struct{ body, param string }{
		{`{"contents":[{"parts":[{"text":"x"}]}],"cachedContent":"cachedContents/abc"}`, "cachedContent"},
		{`{"contents":[{"parts":[{"fileData":{"mimeType":"video/mp4","fileUri":"https://generativelanguage.googleapis.com/v1beta/files/abc"}}]}]}`, "contents[0].parts[0].fileData.fileUri"},
		{`{"contents":[{"parts":[{"text":"x"},{"fileData":{"fileUri":"gs://bucket/a.png"}}]}]}`, "contents[0].parts[1].fileData.fileUri"},
		{`{"contents":[{"role":"model","parts":[{"executableCode":{"language":"PYTHON","code":"1"}}]}]}`, "contents[0].parts[0].executableCode"},
		{`{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"responseModalities":["TEXT","IMAGE"]}}`, "generationConfig.responseModalities"},
		{`{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"responseMimeType":"text/x.enum"}}`, "generationConfig.responseMimeType"},
	}
	for _, tt := range tests {
		r := mustDecode(t, tt.body)
		e := CheckTranslatable(r)
		if e == nil || e.Kind != errs.KindInvalidArgument || e.Param != tt.param {
			t.Errorf("%s: CheckTranslatable = %v, want param %s", tt.body, e, tt.param)
		}
	}
	other := &inferencev1.ChatRequest{Source: &inferencev1.Source{Dialect: inferencev1.Dialect_DIALECT_OPENAI_CHAT, OriginalBody: []byte(`{}`)}}
	if e := CheckTranslatable(other); e != nil {
		t.Errorf("non-Gemini request: %v", e)
	}
}

func TestDecodeRequestErrors(t *testing.T) {
	tests := []struct{ body, param, msg string }{
		{`{"contents":[{"parts":[{"text":"x"}]}]`, "", "invalid JSON"},
		{`[]`, "", "must be a JSON object"},
		{`{}`, "contents", "is required"},
		{`{"contents":[]}`, "contents", "at least one"},
		{`{"contents":{}}`, "contents", "must be an array"},
		{`{"contents":[{"role":"system","parts":[]}]}`, "contents[0].role", "must be user or model"},
		{`{"contents":[{"parts":[{"text":1}]}]}`, "contents[0].parts[0].text", "must be a string"},
		{`{"contents":[{"parts":[{"inlineData":{"mimeType":"image/png","data":"!!"}}]}]}`, "contents[0].parts[0].inlineData.data", "base64"},
		{`{"contents":[{"parts":[{"inlineData":{"data":"AA=="}}]}]}`, "contents[0].parts[0].inlineData.mimeType", "is required"},
		{`{"contents":[{"role":"model","parts":[{"functionCall":{"args":{}}}]}]}`, "contents[0].parts[0].functionCall.name", "is required"},
		{`{"contents":[{"role":"model","parts":[{"functionCall":{"name":"f","args":[1]}}]}]}`, "contents[0].parts[0].functionCall.args", "an object"},
		{`{"contents":[{"parts":[{"functionResponse":{"name":"f","response":"x"}}]}]}`, "contents[0].parts[0].functionResponse.response", "an object"},
		{`{"contents":[{"parts":[{"text":"x"}]}],"tools":[{"functionDeclarations":[{"description":"d"}]}]}`, "tools[0].functionDeclarations[0].name", "is required"},
		{`{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"temperature":"hot"}}`, "generationConfig.temperature", "a number"},
		{`{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"maxOutputTokens":0}}`, "generationConfig.maxOutputTokens", "too small"},
		{`{"contents":[{"parts":[{"text":"x"}]}],"toolConfig":{"functionCallingConfig":{"mode":"SOMETIMES"}}}`, "toolConfig.functionCallingConfig.mode", "AUTO"},
		{`{"contents":[{"parts":[{"text":"x"}]}],"labels":{"a":1}}`, "labels.a", "must be a string"},
	}
	for _, tt := range tests {
		_, err := DecodeRequest("m", []byte(tt.body), false)
		var e *errs.Error
		if !errors.As(err, &e) || e.Kind != errs.KindInvalidArgument || e.Param != tt.param || !strings.Contains(e.Message, tt.msg) {
			t.Errorf("%s: err = %v (param %q), want param %q containing %q", tt.body, err, paramOf(e), tt.param, tt.msg)
		}
	}
	if _, err := DecodeRequest("", []byte(`{"contents":[{"parts":[{"text":"x"}]}]}`), false); err == nil {
		t.Error("an empty model was accepted")
	}
}

func paramOf(e *errs.Error) string {
	if e == nil {
		return ""
	}
	return e.Param
}
