package responses

import "github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

import "bytes"

// RewriteForUpstream prepares a client's Responses request body for a
// same-dialect provider: the top-level "model" becomes model (added if
// absent) and every other byte is kept as the client sent it, so the
// fields Tollgate does not model (store, include, encrypted reasoning,
// namespaces, client_metadata…) reach the provider untouched and numbers
// keep their exact spelling.
//
// The body is validated as it is scanned; malformed JSON is an errs.Invalid.
// When nothing needs changing the original slice itself is returned, so
// callers must treat the result as read-only.
func RewriteForUpstream(original []byte, model string) ([]byte, error) {
	var spansBuf [2][2]int
	spans := spansBuf[:0] // values of top-level "model" members
	open := jsonx.SkipSpace(original, 0)
	closeBrace, err := jsonx.ScanObject(original, open, func(m jsonx.Member) error {
		if string(jsonx.KeyOf(original, &m)) == "model" {
			spans = append(spans, [2]int{m.ValStart, m.ValEnd})
		}
		return nil
	})
	if err != nil {
		return nil, jsonx.ToInvalid(err)
	}
	if rest := jsonx.SkipSpace(original, closeBrace+1); rest != len(original) {
		return nil, jsonx.ToInvalid(jsonx.SyntaxErr("unexpected data after the JSON object", rest))
	}
	quoted := jsonx.AppendString(make([]byte, 0, len(model)+2), model)
	if len(spans) == 0 {
		out := make([]byte, 0, len(original)+len(quoted)+10)
		out = append(out, original[:closeBrace]...)
		if jsonx.SkipSpace(original, open+1) != closeBrace {
			out = append(out, ',')
		}
		out = append(out, `"model":`...)
		out = append(out, quoted...)
		return append(out, original[closeBrace:]...), nil
	}
	changed := false
	for _, s := range spans {
		changed = changed || !bytes.Equal(original[s[0]:s[1]], quoted)
	}
	if !changed {
		return original, nil
	}
	out := make([]byte, 0, len(original)+len(quoted))
	at := 0
	for _, s := range spans {
		out = append(out, original[at:s[0]]...)
		out = append(out, quoted...)
		at = s[1]
	}
	return append(out, original[at:]...), nil
}
