package fakeupstream

import (
	"net/http"
	"strings"
	"testing"
)

func TestAzureDeploymentsAPI(t *testing.T) {
	_, root := start(t)
	chat := root + "/openai/deployments/my-gpt/chat/completions"
	body := `{"messages":[{"role":"user","content":"hello"}]}`
	if resp := post(t, chat+"?api-version=2024-10-21", body); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no key: %d", resp.StatusCode)
	}
	if resp := post(t, chat, body, "Api-Key", "k"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("no api-version: %d", resp.StatusCode)
	}
	resp := post(t, chat+"?api-version=2024-10-21", body, "Api-Key", "k")
	out := decode[struct {
		Model   string `json:"model"`
		Choices []struct {
			Message struct{ Content string } `json:"message"`
		} `json:"choices"`
	}](t, resp.Body)
	if resp.StatusCode != http.StatusOK || out.Model != "my-gpt" || out.Choices[0].Message.Content != Reply {
		t.Fatalf("the deployment answers without a model in the body: %d %+v", resp.StatusCode, out)
	}
	// The deployment, not the body's model, picks the behaviour.
	failing := root + "/openai/deployments/" + ModelFail429 + "/chat/completions?api-version=2024-10-21"
	if resp := post(t, failing, `{"model":"fine","messages":[{"role":"user","content":"hi"}]}`, "Authorization", "Bearer entra-token"); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("fail-429 deployment: %d", resp.StatusCode)
	}
}

func TestAzureStreamStartsWithPromptFilterResults(t *testing.T) {
	_, root := start(t)
	resp := post(t, root+"/openai/v1/chat/completions", `{"model":"dep","stream":true,"messages":[{"role":"user","content":"hello"}]}`, "Api-Key", "k")
	_, data := sseEvents(t, resp)
	if resp.StatusCode != http.StatusOK || len(data) < 3 || data[0] != AzurePromptFilterChunk || data[len(data)-1] != "[DONE]" ||
		!strings.Contains(data[1], `"model":"dep"`) {
		t.Fatalf("%d %v", resp.StatusCode, data)
	}
}
