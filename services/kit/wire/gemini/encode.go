package gemini

import (
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"strconv"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

// EncodeResponse writes a canonical response as a Gemini
// GenerateContentResponse, with model as the modelVersion the client sees.
// Each choice is a candidate: reasoning as thought parts, text, inline
// media, then tool calls as functionCall parts (args an object, the call id
// and signature kept). A reasoning signature rides on the part after the
// thinking, where Gemini puts it. Tool calls whose arguments are not a JSON
// object cannot be written as a functionCall: they are left out and the
// candidate finishes with MALFORMED_FUNCTION_CALL, as Gemini reports it.
func EncodeResponse(r *inferencev1.ChatResponse, model string) []byte {
	b := make([]byte, 0, 320+responseSize(r))
	b = append(b, `{"candidates":[`...)
	for i, c := range r.GetChoices() {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendCandidate(b, c)
	}
	b = append(b, ']')
	if u := r.GetUsage(); u != nil {
		b = append(b, `,"usageMetadata":`...)
		b = appendUsageMetadata(b, u)
	}
	b = append(b, `,"modelVersion":`...)
	b = jsonx.AppendString(b, model)
	b = append(b, `,"responseId":`...)
	b = jsonx.AppendString(b, idOrNew(r.GetId()))
	return append(b, '}')
}

func responseSize(r *inferencev1.ChatResponse) int {
	n := 0
	for _, c := range r.GetChoices() {
		for _, p := range c.GetMessage().GetContent() {
			n += len(p.GetText()) + len(p.GetReasoning().GetText()) + 4*len(p.GetImage().GetData())/3
		}
		for _, tc := range c.GetMessage().GetToolCalls() {
			n += 64 + len(tc.GetArgumentsJson()) + len(tc.GetSignature())
		}
	}
	return n
}

func appendCandidate(b []byte, c *inferencev1.Choice) []byte {
	msg := c.GetMessage()
	b = append(b, `{"content":{"parts":[`...)
	var w partWriter
	for _, p := range msg.GetContent() {
		switch x := p.GetPart().(type) {
		case *inferencev1.ContentPart_Reasoning:
			if t := x.Reasoning.GetText(); t != "" {
				b = w.thought(b, t)
			}
			if sig := x.Reasoning.GetSignature(); sig != "" {
				w.pendingSignature = sig
			}
		case *inferencev1.ContentPart_Text:
			b = w.text(b, x.Text)
		case *inferencev1.ContentPart_Image:
			if len(x.Image.GetData()) > 0 {
				b = w.inlineData(b, x.Image.GetMediaType(), x.Image.GetData())
			}
		}
	}
	malformed := false
	for _, tc := range msg.GetToolCalls() {
		var ok bool
		if b, ok = w.functionCall(b, tc.GetId(), tc.GetName(), tc.GetArgumentsJson(), tc.GetSignature()); !ok {
			malformed = true
		}
	}
	b = w.finish(b, true)
	b = append(b, `],"role":"model"},"finishReason":`...)
	reason := finishReasonName(c.GetFinishReason(), c.GetProviderFinishReason())
	if malformed {
		reason = "MALFORMED_FUNCTION_CALL"
	}
	b = jsonx.AppendString(b, reason)
	b = append(b, `,"index":`...)
	b = strconv.AppendInt(b, int64(c.GetIndex()), 10)
	return append(b, '}')
}

// partWriter writes the parts of one content, carrying a thought signature
// from the thinking it ends to the next part written.
type partWriter struct {
	n                int
	pendingSignature string
}

func (w *partWriter) open(b []byte) []byte {
	if w.n > 0 {
		b = append(b, ',')
	}
	w.n++
	return append(b, '{')
}

// close ends a part, with the pending signature when one is waiting.
func (w *partWriter) close(b []byte, signature string) []byte {
	if signature == "" {
		signature, w.pendingSignature = w.pendingSignature, ""
	} else {
		w.pendingSignature = ""
	}
	if signature != "" {
		b = append(b, `,"thoughtSignature":`...)
		b = jsonx.AppendString(b, signature)
	}
	return append(b, '}')
}

func (w *partWriter) text(b []byte, text string) []byte {
	b = w.open(b)
	b = append(b, `"text":`...)
	b = jsonx.AppendString(b, text)
	return w.close(b, "")
}

func (w *partWriter) thought(b []byte, text string) []byte {
	b = w.open(b)
	b = append(b, `"text":`...)
	b = jsonx.AppendString(b, text)
	return append(b, `,"thought":true}`...)
}

func (w *partWriter) inlineData(b []byte, mediaType string, data []byte) []byte {
	b = w.open(b)
	b = append(b, `"inlineData":{"mimeType":`...)
	b = jsonx.AppendString(b, mediaType)
	b = append(b, `,"data":"`...)
	b = base64.StdEncoding.AppendEncode(b, data)
	b = append(b, `"}`...)
	return w.close(b, "")
}

// functionCall writes a functionCall part; ok is false (and nothing is
// written) when args is not a JSON object.
func (w *partWriter) functionCall(b []byte, id, name, args, signature string) ([]byte, bool) {
	if args == "" {
		args = "{}"
	} else if !isJSONObject(args) {
		return b, false
	}
	b = w.open(b)
	b = append(b, `"functionCall":{`...)
	if id != "" {
		b = append(b, `"id":`...)
		b = jsonx.AppendString(b, id)
		b = append(b, ',')
	}
	b = append(b, `"name":`...)
	b = jsonx.AppendString(b, name)
	b = append(b, `,"args":`...)
	b = append(b, args...)
	b = append(b, '}')
	return w.close(b, signature), true
}

// finish writes what a content still owes: the waiting signature on an
// empty text part, and, when nonEmpty asks for it and nothing was written,
// an empty text part (clients read a candidate without parts as an empty
// answer and retry).
func (w *partWriter) finish(b []byte, nonEmpty bool) []byte {
	if w.pendingSignature != "" || nonEmpty && w.n == 0 {
		b = w.text(b, "")
	}
	return b
}

// finishReasonName is Gemini's finish reason for a canonical one: the
// provider's own word when it already is a Gemini reason that means the
// same, otherwise the closest (tool calls finish with STOP in Gemini).
func finishReasonName(fr inferencev1.FinishReason, provider string) string {
	if ParseFinishReason(provider) == fr && fr != inferencev1.FinishReason_FINISH_REASON_UNSPECIFIED && isGeminiFinishReason(provider) {
		return provider
	}
	switch fr {
	case inferencev1.FinishReason_FINISH_REASON_LENGTH:
		return "MAX_TOKENS"
	case inferencev1.FinishReason_FINISH_REASON_CONTENT_FILTER:
		return "SAFETY"
	case inferencev1.FinishReason_FINISH_REASON_ERROR:
		return "OTHER"
	}
	return "STOP"
}

// appendUsageMetadata writes canonical usage as Gemini counts it:
// candidatesTokenCount without thinking, which is thoughtsTokenCount.
func appendUsageMetadata(b []byte, u *inferencev1.Usage) []byte {
	reasoning := u.GetReasoningTokens()
	candidates := u.GetOutputTokens() - reasoning
	if candidates < 0 {
		candidates = 0
	}
	total := u.GetTotalTokens()
	if total == 0 {
		total = u.GetInputTokens() + u.GetOutputTokens()
	}
	b = append(b, `{"promptTokenCount":`...)
	b = strconv.AppendInt(b, u.GetInputTokens(), 10)
	b = append(b, `,"candidatesTokenCount":`...)
	b = strconv.AppendInt(b, candidates, 10)
	b = append(b, `,"totalTokenCount":`...)
	b = strconv.AppendInt(b, total, 10)
	if c := u.GetCacheReadInputTokens(); c > 0 {
		b = append(b, `,"cachedContentTokenCount":`...)
		b = strconv.AppendInt(b, c, 10)
	}
	if reasoning > 0 {
		b = append(b, `,"thoughtsTokenCount":`...)
		b = strconv.AppendInt(b, reasoning, 10)
	}
	return append(b, '}')
}

// idOrNew returns id, or a new random response id like Gemini's (24 hex
// digits) when the provider gave none.
func idOrNew(id string) string {
	if id != "" {
		return id
	}
	var raw [12]byte
	_, _ = rand.Read(raw[:])
	return hex.EncodeToString(raw[:])
}
