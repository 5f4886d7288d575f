package spool

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
)

// randomEvent sets a random subset of UsageEvent's fields (payload aside)
// to random values: empty and non-ASCII strings, negative numbers, at most
// one usage context entry (so protobuf's encoding is deterministic).
func randomEvent(rng *rand.Rand) *telemetryv1.UsageEvent {
	str := func() string {
		switch rng.IntN(5) {
		case 0:
			return ""
		case 1:
			return "ünïcødé ✓ " + fmt.Sprint(rng.Int())
		case 2:
			return strings.Repeat("x", rng.IntN(300)) // lengths past one varint byte
		default:
			return fmt.Sprint("v", rng.IntN(1000))
		}
	}
	num := func() int64 {
		switch rng.IntN(4) {
		case 0:
			return 0
		case 1:
			return -rng.Int64()
		default:
			return rng.Int64N(1 << uint(rng.IntN(62)+1))
		}
	}
	e := &telemetryv1.UsageEvent{
		DatabricksRequestId: str(), ClientRequestId: str(), AccountId: str(), WorkspaceId: str(),
		ServedEntityId: str(), Requester: str(), RequesterType: str(),
		StatusCode: int32(num()), RequestTimeUnixMs: num(), InputTokenCount: num(), OutputTokenCount: num(),
		InputCharacterCount: num(), OutputCharacterCount: num(), RequestStreaming: rng.IntN(2) == 0,
		EndpointName: str(), Provider: str(), Model: str(), UserAgent: str(), ClientKind: str(), ApiType: str(),
		LatencyMs: num(), TimeToFirstByteMs: num(), CacheReadInputTokens: num(), CacheCreationInputTokens: num(),
		ReasoningTokens: num(), FallbackAttempts: int32(num()), RateLimited: rng.IntN(2) == 0,
		ErrorCode: str(), TokensEstimated: rng.IntN(2) == 0, ServedEntityName: str(),
	}
	for range rng.IntN(4) {
		e.Groups = append(e.Groups, str())
	}
	if rng.IntN(2) == 0 {
		e.UsageContext = map[string]string{str(): str()}
	}
	return e
}

// The encoder writes the very bytes protobuf does.
func TestAppendEventWritesProtobufsBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 2000 {
		e := randomEvent(rng)
		want, err := proto.MarshalOptions{Deterministic: true}.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		prefix := []byte("prefix")
		got, ok := appendEvent(prefix, e)
		if !ok {
			t.Fatalf("event %d refused: %v", i, e)
		}
		if !bytes.Equal(got[len(prefix):], want) || string(got[:len(prefix)]) != "prefix" {
			t.Fatalf("event %d: encoded\n%x\nprotobuf\n%x", i, got[len(prefix):], want)
		}
	}
}

// fillEveryField sets every field of m (nested messages too) through
// reflection, so a field added to UsageEvent later is covered here without
// editing the test.
func fillEveryField(m protoreflect.Message) {
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		scalar := func() protoreflect.Value {
			n := int64(fd.Number())
			switch fd.Kind() {
			case protoreflect.StringKind:
				return protoreflect.ValueOfString(fmt.Sprintf("f%d-é", n))
			case protoreflect.BytesKind:
				return protoreflect.ValueOfBytes([]byte("bytes"))
			case protoreflect.BoolKind:
				return protoreflect.ValueOfBool(true)
			case protoreflect.Int32Kind:
				return protoreflect.ValueOfInt32(-int32(n))
			case protoreflect.Int64Kind:
				return protoreflect.ValueOfInt64(n << 40)
			case protoreflect.DoubleKind:
				return protoreflect.ValueOfFloat64(0.5)
			}
			panic(fmt.Sprintf("fillEveryField: add kind %v (field %s)", fd.Kind(), fd.FullName()))
		}
		switch {
		case fd.IsMap():
			mp := m.Mutable(fd).Map()
			mp.Set(protoreflect.ValueOfString("k1").MapKey(), protoreflect.ValueOfString("v1"))
			mp.Set(protoreflect.ValueOfString("k2").MapKey(), protoreflect.ValueOfString(""))
			mp.Set(protoreflect.ValueOfString("").MapKey(), protoreflect.ValueOfString("v3"))
		case fd.IsList():
			l := m.Mutable(fd).List()
			l.Append(scalar())
			l.Append(protoreflect.ValueOfString(""))
		case fd.Kind() == protoreflect.MessageKind:
			fillEveryField(m.Mutable(fd).Message())
		default:
			m.Set(fd, scalar())
		}
	}
}

// Every field but the payload is written by the encoder; an event with a
// payload is left to protobuf.
func TestAppendEventCoversEveryField(t *testing.T) {
	var e telemetryv1.UsageEvent
	fillEveryField(e.ProtoReflect())
	if _, ok := appendEvent(nil, &e); ok {
		t.Fatal("an event with a payload was encoded; the payload is protobuf's to write")
	}
	e.Payload = nil
	got, ok := appendEvent(nil, &e)
	if !ok {
		t.Fatal("refused an event with every field set: UsageEvent changed; teach appendEvent")
	}
	var back telemetryv1.UsageEvent
	if err := proto.Unmarshal(got, &back); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(&back, &e) {
		t.Fatalf("read back %v\nwant %v", &back, &e)
	}
	if want := proto.Size(&e); len(got) != want {
		t.Fatalf("encoded %d bytes, protobuf %d", len(got), want)
	}
}

// What the encoder does not write it leaves untouched for protobuf: strings
// that are not UTF-8 (protobuf's error is the one reported) and fields this
// build does not know.
func TestAppendEventLeavesTheRestToProtobuf(t *testing.T) {
	withUnknown := &telemetryv1.UsageEvent{DatabricksRequestId: "u"}
	withUnknown.ProtoReflect().SetUnknown(protowire.AppendVarint(protowire.AppendTag(nil, 40, protowire.VarintType), 1))
	for name, e := range map[string]*telemetryv1.UsageEvent{
		"string":        {DatabricksRequestId: "r", UserAgent: "bad \xff"},
		"group":         {DatabricksRequestId: "r", Groups: []string{"ok", "\xc3"}},
		"context key":   {DatabricksRequestId: "r", UsageContext: map[string]string{"\xff": "v"}},
		"context value": {DatabricksRequestId: "r", UsageContext: map[string]string{"k": "\xff"}},
		"unknown field": withUnknown,
	} {
		buf := []byte("keep")
		got, ok := appendEvent(buf, e)
		if ok || string(got) != "keep" {
			t.Errorf("%s: ok %v, buffer %q", name, ok, got)
		}
	}
	// Through appendRecords the invalid event gets protobuf's error, and the
	// unknown field is kept.
	if _, err := appendRecords(nil, []*telemetryv1.UsageEvent{{DatabricksRequestId: "r", Model: "\xff"}}); err == nil {
		t.Error("an event with invalid UTF-8 was stored")
	}
	rec, err := appendRecords(nil, []*telemetryv1.UsageEvent{withUnknown})
	if err != nil {
		t.Fatal(err)
	}
	var back telemetryv1.UsageEvent
	if err := proto.Unmarshal(rec[recordHeaderSize:], &back); err != nil || !proto.Equal(&back, withUnknown) {
		t.Fatalf("unknown field lost: %v %v", &back, err)
	}
}

func BenchmarkAppendRecords(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 8))
	batch := make([]*telemetryv1.UsageEvent, 1000)
	for i := range batch {
		batch[i] = &telemetryv1.UsageEvent{
			DatabricksRequestId: fmt.Sprintf("0f8e3c1a-5b7d-4e2f-9a61-%012d", rng.Int64N(1e12)),
			AccountId:           "acct-0001", WorkspaceId: "ws-0001", ServedEntityId: "se-7f3a9c",
			Requester: "alice@example.com", RequesterType: "user", Groups: []string{"eng", "ml-platform"},
			StatusCode: 200, RequestTimeUnixMs: 1795564776000 + int64(i), InputTokenCount: 420, OutputTokenCount: 96,
			InputCharacterCount: 1680, OutputCharacterCount: 384, EndpointName: "chat", Provider: "openai",
			Model: "gpt-4o-mini", UserAgent: "OpenAI/Go 1.12.0", ClientKind: "openai-go-sdk", ApiType: "openai_chat",
			LatencyMs: 812, TimeToFirstByteMs: 143, CacheReadInputTokens: 128, ServedEntityName: "gpt-4o-mini-primary",
		}
	}
	buf := make([]byte, 0, 1<<20)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = appendRecords(buf[:0], batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch)), "ns/event")
}
