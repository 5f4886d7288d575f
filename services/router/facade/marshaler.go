// Package facade is the router's HTTP front door: a grpc-gateway ServeMux
// whose routes come from the google.api.http annotations in router.proto.
// Bodies travel as google.api.HttpBody, so the router sees the client's exact
// JSON and the client gets the exact bytes (or SSE frames) the router wrote.
package facade

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/tollgate/tollgate/services/kit/errs"
)

// rawBodyMarshaler moves HttpBody payloads in and out untouched. Typed
// messages (the usage query API) fall back to protojson with the proto's
// snake_case field names.
type rawBodyMarshaler struct{ fallback runtime.JSONPb }

func newRawBodyMarshaler() rawBodyMarshaler {
	return rawBodyMarshaler{fallback: runtime.JSONPb{
		MarshalOptions:   protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true},
		UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: true},
	}}
}

var _ runtime.Marshaler = rawBodyMarshaler{}

func (m rawBodyMarshaler) ContentType(v any) string {
	if b, ok := v.(*httpbody.HttpBody); ok && b.GetContentType() != "" {
		return b.GetContentType()
	}
	return "application/json"
}

// StreamContentType is the content type of a streamed response: that of its first frame.
func (m rawBodyMarshaler) StreamContentType(v any) string { return m.ContentType(v) }

// Delimiter is empty: the router writes complete SSE frames itself.
func (m rawBodyMarshaler) Delimiter() []byte { return nil }

func (m rawBodyMarshaler) Marshal(v any) ([]byte, error) {
	if b, ok := v.(*httpbody.HttpBody); ok {
		return b.GetData(), nil
	}
	return m.fallback.Marshal(v)
}

func (m rawBodyMarshaler) Unmarshal(data []byte, v any) error {
	return m.NewDecoder(bytesReader(data)).Decode(v)
}

func (m rawBodyMarshaler) NewDecoder(r io.Reader) runtime.Decoder {
	return runtime.DecoderFunc(func(v any) error {
		switch target := v.(type) {
		case **httpbody.HttpBody:
			data, err := io.ReadAll(r)
			if err != nil {
				return bodyReadError(err)
			}
			*target = &httpbody.HttpBody{ContentType: "application/json", Data: data}
			return nil
		case *httpbody.HttpBody:
			data, err := io.ReadAll(r)
			if err != nil {
				return bodyReadError(err)
			}
			target.Data = data
			return nil
		default:
			return m.fallback.NewDecoder(r).Decode(v)
		}
	})
}

func (m rawBodyMarshaler) NewEncoder(w io.Writer) runtime.Encoder {
	return runtime.EncoderFunc(func(v any) error {
		b, err := m.Marshal(v)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	})
}

// errBodyTooLarge marks a body that crossed the limit while being read; the
// generated code wraps decoder errors as InvalidArgument text, so the error
// handler recognises this marker to answer 413 instead of 400.
const bodyTooLargeMarker = "tollgate: request body too large"

func bodyReadError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return fmt.Errorf("%s (limit %d bytes)", bodyTooLargeMarker, mbe.Limit)
	}
	return errs.Invalid("", "could not read the request body")
}
