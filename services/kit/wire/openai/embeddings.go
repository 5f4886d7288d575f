package openai

import (
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

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
	err := jsonx.ScanTopLevel(body, func(key, val []byte) {
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
		return nil, jsonx.ToInvalid(err)
	}
	r := &inferencev1.EmbeddingsRequest{}
	if err := decodeEmbeddingsFields(r, model, input, format, dims, user); err != nil {
		return nil, jsonx.ToInvalid(err)
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
	if !jsonx.Present(model) {
		return jsonx.InField("model", jsonx.ErrRequired)
	}
	if r.Model, err = jsonx.ReadString(model); err != nil {
		return jsonx.InField("model", err)
	}
	if r.Model == "" {
		return jsonx.InField("model", jsonx.BadValue("must not be empty"))
	}
	if r.Inputs, err = decodeEmbeddingInput(input); err != nil {
		return jsonx.InField("input", err)
	}
	r.EncodingFormat = EncodingFloat
	if jsonx.Present(format) {
		if r.EncodingFormat, err = jsonx.ReadString(format); err != nil {
			return jsonx.InField("encoding_format", err)
		}
		if r.EncodingFormat != EncodingFloat && r.EncodingFormat != EncodingBase64 {
			return jsonx.InField("encoding_format", jsonx.BadValue("must be float or base64"))
		}
	}
	if jsonx.Present(dims) {
		d, err := jsonx.ReadInt32(dims)
		if err != nil {
			return jsonx.InField("dimensions", err)
		}
		if d < 1 {
			return jsonx.InField("dimensions", jsonx.BadValue("must be at least 1"))
		}
		r.Dimensions = &d
	}
	if jsonx.Present(user) {
		if r.User, err = jsonx.ReadString(user); err != nil {
			return jsonx.InField("user", err)
		}
	}
	return nil
}

var errTokenInput = jsonx.BadValue("must be a string or an array of strings; token arrays are not supported")

func decodeEmbeddingInput(v []byte) ([]string, error) {
	if !jsonx.Present(v) {
		return nil, jsonx.ErrRequired
	}
	switch v[0] {
	case '"':
		s, err := jsonx.ReadString(v)
		if err != nil {
			return nil, err
		}
		if s == "" {
			return nil, jsonx.BadValue("must not be empty")
		}
		return []string{s}, nil
	case '[':
	default:
		return nil, errTokenInput
	}
	var out []string
	_, err := jsonx.ScanArray(v, 0, func(i, start, end int) error {
		if v[start] != '"' {
			return errTokenInput // reported for the whole input, not one element
		}
		s, err := jsonx.ReadString(v[start:end])
		if err != nil {
			return jsonx.InIndex(i, err)
		}
		if s == "" {
			return jsonx.InIndex(i, jsonx.BadValue("must not be empty"))
		}
		out = append(out, s)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, jsonx.BadValue("must not be empty")
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
				b = jsonx.AppendFloat32(b, f)
			}
			b = append(b, ']')
		}
		b = append(b, '}')
	}
	b = append(b, `],"model":`...)
	b = jsonx.AppendString(b, model)
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
