package bedrock

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"path"
	"slices"
	"strconv"
	"strings"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
)

// buildMessages splits canonical messages into the system prompt and the
// user/assistant turns; toolBlocks collects the names of the tools the
// turns call (results carry no name), so tools can be defined for them.
func buildMessages(msgs []*inferencev1.Message, claude bool) ([]SystemBlock, []Message, map[string]bool, *errs.Error) {
	var system []SystemBlock
	out := make([]Message, 0, len(msgs))
	toolBlocks := map[string]bool{}
	for i, m := range msgs {
		at := "messages[" + strconv.Itoa(i) + "]"
		switch m.GetRole() {
		case inferencev1.Role_ROLE_SYSTEM, inferencev1.Role_ROLE_DEVELOPER:
			blocks, err := systemBlocks(m, at)
			if err != nil {
				return nil, nil, nil, err
			}
			system = append(system, blocks...)
		case inferencev1.Role_ROLE_USER:
			blocks, err := contentBlocks(m.GetContent(), at, toolBlocks)
			if err != nil {
				return nil, nil, nil, err
			}
			out = appendTurn(out, "user", blocks)
		case inferencev1.Role_ROLE_TOOL:
			tr, err := toolResultBlock(m.GetToolCallId(), m.GetContent(), false, at)
			if err != nil {
				return nil, nil, nil, err
			}
			toolBlocks[""] = true
			out = appendTurn(out, "user", []ContentBlock{{ToolResult: tr}})
		case inferencev1.Role_ROLE_ASSISTANT:
			blocks, err := assistantBlocks(m, at, claude, toolBlocks)
			if err != nil {
				return nil, nil, nil, err
			}
			out = appendTurn(out, "assistant", blocks)
		default:
			return nil, nil, nil, errs.Invalid(at+".role", "%s.role %v has no Bedrock Converse equivalent", at, m.GetRole())
		}
	}
	return system, out, toolBlocks, nil
}

// appendTurn adds blocks as a turn of role, merged into the previous turn
// when it has the same role, with tool results first in a user turn (as
// Claude requires of the turn answering a tool call).
func appendTurn(out []Message, role string, blocks []ContentBlock) []Message {
	if len(blocks) == 0 {
		return out // Converse rejects empty turns
	}
	if n := len(out); n > 0 && out[n-1].Role == role {
		prev := &out[n-1]
		prev.Content = append(prev.Content, blocks...)
		if role == "user" {
			prev.Content = toolResultsFirst(prev.Content)
		}
		return out
	}
	if role == "user" {
		blocks = toolResultsFirst(blocks)
	}
	return append(out, Message{Role: role, Content: blocks})
}

// toolResultsFirst moves toolResult blocks (and the cache points right
// after them) to the front, keeping the order within each group.
func toolResultsFirst(blocks []ContentBlock) []ContentBlock {
	sorted := true
	for i := 1; i < len(blocks); i++ {
		if blocks[i].ToolResult != nil && blocks[i-1].ToolResult == nil && blocks[i-1].CachePoint == nil {
			sorted = false
		}
	}
	if sorted {
		return blocks
	}
	results := make([]ContentBlock, 0, len(blocks))
	var rest []ContentBlock
	inResult := false
	for _, b := range blocks {
		switch {
		case b.ToolResult != nil:
			results, inResult = append(results, b), true
		case b.CachePoint != nil && inResult:
			results = append(results, b)
		default:
			rest, inResult = append(rest, b), false
		}
	}
	return append(results, rest...)
}

var cachePoint = ContentBlock{CachePoint: &CachePoint{Type: "default"}}

func systemBlocks(m *inferencev1.Message, at string) ([]SystemBlock, *errs.Error) {
	var out []SystemBlock
	for j, p := range m.GetContent() {
		x, ok := p.GetPart().(*inferencev1.ContentPart_Text)
		if !ok {
			field := at + ".content[" + strconv.Itoa(j) + "]"
			return nil, errs.Invalid(field, "%s: a system message can hold only text for a Bedrock model", field)
		}
		if x.Text == "" {
			continue
		}
		out = append(out, SystemBlock{Text: x.Text})
		if p.GetCacheControlJson() != "" {
			out = append(out, SystemBlock{CachePoint: &CachePoint{Type: "default"}})
		}
	}
	return out, nil
}

// contentBlocks converts user content. Empty text is left out (Converse
// rejects blank text blocks) and so is reasoning, which only assistant
// turns carry.
func contentBlocks(parts []*inferencev1.ContentPart, at string, toolBlocks map[string]bool) ([]ContentBlock, *errs.Error) {
	out := make([]ContentBlock, 0, len(parts))
	for j, p := range parts {
		var err *errs.Error
		if out, err = appendPart(out, p, at+".content["+strconv.Itoa(j)+"]", j, toolBlocks); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// appendPart appends the blocks of one content part (none for empty text
// and reasoning), then a cache point when the part asks for one.
func appendPart(out []ContentBlock, p *inferencev1.ContentPart, field string, index int, toolBlocks map[string]bool) ([]ContentBlock, *errs.Error) {
	n := len(out)
	switch x := p.GetPart().(type) {
	case *inferencev1.ContentPart_Text:
		if x.Text != "" {
			text := x.Text
			out = append(out, ContentBlock{Text: &text})
		}
	case *inferencev1.ContentPart_Image:
		img, err := imageBlock(x.Image, field)
		if err != nil {
			return nil, err
		}
		out = append(out, ContentBlock{Image: img})
	case *inferencev1.ContentPart_File:
		doc, err := documentBlock(x.File, index, field)
		if err != nil {
			return nil, err
		}
		out = append(out, ContentBlock{Document: doc})
	case *inferencev1.ContentPart_Audio:
		return nil, errs.Invalid(field, "%s: a Bedrock Converse model takes no audio input", field)
	case *inferencev1.ContentPart_ToolResult:
		tr, err := toolResultBlock(x.ToolResult.GetToolCallId(), x.ToolResult.GetContent(), x.ToolResult.GetIsError(), field)
		if err != nil {
			return nil, err
		}
		toolBlocks[""] = true
		out = append(out, ContentBlock{ToolResult: tr})
	}
	if len(out) > n && p.GetCacheControlJson() != "" {
		out = append(out, cachePoint)
	}
	return out, nil
}

// assistantBlocks converts an assistant turn: reasoning first (Claude
// wants it there; only Claude's own, signed or redacted, can be sent
// back), then text, then tool calls.
func assistantBlocks(m *inferencev1.Message, at string, claude bool, toolBlocks map[string]bool) ([]ContentBlock, *errs.Error) {
	var reasoning, rest []ContentBlock
	for j, p := range m.GetContent() {
		r, ok := p.GetPart().(*inferencev1.ContentPart_Reasoning)
		if !ok {
			var err *errs.Error
			if rest, err = appendPart(rest, p, at+".content["+strconv.Itoa(j)+"]", j, toolBlocks); err != nil {
				return nil, err
			}
			continue
		}
		if !claude {
			continue
		}
		switch rp := r.Reasoning; {
		case rp.GetSignature() != "":
			reasoning = append(reasoning, ContentBlock{ReasoningContent: &ReasoningContentBlock{
				ReasoningText: &ReasoningText{Text: rp.GetText(), Signature: rp.GetSignature()}}})
		case rp.GetEncryptedContent() != "":
			if b, err := base64.StdEncoding.DecodeString(rp.GetEncryptedContent()); err == nil && len(b) > 0 {
				reasoning = append(reasoning, ContentBlock{ReasoningContent: &ReasoningContentBlock{RedactedContent: b}})
			}
		}
	}
	out := append(reasoning, rest...)
	for j, tc := range m.GetToolCalls() {
		field := at + ".tool_calls[" + strconv.Itoa(j) + "]"
		if tc.GetId() == "" {
			return nil, errs.Invalid(field+".id", "%s.id is required for a Bedrock model", field)
		}
		args := strings.TrimSpace(tc.GetArgumentsJson())
		if args == "" {
			args = "{}"
		}
		if !isJSONObject(args) {
			return nil, errs.Invalid(field+".function.arguments", "%s.function.arguments must be a JSON object for a Bedrock model", field)
		}
		toolBlocks[tc.GetName()] = true
		out = append(out, ContentBlock{ToolUse: &ToolUseBlock{ToolUseID: ToolUseID(tc.GetId()), Name: tc.GetName(), Input: json.RawMessage(args)}})
	}
	return out, nil
}

// toolResultBlock converts a tool's answer: text, images and documents.
func toolResultBlock(id string, parts []*inferencev1.ContentPart, isError bool, at string) (*ToolResultBlock, *errs.Error) {
	if id == "" {
		return nil, errs.Invalid(at+".tool_call_id", "%s.tool_call_id is required for a Bedrock model", at)
	}
	tr := &ToolResultBlock{ToolUseID: ToolUseID(id), Content: []ToolResultContent{}}
	if isError {
		tr.Status = "error"
	}
	for j, p := range parts {
		field := at + ".content[" + strconv.Itoa(j) + "]"
		switch x := p.GetPart().(type) {
		case *inferencev1.ContentPart_Text:
			if x.Text != "" {
				text := x.Text
				tr.Content = append(tr.Content, ToolResultContent{Text: &text})
			}
		case *inferencev1.ContentPart_Image:
			img, err := imageBlock(x.Image, field)
			if err != nil {
				return nil, err
			}
			tr.Content = append(tr.Content, ToolResultContent{Image: img})
		case *inferencev1.ContentPart_File:
			doc, err := documentBlock(x.File, j, field)
			if err != nil {
				return nil, err
			}
			tr.Content = append(tr.Content, ToolResultContent{Document: doc})
		case *inferencev1.ContentPart_Reasoning:
		default:
			return nil, errs.Invalid(field, "%s: a Bedrock tool result holds text, images and documents only", field)
		}
	}
	return tr, nil
}

// imageFormats are Converse's image formats by MIME type.
var imageFormats = map[string]string{
	"image/png": "png", "image/jpeg": "jpeg", "image/jpg": "jpeg", "image/gif": "gif", "image/webp": "webp",
}

func imageBlock(img *inferencev1.Image, at string) (*ImageBlock, *errs.Error) {
	mediaType, data := img.GetMediaType(), img.GetData()
	if u := img.GetUrl(); len(data) == 0 && u != "" {
		if strings.HasPrefix(u, "s3://") {
			format := imageFormats[mediaType]
			if format == "" {
				format = imageFormats["image/"+strings.TrimPrefix(strings.ToLower(path.Ext(u)), ".")]
			}
			if format == "" {
				return nil, errs.Invalid(at, "%s: the image format of %q is unknown (png, jpeg, gif or webp)", at, u)
			}
			return &ImageBlock{Format: format, Source: Source{S3Location: &S3Location{URI: u}}}, nil
		}
		var ok bool
		if mediaType, data, ok = parseDataURL(u); !ok {
			return nil, errs.Invalid(at, "%s: a Bedrock model takes images inline (data: URL) or from S3, not by http(s) URL", at)
		}
	}
	format := imageFormats[strings.ToLower(mediaType)]
	if format == "" {
		return nil, errs.Invalid(at, "%s: image type %q is not one a Bedrock model takes (png, jpeg, gif, webp)", at, mediaType)
	}
	if len(data) == 0 {
		return nil, errs.Invalid(at, "%s: the image has no data", at)
	}
	return &ImageBlock{Format: format, Source: Source{Bytes: data}}, nil
}

// documentFormats are Converse's document formats by MIME type.
var documentFormats = map[string]string{
	"application/pdf":    "pdf",
	"text/csv":           "csv",
	"application/msword": "doc",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
	"application/vnd.ms-excel": "xls",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
	"text/html":     "html",
	"text/plain":    "txt",
	"text/markdown": "md",
}

func documentBlock(f *inferencev1.File, index int, at string) (*DocumentBlock, *errs.Error) {
	if f.GetFileId() != "" {
		return nil, errs.Invalid(at, "%s: a Bedrock model cannot read another provider's uploaded file %q", at, f.GetFileId())
	}
	mediaType, data := f.GetMediaType(), f.GetData()
	var src Source
	switch u := f.GetUrl(); {
	case len(data) > 0:
		src.Bytes = data
	case strings.HasPrefix(u, "s3://"):
		src.S3Location = &S3Location{URI: u}
	default:
		var ok bool
		if mediaType, data, ok = parseDataURL(u); !ok || len(data) == 0 {
			return nil, errs.Invalid(at, "%s: a Bedrock model takes documents inline or from S3, not by http(s) URL", at)
		}
		src.Bytes = data
	}
	format := documentFormats[strings.ToLower(mediaType)]
	if format == "" {
		ext := strings.TrimPrefix(strings.ToLower(path.Ext(f.GetFilename()+f.GetUrl())), ".")
		if slices.Contains([]string{"pdf", "csv", "doc", "docx", "xls", "xlsx", "html", "txt", "md"}, ext) {
			format = ext
		}
	}
	if format == "" {
		return nil, errs.Invalid(at, "%s: document type %q is not one a Bedrock model takes (pdf, csv, doc, docx, xls, xlsx, html, txt, md)", at, mediaType)
	}
	return &DocumentBlock{Format: format, Name: documentName(f.GetFilename(), index), Source: src}, nil
}

// documentName fits a file name to what Converse allows in a document
// name: letters, digits, single spaces, hyphens, parentheses and square
// brackets (so no extension).
func documentName(filename string, index int) string {
	base := strings.TrimSuffix(filename, path.Ext(filename))
	var b strings.Builder
	space := false
	for _, r := range base {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("-()[]", r):
			b.WriteRune(r)
			space = false
		case !space && b.Len() > 0:
			b.WriteByte(' ')
			space = true
		}
	}
	name := strings.TrimSpace(b.String())
	if name == "" {
		name = "document " + strconv.Itoa(index+1)
	}
	return name
}

// parseDataURL reads data:MEDIATYPE;base64,DATA.
func parseDataURL(u string) (string, []byte, bool) {
	rest, ok := strings.CutPrefix(u, "data:")
	if !ok {
		return "", nil, false
	}
	meta, payload, ok := strings.Cut(rest, ",")
	if !ok {
		return "", nil, false
	}
	mediaType, isBase64 := strings.CutSuffix(meta, ";base64")
	if !isBase64 {
		return "", nil, false
	}
	data, err := base64.StdEncoding.DecodeString(payload)
	if err != nil {
		return "", nil, false
	}
	return mediaType, data, true
}

// ToolUseID fits a tool call id to Bedrock's pattern ([a-zA-Z0-9_-], at
// most 64 characters): ids that fit are kept, others get their other
// characters replaced and, when too long, a hash suffix, so a call and
// its result still match.
func ToolUseID(id string) string {
	valid := len(id) <= 64
	for i := 0; valid && i < len(id); i++ {
		valid = isIDByte(id[i])
	}
	if valid {
		return id
	}
	b := []byte(id)
	for i, c := range b {
		if !isIDByte(c) {
			b[i] = '_'
		}
	}
	if len(b) > 64 {
		sum := sha256.Sum256([]byte(id))
		b = append(b[:47], '_')
		b = hex.AppendEncode(b, sum[:8])
	}
	return string(b)
}

func isIDByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
