package gemini

import (
	"strconv"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/wire/internal/estimate"
)

// Fixed token costs of the estimate.
const (
	contentOverhead    = 3   // role and turn markers of each content
	imageTokenEstimate = 258 // Gemini's cost of an image up to 384 pixels a side
)

// EstimateInputTokens estimates the prompt tokens of a request, for
// :countTokens when the provider cannot count them (it speaks another
// dialect): about one token per four characters of text, tool
// definitions, calls and results, plus a fixed cost per content and per
// image. It is an estimate, not a tokenizer.
func EstimateInputTokens(r *inferencev1.ChatRequest) int64 {
	return estimate.InputTokens(r, contentOverhead, imageTokenEstimate)
}

// EncodeCountTokensResponse writes the :countTokens answer,
// {"totalTokens": N}.
func EncodeCountTokensResponse(totalTokens int64) []byte {
	b := make([]byte, 0, 32)
	b = append(b, `{"totalTokens":`...)
	b = strconv.AppendInt(b, totalTokens, 10)
	return append(b, '}')
}
