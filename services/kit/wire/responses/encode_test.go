package responses

import (
	"encoding/json"
	"strings"
	"testing"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

// wireResp is what the encoder tests read back from an encoded response.
type wireResp struct {
	ID                string `json:"id"`
	Object            string `json:"object"`
	CreatedAt         int64  `json:"created_at"`
	Status            string `json:"status"`
	Model             string `json:"model"`
	IncompleteDetails *struct {
		Reason string `json:"reason"`
	} `json:"incomplete_details"`
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	Output []map[string]any `json:"output"`
	Usage  *struct {
		InputTokens        int64 `json:"input_tokens"`
		InputTokensDetails struct {
			CachedTokens int64 `json:"cached_tokens"`
		} `json:"input_tokens_details"`
		OutputTokens        int64 `json:"output_tokens"`
		OutputTokensDetails struct {
			ReasoningTokens int64 `json:"reasoning_tokens"`
		} `json:"output_tokens_details"`
		TotalTokens int64 `json:"total_tokens"`
	} `json:"usage"`
}

func decodeResp(t *testing.T, b []byte) wireResp {
	t.Helper()
	var r wireResp
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	return r
}

func TestEncodeResponse(t *testing.T) {
	r := &inferencev1.ChatResponse{
		Id: "msg_01abc", Created: 1700000000, Model: "claude-x",
		Choices: []*inferencev1.Choice{{
			Message: &inferencev1.Message{Role: inferencev1.Role_ROLE_ASSISTANT,
				Content: []*inferencev1.ContentPart{
					{Part: &inferencev1.ContentPart_Reasoning{Reasoning: &inferencev1.ReasoningPart{Text: "hmm", Signature: "sig"}}},
					text("Hello "), text("world \u2028<b>"),
				},
				ToolCalls: []*inferencev1.ToolCall{{Id: "toolu_1", Name: "get_weather", ArgumentsJson: `{"city":"Paris"}`}},
			},
			FinishReason: inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS,
		}},
		Usage: &inferencev1.Usage{InputTokens: 100, OutputTokens: 20, CacheReadInputTokens: 40, ReasoningTokens: 5},
	}
	out := EncodeResponse(r, "my-endpoint")
	got := decodeResp(t, out)
	if got.ID != "resp_msg_01abc" || got.Object != "response" || got.CreatedAt != 1700000000 || got.Status != "completed" || got.Model != "my-endpoint" {
		t.Errorf("head %+v", got)
	}
	if got.Error != nil || got.IncompleteDetails != nil {
		t.Errorf("error %v incomplete %v", got.Error, got.IncompleteDetails)
	}
	u := got.Usage
	if u == nil || u.InputTokens != 100 || u.OutputTokens != 20 || u.TotalTokens != 120 || u.InputTokensDetails.CachedTokens != 40 || u.OutputTokensDetails.ReasoningTokens != 5 {
		t.Errorf("usage %+v", u)
	}
	if len(got.Output) != 3 {
		t.Fatalf("output %v", got.Output)
	}
	rs, msg, fc := got.Output[0], got.Output[1], got.Output[2]
	if rs["type"] != "reasoning" || rs["encrypted_content"] != "sig" || rs["summary"].([]any)[0].(map[string]any)["text"] != "hmm" {
		t.Errorf("reasoning item %v", rs)
	}
	content := msg["content"].([]any)[0].(map[string]any)
	if msg["type"] != "message" || msg["role"] != "assistant" || msg["status"] != "completed" || content["type"] != "output_text" || content["text"] != "Hello world \u2028<b>" {
		t.Errorf("message item %v", msg)
	}
	if fc["type"] != "function_call" || fc["call_id"] != "toolu_1" || fc["name"] != "get_weather" || fc["arguments"] != `{"city":"Paris"}` || fc["status"] != "completed" {
		t.Errorf("call item %v", fc)
	}
	if _, ok := fc["namespace"]; ok {
		t.Errorf("plain call has a namespace: %v", fc)
	}
	ids := map[any]bool{rs["id"]: true, msg["id"]: true, fc["id"]: true}
	if len(ids) != 3 || !strings.HasPrefix(fc["id"].(string), "fc_") || !strings.HasPrefix(msg["id"].(string), "msg_") {
		t.Errorf("item ids %v", ids)
	}
	if !strings.Contains(string(out), `<b>`) {
		t.Error("HTML characters were escaped")
	}
}

func TestEncodeResponseStatus(t *testing.T) {
	cases := []struct {
		fr         inferencev1.FinishReason
		status     string
		incomplete string
		failed     bool
	}{
		{inferencev1.FinishReason_FINISH_REASON_UNSPECIFIED, "completed", "", false},
		{inferencev1.FinishReason_FINISH_REASON_STOP, "completed", "", false},
		{inferencev1.FinishReason_FINISH_REASON_LENGTH, "incomplete", "max_output_tokens", false},
		{inferencev1.FinishReason_FINISH_REASON_CONTENT_FILTER, "incomplete", "content_filter", false},
		{inferencev1.FinishReason_FINISH_REASON_ERROR, "failed", "", true},
	}
	for _, tc := range cases {
		r := &inferencev1.ChatResponse{Choices: []*inferencev1.Choice{{
			Message: &inferencev1.Message{Content: []*inferencev1.ContentPart{text("partial")}}, FinishReason: tc.fr}}}
		got := decodeResp(t, EncodeResponse(r, "m"))
		if got.Status != tc.status || (got.IncompleteDetails != nil) != (tc.incomplete != "") ||
			tc.incomplete != "" && got.IncompleteDetails.Reason != tc.incomplete || (got.Error != nil) != tc.failed {
			t.Errorf("%v: %+v", tc.fr, got)
		}
		if !strings.HasPrefix(got.ID, "resp_") || len(got.ID) < 20 || got.CreatedAt == 0 {
			t.Errorf("generated id %q created %d", got.ID, got.CreatedAt)
		}
		if tc.status == "incomplete" && got.Output[0]["status"] != "incomplete" {
			t.Errorf("cut message status %v", got.Output[0]["status"])
		}
	}
	// No choices at all: an empty message, still a valid response.
	got := decodeResp(t, EncodeResponse(&inferencev1.ChatResponse{Id: "resp_x"}, "m"))
	if got.ID != "resp_x" || len(got.Output) != 1 || got.Usage != nil {
		t.Errorf("empty response %+v", got)
	}
}

// With the request, calls are written in the shape the client declared:
// namespaced functions carry their namespace, custom tools become
// custom_tool_call items with the free-form input.
func TestEncodeResponseToolShapes(t *testing.T) {
	req, err := DecodeRequest([]byte(`{"model":"m","input":"x","tools":[
	  {"type":"namespace","name":"multi_agent_v1","description":"d","tools":[{"type":"function","name":"spawn_agent","parameters":{"type":"object"}}]},
	  {"type":"custom","name":"apply_patch","description":"patch"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	r := &inferencev1.ChatResponse{Choices: []*inferencev1.Choice{{Message: &inferencev1.Message{ToolCalls: []*inferencev1.ToolCall{
		{Id: "c1", Name: "spawn_agent", ArgumentsJson: `{"message":"go"}`},
		{Id: "c2", Name: "apply_patch", ArgumentsJson: `{"input":"*** Begin Patch\n"}`},
	}}}}}
	got := decodeResp(t, EncodeResponse(r, "m", WithRequest(req)))
	if len(got.Output) != 2 {
		t.Fatalf("output %v", got.Output)
	}
	if fc := got.Output[0]; fc["type"] != "function_call" || fc["namespace"] != "multi_agent_v1" || fc["name"] != "spawn_agent" {
		t.Errorf("namespaced call %v", fc)
	}
	if cc := got.Output[1]; cc["type"] != "custom_tool_call" || cc["input"] != "*** Begin Patch\n" || cc["call_id"] != "c2" || cc["name"] != "apply_patch" {
		t.Errorf("custom call %v", cc)
	}
	// The same calls without the request are plain function calls.
	plain := decodeResp(t, EncodeResponse(r, "m"))
	if plain.Output[0]["namespace"] != nil || plain.Output[1]["type"] != "function_call" {
		t.Errorf("without the request: %v", plain.Output)
	}
}
