package router

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/services/router/facade"
)

func TestFacadeFlagsRefuseAnUnknownServer(t *testing.T) {
	var f FacadeFlags
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	f.Register(fs)
	if err := fs.Parse(nil); err != nil || f.Validate() != nil || f.Server != ServerTollgate {
		t.Fatalf("defaults: server %q, validate %v", f.Server, f.Validate())
	}
	f.Server = "nginx"
	if err := f.Validate(); err == nil || !strings.Contains(err.Error(), "nginx") {
		t.Fatalf("Validate(nginx) = %v, want an error naming it", err)
	}
}

// Both servers the facade can run on give a client the same answers.
func TestBothFacadeServersAnswerAlike(t *testing.T) {
	answers := map[string]string{}
	for _, kind := range []string{ServerTollgate, ServerNetHTTP} {
		ctx, svc := newTestService(t, testConfig, &stubAdapter{}, "", &recordingSink{})
		h, err := facade.New(ctx, svc, facade.Options{MaxBodyBytes: func() int64 { return 1 << 20 }, Ready: svc.Ready, Log: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := facadeServer(kind, h, slog.New(slog.DiscardHandler))
		go func() { _ = srv.Serve(lis) }()
		var got strings.Builder
		for _, body := range []string{chat("chat", ""), `{"model":`} {
			req, _ := http.NewRequest(http.MethodPost, "http://"+lis.Addr().String()+"/v1/chat/completions", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+aliceToken)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("%s: %v", kind, err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			got.WriteString(resp.Status + " " + resp.Header.Get("Content-Type") + " " + string(b) + "\n")
		}
		stop, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = srv.Shutdown(stop)
		cancel()
		answers[kind] = got.String()
	}
	if answers[ServerTollgate] != answers[ServerNetHTTP] {
		t.Fatalf("the servers answer differently:\n%s: %s\n%s: %s", ServerTollgate, answers[ServerTollgate], ServerNetHTTP, answers[ServerNetHTTP])
	}
	if !strings.HasPrefix(answers[ServerTollgate], "200 OK application/json") || !strings.Contains(answers[ServerTollgate], "400 Bad Request") {
		t.Fatalf("answers %q: want a 200 chat completion and a 400 for bad JSON", answers[ServerTollgate])
	}
}
