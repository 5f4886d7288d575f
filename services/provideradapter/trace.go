package provideradapter

import (
	"context"
	"time"
)

// callTrace records when a provider call produced its first byte, for the
// time-to-first-byte metric. Providers mark it through the context, so the
// Provider interface stays about inference only.
type callTrace struct {
	start     time.Time
	firstByte time.Duration
}

type traceKey struct{}

// traceContext carries a callTrace: one allocation where context.WithValue
// and the trace would be two.
type traceContext struct {
	context.Context
	trace callTrace
}

func (c *traceContext) Value(key any) any {
	if key == (traceKey{}) {
		return &c.trace
	}
	return c.Context.Value(key)
}

func withTrace(ctx context.Context, start time.Time) (context.Context, *callTrace) {
	c := &traceContext{Context: ctx, trace: callTrace{start: start}}
	return c, &c.trace
}

// markFirstByte records the first byte of the call in ctx, once.
func markFirstByte(ctx context.Context) {
	if t, ok := ctx.Value(traceKey{}).(*callTrace); ok && t.firstByte == 0 {
		t.firstByte = time.Since(t.start)
	}
}
