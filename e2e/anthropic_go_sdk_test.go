package e2e

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/tollgate/tollgate/e2e/harness"
)

// testAnthropicGoSDK drives the official Go SDK (anthropic-sdk-go) through
// the gateway: unary and streamed messages to an Anthropic upstream
// (passthrough) and to an OpenAI-compatible one (translated), count_tokens,
// and a typed 401.
func (s *suite) testAnthropicGoSDK(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	client := func(key string) anthropic.Client {
		return anthropic.NewClient(option.WithBaseURL(s.baseURL()+"/anthropic"), option.WithAPIKey(key), option.WithMaxRetries(0))
	}
	c := client(harness.AliceToken)
	for _, model := range []string{harness.EndpointViaAnthropic, harness.EndpointViaChat} {
		t.Run(model, func(t *testing.T) {
			params := anthropic.MessageNewParams{
				Model: model, MaxTokens: 256,
				Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Say hello"))},
			}
			msg, err := c.Messages.New(ctx, params)
			if err != nil {
				t.Fatalf("messages.new: %v", err)
			}
			if len(msg.Content) == 0 || msg.Content[0].Text == "" || msg.Usage.OutputTokens <= 0 || msg.StopReason == "" {
				t.Fatalf("message %+v", msg)
			}
			stream := c.Messages.NewStreaming(ctx, params)
			var acc anthropic.Message
			events := 0
			for stream.Next() {
				events++
				if err := acc.Accumulate(stream.Current()); err != nil {
					t.Fatalf("accumulate: %v", err)
				}
			}
			if err := stream.Err(); err != nil {
				t.Fatalf("stream: %v", err)
			}
			if events < 3 || len(acc.Content) == 0 || strings.TrimSpace(acc.Content[0].Text) == "" || acc.StopReason == "" {
				t.Fatalf("streamed message from %d events: %+v", events, acc)
			}
			if acc.Content[0].Text != msg.Content[0].Text {
				t.Fatalf("streamed text %q differs from unary %q", acc.Content[0].Text, msg.Content[0].Text)
			}
		})
	}
	count, err := c.Messages.CountTokens(ctx, anthropic.MessageCountTokensParams{
		Model:    harness.EndpointViaAnthropic,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("How many tokens is this?"))},
	})
	if err != nil || count.InputTokens <= 0 {
		t.Fatalf("count_tokens: %v %+v", err, count)
	}
	bad := client("not-a-token")
	_, err = bad.Messages.New(ctx, anthropic.MessageNewParams{
		Model: harness.EndpointViaAnthropic, MaxTokens: 16,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hi"))},
	})
	var apiErr *anthropic.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 {
		t.Fatalf("bad key: want a typed 401, got %v", err)
	}
}
