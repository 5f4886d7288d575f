package gemini

import (
	"strconv"
	"unicode/utf8"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

// Rough costs for the token estimate.
const (
	charsPerToken      = 4   // English text and JSON average about four characters a token
	contentOverhead    = 3   // role and turn markers of each content
	imageTokenEstimate = 258 // Gemini's cost of an image up to 384 pixels a side
)

// EstimateInputTokens estimates the prompt tokens of a request, for
// :countTokens when the provider cannot count them (it speaks another
// dialect): about one token per four characters of text, tool
// definitions, calls and results, plus a fixed cost per content and per
// image. It is an estimate, not a tokenizer.
func EstimateInputTokens(r *inferencev1.ChatRequest) int64 {
	var chars, extra int64
	for _, m := range r.GetMessages() {
		extra += contentOverhead
		c, x := partsSize(m.GetContent())
		chars, extra = chars+c, extra+x
		for _, tc := range m.GetToolCalls() {
			chars += runes(tc.GetName()) + runes(tc.GetArgumentsJson())
		}
	}
	for _, t := range r.GetTools() {
		chars += runes(t.GetName()) + runes(t.GetDescription()) + runes(t.GetParametersJson()) + runes(t.GetRawJson())
	}
	return (chars+charsPerToken-1)/charsPerToken + extra
}

func partsSize(parts []*inferencev1.ContentPart) (chars, tokens int64) {
	for _, p := range parts {
		switch x := p.GetPart().(type) {
		case *inferencev1.ContentPart_Text:
			chars += runes(x.Text)
		case *inferencev1.ContentPart_Reasoning:
			chars += runes(x.Reasoning.GetText())
		case *inferencev1.ContentPart_Image:
			tokens += imageTokenEstimate
		case *inferencev1.ContentPart_File:
			chars += int64(len(x.File.GetData()))
		case *inferencev1.ContentPart_ToolResult:
			c, t := partsSize(x.ToolResult.GetContent())
			chars, tokens = chars+c, tokens+t
		}
	}
	return chars, tokens
}

func runes(s string) int64 { return int64(utf8.RuneCountInString(s)) }

// EncodeCountTokensResponse writes the :countTokens answer,
// {"totalTokens": N}.
func EncodeCountTokensResponse(totalTokens int64) []byte {
	b := make([]byte, 0, 32)
	b = append(b, `{"totalTokens":`...)
	b = strconv.AppendInt(b, totalTokens, 10)
	return append(b, '}')
}
