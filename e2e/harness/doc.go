// Package harness starts real Tollgate binaries for end-to-end tests and
// benchmarks: the fake OpenAI upstream, the all-in-one gateway and the split
// mesh of five services, each a separate process on free loopback ports with
// its own log file.
//
// It takes no *testing.T so that both the e2e tests and the bench tool
// (e2e/cmd/bench) can use it. A typical caller:
//
//	bins, err := harness.BinDir()          // $TOLLGATE_BIN, or builds once into a temp dir
//	stack, err := harness.StartStack(harness.StackOptions{
//		Bin:      bins,
//		Dir:      dir,                      // logs, config, data; caller owns it
//		Topology: harness.AllInOne,         // or harness.SplitMesh
//	})
//	defer stack.Stop()                      // SIGTERM, wait, error unless every process exits 0
//	// stack.Gateway.BaseURL is http://127.0.0.1:PORT; use stack.Gateway.BaseURL+"/v1/"
//	// with harness.AliceToken or harness.BobToken.
//
// The lower-level pieces (StartFakeUpstream, StartGateway, WriteConfig,
// TestConfig, FreeAddr, StartProcess) can be combined freely.
package harness
