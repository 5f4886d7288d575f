package bedrock

import "testing"

// FuzzStreamParser: any sequence of events and payloads is parsed or
// refused with an error, never a panic, and a chunk always keeps its raw
// frame.
func FuzzStreamParser(f *testing.F) {
	for _, ev := range toolStream {
		f.Add(ev.typ, []byte(ev.payload))
	}
	f.Add(EventContentBlockDelta, []byte(`{"contentBlockIndex":-1,"delta":{"toolUse":{"input":"x"}}}`))
	f.Fuzz(func(t *testing.T, event string, payload []byte) {
		p := NewStreamParser()
		_, _ = p.Parse(EventContentBlockStart, []byte(`{"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"a","name":"b"}}}`))
		chunks, err := p.Parse(event, payload)
		if err == nil && (len(chunks) != 1 || string(chunks[0].GetRaw()) != string(payload)) {
			t.Fatalf("chunks %v", chunks)
		}
		_ = p.Exception(event, payload)
		_, _ = ParseResponse(payload)
		_ = ParseError(400, event, payload, event)
	})
}
