package gemini

import (
	"testing"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

// A typical turn of an agent: a system instruction, a short tool loop, one
// function declaration, sampling and thinking settings.
var benchBody = []byte(`{"contents":[` +
	`{"role":"user","parts":[{"text":"What is the weather like in Paris today, and should I bring an umbrella?"}]},` +
	`{"role":"model","parts":[{"functionCall":{"id":"get_weather_1","name":"get_weather","args":{"city":"Paris"}},"thoughtSignature":"CrICAdHtim827fQ"}]},` +
	`{"role":"user","parts":[{"functionResponse":{"id":"get_weather_1","name":"get_weather","response":{"output":"14C, rain likely"}}}]},` +
	`{"role":"user","parts":[{"text":"Thanks! And tomorrow?"}]}],` +
	`"systemInstruction":{"role":"user","parts":[{"text":"You are a helpful assistant. Answer briefly and cite sources when you can."}]},` +
	`"tools":[{"functionDeclarations":[{"name":"get_weather","description":"Current weather","parametersJsonSchema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}]}],` +
	`"generationConfig":{"temperature":0.2,"topP":0.95,"topK":64,"maxOutputTokens":256,"thinkingConfig":{"includeThoughts":true,"thinkingLevel":"HIGH"}}}`)

func BenchmarkDecodeRequest(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchBody)))
	for b.Loop() {
		if _, err := DecodeRequest("gemini-3-pro", benchBody, true); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRewriteForUpstream(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchBody)))
	for b.Loop() {
		if _, err := RewriteForUpstream(benchBody, "gemini-2.5-pro"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBuildRequest(b *testing.B) {
	r, err := DecodeRequest("gemini-3-pro", benchBody, true)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := BuildRequest(r, "gemini-3-pro"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStreamEncodeChunk(b *testing.B) {
	c := &inferencev1.ChatChunk{Id: "resp-123", Deltas: []*inferencev1.ChoiceDelta{{Text: "Hello, this is one streamed token group."}}}
	enc := NewStreamEncoder("gemini-3-pro")
	b.ReportAllocs()
	for b.Loop() {
		if len(enc.Encode(c)) != 1 {
			b.Fatal("no frame")
		}
	}
}

func BenchmarkStreamParse(b *testing.B) {
	data := []byte(`{"candidates":[{"content":{"parts":[{"text":"Hello, this is one streamed token group."}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":15,"totalTokenCount":15},"modelVersion":"gemini-2.5-flash","responseId":"702b6a6a8ee47d7c8a348dc9"}`)
	p := NewStreamParser()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Parse("", data); err != nil {
			b.Fatal(err)
		}
	}
}
