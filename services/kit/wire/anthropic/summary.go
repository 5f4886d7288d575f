package anthropic

import (
	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"
)

// ParseSummary reads what the gateway needs from a passthrough answer (id,
// model, text, stop reason, usage) with the scanner: the router forwards the
// raw body, so decoding all of it would be wasted work on every call.
// Answers with anything but text blocks go through ParseResponse.
func ParseSummary(body []byte) (*inferencev1.ChatResponse, error) {
	var id, model, typ, stop, usage, content []byte
	if err := jsonx.ScanTopLevel(body, func(key, val []byte) {
		switch string(key) {
		case "id":
			id = val
		case "model":
			model = val
		case "type":
			typ = val
		case "stop_reason":
			stop = val
		case "usage":
			usage = val
		case "content":
			content = val
		}
	}); err != nil {
		return ParseResponse(body)
	}
	if t, err := jsonx.ReadString(typ); jsonx.Present(typ) && (err != nil || t != "message") {
		return ParseResponse(body)
	}
	r := &inferencev1.ChatResponse{}
	msg := &inferencev1.Message{Role: inferencev1.Role_ROLE_ASSISTANT}
	choice := &inferencev1.Choice{Message: msg}
	var err error
	if jsonx.Present(id) {
		if r.Id, err = jsonx.ReadString(id); err != nil {
			return ParseResponse(body)
		}
	}
	if jsonx.Present(model) {
		if r.Model, err = jsonx.ReadString(model); err != nil {
			return ParseResponse(body)
		}
	}
	if jsonx.Present(stop) {
		if choice.ProviderFinishReason, err = jsonx.ReadString(stop); err != nil {
			return ParseResponse(body)
		}
		choice.FinishReason = ParseStopReason(choice.ProviderFinishReason)
	}
	if jsonx.Present(usage) {
		var u Usage
		if !scanUsage(usage, &u) {
			return ParseResponse(body)
		}
		r.Usage = usageFromWire(&u)
	}
	if jsonx.Present(content) {
		simple := true
		_, err = jsonx.ScanArray(content, 0, func(_, start, end int) error {
			var f [2][]byte
			if jsonx.ReadObjectMembers(content[start:end], []string{"type", "text"}, f[:]) != nil {
				simple = false
				return errNotSimple
			}
			if t, err := jsonx.ReadString(f[0]); err != nil || t != "text" || !jsonx.Present(f[1]) {
				simple = false
				return errNotSimple
			}
			text, err := jsonx.ReadString(f[1])
			if err != nil {
				simple = false
				return errNotSimple
			}
			msg.Content = append(msg.Content, textPart(text))
			return nil
		})
		if err != nil || !simple {
			return ParseResponse(body)
		}
	}
	r.Choices = []*inferencev1.Choice{choice}
	return r, nil
}

type notSimple struct{}

func (notSimple) Error() string { return "not a text-only answer" }

var errNotSimple error = notSimple{}
