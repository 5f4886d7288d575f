package anthropic

import (
	"strconv"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/wire/internal/estimate"
)

// Fixed token costs of the estimate.
const (
	messageOverhead    = 4    // role and turn markers of each message
	imageTokenEstimate = 1600 // Anthropic's cost of a full-size image (about 1.15 megapixels)
)

// EstimateInputTokens estimates the prompt tokens of a request, for
// count_tokens when the provider cannot count them (it speaks another
// dialect): about one token per four characters of text, tool definitions,
// tool calls and results, plus a fixed cost per message and per image. It
// is an estimate, not a tokenizer; real counts differ by model.
func EstimateInputTokens(r *inferencev1.ChatRequest) int64 {
	return estimate.InputTokens(r, messageOverhead, imageTokenEstimate)
}

// EncodeCountTokensResponse writes the POST /v1/messages/count_tokens
// answer, {"input_tokens":N}.
func EncodeCountTokensResponse(inputTokens int64) []byte {
	b := make([]byte, 0, 40)
	b = append(b, `{"input_tokens":`...)
	b = strconv.AppendInt(b, inputTokens, 10)
	return append(b, '}')
}
