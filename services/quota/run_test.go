package quota

import (
	"context"
	"io"
	"strings"
	"testing"
)

func TestRunRejectsUnknownFlags(t *testing.T) {
	var stderr strings.Builder
	if err := Run(context.Background(), []string{"-no-such-flag"}, &stderr); err == nil {
		t.Fatal("an unknown flag must fail")
	}
}

func TestRunStopsWhenContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Run(ctx, []string{"-grpc-addr", "127.0.0.1:0", "-admin-addr", ""}, io.Discard); err != nil {
		t.Fatalf("a clean stop is not an error: %v", err)
	}
}
