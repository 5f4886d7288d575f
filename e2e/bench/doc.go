// Package bench is Tollgate's load generator and measurement kit: a
// closed-loop HTTP client for OpenAI chat completions and Anthropic Messages
// (unary and SSE), latency percentiles, per-process CPU accounting from
// /proc, response validation per client dialect and the markdown report.
// The command e2e/cmd/bench (run by `make bench`) wires it to real gateway
// processes started by e2e/harness.
package bench
