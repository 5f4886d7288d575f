package provideradapter

import (
	"context"
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/config"
	"github.com/tollgate/tollgate/services/kit/errs"
)

func fake(opts *config.FakeOptions) *fakeProvider {
	return newFakeProvider(&config.ServedEntity{Provider: "fake", Model: "fake-1", Fake: opts}, new(atomic.Uint64))
}

func TestFakeChatEchoesTheLastUserMessage(t *testing.T) {
	resp, err := fake(nil).Chat(context.Background(), userRequest("hello there"))
	if err != nil {
		t.Fatal(err)
	}
	c := resp.GetChoices()[0]
	want := "This is a fake response to: hello there"
	if got := c.GetMessage().GetContent()[0].GetText(); got != want || c.GetFinishReason() != inferencev1.FinishReason_FINISH_REASON_STOP {
		t.Fatalf("reply %q finish %v", got, c.GetFinishReason())
	}
	u := resp.GetUsage()
	// "hello there" is 11 characters: 3 tokens; the reply is 39: 10 tokens.
	if u.GetInputTokens() != 3 || u.GetOutputTokens() != 10 || u.GetTotalTokens() != 13 || u.GetEstimated() {
		t.Fatalf("usage %v", u)
	}
	if resp.GetModel() != "fake-1" || resp.GetId() == "" {
		t.Fatalf("id %q model %q", resp.GetId(), resp.GetModel())
	}
	resp, _ = fake(&config.FakeOptions{Reply: "fixed"}).Chat(context.Background(), userRequest("x"))
	if got := resp.GetChoices()[0].GetMessage().GetContent()[0].GetText(); got != "fixed" {
		t.Fatalf("configured reply ignored: %q", got)
	}
}

func TestFakeToolCalls(t *testing.T) {
	tools := []*inferencev1.Tool{{Type: "web_search"}, {Type: "function", Name: "get_weather"}, {Type: "function", Name: "other"}}
	cases := []struct {
		name   string
		text   string
		choice *inferencev1.ToolChoice
		want   string
	}{
		{"weather question", "What's the WEATHER in Paris?", nil, "get_weather"},
		{"other question", "tell me a joke", nil, ""},
		{"forced function", "tell me a joke", &inferencev1.ToolChoice{Mode: inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_FUNCTION, FunctionName: "other"}, "other"},
		{"required", "hi", &inferencev1.ToolChoice{Mode: inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_REQUIRED}, "get_weather"},
		{"none", "weather?", &inferencev1.ToolChoice{Mode: inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_NONE}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := userRequest(tc.text)
			req.Tools, req.ToolChoice = tools, tc.choice
			resp, err := fake(nil).Chat(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			c := resp.GetChoices()[0]
			calls := c.GetMessage().GetToolCalls()
			if tc.want == "" {
				if len(calls) != 0 {
					t.Fatalf("unexpected tool call %v", calls)
				}
				return
			}
			if len(calls) != 1 || calls[0].GetName() != tc.want || calls[0].GetArgumentsJson() != "{}" || calls[0].GetId() == "" ||
				c.GetFinishReason() != inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS {
				t.Fatalf("got %v finish %v", calls, c.GetFinishReason())
			}

			chunks, err := collectStream(context.Background(), fake(nil), req)
			if err != nil {
				t.Fatal(err)
			}
			first := chunks[0].GetDeltas()[0]
			if first.GetRole() != inferencev1.Role_ROLE_ASSISTANT || first.GetToolCalls()[0].GetName() != tc.want {
				t.Fatalf("first streamed delta %v", first)
			}
		})
	}
}

func TestFakeStream(t *testing.T) {
	req := userRequest("stream me")
	chunks, err := collectStream(context.Background(), fake(&config.FakeOptions{Chunks: 3}), req)
	if err != nil {
		t.Fatal(err)
	}
	// 3 text chunks, a finish chunk, a usage chunk.
	if len(chunks) != 5 {
		t.Fatalf("%d chunks", len(chunks))
	}
	var text strings.Builder
	for i, c := range chunks[:3] {
		d := c.GetDeltas()[0]
		if (i == 0) != (d.GetRole() == inferencev1.Role_ROLE_ASSISTANT) {
			t.Errorf("chunk %d role %v", i, d.GetRole())
		}
		text.WriteString(d.GetText())
	}
	if text.String() != "This is a fake response to: stream me" {
		t.Errorf("streamed text %q", text.String())
	}
	if chunks[3].GetDeltas()[0].GetFinishReason() != inferencev1.FinishReason_FINISH_REASON_STOP {
		t.Errorf("finish chunk %v", chunks[3])
	}
	if u := chunks[4].GetUsage(); u == nil || len(chunks[4].GetDeltas()) != 0 || u.GetOutputTokens() != 10 {
		t.Errorf("usage chunk %v", chunks[4])
	}
	for _, c := range chunks {
		if c.GetId() != chunks[0].GetId() {
			t.Error("chunk ids differ within one stream")
		}
	}
}

func TestFakeErrorInjectionIsPeriodic(t *testing.T) {
	p := fake(&config.FakeOptions{ErrorRate: 0.5})
	for i := 1; i <= 6; i++ {
		_, err := p.Chat(context.Background(), userRequest("x"))
		if i%2 == 0 {
			e := mustKind(t, err, errs.KindUpstream)
			if e.UpstreamStatus != 503 || !Retryable(e) {
				t.Fatalf("call %d: %+v", i, e)
			}
		} else if err != nil {
			t.Fatalf("call %d failed: %v", i, err)
		}
	}
	p = fake(&config.FakeOptions{ErrorRate: 1, ErrorStatus: 429})
	_, err := p.Embed(context.Background(), &inferencev1.EmbeddingsRequest{Inputs: []string{"x"}})
	if e := mustKind(t, err, errs.KindRateLimited); e.Retry != time.Second {
		t.Fatalf("retry %v", e.Retry)
	}
}

func TestFakeRespectsCancellation(t *testing.T) {
	p := fake(&config.FakeOptions{Latency: config.Duration(time.Hour)})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(10 * time.Millisecond); cancel() }()
	_, err := p.Chat(ctx, userRequest("x"))
	mustKind(t, err, errs.KindCanceled)

	p = fake(&config.FakeOptions{ChunkDelay: config.Duration(time.Hour)})
	ctx, cancel = context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	chunks, err := collectStream(ctx, p, userRequest("x"))
	if err != nil {
		t.Fatalf("a deadline mid-stream ends with an error chunk, not an error: %v", err)
	}
	if last := chunks[len(chunks)-1]; last.GetError().GetCode() != "timeout" || len(chunks) != 2 {
		t.Fatalf("chunks %v", chunks)
	}
}

func TestFakeEmbeddings(t *testing.T) {
	p := fake(&config.FakeOptions{Dimensions: 16})
	resp, err := p.Embed(context.Background(), &inferencev1.EmbeddingsRequest{Inputs: []string{"a", "b", "a"}})
	if err != nil {
		t.Fatal(err)
	}
	e := resp.GetEmbeddings()
	if len(e) != 3 || len(e[0].GetValues()) != 16 || e[2].GetIndex() != 2 {
		t.Fatalf("embeddings %v", e)
	}
	var norm float64
	for _, v := range e[0].GetValues() {
		norm += float64(v) * float64(v)
	}
	if math.Abs(norm-1) > 1e-5 {
		t.Errorf("not a unit vector: |v|² = %v", norm)
	}
	same := true
	for i := range e[0].GetValues() {
		if e[0].GetValues()[i] != e[2].GetValues()[i] {
			same = false
		}
	}
	if !same {
		t.Error("equal inputs must embed equally")
	}
	if e[0].GetValues()[0] == e[1].GetValues()[0] {
		t.Error("different inputs should embed differently")
	}
	d := int32(4)
	resp, _ = p.Embed(context.Background(), &inferencev1.EmbeddingsRequest{Inputs: []string{"a"}, Dimensions: &d})
	if len(resp.GetEmbeddings()[0].GetValues()) != 4 {
		t.Error("requested dimensions ignored")
	}
	if resp.GetUsage().GetInputTokens() != 1 {
		t.Errorf("usage %v", resp.GetUsage())
	}
}
