package responses

import (
	"errors"
	"testing"

	"github.com/tollgate/tollgate/services/kit/errs"
)

func TestRewriteForUpstream(t *testing.T) {
	cases := []struct {
		name      string
		in, want  string
		unchanged bool // the original slice comes back
	}{
		{
			name: "model replaced, everything else byte for byte",
			in:   "{\n  \"model\" : \"client-ep\",\n  \"temperature\": 1.0e0,\n  \"input\":[{\"model\":\"inner\"}],\"store\":false\n}\n",
			want: "{\n  \"model\" : \"gpt-5\",\n  \"temperature\": 1.0e0,\n  \"input\":[{\"model\":\"inner\"}],\"store\":false\n}\n",
		},
		{name: "same model untouched", in: `{"model":"gpt-5","a":1}`, want: `{"model":"gpt-5","a":1}`, unchanged: true},
		{name: "model added when missing", in: `{"input":"x" }`, want: `{"input":"x" ,"model":"gpt-5"}`},
		{name: "empty object", in: `{ }`, want: `{ "model":"gpt-5"}`},
		{name: "every duplicate replaced", in: `{"model":"a","model":"b"}`, want: `{"model":"gpt-5","model":"gpt-5"}`},
		{name: "escaped key", in: `{"mod\u0065l":"a"}`, want: `{"mod\u0065l":"gpt-5"}`},
		{name: "non-string model", in: `{"model":null}`, want: `{"model":"gpt-5"}`},
	}
	for _, tc := range cases {
		in := []byte(tc.in)
		out, err := RewriteForUpstream(in, "gpt-5")
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if string(out) != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, out, tc.want)
		}
		if same := len(out) > 0 && &out[0] == &in[0]; same != tc.unchanged {
			t.Errorf("%s: returned the original slice: %v", tc.name, same)
		}
	}
	for _, bad := range []string{``, `[]`, `{"model":}`, `{"model":"a"} x`, `{"a":1,}`} {
		_, err := RewriteForUpstream([]byte(bad), "m")
		var e *errs.Error
		if !errors.As(err, &e) || e.Kind != errs.KindInvalidArgument {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
