package openai

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"strings"
	"testing"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

func TestDecodeEmbeddingsRequest(t *testing.T) {
	r, err := DecodeEmbeddingsRequest([]byte(`{"model":"e","input":"hello"}`))
	if err != nil || len(r.GetInputs()) != 1 || r.GetInputs()[0] != "hello" || r.GetEncodingFormat() != "float" {
		t.Fatalf("single input: %v %v", r, err)
	}
	if r.GetSource().GetDialect() != inferencev1.Dialect_DIALECT_OPENAI_EMBEDDINGS || r.GetSource().GetClientModel() != "e" {
		t.Errorf("source = %v", r.GetSource())
	}
	r, err = DecodeEmbeddingsRequest([]byte(`{"model":"e","input":["a","b"],"encoding_format":"base64","dimensions":4,"user":"u","client_request_id":"x"}`))
	if err != nil || len(r.GetInputs()) != 2 || r.GetEncodingFormat() != "base64" || r.GetDimensions() != 4 || r.GetUser() != "u" {
		t.Fatalf("array input: %v %v", r, err)
	}

	cases := []struct{ name, body, param, msg string }{
		{"token array", `{"model":"e","input":[1,2,3]}`, "input", "token arrays are not supported"},
		{"token arrays", `{"model":"e","input":[[1,2],[3]]}`, "input", "token arrays are not supported"},
		{"number", `{"model":"e","input":5}`, "input", "token arrays are not supported"},
		{"missing input", `{"model":"e"}`, "input", "is required"},
		{"empty array", `{"model":"e","input":[]}`, "input", "must not be empty"},
		{"empty string", `{"model":"e","input":""}`, "input", "must not be empty"},
		{"empty element", `{"model":"e","input":["a",""]}`, "input[1]", "must not be empty"},
		{"missing model", `{"input":"x"}`, "model", "is required"},
		{"bad format", `{"model":"e","input":"x","encoding_format":"hex"}`, "encoding_format", "float or base64"},
		{"bad dimensions", `{"model":"e","input":"x","dimensions":"8"}`, "dimensions", "must be an integer"},
		{"invalid json", `{"model":"e",`, "", "invalid JSON body"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeEmbeddingsRequest([]byte(tc.body))
			e := mustInvalid(t, err)
			if e.Param != tc.param || !strings.Contains(e.Message, tc.msg) {
				t.Errorf("got param %q message %q; want %q containing %q", e.Param, e.Message, tc.param, tc.msg)
			}
		})
	}
}

func TestEncodeEmbeddingsResponse(t *testing.T) {
	vals := []float32{0.5, -0.25, 1e-7, float32(math.Pi)}
	r := &inferencev1.EmbeddingsResponse{
		Embeddings: []*inferencev1.Embedding{{Index: 0, Values: vals}, {Index: 1, Values: []float32{1}}},
		Usage:      &inferencev1.Usage{InputTokens: 6},
	}
	floatBody := EncodeEmbeddingsResponse(r, "emb", "float")
	want := `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.5,-0.25,1e-07,3.1415927]},` +
		`{"object":"embedding","index":1,"embedding":[1]}],"model":"emb","usage":{"prompt_tokens":6,"total_tokens":6}}`
	if string(floatBody) != want {
		t.Fatalf("got  %s\nwant %s", floatBody, want)
	}

	b64Body := EncodeEmbeddingsResponse(r, "emb", "base64")
	var w EmbeddingsResponseBody
	if err := json.Unmarshal(b64Body, &w); err != nil {
		t.Fatal(err)
	}
	var s string
	_ = json.Unmarshal(w.Data[0].Embedding, &s)
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	// The SDKs read the payload as a little-endian Float32Array.
	for i, v := range vals {
		bits := uint32(raw[4*i]) | uint32(raw[4*i+1])<<8 | uint32(raw[4*i+2])<<16 | uint32(raw[4*i+3])<<24
		if math.Float32frombits(bits) != v {
			t.Errorf("value %d = %v, want %v", i, math.Float32frombits(bits), v)
		}
	}
	// Both forms parse back to the same vectors on the provider side.
	for _, body := range [][]byte{floatBody, b64Body} {
		back, err := ParseEmbeddingsResponse(body)
		if err != nil {
			t.Fatal(err)
		}
		if len(back.Embeddings) != 2 || back.Embeddings[0].Values[3] != vals[3] || back.GetUsage().GetInputTokens() != 6 {
			t.Errorf("parsed back %v", back)
		}
	}
}

func TestEncodeModelList(t *testing.T) {
	got := string(EncodeModelList([]string{"a", "b"}, 42))
	want := `{"object":"list","data":[{"id":"a","object":"model","created":42,"owned_by":"tollgate"},{"id":"b","object":"model","created":42,"owned_by":"tollgate"}]}`
	if got != want {
		t.Fatalf("got %s", got)
	}
	if got := string(EncodeModelList(nil, 1)); got != `{"object":"list","data":[]}` {
		t.Fatalf("empty list: %s", got)
	}
}
