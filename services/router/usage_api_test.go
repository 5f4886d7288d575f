package router

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"google.golang.org/grpc/metadata"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
	"github.com/tollgate/tollgate/services/kit/inproc"
	"github.com/tollgate/tollgate/services/router/facade"
)

type stubTelemetry struct {
	telemetryv1.UnimplementedTelemetryServiceServer
	got  *telemetryv1.QueryUsageRequest
	auth string
}

func (s *stubTelemetry) QueryUsage(ctx context.Context, req *telemetryv1.QueryUsageRequest) (*telemetryv1.QueryUsageResponse, error) {
	s.got = req
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get("authorization"); len(v) > 0 {
		s.auth = v[0]
	}
	return &telemetryv1.QueryUsageResponse{Rows: []*telemetryv1.UsageAggregate{{EndpointName: "chat", Requests: 7, LatencyP50Ms: 2.5}}}, nil
}

// The usage query API (telemetry.v1) is served on the router's front door
// by grpc-gateway, with its query parameters mapped onto the request.
func TestUsageQueryAPIOnTheFrontDoor(t *testing.T) {
	tel := &stubTelemetry{}
	h, err := facade.New(context.Background(), NewService(Deps{}), facade.Options{
		Log:       slog.New(slog.DiscardHandler),
		Telemetry: telemetryv1.NewTelemetryServiceClient(inproc.New(&telemetryv1.TelemetryService_ServiceDesc, tel)),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/2.0/tollgate/usage?start_time_unix_ms=5&end_time_unix_ms=9&group_by=endpoint&group_by=model", nil)
	req.Header.Set("Authorization", "Bearer admin-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	if tel.got.GetStartTimeUnixMs() != 5 || tel.got.GetEndTimeUnixMs() != 9 || strings.Join(tel.got.GetGroupBy(), ",") != "endpoint,model" {
		t.Fatalf("query parameters not mapped: %v", tel.got)
	}
	if tel.auth != "Bearer admin-token" {
		t.Fatalf("the caller's token did not reach telemetry: %q", tel.auth)
	}
	if !strings.Contains(string(body), `"endpoint_name":"chat"`) || !strings.Contains(string(body), `"latency_p50_ms":2.5`) {
		t.Fatalf("answer is not snake_case JSON: %s", body)
	}
}
