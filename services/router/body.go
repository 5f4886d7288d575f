package router

import (
	"unicode/utf8"

	"github.com/tollgate/tollgate/services/kit/errs"
)

// checkBody rejects bodies that are not UTF-8. JSON must be UTF-8 (RFC 8259),
// and protobuf strings must be too: letting one through would fail later,
// as a 500, when the canonical request crosses a gRPC hop in the split mesh.
func checkBody(body []byte) error {
	if !utf8.Valid(body) {
		return errs.Invalid("", "the request body is not valid UTF-8")
	}
	return nil
}
