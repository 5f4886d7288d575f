package gemini

import "testing"

func TestGenerateURL(t *testing.T) {
	tests := []struct {
		base, model string
		stream      bool
		want        string
	}{
		{DefaultBaseURL, "gemini-2.5-flash", false, "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent"},
		{DefaultBaseURL + "/", "models/gemini-2.5-flash", true, "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"},
		{"https://generativelanguage.googleapis.com/v1", "gemini-2.5-pro", false, "https://generativelanguage.googleapis.com/v1/models/gemini-2.5-pro:generateContent"},
		{"http://127.0.0.1:9000/gemini/v1alpha", "m", false, "http://127.0.0.1:9000/gemini/v1alpha/models/m:generateContent"},
		{"http://127.0.0.1:9000/gemini", "m", false, "http://127.0.0.1:9000/gemini/v1beta/models/m:generateContent"},
		{VertexBaseURL("my-proj", "us-central1"), "gemini-2.5-flash", true,
			"https://us-central1-aiplatform.googleapis.com/v1/projects/my-proj/locations/us-central1/publishers/google/models/gemini-2.5-flash:streamGenerateContent?alt=sse"},
		{VertexBaseURL("p", "global") + "/publishers/google", "gemini-3-pro", false,
			"https://aiplatform.googleapis.com/v1/projects/p/locations/global/publishers/google/models/gemini-3-pro:generateContent"},
		{"https://vertex.example/v1beta1/projects/p/locations/l", "g", false, "https://vertex.example/v1beta1/projects/p/locations/l/publishers/google/models/g:generateContent"},
	}
	for _, tt := range tests {
		if got := GenerateURL(tt.base, tt.model, tt.stream); got != tt.want {
			t.Errorf("GenerateURL(%q, %q, %v)\n got %s\nwant %s", tt.base, tt.model, tt.stream, got, tt.want)
		}
	}
	if got := MethodURL(DefaultBaseURL, "gemini-embedding-001", MethodBatchEmbedContents); got !=
		"https://generativelanguage.googleapis.com/v1beta/models/gemini-embedding-001:batchEmbedContents" {
		t.Errorf("MethodURL = %s", got)
	}
}

func TestParseModelPath(t *testing.T) {
	tests := []struct {
		path, model, method string
		ok                  bool
	}{
		{"/v1beta/models/gemini-2.5-flash:generateContent", "gemini-2.5-flash", "generateContent", true},
		{"/gemini/v1beta/models/gemini-3.8-flash:streamGenerateContent", "gemini-3.8-flash", "streamGenerateContent", true},
		{"/v1/projects/p/locations/l/publishers/google/models/gemini-2.5-pro:countTokens", "gemini-2.5-pro", "countTokens", true},
		{"/v1beta/models/my%20model:embedContent", "my model", "embedContent", true},
		{"/v1beta/models", "", "", false},
		{"/v1beta/models/gemini-2.5-flash", "", "", false},
		{"/v1beta/models/:generateContent", "", "", false},
		{"/v1beta/models/a:", "", "", false},
		{"/v1beta/tunedmodels/a:generateContent", "", "", false},
	}
	for _, tt := range tests {
		model, method, ok := ParseModelPath(tt.path)
		if model != tt.model || method != tt.method || ok != tt.ok {
			t.Errorf("ParseModelPath(%q) = %q, %q, %v", tt.path, model, method, ok)
		}
	}
}
