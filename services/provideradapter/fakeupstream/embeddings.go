package fakeupstream

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"hash/fnv"
	"math"
	"net/http"
	"strconv"
)

// DefaultDimensions is the vector size when the request names none.
const DefaultDimensions = 8

type embeddingsRequest struct {
	Model          string          `json:"model"`
	Input          json.RawMessage `json:"input"`
	EncodingFormat string          `json:"encoding_format"`
	Dimensions     int             `json:"dimensions"`
}

func (s *Server) embeddings(w http.ResponseWriter, r *http.Request) {
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	var req embeddingsRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "We could not parse the JSON body of your request.", "invalid_request_error", "", "")
		return
	}
	if req.Model == "" {
		writeError(w, http.StatusBadRequest, "you must provide a model parameter", "invalid_request_error", "", "")
		return
	}
	var inputs []string
	var one string
	if json.Unmarshal(req.Input, &one) == nil {
		inputs = []string{one}
	} else if json.Unmarshal(req.Input, &inputs) != nil || len(inputs) == 0 {
		writeError(w, http.StatusBadRequest, "'$.input' is invalid. Please check the API reference.", "invalid_request_error", "input", "")
		return
	}
	if s.failByModel(w, r, req.Model) {
		return
	}
	dims := DefaultDimensions
	if req.Dimensions > 0 {
		dims = req.Dimensions
	}
	base64Format := req.EncodingFormat == "base64"
	b := make([]byte, 0, 128+len(inputs)*(64+dims*12))
	b = append(b, `{"object":"list","data":[`...)
	chars := 0
	var raw []byte
	for i, in := range inputs {
		chars += len([]rune(in))
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"object":"embedding","index":`...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, `,"embedding":`...)
		vec := Vector(in, dims)
		if base64Format {
			raw = raw[:0]
			for _, f := range vec {
				raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(f))
			}
			b = append(b, '"')
			b = base64.StdEncoding.AppendEncode(b, raw)
			b = append(b, '"')
		} else {
			b = append(b, '[')
			for j, f := range vec {
				if j > 0 {
					b = append(b, ',')
				}
				b = strconv.AppendFloat(b, float64(f), 'g', -1, 32)
			}
			b = append(b, ']')
		}
		b = append(b, '}')
	}
	tokens := estimateTokens(chars)
	b = append(b, `],"model":`...)
	b = append(b, quote(req.Model)...)
	b = append(b, `,"usage":{"prompt_tokens":`...)
	b = strconv.AppendInt(b, int64(tokens), 10)
	b = append(b, `,"total_tokens":`...)
	b = strconv.AppendInt(b, int64(tokens), 10)
	b = append(b, "}}\n"...)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

// Vector is the fake's embedding of text: dims values in [-1, 1) derived
// from an FNV-1a hash of text, normalised to unit length.
func Vector(text string, dims int) []float32 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(text))
	x := h.Sum64() | 1
	v := make([]float32, dims)
	var norm float64
	for i := range v {
		// xorshift64: deterministic and cheap.
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		f := float64(x>>11)/float64(1<<53)*2 - 1
		v[i] = float32(f)
		norm += f * f
	}
	if norm > 0 {
		scale := 1 / math.Sqrt(norm)
		for i := range v {
			v[i] = float32(float64(v[i]) * scale)
		}
	}
	return v
}
