package router

import (
	"strings"
	"testing"
)

// Hostile or malformed bodies must get a 4xx in OpenAI's error shape, never a
// 5xx or a crash, and the gateway must keep serving afterwards.
func TestHostileInputGets4xx(t *testing.T) {
	f := newFixture(t, "")
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	bodies := map[string]string{
		"empty":                    ``,
		"not json":                 `hello`,
		"array body":               `[1,2,3]`,
		"truncated":                `{"model":"chat","messages":[{"role":"user","content":"hi"}`,
		"messages is a string":     `{"model":"chat","messages":"x"}`,
		"temperature is a string":  `{"model":"chat","messages":[{"role":"user","content":"hi"}],"temperature":"hot"}`,
		"missing model":            `{"messages":[{"role":"user","content":"hi"}]}`,
		"model is a number":        `{"model":7,"messages":[{"role":"user","content":"hi"}]}`,
		"empty messages":           `{"model":"chat","messages":[]}`,
		"bad role":                 `{"model":"chat","messages":[{"role":"wizard","content":"hi"}]}`,
		"deep nesting":             `{"model":"chat","messages":` + deep + `}`,
		"deep nesting in content":  `{"model":"chat","messages":[{"role":"user","content":` + deep + `}]}`,
		"invalid utf8":             "{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"\xff\xfe\"}]}",
		"usage_context not object": `{"model":"chat","messages":[{"role":"user","content":"hi"}],"usage_context":3}`,
		"duplicate nul bytes":      "{\"model\":\"chat\x00\",\"messages\":[]}",
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			resp, got := post(t, f.url+"/v1/chat/completions", aliceToken, body)
			if resp.StatusCode < 400 || resp.StatusCode >= 500 {
				t.Fatalf("status %d for %s: %s", resp.StatusCode, name, got)
			}
			wantError(t, resp, got, resp.StatusCode)
		})
	}
	for name, body := range map[string]string{
		"embeddings not json":     `nope`,
		"embeddings token arrays": `{"model":"vectors","input":[[1,2,3]]}`,
		"embeddings no input":     `{"model":"vectors"}`,
	} {
		t.Run(name, func(t *testing.T) {
			resp, got := post(t, f.url+"/v1/embeddings", aliceToken, body)
			if resp.StatusCode != 400 {
				t.Fatalf("status %d: %s", resp.StatusCode, got)
			}
			wantError(t, resp, got, 400)
		})
	}
	if resp, body := post(t, f.url+"/v1/chat/completions", aliceToken, chat("chat", "")); resp.StatusCode != 200 {
		t.Fatalf("gateway stopped serving after hostile input: %d %s", resp.StatusCode, body)
	}
}
