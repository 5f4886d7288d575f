package gemini

import (
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

	"encoding/json"
	"fmt"
	"strings"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
)

// EncodingFloat is the only embedding encoding Gemini has.
const EncodingFloat = "float"

// DecodeEmbedContentRequest decodes a :embedContent body ({"content":
// {"parts": […]}, "outputDimensionality": N, …}) for model, the URL's
// model. Like DecodeRequest, it keeps body as Source.OriginalBody uncopied.
// The text parts of the content are embedded as one input (joined by
// newlines). taskType and title tune Gemini's embeddings and have no
// canonical form; a Gemini provider still gets them in the original body.
func DecodeEmbedContentRequest(model string, body []byte) (*inferencev1.EmbeddingsRequest, error) {
	r := &inferencev1.EmbeddingsRequest{}
	err := jsonx.ScanTopLevel(body, func(key, val []byte) {})
	if err == nil {
		err = decodeEmbedEntry(body, r)
	}
	if err != nil {
		return nil, jsonx.ToInvalid(err)
	}
	return finishEmbeddings(r, model, body)
}

// DecodeBatchEmbedContentsRequest decodes a :batchEmbedContents body
// ({"requests": [{"model", "content", …}, …]}): one input per request, in
// order. All requests must ask for the same output dimensionality.
func DecodeBatchEmbedContentsRequest(model string, body []byte) (*inferencev1.EmbeddingsRequest, error) {
	var requests []byte
	if err := jsonx.ScanTopLevel(body, func(key, val []byte) {
		if string(key) == "requests" {
			requests = val
		}
	}); err != nil {
		return nil, jsonx.ToInvalid(err)
	}
	r := &inferencev1.EmbeddingsRequest{}
	if !jsonx.Present(requests) {
		return nil, jsonx.ToInvalid(jsonx.InField("requests", jsonx.ErrRequired))
	}
	_, err := jsonx.ScanArray(requests, 0, func(i, start, end int) error {
		one := &inferencev1.EmbeddingsRequest{}
		if err := decodeEmbedEntry(requests[start:end], one); err != nil {
			return jsonx.InIndex(i, err)
		}
		if i > 0 && one.GetDimensions() != r.GetDimensions() {
			return jsonx.InIndex(i, jsonx.InField("outputDimensionality", jsonx.BadValue("must be the same for every request")))
		}
		r.Dimensions = one.Dimensions
		r.Inputs = append(r.Inputs, one.Inputs...)
		return nil
	})
	if err == nil && len(r.Inputs) == 0 {
		err = jsonx.BadValue("must not be empty")
	}
	if err != nil {
		return nil, jsonx.ToInvalid(jsonx.InField("requests", err))
	}
	return finishEmbeddings(r, model, body)
}

func finishEmbeddings(r *inferencev1.EmbeddingsRequest, model string, body []byte) (*inferencev1.EmbeddingsRequest, error) {
	model = strings.TrimPrefix(model, "models/")
	if model == "" {
		return nil, errs.Invalid("model", "the model name in the URL is empty")
	}
	r.Model, r.EncodingFormat = model, EncodingFloat
	r.Source = &inferencev1.Source{Dialect: inferencev1.Dialect_DIALECT_GEMINI, OriginalBody: body, ClientModel: model}
	return r, nil
}

// decodeEmbedEntry reads one EmbedContentRequest object into r.
func decodeEmbedEntry(v []byte, r *inferencev1.EmbeddingsRequest) error {
	var m [2][]byte
	if err := readFields(v, []string{"content", "outputDimensionality"}, m[:]); err != nil {
		return err
	}
	if !jsonx.Present(m[0]) {
		return jsonx.InField("content", jsonx.ErrRequired)
	}
	var parts [1][]byte
	if err := readFields(m[0], []string{"parts"}, parts[:]); err != nil {
		return jsonx.InField("content", err)
	}
	if !jsonx.Present(parts[0]) {
		return jsonx.InField("content", jsonx.InField("parts", jsonx.ErrRequired))
	}
	var texts []string
	_, err := jsonx.ScanArray(parts[0], 0, func(j, start, end int) error {
		var text [1][]byte
		if err := readFields(parts[0][start:end], []string{"text"}, text[:]); err != nil {
			return jsonx.InIndex(j, err)
		}
		if !jsonx.Present(text[0]) {
			return jsonx.InIndex(j, jsonx.BadValue("must be a text part; only text can be embedded"))
		}
		s, err := jsonx.ReadString(text[0])
		if err != nil {
			return jsonx.InIndex(j, jsonx.InField("text", err))
		}
		texts = append(texts, s)
		return nil
	})
	if err != nil {
		return jsonx.InField("content", jsonx.InField("parts", err))
	}
	input := strings.Join(texts, "\n")
	if input == "" {
		return jsonx.InField("content", jsonx.InField("parts", jsonx.BadValue("must hold some text")))
	}
	r.Inputs = append(r.Inputs, input)
	if jsonx.Present(m[1]) {
		d, err := readInt32Field(m[1])
		if err != nil {
			return jsonx.InField("outputDimensionality", err)
		}
		if d < 1 {
			return jsonx.InField("outputDimensionality", jsonx.BadValue("must be at least 1"))
		}
		r.Dimensions = &d
	}
	return nil
}

// EncodeEmbedContentResponse writes the :embedContent answer,
// {"embedding": {"values": […]}}, from the first vector.
func EncodeEmbedContentResponse(r *inferencev1.EmbeddingsResponse) []byte {
	var vals []float32
	if es := r.GetEmbeddings(); len(es) > 0 {
		vals = es[0].GetValues()
	}
	b := make([]byte, 0, 32+12*len(vals))
	b = append(b, `{"embedding":`...)
	b = appendValues(b, vals)
	return append(b, '}')
}

// EncodeBatchEmbedContentsResponse writes the :batchEmbedContents answer,
// {"embeddings": [{"values": […]}, …]}, in input order.
func EncodeBatchEmbedContentsResponse(r *inferencev1.EmbeddingsResponse) []byte {
	es := r.GetEmbeddings()
	ordered := byIndex(es)
	size := 32
	for _, e := range es {
		size += 24 + 12*len(e.GetValues())
	}
	b := make([]byte, 0, size)
	b = append(b, `{"embeddings":[`...)
	for i, e := range ordered {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendValues(b, e.GetValues())
	}
	return append(b, `]}`...)
}

// byIndex orders embeddings by their Index when the indexes are a
// permutation of 0…n-1, and keeps list order otherwise.
func byIndex(es []*inferencev1.Embedding) []*inferencev1.Embedding {
	ordered := make([]*inferencev1.Embedding, len(es))
	for _, e := range es {
		at := int(e.GetIndex())
		if at < 0 || at >= len(ordered) || ordered[at] != nil {
			return es
		}
		ordered[at] = e
	}
	return ordered
}

func appendValues(b []byte, vals []float32) []byte {
	b = append(b, `{"values":[`...)
	for i, f := range vals {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonx.AppendFloat32(b, f)
	}
	return append(b, `]}`...)
}

// BuildEmbeddingsRequest writes a canonical embeddings request as a
// :batchEmbedContents body for model (send it to MethodURL(base, model,
// MethodBatchEmbedContents)): one request per input.
func BuildEmbeddingsRequest(r *inferencev1.EmbeddingsRequest, model string) ([]byte, error) {
	if f := r.GetEncodingFormat(); f != "" && f != EncodingFloat && f != "base64" {
		return nil, errs.Invalid("encoding_format", "encoding format %q cannot be asked of a Gemini model", f)
	}
	name := "models/" + strings.TrimPrefix(model, "models/")
	w := BatchEmbedContentsRequest{Requests: make([]EmbedContentRequest, len(r.GetInputs()))}
	for i, in := range r.GetInputs() {
		text := in
		w.Requests[i] = EmbedContentRequest{Model: name, Content: Content{Parts: []Part{{Text: &text}}},
			OutputDimensionality: r.Dimensions}
	}
	return json.Marshal(&w)
}

// ParseEmbeddingsResponse reads a :batchEmbedContents or :embedContent
// answer. Gemini reports no token usage for embeddings; Usage stays nil.
func ParseEmbeddingsResponse(body []byte) (*inferencev1.EmbeddingsResponse, error) {
	var w EmbedContentsResponse
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("provider response is not a Gemini embedding answer: %w", err)
	}
	r := &inferencev1.EmbeddingsResponse{}
	if w.Embedding != nil {
		r.Embeddings = append(r.Embeddings, &inferencev1.Embedding{Values: w.Embedding.Values})
	}
	for i, e := range w.Embeddings {
		r.Embeddings = append(r.Embeddings, &inferencev1.Embedding{Index: int32(i), Values: e.Values})
	}
	if len(r.Embeddings) == 0 {
		return nil, fmt.Errorf("provider response is not a Gemini embedding answer: no embeddings")
	}
	return r, nil
}
