package provideradapter

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestSSEReader(t *testing.T) {
	stream := ": keep-alive\r\n" +
		"data: {\"a\":1}\r\n\r\n" +
		"event: delta\n" +
		"data: line1\n" +
		"data:line2\n" +
		"id: 7\n\n" +
		"\n\n" +
		"data: " + strings.Repeat("x", 100000) + "\n\n" +
		"data: [DONE]\n\n" +
		"data: tail-without-blank-line"
	want := []sseEvent{
		{data: []byte(`{"a":1}`)},
		{name: "delta", data: []byte("line1\nline2")},
		{data: []byte(strings.Repeat("x", 100000))},
		{data: []byte("[DONE]")},
		{data: []byte("tail-without-blank-line")},
	}
	// One byte per read: events must not depend on how the network splits them.
	for name, r := range map[string]io.Reader{
		"whole":    strings.NewReader(stream),
		"one byte": iotest.OneByteReader(strings.NewReader(stream)),
		"halves":   iotest.HalfReader(strings.NewReader(stream)),
	} {
		t.Run(name, func(t *testing.T) {
			sr := newSSEReader(r)
			for i, w := range want {
				ev, err := sr.next()
				if err != nil {
					t.Fatalf("event %d: %v", i, err)
				}
				if ev.name != w.name || string(ev.data) != string(w.data) {
					t.Fatalf("event %d = %q %.40q, want %q %.40q", i, ev.name, ev.data, w.name, w.data)
				}
			}
			if _, err := sr.next(); !errors.Is(err, io.EOF) {
				t.Fatalf("after the last event: %v, want EOF", err)
			}
		})
	}
}

func TestSSEReaderEventsAreIndependentCopies(t *testing.T) {
	sr := newSSEReader(strings.NewReader("data: first\n\ndata: second\n\n"))
	a, _ := sr.next()
	b, _ := sr.next()
	if string(a.data) != "first" || string(b.data) != "second" {
		t.Fatalf("got %q and %q: an event's data was overwritten by the next", a.data, b.data)
	}
}

func TestSSEReaderBoundsLines(t *testing.T) {
	sr := newSSEReader(io.MultiReader(strings.NewReader("data: "), strings.NewReader(strings.Repeat("y", maxSSELine+10))))
	if _, err := sr.next(); !errors.Is(err, errSSELineTooLong) {
		t.Fatalf("got %v, want the line limit error", err)
	}
}

func TestSSEReaderEventBuffered(t *testing.T) {
	// Each stream's first event is read first; then the question is whether
	// what is already buffered holds another complete event with data.
	for _, tc := range []struct {
		name, rest string
		want       bool
	}{
		{"nothing more", "", false},
		{"a whole event", "data: b\n\n", true},
		{"a whole event, CRLF", "data: b\r\n\r\n", true},
		{"a named event", "event: x\ndata: b\n\n", true},
		{"a bare data field", "data\n\n", true},
		{"after a comment and a dataless event", ": ping\n\nevent: x\n\ndata: b\n\n", true},
		{"a multi-line event", "data: b\ndata: c\n\n", true},
		{"no blank line yet", "data: b\n", false},
		{"half a CRLF blank line", "data: b\r\n\r", false},
		{"an unfinished line", "data: b", false},
		{"only a comment", ": ping\n\n", false},
		{"a dataless event", "event: x\nid: 3\n\n", false},
		{"a field that only starts like data", "database: b\n\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := &scriptedBody{pieces: []string{"data: a\n\n" + tc.rest}}
			sr := newSSEReader(body)
			defer sr.release()
			if ev, err := sr.next(); err != nil || string(ev.data) != "a" {
				t.Fatalf("first event %q, %v", ev.data, err)
			}
			if got := sr.eventBuffered(); got != tc.want {
				t.Fatalf("eventBuffered() = %v, want %v", got, tc.want)
			}
		})
	}
}

// An event reported buffered must come out of next without another read,
// however the bytes were split: that is what lets a relay batch it.
func TestSSEReaderBufferedEventNeedsNoRead(t *testing.T) {
	stream := "data: a\r\n\r\n: ping\n\nevent: e\ndata: b\ndata: c\n\ndata: d\n\n"
	for split := range len(stream) + 1 {
		body := &scriptedBody{pieces: []string{stream[:split], stream[split:]}}
		sr := newSSEReader(body)
		events := 0
		for {
			buffered := sr.eventBuffered()
			readsBefore := body.reads
			_, err := sr.next()
			if err != nil {
				break
			}
			events++
			if buffered && body.reads != readsBefore {
				t.Fatalf("split at %d: event %d was reported buffered but next read again", split, events)
			}
		}
		sr.release()
		if events != 3 {
			t.Fatalf("split at %d: %d events, want 3", split, events)
		}
	}
}
