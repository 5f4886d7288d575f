package router

import (
	"strings"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

// assembler rebuilds one complete answer from streamed chunks, so an
// inference table stores a streamed response as one body, the way the
// client would have received it unstreamed.
type assembler struct {
	id, model string
	created   int64
	usage     *inferencev1.Usage
	choices   []*choiceBuilder
}

type choiceBuilder struct {
	text, reasoning strings.Builder
	calls           []*inferencev1.ToolCall
	args            []strings.Builder
	finish          inferencev1.FinishReason
	providerFinish  string
}

func (a *assembler) add(c *inferencev1.ChatChunk) {
	if a.id == "" {
		a.id, a.model, a.created = c.GetId(), c.GetModel(), c.GetCreated()
	}
	if c.GetUsage() != nil {
		a.usage = c.GetUsage()
	}
	for _, d := range c.GetDeltas() {
		for int(d.GetIndex()) >= len(a.choices) {
			a.choices = append(a.choices, &choiceBuilder{})
		}
		b := a.choices[d.GetIndex()]
		b.text.WriteString(d.GetText())
		b.reasoning.WriteString(d.GetReasoning())
		for _, tc := range d.GetToolCalls() {
			for int(tc.GetIndex()) >= len(b.calls) {
				b.calls = append(b.calls, &inferencev1.ToolCall{})
				b.args = append(b.args, strings.Builder{})
			}
			call := b.calls[tc.GetIndex()]
			if tc.GetId() != "" {
				call.Id = tc.GetId()
			}
			if tc.GetName() != "" {
				call.Name = tc.GetName()
			}
			if tc.GetSignature() != "" {
				call.Signature = tc.GetSignature()
			}
			b.args[tc.GetIndex()].WriteString(tc.GetArgumentsJson())
		}
		if d.GetFinishReason() != inferencev1.FinishReason_FINISH_REASON_UNSPECIFIED {
			b.finish, b.providerFinish = d.GetFinishReason(), d.GetProviderFinishReason()
		}
	}
}

func (a *assembler) response() *inferencev1.ChatResponse {
	r := &inferencev1.ChatResponse{Id: a.id, Model: a.model, Created: a.created, Usage: a.usage}
	for i, b := range a.choices {
		msg := &inferencev1.Message{Role: inferencev1.Role_ROLE_ASSISTANT}
		if b.reasoning.Len() > 0 {
			msg.Content = append(msg.Content, &inferencev1.ContentPart{Part: &inferencev1.ContentPart_Reasoning{
				Reasoning: &inferencev1.ReasoningPart{Text: b.reasoning.String()}}})
		}
		if b.text.Len() > 0 || len(b.calls) == 0 {
			msg.Content = append(msg.Content, &inferencev1.ContentPart{Part: &inferencev1.ContentPart_Text{Text: b.text.String()}})
		}
		for j, call := range b.calls {
			call.ArgumentsJson = b.args[j].String()
			msg.ToolCalls = append(msg.ToolCalls, call)
		}
		r.Choices = append(r.Choices, &inferencev1.Choice{Index: int32(i), Message: msg,
			FinishReason: b.finish, ProviderFinishReason: b.providerFinish})
	}
	return r
}
