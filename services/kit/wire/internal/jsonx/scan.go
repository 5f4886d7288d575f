package jsonx

import (
	"bytes"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// This file is a small validating JSON scanner. The decoder and the body
// rewriter walk raw bytes with it instead of unmarshalling into maps: it
// names the exact field that is wrong ("messages[1].role"), compares keys
// case-sensitively as OpenAI does, lets the rewriter keep every byte it does
// not change, and never recurses, so hostile nesting cannot exhaust the stack.

// maxNesting bounds arrays and objects inside each other, as encoding/json does.
const MaxNesting = 10000

// syntaxError is malformed JSON at a byte offset.
type SyntaxError struct {
	msg string
	off int
}

func (e *SyntaxError) Error() string { return e.msg + " at offset " + strconv.Itoa(e.off) }

func SyntaxErr(msg string, off int) error { return &SyntaxError{msg: msg, off: off} }

func IsSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func SkipSpace(d []byte, i int) int {
	for i < len(d) && IsSpace(d[i]) {
		i++
	}
	return i
}

// skipValue validates the value starting at d[i] (leading whitespace allowed)
// and returns the offset just past it.
func SkipValue(d []byte, i int) (int, error) {
	var stackBuf [64]byte
	stack := stackBuf[:0] // open containers, '{' or '['
	var err error
	for {
		// A value starts here.
		i = SkipSpace(d, i)
		if i >= len(d) {
			return i, SyntaxErr("unexpected end of input", i)
		}
		switch c := d[i]; {
		case c == '{' || c == '[':
			if len(stack) >= MaxNesting {
				return i, SyntaxErr("nesting deeper than 10000 levels", i)
			}
			j := SkipSpace(d, i+1)
			if j < len(d) && (d[j] == '}' && c == '{' || d[j] == ']' && c == '[') {
				i = j + 1
				break
			}
			stack = append(stack, c)
			i = j
			if c == '{' {
				if i, err = SkipKeyColon(d, i); err != nil {
					return i, err
				}
			}
			continue
		case c == '"':
			if i, err = SkipString(d, i); err != nil {
				return i, err
			}
		case c == 't':
			if i, err = SkipLiteral(d, i, "true"); err != nil {
				return i, err
			}
		case c == 'f':
			if i, err = SkipLiteral(d, i, "false"); err != nil {
				return i, err
			}
		case c == 'n':
			if i, err = SkipLiteral(d, i, "null"); err != nil {
				return i, err
			}
		case c == '-' || c >= '0' && c <= '9':
			if i, err = SkipNumber(d, i); err != nil {
				return i, err
			}
		default:
			return i, SyntaxErr("invalid character "+strconv.QuoteRune(rune(c))+" looking for a value", i)
		}
		// A value ended: close containers until one continues with a comma.
		for {
			if len(stack) == 0 {
				return i, nil
			}
			i = SkipSpace(d, i)
			if i >= len(d) {
				return i, SyntaxErr("unexpected end of input", i)
			}
			top := stack[len(stack)-1]
			if d[i] == ',' {
				i++
				if top == '{' {
					if i, err = SkipKeyColon(d, SkipSpace(d, i)); err != nil {
						return i, err
					}
				}
				break
			}
			if top == '{' && d[i] == '}' || top == '[' && d[i] == ']' {
				stack = stack[:len(stack)-1]
				i++
				continue
			}
			return i, SyntaxErr("invalid character "+strconv.QuoteRune(rune(d[i]))+" after a value", i)
		}
	}
}

// skipKeyColon reads `"key" :` at d[i] and returns the offset after the colon.
func SkipKeyColon(d []byte, i int) (int, error) {
	_, afterColon, err := ReadKey(d, i)
	return afterColon, err
}

// readKey reads `"key" :` at d[i], returning the offset just past the key's
// closing quote and the offset just past the colon.
func ReadKey(d []byte, i int) (keyEnd, afterColon int, err error) {
	if i >= len(d) || d[i] != '"' {
		return i, i, SyntaxErr("expected a string key", i)
	}
	if keyEnd, err = SkipString(d, i); err != nil {
		return keyEnd, keyEnd, err
	}
	j := SkipSpace(d, keyEnd)
	if j >= len(d) || d[j] != ':' {
		return j, j, SyntaxErr("expected ':' after an object key", j)
	}
	return keyEnd, j + 1, nil
}

// skipString validates the string starting at the quote d[i].
func SkipString(d []byte, i int) (int, error) {
	start := i
	i++
	for i < len(d) {
		for i < len(d) && !StringSpecial[d[i]] {
			i++
		}
		if i >= len(d) {
			break
		}
		c := d[i]
		switch {
		case c == '"':
			return i + 1, nil
		case c == '\\':
			if i+1 >= len(d) {
				return i, SyntaxErr("unterminated string", start)
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(d) || !IsHex(d[i+2]) || !IsHex(d[i+3]) || !IsHex(d[i+4]) || !IsHex(d[i+5]) {
					return i, SyntaxErr("invalid \\u escape in string", i)
				}
				i += 6
			default:
				return i, SyntaxErr("invalid escape in string", i)
			}
		case c < 0x20:
			return i, SyntaxErr("control character in string", i)
		default:
			i++
		}
	}
	return i, SyntaxErr("unterminated string", start)
}

// stringSpecial marks the bytes that end a run of plain string content.
var StringSpecial = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

func IsHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func IsDigit(c byte) bool { return c >= '0' && c <= '9' }

func SkipLiteral(d []byte, i int, lit string) (int, error) {
	if len(d)-i < len(lit) || string(d[i:i+len(lit)]) != lit {
		return i, SyntaxErr("invalid literal", i)
	}
	return i + len(lit), nil
}

// skipNumber validates -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)? at d[i].
func SkipNumber(d []byte, i int) (int, error) {
	start := i
	if d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		for i < len(d) && IsDigit(d[i]) {
			i++
		}
	default:
		return i, SyntaxErr("invalid number", start)
	}
	if i < len(d) && d[i] == '.' {
		i++
		if i >= len(d) || !IsDigit(d[i]) {
			return i, SyntaxErr("invalid number", start)
		}
		for i < len(d) && IsDigit(d[i]) {
			i++
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || !IsDigit(d[i]) {
			return i, SyntaxErr("invalid number", start)
		}
		for i < len(d) && IsDigit(d[i]) {
			i++
		}
	}
	return i, nil
}

// member is one object member as byte offsets into the scanned document.
type Member struct {
	SegStart int // just after the preceding '{' or ','
	KeyStart int // the key's opening quote
	KeyEnd   int // just past the key's closing quote
	ValStart int
	ValEnd   int
	SegEnd   int // the following ',' or '}'
}

// scanObject walks the object at d[i] (leading whitespace allowed), calling fn
// for each member, and returns the offset of its closing brace. It fails with
// errNotObject when the value there is not an object.
func ScanObject(d []byte, i int, fn func(m Member) error) (closeBrace int, err error) {
	i = SkipSpace(d, i)
	if i >= len(d) {
		return i, SyntaxErr("unexpected end of input", i)
	}
	if d[i] != '{' {
		return i, ErrNotObject
	}
	i++
	var m Member
	m.SegStart = i
	j := SkipSpace(d, i)
	if j < len(d) && d[j] == '}' {
		return j, nil
	}
	for {
		m.KeyStart = SkipSpace(d, m.SegStart)
		var afterColon int
		if m.KeyEnd, afterColon, err = ReadKey(d, m.KeyStart); err != nil {
			return m.KeyEnd, err
		}
		m.ValStart = SkipSpace(d, afterColon)
		if m.ValEnd, err = SkipValue(d, m.ValStart); err != nil {
			return m.ValEnd, err
		}
		m.SegEnd = SkipSpace(d, m.ValEnd)
		if m.SegEnd >= len(d) {
			return m.SegEnd, SyntaxErr("unexpected end of input", m.SegEnd)
		}
		sep := d[m.SegEnd]
		if sep != ',' && sep != '}' {
			return m.SegEnd, SyntaxErr("expected ',' or '}' after an object member", m.SegEnd)
		}
		if fn != nil {
			if err := fn(m); err != nil {
				return m.SegEnd, err
			}
		}
		if sep == '}' {
			return m.SegEnd, nil
		}
		m.SegStart = m.SegEnd + 1
	}
}

// scanArray walks the array at d[i], calling fn with each element's index and
// bounds, and returns the offset just past the closing bracket. It fails with
// errNotArray when the value there is not an array.
func ScanArray(d []byte, i int, fn func(idx, start, end int) error) (int, error) {
	i = SkipSpace(d, i)
	if i >= len(d) {
		return i, SyntaxErr("unexpected end of input", i)
	}
	if d[i] != '[' {
		return i, ErrNotArray
	}
	i = SkipSpace(d, i+1)
	if i < len(d) && d[i] == ']' {
		return i + 1, nil
	}
	for idx := 0; ; idx++ {
		start := SkipSpace(d, i)
		end, err := SkipValue(d, start)
		if err != nil {
			return end, err
		}
		if fn != nil {
			if err := fn(idx, start, end); err != nil {
				return end, err
			}
		}
		i = SkipSpace(d, end)
		if i >= len(d) {
			return i, SyntaxErr("unexpected end of input", i)
		}
		switch d[i] {
		case ',':
			i++
		case ']':
			return i + 1, nil
		default:
			return i, SyntaxErr("expected ',' or ']' after an array element", i)
		}
	}
}

// keyOf returns a member's key; the common unescaped case does not allocate
// when the result is only compared (callers switch on it directly).
func KeyOf(d []byte, m *Member) []byte {
	k := d[m.KeyStart+1 : m.KeyEnd-1]
	if bytes.IndexByte(k, '\\') >= 0 {
		return Unescape(k)
	}
	return k
}

// The kinds of type mismatch the decoders report.
var (
	ErrNotObject = &TypeError{Want: "an object"}
	ErrNotArray  = &TypeError{Want: "an array"}
)

// typeError is a value of the wrong JSON type.
type TypeError struct{ Want string }

func (e *TypeError) Error() string { return "must be " + e.Want }

// unescape decodes the escapes of a validated string's contents (without
// its quotes). Unpaired surrogates become U+FFFD, as in encoding/json.
func Unescape(s []byte) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		switch s[i+1] {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r := rune(Hex4(s[i+2 : i+6]))
			i += 6
			if utf16.IsSurrogate(r) {
				r2 := utf8.RuneError
				if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
					r2 = rune(Hex4(s[i+2 : i+6]))
				}
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					r = dec
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
			continue
		default: // '"', '\\', '/'
			out = append(out, s[i+1])
		}
		i += 2
	}
	return out
}

func Hex4(h []byte) uint16 {
	var v uint16
	for _, c := range h {
		v <<= 4
		switch {
		case c >= '0' && c <= '9':
			v |= uint16(c - '0')
		case c >= 'a' && c <= 'f':
			v |= uint16(c - 'a' + 10)
		default:
			v |= uint16(c - 'A' + 10)
		}
	}
	return v
}

// ScanTopLevel validates the whole body as one JSON object and hands each
// top-level member to set. Validation finishes before any field is
// interpreted, so malformed JSON is always reported as such.
func ScanTopLevel(body []byte, set func(key, val []byte)) error {
	end, err := ScanObject(body, 0, func(m Member) error {
		set(KeyOf(body, &m), body[m.ValStart:m.ValEnd])
		return nil
	})
	if err != nil {
		return err
	}
	if rest := SkipSpace(body, end+1); rest != len(body) {
		return SyntaxErr("unexpected data after the JSON object", rest)
	}
	return nil
}
