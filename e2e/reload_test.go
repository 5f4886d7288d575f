package e2e

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/tollgate/tollgate/e2e/harness"
)

// reloadWait bounds how long a config change may take to apply (services
// poll the file every 250ms by default; the mesh also relays policy).
const reloadWait = 15 * time.Second

// testConfigReload rewrites the config under the running gateway: a changed
// reply and a new endpoint must apply without a restart; an invalid file
// written afterwards must leave the last good config serving.
func (s *suite) testConfigReload(t *testing.T) {
	upstream := s.stack.Upstream.BaseURL()
	if got := s.fakeChatReply(t, harness.EndpointFakeChat); got != harness.DefaultFakeReply {
		t.Fatalf("before reload: fake-chat replied %q, want %q", got, harness.DefaultFakeReply)
	}
	pids := map[string]int{}
	for _, p := range s.stack.Gateway.Procs {
		pids[p.Name] = p.Pid()
	}

	const newReply = "reloaded reply, version two"
	const added = "added-after-reload"
	good := harness.TestConfig(harness.ConfigOptions{UpstreamURL: upstream, FakeChatReply: newReply, ExtraFakeEndpoints: []string{added}})
	if err := harness.WriteConfig(s.stack.ConfigPath, good); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Leave the original config behind for anything that runs later.
		_ = harness.WriteConfig(s.stack.ConfigPath, harness.TestConfig(harness.ConfigOptions{UpstreamURL: upstream}))
	})
	waitFor(t, "fake-chat to reply with the reloaded text", func() (bool, string) {
		got := s.fakeChatReply(t, harness.EndpointFakeChat)
		return got == newReply, "last reply: " + got
	})
	waitFor(t, "the added endpoint to serve", func() (bool, string) {
		r := s.postJSON(t, "/v1/chat/completions", harness.AliceToken, chatBody(added, "hi"))
		return r.Status == http.StatusOK, "last answer: " + truncate(r.Body)
	})
	waitFor(t, "the added endpoint to be listed", func() (bool, string) {
		ids := s.modelIDs(t, harness.BobToken)
		return ids[added], "listed"
	})

	// An invalid config (a typo'd key; strict parsing rejects it) must not
	// replace the good one.
	if err := harness.WriteConfig(s.stack.ConfigPath, good+"endpoint_typo: []\n"); err != nil {
		t.Fatal(err)
	}
	// Give every service several reload periods to (wrongly) act on it.
	time.Sleep(2 * time.Second)
	if got := s.fakeChatReply(t, harness.EndpointFakeChat); got != newReply {
		t.Errorf("after an invalid config: fake-chat replied %q, want the last good %q", got, newReply)
	}
	r := s.postJSON(t, "/v1/chat/completions", harness.AliceToken, chatBody(added, "hi"))
	if r.Status != http.StatusOK {
		t.Errorf("after an invalid config: the added endpoint answered %d: %s", r.Status, truncate(r.Body))
	}
	r = s.postJSON(t, "/v1/chat/completions", harness.AliceToken, chatBody(harness.EndpointChat, "hi"))
	if r.Status != http.StatusOK {
		t.Errorf("after an invalid config: chat answered %d: %s", r.Status, truncate(r.Body))
	}
	if r := s.do(t, http.MethodGet, "/healthz", "", nil, nil); r.Status != http.StatusOK {
		t.Errorf("after an invalid config: /healthz = %d", r.Status)
	}

	// Unparsable and empty files are rejected the same way.
	for _, bad := range []struct{ name, text string }{{"unparsable", "endpoints: [ {{{ not yaml"}, {"empty", ""}} {
		if err := harness.WriteConfig(s.stack.ConfigPath, bad.text); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		if got := s.fakeChatReply(t, harness.EndpointFakeChat); got != newReply {
			t.Errorf("after an %s config: fake-chat replied %q, want %q", bad.name, got, newReply)
		}
	}

	// A good config after bad ones applies again.
	if err := harness.WriteConfig(s.stack.ConfigPath, harness.TestConfig(harness.ConfigOptions{UpstreamURL: upstream})); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the original reply to come back", func() (bool, string) {
		got := s.fakeChatReply(t, harness.EndpointFakeChat)
		return got == harness.DefaultFakeReply, "last reply: " + got
	})
	waitFor(t, "the added endpoint to go away", func() (bool, string) {
		r := s.postJSON(t, "/v1/chat/completions", harness.AliceToken, chatBody(added, "hi"))
		return r.Status == http.StatusNotFound, "last status: " + http.StatusText(r.Status)
	})

	for _, p := range s.stack.Gateway.Procs {
		if p.Exited() || p.Pid() != pids[p.Name] {
			t.Errorf("%s restarted or exited during reload", p.Name)
		}
	}
}

// fakeChatReply returns the content endpoint answers with, or "" with the
// status noted in the log.
func (s *suite) fakeChatReply(t *testing.T, endpoint string) string {
	t.Helper()
	r := s.postJSON(t, "/v1/chat/completions", harness.AliceToken, chatBody(endpoint, "what is your reply?"))
	if r.Status != http.StatusOK {
		t.Logf("%s answered %d: %s", endpoint, r.Status, truncate(r.Body))
		return ""
	}
	var c struct {
		Choices []struct {
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
	}
	if err := json.Unmarshal(r.Body, &c); err != nil || len(c.Choices) == 0 {
		t.Logf("%s: not a chat completion: %s", endpoint, truncate(r.Body))
		return ""
	}
	return c.Choices[0].Message.Content
}

// modelIDs lists the endpoints token may query, over raw HTTP.
func (s *suite) modelIDs(t *testing.T, token string) map[string]bool {
	t.Helper()
	r := s.do(t, http.MethodGet, "/v1/models", token, nil, nil)
	var list struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	ids := map[string]bool{}
	if r.Status == http.StatusOK && json.Unmarshal(r.Body, &list) == nil {
		for _, m := range list.Data {
			ids[m.ID] = true
		}
	}
	return ids
}

// waitFor polls cond every 100ms until it holds or reloadWait passes.
func waitFor(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(reloadWait)
	for {
		ok, detail := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s; %s", reloadWait, what, detail)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
