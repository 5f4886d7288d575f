// Package e2e holds Tollgate's end-to-end tests: they start the real
// binaries (see package harness) in both topologies, the all-in-one process
// and the split mesh, and drive them with the official OpenAI SDKs for Go and
// Node and with raw HTTP.
//
// Run with `make test-e2e`, or standalone with `cd e2e && go test ./...`
// (binaries come from $TOLLGATE_BIN, or are built into a temp dir).
package e2e
