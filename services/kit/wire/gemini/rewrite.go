package gemini

import (
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

	"bytes"
	"strings"
)

// RewriteForUpstream prepares a client's Gemini request body for a
// same-dialect provider. Gemini names the model in the URL (build it with
// GenerateURL), so a generateContent body passes through unchanged: the
// original slice itself is returned. Only bodies that repeat the model
// inside are rewritten, each such "model" value becoming model (as
// "models/<model>" when the client wrote that form): a top-level "model",
// the entries of a :batchEmbedContents "requests" array, and a
// :countTokens "generateContentRequest" (Google rejects a model there that
// differs from the URL's). Every other byte is kept as the client sent it.
//
// The body is validated as it is scanned; malformed JSON is an errs.Invalid.
// Callers must treat the result as read-only.
func RewriteForUpstream(original []byte, model string) ([]byte, error) {
	var spansBuf [4][2]int
	spans := spansBuf[:0] // "model" values to replace, in order
	open := jsonx.SkipSpace(original, 0)
	closeBrace, err := jsonx.ScanObject(original, open, func(m jsonx.Member) error {
		val := original[m.ValStart:m.ValEnd]
		switch string(camelKey(jsonx.KeyOf(original, &m))) {
		case "model":
			spans = append(spans, [2]int{m.ValStart, m.ValEnd})
		case "requests":
			if len(val) == 0 || val[0] != '[' {
				return nil
			}
			_, err := jsonx.ScanArray(original, m.ValStart, func(_, start, end int) error {
				spans = appendModelSpans(spans, original, start)
				return nil
			})
			return err
		case "generateContentRequest":
			spans = appendModelSpans(spans, original, m.ValStart)
		}
		return nil
	})
	if err != nil {
		return nil, jsonx.ToInvalid(err)
	}
	if rest := jsonx.SkipSpace(original, closeBrace+1); rest != len(original) {
		return nil, jsonx.ToInvalid(jsonx.SyntaxErr("unexpected data after the JSON object", rest))
	}
	if len(spans) == 0 {
		return original, nil
	}
	var out []byte
	at := 0
	for _, s := range spans {
		old := original[s[0]:s[1]]
		replacement := modelValue(old, model)
		if bytes.Equal(old, replacement) {
			continue
		}
		if out == nil {
			out = make([]byte, 0, len(original)+len(spans)*(len(model)+8))
		}
		out = append(out, original[at:s[0]]...)
		out = append(out, replacement...)
		at = s[1]
	}
	if out == nil {
		return original, nil
	}
	return append(out, original[at:]...), nil
}

// appendModelSpans adds the "model" members of the object at d[i] (if it is
// one; the value was validated by the caller's scan).
func appendModelSpans(spans [][2]int, d []byte, i int) [][2]int {
	_, _ = jsonx.ScanObject(d, i, func(m jsonx.Member) error {
		if string(jsonx.KeyOf(d, &m)) == "model" {
			spans = append(spans, [2]int{m.ValStart, m.ValEnd})
		}
		return nil
	})
	return spans
}

// modelValue is the JSON string replacing a model value: "models/<model>"
// when the old value had that prefix.
func modelValue(old []byte, model string) []byte {
	model = strings.TrimPrefix(model, "models/")
	name := model
	if bytes.HasPrefix(old, []byte(`"models/`)) {
		name = "models/" + model
	}
	return jsonx.AppendString(make([]byte, 0, len(name)+2), name)
}
