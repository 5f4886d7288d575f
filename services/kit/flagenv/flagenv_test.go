package flagenv

import (
	"flag"
	"strings"
	"testing"
)

func TestEnvFillsUnsetFlagsAndFlagsWin(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	addr := fs.String("grpc-addr", "default", "")
	level := fs.String("log-level", "info", "")
	t.Setenv("TOLLGATE_GRPC_ADDR", "from-env")
	t.Setenv("TOLLGATE_LOG_LEVEL", "debug")
	if err := Parse(fs, []string{"-log-level", "warn"}, "TOLLGATE"); err != nil {
		t.Fatal(err)
	}
	if *addr != "from-env" || *level != "warn" {
		t.Fatalf("addr %q level %q", *addr, *level)
	}
}

func TestBadEnvValuesAreAllReported(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.Int("a-num", 0, "")
	fs.Duration("b-dur", 0, "")
	t.Setenv("X_A_NUM", "seven")
	t.Setenv("X_B_DUR", "soon")
	err := Parse(fs, nil, "X")
	if err == nil || !strings.Contains(err.Error(), "X_A_NUM") || !strings.Contains(err.Error(), "X_B_DUR") {
		t.Fatalf("want both bad values reported, got %v", err)
	}
}
