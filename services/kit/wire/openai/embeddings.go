package openai

import (
	"encoding/base64"
	"encoding/binary"
	"math"
	"strconv"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

// Embedding encoding formats.
const (
	EncodingFloat  = "float"
	EncodingBase64 = "base64"
)

// DecodeEmbeddingsRequest decodes and validates an OpenAI embeddings body.
// Input must be a string or a non-empty array of strings: token arrays are a
// 400, because Tollgate routes by text (and providers disagree on tokenizers).
// Like DecodeChatRequest, it keeps body as Source.OriginalBody uncopied.
func DecodeEmbeddingsRequest(body []byte) (*inferencev1.EmbeddingsRequest, error) {
	var model, input, format, dims, user []byte
	err := scanTopLevel(body, func(key, val []byte) {
		switch string(key) {
		case "model":
			model = val
		case "input":
			input = val
		case "encoding_format":
			format = val
		case "dimensions":
			dims = val
		case "user":
			user = val
		}
	})
	if err != nil {
		return nil, toInvalid(err)
	}
	r := &inferencev1.EmbeddingsRequest{}
	if err := decodeEmbeddingsFields(r, model, input, format, dims, user); err != nil {
		return nil, toInvalid(err)
	}
	r.Source = &inferencev1.Source{
		Dialect:      inferencev1.Dialect_DIALECT_OPENAI_EMBEDDINGS,
		OriginalBody: body,
		ClientModel:  r.Model,
	}
	return r, nil
}

func decodeEmbeddingsFields(r *inferencev1.EmbeddingsRequest, model, input, format, dims, user []byte) error {
	var err error
	if !present(model) {
		return inField("model", errRequired)
	}
	if r.Model, err = readString(model); err != nil {
		return inField("model", err)
	}
	if r.Model == "" {
		return inField("model", badValue("must not be empty"))
	}
	if r.Inputs, err = decodeEmbeddingInput(input); err != nil {
		return inField("input", err)
	}
	r.EncodingFormat = EncodingFloat
	if present(format) {
		if r.EncodingFormat, err = readString(format); err != nil {
			return inField("encoding_format", err)
		}
		if r.EncodingFormat != EncodingFloat && r.EncodingFormat != EncodingBase64 {
			return inField("encoding_format", badValue("must be float or base64"))
		}
	}
	if present(dims) {
		d, err := readInt32(dims)
		if err != nil {
			return inField("dimensions", err)
		}
		if d < 1 {
			return inField("dimensions", badValue("must be at least 1"))
		}
		r.Dimensions = &d
	}
	if present(user) {
		if r.User, err = readString(user); err != nil {
			return inField("user", err)
		}
	}
	return nil
}

var errTokenInput = badValue("must be a string or an array of strings; token arrays are not supported")

func decodeEmbeddingInput(v []byte) ([]string, error) {
	if !present(v) {
		return nil, errRequired
	}
	switch v[0] {
	case '"':
		s, err := readString(v)
		if err != nil {
			return nil, err
		}
		if s == "" {
			return nil, badValue("must not be empty")
		}
		return []string{s}, nil
	case '[':
	default:
		return nil, errTokenInput
	}
	var out []string
	_, err := scanArray(v, 0, func(i, start, end int) error {
		if v[start] != '"' {
			return errTokenInput // reported for the whole input, not one element
		}
		s, err := readString(v[start:end])
		if err != nil {
			return inIndex(i, err)
		}
		if s == "" {
			return inIndex(i, badValue("must not be empty"))
		}
		out = append(out, s)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, badValue("must not be empty")
	}
	return out, nil
}

// EncodeEmbeddingsResponse writes OpenAI's embeddings answer with model as
// the name the client sees. With encodingFormat "base64" each vector is the
// base64 of its little-endian float32 values (what the official SDKs ask for
// by default and decode); otherwise a JSON array of numbers.
func EncodeEmbeddingsResponse(r *inferencev1.EmbeddingsResponse, model, encodingFormat string) []byte {
	size := 128
	for _, e := range r.GetEmbeddings() {
		size += 48 + 12*len(e.GetValues())
	}
	b := make([]byte, 0, size)
	b = append(b, `{"object":"list","data":[`...)
	var raw []byte
	for i, e := range r.GetEmbeddings() {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"object":"embedding","index":`...)
		b = strconv.AppendInt(b, int64(e.GetIndex()), 10)
		b = append(b, `,"embedding":`...)
		vals := e.GetValues()
		if encodingFormat == EncodingBase64 {
			raw = float32sLE(raw[:0], vals)
			b = append(b, '"')
			b = base64.StdEncoding.AppendEncode(b, raw)
			b = append(b, '"')
		} else {
			b = append(b, '[')
			for j, f := range vals {
				if j > 0 {
					b = append(b, ',')
				}
				b = appendFloat32(b, f)
			}
			b = append(b, ']')
		}
		b = append(b, '}')
	}
	b = append(b, `],"model":`...)
	b = appendString(b, model)
	u := r.GetUsage()
	b = append(b, `,"usage":{"prompt_tokens":`...)
	b = strconv.AppendInt(b, u.GetInputTokens(), 10)
	b = append(b, `,"total_tokens":`...)
	total := u.GetTotalTokens()
	if total == 0 {
		total = u.GetInputTokens()
	}
	b = strconv.AppendInt(b, total, 10)
	return append(b, `}}`...)
}

// float32sLE appends the little-endian bytes of vals.
func float32sLE(dst []byte, vals []float32) []byte {
	for _, f := range vals {
		dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(f))
	}
	return dst
}

// decodeFloat32sLE reads little-endian float32 values.
func decodeFloat32sLE(b []byte) ([]float32, bool) {
	if len(b)%4 != 0 {
		return nil, false
	}
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out, true
}
