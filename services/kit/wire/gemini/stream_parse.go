package gemini

import (
	"encoding/json"
	"fmt"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

// StreamParser turns a Gemini stream (:streamGenerateContent?alt=sse, whose
// events are unnamed data frames each holding a partial
// GenerateContentResponse) into canonical chunks. It tracks what the stream
// has said so far: the response id and model, which candidates have
// started, how many function calls each has made (calls are numbered 0, 1,
// … per candidate), whether thinking is open, and the usage, which Gemini
// repeats on every chunk and completes on the last.
// A StreamParser reads one stream and is not safe for concurrent use.
type StreamParser struct {
	id, model  string
	candidates []candidateState
	usage      *inferencev1.Usage
	finished   bool
}

type candidateState struct {
	index        int32
	calls        int32
	thinkingOpen bool // thought text came since the last signature
}

// NewStreamParser starts parsing one stream.
func NewStreamParser() *StreamParser { return &StreamParser{} }

// maxCandidates bounds the candidates a stream may open, so a hostile
// stream cannot make the parser grow without limit.
const maxCandidates = 64

// Parse reads one event (Gemini names none, so event is usually "") and
// returns exactly one chunk: Raw is data (not copied: the caller must not
// reuse data's memory), RawDialect Gemini and RawEvent event, so
// same-dialect clients get every frame unchanged. Its canonical fields say
// what the frame adds: the role (first frame of a candidate), text, thought
// text as reasoning, a thought signature as the reasoning signature (and on
// a function call as the call's signature), function calls whole (id, name
// and complete arguments in one delta), the finish reason (TOOL_CALLS for
// Gemini's STOP after calls), and Error for an error frame. Usage is set on
// the chunk that finishes the stream (and on any later one that reports
// usage); Gemini's counts are cumulative, so each report replaces the last.
// Empty data yields no chunk.
func (p *StreamParser) Parse(event string, data []byte) ([]*inferencev1.ChatChunk, error) {
	if len(data) == 0 {
		return nil, nil
	}
	var w GenerateContentResponse
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotResponse, err)
	}
	c := &inferencev1.ChatChunk{Raw: data, RawDialect: inferencev1.Dialect_DIALECT_GEMINI, RawEvent: event}
	if w.Error != nil {
		c.Error = streamError(w.Error)
		c.Id, c.Model = p.id, p.model
		return []*inferencev1.ChatChunk{c}, nil
	}
	if w.ResponseID != "" {
		p.id = w.ResponseID
	}
	if w.ModelVersion != "" {
		p.model = w.ModelVersion
	}
	c.Id, c.Model = p.id, p.model
	finishes := false
	for ci := range w.Candidates {
		cand := &w.Candidates[ci]
		st, err := p.candidate(cand.Index)
		if err != nil {
			return nil, err
		}
		d := &inferencev1.ChoiceDelta{Index: cand.Index}
		if isNewCandidate(st) {
			d.Role = inferencev1.Role_ROLE_ASSISTANT
		}
		st.started()
		if cand.Content != nil {
			for pi := range cand.Content.Parts {
				p.addPart(d, st, &cand.Content.Parts[pi])
			}
		}
		if cand.FinishReason != "" {
			finishes = true
			d.ProviderFinishReason = cand.FinishReason
			d.FinishReason = ParseFinishReason(cand.FinishReason)
			if d.FinishReason == inferencev1.FinishReason_FINISH_REASON_STOP && st.calls > 0 {
				d.FinishReason = inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS
			}
		}
		c.Deltas = append(c.Deltas, d)
	}
	if len(w.Candidates) == 0 && w.PromptFeedback != nil && w.PromptFeedback.BlockReason != "" {
		finishes = true
		c.Deltas = append(c.Deltas, &inferencev1.ChoiceDelta{
			Role:                 inferencev1.Role_ROLE_ASSISTANT,
			FinishReason:         inferencev1.FinishReason_FINISH_REASON_CONTENT_FILTER,
			ProviderFinishReason: w.PromptFeedback.BlockReason,
		})
	}
	if u := usageFromWire(w.UsageMetadata); u != nil {
		p.usage = u
		if finishes || p.finished {
			c.Usage = u
		}
	}
	p.finished = p.finished || finishes
	return []*inferencev1.ChatChunk{c}, nil
}

// candidate returns the state of candidate index, adding it on first sight.
func (p *StreamParser) candidate(index int32) (*candidateState, error) {
	for i := range p.candidates {
		if p.candidates[i].index == index {
			return &p.candidates[i], nil
		}
	}
	if len(p.candidates) >= maxCandidates || index < 0 {
		return nil, fmt.Errorf("%w: candidate index %d out of range", ErrNotResponse, index)
	}
	p.candidates = append(p.candidates, candidateState{index: index, calls: -1})
	return &p.candidates[len(p.candidates)-1], nil
}

// A candidate's calls count starts at -1 until its first frame, which is
// how the parser knows to send the role once.
func isNewCandidate(st *candidateState) bool { return st.calls < 0 }

func (st *candidateState) started() {
	if st.calls < 0 {
		st.calls = 0
	}
}

func (p *StreamParser) addPart(d *inferencev1.ChoiceDelta, st *candidateState, part *Part) {
	sig := part.ThoughtSignature
	switch {
	case part.FunctionCall != nil:
		fc := part.FunctionCall
		tc := &inferencev1.ToolCallDelta{Index: st.calls, Id: fc.ID, Name: fc.Name,
			ArgumentsJson: argsText(fc.Args), Signature: sig}
		if tc.Id == "" {
			tc.Id = responseCallID(p.id, int(st.calls))
		}
		st.calls++
		d.ToolCalls = append(d.ToolCalls, tc)
		if sig != "" && st.thinkingOpen {
			// The call's signature also signs the thinking shown before it.
			d.ReasoningSignature = sig
			st.thinkingOpen = false
		}
		return
	case part.Text != nil && part.Thought:
		d.Reasoning += *part.Text
		st.thinkingOpen = *part.Text != "" || st.thinkingOpen
	case part.Text != nil:
		d.Text += *part.Text
	}
	if sig != "" {
		d.ReasoningSignature = sig
		st.thinkingOpen = false
	}
}

// Usage is the usage reported so far in canonical form, nil before any:
// what to meter when a stream breaks before its last chunk.
func (p *StreamParser) Usage() *inferencev1.Usage { return p.usage }

// streamError converts an error frame; quota, overload, internal errors and
// timeouts are retryable.
func streamError(e *ErrorDetail) *inferencev1.StreamError {
	out := &inferencev1.StreamError{Code: e.Status, Message: e.Message}
	if out.Code == "" {
		out.Code = statusName(e.Code)
	}
	if out.Message == "" {
		out.Message = "the provider reported " + out.Code
	}
	out.Retryable = isRetryableStatus(out.Code, e.Code)
	return out
}
