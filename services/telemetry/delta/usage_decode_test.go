package delta

import (
	"fmt"
	"reflect"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
)

// referenceRow is what the decoder must agree with: proto.Unmarshal, then
// UsageRowOf.
func referenceRow(t testing.TB, rec []byte) (UsageRow, error) {
	t.Helper()
	var e telemetryv1.UsageEvent
	if err := proto.Unmarshal(rec, &e); err != nil {
		return UsageRow{}, err
	}
	return UsageRowOf(&e), nil
}

// sameRow compares rows field by field; an empty and a nil groups list or
// usage context are the same row.
func sameRow(a, b UsageRow) bool {
	if len(a.Groups) == 0 && len(b.Groups) == 0 {
		a.Groups, b.Groups = nil, nil
	}
	if len(a.UsageContext) == 0 && len(b.UsageContext) == 0 {
		a.UsageContext, b.UsageContext = nil, nil
	}
	return reflect.DeepEqual(a, b)
}

func mustMarshal(t testing.TB, e *telemetryv1.UsageEvent) []byte {
	t.Helper()
	b, err := proto.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fillEveryField sets every field of m (nested messages too) to a non-zero
// value that depends on the field number, through reflection, so a field
// added to UsageEvent later is covered without editing this test.
func fillEveryField(m protoreflect.Message) {
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		n := int64(fd.Number())
		scalar := func() protoreflect.Value {
			switch fd.Kind() {
			case protoreflect.StringKind:
				return protoreflect.ValueOfString(fmt.Sprintf("f%d-é€", n))
			case protoreflect.BytesKind:
				return protoreflect.ValueOfBytes([]byte(fmt.Sprintf("bytes %d", n)))
			case protoreflect.BoolKind:
				return protoreflect.ValueOfBool(true)
			case protoreflect.Int32Kind:
				return protoreflect.ValueOfInt32(-int32(n)) // negative: a 10-byte varint
			case protoreflect.Int64Kind:
				return protoreflect.ValueOfInt64(n * 1_000_003)
			case protoreflect.DoubleKind:
				return protoreflect.ValueOfFloat64(float64(n) / 4)
			}
			panic(fmt.Sprintf("fillEveryField: add kind %v (field %s)", fd.Kind(), fd.FullName()))
		}
		switch {
		case fd.IsMap():
			mp := m.Mutable(fd).Map()
			mp.Set(protoreflect.ValueOfString("k1").MapKey(), protoreflect.ValueOfString("v1"))
			mp.Set(protoreflect.ValueOfString("ключ").MapKey(), protoreflect.ValueOfString(""))
		case fd.IsList():
			l := m.Mutable(fd).List()
			l.Append(scalar())
			l.Append(protoreflect.ValueOfString("second"))
		case fd.Kind() == protoreflect.MessageKind:
			fillEveryField(m.Mutable(fd).Message())
		default:
			m.Set(fd, scalar())
		}
	}
}

func TestUsageRowDecoderKnowsEveryField(t *testing.T) {
	var e telemetryv1.UsageEvent
	fillEveryField(e.ProtoReflect())
	rec := mustMarshal(t, &e)
	var d UsageRowDecoder
	var row UsageRow
	hasPayload, ok := d.Decode(string(rec), &row)
	if !ok {
		t.Fatal("the decoder refused an event with every field set: a field was added to UsageEvent; teach the decoder")
	}
	if !hasPayload {
		t.Error("payload not reported")
	}
	want, err := referenceRow(t, rec)
	if err != nil {
		t.Fatal(err)
	}
	if !sameRow(row, want) {
		t.Errorf("decoded %+v\nwant    %+v", row, want)
	}
}

func TestUsageRowDecoderMatchesUnmarshal(t *testing.T) {
	events := append(testEvents(1, 40), &telemetryv1.UsageEvent{}, &telemetryv1.UsageEvent{DatabricksRequestId: "only-id"},
		&telemetryv1.UsageEvent{DatabricksRequestId: "empty-ctx-entry", UsageContext: map[string]string{"": ""}, Groups: []string{""}},
		&telemetryv1.UsageEvent{DatabricksRequestId: "neg", StatusCode: -1, FallbackAttempts: -7, LatencyMs: -3, RequestTimeUnixMs: -1})
	var d UsageRowDecoder
	for _, e := range events {
		rec := mustMarshal(t, e)
		var row UsageRow
		hasPayload, ok := d.Decode(string(rec), &row)
		if !ok {
			t.Fatalf("%s: refused", e.GetDatabricksRequestId())
		}
		if hasPayload != (e.GetPayload() != nil) {
			t.Errorf("%s: hasPayload %v", e.GetDatabricksRequestId(), hasPayload)
		}
		if want := UsageRowOf(e); !sameRow(row, want) {
			t.Errorf("%s: decoded %+v\nwant %+v", e.GetDatabricksRequestId(), row, want)
		}
	}
}

// Records that repeat fields (what merging two encodings gives) follow
// proto3: the last scalar wins, lists append, map entries are merged.
func TestUsageRowDecoderRepeatedFieldsMerge(t *testing.T) {
	a := testEvent(0, 1)
	b := &telemetryv1.UsageEvent{DatabricksRequestId: "second", StatusCode: 503, Groups: []string{"ops"},
		UsageContext: map[string]string{"project": "override", "new": "x"}, RequestStreaming: true}
	rec := append(mustMarshal(t, a), mustMarshal(t, b)...)
	var d UsageRowDecoder
	var row UsageRow
	if _, ok := d.Decode(string(rec), &row); !ok {
		t.Fatal("refused")
	}
	want, err := referenceRow(t, rec)
	if err != nil {
		t.Fatal(err)
	}
	if !sameRow(row, want) {
		t.Errorf("decoded %+v\nwant %+v", row, want)
	}
	if row.DatabricksRequestID != "second" || len(row.Groups) != 3 || row.UsageContext["project"] != "override" {
		t.Errorf("merge semantics: %+v", row)
	}
}

// Shapes the decoder leaves to proto.Unmarshal: it must refuse them, and
// proto.Unmarshal either refuses them too or reads them (the caller's
// fallback).
func TestUsageRowDecoderRefusesOtherShapes(t *testing.T) {
	valid := mustMarshal(t, &telemetryv1.UsageEvent{DatabricksRequestId: "r"})
	str := func(num protowire.Number, s string) []byte {
		return protowire.AppendString(protowire.AppendTag(nil, num, protowire.BytesType), s)
	}
	cases := []struct {
		name         string
		rec          []byte
		unmarshalErr bool
	}{
		{"invalid UTF-8 string", str(17, "bad \xff"), true},
		{"invalid UTF-8 group", str(8, "\xc3"), true},
		{"invalid UTF-8 context key", str(15, string(str(1, "\xff"))), true},
		{"truncated length", valid[:len(valid)-1], true},
		{"truncated varint", []byte{0x48, 0x80}, true},
		{"overlong varint", append([]byte{0x48}, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f), true},
		{"field number zero", []byte{0x00, 0x01}, true},
		{"unknown field", append(append([]byte{}, valid...), protowire.AppendVarint(protowire.AppendTag(nil, 40, protowire.VarintType), 1)...), false},
		{"known field, other wire type", protowire.AppendFixed32(protowire.AppendTag(nil, 9, protowire.Fixed32Type), 7), false},
		{"string field as varint", protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), 7), false},
		{"context entry with an unknown field", str(15, string(protowire.AppendVarint(protowire.AppendTag(nil, 3, protowire.VarintType), 1))), false},
		{"group", append(protowire.AppendTag(nil, 40, protowire.StartGroupType), protowire.AppendTag(nil, 40, protowire.EndGroupType)...), false},
	}
	var d UsageRowDecoder
	for _, c := range cases {
		var row UsageRow
		if _, ok := d.Decode(string(c.rec), &row); ok {
			t.Errorf("%s: decoded, want refused", c.name)
		}
		if _, err := referenceRow(t, c.rec); (err != nil) != c.unmarshalErr {
			t.Errorf("%s: proto.Unmarshal error %v, want error %v", c.name, err, c.unmarshalErr)
		}
	}
}

// Many rows' groups outlive several slabs, each row keeping its own.
func TestUsageRowDecoderGroupsStayPerRow(t *testing.T) {
	var d UsageRowDecoder
	rows := make([]UsageRow, 3*groupsSlabLen/2)
	for i := range rows {
		e := &telemetryv1.UsageEvent{DatabricksRequestId: fmt.Sprint(i), Groups: []string{fmt.Sprint("a", i), fmt.Sprint("b", i), fmt.Sprint("c", i)}}
		if _, ok := d.Decode(string(mustMarshal(t, e)), &rows[i]); !ok {
			t.Fatal("refused")
		}
	}
	for i, r := range rows {
		if want := []string{fmt.Sprint("a", i), fmt.Sprint("b", i), fmt.Sprint("c", i)}; !reflect.DeepEqual(r.Groups, want) {
			t.Fatalf("row %d groups %v, want %v", i, r.Groups, want)
		}
		if cap(r.Groups) != len(r.Groups) {
			t.Fatalf("row %d groups can grow into another row's (cap %d)", i, cap(r.Groups))
		}
	}
}

// Whatever the decoder accepts, proto.Unmarshal reads as the same row.
func FuzzUsageRowDecoder(f *testing.F) {
	for _, e := range testEvents(2, 6) {
		f.Add(mustMarshal(f, e))
	}
	f.Add(append(mustMarshal(f, testEvent(0, 1)), mustMarshal(f, testEvent(0, 2))...))
	f.Fuzz(func(t *testing.T, rec []byte) {
		var d UsageRowDecoder
		var row UsageRow
		hasPayload, ok := d.Decode(string(rec), &row)
		if !ok {
			return
		}
		want, err := referenceRow(t, rec)
		if err != nil {
			if hasPayload {
				return // the payload is malformed: the caller's proto.Unmarshal refuses the record
			}
			t.Fatalf("decoded a record proto.Unmarshal refuses: %v", err)
		}
		if !sameRow(row, want) {
			t.Fatalf("decoded %+v\nwant %+v", row, want)
		}
	})
}

func BenchmarkUsageRowDecode(b *testing.B) {
	raws := make([][]byte, 1000)
	recs := make([]string, len(raws))
	for i := range raws {
		raws[i] = mustMarshal(b, testEvent(0, i))
		recs[i] = string(raws[i])
	}
	b.Run("decoder", func(b *testing.B) {
		var d UsageRowDecoder
		rows := make([]UsageRow, len(recs))
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			j := i % len(recs)
			d.Decode(recs[j], &rows[j])
		}
	})
	b.Run("unmarshal", func(b *testing.B) {
		rows := make([]UsageRow, len(recs))
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			j := i % len(recs)
			var e telemetryv1.UsageEvent
			if err := proto.Unmarshal(raws[j], &e); err != nil {
				b.Fatal(err)
			}
			rows[j] = UsageRowOf(&e)
		}
	})
}
