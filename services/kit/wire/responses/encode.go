package responses

import (
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

	"encoding/json"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
	"unsafe"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

// EncodeOption adjusts how answers are written for a client.
type EncodeOption func(*encodeConfig)

// WithRequest gives the encoder the client's decoded request, so tool calls
// are written in the shape the client declared: calls to a function listed
// inside a "namespace" tool carry that namespace (Codex dispatches on it),
// and calls to a custom tool become custom_tool_call items with free-form
// input. Without it every call is a plain function_call.
func WithRequest(r *inferencev1.ChatRequest) EncodeOption {
	return func(c *encodeConfig) { c.req = r }
}

type encodeConfig struct {
	req     *inferencev1.ChatRequest
	indexed bool
	tools   toolIndex
}

func newEncodeConfig(opts []EncodeOption) encodeConfig {
	var c encodeConfig
	for _, o := range opts {
		o(&c)
	}
	return c
}

// toolShape says how a call to name is written; the request's tools are
// read the first time a call is written, so answers without calls never pay.
func (c *encodeConfig) toolShape(name string) (namespace string, custom bool) {
	if !c.indexed {
		c.indexed = true
		if src := c.req.GetSource(); src.GetDialect() == inferencev1.Dialect_DIALECT_OPENAI_RESPONSES {
			c.tools = indexTools(src.GetOriginalBody())
		}
	}
	return c.tools.namespaceOf(name), c.tools.isCustom(name)
}

// itemKind is the type of an output item.
type itemKind uint8

const (
	kindMessage itemKind = iota
	kindReasoning
	kindFunctionCall
	kindCustomCall
)

// outItem is one output item as it is built: a message, a reasoning item or
// a tool call.
type outItem struct {
	kind   itemKind
	id     string
	text   []byte // message text, reasoning summary, or call arguments
	opaque string // reasoning encrypted_content
	// Tool calls.
	callID, name, namespace string
	// Stream state.
	open       bool
	hasSummary bool // a reasoning summary part was announced
}

// customInput extracts a custom tool call's free-form input from the
// {"input": …} arguments of its function form; arguments in another shape
// are passed on as they are.
func customInput(args []byte) string {
	var w struct {
		Input *string `json:"input"`
	}
	if json.Unmarshal(args, &w) == nil && w.Input != nil {
		return *w.Input
	}
	return string(args)
}

// appendItem writes an output item. In progress items are written as
// OpenAI announces them: empty content, summary and arguments.
func appendItem(b []byte, it *outItem, status string) []byte {
	full := status != "in_progress"
	b = append(b, `{"id":`...)
	b = jsonx.AppendString(b, it.id)
	switch it.kind {
	case kindMessage:
		b = append(b, `,"type":"message","status":`...)
		b = jsonx.AppendString(b, status)
		b = append(b, `,"role":"assistant","content":[`...)
		if full {
			b = appendOutputText(b, it.text)
		}
		return append(b, "]}"...)
	case kindReasoning:
		b = append(b, `,"type":"reasoning","summary":[`...)
		if full && it.hasSummary {
			b = appendSummaryText(b, it.text)
		}
		b = append(b, ']')
		if full && it.opaque != "" {
			b = append(b, `,"encrypted_content":`...)
			b = jsonx.AppendString(b, it.opaque)
		}
		return append(b, '}')
	case kindCustomCall:
		b = append(b, `,"type":"custom_tool_call","status":`...)
		b = jsonx.AppendString(b, status)
		b = append(b, `,"call_id":`...)
		b = jsonx.AppendString(b, it.callID)
		b = append(b, `,"input":`...)
		if full {
			b = jsonx.AppendString(b, customInput(it.text))
		} else {
			b = append(b, `""`...)
		}
	default:
		b = append(b, `,"type":"function_call","status":`...)
		b = jsonx.AppendString(b, status)
		b = append(b, `,"arguments":`...)
		if full {
			b = appendBytesString(b, it.text)
		} else {
			b = append(b, `""`...)
		}
		b = append(b, `,"call_id":`...)
		b = jsonx.AppendString(b, it.callID)
	}
	b = append(b, `,"name":`...)
	b = jsonx.AppendString(b, it.name)
	if it.namespace != "" {
		b = append(b, `,"namespace":`...)
		b = jsonx.AppendString(b, it.namespace)
	}
	return append(b, '}')
}

func appendOutputText(b []byte, text []byte) []byte {
	b = append(b, `{"type":"output_text","text":`...)
	b = appendBytesString(b, text)
	return append(b, `,"annotations":[],"logprobs":[]}`...)
}

func appendSummaryText(b []byte, text []byte) []byte {
	b = append(b, `{"type":"summary_text","text":`...)
	b = appendBytesString(b, text)
	return append(b, '}')
}

// appendBytesString writes text as a JSON string; the conversion does not
// allocate because appendString does not keep it.
func appendBytesString(b []byte, text []byte) []byte {
	return jsonx.AppendString(b, unsafeString(text))
}

// respHead is what every response object of one answer repeats.
type respHead struct {
	id      string
	created int64
	model   string
}

// responseFailure is the error of a failed response.
type responseFailure struct {
	code, message string
}

// appendResponse writes a "response" object. Request parameters Tollgate
// does not echo are written with OpenAI's neutral values so SDK types that
// expect them find them.
func appendResponse(b []byte, h *respHead, status string, items []*outItem, u *inferencev1.Usage, incomplete string, fail *responseFailure) []byte {
	b = append(b, `{"id":`...)
	b = jsonx.AppendString(b, h.id)
	b = append(b, `,"object":"response","created_at":`...)
	b = strconv.AppendInt(b, h.created, 10)
	b = append(b, `,"status":`...)
	b = jsonx.AppendString(b, status)
	b = append(b, `,"background":false,"error":`...)
	if fail != nil {
		b = append(b, `{"code":`...)
		b = jsonx.AppendString(b, fail.code)
		b = append(b, `,"message":`...)
		b = jsonx.AppendString(b, fail.message)
		b = append(b, '}')
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"incomplete_details":`...)
	if incomplete != "" {
		b = append(b, `{"reason":`...)
		b = jsonx.AppendString(b, incomplete)
		b = append(b, '}')
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"instructions":null,"max_output_tokens":null,"model":`...)
	b = jsonx.AppendString(b, h.model)
	b = append(b, `,"output":[`...)
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		st := "completed"
		if it.open || status == "incomplete" && i == len(items)-1 {
			st = "incomplete"
		}
		b = appendItem(b, it, st)
	}
	b = append(b, `],"parallel_tool_calls":true,"previous_response_id":null,"reasoning":{"effort":null,"summary":null},"store":false,"temperature":null,"text":{"format":{"type":"text"}},"tool_choice":"auto","tools":[],"top_p":null,"truncation":"disabled","usage":`...)
	if u != nil {
		b = appendUsage(b, u)
	} else {
		b = append(b, "null"...)
	}
	return append(b, `,"user":null,"metadata":{}}`...)
}

func appendUsage(b []byte, u *inferencev1.Usage) []byte {
	total := u.GetTotalTokens()
	if total == 0 {
		total = u.GetInputTokens() + u.GetOutputTokens()
	}
	b = append(b, `{"input_tokens":`...)
	b = strconv.AppendInt(b, u.GetInputTokens(), 10)
	b = append(b, `,"input_tokens_details":{"cached_tokens":`...)
	b = strconv.AppendInt(b, u.GetCacheReadInputTokens(), 10)
	b = append(b, `},"output_tokens":`...)
	b = strconv.AppendInt(b, u.GetOutputTokens(), 10)
	b = append(b, `,"output_tokens_details":{"reasoning_tokens":`...)
	b = strconv.AppendInt(b, u.GetReasoningTokens(), 10)
	b = append(b, `},"total_tokens":`...)
	b = strconv.AppendInt(b, total, 10)
	return append(b, '}')
}

// terminalStatus is the response status for how the model finished, and the
// incomplete_details reason where it stopped early.
func terminalStatus(fr inferencev1.FinishReason) (status, incomplete string) {
	switch fr {
	case inferencev1.FinishReason_FINISH_REASON_LENGTH:
		return "incomplete", "max_output_tokens"
	case inferencev1.FinishReason_FINISH_REASON_CONTENT_FILTER:
		return "incomplete", "content_filter"
	case inferencev1.FinishReason_FINISH_REASON_ERROR:
		return "failed", ""
	}
	return "completed", ""
}

// errGenerationFailed is the error of a response whose provider reported a
// failure as its finish reason rather than as an error.
var errGenerationFailed = responseFailure{code: "server_error", message: "the provider stopped generating because of an error"}

// responseID is the id the client sees: the provider's id when it already
// is a Responses id, else the provider's id prefixed, else a fresh one.
func responseID(providerID string) string {
	switch {
	case strings.HasPrefix(providerID, "resp_"):
		return providerID
	case providerID != "":
		return "resp_" + providerID
	}
	return "resp_" + randomHex()
}

func randomHex() string {
	var b [24]byte
	const hex = "0123456789abcdef"
	for i := 0; i < len(b); i += 8 {
		x := rand.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = hex[x&0xf]
			x >>= 4
		}
	}
	return string(b[:])
}

// itemID names the n-th output item of a response after the response id.
func itemID(prefix, respID string, n int) string {
	base := strings.TrimPrefix(respID, "resp_")
	b := make([]byte, 0, len(prefix)+len(base)+6)
	b = append(b, prefix...)
	b = append(b, '_')
	b = append(b, base...)
	b = append(b, '_')
	b = strconv.AppendInt(b, int64(n), 10)
	return string(b)
}

func createdOrNow(created int64) int64 {
	if created != 0 {
		return created
	}
	return time.Now().Unix()
}

// EncodeResponse writes a canonical response as a Responses API "response"
// object, with model as the model name the client sees. The first choice
// becomes the output: reasoning items, then one assistant message, then the
// tool calls. A response cut short by the token limit or a content filter
// is "incomplete" with incomplete_details, as OpenAI reports it.
func EncodeResponse(r *inferencev1.ChatResponse, model string, opts ...EncodeOption) []byte {
	cfg := newEncodeConfig(opts)
	h := respHead{id: responseID(r.GetId()), created: createdOrNow(r.GetCreated()), model: model}
	var choice *inferencev1.Choice
	if cs := r.GetChoices(); len(cs) > 0 {
		choice = cs[0]
	}
	items, size := outputItems(&cfg, &h, choice.GetMessage())
	status, incomplete := terminalStatus(choice.GetFinishReason())
	var fail *responseFailure
	if status == "failed" {
		fail = &errGenerationFailed
	}
	b := make([]byte, 0, 1024+size)
	return appendResponse(b, &h, status, items, r.GetUsage(), incomplete, fail)
}

// outputItems turns an assistant message into output items, and returns
// roughly how many bytes they will take.
func outputItems(cfg *encodeConfig, h *respHead, msg *inferencev1.Message) ([]*outItem, int) {
	var items []*outItem
	size := 0
	var text []byte
	hasText := false
	for _, p := range msg.GetContent() {
		switch x := p.GetPart().(type) {
		case *inferencev1.ContentPart_Text:
			text, hasText = append(text, x.Text...), true
		case *inferencev1.ContentPart_Reasoning:
			rp := x.Reasoning
			it := &outItem{kind: kindReasoning, id: itemID("rs", h.id, len(items)), text: []byte(rp.GetText()),
				opaque: firstNonEmpty(rp.GetEncryptedContent(), rp.GetSignature()), hasSummary: rp.GetText() != ""}
			size += len(it.text) + len(it.opaque)
			items = append(items, it)
		}
	}
	if hasText || len(msg.GetToolCalls()) == 0 {
		items = append(items, &outItem{kind: kindMessage, id: itemID("msg", h.id, len(items)), text: text})
		size += len(text)
	}
	for _, tc := range msg.GetToolCalls() {
		items = append(items, callItem(cfg, h, len(items), tc.GetId(), tc.GetName(), []byte(tc.GetArgumentsJson())))
		size += len(tc.GetArgumentsJson()) + 128
	}
	return items, size
}

// callItem makes the output item of a tool call in the shape the client
// declared the tool.
func callItem(cfg *encodeConfig, h *respHead, n int, callID, name string, args []byte) *outItem {
	ns, custom := cfg.toolShape(name)
	it := &outItem{kind: kindFunctionCall, callID: callID, name: name, namespace: ns, text: args}
	if custom {
		it.kind, it.id = kindCustomCall, itemID("ctc", h.id, n)
	} else {
		it.id = itemID("fc", h.id, n)
	}
	if it.callID == "" {
		it.callID = itemID("call", h.id, n)
	}
	return it
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// unsafeString views b as a string for writers that only read it.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
