package router

import "testing"

func TestClientKind(t *testing.T) {
	for ua, want := range map[string]string{
		"":                                  "unknown",
		"claude-cli/1.0.83 (external, cli)": "claude-code",
		"Claude-CLI/2":                      "claude-code",
		"codex_cli_rs/0.20.0":               "codex",
		"GeminiCLI/0.1.5 (linux; x64)":      "gemini-cli",
		"gemini-cli/1":                      "gemini-cli",
		"Cursor/1.4":                        "cursor",
		"opencode/0.3":                      "opencode",
		"QWEN-CODE/1":                       "qwen-code",
		"OpenAI/Go 1.12.0":                  "openai-go-sdk",
		"OpenAI/Python 1.99.1":              "openai-sdk",
		"Anthropic/Python 0.64.0":           "anthropic-sdk",
		"google-genai-sdk/1.30.0 gl-python": "genai-sdk",
		"grpc-go/1.75.0":                    "grpc",
		"Go-http-client/1.1":                "other",
		"curl/8.5.0":                        "other",
		"CÜRSOR-ish/1":                      "other",
		"mein Cursor ☃":                     "cursor",
		"\u212aodex":                        "other", // a Kelvin sign lowers to k, not c
		"OPENAI/\u212a":                     "openai-sdk",
		"curs":                              "other",
	} {
		if got := clientKind(ua); got != want {
			t.Errorf("clientKind(%q) = %q, want %q", ua, got, want)
		}
	}
}

func BenchmarkClientKind(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if clientKind("OpenAI/Python 1.99.1") != "openai-sdk" {
			b.Fatal("wrong kind")
		}
	}
}
