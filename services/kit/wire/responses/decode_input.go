package responses

import (
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

	"encoding/base64"
	"strconv"
	"strings"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

// loc locates an input item or one of its content parts for
// untranslatable-part notes; the path string is only built when needed.
type loc struct {
	field string // "input" or "instructions"
	item  int
	part  int // -1 for the item itself
	sub   string
}

func (l loc) String() string {
	s := l.field + "[" + strconv.Itoa(l.item) + "]"
	if l.part >= 0 {
		s += "." + l.sub + "[" + strconv.Itoa(l.part) + "]"
	}
	return s
}

func (d *decoder) decodeInstructions(v []byte) ([]*inferencev1.Message, error) {
	if v[0] == '"' {
		s, err := jsonx.ReadString(v)
		if err != nil || s == "" {
			return nil, err
		}
		return []*inferencev1.Message{{Role: inferencev1.Role_ROLE_SYSTEM, Content: []*inferencev1.ContentPart{textPart(s)}}}, nil
	}
	return d.decodeInput(v, "instructions")
}

// decodeInput reads input: a string (one user message) or an array of items.
func (d *decoder) decodeInput(v []byte, field string) ([]*inferencev1.Message, error) {
	if v[0] == '"' {
		s, err := jsonx.ReadString(v)
		if err != nil {
			return nil, err
		}
		return []*inferencev1.Message{{Role: inferencev1.Role_ROLE_USER, Content: []*inferencev1.ContentPart{textPart(s)}}}, nil
	}
	var out []*inferencev1.Message
	_, err := jsonx.ScanArray(v, 0, func(i, start, end int) error {
		if err := d.decodeItem(v[start:end], loc{field: field, item: i, part: -1}, &out); err != nil {
			return jsonx.InIndex(i, err)
		}
		return nil
	})
	if err == jsonx.ErrNotArray {
		return nil, &jsonx.TypeError{Want: "a string or an array of input items"}
	}
	return out, err
}

// itemFields are the members of an input item the decoder reads.
type itemFields struct {
	typ, role, content, callID, name, arguments, output, summary, encrypted, input []byte
}

func readItemFields(v []byte) (itemFields, error) {
	var f itemFields
	_, err := jsonx.ScanObject(v, 0, func(m jsonx.Member) error {
		val := v[m.ValStart:m.ValEnd]
		switch string(jsonx.KeyOf(v, &m)) {
		case "type":
			f.typ = val
		case "role":
			f.role = val
		case "content":
			f.content = val
		case "call_id":
			f.callID = val
		case "name":
			f.name = val
		case "arguments":
			f.arguments = val
		case "output":
			f.output = val
		case "summary":
			f.summary = val
		case "encrypted_content":
			f.encrypted = val
		case "input":
			f.input = val
		}
		return nil
	})
	return f, err
}

var messageRoles = map[string]inferencev1.Role{
	"user":      inferencev1.Role_ROLE_USER,
	"assistant": inferencev1.Role_ROLE_ASSISTANT,
	"system":    inferencev1.Role_ROLE_SYSTEM,
	"developer": inferencev1.Role_ROLE_DEVELOPER,
}

// hostedCallRecords are items that only record what a hosted tool did; the
// model's own messages around them carry the substance, so leaving them out
// of a translated conversation changes nothing the model needs.
var hostedCallRecords = map[string]bool{
	"web_search_call": true,
}

func (d *decoder) decodeItem(v []byte, at loc, out *[]*inferencev1.Message) error {
	f, err := readItemFields(v)
	if err != nil {
		return err
	}
	typ := "message" // EasyInputMessage: {"role","content"} without a type
	if jsonx.Present(f.typ) {
		if typ, err = jsonx.ReadString(f.typ); err != nil {
			return jsonx.InField("type", err)
		}
	} else if !jsonx.Present(f.role) {
		return jsonx.InField("type", jsonx.ErrRequired)
	}
	switch typ {
	case "message":
		return d.decodeMessageItem(&f, at, out)
	case "reasoning":
		return d.decodeReasoningItem(&f, at, out)
	case "function_call", "custom_tool_call":
		tc, err := d.decodeCallItem(&f, typ == "custom_tool_call")
		if err != nil {
			return err
		}
		msg := assistantTurn(out)
		msg.ToolCalls = append(msg.ToolCalls, tc)
		return nil
	case "function_call_output", "custom_tool_call_output":
		msg, err := d.decodeCallOutput(&f, at)
		if err != nil {
			return err
		}
		*out = append(*out, msg)
		return nil
	}
	if !hostedCallRecords[typ] {
		d.untranslatable(at.String(), "an item of type "+quote(typ))
	}
	return nil
}

// assistantTurn returns the assistant message that assistant-side items
// extend: the last message if it is the model's, else a new one.
func assistantTurn(out *[]*inferencev1.Message) *inferencev1.Message {
	if n := len(*out); n > 0 && (*out)[n-1].GetRole() == inferencev1.Role_ROLE_ASSISTANT {
		return (*out)[n-1]
	}
	msg := &inferencev1.Message{Role: inferencev1.Role_ROLE_ASSISTANT}
	*out = append(*out, msg)
	return msg
}

func (d *decoder) decodeMessageItem(f *itemFields, at loc, out *[]*inferencev1.Message) error {
	if !jsonx.Present(f.role) {
		return jsonx.InField("role", jsonx.ErrRequired)
	}
	roleName, err := jsonx.ReadString(f.role)
	if err != nil {
		return jsonx.InField("role", err)
	}
	role, ok := messageRoles[roleName]
	if !ok {
		return jsonx.InField("role", jsonx.BadValue("must be one of user, assistant, system, developer"))
	}
	if !jsonx.Present(f.content) {
		return jsonx.InField("content", jsonx.ErrRequired)
	}
	at.sub = "content"
	parts, err := d.decodeContent(f.content, at)
	if err != nil {
		return jsonx.InField("content", err)
	}
	if role == inferencev1.Role_ROLE_ASSISTANT {
		msg := assistantTurn(out)
		msg.Content = append(msg.Content, parts...)
		return nil
	}
	*out = append(*out, &inferencev1.Message{Role: role, Content: parts})
	return nil
}

// decodeReasoningItem keeps the model's reasoning with the assistant turn:
// readable text (reasoning_text content, else the summaries) and the opaque
// encrypted_content OpenAI needs to resume it.
//
// Reasoning from providers of other dialects reaches Responses clients the
// same way (thinking text as the summary, its signature as
// encrypted_content), so a token that is not OpenAI's, next to text, is
// read back as that signature.
func (d *decoder) decodeReasoningItem(f *itemFields, at loc, out *[]*inferencev1.Message) error {
	rp := &inferencev1.ReasoningPart{}
	var err error
	if jsonx.Present(f.encrypted) {
		if rp.EncryptedContent, err = jsonx.ReadString(f.encrypted); err != nil {
			return jsonx.InField("encrypted_content", err)
		}
	}
	content, err := joinTexts(f.content, "reasoning_text")
	if err != nil {
		return jsonx.InField("content", err)
	}
	summary, err := joinTexts(f.summary, "summary_text")
	if err != nil {
		return jsonx.InField("summary", err)
	}
	rp.Text = content
	if rp.Text == "" {
		rp.Text = summary
	}
	if rp.Text != "" && rp.EncryptedContent != "" && !isOpenAIReasoningToken(rp.EncryptedContent) {
		// Not OpenAI's: the signature of another provider's thinking that
		// the encoders handed out as encrypted_content, coming back.
		rp.Signature, rp.EncryptedContent = rp.EncryptedContent, ""
	}
	if rp.Text == "" && rp.EncryptedContent == "" {
		return nil
	}
	msg := assistantTurn(out)
	msg.Content = append(msg.Content, &inferencev1.ContentPart{Part: &inferencev1.ContentPart_Reasoning{Reasoning: rp}})
	return nil
}

// joinTexts reads an array of {"type","text"} parts, joining the texts of
// parts of the given type with blank lines. Absent or null is "".
func joinTexts(v []byte, typ string) (string, error) {
	if !jsonx.Present(v) {
		return "", nil
	}
	var b strings.Builder
	_, err := jsonx.ScanArray(v, 0, func(i, start, end int) error {
		var m [2][]byte
		if err := jsonx.ReadObjectMembers(v[start:end], []string{"type", "text"}, m[:]); err != nil {
			return jsonx.InIndex(i, err)
		}
		if jsonx.Present(m[0]) {
			t, err := jsonx.ReadString(m[0])
			if err != nil {
				return jsonx.InIndex(i, jsonx.InField("type", err))
			}
			if t != typ && !(typ == "reasoning_text" && t == "text") {
				return nil
			}
		}
		if !jsonx.Present(m[1]) {
			return jsonx.InIndex(i, jsonx.InField("text", jsonx.ErrRequired))
		}
		s, err := jsonx.ReadString(m[1])
		if err != nil {
			return jsonx.InIndex(i, jsonx.InField("text", err))
		}
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(s)
		return nil
	})
	return b.String(), err
}

// decodeCallItem reads a function_call or custom_tool_call. A custom call's
// free-form input becomes the arguments {"input": …} of the function the
// custom tool was listed as.
func (d *decoder) decodeCallItem(f *itemFields, custom bool) (*inferencev1.ToolCall, error) {
	tc := &inferencev1.ToolCall{}
	var err error
	if !jsonx.Present(f.callID) {
		return nil, jsonx.InField("call_id", jsonx.ErrRequired)
	}
	if tc.Id, err = jsonx.ReadString(f.callID); err != nil {
		return nil, jsonx.InField("call_id", err)
	}
	if !jsonx.Present(f.name) {
		return nil, jsonx.InField("name", jsonx.ErrRequired)
	}
	if tc.Name, err = jsonx.ReadString(f.name); err != nil {
		return nil, jsonx.InField("name", err)
	}
	if custom {
		input := ""
		if jsonx.Present(f.input) {
			if input, err = jsonx.ReadString(f.input); err != nil {
				return nil, jsonx.InField("input", err)
			}
		}
		tc.ArgumentsJson = customArguments(input)
	} else if jsonx.Present(f.arguments) {
		if tc.ArgumentsJson, err = jsonx.ReadString(f.arguments); err != nil {
			return nil, jsonx.InField("arguments", err)
		}
	}
	if d.callNames == nil {
		d.callNames = make(map[string]string, 4)
	}
	d.callNames[tc.Id] = tc.Name
	return tc, nil
}

// customArguments wraps a custom tool's free-form input as the arguments of
// its function form.
func customArguments(input string) string {
	b := make([]byte, 0, len(input)+12)
	b = append(b, `{"input":`...)
	b = jsonx.AppendString(b, input)
	return string(append(b, '}'))
}

// decodeCallOutput reads a function_call_output or custom_tool_call_output
// into a tool message answering the call.
func (d *decoder) decodeCallOutput(f *itemFields, at loc) (*inferencev1.Message, error) {
	msg := &inferencev1.Message{Role: inferencev1.Role_ROLE_TOOL}
	var err error
	if !jsonx.Present(f.callID) {
		return nil, jsonx.InField("call_id", jsonx.ErrRequired)
	}
	if msg.ToolCallId, err = jsonx.ReadString(f.callID); err != nil {
		return nil, jsonx.InField("call_id", err)
	}
	msg.Name = d.callNames[msg.ToolCallId]
	if !jsonx.Present(f.output) {
		return nil, jsonx.InField("output", jsonx.ErrRequired)
	}
	at.sub = "output"
	if msg.Content, err = d.decodeContent(f.output, at); err != nil {
		return nil, jsonx.InField("output", err)
	}
	return msg, nil
}

// decodeContent reads message content or a tool output: a string or an
// array of content parts. Parts with no canonical form are left out and
// noted.
func (d *decoder) decodeContent(v []byte, at loc) ([]*inferencev1.ContentPart, error) {
	if v[0] == '"' {
		s, err := jsonx.ReadString(v)
		if err != nil {
			return nil, err
		}
		return []*inferencev1.ContentPart{textPart(s)}, nil
	}
	var out []*inferencev1.ContentPart
	_, err := jsonx.ScanArray(v, 0, func(i, start, end int) error {
		at.part = i
		p, err := d.decodePart(v[start:end], at)
		if err != nil {
			return jsonx.InIndex(i, err)
		}
		if p != nil {
			out = append(out, p)
		}
		return nil
	})
	if err == jsonx.ErrNotArray {
		return nil, &jsonx.TypeError{Want: "a string or an array of content parts"}
	}
	return out, err
}

var partKeys = []string{"type", "text", "refusal", "image_url", "file_id", "detail", "file_data", "file_url", "filename", "input_audio"}

const (
	pType = iota
	pText
	pRefusal
	pImageURL
	pFileID
	pDetail
	pFileData
	pFileURL
	pFilename
	pInputAudio
)

func (d *decoder) decodePart(v []byte, at loc) (*inferencev1.ContentPart, error) {
	var m [10][]byte
	if err := jsonx.ReadObjectMembers(v, partKeys, m[:]); err != nil {
		return nil, err
	}
	if !jsonx.Present(m[pType]) {
		return nil, jsonx.InField("type", jsonx.ErrRequired)
	}
	typ, err := jsonx.ReadString(m[pType])
	if err != nil {
		return nil, jsonx.InField("type", err)
	}
	switch typ {
	case "input_text", "output_text", "text", "refusal":
		field, raw := "text", m[pText]
		if typ == "refusal" {
			field, raw = "refusal", m[pRefusal]
		}
		if !jsonx.Present(raw) {
			return nil, jsonx.InField(field, jsonx.ErrRequired)
		}
		s, err := jsonx.ReadString(raw)
		if err != nil {
			return nil, jsonx.InField(field, err)
		}
		return textPart(s), nil
	case "input_image":
		return d.decodeImage(&m, at)
	case "input_file":
		file, err := decodeFile(&m)
		if err != nil {
			return nil, err
		}
		return &inferencev1.ContentPart{Part: &inferencev1.ContentPart_File{File: file}}, nil
	case "input_audio":
		a, err := decodeAudio(m[pInputAudio])
		if err != nil {
			return nil, jsonx.InField("input_audio", err)
		}
		return &inferencev1.ContentPart{Part: &inferencev1.ContentPart_Audio{Audio: a}}, nil
	}
	d.untranslatable(at.String(), "a content part of type "+quote(typ))
	return nil, nil
}

func (d *decoder) decodeImage(m *[10][]byte, at loc) (*inferencev1.ContentPart, error) {
	img := &inferencev1.Image{}
	var err error
	if jsonx.Present(m[pDetail]) {
		if img.Detail, err = jsonx.ReadString(m[pDetail]); err != nil {
			return nil, jsonx.InField("detail", err)
		}
	}
	if !jsonx.Present(m[pImageURL]) {
		if !jsonx.Present(m[pFileID]) {
			return nil, jsonx.BadValue("needs image_url or file_id")
		}
		if _, err := jsonx.ReadString(m[pFileID]); err != nil {
			return nil, jsonx.InField("file_id", err)
		}
		d.untranslatable(at.String(), "an image given by OpenAI file id")
		return nil, nil
	}
	if img.Url, err = jsonx.ReadString(m[pImageURL]); err != nil {
		return nil, jsonx.InField("image_url", err)
	}
	if mt, _, ok := splitDataURL(img.Url); ok {
		img.MediaType = mt
	}
	return &inferencev1.ContentPart{Part: &inferencev1.ContentPart_Image{Image: img}}, nil
}

func decodeFile(m *[10][]byte) (*inferencev1.File, error) {
	f := &inferencev1.File{}
	var err error
	for _, s := range []struct {
		name string
		raw  []byte
		dst  *string
	}{{"file_id", m[pFileID], &f.FileId}, {"file_url", m[pFileURL], &f.Url}, {"filename", m[pFilename], &f.Filename}} {
		if jsonx.Present(s.raw) {
			if *s.dst, err = jsonx.ReadString(s.raw); err != nil {
				return nil, jsonx.InField(s.name, err)
			}
		}
	}
	if jsonx.Present(m[pFileData]) {
		data, err := jsonx.ReadString(m[pFileData])
		if err != nil {
			return nil, jsonx.InField("file_data", err)
		}
		payload := data
		if mt, b64, ok := splitDataURL(data); ok {
			f.MediaType, payload = mt, b64
		}
		if f.Data, err = base64.StdEncoding.DecodeString(payload); err != nil {
			return nil, jsonx.InField("file_data", jsonx.BadValue("must be base64 or a base64 data URL"))
		}
	}
	if f.FileId == "" && f.Data == nil && f.Url == "" {
		return nil, jsonx.BadValue("needs file_id, file_data or file_url")
	}
	return f, nil
}

func decodeAudio(v []byte) (*inferencev1.Audio, error) {
	if !jsonx.Present(v) {
		return nil, jsonx.ErrRequired
	}
	var m [2][]byte
	if err := jsonx.ReadObjectMembers(v, []string{"data", "format"}, m[:]); err != nil {
		return nil, err
	}
	if !jsonx.Present(m[0]) {
		return nil, jsonx.InField("data", jsonx.ErrRequired)
	}
	data, err := jsonx.ReadString(m[0])
	if err != nil {
		return nil, jsonx.InField("data", err)
	}
	a := &inferencev1.Audio{}
	if a.Data, err = base64.StdEncoding.DecodeString(data); err != nil {
		return nil, jsonx.InField("data", jsonx.BadValue("must be base64"))
	}
	if jsonx.Present(m[1]) {
		if a.Format, err = jsonx.ReadString(m[1]); err != nil {
			return nil, jsonx.InField("format", err)
		}
	}
	return a, nil
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
	if !isBase64 {
		return "", "", false
	}
	return mediaType, payload, true
}

func textPart(s string) *inferencev1.ContentPart {
	return &inferencev1.ContentPart{Part: &inferencev1.ContentPart_Text{Text: s}}
}
