package anthropic

import "github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

import "bytes"

// RewriteForUpstream prepares a client's Anthropic request body (messages
// or count_tokens) for a same-dialect provider: the top-level "model"
// becomes model (added if absent; every occurrence when the key repeats).
// Every other byte is kept as the client sent it, so fields Tollgate does
// not model (cache_control, thinking signatures, context_management, beta
// fields) reach the provider untouched and numbers keep their spelling.
//
// The body is validated as it is scanned; malformed JSON is an errs.Invalid.
// When nothing needs changing the original slice itself is returned, so
// callers must treat the result as read-only.
func RewriteForUpstream(original []byte, model string) ([]byte, error) {
	var spansBuf [2][2]int
	spans := spansBuf[:0] // values of top-level "model" members that differ
	quoted := jsonx.AppendString(make([]byte, 0, len(model)+2), model)
	sawModel := false
	open := jsonx.SkipSpace(original, 0)
	closeBrace, err := jsonx.ScanObject(original, open, func(m jsonx.Member) error {
		if string(jsonx.KeyOf(original, &m)) == "model" {
			sawModel = true
			if !bytes.Equal(original[m.ValStart:m.ValEnd], quoted) {
				spans = append(spans, [2]int{m.ValStart, m.ValEnd})
			}
		}
		return nil
	})
	if err != nil {
		return nil, jsonx.ToInvalid(err)
	}
	if rest := jsonx.SkipSpace(original, closeBrace+1); rest != len(original) {
		return nil, jsonx.ToInvalid(jsonx.SyntaxErr("unexpected data after the JSON object", rest))
	}
	if sawModel && len(spans) == 0 {
		return original, nil
	}
	out := make([]byte, 0, len(original)+len(quoted)+10)
	if !sawModel {
		out = append(out, original[:open+1]...)
		out = append(out, `"model":`...)
		out = append(out, quoted...)
		if jsonx.SkipSpace(original, open+1) != closeBrace {
			out = append(out, ',')
		}
		return append(out, original[open+1:]...), nil
	}
	at := 0
	for _, s := range spans {
		out = append(out, original[at:s[0]]...)
		out = append(out, quoted...)
		at = s[1]
	}
	return append(out, original[at:]...), nil
}
