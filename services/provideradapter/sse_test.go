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
