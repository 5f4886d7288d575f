// Package capture loads the exchanges captured from real clients that the
// wire packages keep in testdata/fixtures (see a package's
// testdata/fixtures/README.md): the request a client sent and the reply it
// accepted. It imports no wire package, so every wire package's tests can
// use it.
package capture

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// Exchange is one captured request and the reply the client accepted.
type Exchange struct {
	Source       string          `json:"source"`
	Method       string          `json:"method"`
	Path         string          `json:"path"`
	Body         json.RawMessage `json:"bodyJson"`
	ResponseBody string          `json:"responseBody"`
}

// Load reads every exchange in dir (*.json), failing t when there is none.
func Load(t testing.TB, dir string) []Exchange {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures in %s: %v", dir, err)
	}
	out := make([]Exchange, 0, len(files))
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var e Exchange
		if err := json.Unmarshal(raw, &e); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, e)
	}
	return out
}
