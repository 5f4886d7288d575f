package cohere

import "testing"

// FuzzStreamParser: any sequence of events is parsed or refused with an
// error, never a panic, and a chunk always keeps its raw frame.
func FuzzStreamParser(f *testing.F) {
	for _, ev := range append(append([]event{}, toolStream...), textStream...) {
		f.Add(ev.name, []byte(ev.data))
	}
	f.Fuzz(func(t *testing.T, event string, data []byte) {
		p := NewStreamParser()
		_, _ = p.Parse("tool-call-start", []byte(`{"type":"tool-call-start","index":0,"delta":{"message":{"tool_calls":{"id":"a","function":{"name":"f"}}}}}`))
		chunks, err := p.Parse(event, data)
		if err == nil && (len(chunks) != 1 || string(chunks[0].GetRaw()) != string(data)) {
			t.Fatalf("chunks %v", chunks)
		}
		_, _ = ParseResponse(data)
		_ = ParseError(500, data, event)
	})
}
