// Package estimate guesses a request's prompt tokens when no provider can
// count them (a count_tokens call served by a provider of another dialect).
// It is an estimate, not a tokenizer; real counts differ by model.
package estimate

import (
	"unicode/utf8"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

// charsPerToken is English text's and JSON's average, about four
// characters a token.
const charsPerToken = 4

// InputTokens is about one token per four characters of text, tool
// definitions, tool calls and results, plus perMessage tokens for each
// message's role and turn markers and perImage tokens for each image: the
// two fixed costs are what tell one vendor's count from another's.
func InputTokens(r *inferencev1.ChatRequest, perMessage, perImage int64) int64 {
	var chars, extra int64
	for _, m := range r.GetMessages() {
		extra += perMessage
		c, x := partsSize(m.GetContent(), perImage)
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

// partsSize is the characters of text in parts and the fixed token cost of
// their images.
func partsSize(parts []*inferencev1.ContentPart, perImage int64) (chars, tokens int64) {
	for _, p := range parts {
		switch x := p.GetPart().(type) {
		case *inferencev1.ContentPart_Text:
			chars += runes(x.Text)
		case *inferencev1.ContentPart_Reasoning:
			chars += runes(x.Reasoning.GetText())
		case *inferencev1.ContentPart_Image:
			tokens += perImage
		case *inferencev1.ContentPart_File:
			chars += int64(len(x.File.GetData()))
		case *inferencev1.ContentPart_ToolResult:
			c, t := partsSize(x.ToolResult.GetContent(), perImage)
			chars, tokens = chars+c, tokens+t
		}
	}
	return chars, tokens
}

func runes(s string) int64 { return int64(utf8.RuneCountInString(s)) }
