package jsonx

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// StringBatch reads several short JSON strings (an answer's id, model and
// finish reasons) into Go strings that share one allocation, where
// ReadString makes one each. The strings keep each other's bytes alive, so
// a long text does not belong in a batch with strings that may be kept.
type StringBatch struct {
	n   int
	dst [8]*string
	raw [8][]byte
}

// Add has Read set *dst to the JSON string v; it fails as ReadString does
// when v is not a string. A string with escapes or invalid UTF-8, or one
// beyond the batch's room, is read at once with ReadString.
func (b *StringBatch) Add(dst *string, v []byte) error {
	if len(v) < 2 || v[0] != '"' {
		return ErrNotString
	}
	inner := v[1 : len(v)-1]
	if b.n == len(b.dst) || bytes.IndexByte(inner, '\\') >= 0 || !utf8.Valid(inner) {
		s, err := ReadString(v)
		*dst = s
		return err
	}
	b.dst[b.n], b.raw[b.n] = dst, inner
	b.n++
	return nil
}

// Read sets the strings added since the last Read.
func (b *StringBatch) Read() {
	total := 0
	for _, r := range b.raw[:b.n] {
		total += len(r)
	}
	var all strings.Builder
	all.Grow(total)
	for _, r := range b.raw[:b.n] {
		all.Write(r)
	}
	s, at := all.String(), 0
	for i, r := range b.raw[:b.n] {
		*b.dst[i] = s[at : at+len(r)]
		at += len(r)
	}
	clear(b.dst[:b.n])
	clear(b.raw[:b.n])
	b.n = 0
}
