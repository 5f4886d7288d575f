package openai

import (
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

	"bytes"
)

// RewriteForUpstream prepares a client's OpenAI request body for a
// same-dialect provider: the top-level "model" becomes model (added if
// absent), the gateway-only "client_request_id" and "usage_context" are
// removed, and, when forceIncludeUsage is set and the body has "stream": true,
// stream_options.include_usage is made true so the stream reports usage.
// Every other byte is kept as the client sent it: fields Tollgate does not
// model reach the provider untouched, and numbers keep their exact spelling.
//
// The body is validated as it is scanned; malformed JSON is an errs.Invalid.
// When nothing needs changing the original slice itself is returned, so
// callers must treat the result as read-only.
func RewriteForUpstream(original []byte, model string, forceIncludeUsage bool) ([]byte, error) {
	var membersBuf [24]jsonx.Member
	members := membersBuf[:0]
	open := jsonx.SkipSpace(original, 0)
	closeBrace, err := jsonx.ScanObject(original, open, func(m jsonx.Member) error {
		members = append(members, m)
		return nil
	})
	if err != nil {
		return nil, jsonx.ToInvalid(err)
	}
	if rest := jsonx.SkipSpace(original, closeBrace+1); rest != len(original) {
		return nil, jsonx.ToInvalid(jsonx.SyntaxErr("unexpected data after the JSON object", rest))
	}

	streaming := false
	for i := range members {
		m := &members[i]
		if string(jsonx.KeyOf(original, m)) == "stream" {
			streaming = string(original[m.ValStart:m.ValEnd]) == "true" // the last one wins, as in every JSON parser
		}
	}
	forceUsage := forceIncludeUsage && streaming

	var editsBuf [24]memberEdit
	edits := editsBuf[:0]
	var quotedModel []byte
	var quotedModelBuf [64]byte // the quoted model, on the stack when it fits
	changed, sawModel, sawStreamOptions := false, false, false
	for i := range members {
		m := &members[i]
		val := original[m.ValStart:m.ValEnd]
		var e memberEdit
		switch string(jsonx.KeyOf(original, m)) {
		case "model":
			sawModel = true
			if quotedModel == nil {
				quotedModel = jsonx.AppendString(quotedModelBuf[:0], model)
			}
			e.model = !bytes.Equal(val, quotedModel)
		case gatewayFieldClientRequestID, gatewayFieldUsageContext:
			e.drop = true
		case "stream_options":
			sawStreamOptions = true
			if forceUsage {
				v, err := withIncludeUsage(val)
				if err != nil {
					return nil, jsonx.ToInvalid(jsonx.InField("stream_options", err))
				}
				e.replace = v
			}
		}
		changed = changed || e.drop || e.model || e.replace != nil
		edits = append(edits, e)
	}
	addModel := !sawModel
	addStreamOptions := forceUsage && !sawStreamOptions
	if !changed && !addModel && !addStreamOptions {
		return original, nil
	}

	out := make([]byte, 0, len(original)+len(model)+48)
	out = append(out, original[:open+1]...)
	first := true
	for i := range members {
		m, e := &members[i], edits[i]
		if e.drop {
			continue
		}
		if !first {
			out = append(out, ',')
		}
		first = false
		if e.model || e.replace != nil {
			out = append(out, original[m.SegStart:m.ValStart]...)
			if e.model {
				out = append(out, quotedModel...)
			} else {
				out = append(out, e.replace...)
			}
			out = append(out, original[m.ValEnd:m.SegEnd]...)
		} else {
			out = append(out, original[m.SegStart:m.SegEnd]...)
		}
	}
	if addModel {
		if !first {
			out = append(out, ',')
		}
		first = false
		out = append(out, `"model":`...)
		out = jsonx.AppendString(out, model)
	}
	if addStreamOptions {
		if !first {
			out = append(out, ',')
		}
		out = append(out, `"stream_options":{"include_usage":true}`...)
	}
	return append(out, original[closeBrace:]...), nil
}

// memberEdit is what happens to one top-level member: kept as is, dropped,
// or its value replaced (by the quoted model when model is set, which
// keeps that on the stack).
type memberEdit struct {
	drop    bool
	model   bool
	replace []byte
}

var includeUsageObject = []byte(`{"include_usage":true}`)

// withIncludeUsage returns stream_options with include_usage true, or nil
// when it already is.
func withIncludeUsage(v []byte) ([]byte, error) {
	if jsonx.IsNull(v) {
		return includeUsageObject, nil
	}
	var spansBuf [4][2]int
	spans := spansBuf[:0] // values of include_usage members that are not true
	found, members := false, 0
	_, err := jsonx.ScanObject(v, 0, func(m jsonx.Member) error {
		members++
		if string(jsonx.KeyOf(v, &m)) == "include_usage" {
			found = true
			if string(v[m.ValStart:m.ValEnd]) != "true" {
				spans = append(spans, [2]int{m.ValStart, m.ValEnd})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !found {
		out := make([]byte, 0, len(v)+24)
		out = append(out, `{"include_usage":true`...)
		if members > 0 {
			out = append(out, ',')
			return append(out, v[1:]...), nil
		}
		return append(out, '}'), nil
	}
	if len(spans) == 0 {
		return nil, nil
	}
	out := make([]byte, 0, len(v)+4)
	at := 0
	for _, s := range spans {
		out = append(out, v[at:s[0]]...)
		out = append(out, "true"...)
		at = s[1]
	}
	return append(out, v[at:]...), nil
}
