package bedrock

import (
	"encoding/json"
	"errors"
	"github.com/tollgate/tollgate/services/kit/wire/internal/wiretest"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/services/kit/errs"
)

// TestFixtureRequestsBuild: every captured client request translates to a
// Converse body that keeps Converse's rules (alternating turns starting
// with the user, no blank text, every tool call answered in the next turn,
// tools defined whenever tool blocks appear), for a Claude model and for
// another one.
func TestFixtureRequestsBuild(t *testing.T) {
	reqs := wiretest.ClientRequests(t)
	if len(reqs) < 20 {
		t.Fatalf("only %d client requests", len(reqs))
	}
	for name, r := range reqs {
		t.Run(name, func(t *testing.T) {
			for _, model := range []string{"us.anthropic.claude-sonnet-4-20250514-v1:0", "amazon.nova-pro-v1:0"} {
				b, err := BuildRequest(r, model)
				if err != nil {
					var e *errs.Error
					if !errors.As(err, &e) || e.Kind != errs.KindInvalidArgument || e.Param == "" {
						t.Fatalf("%s: %v is not an invalid-argument error naming the field", model, err)
					}
					t.Logf("%s: refused: %v", model, err)
					continue
				}
				checkConverseRules(t, b)
			}
		})
	}
}

func checkConverseRules(t *testing.T, body []byte) {
	t.Helper()
	var w ConverseRequest
	if err := json.Unmarshal(body, &w); err != nil {
		t.Fatalf("the body does not read back: %v", err)
	}
	if len(w.Messages) == 0 || w.Messages[0].Role != "user" {
		t.Fatalf("the conversation must start with a user turn: %s", body)
	}
	toolBlocks := false
	for i, m := range w.Messages {
		if i > 0 && m.Role == w.Messages[i-1].Role {
			t.Fatalf("turns %d and %d are both %s", i-1, i, m.Role)
		}
		if len(m.Content) == 0 {
			t.Fatalf("turn %d is empty", i)
		}
		var calls []string
		for _, b := range m.Content {
			if b.Text != nil && strings.TrimSpace(*b.Text) == "" {
				t.Fatalf("turn %d has a blank text block", i)
			}
			if b.ToolUse != nil {
				calls = append(calls, b.ToolUse.ToolUseID)
				if !json.Valid(b.ToolUse.Input) || b.ToolUse.Input[0] != '{' {
					t.Fatalf("turn %d: tool input %s is not an object", i, b.ToolUse.Input)
				}
			}
			toolBlocks = toolBlocks || b.ToolUse != nil || b.ToolResult != nil
		}
		if len(calls) > 0 && i+1 < len(w.Messages) {
			answered := map[string]bool{}
			for _, b := range w.Messages[i+1].Content {
				if b.ToolResult != nil {
					answered[b.ToolResult.ToolUseID] = true
				}
			}
			for _, id := range calls {
				if !answered[id] {
					t.Fatalf("turn %d: call %s is not answered in the next turn", i, id)
				}
			}
		}
	}
	if toolBlocks && (w.ToolConfig == nil || len(w.ToolConfig.Tools) == 0) {
		t.Fatal("tool blocks without tool definitions")
	}
}
