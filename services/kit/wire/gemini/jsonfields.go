package gemini

import (
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

	"encoding/base64"
	"strconv"
	"strings"
)

// Google's JSON parser takes every message field under its lowerCamelCase
// JSON name and under its proto snake_case name ("systemInstruction" and
// "system_instruction", "inlineData" and "inline_data"), and documentation
// examples use both, so the decoder does too. Int64 fields may be numbers or
// decimal strings, bytes standard or URL-safe base64.

// camelKey returns key in lowerCamelCase: key itself (no allocation) when
// it has no underscore, which is the common case.
func camelKey(key []byte) []byte {
	if !containsByte(key, '_') {
		return key
	}
	out := make([]byte, 0, len(key))
	upper := false
	for _, c := range key {
		switch {
		case c == '_':
			upper = len(out) > 0
		case upper && c >= 'a' && c <= 'z':
			out = append(out, c-'a'+'A')
			upper = false
		default:
			out = append(out, c)
			upper = false
		}
	}
	return out
}

func containsByte(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}

// snakeName returns a lowerCamelCase name in snake_case (googleSearch →
// google_search), the spelling canonical tool types use.
func snakeName(name string) string {
	var b strings.Builder
	b.Grow(len(name) + 4)
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'A' && c <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}

// readFields collects the raw values of the members named in keys (their
// lowerCamelCase names, in order), accepting snake_case spellings too;
// unknown members are ignored. It reports errNotObject for non-objects.
func readFields(v []byte, keys []string, into [][]byte) error {
	_, err := jsonx.ScanObject(v, 0, func(m jsonx.Member) error {
		k := camelKey(jsonx.KeyOf(v, &m))
		for i, want := range keys {
			if string(k) == want {
				into[i] = v[m.ValStart:m.ValEnd]
				return nil
			}
		}
		return nil
	})
	return err
}

// readIntField reads an integer given as a number or, as proto JSON allows,
// a decimal string.
func readIntField(v []byte) (int64, error) {
	if len(v) > 1 && v[0] == '"' {
		s, err := jsonx.ReadString(v)
		if err != nil {
			return 0, err
		}
		n, perr := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if perr != nil {
			return 0, jsonx.ErrNotInt
		}
		return n, nil
	}
	return jsonx.ReadInt64(v)
}

func readInt32Field(v []byte) (int32, error) {
	n, err := readIntField(v)
	if err != nil {
		return 0, err
	}
	if n < -1<<31 || n > 1<<31-1 {
		return 0, jsonx.BadValue("is out of range")
	}
	return int32(n), nil
}

// readFloatField reads a number, or a numeric string as proto JSON allows.
func readFloatField(v []byte) (float64, error) {
	if len(v) > 1 && v[0] == '"' {
		s, err := jsonx.ReadString(v)
		if err != nil {
			return 0, err
		}
		f, perr := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if perr != nil {
			return 0, jsonx.ErrNotNumber
		}
		return f, nil
	}
	return jsonx.ReadFloat(v)
}

// decodeBytes decodes proto JSON bytes: standard or URL-safe base64, with
// or without padding.
func decodeBytes(s string) ([]byte, bool) {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, true
	}
	for _, enc := range []*base64.Encoding{base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, true
		}
	}
	return nil, false
}

// isJSONObject reports whether s is a JSON object (validated).
func isJSONObject(s string) bool {
	b := []byte(s)
	i := jsonx.SkipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	end, err := jsonx.SkipValue(b, i)
	return err == nil && jsonx.SkipSpace(b, end) == len(b)
}
