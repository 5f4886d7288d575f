package provideradapter

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	provideradapterv1 "github.com/tollgate/tollgate/gen/go/tollgate/provideradapter/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
	"github.com/tollgate/tollgate/services/provideradapter/fakeupstream"
)

// The same scenarios run against each of the Azure OpenAI, Bedrock and
// Cohere providers, each calling the fake upstream in its own wire format:
// an OpenAI Chat client's request, unary and streamed, a tool round trip
// (the call's id must survive the provider's format, or the fake answers
// without quoting the result), usage, and the mapping of the provider's
// 429, 5xx, 400 and mid-stream failures.

// cloudProvider is one provider under test.
type cloudProvider struct {
	kind string
	// entity is the YAML of served entity "up" calling model at the fake
	// whose root URL is root.
	entity func(t *testing.T, root, model string) string
	// model is an ordinary model name for the provider.
	model string
	// midStream says whether the fake can fail this provider mid-stream.
	midStream bool
}

var cloudProviders = []cloudProvider{
	{kind: "azure_openai", model: "gpt-4o-deployment", entity: func(t *testing.T, root, model string) string {
		return fmt.Sprintf("provider: azure_openai\n        model: gpt-4o\n        base_url: %s\n        api_key: %s\n        azure: {deployment: %s}", root, envKey(t), model)
	}},
	{kind: "bedrock", model: "anthropic.claude-3-5-haiku-20241022-v1:0", midStream: true, entity: func(t *testing.T, root, model string) string {
		return fmt.Sprintf("provider: bedrock\n        model: %s\n        base_url: %s\n        bedrock:\n          region: us-east-1\n%s", model, root, awsKeys(t))
	}},
	{kind: "cohere", model: "command-a-03-2025", midStream: true, entity: func(t *testing.T, root, model string) string {
		return fmt.Sprintf("provider: cohere\n        model: %s\n        base_url: %s\n        api_key: %s", model, root, envKey(t))
	}},
}

// awsKeys configures the credentials whose signatures the fake verifies.
func awsKeys(t *testing.T) string {
	t.Setenv("TOLLGATE_TEST_AWS_KEY_ID", fakeupstream.BedrockAccessKeyID)
	t.Setenv("TOLLGATE_TEST_AWS_SECRET", fakeupstream.BedrockSecretAccessKey)
	return "          access_key_id: {env: TOLLGATE_TEST_AWS_KEY_ID}\n          secret_access_key: {env: TOLLGATE_TEST_AWS_SECRET}"
}

// startCloud serves endpoint "chat" (served entity "up") from p at a new
// fake upstream.
func startCloud(t *testing.T, p cloudProvider, model string) (*fakeupstream.Server, *Server, string) {
	t.Helper()
	fake, base := startFakeUpstream(t)
	root := strings.TrimSuffix(base, "/v1")
	srv, _ := newTestServer(t, cloudConfig(p.entity(t, root, model)))
	return fake, srv, root
}

func cloudConfig(entity string) string {
	return "endpoints:\n  - name: chat\n    task: chat\n    served_entities:\n      - name: up\n        timeout: 5s\n        " + entity + "\n"
}

func cloudChat(srv *Server, req *inferencev1.ChatRequest) (*provideradapterv1.ChatResponse, error) {
	return srv.Chat(context.Background(), &provideradapterv1.ChatRequest{Target: target("chat", "up"), Request: req})
}

// cloudStream runs ChatStream over gRPC: the chunks, and the final error
// typed again.
func cloudStream(t *testing.T, srv *Server, req *inferencev1.ChatRequest) ([]*inferencev1.ChatChunk, error) {
	t.Helper()
	st, err := startGRPC(t, srv).ChatStream(context.Background(), &provideradapterv1.ChatStreamRequest{Target: target("chat", "up"), Request: req})
	if err != nil {
		return nil, errs.From(err)
	}
	var out []*inferencev1.ChatChunk
	for {
		m, err := st.Recv()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, errs.From(err)
		}
		out = append(out, chunksOf(m)...)
	}
}

const (
	weatherTools = `"tools":[{"type":"function","function":{"name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"location":{"type":"string"}}}}}]`
	readTools    = `"tools":[{"type":"function","function":{"name":"read_file","parameters":{"type":"object","properties":{"file_path":{"type":"string"}}}}}]`
)

func TestCloudProvidersUnaryAndStream(t *testing.T) {
	for _, p := range cloudProviders {
		t.Run(p.kind, func(t *testing.T) {
			_, srv, _ := startCloud(t, p, p.model)
			resp, err := cloudChat(srv, decodeChat(t, `{"model":"chat","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hello"}]}`))
			if err != nil {
				t.Fatal(err)
			}
			r := resp.GetResponse()
			c := r.GetChoices()[0]
			if resp.GetProvider() != p.kind || c.GetMessage().GetContent()[0].GetText() != fakeupstream.Reply ||
				c.GetFinishReason() != inferencev1.FinishReason_FINISH_REASON_STOP || r.GetModel() == "" {
				t.Fatalf("unary answer %v", resp)
			}
			if u := r.GetUsage(); u.GetInputTokens() == 0 || u.GetOutputTokens() == 0 || u.GetTotalTokens() != u.GetInputTokens()+u.GetOutputTokens() {
				t.Fatalf("unary usage %v", u)
			}

			chunks, err := cloudStream(t, srv, decodeChat(t, `{"model":"chat","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hello"}]}`))
			if err != nil {
				t.Fatal(err)
			}
			a := assemble(chunks)
			if a.text != fakeupstream.Reply || a.finish != inferencev1.FinishReason_FINISH_REASON_STOP || a.usage.GetInputTokens() == 0 || a.usage.GetOutputTokens() == 0 {
				t.Fatalf("stream %+v", a)
			}
			for _, c := range chunks {
				if c.GetModel() == "" || c.GetError() != nil {
					t.Fatalf("chunk %v", c)
				}
			}
		})
	}
}

func TestCloudProvidersToolRoundTrip(t *testing.T) {
	for _, p := range cloudProviders {
		t.Run(p.kind, func(t *testing.T) {
			_, srv, _ := startCloud(t, p, p.model)
			// Streamed: the weather call arrives in fragments.
			chunks, err := cloudStream(t, srv, decodeChat(t, `{"model":"chat","stream":true,"messages":[{"role":"user","content":"What's the weather in Paris?"}],`+weatherTools+`}`))
			if err != nil {
				t.Fatal(err)
			}
			a := assemble(chunks)
			if a.callID == "" || a.callName != "get_weather" || a.args != fakeupstream.ToolArguments || a.finish != inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS {
				t.Fatalf("streamed tool call %+v", a)
			}

			// Unary: the file read the fake asks for, then its result,
			// which the fake quotes only when the call's id came back.
			ask := `{"model":"chat","messages":[{"role":"user","content":"Please read the file notes.txt"}],` + readTools + `}`
			resp, err := cloudChat(srv, decodeChat(t, ask))
			if err != nil {
				t.Fatal(err)
			}
			calls := resp.GetResponse().GetChoices()[0].GetMessage().GetToolCalls()
			if len(calls) != 1 || !strings.Contains(calls[0].GetId(), fakeupstream.ReadCallMarker) || calls[0].GetName() != "read_file" ||
				resp.GetResponse().GetChoices()[0].GetFinishReason() != inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS {
				t.Fatalf("read call %v", resp.GetResponse())
			}
			call := calls[0]
			answer := fmt.Sprintf(`{"model":"chat","stream":true,"messages":[{"role":"user","content":"Please read the file notes.txt"},`+
				`{"role":"assistant","content":null,"tool_calls":[{"id":%q,"type":"function","function":{"name":"read_file","arguments":%q}}]},`+
				`{"role":"tool","tool_call_id":%q,"content":"the notes"}],`+readTools+`}`, call.GetId(), call.GetArgumentsJson(), call.GetId())
			chunks, err = cloudStream(t, srv, decodeChat(t, answer))
			if err != nil {
				t.Fatal(err)
			}
			if a := assemble(chunks); a.text != fakeupstream.ReadResultPrefix+"the notes" || a.finish != inferencev1.FinishReason_FINISH_REASON_STOP {
				t.Fatalf("final answer %+v", a)
			}
		})
	}
}

func TestCloudProvidersErrorMapping(t *testing.T) {
	tests := []struct {
		model     string
		kind      errs.Kind
		retryable bool
	}{
		{fakeupstream.ModelFail429, errs.KindRateLimited, true},
		{fakeupstream.ModelFail500, errs.KindUpstream, true},
		{fakeupstream.ModelFail400, errs.KindInvalidArgument, false},
	}
	for _, p := range cloudProviders {
		for _, tt := range tests {
			t.Run(p.kind+"/"+tt.model, func(t *testing.T) {
				_, srv, _ := startCloud(t, p, tt.model)
				req := decodeChat(t, `{"model":"chat","messages":[{"role":"user","content":"hello"}]}`)
				_, err := cloudChat(srv, req)
				e := mustKind(t, err, tt.kind)
				if Retryable(e) != tt.retryable || e.UpstreamStatus == 0 {
					t.Fatalf("unary: retryable %v, upstream status %d: %v", Retryable(e), e.UpstreamStatus, e)
				}
				// Before anything was streamed the failure is an error too,
				// so a fallback can still try another served entity.
				req.Stream = true
				chunks, err := cloudStream(t, srv, req)
				e = mustKind(t, err, tt.kind)
				if len(chunks) != 0 || Retryable(e) != tt.retryable {
					t.Fatalf("stream: %d chunks, retryable %v: %v", len(chunks), Retryable(e), e)
				}
			})
		}
		if !p.midStream {
			continue
		}
		t.Run(p.kind+"/mid-stream", func(t *testing.T) {
			_, srv, _ := startCloud(t, p, fakeupstream.ModelGeminiStreamBreak)
			chunks, err := cloudStream(t, srv, decodeChat(t, `{"model":"chat","stream":true,"messages":[{"role":"user","content":"hello"}]}`))
			if err != nil {
				t.Fatal(err)
			}
			last := chunks[len(chunks)-1]
			if a := assemble(chunks); a.text == "" || last.GetError() == nil || !last.GetError().GetRetryable() {
				t.Fatalf("a failure after the first chunk must end the stream with a retryable error chunk: %+v %v", a, last)
			}
		})
	}
}

func TestCloudProvidersTimeout(t *testing.T) {
	for _, p := range cloudProviders {
		t.Run(p.kind, func(t *testing.T) {
			_, base := startFakeUpstream(t)
			config := strings.Replace(cloudConfig(p.entity(t, strings.TrimSuffix(base, "/v1"), fakeupstream.ModelSlow)), "timeout: 5s", "timeout: 200ms", 1)
			srv, _ := newTestServer(t, config)
			req := decodeChat(t, `{"model":"chat","messages":[{"role":"user","content":"hello"}]}`)
			if e := mustKind(t, func() error { _, err := cloudChat(srv, req); return err }(), errs.KindTimeout); !Retryable(e) {
				t.Fatalf("unary: %v", e)
			}
			req.Stream = true
			if _, err := cloudStream(t, srv, req); !Retryable(mustKind(t, err, errs.KindTimeout)) {
				t.Fatalf("stream: %v", err)
			}
		})
	}
}
