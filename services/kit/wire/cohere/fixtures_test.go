package cohere

import (
	"encoding/json"
	"errors"
	"github.com/tollgate/tollgate/services/kit/wire/internal/wiretest"
	"testing"

	"github.com/tollgate/tollgate/services/kit/errs"
)

// TestFixtureRequestsBuild: every captured client request translates to a
// chat v2 body that keeps Cohere's rules: every tool call of an assistant
// message is answered by tool messages before the next user or assistant
// message, tool messages answer calls that were made, and every message
// has content or tool calls.
func TestFixtureRequestsBuild(t *testing.T) {
	reqs := wiretest.ClientRequests(t)
	if len(reqs) < 20 {
		t.Fatalf("only %d client requests", len(reqs))
	}
	for name, r := range reqs {
		t.Run(name, func(t *testing.T) {
			b, err := BuildRequest(r, "command-a-03-2025")
			if err != nil {
				var e *errs.Error
				if !errors.As(err, &e) || e.Kind != errs.KindInvalidArgument || e.Param == "" {
					t.Fatalf("%v is not an invalid-argument error naming the field", err)
				}
				t.Logf("refused: %v", err)
				return
			}
			var w ChatRequest
			if err := json.Unmarshal(b, &w); err != nil {
				t.Fatalf("the body does not read back: %v", err)
			}
			if w.Model != "command-a-03-2025" || w.Stream != r.GetStream() || len(w.Messages) == 0 {
				t.Fatalf("model %q stream %v, %d messages", w.Model, w.Stream, len(w.Messages))
			}
			open := map[string]bool{}
			for i, m := range w.Messages {
				switch m.Role {
				case "tool":
					if !open[m.ToolCallID] {
						t.Fatalf("message %d answers %q, which no assistant message called", i, m.ToolCallID)
					}
					delete(open, m.ToolCallID)
				case "assistant":
					if len(m.Content) == 0 && len(m.ToolCalls) == 0 {
						t.Fatalf("message %d is empty", i)
					}
					for _, tc := range m.ToolCalls {
						open[tc.ID] = true
						if !json.Valid([]byte(tc.Function.Arguments)) {
							t.Fatalf("message %d: arguments %q are not JSON", i, tc.Function.Arguments)
						}
					}
				case "user", "system":
					if len(open) > 0 {
						t.Fatalf("message %d (%s) comes before the calls %v are answered", i, m.Role, open)
					}
				default:
					t.Fatalf("message %d has role %q", i, m.Role)
				}
			}
		})
	}
}
