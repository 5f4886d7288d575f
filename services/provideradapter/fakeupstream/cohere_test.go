package fakeupstream

import (
	"bufio"
	"net/http"
	"strings"
	"testing"
)

func coherePost(t *testing.T, url, body string) *http.Response {
	t.Helper()
	return post(t, url, body, "Authorization", "Bearer co-key")
}

func TestCohereChat(t *testing.T) {
	_, root := start(t)
	resp := coherePost(t, root+"/v2/chat", `{"model":"command-a","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hello"}]}`)
	out := decode[struct {
		ID           string `json:"id"`
		FinishReason string `json:"finish_reason"`
		Message      struct {
			Content []struct{ Type, Text string } `json:"content"`
		} `json:"message"`
		Usage struct {
			BilledUnits struct {
				InputTokens float64 `json:"input_tokens"`
			} `json:"billed_units"`
			Tokens struct {
				InputTokens float64 `json:"input_tokens"`
			} `json:"tokens"`
		} `json:"usage"`
	}](t, resp.Body)
	if resp.StatusCode != http.StatusOK || out.FinishReason != "COMPLETE" || out.Message.Content[0].Text != Reply ||
		out.Usage.Tokens.InputTokens != out.Usage.BilledUnits.InputTokens+CohereTemplateTokens {
		t.Fatalf("%d %+v", resp.StatusCode, out)
	}
}

// sseEvents reads the event names and data lines of a stream.
func sseEvents(t *testing.T, resp *http.Response) (names, data []string) {
	t.Helper()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
			names = append(names, v)
		}
		if v, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			data = append(data, v)
		}
	}
	return names, data
}

func TestCohereStream(t *testing.T) {
	_, root := start(t)
	body := `{"model":"command-a","stream":true,"messages":[{"role":"user","content":[{"type":"text","text":"weather?"}]}],` +
		`"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}]}`
	names, data := sseEvents(t, coherePost(t, root+"/v2/chat", body))
	got := strings.Join(names, ",")
	if !strings.HasPrefix(got, "message-start,tool-plan-delta,") || !strings.HasSuffix(got, "tool-call-start,tool-call-delta,tool-call-delta,tool-call-end,message-end") {
		t.Fatalf("events %s", got)
	}
	for i, d := range data {
		if !strings.HasPrefix(d, `{"type":"`+names[i]+`"`) {
			t.Fatalf("data %s does not name its event %s", d, names[i])
		}
	}
	if last := data[len(data)-1]; !strings.Contains(last, `"finish_reason":"TOOL_CALL"`) || !strings.Contains(last, `"billed_units"`) {
		t.Fatalf("message-end %s", last)
	}

	names, data = sseEvents(t, coherePost(t, root+"/v2/chat", `{"model":"`+ModelGeminiStreamBreak+`","stream":true,"messages":[{"role":"user","content":"hi"}]}`))
	if names[len(names)-1] != "message-end" || !strings.Contains(data[len(data)-1], `"finish_reason":"ERROR"`) {
		t.Fatalf("a broken stream ends in ERROR: %v", names)
	}
}

func TestCohereChecksRequests(t *testing.T) {
	_, root := start(t)
	if resp := post(t, root+"/v2/chat", `{"model":"m","messages":[{"role":"user","content":"hi"}]}`); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no key: %d", resp.StatusCode)
	}
	for _, body := range []string{
		`{"messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"m","messages":[]}`,
		`{"model":"m","messages":[{"role":"developer","content":"hi"}]}`,
		`{"model":"m","messages":[{"role":"user","content":"hi"},{"role":"tool","tool_call_id":"nope","content":"x"}]}`,
		`{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"{"}}]}]}`,
	} {
		if resp := coherePost(t, root+"/v2/chat", body); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d", body, resp.StatusCode)
		}
	}
	if resp := coherePost(t, root+"/v2/chat", `{"model":"`+ModelFail429+`","messages":[{"role":"user","content":"hi"}]}`); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("fail-429: %d", resp.StatusCode)
	}
}
