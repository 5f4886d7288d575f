package gemini

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
type valueError struct{ msg string }

func (e *valueError) Error() string { return e.msg }

func badValue(msg string) error { return &valueError{msg: msg} }

var (
	errNotString = &typeError{want: "a string"}
	errNotNumber = &typeError{want: "a number"}
	errNotInt    = &typeError{want: "an integer"}
	errNotBool   = &typeError{want: "a boolean"}
	errRequired  = &valueError{msg: "is required"}
)

// fieldError locates an error in the request: path is like "messages[1].role".
type fieldError struct {
	path string
	err  error
}

func (e *fieldError) Error() string { return e.path + " " + e.err.Error() }

func (e *fieldError) Unwrap() error { return e.err }

// inField prefixes err's location with an object key.
func inField(name string, err error) error {
	var fe *fieldError
	if errors.As(err, &fe) {
		if strings.HasPrefix(fe.path, "[") {
			fe.path = name + fe.path
		} else {
			fe.path = name + "." + fe.path
		}
		return fe
	}
	return &fieldError{path: name, err: err}
}

// inIndex prefixes err's location with an array index.
func inIndex(i int, err error) error {
	seg := "[" + strconv.Itoa(i) + "]"
	var fe *fieldError
	if errors.As(err, &fe) {
		if strings.HasPrefix(fe.path, "[") {
			fe.path = seg + fe.path
		} else {
			fe.path = seg + "." + fe.path
		}
		return fe
	}
	return &fieldError{path: seg, err: err}
}

// toInvalid turns a decoding error into the client-facing 400.
func toInvalid(err error) *errs.Error {
	var se *syntaxError
	if errors.As(err, &se) {
		return errs.Invalid("", "invalid JSON body: %s", se.Error())
	}
	var fe *fieldError
	if errors.As(err, &fe) {
		return errs.Invalid(fe.path, "%s %s", fe.path, fe.err.Error())
	}
	if errors.Is(err, errNotObject) {
		return errs.Invalid("", "the request body must be a JSON object")
	}
	return errs.Invalid("", "invalid request: %s", err.Error())
}

// present reports whether a member was given with a non-null value.
func present(v []byte) bool { return v != nil && !isNull(v) }

func isNull(v []byte) bool { return len(v) == 4 && string(v) == "null" }

func readString(v []byte) (string, error) {
	if len(v) < 2 || v[0] != '"' {
		return "", errNotString
	}
	inner := v[1 : len(v)-1]
	if bytes.IndexByte(inner, '\\') >= 0 {
		inner = unescape(inner)
	}
	if !utf8.Valid(inner) {
		// Protobuf strings must be UTF-8; encoding/json would substitute too.
		return replaceInvalidUTF8(inner), nil
	}
	return string(inner), nil
}

func readBool(v []byte) (bool, error) {
	switch string(v) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, errNotBool
}

func isNumber(v []byte) bool { return len(v) > 0 && (v[0] == '-' || isDigit(v[0])) }

func readFloat(v []byte) (float64, error) {
	if !isNumber(v) {
		return 0, errNotNumber
	}
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil {
		return 0, badValue("is out of range")
	}
	return f, nil
}

func readInt64(v []byte) (int64, error) {
	if !isNumber(v) {
		return 0, errNotInt
	}
	if n, err := strconv.ParseInt(string(v), 10, 64); err == nil {
		return n, nil
	}
	// 1e3 and 2.0 are integers written as floats; JSON does not distinguish.
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil || f != math.Trunc(f) {
		return 0, errNotInt
	}
	if f < math.MinInt64 || f >= math.MaxInt64 {
		return 0, badValue("is out of range")
	}
	return int64(f), nil
}

func readInt32(v []byte) (int32, error) {
	n, err := readInt64(v)
	if err != nil {
		return 0, err
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		return 0, badValue("is out of range")
	}
	return int32(n), nil
}

// readStringMap reads an object whose values are all strings.
func readStringMap(v []byte) (map[string]string, error) {
	out := map[string]string{}
	_, err := scanObject(v, 0, func(m member) error {
		k := validUTF8(keyOf(v, &m))
		s, err := readString(v[m.valStart:m.valEnd])
		if err != nil {
			return inField(k, err)
		}
		out[k] = s
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func validUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return replaceInvalidUTF8(b)
}

// replaceInvalidUTF8 replaces each invalid byte with U+FFFD, as
// encoding/json does.
func replaceInvalidUTF8(b []byte) string {
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
