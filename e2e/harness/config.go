package harness

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Principals and their bearer tokens in TestConfig. Both are users in group
// "eng"; only alice may query the "private" endpoint.
const (
	Alice      = "alice"
	Bob        = "bob"
	AliceToken = "tg-e2e-alice-7f3a9c"
	BobToken   = "tg-e2e-bob-41d2e8"
	// ExpiredToken is bob's, expired in 2020: it must authenticate no one.
	ExpiredToken = "tg-e2e-expired-90c4aa"
)

// The upstream API key the gateway sends to the fake upstream: TestConfig
// references it as {env: UpstreamKeyEnv}; the gateway processes get
// UpstreamKeyEnv=UpstreamKey in their environment.
const (
	UpstreamKeyEnv = "FAKE_UPSTREAM_KEY"
	UpstreamKey    = "sk-e2e-upstream-5b0c1d"
)

// Endpoint names in TestConfig.
const (
	EndpointChat       = "chat"       // chat on the fake upstream, model gpt-fake
	EndpointEmbeddings = "embeddings" // embeddings on the fake upstream
	EndpointLimited    = "limited"    // chat, 2 calls per minute for the whole endpoint
	EndpointBroken     = "broken"     // chat, the upstream answers 500
	EndpointSlow       = "slow"       // chat, the upstream hangs; entity timeout 1s
	EndpointPrivate    = "private"    // chat, only alice may query
	EndpointFakeChat   = "fake-chat"  // chat on the built-in fake provider
	EndpointFakeDrain  = "fake-drain" // chat on the fake provider, streaming 10 chunks 150ms apart
)

// UpstreamModel is the model name the chat endpoints send upstream.
const UpstreamModel = "gpt-fake"

// DefaultFakeReply is fake-chat's reply unless ConfigOptions says otherwise.
const DefaultFakeReply = "hello from the built-in fake provider"

// ConfigOptions shape TestConfig.
type ConfigOptions struct {
	// UpstreamURL is the fake upstream's base URL including /v1.
	UpstreamURL string
	// FakeChatReply is fake-chat's fixed reply; empty means DefaultFakeReply.
	FakeChatReply string
	// ExtraFakeEndpoints are added as further chat endpoints on the built-in
	// fake provider, queryable by all users (config reload tests add one).
	ExtraFakeEndpoints []string
}

// TestConfig renders the declarative config the e2e suite runs against.
func TestConfig(o ConfigOptions) string {
	reply := o.FakeChatReply
	if reply == "" {
		reply = DefaultFakeReply
	}
	var b strings.Builder
	b.WriteString("endpoints:\n")
	upstream := func(name, task, model, extra string) {
		fmt.Fprintf(&b, `  - name: %s
    task: %s
    served_entities:
      - name: %s-upstream
        provider: openai_compatible
        model: %s
        base_url: %s
        api_key: {env: %s}
%s    permissions:
      - {group: users, level: CAN_QUERY}
`, name, task, name, model, quote(o.UpstreamURL), UpstreamKeyEnv, extra)
	}
	upstream(EndpointChat, "chat", UpstreamModel, "")
	upstream(EndpointEmbeddings, "embeddings", "text-embedding-fake", "")
	upstream(EndpointBroken, "chat", "fail-500", "")
	upstream(EndpointSlow, "chat", "slow", "        timeout: 1s\n")
	// limited and private differ from the template after served_entities.
	fmt.Fprintf(&b, `  - name: %s
    task: chat
    served_entities:
      - name: limited-upstream
        provider: openai_compatible
        model: %s
        base_url: %s
        api_key: {env: %s}
    rate_limits:
      - {scope: endpoint, calls_per_minute: 2}
    permissions:
      - {group: users, level: CAN_QUERY}
  - name: %s
    task: chat
    served_entities:
      - name: private-upstream
        provider: openai_compatible
        model: %s
        base_url: %s
        api_key: {env: %s}
    permissions:
      - {principal: alice, level: CAN_QUERY}
`, EndpointLimited, UpstreamModel, quote(o.UpstreamURL), UpstreamKeyEnv,
		EndpointPrivate, UpstreamModel, quote(o.UpstreamURL), UpstreamKeyEnv)
	fakeChat := func(name string) {
		fmt.Fprintf(&b, `  - name: %s
    task: chat
    served_entities:
      - name: %s-fake
        provider: fake
        model: fake-chat-1
        fake: {reply: %s}
    permissions:
      - {group: users, level: CAN_QUERY}
`, name, name, quote(reply))
	}
	fakeChat(EndpointFakeChat)
	fmt.Fprintf(&b, `  - name: %s
    task: chat
    served_entities:
      - name: drain-fake
        provider: fake
        model: fake-chat-1
        fake: {chunks: 10, chunk_delay: 150ms}
    permissions:
      - {group: users, level: CAN_QUERY}
`, EndpointFakeDrain)
	for _, name := range o.ExtraFakeEndpoints {
		fakeChat(name)
	}
	fmt.Fprintf(&b, `principals:
  - {name: %s, type: user, groups: [eng]}
  - {name: %s, type: user, groups: [eng]}
groups:
  - name: eng
tokens:
  - {name: alice-token, principal: %s, sha256: %s}
  - {name: bob-token, principal: %s, sha256: %s}
  - {name: bob-expired, principal: %s, sha256: %s, expires: "2020-01-01T00:00:00Z"}
`, Alice, Bob, Alice, HashToken(AliceToken), Bob, HashToken(BobToken), Bob, HashToken(ExpiredToken))
	return b.String()
}

// quote renders s as a double-quoted YAML scalar (JSON strings are valid YAML).
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// HashToken is how the config stores a token: lower-case hex SHA-256.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// WriteConfig replaces the file at path with text atomically (write a
// sibling, then rename), so a watcher never reads half a file.
func WriteConfig(path, text string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".config-*.yaml")
	if err != nil {
		return err
	}
	if _, err := tmp.WriteString(text); err != nil {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
