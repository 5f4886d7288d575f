package anthropic

import (
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
)

// buildMessages splits canonical messages into the top-level system prompt
// and the user/assistant turns.
func buildMessages(msgs []*inferencev1.Message) ([]TextBlock, []Message, *errs.Error) {
	var system []TextBlock
	out := make([]Message, 0, len(msgs))
	for i, m := range msgs {
		at := "messages[" + strconv.Itoa(i) + "]"
		switch m.GetRole() {
		case inferencev1.Role_ROLE_SYSTEM, inferencev1.Role_ROLE_DEVELOPER:
			blocks, err := systemBlocks(m, at)
			if err != nil {
				return nil, nil, err
			}
			system = append(system, blocks...)
		case inferencev1.Role_ROLE_USER:
			blocks, err := userBlocks(m.GetContent(), at)
			if err != nil {
				return nil, nil, err
			}
			out = appendTurn(out, "user", blocks)
		case inferencev1.Role_ROLE_TOOL:
			content, err := toolResultContent(m.GetContent(), at)
			if err != nil {
				return nil, nil, err
			}
			out = appendTurn(out, "user", []ContentBlock{{Type: "tool_result", ToolUseID: m.GetToolCallId(), Content: content}})
		case inferencev1.Role_ROLE_ASSISTANT:
			blocks, err := assistantBlocks(m, at)
			if err != nil {
				return nil, nil, err
			}
			out = appendTurn(out, "assistant", blocks)
		default:
			return nil, nil, errs.Invalid(at+".role", "%s.role %v has no Anthropic equivalent", at, m.GetRole())
		}
	}
	return system, out, nil
}

// appendTurn adds blocks as a turn of role, merged into the previous turn
// when it has the same role: Anthropic wants the tool results answering
// one assistant turn in the single user turn after it, first in its
// content.
func appendTurn(out []Message, role string, blocks []ContentBlock) []Message {
	if len(blocks) == 0 {
		return out // Anthropic rejects empty turns
	}
	if n := len(out); n > 0 && out[n-1].Role == role {
		prev := &out[n-1]
		if blocks[0].Type == "tool_result" {
			at := 0
			for at < len(prev.Content) && prev.Content[at].Type == "tool_result" {
				at++
			}
			prev.Content = append(prev.Content[:at], append(blocks, prev.Content[at:]...)...)
			return out
		}
		prev.Content = append(prev.Content, blocks...)
		return out
	}
	return append(out, Message{Role: role, Content: blocks})
}

func systemBlocks(m *inferencev1.Message, at string) ([]TextBlock, *errs.Error) {
	var out []TextBlock
	for j, p := range m.GetContent() {
		x, ok := p.GetPart().(*inferencev1.ContentPart_Text)
		if !ok {
			field := at + ".content[" + strconv.Itoa(j) + "]"
			return nil, errs.Invalid(field, "%s: a system message can hold only text for an Anthropic model", field)
		}
		if x.Text == "" {
			continue
		}
		out = append(out, TextBlock{Type: "text", Text: x.Text, CacheControl: cacheControl(p)})
	}
	return out, nil
}

func cacheControl(p *inferencev1.ContentPart) json.RawMessage {
	if cc := p.GetCacheControlJson(); cc != "" && json.Valid([]byte(cc)) {
		return json.RawMessage(cc)
	}
	return nil
}

func textBlock(text string, p *inferencev1.ContentPart) ContentBlock {
	return ContentBlock{Type: "text", Text: &text, CacheControl: cacheControl(p)}
}

// userBlocks converts user content. Empty text parts are left out
// (Anthropic rejects empty text blocks) and so is reasoning, which only
// assistant turns carry.
func userBlocks(parts []*inferencev1.ContentPart, at string) ([]ContentBlock, *errs.Error) {
	out := make([]ContentBlock, 0, len(parts))
	for j, p := range parts {
		field := at + ".content[" + strconv.Itoa(j) + "]"
		switch x := p.GetPart().(type) {
		case *inferencev1.ContentPart_Text:
			if x.Text != "" {
				out = append(out, textBlock(x.Text, p))
			}
		case *inferencev1.ContentPart_Image:
			b, err := imageBlock(x.Image, field)
			if err != nil {
				return nil, err
			}
			b.CacheControl = cacheControl(p)
			out = append(out, b)
		case *inferencev1.ContentPart_File:
			b, err := documentBlock(x.File, field)
			if err != nil {
				return nil, err
			}
			b.CacheControl = cacheControl(p)
			out = append(out, b)
		case *inferencev1.ContentPart_Audio:
			return nil, errs.Invalid(field, "%s: an Anthropic model takes no audio input", field)
		case *inferencev1.ContentPart_ToolResult:
			content, err := toolResultContent(x.ToolResult.GetContent(), field)
			if err != nil {
				return nil, err
			}
			out = append(out, ContentBlock{Type: "tool_result", ToolUseID: x.ToolResult.GetToolCallId(),
				Content: content, IsError: x.ToolResult.GetIsError(), CacheControl: cacheControl(p)})
		}
	}
	// Anthropic wants tool results first in their user turn.
	for i := 1; i < len(out); i++ {
		if out[i].Type == "tool_result" && out[i-1].Type != "tool_result" {
			return moveToolResultsFirst(out), nil
		}
	}
	return out, nil
}

func moveToolResultsFirst(blocks []ContentBlock) []ContentBlock {
	out := make([]ContentBlock, 0, len(blocks))
	for _, b := range blocks {
		if b.Type == "tool_result" {
			out = append(out, b)
		}
	}
	for _, b := range blocks {
		if b.Type != "tool_result" {
			out = append(out, b)
		}
	}
	return out
}

// toolResultContent writes a tool result's content: one string when it is
// all text (the common case), otherwise text and image blocks; nil when
// empty.
func toolResultContent(parts []*inferencev1.ContentPart, at string) (json.RawMessage, *errs.Error) {
	allText, n := true, 0
	for _, p := range parts {
		if _, ok := p.GetPart().(*inferencev1.ContentPart_Text); !ok {
			allText = false
		}
		n += len(p.GetText())
	}
	if allText {
		if n == 0 {
			return nil, nil
		}
		var sb strings.Builder
		sb.Grow(n)
		for _, p := range parts {
			sb.WriteString(p.GetText())
		}
		return jsonx.AppendString(make([]byte, 0, n+16), sb.String()), nil
	}
	blocks, err := userBlocks(parts, at)
	if err != nil {
		return nil, err
	}
	for _, b := range blocks {
		if b.Type == "tool_result" {
			return nil, errs.Invalid(at, "%s: a tool result cannot contain another tool result", at)
		}
	}
	raw, jerr := json.Marshal(blocks)
	if jerr != nil {
		return nil, errs.Invalid(at, "%s: %v", at, jerr)
	}
	return raw, nil
}

func imageBlock(img *inferencev1.Image, field string) (ContentBlock, *errs.Error) {
	u := img.GetUrl()
	switch {
	case u == "" && len(img.GetData()) > 0:
		if img.GetMediaType() == "" {
			return ContentBlock{}, errs.Invalid(field, "%s: inline image data needs its media type", field)
		}
		return ContentBlock{Type: "image", Source: &Source{Type: "base64", MediaType: img.GetMediaType(),
			Data: base64.StdEncoding.EncodeToString(img.GetData())}}, nil
	case strings.HasPrefix(u, "data:"):
		mediaType, payload, ok := splitDataURL(u)
		if !ok {
			return ContentBlock{}, errs.Invalid(field, "%s: image data URL must be base64 (data:<type>;base64,…)", field)
		}
		return ContentBlock{Type: "image", Source: &Source{Type: "base64", MediaType: mediaType, Data: payload}}, nil
	case strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://"):
		return ContentBlock{Type: "image", Source: &Source{Type: "url", URL: u}}, nil
	}
	return ContentBlock{}, errs.Invalid(field, "%s: an Anthropic model takes images by http(s) URL or inline data", field)
}

// documentBlock converts a file: PDFs (and other binary media Anthropic
// reads as documents) inline as base64, plain text as a text source, URLs
// as url sources, images as image blocks. File ids are refused: they name
// an upload at the provider the client spoke to, not at Anthropic.
func documentBlock(f *inferencev1.File, field string) (ContentBlock, *errs.Error) {
	b := ContentBlock{Type: "document", Title: f.GetFilename()}
	mt := f.GetMediaType()
	switch {
	case len(f.GetData()) > 0 && strings.HasPrefix(mt, "image/"):
		return imageBlock(&inferencev1.Image{MediaType: mt, Data: f.GetData()}, field)
	case len(f.GetData()) > 0 && strings.HasPrefix(mt, "text/"):
		if !utf8.Valid(f.GetData()) {
			return ContentBlock{}, errs.Invalid(field, "%s: text document is not UTF-8", field)
		}
		b.Source = &Source{Type: "text", MediaType: "text/plain", Data: string(f.GetData())}
	case len(f.GetData()) > 0 && mt == "application/pdf":
		b.Source = &Source{Type: "base64", MediaType: mt, Data: base64.StdEncoding.EncodeToString(f.GetData())}
	case len(f.GetData()) > 0:
		return ContentBlock{}, errs.Invalid(field, "%s: an Anthropic model reads PDF, text and image files, not %q", field, mt)
	case f.GetUrl() != "":
		b.Source = &Source{Type: "url", URL: f.GetUrl()}
	case f.GetFileId() != "":
		return ContentBlock{}, errs.Invalid(field, "%s: file_id %q names an upload at another provider; send the file inline", field, f.GetFileId())
	default:
		return ContentBlock{}, errs.Invalid(field, "%s: the file has no data, URL or id", field)
	}
	return b, nil
}

// splitDataURL splits "data:<media type>;base64,<payload>".
func splitDataURL(u string) (mediaType, payload string, ok bool) {
	rest, found := strings.CutPrefix(u, "data:")
	if !found {
		return "", "", false
	}
	meta, payload, found := strings.Cut(rest, ",")
	if !found {
		return "", "", false
	}
	mediaType, isBase64 := strings.CutSuffix(meta, ";base64")
	return mediaType, payload, isBase64 && mediaType != ""
}

// assistantBlocks converts an assistant turn: signed reasoning as thinking
// blocks, text, then tool calls as tool_use blocks.
func assistantBlocks(m *inferencev1.Message, at string) ([]ContentBlock, *errs.Error) {
	out := make([]ContentBlock, 0, len(m.GetContent())+len(m.GetToolCalls()))
	for j, p := range m.GetContent() {
		switch x := p.GetPart().(type) {
		case *inferencev1.ContentPart_Text:
			if x.Text != "" {
				out = append(out, textBlock(x.Text, p))
			}
		case *inferencev1.ContentPart_Reasoning:
			r := x.Reasoning
			if r.GetText() != "" && r.GetSignature() != "" {
				text, sig := r.GetText(), r.GetSignature()
				out = append(out, ContentBlock{Type: "thinking", Thinking: &text, Signature: &sig})
			}
		default:
			field := at + ".content[" + strconv.Itoa(j) + "]"
			return nil, errs.Invalid(field, "%s: an Anthropic assistant turn can hold only text, thinking and tool calls", field)
		}
	}
	for j, tc := range m.GetToolCalls() {
		input, err := toolInput(tc.GetArgumentsJson())
		if err != nil {
			field := at + ".tool_calls[" + strconv.Itoa(j) + "].arguments"
			return nil, errs.Invalid(field, "%s must be a JSON object for an Anthropic model", field)
		}
		out = append(out, ContentBlock{Type: "tool_use", ID: tc.GetId(), Name: tc.GetName(), Input: input})
	}
	return out, nil
}

var emptyObject = json.RawMessage("{}")

func toolInput(args string) (json.RawMessage, error) {
	if strings.TrimSpace(args) == "" {
		return emptyObject, nil
	}
	if !isJSONObject(args) {
		return nil, jsonx.ErrNotObject
	}
	return json.RawMessage(args), nil
}
