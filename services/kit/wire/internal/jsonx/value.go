package jsonx

import (
	"bytes"
	"errors"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tollgate/tollgate/services/kit/errs"
)

// Readers of single, already validated raw JSON values. Each returns a
// typeError or valueError that the caller wraps with the field's name, so
// the client learns exactly which field is wrong.

// valueError is a well-typed value that is not acceptable.
type ValueError struct{ Msg string }

func (e *ValueError) Error() string { return e.Msg }

func BadValue(msg string) error { return &ValueError{Msg: msg} }

var (
	ErrNotString = &TypeError{Want: "a string"}
	ErrNotNumber = &TypeError{Want: "a number"}
	ErrNotInt    = &TypeError{Want: "an integer"}
	ErrNotBool   = &TypeError{Want: "a boolean"}
	ErrRequired  = &ValueError{Msg: "is required"}
)

// fieldError locates an error in the request: path is like "messages[1].role".
type FieldError struct {
	path string
	err  error
}

func (e *FieldError) Error() string { return e.path + " " + e.err.Error() }

func (e *FieldError) Unwrap() error { return e.err }

// inField prefixes err's location with an object key.
func InField(name string, err error) error {
	var fe *FieldError
	if errors.As(err, &fe) {
		if strings.HasPrefix(fe.path, "[") {
			fe.path = name + fe.path
		} else {
			fe.path = name + "." + fe.path
		}
		return fe
	}
	return &FieldError{path: name, err: err}
}

// inIndex prefixes err's location with an array index.
func InIndex(i int, err error) error {
	seg := "[" + strconv.Itoa(i) + "]"
	var fe *FieldError
	if errors.As(err, &fe) {
		if strings.HasPrefix(fe.path, "[") {
			fe.path = seg + fe.path
		} else {
			fe.path = seg + "." + fe.path
		}
		return fe
	}
	return &FieldError{path: seg, err: err}
}

// toInvalid turns a decoding error into the client-facing 400.
func ToInvalid(err error) *errs.Error {
	var se *SyntaxError
	if errors.As(err, &se) {
		return errs.Invalid("", "invalid JSON body: %s", se.Error())
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		return errs.Invalid(fe.path, "%s %s", fe.path, fe.err.Error())
	}
	if errors.Is(err, ErrNotObject) {
		return errs.Invalid("", "the request body must be a JSON object")
	}
	return errs.Invalid("", "invalid request: %s", err.Error())
}

// present reports whether a member was given with a non-null value.
func Present(v []byte) bool { return v != nil && !IsNull(v) }

func IsNull(v []byte) bool { return len(v) == 4 && string(v) == "null" }

func ReadString(v []byte) (string, error) {
	if len(v) < 2 || v[0] != '"' {
		return "", ErrNotString
	}
	inner := v[1 : len(v)-1]
	if bytes.IndexByte(inner, '\\') >= 0 {
		inner = Unescape(inner)
	}
	if !utf8.Valid(inner) {
		// Protobuf strings must be UTF-8; encoding/json would substitute too.
		return ReplaceInvalidUTF8(inner), nil
	}
	return string(inner), nil
}

func ReadBool(v []byte) (bool, error) {
	switch string(v) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, ErrNotBool
}

func IsNumber(v []byte) bool { return len(v) > 0 && (v[0] == '-' || IsDigit(v[0])) }

func ReadFloat(v []byte) (float64, error) {
	if !IsNumber(v) {
		return 0, ErrNotNumber
	}
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil {
		return 0, BadValue("is out of range")
	}
	return f, nil
}

func ReadInt64(v []byte) (int64, error) {
	if !IsNumber(v) {
		return 0, ErrNotInt
	}
	if n, err := strconv.ParseInt(string(v), 10, 64); err == nil {
		return n, nil
	}
	// 1e3 and 2.0 are integers written as floats; JSON does not distinguish.
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil || f != math.Trunc(f) {
		return 0, ErrNotInt
	}
	if f < math.MinInt64 || f >= math.MaxInt64 {
		return 0, BadValue("is out of range")
	}
	return int64(f), nil
}

func ReadInt32(v []byte) (int32, error) {
	n, err := ReadInt64(v)
	if err != nil {
		return 0, err
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		return 0, BadValue("is out of range")
	}
	return int32(n), nil
}

// readStringMap reads an object whose values are all strings.
func ReadStringMap(v []byte) (map[string]string, error) {
	out := map[string]string{}
	_, err := ScanObject(v, 0, func(m Member) error {
		k := ValidUTF8(KeyOf(v, &m))
		s, err := ReadString(v[m.ValStart:m.ValEnd])
		if err != nil {
			return InField(k, err)
		}
		out[k] = s
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// readObjectMembers collects the raw values of the keys in want (in order);
// unknown keys are ignored. It reports errNotObject for non-objects.
func ReadObjectMembers(v []byte, keys []string, into [][]byte) error {
	_, err := ScanObject(v, 0, func(m Member) error {
		k := KeyOf(v, &m)
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

func ValidUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return ReplaceInvalidUTF8(b)
}

// replaceInvalidUTF8 replaces each invalid byte with U+FFFD, as
// encoding/json does.
func ReplaceInvalidUTF8(b []byte) string {
	out := make([]byte, 0, len(b)+8)
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			out = append(out, "\uFFFD"...)
		} else {
			out = append(out, b[:size]...)
		}
		b = b[size:]
	}
	return string(out)
}
