package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"

	"github.com/tollgate/tollgate/e2e/harness"
)

// upstreamReply asks the fake upstream directly (bypassing the gateway) for
// its unary reply to prompt: the text the gateway must deliver unchanged.
func (s *suite) upstreamReply(t *testing.T, prompt string) string {
	t.Helper()
	body, _ := json.Marshal(chatBody(harness.UpstreamModel, prompt))
	req, _ := http.NewRequestWithContext(testCtx(t), http.MethodPost, s.stack.Upstream.BaseURL()+"/chat/completions", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+harness.UpstreamKey)
	resp, err := s.http.Do(req)
	if err != nil {
		t.Fatalf("fake upstream: %v", err)
	}
	defer func() { _ = resp.Body.Close() }()
	var out struct {
		Choices []struct {
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || len(out.Choices) == 0 {
		t.Fatalf("fake upstream answered %s with no choices (%v)", resp.Status, err)
	}
	return out.Choices[0].Message.Content
}

func (s *suite) testUnaryChat(t *testing.T) {
	const prompt = "Say hello to the e2e suite"
	client := s.client(harness.AliceToken)
	var httpResp *http.Response
	c, err := client.Chat.Completions.New(testCtx(t), openai.ChatCompletionNewParams{
		Model:    harness.EndpointChat,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(prompt)},
	}, option.WithResponseInto(&httpResp))
	if err != nil {
		t.Fatalf("chat completion: %v", err)
	}
	if c.ID == "" || c.Object != "chat.completion" || c.Created <= 0 || c.Model == "" {
		t.Errorf("envelope: id=%q object=%q created=%d model=%q; want all set, object chat.completion", c.ID, c.Object, c.Created, c.Model)
	}
	if len(c.Choices) == 0 {
		t.Fatalf("no choices: %s", c.RawJSON())
	}
	got := c.Choices[0].Message.Content
	if got == "" {
		t.Errorf("empty content: %s", c.RawJSON())
	}
	if want := s.upstreamReply(t, prompt); got != want {
		t.Errorf("content = %q, want the upstream's reply %q", got, want)
	}
	if c.Choices[0].FinishReason != "stop" {
		t.Errorf("finish_reason = %q, want stop", c.Choices[0].FinishReason)
	}
	u := c.Usage
	if u.PromptTokens <= 0 || u.CompletionTokens <= 0 || u.TotalTokens <= 0 {
		t.Errorf("usage = %+v, want all > 0", u)
	}
	requireRequestID(t, httpResp.Header, "unary chat")
}

func (s *suite) testStreamingWithUsage(t *testing.T) {
	const prompt = "Stream a reply, please"
	client := s.client(harness.AliceToken)
	var httpResp *http.Response
	stream := client.Chat.Completions.NewStreaming(testCtx(t), openai.ChatCompletionNewParams{
		Model:         harness.EndpointChat,
		Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage(prompt)},
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	}, option.WithResponseInto(&httpResp))
	defer func() { _ = stream.Close() }()
	var text strings.Builder
	var chunks, usageChunks int
	var usage openai.CompletionUsage
	var finish string
	for stream.Next() {
		ch := stream.Current()
		chunks++
		if ch.Object != "chat.completion.chunk" || ch.ID == "" {
			t.Errorf("chunk %d: object=%q id=%q, want chat.completion.chunk with an id", chunks, ch.Object, ch.ID)
		}
		for _, choice := range ch.Choices {
			text.WriteString(choice.Delta.Content)
			if choice.FinishReason != "" {
				finish = choice.FinishReason
			}
		}
		if ch.JSON.Usage.Valid() {
			usageChunks++
			usage = ch.Usage
			if len(ch.Choices) != 0 {
				t.Errorf("usage chunk has %d choices, want none", len(ch.Choices))
			}
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	if httpResp != nil {
		requireRequestID(t, httpResp.Header, "streaming chat")
		if ct := httpResp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
			t.Errorf("Content-Type = %q, want text/event-stream", ct)
		}
	}
	if chunks < 3 {
		t.Errorf("got %d chunks, want several (content deltas plus a usage chunk)", chunks)
	}
	if want := s.upstreamReply(t, prompt); text.String() != want {
		t.Errorf("streamed text = %q, want the upstream's reply %q", text.String(), want)
	}
	if finish != "stop" {
		t.Errorf("finish_reason = %q, want stop", finish)
	}
	if usageChunks != 1 {
		t.Errorf("got %d usage chunks, want exactly 1", usageChunks)
	}
	if usage.PromptTokens <= 0 || usage.CompletionTokens <= 0 || usage.TotalTokens <= 0 {
		t.Errorf("usage = %+v, want all > 0", usage)
	}

	// The SDK tolerates a missing [DONE]; the wire must still end with it.
	body := chatBody(harness.EndpointChat, prompt)
	body["stream"] = true
	body["stream_options"] = map[string]any{"include_usage": true}
	r := s.postJSON(t, "/v1/chat/completions", harness.AliceToken, body)
	requireStatus(t, r, http.StatusOK)
	events := sseEvents(t, r.Body)
	if len(events) == 0 || events[len(events)-1] != "[DONE]" {
		t.Fatalf("SSE stream does not end with [DONE]: %s", truncate(r.Body))
	}
	for i, ev := range events[:len(events)-1] {
		if ev == "[DONE]" {
			t.Errorf("[DONE] at event %d of %d, want it last only", i, len(events))
		}
		if !json.Valid([]byte(ev)) {
			t.Errorf("event %d is not JSON: %q", i, ev)
		}
	}
}

func (s *suite) testStreamingWithoutUsage(t *testing.T) {
	body := chatBody(harness.EndpointChat, "Stream without usage")
	body["stream"] = true
	r := s.postJSON(t, "/v1/chat/completions", harness.AliceToken, body)
	requireStatus(t, r, http.StatusOK)
	requireRequestID(t, r.Header, "streaming chat without usage")
	events := sseEvents(t, r.Body)
	if len(events) < 2 || events[len(events)-1] != "[DONE]" {
		t.Fatalf("want content chunks then [DONE], got: %s", truncate(r.Body))
	}
	var text strings.Builder
	for i, ev := range events[:len(events)-1] {
		var chunk struct {
			Usage   json.RawMessage `json:"usage"`
			Choices []struct {
				Delta struct {
					Content string `json:"content"`
				} `json:"delta"`
			} `json:"choices"`
		}
		if err := json.Unmarshal([]byte(ev), &chunk); err != nil {
			t.Fatalf("event %d: %v: %q", i, err, ev)
		}
		if len(chunk.Usage) > 0 && string(chunk.Usage) != "null" {
			t.Errorf("event %d carries usage %s although the client did not ask for it", i, chunk.Usage)
		}
		if len(chunk.Choices) == 0 {
			t.Errorf("event %d has no choices (a usage-only chunk the client did not ask for?): %s", i, ev)
		}
		for _, c := range chunk.Choices {
			text.WriteString(c.Delta.Content)
		}
	}
	if text.Len() == 0 {
		t.Error("no streamed content")
	}
}

func (s *suite) testToolCallRoundTrip(t *testing.T) {
	client := s.client(harness.AliceToken)
	ctx := testCtx(t)
	weatherTool := openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
		Name:        "get_weather",
		Description: openai.String("Current weather in a city"),
		Parameters: shared.FunctionParameters{
			"type":       "object",
			"properties": map[string]any{"city": map[string]any{"type": "string"}},
			"required":   []string{"city"},
		},
	})
	params := openai.ChatCompletionNewParams{
		Model:    harness.EndpointChat,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("What's the weather in Paris?")},
		Tools:    []openai.ChatCompletionToolUnionParam{weatherTool},
	}
	first, err := client.Chat.Completions.New(ctx, params)
	if err != nil {
		t.Fatalf("first turn: %v", err)
	}
	if len(first.Choices) == 0 || len(first.Choices[0].Message.ToolCalls) == 0 {
		t.Fatalf("first turn has no tool_calls: %s", first.RawJSON())
	}
	if fr := first.Choices[0].FinishReason; fr != "tool_calls" {
		t.Errorf("finish_reason = %q, want tool_calls", fr)
	}
	call := first.Choices[0].Message.ToolCalls[0]
	if call.ID == "" || call.Type != "function" || call.Function.Name != "get_weather" {
		t.Fatalf("tool call = id %q type %q name %q; want an id, function get_weather", call.ID, call.Type, call.Function.Name)
	}
	if !json.Valid([]byte(call.Function.Arguments)) {
		t.Errorf("tool call arguments are not JSON: %q", call.Function.Arguments)
	}

	// The same turn streamed: the tool call's deltas must reassemble into the same call.
	stream := client.Chat.Completions.NewStreaming(ctx, params)
	var acc openai.ChatCompletionAccumulator
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("streamed first turn: %v", err)
	}
	if len(acc.Choices) == 0 || len(acc.Choices[0].Message.ToolCalls) != 1 {
		t.Errorf("streamed first turn: want one tool call, got %+v", acc.Choices)
	} else {
		sc := acc.Choices[0].Message.ToolCalls[0]
		if sc.ID != call.ID || sc.Function.Name != call.Function.Name || sc.Function.Arguments != call.Function.Arguments {
			t.Errorf("streamed tool call = (%q, %q, %q), want the unary one (%q, %q, %q)",
				sc.ID, sc.Function.Name, sc.Function.Arguments, call.ID, call.Function.Name, call.Function.Arguments)
		}
		if fr := acc.Choices[0].FinishReason; fr != "tool_calls" {
			t.Errorf("streamed finish_reason = %q, want tool_calls", fr)
		}
	}

	params.Messages = append(params.Messages,
		first.Choices[0].Message.ToParam(),
		openai.ToolMessage(`{"city":"Paris","forecast":"sunny","celsius":21}`, call.ID),
	)
	second, err := client.Chat.Completions.New(ctx, params)
	if err != nil {
		t.Fatalf("second turn (tool result): %v", err)
	}
	if len(second.Choices) == 0 || second.Choices[0].Message.Content == "" {
		t.Fatalf("second turn has no final answer: %s", second.RawJSON())
	}
	if n := len(second.Choices[0].Message.ToolCalls); n != 0 {
		t.Errorf("second turn asked for %d more tool calls, want a final answer", n)
	}

	// The upstream must have received the assistant's tool call and the tool
	// result linked by the same id.
	reqs, err := s.stack.Upstream.Requests(ctx)
	if err != nil {
		t.Fatalf("fake upstream requests: %v", err)
	}
	found := false
	for _, r := range reqs {
		body, err := r.JSONBody()
		if err != nil || !strings.HasSuffix(r.Path, "/chat/completions") {
			continue
		}
		msgs, _ := body["messages"].([]any)
		if len(msgs) != 3 {
			continue
		}
		assistant, _ := msgs[1].(map[string]any)
		tool, _ := msgs[2].(map[string]any)
		calls, _ := assistant["tool_calls"].([]any)
		if tool["role"] == "tool" && tool["tool_call_id"] == call.ID && len(calls) == 1 {
			found = true
			if c0, _ := calls[0].(map[string]any); c0["id"] != call.ID {
				t.Errorf("upstream got assistant tool call id %v, want %q", c0["id"], call.ID)
			}
		}
	}
	if !found {
		t.Errorf("no upstream request carried the assistant tool call and the tool result for %q", call.ID)
	}
}

func (s *suite) testEmbeddings(t *testing.T) {
	client := s.client(harness.AliceToken)
	inputs := []string{"first text", "second text", "third text"}
	var httpResp *http.Response
	e, err := client.Embeddings.New(testCtx(t), openai.EmbeddingNewParams{
		Model:          harness.EndpointEmbeddings,
		Input:          openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: inputs},
		EncodingFormat: openai.EmbeddingNewParamsEncodingFormatFloat,
	}, option.WithResponseInto(&httpResp))
	if err != nil {
		t.Fatalf("embeddings: %v", err)
	}
	requireRequestID(t, httpResp.Header, "embeddings")
	if len(e.Data) != len(inputs) {
		t.Fatalf("got %d embeddings, want %d", len(e.Data), len(inputs))
	}
	want := s.upstreamDimensions(t)
	for i, d := range e.Data {
		if d.Index != int64(i) {
			t.Errorf("data[%d].index = %d", i, d.Index)
		}
		if len(d.Embedding) != want {
			t.Errorf("data[%d] has %d dimensions, want %d (the upstream's)", i, len(d.Embedding), want)
		}
	}
	if string(e.Object) != "list" || e.Usage.PromptTokens <= 0 {
		t.Errorf("object=%q usage=%+v, want list and prompt tokens > 0", e.Object, e.Usage)
	}
	// The raw wire carries float arrays when asked for floats.
	r := s.postJSON(t, "/v1/embeddings", harness.AliceToken, map[string]any{
		"model": harness.EndpointEmbeddings, "input": "one", "encoding_format": "float",
	})
	requireStatus(t, r, http.StatusOK)
	var raw struct {
		Data []struct {
			Embedding json.RawMessage `json:"embedding"`
		} `json:"data"`
	}
	if err := json.Unmarshal(r.Body, &raw); err != nil || len(raw.Data) != 1 || !strings.HasPrefix(string(raw.Data[0].Embedding), "[") {
		t.Errorf("float embeddings on the wire: %s", truncate(r.Body))
	}
}

// upstreamDimensions asks the fake upstream directly for one embedding's size.
func (s *suite) upstreamDimensions(t *testing.T) int {
	t.Helper()
	body := `{"model":"text-embedding-fake","input":"probe","encoding_format":"float"}`
	req, _ := http.NewRequestWithContext(testCtx(t), http.MethodPost, s.stack.Upstream.BaseURL()+"/embeddings", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+harness.UpstreamKey)
	resp, err := s.http.Do(req)
	if err != nil {
		t.Fatalf("fake upstream: %v", err)
	}
	defer func() { _ = resp.Body.Close() }()
	var out struct {
		Data []struct {
			Embedding []float64 `json:"embedding"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || len(out.Data) == 0 {
		t.Fatalf("fake upstream embeddings: %s (%v)", resp.Status, err)
	}
	return len(out.Data[0].Embedding)
}

func (s *suite) testModelsList(t *testing.T) {
	list := func(token string) map[string]bool {
		client := s.client(token)
		var httpResp *http.Response
		page, err := client.Models.List(testCtx(t), option.WithResponseInto(&httpResp))
		if err != nil {
			t.Fatalf("models list: %v", err)
		}
		requireRequestID(t, httpResp.Header, "models list")
		ids := map[string]bool{}
		for _, m := range page.Data {
			if m.Object != "model" {
				t.Errorf("model %q object = %q, want model", m.ID, m.Object)
			}
			ids[m.ID] = true
		}
		return ids
	}
	alice, bob := list(harness.AliceToken), list(harness.BobToken)
	for _, ep := range []string{harness.EndpointChat, harness.EndpointEmbeddings, harness.EndpointLimited, harness.EndpointFakeChat} {
		if !alice[ep] || !bob[ep] {
			t.Errorf("endpoint %q: alice sees it %v, bob %v; want both", ep, alice[ep], bob[ep])
		}
	}
	if !alice[harness.EndpointPrivate] {
		t.Errorf("alice does not see %q: %v", harness.EndpointPrivate, alice)
	}
	if bob[harness.EndpointPrivate] {
		t.Errorf("bob sees %q though only alice may query it", harness.EndpointPrivate)
	}
}
