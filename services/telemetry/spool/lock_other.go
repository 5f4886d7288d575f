//go:build !unix

package spool

import (
	"fmt"
	"os"
	"path/filepath"
)

// lockDir only marks the directory where advisory locks are unavailable.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("spool: open lock file: %w", err)
	}
	return f, nil
}
