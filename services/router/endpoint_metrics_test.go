package router

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestEndpointMetricsExport(t *testing.T) {
	f := newFixture(t, "")
	post(t, f.url+"/v1/chat/completions", aliceToken, chat("chat", ""))
	post(t, f.url+"/v1/chat/completions", aliceToken, chat("private", ""))
	get := func(token, name string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, f.url+"/api/2.0/serving-endpoints/"+name+"/metrics", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := get(aliceToken, "chat")
	if code != 200 || !strings.Contains(body, `tollgate_requests_total{`) || !strings.Contains(body, `endpoint="chat"`) {
		t.Fatalf("chat metrics: %d\n%s", code, body)
	}
	if strings.Contains(body, `endpoint="private"`) {
		t.Fatal("another endpoint's series leaked into the export")
	}
	for _, tc := range []struct {
		token, name string
		want        int
	}{{"", "chat", 401}, {bobToken, "private", 403}, {aliceToken, "ghost", 404}} {
		if code, body := get(tc.token, tc.name); code != tc.want {
			t.Errorf("%s as %q: %d, want %d: %s", tc.name, tc.token, code, tc.want, body)
		}
	}
}
