package openai

import (
	"strings"
	"testing"
)

func TestRewriteForUpstream(t *testing.T) {
	cases := []struct {
		name      string
		in        string
		model     string
		usage     bool
		want      string
		unchanged bool // the original slice comes back
	}{
		{
			name: "model replaced, everything else byte for byte",
			in:   "{\n  \"model\" : \"client-ep\",\n  \"temperature\": 1.0e0,\n  \"x\":{\"model\":\"inner\"}\n}\n",
			want: "{\n  \"model\" : \"gpt-4o\",\n  \"temperature\": 1.0e0,\n  \"x\":{\"model\":\"inner\"}\n}\n",
		},
		{
			name: "same model untouched", in: `{"model":"gpt-4o","a":1}`, want: `{"model":"gpt-4o","a":1}`, unchanged: true,
		},
		{
			name: "model added when missing", in: `{"a":1}`, want: `{"a":1,"model":"gpt-4o"}`,
		},
		{
			name: "empty object", in: `{}`, want: `{"model":"gpt-4o"}`,
		},
		{
			name: "gateway fields stripped at start, middle and end",
			in:   `{"client_request_id":"r","model":"m","usage_context":{"a":"b"},"n":1,"client_request_id":"again"}`,
			want: `{"model":"gpt-4o","n":1}`,
		},
		{
			name: "only gateway fields", in: `{ "usage_context": {} , "client_request_id": "x" }`, want: `{"model":"gpt-4o"}`,
		},
		{
			name: "nested gateway-like keys stay",
			in:   `{"model":"gpt-4o","metadata":{"client_request_id":"keep"}}`,
			want: `{"model":"gpt-4o","metadata":{"client_request_id":"keep"}}`, unchanged: true,
		},
		{
			name: "stream options added", usage: true,
			in:   `{"model":"gpt-4o","stream":true}`,
			want: `{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true}}`,
		},
		{
			name: "include_usage flipped", usage: true,
			in:   `{"model":"gpt-4o","stream":true,"stream_options":{"include_usage": false,"x":1}}`,
			want: `{"model":"gpt-4o","stream":true,"stream_options":{"include_usage": true,"x":1}}`,
		},
		{
			name: "include_usage inserted", usage: true,
			in:   `{"model":"gpt-4o","stream":true,"stream_options":{ "x":1}}`,
			want: `{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true, "x":1}}`,
		},
		{
			name: "empty stream options", usage: true,
			in:   `{"model":"gpt-4o","stream_options":{},"stream":true}`,
			want: `{"model":"gpt-4o","stream_options":{"include_usage":true},"stream":true}`,
		},
		{
			name: "null stream options", usage: true,
			in:   `{"model":"gpt-4o","stream":true,"stream_options":null}`,
			want: `{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true}}`,
		},
		{
			name: "already on", usage: true,
			in:   `{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true}}`,
			want: `{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true}}`, unchanged: true,
		},
		{
			name: "not streaming: usage left alone", usage: true,
			in: `{"model":"gpt-4o","stream":false}`, want: `{"model":"gpt-4o","stream":false}`, unchanged: true,
		},
		{
			name: "usage not forced", in: `{"model":"gpt-4o","stream":true}`, want: `{"model":"gpt-4o","stream":true}`, unchanged: true,
		},
		{
			name: "escaped key counts", in: `{"mod\u0065l":"x"}`, want: `{"mod\u0065l":"gpt-4o"}`,
		},
		{
			name: "model needing escapes", in: `{"model":"x"}`, model: "a\"b\\c", want: `{"model":"a\"b\\c"}`,
		},
		{
			name: "unicode and odd spacing kept", in: "\t{\"model\":\"x\",\"m\":\"é😀\\u00e9\"}  ", want: "\t{\"model\":\"gpt-4o\",\"m\":\"é😀\\u00e9\"}  ",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			model := tc.model
			if model == "" {
				model = "gpt-4o"
			}
			in := []byte(tc.in)
			got, err := RewriteForUpstream(in, model, tc.usage)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
			if same := len(got) > 0 && &got[0] == &in[0]; same != tc.unchanged {
				t.Errorf("returned the original slice: %v, want %v", same, tc.unchanged)
			}
		})
	}
}

func TestRewriteForUpstreamRejects(t *testing.T) {
	for _, in := range []string{
		``, `[]`, `"x"`, `{"model":}`, `{"model":"x"} {}`, `{"model":"x",}`,
		`{"a":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}`,
		`{"stream":true,"stream_options":5}`,
	} {
		if _, err := RewriteForUpstream([]byte(in), "m", true); err == nil {
			t.Errorf("%.40q: expected an error", in)
		} else {
			mustInvalid(t, err)
		}
	}
}
