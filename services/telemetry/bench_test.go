package telemetry_test

import (
	"context"
	"fmt"
	"testing"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
	"github.com/tollgate/tollgate/services/kit/inproc"
	"github.com/tollgate/tollgate/services/telemetry"
)

// BenchmarkIngest measures events/s into the spool, in batches of 1000
// fresh events per stream: over loopback gRPC, and in process (the
// all-in-one wiring), where the spool's sync dominates.
func BenchmarkIngest(b *testing.B) {
	batch := usages("bench", 1000)
	run := func(b *testing.B, client telemetryv1.TelemetryServiceClient) {
		ctx := context.Background()
		for i := 0; b.Loop(); i++ {
			for j, e := range batch {
				e.DatabricksRequestId = fmt.Sprintf("%s-%d-%d", b.Name(), i, j)
			}
			if n, err := ingest(ctx, client, batch); err != nil || n != int64(len(batch)) {
				b.Fatalf("accepted %d, err %v", n, err)
			}
		}
		b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "events/s")
	}
	b.Run("grpc", func(b *testing.B) {
		ts := startServer(b, b.TempDir())
		run(b, ts.client)
	})
	b.Run("inproc", func(b *testing.B) {
		sp, err := telemetry.OpenSpool(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		defer sp.Close()
		srv := telemetry.NewServer(sp, testLogger(b), nil)
		run(b, telemetryv1.NewTelemetryServiceClient(inproc.New(&telemetryv1.TelemetryService_ServiceDesc, srv)))
	})
}
