package gemini

import (
	"errors"
	"testing"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
)

func TestEmbeddings(t *testing.T) {
	r, err := DecodeEmbedContentRequest("models/gemini-embedding-001",
		[]byte(`{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"a"},{"text":"b"}]},"taskType":"RETRIEVAL_QUERY","output_dimensionality":"256"}`))
	if err != nil || r.GetModel() != "gemini-embedding-001" || len(r.GetInputs()) != 1 || r.GetInputs()[0] != "a\nb" ||
		r.GetDimensions() != 256 || r.GetEncodingFormat() != EncodingFloat {
		t.Fatalf("embed request = %v, %v", r, err)
	}
	resp := &inferencev1.EmbeddingsResponse{Embeddings: []*inferencev1.Embedding{
		{Index: 1, Values: []float32{0.5, -1}}, {Index: 0, Values: []float32{0.25}}}}
	if got := string(EncodeEmbedContentResponse(resp)); got != `{"embedding":{"values":[0.5,-1]}}` {
		t.Errorf("single = %s", got)
	}
	if got := string(EncodeBatchEmbedContentsResponse(resp)); got != `{"embeddings":[{"values":[0.25]},{"values":[0.5,-1]}]}` {
		t.Errorf("batch = %s", got)
	}

	built, err := BuildEmbeddingsRequest(&inferencev1.EmbeddingsRequest{Inputs: []string{"x", "y"}, Dimensions: r.Dimensions}, "gemini-embedding-001")
	if err != nil || string(built) != `{"requests":[{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"x"}]},"outputDimensionality":256},`+
		`{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"y"}]},"outputDimensionality":256}]}` {
		t.Errorf("built = %s, %v", built, err)
	}
	back, err := DecodeBatchEmbedContentsRequest("gemini-embedding-001", built)
	if err != nil || len(back.GetInputs()) != 2 || back.GetDimensions() != 256 {
		t.Errorf("built body decodes to %v, %v", back, err)
	}
	parsed, err := ParseEmbeddingsResponse([]byte(`{"embedding":{"values":[1,2]}}`))
	if err != nil || len(parsed.GetEmbeddings()) != 1 || parsed.GetEmbeddings()[0].GetValues()[1] != 2 {
		t.Errorf("parsed = %v, %v", parsed, err)
	}
	if _, err := ParseEmbeddingsResponse([]byte(`{}`)); err == nil {
		t.Error("an answer without embeddings was accepted")
	}

	for _, bad := range []string{
		`{"content":{"parts":[{"inlineData":{"mimeType":"image/png","data":"AA=="}}]}}`,
		`{"content":{}}`,
		`{}`,
	} {
		_, err := DecodeEmbedContentRequest("m", []byte(bad))
		var e *errs.Error
		if !errors.As(err, &e) || e.Kind != errs.KindInvalidArgument {
			t.Errorf("%s: err = %v", bad, err)
		}
	}
	_, err = DecodeBatchEmbedContentsRequest("m", []byte(`{"requests":[{"content":{"parts":[{"text":"a"}]},"outputDimensionality":8},{"content":{"parts":[{"text":"b"}]}}]}`))
	var e *errs.Error
	if !errors.As(err, &e) || e.Param != "requests[1].outputDimensionality" {
		t.Errorf("mixed dimensions: %v", err)
	}
}
