package anthropic

import (
	"testing"
)

func TestRewriteForUpstream(t *testing.T) {
	cases := []struct {
		name      string
		in, want  string
		unchanged bool // the original slice comes back
	}{
		{
			name: "model replaced, everything else byte for byte",
			in:   "{\n  \"model\" : \"client-ep\",\n  \"max_tokens\": 1.0e3,\n  \"metadata\":{\"model\":\"inner\"},\"thinking\":{\"type\":\"adaptive\"}\n}\n",
			want: "{\n  \"model\" : \"claude-x\",\n  \"max_tokens\": 1.0e3,\n  \"metadata\":{\"model\":\"inner\"},\"thinking\":{\"type\":\"adaptive\"}\n}\n",
		},
		{name: "model last", in: `{"a":[1,2],"model":"m"}`, want: `{"a":[1,2],"model":"claude-x"}`},
		{name: "same model untouched", in: `{"model":"claude-x","a":1}`, want: `{"model":"claude-x","a":1}`, unchanged: true},
		{name: "escaped same model untouched", in: `{"model":"claude-x"}`, want: `{"model":"claude-x"}`, unchanged: true},
		{name: "non-string model replaced", in: `{"model":null,"a":1}`, want: `{"model":"claude-x","a":1}`},
		{name: "repeated model key, both replaced", in: `{"model":"a","x":1,"model":"b"}`, want: `{"model":"claude-x","x":1,"model":"claude-x"}`},
		{name: "escaped key", in: `{"mod\u0065l":"a"}`, want: `{"mod\u0065l":"claude-x"}`},
		{name: "model added when missing", in: `{"a":1}`, want: `{"model":"claude-x","a":1}`},
		{name: "empty object", in: ` { } `, want: ` {"model":"claude-x" } `},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := []byte(c.in)
			got, err := RewriteForUpstream(in, "claude-x")
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.want {
				t.Fatalf("\n got %s\nwant %s", got, c.want)
			}
			if c.unchanged && &got[0] != &in[0] {
				t.Error("an unchanged body should be returned as is")
			}
		})
	}
	for _, bad := range []string{``, `[]`, `{"model":"a"`, `{"model":"a"} {}`, `{"a":tru}`} {
		if _, err := RewriteForUpstream([]byte(bad), "m"); mustInvalid(t, err) == nil {
			t.Errorf("RewriteForUpstream(%q) accepted invalid input", bad)
		}
	}
	got, err := RewriteForUpstream([]byte(`{"model":"a"}`), "we\"ird\n")
	if err != nil || string(got) != `{"model":"we\"ird\n"}` {
		t.Errorf("model escaping: %s %v", got, err)
	}
}
