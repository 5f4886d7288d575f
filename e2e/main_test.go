package e2e

import (
	"fmt"
	"os"
	"testing"

	"github.com/tollgate/tollgate/e2e/harness"
)

// binDir is where the binaries under test are; set by TestMain.
var binDir string

func TestMain(m *testing.M) {
	dir, err := harness.BinDir()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: no binaries to test:", err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	harness.RemoveBuilt()
	os.Exit(code)
}
