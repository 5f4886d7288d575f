package e2e

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/shared"

	"github.com/tollgate/tollgate/e2e/harness"
)

// The official OpenAI Go SDK through the gateway to the Azure OpenAI,
// Amazon Bedrock and Cohere providers, each calling the fake upstream in
// its own wire format (the deployments API with an api-key; Converse and
// ConverseStream, SigV4-signed and verified by the fake, answered in AWS
// event-stream frames; chat v2 with server-sent events).

// Endpoints of providersConfig.
const (
	endpointViaAzure         = "via-azure"
	endpointViaBedrock       = "via-bedrock"
	endpointViaCohere        = "via-cohere"
	endpointBedrockThrottled = "via-bedrock-throttled"
	endpointCohereDown       = "via-cohere-unavailable"
)

// The AWS credentials the gateway signs with: the ones the fake upstream
// verifies in full (fakeupstream.BedrockAccessKeyID and its secret).
const (
	awsKeyIDEnv  = "TOLLGATE_E2E_AWS_ACCESS_KEY_ID"
	awsSecretEnv = "TOLLGATE_E2E_AWS_SECRET_ACCESS_KEY"
	awsKeyID     = "AKIAFAKEUPSTREAM0001"
	awsSecret    = "fake/upstream+secret/access/key/0001"
)

// providersConfig is TestConfig plus one endpoint per provider, and two
// whose upstream fails (the fake's fail-429 and overloaded models).
func providersConfig(upstreamURL string) string {
	root := strings.TrimSuffix(upstreamURL, "/v1")
	var b strings.Builder
	entity := func(endpoint, yaml string) {
		fmt.Fprintf(&b, "  - name: %s\n    task: chat\n    served_entities:\n      - name: up\n%s    permissions:\n      - {group: users, level: CAN_QUERY}\n", endpoint, yaml)
	}
	key := fmt.Sprintf("        api_key: {env: %s}\n", harness.UpstreamKeyEnv)
	bedrock := func(model string) string {
		return fmt.Sprintf("        provider: bedrock\n        model: %q\n        base_url: %q\n        bedrock:\n          region: us-east-1\n"+
			"          access_key_id: {env: %s}\n          secret_access_key: {env: %s}\n", model, root, awsKeyIDEnv, awsSecretEnv)
	}
	cohere := func(model string) string {
		return fmt.Sprintf("        provider: cohere\n        model: %s\n        base_url: %q\n", model, root) + key
	}
	entity(endpointViaAzure, fmt.Sprintf("        provider: azure_openai\n        model: gpt-4o\n        base_url: %q\n        azure: {deployment: gpt-fake}\n", root)+key)
	entity(endpointViaBedrock, bedrock("anthropic.claude-fake-v1:0"))
	entity(endpointViaCohere, cohere("command-fake"))
	entity(endpointBedrockThrottled, bedrock("fail-429"))
	entity(endpointCohereDown, cohere("overloaded"))
	return strings.Replace(harness.TestConfig(harness.ConfigOptions{UpstreamURL: upstreamURL}), "principals:\n", b.String()+"principals:\n", 1)
}

func TestCloudProviders(t *testing.T) {
	for _, topo := range harness.Topologies {
		t.Run(string(topo), func(t *testing.T) {
			stack, err := harness.StartStack(harness.StackOptions{Bin: binDir, Dir: t.TempDir(), Topology: topo,
				Config: providersConfig, Env: []string{awsKeyIDEnv + "=" + awsKeyID, awsSecretEnv + "=" + awsSecret}})
			if err != nil {
				t.Fatalf("start %s: %v", topo, err)
			}
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("process logs (%s):\n%s", topo, stack.LogTails(60))
				}
			})
			t.Cleanup(func() {
				if err := stack.Stop(); err != nil {
					t.Errorf("graceful shutdown of %s: %v", topo, err)
				}
			})
			s := &suite{topo: topo, stack: stack, http: &http.Client{Timeout: 60 * time.Second}}
			for _, endpoint := range []string{endpointViaAzure, endpointViaBedrock, endpointViaCohere} {
				t.Run(endpoint, func(t *testing.T) { s.testCloudProvider(t, endpoint) })
			}
			t.Run("Errors", s.testCloudProviderErrors)
		})
	}
}

var readFileTool = openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
	Name:        "read_file",
	Description: openai.String("Read a file"),
	Parameters: shared.FunctionParameters{
		"type":       "object",
		"properties": map[string]any{"file_path": map[string]any{"type": "string"}},
		"required":   []string{"file_path"},
	},
})

// testCloudProvider runs a unary turn, a streamed one with usage, and a
// streamed tool round trip whose final answer quotes the tool's result
// (which the fake does only when the call's id came back intact).
func (s *suite) testCloudProvider(t *testing.T, endpoint string) {
	client := s.client(harness.AliceToken)
	ctx := testCtx(t)
	c, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model:    endpoint,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("Be brief."), openai.UserMessage("Say hello")},
	})
	if err != nil {
		t.Fatalf("chat completion: %v", err)
	}
	if len(c.Choices) == 0 || c.Choices[0].Message.Content != fakeReply || c.Choices[0].FinishReason != "stop" {
		t.Fatalf("answer %s", c.RawJSON())
	}
	if u := c.Usage; u.PromptTokens <= 0 || u.CompletionTokens <= 0 || u.TotalTokens != u.PromptTokens+u.CompletionTokens {
		t.Errorf("usage %+v", u)
	}

	stream := client.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
		Model:         endpoint,
		Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Say hello")},
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	})
	var acc openai.ChatCompletionAccumulator
	chunks := 0
	for stream.Next() {
		chunks++
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	if chunks < 3 || len(acc.Choices) == 0 || acc.Choices[0].Message.Content != fakeReply || acc.Choices[0].FinishReason != "stop" ||
		acc.Usage.PromptTokens <= 0 || acc.Usage.CompletionTokens <= 0 {
		t.Fatalf("streamed %d chunks: %+v usage %+v", chunks, acc.Choices, acc.Usage)
	}

	params := openai.ChatCompletionNewParams{
		Model:    endpoint,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Please read the file notes.txt")},
		Tools:    []openai.ChatCompletionToolUnionParam{readFileTool},
	}
	stream = client.Chat.Completions.NewStreaming(ctx, params)
	acc = openai.ChatCompletionAccumulator{}
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("tool turn: %v", err)
	}
	if len(acc.Choices) == 0 || len(acc.Choices[0].Message.ToolCalls) != 1 || acc.Choices[0].FinishReason != "tool_calls" {
		t.Fatalf("tool turn: %+v", acc.Choices)
	}
	call := acc.Choices[0].Message.ToolCalls[0]
	if call.ID == "" || call.Function.Name != "read_file" || !strings.Contains(call.Function.Arguments, "notes.txt") {
		t.Fatalf("tool call %+v", call)
	}
	params.Messages = append(params.Messages, acc.Choices[0].Message.ToParam(), openai.ToolMessage("the notes", call.ID))
	final, err := client.Chat.Completions.New(ctx, params)
	if err != nil {
		t.Fatalf("tool result turn: %v", err)
	}
	if got := final.Choices[0].Message.Content; got != harness.ReadResultPrefix+"the notes" {
		t.Fatalf("final answer %q, want the tool result quoted (the call id must survive the round trip)", got)
	}
}

// testCloudProviderErrors: a throttled Bedrock model is a 429 and an
// overloaded Cohere a 503, each in OpenAI's error shape.
func (s *suite) testCloudProviderErrors(t *testing.T) {
	client := s.client(harness.AliceToken)
	for endpoint, status := range map[string]int{endpointBedrockThrottled: http.StatusTooManyRequests, endpointCohereDown: http.StatusServiceUnavailable} {
		_, err := client.Chat.Completions.New(testCtx(t), openai.ChatCompletionNewParams{
			Model:    endpoint,
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
		})
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != status || apiErr.Message == "" {
			t.Errorf("%s: want a typed %d, got %v", endpoint, status, err)
		}
	}
}
