package fakeupstream

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Amazon Bedrock Converse (POST /model/{modelId}/converse) and
// ConverseStream (…/converse-stream), base URL ROOT, answered in AWS's
// documented shapes: a Converse JSON answer, or a stream of AWS
// event-stream binary messages (prelude with lengths and CRC, string
// headers :event-type, :content-type and :message-type, JSON payload
// padded with "p", message CRC) carrying messageStart, contentBlockStart,
// contentBlockDelta, contentBlockStop, messageStop and metadata; failures
// are JSON {"message"} bodies named by the X-Amzn-ErrorType header, and
// mid-stream failures exception messages. The fake checks what Bedrock
// checks: a well-formed SigV4 Authorization header for service bedrock
// (fully verified for BedrockAccessKeyID, whose secret it knows) or a
// bearer API key, and Converse's validation rules (a conversation that
// starts with a user turn and alternates, no empty turns or blank text,
// tool blocks only with tools defined, every tool call answered in the
// next turn). ModelGeminiStreamBreak streams one text delta, then a
// throttlingException.

// The AWS credentials whose signatures the fake verifies in full.
const (
	BedrockAccessKeyID     = "AKIAFAKEUPSTREAM0001"
	BedrockSecretAccessKey = "fake/upstream+secret/access/key/0001"
)

// BedrockRequestID is the x-amzn-RequestId of every Bedrock answer.
const BedrockRequestID = "fake-bedrock-request-id"

// bedrockPadding is the "p" member Bedrock pads stream payloads with.
const bedrockPadding = "abcdefghijklmnopqrstuvwxyzABCDEF"

var sigV4Header = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=([A-Z0-9]{16,128})/([0-9]{8})/([a-z0-9-]+)/bedrock/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$`)

// bedrockOperation splits /model/{modelId}/converse[-stream]; the model id
// may contain '/' (inference profile ARNs), so it is cut from both ends.
func bedrockOperation(p string) (model string, stream, ok bool) {
	rest, ok := strings.CutPrefix(p, "/model/")
	if !ok {
		return "", false, false
	}
	if m, ok := strings.CutSuffix(rest, "/converse-stream"); ok {
		return m, true, m != ""
	}
	m, ok := strings.CutSuffix(rest, "/converse")
	return m, false, ok && m != ""
}

type converseRequest struct {
	Messages []struct {
		Role    string          `json:"role"`
		Content []converseBlock `json:"content"`
	} `json:"messages"`
	System []struct {
		Text string `json:"text"`
	} `json:"system"`
	ToolConfig *struct {
		Tools []struct {
			ToolSpec *struct {
				Name string `json:"name"`
			} `json:"toolSpec"`
		} `json:"tools"`
	} `json:"toolConfig"`
}

type converseBlock struct {
	Text    *string `json:"text"`
	ToolUse *struct {
		ToolUseID string          `json:"toolUseId"`
		Name      string          `json:"name"`
		Input     json.RawMessage `json:"input"`
	} `json:"toolUse"`
	ToolResult *struct {
		ToolUseID string `json:"toolUseId"`
		Content   []struct {
			Text *string         `json:"text"`
			JSON json.RawMessage `json:"json"`
		} `json:"content"`
	} `json:"toolResult"`
	Image            json.RawMessage `json:"image"`
	Document         json.RawMessage `json:"document"`
	ReasoningContent json.RawMessage `json:"reasoningContent"`
	CachePoint       json.RawMessage `json:"cachePoint"`
	Video            json.RawMessage `json:"video"`
}

func (b *converseBlock) members() int {
	n := 0
	for _, set := range []bool{b.Text != nil, b.ToolUse != nil, b.ToolResult != nil, b.Image != nil, b.Document != nil,
		b.ReasoningContent != nil, b.CachePoint != nil, b.Video != nil} {
		if set {
			n++
		}
	}
	return n
}

// validate applies Converse's rules; it returns Bedrock's message for
// the first broken one.
func (r *converseRequest) validate() string {
	if len(r.Messages) == 0 || r.Messages[0].Role != "user" {
		return "A conversation must start with a user message. Try again with a conversation that starts with a user message."
	}
	toolBlocks := false
	for i, m := range r.Messages {
		if m.Role != "user" && m.Role != "assistant" {
			return fmt.Sprintf("messages.%d.role: %q is not user or assistant", i, m.Role)
		}
		if i > 0 && m.Role == r.Messages[i-1].Role {
			return "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again."
		}
		if len(m.Content) == 0 {
			return fmt.Sprintf("The content field in the Message object at messages.%d is empty. Add a ContentBlock object to the content field and try again.", i)
		}
		var calls []string
		for j, b := range m.Content {
			if b.members() != 1 {
				return fmt.Sprintf("messages.%d.content.%d: a ContentBlock must have exactly one member set", i, j)
			}
			if b.Text != nil && strings.TrimSpace(*b.Text) == "" {
				return fmt.Sprintf("The text field in the ContentBlock object at messages.%d.content.%d is blank. Add text to the text field, and try again.", i, j)
			}
			if b.ToolUse != nil {
				if m.Role != "assistant" {
					return fmt.Sprintf("messages.%d.content.%d: toolUse blocks belong to assistant messages", i, j)
				}
				if len(b.ToolUse.Input) == 0 || b.ToolUse.Input[0] != '{' {
					return fmt.Sprintf("messages.%d.content.%d.toolUse.input must be an object", i, j)
				}
				calls = append(calls, b.ToolUse.ToolUseID)
			}
			if b.ToolResult != nil && m.Role != "user" {
				return fmt.Sprintf("messages.%d.content.%d: toolResult blocks belong to user messages", i, j)
			}
			toolBlocks = toolBlocks || b.ToolUse != nil || b.ToolResult != nil
		}
		if len(calls) > 0 && i+1 < len(r.Messages) {
			answered := map[string]bool{}
			for _, b := range r.Messages[i+1].Content {
				if b.ToolResult != nil {
					answered[b.ToolResult.ToolUseID] = true
				}
			}
			for _, id := range calls {
				if !answered[id] {
					return fmt.Sprintf("Expected toolResult blocks at messages.%d.content for the following Ids: %s", i+1, id)
				}
			}
		}
	}
	if toolBlocks && (r.ToolConfig == nil || len(r.ToolConfig.Tools) == 0) {
		return "The toolConfig field must be defined when using toolUse and toolResult content blocks."
	}
	return ""
}

func (r *converseRequest) conversation() *conversation {
	c := &conversation{}
	if r.ToolConfig != nil {
		for _, t := range r.ToolConfig.Tools {
			if t.ToolSpec != nil {
				c.tools = append(c.tools, t.ToolSpec.Name)
			}
		}
	}
	last := r.Messages[len(r.Messages)-1]
	if last.Role != "user" {
		return c
	}
	var text strings.Builder
	for _, b := range last.Content {
		if b.ToolResult != nil && !c.hasToolResult {
			c.hasToolResult, c.toolResultID = true, b.ToolResult.ToolUseID
			for _, rc := range b.ToolResult.Content {
				if rc.Text != nil {
					c.toolResult += *rc.Text
				} else if len(rc.JSON) > 0 {
					c.toolResult += string(rc.JSON)
				}
			}
		}
		if b.Text != nil {
			text.WriteString(*b.Text)
		}
	}
	c.lastUserText = text.String()
	return c
}

func (r *converseRequest) promptChars() int {
	n := 0
	for _, s := range r.System {
		n += len(s.Text)
	}
	for _, m := range r.Messages {
		for _, b := range m.Content {
			if b.Text != nil {
				n += len(*b.Text)
			}
		}
	}
	return n
}

func (s *Server) bedrock(w http.ResponseWriter, r *http.Request) {
	model, stream, _ := bedrockOperation(r.URL.Path)
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	if typ, msg := checkBedrockAuth(r, body); typ != "" {
		writeBedrockError(w, http.StatusForbidden, typ, msg)
		return
	}
	var req converseRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeBedrockError(w, http.StatusBadRequest, "SerializationException", "Could not parse the request body: "+err.Error())
		return
	}
	if msg := req.validate(); msg != "" {
		writeBedrockError(w, http.StatusBadRequest, "ValidationException", msg)
		return
	}
	if s.bedrockFailure(w, r, model) {
		return
	}
	a := req.conversation().decide()
	promptTokens := estimateTokens(req.promptChars())
	w.Header().Set("X-Amzn-Requestid", BedrockRequestID)
	if stream {
		streamConverse(w, a, promptTokens, model == ModelGeminiStreamBreak)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(unaryConverse(a, promptTokens))
}

// checkBedrockAuth returns the exception Bedrock answers a request whose
// credentials it cannot accept with, or "" when they are acceptable.
func checkBedrockAuth(r *http.Request, body []byte) (typ, msg string) {
	auth := r.Header.Get("Authorization")
	if key, ok := strings.CutPrefix(auth, "Bearer "); ok && key != "" {
		return "", "" // a Bedrock API key
	}
	m := sigV4Header.FindStringSubmatch(auth)
	if m == nil {
		return "MissingAuthenticationTokenException", "Missing Authentication Token"
	}
	keyID, day, region, signed := m[1], m[2], m[3], strings.Split(m[4], ";")
	date := r.Header.Get("X-Amz-Date")
	if len(date) != 16 || !strings.HasPrefix(date, day) {
		return "IncompleteSignatureException", "X-Amz-Date is missing or does not match the credential scope"
	}
	for _, need := range []string{"host", "x-amz-date"} {
		if !slices.Contains(signed, need) {
			return "IncompleteSignatureException", "The signed headers must include " + need
		}
	}
	if r.Header.Get("X-Amz-Security-Token") != "" && !slices.Contains(signed, "x-amz-security-token") {
		return "IncompleteSignatureException", "x-amz-security-token must be signed"
	}
	if keyID != BedrockAccessKeyID {
		return "", "" // well formed; the fake cannot know other secrets
	}
	if !bedrockSignatureMatches(r, body, signed, region, date) {
		return "InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	}
	return "", ""
}

// bedrockSignatureMatches signs the request again, as received (its signed
// headers, its body, its time), with the secret of BedrockAccessKeyID.
func bedrockSignatureMatches(r *http.Request, body []byte, signed []string, region, date string) bool {
	at, err := time.Parse("20060102T150405Z", date)
	if err != nil {
		return false
	}
	u := *r.URL
	u.Scheme, u.Host = "http", r.Host
	again, err := http.NewRequest(r.Method, u.String(), bytes.NewReader(body))
	if err != nil {
		return false
	}
	again.Host = r.Host
	for _, name := range signed {
		if name != "host" && name != "content-length" {
			again.Header[http.CanonicalHeaderKey(name)] = r.Header.Values(name)
		}
	}
	sum := sha256Hex(body)
	creds := aws.Credentials{AccessKeyID: BedrockAccessKeyID, SecretAccessKey: BedrockSecretAccessKey, SessionToken: r.Header.Get("X-Amz-Security-Token")}
	if err := v4.NewSigner().SignHTTP(r.Context(), creds, again, sum, "bedrock", region, at); err != nil {
		return false
	}
	return again.Header.Get("Authorization") == r.Header.Get("Authorization")
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// bedrockFailure answers the failure models as Bedrock fails; it reports
// whether it did.
func (s *Server) bedrockFailure(w http.ResponseWriter, r *http.Request, model string) bool {
	switch model {
	case ModelFail500:
		writeBedrockError(w, http.StatusInternalServerError, "InternalServerException", "The server encountered an internal error while processing the request.")
	case ModelFail429:
		writeBedrockError(w, http.StatusTooManyRequests, "ThrottlingException", "Too many requests, please wait before trying again.")
	case ModelFail401:
		writeBedrockError(w, http.StatusForbidden, "UnrecognizedClientException", "The security token included in the request is invalid.")
	case ModelFail400:
		writeBedrockError(w, http.StatusBadRequest, "ValidationException", "messages: the fake was told to reject them")
	case ModelOverloaded:
		writeBedrockError(w, http.StatusServiceUnavailable, "ServiceUnavailableException", "Bedrock is unable to process your request.")
	case ModelSlow:
		return s.waitSlow(r)
	default:
		return false
	}
	return true
}

func writeBedrockError(w http.ResponseWriter, status int, typ, message string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-Errortype", typ+":http://internal.amazon.com/coral/com.amazon.bedrock/")
	h.Set("X-Amzn-Requestid", BedrockRequestID)
	w.WriteHeader(status)
	_, _ = w.Write([]byte(`{"message":` + quote(message) + "}\n"))
}

// bedrockCallID is the toolUseId of the fake's tool call.
func bedrockCallID(a answer) string {
	if a.readCall {
		return "tooluse_" + ReadCallMarker
	}
	return "tooluse_fake_weather"
}

func converseUsage(prompt, completion int) string {
	return `{"inputTokens":` + strconv.Itoa(prompt) + `,"outputTokens":` + strconv.Itoa(completion) + `,"totalTokens":` + strconv.Itoa(prompt+completion) + `}`
}

func unaryConverse(a answer, promptTokens int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"output":{"message":{"role":"assistant","content":[`)
	stop := "end_turn"
	if a.isTool() {
		stop = "tool_use"
		b.WriteString(`{"toolUse":{"toolUseId":` + quote(bedrockCallID(a)) + `,"name":` + quote(a.toolName) + `,"input":` + a.args + `}}`)
	} else {
		b.WriteString(`{"text":` + quote(a.text) + `}`)
	}
	b.WriteString(`]}},"stopReason":"` + stop + `","usage":` + converseUsage(promptTokens, a.completionTokens()) + `,"metrics":{"latencyMs":1}}` + "\n")
	return b.Bytes()
}

// streamConverse writes the answer as AWS event-stream messages, flushing
// each; broken streams stop with a throttlingException after one delta.
func streamConverse(w http.ResponseWriter, a answer, promptTokens int, broken bool) {
	w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	write := func(msg []byte) {
		_, _ = w.Write(msg)
		if flusher != nil {
			flusher.Flush()
		}
	}
	event := func(typ, payload string) { write(eventStreamEvent(typ, payload)) }
	pad := `,"p":"` + bedrockPadding + `"}`
	event("messageStart", `{"role":"assistant"`+pad)
	stop := "end_turn"
	if a.isTool() {
		stop = "tool_use"
		event("contentBlockStart", `{"contentBlockIndex":0,"start":{"toolUse":{"toolUseId":`+quote(bedrockCallID(a))+`,"name":`+quote(a.toolName)+`}}`+pad)
		half := len(a.args) / 2
		for _, part := range []string{a.args[:half], a.args[half:]} {
			event("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"toolUse":{"input":`+quote(part)+`}}`+pad)
		}
	} else {
		for i, p := range pieces(a.text) {
			event("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":`+quote(p)+`}`+pad)
			if broken && i == 0 {
				write(eventStreamMessage([][2]string{{":exception-type", "throttlingException"}, {":content-type", "application/json"}, {":message-type", "exception"}},
					[]byte(`{"message":"Too many tokens, please wait before trying again."}`)))
				return
			}
		}
	}
	event("contentBlockStop", `{"contentBlockIndex":0`+pad)
	event("messageStop", `{"stopReason":"`+stop+`"`+pad)
	event("metadata", `{"usage":`+converseUsage(promptTokens, a.completionTokens())+`,"metrics":{"latencyMs":1}`+pad)
}

func eventStreamEvent(typ, payload string) []byte {
	return eventStreamMessage([][2]string{{":event-type", typ}, {":content-type", "application/json"}, {":message-type", "event"}}, []byte(payload))
}

// eventStreamMessage encodes one AWS event-stream message: total length,
// headers length, prelude CRC32, headers (name length, name, type 7 =
// string, value length, value), payload, message CRC32; big-endian.
func eventStreamMessage(headers [][2]string, payload []byte) []byte {
	var hb []byte
	for _, h := range headers {
		hb = append(hb, byte(len(h[0])))
		hb = append(hb, h[0]...)
		hb = append(hb, 7)
		hb = binary.BigEndian.AppendUint16(hb, uint16(len(h[1])))
		hb = append(hb, h[1]...)
	}
	total := 12 + len(hb) + len(payload) + 4
	msg := make([]byte, 0, total)
	msg = binary.BigEndian.AppendUint32(msg, uint32(total))
	msg = binary.BigEndian.AppendUint32(msg, uint32(len(hb)))
	msg = binary.BigEndian.AppendUint32(msg, crc32.ChecksumIEEE(msg))
	msg = append(msg, hb...)
	msg = append(msg, payload...)
	return binary.BigEndian.AppendUint32(msg, crc32.ChecksumIEEE(msg))
}
