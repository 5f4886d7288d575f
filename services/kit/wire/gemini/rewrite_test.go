package gemini

import (
	"errors"
	"testing"

	"github.com/tollgate/tollgate/services/kit/errs"
)

func TestRewriteForUpstream(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"contents":[{"parts":[{"text":"x"}]}] , "model" : 1}`, `{"contents":[{"parts":[{"text":"x"}]}] , "model" : "up"}`},
		{`{"model":"models/a","content":{"parts":[]}}`, `{"model":"models/up","content":{"parts":[]}}`},
		{`{"requests":[{"model":"models/a","content":{}},{"content":{},"model":"b"}]}`,
			`{"requests":[{"model":"models/up","content":{}},{"content":{},"model":"up"}]}`},
		{`{"generateContentRequest":{"model":"models/a","contents":[]}}`, `{"generateContentRequest":{"model":"models/up","contents":[]}}`},
	}
	for _, tt := range tests {
		got, err := RewriteForUpstream([]byte(tt.in), "up")
		if err != nil || string(got) != tt.want {
			t.Errorf("RewriteForUpstream(%s)\n got %s (%v)\nwant %s", tt.in, got, err, tt.want)
		}
	}
	// Bodies that already name the model, or name none, come back as is.
	for _, in := range []string{`{"contents":[]}`, `{"model":"models/up"}`, ` {"requests":[{"model":"up"}]} `} {
		body := []byte(in)
		got, err := RewriteForUpstream(body, "models/up")
		if err != nil || &got[0] != &body[0] || len(got) != len(body) {
			t.Errorf("%s was copied or changed: %s (%v)", in, got, err)
		}
	}
	for _, bad := range []string{`{"contents":`, `[]`, `{} {}`, ``} {
		_, err := RewriteForUpstream([]byte(bad), "m")
		var e *errs.Error
		if !errors.As(err, &e) || e.Kind != errs.KindInvalidArgument {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
}
