package errs

import (
	"context"
	"fmt"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestRoundTripThroughStatus(t *testing.T) {
	cases := []*Error{
		Invalid("messages", "messages must be an array"),
		Unauthenticated("unknown token"),
		Forbidden("no CAN_QUERY on %q", "x"),
		NotFound("model_not_found", "no endpoint"),
		RateLimited(3*time.Second, "slow down"),
		{Kind: KindUpstream, Code: "upstream_error", Message: "bad", UpstreamStatus: 500, Retryable: true},
		New(KindTooLarge, "request_too_large", "big"),
		New(KindTimeout, "timeout", "slow"),
		New(KindMethodNotAllowed, "method_not_allowed", "GET is not allowed"),
	}
	for _, want := range cases {
		t.Run(want.Code, func(t *testing.T) {
			st := status.Convert(want) // what grpc-go does on the server
			got := FromStatus(st)      // what a remote caller decodes
			if got.Kind != want.Kind || got.Code != want.Code || got.Param != want.Param ||
				got.Retry != want.Retry || got.UpstreamStatus != want.UpstreamStatus ||
				got.Retryable != want.Retryable || got.Message != want.Message {
				t.Fatalf("round trip changed the error: got %+v want %+v", got, want)
			}
			if got.HTTPStatus() != want.HTTPStatus() {
				t.Fatalf("http status %d, want %d", got.HTTPStatus(), want.HTTPStatus())
			}
		})
	}
}

func TestHTTPStatusOfKinds(t *testing.T) {
	want := map[Kind]int{KindInvalidArgument: 400, KindUnauthenticated: 401, KindPermissionDenied: 403,
		KindNotFound: 404, KindTooLarge: 413, KindRateLimited: 429, KindUpstream: 502,
		KindUnavailable: 503, KindTimeout: 504, KindInternal: 500, KindMethodNotAllowed: 405}
	for k, code := range want {
		if got := (&Error{Kind: k}).HTTPStatus(); got != code {
			t.Errorf("kind %d: http %d, want %d", k, got, code)
		}
	}
}

func TestFromForeignErrors(t *testing.T) {
	if From(fmt.Errorf("x: %w", context.DeadlineExceeded)).Kind != KindTimeout {
		t.Error("deadline should be a timeout")
	}
	if From(status.Error(codes.Unavailable, "down")).HTTPStatus() != 503 {
		t.Error("plain Unavailable status should be 503")
	}
	if e := From(fmt.Errorf("boom")); e.Kind != KindInternal || e.Message != "internal error" {
		t.Errorf("unknown errors must be internal and must not leak their text: %+v", e)
	}
	wrapped := fmt.Errorf("ctx: %w", Forbidden("no"))
	if From(wrapped).Kind != KindPermissionDenied {
		t.Error("wrapped typed error lost its kind")
	}
}
