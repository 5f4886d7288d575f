package e2e

import (
	"testing"

	"github.com/tollgate/tollgate/e2e/harness"
)

// TestGateway runs the whole suite against each topology, each with its own
// fake upstream and gateway processes. Subtests share the processes and run
// in order; ConfigReload rewrites the config and GracefulShutdown stops the
// gateway, so they run last.
func TestGateway(t *testing.T) {
	for _, topo := range harness.Topologies {
		t.Run(string(topo), func(t *testing.T) {
			s := startSuite(t, topo)
			t.Run("UnaryChat", s.testUnaryChat)
			t.Run("StreamingWithUsage", s.testStreamingWithUsage)
			t.Run("StreamingWithoutUsage", s.testStreamingWithoutUsage)
			t.Run("ToolCallRoundTrip", s.testToolCallRoundTrip)
			t.Run("Embeddings", s.testEmbeddings)
			t.Run("ModelsList", s.testModelsList)
			t.Run("BadToken", s.testBadToken)
			t.Run("Forbidden", s.testForbidden)
			t.Run("UnknownModel", s.testUnknownModel)
			t.Run("RateLimited", s.testRateLimited)
			t.Run("UpstreamFailure", s.testUpstreamFailure)
			t.Run("UpstreamTimeout", s.testUpstreamTimeout)
			t.Run("RequestIDOnEveryResponse", s.testRequestIDOnEveryResponse)
			t.Run("WrongMethod", s.testWrongMethod)
			t.Run("MLflowRoute", s.testMLflowRoute)
			t.Run("DatabricksExtrasNotForwarded", s.testDatabricksExtrasNotForwarded)
			t.Run("ParameterFidelity", s.testParameterFidelity)
			t.Run("HostileInput", s.testHostileInput)
			t.Run("ConcurrentClients", s.testConcurrentClients)
			t.Run("NodeSDK", s.testNodeSDK)
			t.Run("UpstreamCredentials", s.testUpstreamCredentials)
			t.Run("AdminEndpoints", s.testAdminEndpoints)
			t.Run("ConfigReload", s.testConfigReload)
			t.Run("GracefulShutdown", s.testGracefulShutdown)
		})
	}
}
