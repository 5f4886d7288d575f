package provideradapter

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	provideradapterv1 "github.com/tollgate/tollgate/gen/go/tollgate/provideradapter/v1"
	"github.com/tollgate/tollgate/services/kit/config"
	"github.com/tollgate/tollgate/services/kit/wire/anthropic"
	"github.com/tollgate/tollgate/services/provideradapter/fakeupstream"
)

func TestAzureURLs(t *testing.T) {
	tests := []struct {
		name, base  string
		azure       *config.AzureOptions
		api         string
		chat, embed string
		responses   string
	}{
		{"default version, deployment from model", "https://res.openai.azure.com/", nil, "",
			"https://res.openai.azure.com/openai/deployments/gpt-4o/chat/completions?api-version=" + config.AzureAPIVersion,
			"https://res.openai.azure.com/openai/deployments/gpt-4o/embeddings?api-version=" + config.AzureAPIVersion, ""},
		{"named deployment and version, base given with /openai", "https://res.openai.azure.com/openai",
			&config.AzureOptions{Deployment: "prod-4o", APIVersion: "2025-04-01-preview"}, "responses",
			"https://res.openai.azure.com/openai/deployments/prod-4o/chat/completions?api-version=2025-04-01-preview",
			"https://res.openai.azure.com/openai/deployments/prod-4o/embeddings?api-version=2025-04-01-preview",
			"https://res.openai.azure.com/openai/responses?api-version=2025-04-01-preview"},
		{"v1 API", "https://res.cognitiveservices.azure.com/openai/v1", &config.AzureOptions{APIVersion: "v1"}, "responses",
			"https://res.cognitiveservices.azure.com/openai/v1/chat/completions",
			"https://res.cognitiveservices.azure.com/openai/v1/embeddings",
			"https://res.cognitiveservices.azure.com/openai/v1/responses"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			se := &config.ServedEntity{Provider: config.ProviderAzureOpenAI, Model: "gpt-4o", BaseURL: tt.base, Azure: tt.azure, API: tt.api}
			p := newAzureOpenAIProvider(se, http.DefaultClient, newSecrets())
			var o *openAIProvider
			switch x := p.(type) {
			case *openAIProvider:
				o = x
			case *responsesProvider:
				o = x.openAIProvider
				if x.responsesURL != tt.responses {
					t.Errorf("responses URL %q, want %q", x.responsesURL, tt.responses)
				}
			}
			if o.chatURL != tt.chat || o.embeddingsURL != tt.embed || o.keyHeader != "Api-Key" || !o.build.MaxCompletionTokens {
				t.Errorf("chat %q embed %q key header %q", o.chatURL, o.embeddingsURL, o.keyHeader)
			}
		})
	}
	old := newAzureOpenAIProvider(&config.ServedEntity{Model: "m", BaseURL: "https://r", Azure: &config.AzureOptions{APIVersion: "2024-02-01", Auth: config.AzureAuthEntra}},
		http.DefaultClient, newSecrets()).(*openAIProvider)
	if old.build.MaxCompletionTokens || old.keyHeader != "" {
		t.Errorf("api-version 2024-02-01 predates max_completion_tokens; entra sends a bearer token: %+v", old)
	}
}

func TestAzurePassthroughWithAPIKey(t *testing.T) {
	fake, srv, _ := startCloud(t, cloudProviders[0], "gpt-4o-deployment")
	body := `{"model":"chat","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hello"}],"logit_bias":{"50256":-100}}`
	chunks, err := cloudStream(t, srv, decodeChat(t, body))
	if err != nil {
		t.Fatal(err)
	}
	sent := fake.Requests()[0]
	if sent.Path != "/openai/deployments/gpt-4o-deployment/chat/completions" || sent.Header.Get("Api-Key") != testKey || sent.Header.Get("Authorization") != "" {
		t.Fatalf("upstream got %s with %v", sent.Path, sent.Header)
	}
	if want := strings.Replace(body, `"model":"chat"`, `"model":"gpt-4o-deployment"`, 1); string(sent.Body) != want {
		t.Fatalf("an OpenAI client's body must reach Azure as sent, model aside:\n got %s\nwant %s", sent.Body, want)
	}
	// Every frame goes back raw, Azure's prompt filter chunk first.
	if string(chunks[0].GetRaw()) != fakeupstream.AzurePromptFilterChunk || chunks[0].GetRawDialect() != inferencev1.Dialect_DIALECT_OPENAI_CHAT {
		t.Fatalf("first chunk %v", chunks[0])
	}
	if a := assemble(chunks); a.text != fakeupstream.Reply || a.usage.GetTotalTokens() == 0 || a.raw != len(chunks) {
		t.Fatalf("%+v of %d chunks", a, len(chunks))
	}
}

func TestAzureEntraV1AndTranslatedClients(t *testing.T) {
	fake, base := startFakeUpstream(t)
	root := strings.TrimSuffix(base, "/v1")
	entity := fmt.Sprintf("provider: azure_openai\n        model: gpt-4o\n        base_url: %s\n        api_key: %s\n        azure: {deployment: dep-1, api_version: v1, auth: entra}", root, envKey(t))
	srv, _ := newTestServer(t, cloudConfig(entity))
	req, err := anthropic.DecodeRequest([]byte(`{"model":"chat","max_tokens":50,"system":"be brief","messages":[{"role":"user","content":"hello"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := cloudChat(srv, req)
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.GetResponse().GetChoices()[0].GetMessage().GetContent()[0].GetText(); got != fakeupstream.Reply || resp.GetResponse().GetRaw() != nil {
		t.Fatalf("answer %v", resp.GetResponse())
	}
	sent := fake.Requests()[0]
	if sent.Path != "/openai/v1/chat/completions" || sent.Header.Get("Authorization") != "Bearer "+testKey || sent.Header.Get("Api-Key") != "" {
		t.Fatalf("upstream got %s with %v", sent.Path, sent.Header)
	}
	if b := string(sent.Body); !strings.Contains(b, `"model":"dep-1"`) || !strings.Contains(b, `"max_completion_tokens":50`) || !strings.Contains(b, `"role":"system"`) {
		t.Fatalf("translated body %s", b)
	}
}

func TestAzureResponsesAndEmbeddings(t *testing.T) {
	fake, base := startFakeUpstream(t)
	root := strings.TrimSuffix(base, "/v1")
	srv, _ := newTestServer(t, fmt.Sprintf(`
endpoints:
  - name: chat
    task: chat
    served_entities:
      - name: up
        provider: azure_openai
        api: responses
        model: gpt-4o
        base_url: %[1]s
        api_key: %[2]s
        azure: {api_version: v1}
  - name: embed
    task: embeddings
    served_entities:
      - name: up
        provider: azure_openai
        model: fake-embedding
        base_url: %[1]s
        api_key: %[2]s
`, root, envKey(t)))
	chunks, err := cloudStream(t, srv, decodeChat(t, `{"model":"chat","stream":true,"messages":[{"role":"user","content":"hello"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if a := assemble(chunks); a.text != fakeupstream.Reply || fake.Requests()[0].Path != "/openai/v1/responses" {
		t.Fatalf("%+v via %s", a, fake.Requests()[0].Path)
	}
	emb, err := srv.Embed(t.Context(), &provideradapterv1.EmbedRequest{Target: target("embed", "up"),
		Request: &inferencev1.EmbeddingsRequest{Inputs: []string{"hello", "world"}}})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(emb.GetResponse().GetEmbeddings()); n != 2 || fake.Requests()[1].Path != "/openai/deployments/fake-embedding/embeddings" {
		t.Fatalf("%d vectors via %s", n, fake.Requests()[1].Path)
	}
}
