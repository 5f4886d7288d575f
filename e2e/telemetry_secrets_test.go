package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/e2e/harness"
)

// TestTelemetryNeverStoresSecrets sends requests with Tollgate tokens to
// endpoints whose upstream key comes from the environment, one of them with
// an inference table, and then reads every table in ClickHouse and in the
// Delta root, the spool's bytes and the gateway's logs: none may hold a
// token or the upstream key. The request's prompt must be found in the inference tables, so the
// scan demonstrably sees what was logged.
func TestTelemetryNeverStoresSecrets(t *testing.T) {
	began := time.Now()
	ts := startTelemetryStack(t, harness.AllInOne)
	marker := "canary-prompt-" + randomHex(t, 8)
	sent := 0
	for _, token := range []string{harness.AliceToken, harness.BobToken} {
		for _, k := range telemetryLoadMix {
			if _, err := sendLoadRequest(ts.http, ts.baseURL(), token, k, marker+" load "+k.endpoint); err != nil {
				t.Fatalf("%s stream=%v: %v", k.endpoint, k.stream, err)
			}
			sent++
		}
	}
	// A refused request (wrong endpoint) is recorded too.
	r := ts.postJSON(t, "/v1/chat/completions", harness.AliceToken, chatBody("no-such-endpoint", marker))
	if r.Status == http.StatusOK {
		t.Fatalf("unknown endpoint answered 200")
	}
	if !ts.waitCaughtUp(t, sent, 40*time.Second) {
		t.FailNow()
	}

	secrets := map[string]string{
		"alice's Tollgate token": harness.AliceToken,
		"bob's Tollgate token":   harness.BobToken,
		"the upstream API key":   harness.UpstreamKey,
	}
	noSecrets := func(where, text string) {
		t.Helper()
		for what, s := range secrets {
			if i := strings.Index(text, s); i >= 0 {
				t.Errorf("%s holds %s: …%s…", where, what, text[max(0, i-120):min(len(text), i+len(s)+40)])
			}
		}
	}

	// ClickHouse: every table of the database, every column.
	tables, err := ts.ch.Query("SELECT name FROM system.tables WHERE database = '" + chDatabase + "' ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	sawPayload := false
	for _, table := range strings.Fields(tables) {
		dump, err := ts.ch.Query("SELECT * FROM " + chDatabase + "." + table + " FORMAT TabSeparated")
		if err != nil {
			t.Fatal(err)
		}
		noSecrets("ClickHouse table "+table, dump)
		if table == loggedPrefix+"_payload" {
			sawPayload = strings.Contains(dump, marker)
		}
	}
	if !sawPayload {
		t.Errorf("ClickHouse's %s_payload does not hold the prompt %q: the scan cannot see payloads (tables: %s)", loggedPrefix, marker, strings.Fields(tables))
	}

	// Delta: every table under the root.
	entries, err := os.ReadDir(ts.deltaDir)
	if err != nil {
		t.Fatal(err)
	}
	sawPayload = false
	var deltaTables []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(ts.deltaDir, e.Name(), "_delta_log")); err != nil {
			continue
		}
		deltaTables = append(deltaTables, e.Name())
		dump, err := ts.delta.QueryRaw(filepath.Join(ts.deltaDir, e.Name()), "SELECT * FROM {table}")
		if err != nil {
			t.Fatal(err)
		}
		noSecrets("Delta table "+e.Name(), dump)
		if e.Name() == loggedPrefix+"_payload" {
			sawPayload = strings.Contains(dump, marker)
		}
	}
	if !sawPayload {
		t.Errorf("Delta's %s_payload does not hold the prompt %q: the scan cannot see payloads (tables: %v)", loggedPrefix, marker, deltaTables)
	}

	// The spool keeps events as plain protobuf: its bytes are the events.
	sawPayload = false
	err = filepath.WalkDir(ts.dataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		noSecrets("spool file "+path, string(b))
		sawPayload = sawPayload || strings.Contains(string(b), marker)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !sawPayload {
		t.Errorf("the spool under %s does not hold the prompt %q", ts.dataDir, marker)
	}
	// Nor do the gateway's logs.
	for _, p := range ts.stack.Gateway.Procs {
		noSecrets(p.Name+"'s log", p.Log())
	}
	t.Logf("%d requests; scanned ClickHouse tables %v, Delta tables %v, the spool and the logs in %s",
		sent+1, strings.Fields(tables), deltaTables, time.Since(began).Round(time.Millisecond))
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
