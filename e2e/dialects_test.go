package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/e2e/harness"
)

// TestDialects drives the Anthropic Messages and OpenAI Responses front
// doors of each topology with raw HTTP and the official Node SDKs, against
// upstreams of every dialect: same-dialect calls must pass through byte for
// byte (except the model), cross-dialect calls must keep tool-call ids.
func TestDialects(t *testing.T) {
	for _, topo := range harness.Topologies {
		t.Run(string(topo), func(t *testing.T) {
			s := startDialectSuite(t, topo)
			t.Run("AnthropicPassthrough", s.testAnthropicPassthrough)
			t.Run("AnthropicClientToChatUpstream", s.testAnthropicToChat)
			t.Run("ChatClientToAnthropicUpstream", s.testChatToAnthropic)
			t.Run("ResponsesPassthrough", s.testResponsesPassthrough)
			t.Run("ResponsesClientToAnthropicUpstream", s.testResponsesToAnthropic)
			t.Run("AnthropicErrors", s.testAnthropicErrors)
			t.Run("AnthropicSDK", s.testAnthropicSDK)
			t.Run("AnthropicGoSDK", s.testAnthropicGoSDK)
			t.Run("OpenAIResponsesSDK", s.testResponsesSDK)
		})
	}
}

// claudeCodeTurn is a request in Claude Code's shape (system blocks with
// cache_control, a system message inside messages, context_management,
// metadata.user_id as a JSON string).
const claudeCodeTurn = `{"model":"%s","messages":[{"role":"user","content":[{"type":"text","text":"<system-reminder>ctx</system-reminder>"},` +
	`{"type":"text","text":"read the file /work/hello.txt","cache_control":{"type":"ephemeral"}}]},{"role":"system","content":"agents"}],` +
	`"system":[{"type":"text","text":"You are Claude Code.","cache_control":{"type":"ephemeral"}}],` +
	`"tools":[{"name":"Bash","description":"run","input_schema":{"type":"object","properties":{"command":{"type":"string"}}}},` +
	`{"name":"Read","description":"read a file","input_schema":{"type":"object","properties":{"file_path":{"type":"string"}},"required":["file_path"]}}],` +
	`"metadata":{"user_id":"{\"device_id\":\"d1\"}"},"max_tokens":32000,"thinking":{"type":"adaptive"},` +
	`"context_management":{"edits":[{"type":"clear_thinking_20251015","keep":"all"}]},"stream":true}`

func claudeTurn(model string) string { return strings.Replace(claudeCodeTurn, "%s", model, 1) }

func (s *suite) testAnthropicPassthrough(t *testing.T) {
	s.upstreamRequests(t)
	body := claudeTurn(harness.EndpointViaAnthropic)
	r := s.postWith(t, "/anthropic/v1/messages?beta=true", anthropicHeaders(harness.AliceToken), body)
	requireStatus(t, r, http.StatusOK)
	reqs := s.upstreamRequests(t)
	if len(reqs) != 1 || reqs[0].Path != "/v1/messages" {
		t.Fatalf("upstream requests %+v", reqs)
	}
	up := reqs[0]
	if want := withModel(t, body, harness.EndpointViaAnthropic, harness.AnthropicUpstreamModel); up.Body != want {
		t.Fatalf("upstream body\n%s\nwant the client's body with only the model changed\n%s", up.Body, want)
	}
	if up.Header("X-Api-Key") != harness.UpstreamKey || up.Header("Authorization") != "" ||
		up.Header("Anthropic-Version") != "2023-06-01" || !strings.Contains(up.Header("Anthropic-Beta"), "interleaved-thinking") {
		t.Fatalf("upstream headers %v", up.Headers)
	}
	// The client gets the upstream's stream byte for byte.
	if want := s.replayUpstream(t, up); string(r.Body) != string(want) {
		t.Fatalf("client stream\n%s\nwant the upstream's\n%s", r.Body, want)
	}
	frames := namedEvents(t, r.Body)
	if !strings.Contains(frames[1].Data, `"name":"Read"`) || !strings.Contains(eventList(frames), "ping") {
		t.Fatalf("stream %s", r.Body)
	}
	s.upstreamRequests(t)
}

func (s *suite) testAnthropicToChat(t *testing.T) {
	s.upstreamRequests(t)
	r := s.postWith(t, "/anthropic/v1/messages", anthropicHeaders(harness.AliceToken), claudeTurn(harness.EndpointViaChat))
	requireStatus(t, r, http.StatusOK)
	frames := namedEvents(t, r.Body)
	want := "message_start,content_block_start,content_block_delta,content_block_delta,content_block_stop,message_delta,message_stop"
	if eventList(frames) != want {
		t.Fatalf("events %s, want %s\n%s", eventList(frames), want, r.Body)
	}
	var start struct {
		ContentBlock struct{ Type, ID, Name string } `json:"content_block"`
	}
	_ = json.Unmarshal([]byte(frames[1].Data), &start)
	if start.ContentBlock.Type != "tool_use" || start.ContentBlock.ID != "call_fake_read" || start.ContentBlock.Name != "Read" {
		t.Fatalf("tool_use block %s", frames[1].Data)
	}
	up := s.upstreamRequests(t)
	if len(up) != 1 || up[0].Path != "/v1/chat/completions" {
		t.Fatalf("upstream requests %+v", up)
	}
	if up[0].Header("Anthropic-Beta") != "" || up[0].Header("Authorization") != "Bearer "+harness.UpstreamKey {
		t.Fatalf("upstream headers %v", up[0].Headers)
	}

	// The tool result, sent back under the same id, is quoted by the upstream.
	second := `{"model":"via-chat","max_tokens":1000,"tools":[{"name":"Read","input_schema":{"type":"object"}}],"messages":[` +
		`{"role":"user","content":"read the file /work/hello.txt"},` +
		`{"role":"assistant","content":[{"type":"tool_use","id":"call_fake_read","name":"Read","input":{"file_path":"/work/hello.txt"}}]},` +
		`{"role":"user","content":[{"type":"tool_result","tool_use_id":"call_fake_read","content":"1\tmarker-e2e-1"}]}]}`
	r = s.postWith(t, "/v1/messages", anthropicHeaders(harness.AliceToken), second)
	requireStatus(t, r, http.StatusOK)
	var m struct {
		Type       string
		StopReason string `json:"stop_reason"`
		Content    []struct{ Type, Text string }
	}
	if json.Unmarshal(r.Body, &m) != nil || m.Type != "message" || m.StopReason != "end_turn" || len(m.Content) != 1 || !strings.Contains(m.Content[0].Text, "marker-e2e-1") {
		t.Fatalf("final message %s", r.Body)
	}
	up = s.upstreamRequests(t)
	if !strings.Contains(up[0].Body, `"tool_call_id":"call_fake_read"`) || !strings.Contains(up[0].Body, `"id":"call_fake_read"`) {
		t.Fatalf("upstream body lost the tool-call id: %s", up[0].Body)
	}
}

func (s *suite) testChatToAnthropic(t *testing.T) {
	s.upstreamRequests(t)
	first := `{"model":"via-anthropic","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"What's the weather in Paris?"}],` +
		`"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"location":{"type":"string"}}}}}]}`
	r := s.postJSON(t, "/v1/chat/completions", harness.AliceToken, first)
	requireStatus(t, r, http.StatusOK)
	var id, name, args, finish string
	usage := false
	for _, data := range sseEvents(t, r.Body) {
		if data == "[DONE]" {
			continue
		}
		var c struct {
			Object  string
			Choices []struct {
				Delta struct {
					ToolCalls []struct {
						ID       string
						Function struct{ Name, Arguments string }
					} `json:"tool_calls"`
				}
				FinishReason string `json:"finish_reason"`
			}
			Usage *struct {
				PromptTokens int `json:"prompt_tokens"`
			}
		}
		if err := json.Unmarshal([]byte(data), &c); err != nil || c.Object != "chat.completion.chunk" {
			t.Fatalf("chunk %s", data)
		}
		for _, ch := range c.Choices {
			for _, tc := range ch.Delta.ToolCalls {
				id, name, args = id+tc.ID, name+tc.Function.Name, args+tc.Function.Arguments
			}
			finish += ch.FinishReason
		}
		usage = usage || (c.Usage != nil && c.Usage.PromptTokens > 0)
	}
	if id != "toolu_fake_weather" || name != "get_weather" || args != `{"location":"Paris"}` || finish != "tool_calls" || !usage {
		t.Fatalf("tool call id %q name %q args %q finish %q usage %v\n%s", id, name, args, finish, usage, r.Body)
	}
	up := s.upstreamRequests(t)
	if len(up) != 1 || up[0].Path != "/v1/messages" || up[0].Header("X-Api-Key") != harness.UpstreamKey || up[0].Header("Anthropic-Version") == "" {
		t.Fatalf("upstream request %+v", up)
	}

	second := `{"model":"via-anthropic","messages":[{"role":"user","content":"What's the weather in Paris?"},` +
		`{"role":"assistant","content":null,"tool_calls":[{"id":"toolu_fake_weather","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"Paris\"}"}}]},` +
		`{"role":"tool","tool_call_id":"toolu_fake_weather","content":"sunny"}]}`
	r = s.postJSON(t, "/v1/chat/completions", harness.AliceToken, second)
	requireStatus(t, r, http.StatusOK)
	var c struct {
		Object  string
		Choices []struct {
			Message      struct{ Content string }
			FinishReason string `json:"finish_reason"`
		}
	}
	if json.Unmarshal(r.Body, &c) != nil || c.Object != "chat.completion" || c.Choices[0].Message.Content == "" || c.Choices[0].FinishReason != "stop" {
		t.Fatalf("final answer %s", r.Body)
	}
	up = s.upstreamRequests(t)
	if !strings.Contains(up[0].Body, `"tool_use_id":"toolu_fake_weather"`) {
		t.Fatalf("upstream body lost the tool-call id: %s", up[0].Body)
	}
}

// codexTurn is a request in Codex's shape: developer messages, a namespace
// tool, store false and encrypted reasoning asked for.
const codexTurn = `{"model":"%s","stream":true,"input":[{"type":"message","role":"developer","content":[{"type":"input_text","text":"You are Codex."}]},` +
	`{"type":"message","role":"user","content":[{"type":"input_text","text":"read the file /work/hello.txt"}]}],` +
	`"tools":[{"type":"function","name":"exec_command","strict":false,"parameters":{"type":"object","properties":{"cmd":{"type":"string"}},"required":["cmd"]}},` +
	`{"type":"namespace","name":"agents","description":"sub-agents","tools":[{"type":"function","name":"spawn","parameters":{"type":"object","properties":{}}}]}],` +
	`"tool_choice":"auto","parallel_tool_calls":false,"reasoning":{"effort":"medium","summary":"auto"},"store":false,` +
	`"include":["reasoning.encrypted_content"],"prompt_cache_key":"01a2","client_metadata":{"installation_id":"x"}}`

func codexRequest(model string) string { return strings.Replace(codexTurn, "%s", model, 1) }

func (s *suite) testResponsesPassthrough(t *testing.T) {
	s.upstreamRequests(t)
	body := codexRequest(harness.EndpointViaResponses)
	r := s.postJSON(t, "/codex/v1/responses", harness.AliceToken, body)
	requireStatus(t, r, http.StatusOK)
	reqs := s.upstreamRequests(t)
	if len(reqs) != 1 || reqs[0].Path != "/v1/responses" {
		t.Fatalf("upstream requests %+v", reqs)
	}
	if want := withModel(t, body, harness.EndpointViaResponses, harness.ResponsesUpstreamModel); reqs[0].Body != want {
		t.Fatalf("upstream body\n%s\nwant\n%s", reqs[0].Body, want)
	}
	if want := s.replayUpstream(t, reqs[0]); string(r.Body) != string(want) {
		t.Fatalf("client stream\n%s\nwant the upstream's\n%s", r.Body, want)
	}
	frames := namedEvents(t, r.Body)
	if frames[0].Event != "response.created" || frames[len(frames)-1].Event != "response.completed" || !strings.Contains(string(r.Body), `"call_id":"call_fake_read"`) {
		t.Fatalf("stream %s", r.Body)
	}
	s.upstreamRequests(t)
}

func (s *suite) testResponsesToAnthropic(t *testing.T) {
	s.upstreamRequests(t)
	r := s.postJSON(t, "/v1/responses", harness.AliceToken, codexRequest(harness.EndpointViaAnthropic))
	requireStatus(t, r, http.StatusOK)
	frames := namedEvents(t, r.Body)
	want := "response.created,response.in_progress,response.output_item.added,response.function_call_arguments.delta," +
		"response.function_call_arguments.delta,response.function_call_arguments.done,response.output_item.done,response.completed"
	if eventList(frames) != want {
		t.Fatalf("events %s\nwant %s", eventList(frames), want)
	}
	var done struct {
		Item struct {
			Type, Name, Arguments string
			CallID                string `json:"call_id"`
		} `json:"item"`
	}
	_ = json.Unmarshal([]byte(frames[6].Data), &done)
	if done.Item.Type != "function_call" || done.Item.Name != "exec_command" || done.Item.Arguments != `{"cmd":"cat /work/hello.txt"}` ||
		done.Item.CallID != "toolu_fake_read" {
		t.Fatalf("function call item %s", frames[6].Data)
	}
	up := s.upstreamRequests(t)
	if len(up) != 1 || up[0].Path != "/v1/messages" || !strings.Contains(up[0].Body, "You are Codex.") {
		t.Fatalf("upstream requests %+v", up)
	}

	second := `{"model":"via-anthropic","input":[{"type":"message","role":"user","content":"read the file /work/hello.txt"},` +
		`{"type":"function_call","call_id":"toolu_fake_read","name":"exec_command","arguments":"{\"cmd\":\"cat /work/hello.txt\"}"},` +
		`{"type":"function_call_output","call_id":"toolu_fake_read","output":"marker-e2e-2\n"}],` +
		`"tools":[{"type":"function","name":"exec_command","parameters":{"type":"object"}}]}`
	r = s.postJSON(t, "/v1/responses", harness.AliceToken, second)
	requireStatus(t, r, http.StatusOK)
	var resp struct {
		Object, Status string
		Output         []struct {
			Type    string
			Content []struct{ Type, Text string }
		}
	}
	if json.Unmarshal(r.Body, &resp) != nil || resp.Object != "response" || resp.Status != "completed" ||
		len(resp.Output) != 1 || !strings.Contains(resp.Output[0].Content[0].Text, "marker-e2e-2") {
		t.Fatalf("final response %s", r.Body)
	}
	s.upstreamRequests(t)

	// What Anthropic cannot replay is refused, naming the field.
	r = s.postJSON(t, "/v1/responses", harness.AliceToken, `{"model":"via-anthropic","previous_response_id":"resp_1","input":"hi"}`)
	requireStatus(t, r, http.StatusBadRequest)
	if e := requireOpenAIError(t, r); e["param"] != "previous_response_id" {
		t.Fatalf("error %v", e)
	}
}

func (s *suite) testAnthropicErrors(t *testing.T) {
	for _, tc := range []struct {
		name, path string
		header     http.Header
		body       string
		status     int
		typ        string
	}{
		{"bad key", "/anthropic/v1/messages", anthropicHeaders("sk-not-a-token"), claudeTurn(harness.EndpointViaAnthropic), 401, "authentication_error"},
		{"unknown model", "/v1/messages", anthropicHeaders(harness.AliceToken), claudeTurn("no-such-endpoint"), 404, "not_found_error"},
		{"forbidden", "/anthropic/v1/messages", anthropicHeaders(harness.BobToken), claudeTurn(harness.EndpointPrivate), 403, "permission_error"},
		{"upstream overloaded", "/anthropic/v1/messages", anthropicHeaders(harness.AliceToken), claudeTurn(harness.EndpointOverloaded), 503, "overloaded_error"},
		{"unknown route", "/anthropic/v1/files", anthropicHeaders(harness.AliceToken), "{}", 404, "not_found_error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.postWith(t, tc.path, tc.header, tc.body)
			requireStatus(t, r, tc.status)
			var e struct {
				Type  string
				Error struct{ Type, Message string }
			}
			if json.Unmarshal(r.Body, &e) != nil || e.Type != "error" || e.Error.Type != tc.typ || e.Error.Message == "" {
				t.Fatalf("error body %s, want type %s", r.Body, tc.typ)
			}
			requireRequestID(t, r.Header, tc.name)
		})
	}
}
