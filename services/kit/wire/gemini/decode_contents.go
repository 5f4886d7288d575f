package gemini

import (
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

	"strconv"
	"strings"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

// decodeSystem reads systemInstruction, a Content whose role is ignored.
func (d *decoder) decodeSystem(v []byte) (*inferencev1.Message, error) {
	var m [1][]byte
	if err := readFields(v, []string{"parts"}, m[:]); err != nil {
		return nil, err
	}
	if !jsonx.Present(m[0]) {
		return nil, nil
	}
	msg := &inferencev1.Message{Role: inferencev1.Role_ROLE_SYSTEM}
	_, err := jsonx.ScanArray(m[0], 0, func(j, start, end int) error {
		p, err := readPart(m[0][start:end])
		if err != nil {
			return jsonx.InIndex(j, err)
		}
		part, err := d.userPart(&p, -1, j)
		if err != nil {
			return jsonx.InIndex(j, err)
		}
		if part != nil {
			msg.Content = append(msg.Content, part)
		}
		return nil
	})
	if err != nil {
		return nil, jsonx.InField("parts", err)
	}
	if len(msg.Content) == 0 {
		return nil, nil
	}
	return msg, nil
}

func (d *decoder) decodeContents(v []byte) ([]*inferencev1.Message, error) {
	out := make([]*inferencev1.Message, 0, 8)
	n := 0
	_, err := jsonx.ScanArray(v, 0, func(i, start, end int) error {
		n++
		msg, err := d.decodeContent(v[start:end], i)
		if err != nil {
			return jsonx.InIndex(i, err)
		}
		if msg != nil {
			out = append(out, msg)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if n == 0 && !d.countTokens {
		return nil, jsonx.BadValue("must contain at least one content")
	}
	return out, nil
}

// decodeContent reads one turn. A turn without parts has nothing to say and
// is left out.
func (d *decoder) decodeContent(v []byte, turn int) (*inferencev1.Message, error) {
	var m [2][]byte
	if err := readFields(v, []string{"role", "parts"}, m[:]); err != nil {
		return nil, err
	}
	role := ""
	if jsonx.Present(m[0]) {
		var err error
		if role, err = jsonx.ReadString(m[0]); err != nil {
			return nil, jsonx.InField("role", err)
		}
	}
	msg := &inferencev1.Message{}
	switch role {
	case "model":
		msg.Role = inferencev1.Role_ROLE_ASSISTANT
	case "user", "", "function": // "function" is the old role of function responses
		msg.Role = inferencev1.Role_ROLE_USER
	default:
		return nil, jsonx.InField("role", jsonx.BadValue("must be user or model"))
	}
	if !jsonx.Present(m[1]) {
		return nil, nil
	}
	_, err := jsonx.ScanArray(m[1], 0, func(j, start, end int) error {
		p, err := readPart(m[1][start:end])
		if err != nil {
			return jsonx.InIndex(j, err)
		}
		if msg.Role == inferencev1.Role_ROLE_ASSISTANT {
			err = d.modelPart(&p, msg, turn, j)
		} else {
			var part *inferencev1.ContentPart
			part, err = d.userPart(&p, turn, j)
			if part != nil {
				msg.Content = append(msg.Content, part)
			}
		}
		if err != nil {
			return jsonx.InIndex(j, err)
		}
		return nil
	})
	if err == jsonx.ErrNotArray {
		return nil, jsonx.InField("parts", jsonx.ErrNotArray)
	}
	if err != nil {
		return nil, jsonx.InField("parts", err)
	}
	if len(msg.Content) == 0 && len(msg.ToolCalls) == 0 {
		return nil, nil
	}
	return msg, nil
}

// wirePart is one part's members, raw; nil means absent.
type wirePart struct {
	text, thought, thoughtSignature, inlineData, fileData []byte
	functionCall, functionResponse                        []byte
	executableCode, codeExecutionResult, videoMetadata    []byte
}

var partKeys = []string{"text", "thought", "thoughtSignature", "inlineData", "fileData",
	"functionCall", "functionResponse", "executableCode", "codeExecutionResult", "videoMetadata"}

func readPart(v []byte) (wirePart, error) {
	var m [10][]byte
	if err := readFields(v, partKeys, m[:]); err != nil {
		return wirePart{}, err
	}
	return wirePart{text: m[0], thought: m[1], thoughtSignature: m[2], inlineData: m[3], fileData: m[4],
		functionCall: m[5], functionResponse: m[6], executableCode: m[7], codeExecutionResult: m[8],
		videoMetadata: m[9]}, nil
}

// partField names a part's field in notes: "contents[2].parts[0].x", or
// "systemInstruction.parts[0].x" for turn -1.
func partField(turn, j int, name string) string {
	var b strings.Builder
	if turn < 0 {
		b.WriteString("systemInstruction")
	} else {
		b.WriteString("contents[")
		b.WriteString(strconv.Itoa(turn))
		b.WriteByte(']')
	}
	b.WriteString(".parts[")
	b.WriteString(strconv.Itoa(j))
	b.WriteString("].")
	b.WriteString(name)
	return b.String()
}

// notePartExtras records the part members that have no canonical form.
func (d *decoder) notePartExtras(p *wirePart, turn, j int) {
	switch {
	case jsonx.Present(p.executableCode):
		d.untranslatable(partField(turn, j, "executableCode"), "code execution")
	case jsonx.Present(p.codeExecutionResult):
		d.untranslatable(partField(turn, j, "codeExecutionResult"), "code execution")
	case jsonx.Present(p.videoMetadata):
		d.untranslatable(partField(turn, j, "videoMetadata"), "video clipping")
	}
}

// userPart converts a part of a user turn (or of the system instruction).
func (d *decoder) userPart(p *wirePart, turn, j int) (*inferencev1.ContentPart, error) {
	d.notePartExtras(p, turn, j)
	switch {
	case jsonx.Present(p.text):
		text, err := jsonx.ReadString(p.text)
		if err != nil {
			return nil, jsonx.InField("text", err)
		}
		thought, err := readThought(p.thought)
		if err != nil {
			return nil, err
		}
		if thought {
			return &inferencev1.ContentPart{Part: &inferencev1.ContentPart_Reasoning{
				Reasoning: &inferencev1.ReasoningPart{Text: text}}}, nil
		}
		return &inferencev1.ContentPart{Part: &inferencev1.ContentPart_Text{Text: text}}, nil
	case jsonx.Present(p.inlineData):
		part, err := decodeInlineData(p.inlineData)
		if err != nil {
			return nil, jsonx.InField("inlineData", err)
		}
		return part, nil
	case jsonx.Present(p.fileData):
		part, err := d.decodeFileData(p.fileData, turn, j)
		if err != nil {
			return nil, jsonx.InField("fileData", err)
		}
		return part, nil
	case jsonx.Present(p.functionResponse):
		if turn < 0 {
			return nil, jsonx.InField("functionResponse", jsonx.BadValue("is not allowed in the system instruction"))
		}
		tr, err := d.decodeFunctionResponse(p.functionResponse, turn, j)
		if err != nil {
			return nil, jsonx.InField("functionResponse", err)
		}
		return &inferencev1.ContentPart{Part: &inferencev1.ContentPart_ToolResult{ToolResult: tr}}, nil
	case jsonx.Present(p.functionCall):
		if _, err := jsonx.ScanObject(p.functionCall, 0, nil); err != nil {
			return nil, jsonx.InField("functionCall", err)
		}
		d.untranslatable(partField(turn, j, "functionCall"), "a function call in a user turn")
	}
	return nil, nil
}

func readThought(v []byte) (bool, error) {
	if !jsonx.Present(v) {
		return false, nil
	}
	b, err := jsonx.ReadBool(v)
	if err != nil {
		return false, jsonx.InField("thought", err)
	}
	return b, nil
}

func readSignature(v []byte) (string, error) {
	if !jsonx.Present(v) {
		return "", nil
	}
	s, err := jsonx.ReadString(v)
	if err != nil {
		return "", jsonx.InField("thoughtSignature", err)
	}
	return s, nil
}

// modelPart adds a part of a model turn to msg: text, thoughts (merged
// into one reasoning part while they follow each other), function calls,
// and media the model produced.
func (d *decoder) modelPart(p *wirePart, msg *inferencev1.Message, turn, j int) error {
	d.notePartExtras(p, turn, j)
	sig, err := readSignature(p.thoughtSignature)
	if err != nil {
		return err
	}
	switch {
	case jsonx.Present(p.functionCall):
		tc, err := d.decodeFunctionCall(p.functionCall, turn, j)
		if err != nil {
			return jsonx.InField("functionCall", err)
		}
		tc.Signature = sig
		// Thinking shown before the call is signed by the call's signature.
		if r := openReasoning(msg); r != nil && r.Signature == "" && sig != "" {
			r.Signature = sig
		}
		msg.ToolCalls = append(msg.ToolCalls, tc)
		return nil
	case jsonx.Present(p.text):
		text, err := jsonx.ReadString(p.text)
		if err != nil {
			return jsonx.InField("text", err)
		}
		thought, err := readThought(p.thought)
		if err != nil {
			return err
		}
		if thought {
			if r := openReasoning(msg); r != nil && r.Signature == "" {
				r.Text += text
				if sig != "" {
					r.Signature = sig
				}
				return nil
			}
			msg.Content = append(msg.Content, reasoningPart(text, sig))
			return nil
		}
		attachSignature(msg, sig)
		if text != "" || sig == "" {
			msg.Content = append(msg.Content, &inferencev1.ContentPart{Part: &inferencev1.ContentPart_Text{Text: text}})
		}
		return nil
	case jsonx.Present(p.inlineData):
		part, err := decodeInlineData(p.inlineData)
		if err != nil {
			return jsonx.InField("inlineData", err)
		}
		attachSignature(msg, sig)
		msg.Content = append(msg.Content, part)
		return nil
	case jsonx.Present(p.fileData):
		part, err := d.decodeFileData(p.fileData, turn, j)
		if err != nil {
			return jsonx.InField("fileData", err)
		}
		attachSignature(msg, sig)
		msg.Content = append(msg.Content, part)
		return nil
	case jsonx.Present(p.functionResponse):
		if _, err := jsonx.ScanObject(p.functionResponse, 0, nil); err != nil {
			return jsonx.InField("functionResponse", err)
		}
		d.untranslatable(partField(turn, j, "functionResponse"), "a function response in a model turn")
		return nil
	}
	// A part carrying only a signature ends the thinking before it.
	attachSignature(msg, sig)
	return nil
}

func reasoningPart(text, sig string) *inferencev1.ContentPart {
	return &inferencev1.ContentPart{Part: &inferencev1.ContentPart_Reasoning{
		Reasoning: &inferencev1.ReasoningPart{Text: text, Signature: sig}}}
}

// openReasoning is msg's last content part when it is reasoning.
func openReasoning(msg *inferencev1.Message) *inferencev1.ReasoningPart {
	if n := len(msg.Content); n > 0 {
		return msg.Content[n-1].GetReasoning()
	}
	return nil
}

// attachSignature gives sig, found on a part after thinking, to the
// reasoning it signs: the open reasoning part, or a new signature-only one.
func attachSignature(msg *inferencev1.Message, sig string) {
	if sig == "" {
		return
	}
	if r := openReasoning(msg); r != nil && r.Signature == "" {
		r.Signature = sig
		return
	}
	msg.Content = append(msg.Content, reasoningPart("", sig))
}

func (d *decoder) decodeFunctionCall(v []byte, turn, j int) (*inferencev1.ToolCall, error) {
	var m [3][]byte
	if err := readFields(v, []string{"id", "name", "args"}, m[:]); err != nil {
		return nil, err
	}
	tc := &inferencev1.ToolCall{}
	var err error
	if !jsonx.Present(m[1]) {
		return nil, jsonx.InField("name", jsonx.ErrRequired)
	}
	if tc.Name, err = jsonx.ReadString(m[1]); err != nil {
		return nil, jsonx.InField("name", err)
	}
	if jsonx.Present(m[0]) {
		if tc.Id, err = jsonx.ReadString(m[0]); err != nil {
			return nil, jsonx.InField("id", err)
		}
	}
	tc.ArgumentsJson = "{}"
	if jsonx.Present(m[2]) {
		if m[2][0] != '{' {
			return nil, jsonx.InField("args", jsonx.ErrNotObject)
		}
		tc.ArgumentsJson = jsonx.ValidUTF8(m[2])
	}
	clientID := tc.Id != ""
	if !clientID {
		tc.Id = syntheticCallID(turn, j)
	}
	d.calls = append(d.calls, knownCall{id: tc.Id, name: tc.Name, turn: turn, clientID: clientID})
	return tc, nil
}

// syntheticCallID is the id of a call the client sent without one: stable
// across requests, because clients resend the same history.
func syntheticCallID(turn, j int) string {
	b := make([]byte, 0, 16)
	b = append(b, "call_"...)
	b = strconv.AppendInt(b, int64(turn), 10)
	b = append(b, '_')
	b = strconv.AppendInt(b, int64(j), 10)
	return string(b)
}

// matchCall finds the call a response answers: by id when the client sent
// one that a call has, otherwise the first unanswered call of that name in
// the most recent model turn that has one, preferring calls sent without an
// id. ok is false when none matches.
func (d *decoder) matchCall(id, name string) (string, bool) {
	if id != "" {
		for i := range d.calls {
			if d.calls[i].id == id {
				d.calls[i].answered = true
				return id, true
			}
		}
	}
	// Calls the client sent without an id first: a call with an id is
	// answered by a response naming it.
	for _, withID := range [2]bool{false, true} {
		for i := len(d.calls) - 1; i >= 0; {
			turn := d.calls[i].turn
			first := i
			for first > 0 && d.calls[first-1].turn == turn {
				first--
			}
			for k := first; k <= i; k++ {
				if c := &d.calls[k]; !c.answered && c.name == name && c.clientID == withID {
					c.answered = true
					return c.id, true
				}
			}
			i = first - 1
		}
	}
	return id, false
}

func (d *decoder) decodeFunctionResponse(v []byte, turn, j int) (*inferencev1.ToolResult, error) {
	var m [4][]byte
	if err := readFields(v, []string{"id", "name", "response", "parts"}, m[:]); err != nil {
		return nil, err
	}
	tr := &inferencev1.ToolResult{}
	var err error
	if !jsonx.Present(m[1]) {
		return nil, jsonx.InField("name", jsonx.ErrRequired)
	}
	if tr.Name, err = jsonx.ReadString(m[1]); err != nil {
		return nil, jsonx.InField("name", err)
	}
	id := ""
	if jsonx.Present(m[0]) {
		if id, err = jsonx.ReadString(m[0]); err != nil {
			return nil, jsonx.InField("id", err)
		}
	}
	var ok bool
	if tr.ToolCallId, ok = d.matchCall(id, tr.Name); !ok && tr.ToolCallId == "" {
		tr.ToolCallId = syntheticCallID(turn, j)
	}
	text, isError := "{}", false
	if jsonx.Present(m[2]) {
		if m[2][0] != '{' {
			return nil, jsonx.InField("response", jsonx.ErrNotObject)
		}
		if text, isError, err = responseText(m[2]); err != nil {
			return nil, jsonx.InField("response", err)
		}
	}
	tr.IsError = isError
	tr.Content = append(tr.Content, &inferencev1.ContentPart{Part: &inferencev1.ContentPart_Text{Text: text}})
	if jsonx.Present(m[3]) {
		_, err := jsonx.ScanArray(m[3], 0, func(k, start, end int) error {
			var inline [1][]byte
			if err := readFields(m[3][start:end], []string{"inlineData"}, inline[:]); err != nil {
				return jsonx.InIndex(k, err)
			}
			if !jsonx.Present(inline[0]) {
				return nil
			}
			part, err := decodeInlineData(inline[0])
			if err != nil {
				return jsonx.InIndex(k, jsonx.InField("inlineData", err))
			}
			tr.Content = append(tr.Content, part)
			return nil
		})
		if err != nil {
			return nil, jsonx.InField("parts", err)
		}
	}
	return tr, nil
}

// responseText is the text of a function response for other dialects: the
// string itself when the response is Gemini's conventional {"output": "…"}
// or {"error": "…"} (which marks an error), the response's JSON otherwise.
func responseText(v []byte) (string, bool, error) {
	var key, val []byte
	n := 0
	_, err := jsonx.ScanObject(v, 0, func(m jsonx.Member) error {
		n++
		key, val = jsonx.KeyOf(v, &m), v[m.ValStart:m.ValEnd]
		return nil
	})
	if err != nil {
		return "", false, err
	}
	if n == 1 && len(val) > 0 && val[0] == '"' && (string(key) == "output" || string(key) == "error") {
		s, err := jsonx.ReadString(val)
		return s, string(key) == "error", err
	}
	return jsonx.ValidUTF8(v), false, nil
}

// decodeInlineData reads {mimeType, data}: images become image parts,
// audio audio parts, anything else (PDF, text, video) a file part.
func decodeInlineData(v []byte) (*inferencev1.ContentPart, error) {
	var m [2][]byte
	if err := readFields(v, []string{"mimeType", "data"}, m[:]); err != nil {
		return nil, err
	}
	if !jsonx.Present(m[0]) {
		return nil, jsonx.InField("mimeType", jsonx.ErrRequired)
	}
	mt, err := jsonx.ReadString(m[0])
	if err != nil {
		return nil, jsonx.InField("mimeType", err)
	}
	if !jsonx.Present(m[1]) {
		return nil, jsonx.InField("data", jsonx.ErrRequired)
	}
	s, err := jsonx.ReadString(m[1])
	if err != nil {
		return nil, jsonx.InField("data", err)
	}
	data, ok := decodeBytes(s)
	if !ok {
		return nil, jsonx.InField("data", jsonx.BadValue("must be base64"))
	}
	return mediaPart(mt, data, ""), nil
}

// mediaPart is the canonical part for media of type mt, given inline
// (data) or by URL.
func mediaPart(mt string, data []byte, url string) *inferencev1.ContentPart {
	lower := strings.ToLower(mt)
	switch {
	case strings.HasPrefix(lower, "image/"):
		return &inferencev1.ContentPart{Part: &inferencev1.ContentPart_Image{
			Image: &inferencev1.Image{Url: url, MediaType: mt, Data: data}}}
	case strings.HasPrefix(lower, "audio/") && url == "":
		return &inferencev1.ContentPart{Part: &inferencev1.ContentPart_Audio{
			Audio: &inferencev1.Audio{Format: audioFormat(lower), Data: data}}}
	}
	return &inferencev1.ContentPart{Part: &inferencev1.ContentPart_File{
		File: &inferencev1.File{MediaType: mt, Data: data, Url: url}}}
}

// audioFormat is the canonical audio format (wav, mp3…) of an audio MIME type.
func audioFormat(mt string) string {
	sub := strings.TrimPrefix(mt, "audio/")
	if i := strings.IndexByte(sub, ';'); i >= 0 {
		sub = sub[:i]
	}
	switch sub {
	case "wav", "x-wav", "wave", "vnd.wave":
		return "wav"
	case "mpeg", "mp3", "mpeg3", "x-mpeg-3":
		return "mp3"
	}
	return strings.TrimPrefix(sub, "x-")
}

// decodeFileData reads {mimeType, fileUri}. Only http(s) URLs outside
// Google's Files API can be read by other providers.
func (d *decoder) decodeFileData(v []byte, turn, j int) (*inferencev1.ContentPart, error) {
	var m [2][]byte
	if err := readFields(v, []string{"mimeType", "fileUri"}, m[:]); err != nil {
		return nil, err
	}
	if !jsonx.Present(m[1]) {
		return nil, jsonx.InField("fileUri", jsonx.ErrRequired)
	}
	uri, err := jsonx.ReadString(m[1])
	if err != nil {
		return nil, jsonx.InField("fileUri", err)
	}
	mt := ""
	if jsonx.Present(m[0]) {
		if mt, err = jsonx.ReadString(m[0]); err != nil {
			return nil, jsonx.InField("mimeType", err)
		}
	}
	if isGoogleStoredFile(uri) {
		d.untranslatable(partField(turn, j, "fileData.fileUri"), "a file stored at Google")
	}
	return mediaPart(mt, nil, uri), nil
}

// isGoogleStoredFile reports URIs only Google can read: Files API uploads
// and gs:// (or any other non-web) URIs.
func isGoogleStoredFile(uri string) bool {
	lower := strings.ToLower(uri)
	if !strings.HasPrefix(lower, "https://") && !strings.HasPrefix(lower, "http://") {
		return true
	}
	return strings.Contains(lower, "generativelanguage.googleapis.com/")
}
