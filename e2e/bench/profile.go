package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// FetchCPUProfile asks a service's admin server for a CPU profile of the next
// seconds (net/http/pprof) and writes it to path. It blocks for that long.
func FetchCPUProfile(ctx context.Context, adminAddr string, seconds int, path string) error {
	url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", adminAddr, seconds)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: time.Duration(seconds)*time.Second + 30*time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("profile %s: %w", adminAddr, err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("profile %s: %s: %s", adminAddr, resp.Status, msg)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		_ = f.Close()
		return fmt.Errorf("profile %s: %w", adminAddr, err)
	}
	return f.Close()
}
