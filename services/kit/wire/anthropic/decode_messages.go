package anthropic

import (
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

	"encoding/base64"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

// decodeSystem reads the top-level system prompt, a string or an array of
// text blocks, as one ROLE_SYSTEM message (nil when it is empty). Each
// block stays its own part so its cache_control survives.
func decodeSystem(v []byte) (*inferencev1.Message, error) {
	if v[0] == '"' {
		s, err := jsonx.ReadString(v)
		if err != nil || s == "" {
			return nil, err
		}
		return &inferencev1.Message{Role: inferencev1.Role_ROLE_SYSTEM, Content: []*inferencev1.ContentPart{textPart(s)}}, nil
	}
	msg := &inferencev1.Message{Role: inferencev1.Role_ROLE_SYSTEM}
	_, err := jsonx.ScanArray(v, 0, func(i, start, end int) error {
		p, err := decodeTextBlock(v[start:end])
		if err != nil {
			return jsonx.InIndex(i, err)
		}
		msg.Content = append(msg.Content, p)
		return nil
	})
	if err == jsonx.ErrNotArray {
		return nil, &jsonx.TypeError{Want: "a string or an array of text blocks"}
	}
	if err != nil || len(msg.Content) == 0 {
		return nil, err
	}
	return msg, nil
}

var textBlockKeys = []string{"type", "text", "cache_control"}

// decodeTextBlock reads a block that must be of type text.
func decodeTextBlock(v []byte) (*inferencev1.ContentPart, error) {
	var m [3][]byte
	if err := jsonx.ReadObjectMembers(v, textBlockKeys, m[:]); err != nil {
		return nil, err
	}
	typ, err := requiredString(m[0], "type")
	if err != nil {
		return nil, err
	}
	if typ != "text" {
		return nil, jsonx.InField("type", jsonx.BadValue("must be text"))
	}
	return textFromMembers(m[1], m[2])
}

func textFromMembers(text, cacheControl []byte) (*inferencev1.ContentPart, error) {
	s, err := requiredString(text, "text")
	if err != nil {
		return nil, err
	}
	p := textPart(s)
	if jsonx.Present(cacheControl) {
		if p.CacheControlJson, err = readObjectJSON(cacheControl); err != nil {
			return nil, jsonx.InField("cache_control", err)
		}
	}
	return p, nil
}

func textPart(s string) *inferencev1.ContentPart {
	return &inferencev1.ContentPart{Part: &inferencev1.ContentPart_Text{Text: s}}
}

// requiredString reads a member that must be a present string.
func requiredString(v []byte, name string) (string, error) {
	if !jsonx.Present(v) {
		return "", jsonx.InField(name, jsonx.ErrRequired)
	}
	s, err := jsonx.ReadString(v)
	if err != nil {
		return "", jsonx.InField(name, err)
	}
	return s, nil
}

// readObjectJSON returns an object value as JSON text.
func readObjectJSON(v []byte) (string, error) {
	if v[0] != '{' {
		return "", jsonx.ErrNotObject
	}
	return jsonx.ValidUTF8(v), nil
}

func decodeMessages(v []byte, out []*inferencev1.Message) ([]*inferencev1.Message, error) {
	n := 0
	_, err := jsonx.ScanArray(v, 0, func(i, start, end int) error {
		m, err := decodeMessage(v[start:end])
		if err != nil {
			return jsonx.InIndex(i, err)
		}
		out = append(out, m)
		n++
		return nil
	})
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, jsonx.BadValue("must contain at least one message")
	}
	return out, nil
}

var messageRoles = map[string]inferencev1.Role{
	"user":      inferencev1.Role_ROLE_USER,
	"assistant": inferencev1.Role_ROLE_ASSISTANT,
	// Claude Code sends mid-conversation system messages (a beta).
	"system": inferencev1.Role_ROLE_SYSTEM,
}

func decodeMessage(v []byte) (*inferencev1.Message, error) {
	var m [2][]byte
	if err := jsonx.ReadObjectMembers(v, []string{"role", "content"}, m[:]); err != nil {
		return nil, err
	}
	roleName, err := requiredString(m[0], "role")
	if err != nil {
		return nil, err
	}
	role, ok := messageRoles[roleName]
	if !ok {
		return nil, jsonx.InField("role", jsonx.BadValue("must be user, assistant or system"))
	}
	msg := &inferencev1.Message{Role: role}
	if !jsonx.Present(m[1]) {
		return nil, jsonx.InField("content", jsonx.ErrRequired)
	}
	if err := decodeContent(m[1], msg); err != nil {
		return nil, jsonx.InField("content", err)
	}
	return msg, nil
}

// decodeContent reads a string or an array of content blocks into msg:
// tool_use blocks become msg.ToolCalls, everything else content parts.
func decodeContent(v []byte, msg *inferencev1.Message) error {
	if v[0] == '"' {
		s, err := jsonx.ReadString(v)
		if err != nil {
			return err
		}
		msg.Content = []*inferencev1.ContentPart{textPart(s)}
		return nil
	}
	_, err := jsonx.ScanArray(v, 0, func(i, start, end int) error {
		if err := decodeBlock(v[start:end], msg); err != nil {
			return jsonx.InIndex(i, err)
		}
		return nil
	})
	if err == jsonx.ErrNotArray {
		return &jsonx.TypeError{Want: "a string or an array of content blocks"}
	}
	return err
}

// blockKeys are the members of every content block type the decoder reads.
var blockKeys = []string{
	"type", "text", "cache_control", "source", "title", // 0-4
	"id", "name", "input", // 5-7: tool_use
	"tool_use_id", "content", "is_error", // 8-10: tool_result
	"thinking", "signature", "data", // 11-13: thinking, redacted_thinking
}

const (
	bType = iota
	bText
	bCacheControl
	bSource
	bTitle
	bID
	bName
	bInput
	bToolUseID
	bContent
	bIsError
	bThinking
	bSignature
	bData
	bCount
)

func decodeBlock(v []byte, msg *inferencev1.Message) error {
	var m [bCount][]byte
	if err := jsonx.ReadObjectMembers(v, blockKeys, m[:]); err != nil {
		return err
	}
	typ, err := requiredString(m[bType], "type")
	if err != nil {
		return err
	}
	assistant := msg.Role == inferencev1.Role_ROLE_ASSISTANT
	var p *inferencev1.ContentPart
	switch typ {
	case "text":
		p, err = textFromMembers(m[bText], m[bCacheControl])
	case "image":
		p, err = decodeImageBlock(m[bSource])
	case "document":
		p, err = decodeDocumentBlock(m[bSource], m[bTitle])
	case "tool_result":
		if assistant {
			return jsonx.InField("type", jsonx.BadValue("tool_result is only allowed in user messages"))
		}
		p, err = decodeToolResult(&m)
	case "tool_use":
		if !assistant {
			return jsonx.InField("type", jsonx.BadValue("tool_use is only allowed in assistant messages"))
		}
		tc, err := decodeToolUse(&m)
		if err != nil {
			return err
		}
		msg.ToolCalls = append(msg.ToolCalls, tc)
		return nil
	case "thinking":
		p, err = decodeThinkingBlock(m[bThinking], m[bSignature])
	case "redacted_thinking":
		data, err := requiredString(m[bData], "data")
		if err != nil {
			return err
		}
		p = &inferencev1.ContentPart{Part: &inferencev1.ContentPart_Reasoning{
			Reasoning: &inferencev1.ReasoningPart{EncryptedContent: data}}}
	default:
		// Server tool blocks, search results, container uploads: no
		// canonical form (see DecodeRequest).
		return nil
	}
	if err != nil || p == nil {
		return err
	}
	if p.CacheControlJson == "" && jsonx.Present(m[bCacheControl]) {
		if p.CacheControlJson, err = readObjectJSON(m[bCacheControl]); err != nil {
			return jsonx.InField("cache_control", err)
		}
	}
	msg.Content = append(msg.Content, p)
	return nil
}

func decodeThinkingBlock(thinking, signature []byte) (*inferencev1.ContentPart, error) {
	text, err := requiredString(thinking, "thinking")
	if err != nil {
		return nil, err
	}
	r := &inferencev1.ReasoningPart{Text: text}
	if jsonx.Present(signature) {
		if r.Signature, err = jsonx.ReadString(signature); err != nil {
			return nil, jsonx.InField("signature", err)
		}
	}
	return &inferencev1.ContentPart{Part: &inferencev1.ContentPart_Reasoning{Reasoning: r}}, nil
}

func decodeToolUse(m *[bCount][]byte) (*inferencev1.ToolCall, error) {
	id, err := requiredString(m[bID], "id")
	if err != nil {
		return nil, err
	}
	name, err := requiredString(m[bName], "name")
	if err != nil {
		return nil, err
	}
	tc := &inferencev1.ToolCall{Id: id, Name: name, ArgumentsJson: "{}"}
	if jsonx.Present(m[bInput]) {
		if tc.ArgumentsJson, err = readObjectJSON(m[bInput]); err != nil {
			return nil, jsonx.InField("input", err)
		}
	}
	return tc, nil
}

func decodeToolResult(m *[bCount][]byte) (*inferencev1.ContentPart, error) {
	id, err := requiredString(m[bToolUseID], "tool_use_id")
	if err != nil {
		return nil, err
	}
	tr := &inferencev1.ToolResult{ToolCallId: id}
	if jsonx.Present(m[bIsError]) {
		if tr.IsError, err = jsonx.ReadBool(m[bIsError]); err != nil {
			return nil, jsonx.InField("is_error", err)
		}
	}
	if jsonx.Present(m[bContent]) {
		if tr.Content, err = decodeToolResultContent(m[bContent]); err != nil {
			return nil, jsonx.InField("content", err)
		}
	}
	return &inferencev1.ContentPart{Part: &inferencev1.ContentPart_ToolResult{ToolResult: tr}}, nil
}

// decodeToolResultContent reads a tool result's string or block array.
// Blocks are read like user content; tool_use and tool_result cannot nest.
func decodeToolResultContent(v []byte) ([]*inferencev1.ContentPart, error) {
	inner := &inferencev1.Message{Role: inferencev1.Role_ROLE_TOOL}
	var err error
	if v[0] == '"' {
		err = decodeContent(v, inner)
	} else {
		_, err = jsonx.ScanArray(v, 0, func(i, start, end int) error {
			var typ [1][]byte
			if err := jsonx.ReadObjectMembers(v[start:end], []string{"type"}, typ[:]); err != nil {
				return jsonx.InIndex(i, err)
			}
			if string(typ[0]) == `"tool_result"` || string(typ[0]) == `"tool_use"` {
				return jsonx.InIndex(i, jsonx.InField("type", jsonx.BadValue("cannot be nested in a tool_result")))
			}
			if err := decodeBlock(v[start:end], inner); err != nil {
				return jsonx.InIndex(i, err)
			}
			return nil
		})
		if err == jsonx.ErrNotArray {
			err = &jsonx.TypeError{Want: "a string or an array of content blocks"}
		}
	}
	return inner.Content, err
}

var sourceKeys = []string{"type", "media_type", "data", "url", "file_id"}

const (
	sType = iota
	sMediaType
	sData
	sURL
	sFileID
	sCount
)

// decodeImageBlock reads an image's source. Inline base64 data becomes a
// data: URL (what OpenAI-style providers take) with MediaType set, without
// decoding the payload: images are large and the provider validates them.
func decodeImageBlock(source []byte) (*inferencev1.ContentPart, error) {
	var s [sCount][]byte
	typ, err := readSource(source, &s)
	if err != nil {
		return nil, err
	}
	img := &inferencev1.Image{}
	switch typ {
	case "base64":
		if img.MediaType, err = requiredString(s[sMediaType], "media_type"); err != nil {
			return nil, jsonx.InField("source", err)
		}
		data, err := requiredString(s[sData], "data")
		if err != nil {
			return nil, jsonx.InField("source", err)
		}
		img.Url = "data:" + img.MediaType + ";base64," + data
	case "url":
		if img.Url, err = requiredString(s[sURL], "url"); err != nil {
			return nil, jsonx.InField("source", err)
		}
	case "file":
		f, err := fileIDSource(&s)
		if err != nil {
			return nil, err
		}
		return &inferencev1.ContentPart{Part: &inferencev1.ContentPart_File{File: f}}, nil
	default:
		return nil, jsonx.InField("source", jsonx.InField("type", jsonx.BadValue("must be base64, url or file")))
	}
	return &inferencev1.ContentPart{Part: &inferencev1.ContentPart_Image{Image: img}}, nil
}

// decodeDocumentBlock reads a document: base64 (PDF) and text sources
// become inline file data, url and file sources references. A document
// whose source is a content array has no canonical form and is skipped.
func decodeDocumentBlock(source, title []byte) (*inferencev1.ContentPart, error) {
	var s [sCount][]byte
	typ, err := readSource(source, &s)
	if err != nil {
		return nil, err
	}
	f := &inferencev1.File{}
	switch typ {
	case "base64":
		if f.MediaType, err = requiredString(s[sMediaType], "media_type"); err != nil {
			return nil, jsonx.InField("source", err)
		}
		data, err := requiredString(s[sData], "data")
		if err != nil {
			return nil, jsonx.InField("source", err)
		}
		if f.Data, err = base64.StdEncoding.DecodeString(data); err != nil {
			return nil, jsonx.InField("source", jsonx.InField("data", jsonx.BadValue("must be base64")))
		}
	case "text":
		data, err := requiredString(s[sData], "data")
		if err != nil {
			return nil, jsonx.InField("source", err)
		}
		f.Data, f.MediaType = []byte(data), "text/plain"
	case "url":
		if f.Url, err = requiredString(s[sURL], "url"); err != nil {
			return nil, jsonx.InField("source", err)
		}
	case "file":
		if f, err = fileIDSource(&s); err != nil {
			return nil, err
		}
	case "content":
		return nil, nil
	default:
		return nil, jsonx.InField("source", jsonx.InField("type", jsonx.BadValue("must be base64, text, url, content or file")))
	}
	if jsonx.Present(title) {
		if f.Filename, err = jsonx.ReadString(title); err != nil {
			return nil, jsonx.InField("title", err)
		}
	}
	return &inferencev1.ContentPart{Part: &inferencev1.ContentPart_File{File: f}}, nil
}

func readSource(source []byte, s *[sCount][]byte) (string, error) {
	if !jsonx.Present(source) {
		return "", jsonx.InField("source", jsonx.ErrRequired)
	}
	if err := jsonx.ReadObjectMembers(source, sourceKeys, s[:]); err != nil {
		return "", jsonx.InField("source", err)
	}
	typ, err := requiredString(s[sType], "type")
	if err != nil {
		return "", jsonx.InField("source", err)
	}
	return typ, nil
}

func fileIDSource(s *[sCount][]byte) (*inferencev1.File, error) {
	id, err := requiredString(s[sFileID], "file_id")
	if err != nil {
		return nil, jsonx.InField("source", err)
	}
	return &inferencev1.File{FileId: id}, nil
}
