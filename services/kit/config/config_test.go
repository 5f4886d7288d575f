package config

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDefaultConfigIsValid(t *testing.T) {
	c, err := Load("")
	if err != nil {
		t.Fatalf("the embedded default config is invalid: %v", err)
	}
	if c.Endpoint("demo-chat") == nil || c.Endpoint("demo-embeddings") == nil {
		t.Fatal("default config must define demo-chat and demo-embeddings")
	}
	if c.Tokens[0].SHA256 != HashToken(DevToken) {
		t.Fatal("default token hash does not match the dev token")
	}
}

func TestValidateReportsEveryProblemAtOnce(t *testing.T) {
	_, err := Parse([]byte(`
endpoints:
  - name: bad name
    task: translate
    served_entities:
      - name: a
        provider: openai_compatible
        model: m
        traffic_percentage: 60
        api_key: {env: A, file: /b}
      - name: a
        provider: nope
        model: ""
        traffic_percentage: 30
    rate_limits:
      - scope: planet
        calls_per_minute: 0
    permissions:
      - principal: ghost
        level: CAN_FLY
tokens:
  - principal: ghost
    sha256: tollgate-dev-token
`))
	if err == nil {
		t.Fatal("expected validation errors")
	}
	want := []string{
		`endpoints[0].name`, `task: "translate"`, `base_url: required`, `exactly one of env or file`,
		`duplicate served entity "a"`, `unknown provider "nope"`, `model: required`, `add up to 90`,
		`scope: "planet"`, `calls_per_minute: must be positive`, `unknown principal "ghost"`,
		`"CAN_FLY"`, `not the token itself`,
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error does not mention %q:\n%v", w, err)
		}
	}
	if !IsValidation(err) {
		t.Error("expected a ValidationError")
	}
}

func TestUnknownKeysAreRejected(t *testing.T) {
	_, err := Parse([]byte("endpoints:\n  - name: x\n    taks: chat\n"))
	if err == nil || !strings.Contains(err.Error(), "taks") {
		t.Fatalf("typo must be an error, got %v", err)
	}
}

func TestSecretRefNeverPrintsValue(t *testing.T) {
	t.Setenv("SECRET_KEY_FOR_TEST", "sk-very-secret")
	r := &SecretRef{Env: "SECRET_KEY_FOR_TEST"}
	if strings.Contains(r.String(), "sk-very") {
		t.Fatal("secret leaked through String")
	}
}

func TestWatchReloadsAndKeepsLastGoodOnInvalid(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tollgate.yaml")
	if err := os.WriteFile(path, DefaultYAML(), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := NewStore(path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	changed := s.Subscribe()
	go s.Watch(ctx, 10*time.Millisecond)

	// An invalid edit keeps the old config.
	if err := os.WriteFile(path, []byte("endpoints: [{name: '!!'}]"), 0o600); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if s.Current().Version != 1 || s.Current().Config.Endpoint("demo-chat") == nil {
		t.Fatal("invalid reload replaced the config")
	}
	// A valid edit lands and notifies.
	next := strings.Replace(string(DefaultYAML()), "demo-embeddings", "renamed-embeddings", 1)
	if err := os.WriteFile(path, []byte(next), 0o600); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changed:
	case <-time.After(5 * time.Second):
		t.Fatal("no change notification")
	}
	if s.Current().Config.Endpoint("renamed-embeddings") == nil {
		t.Fatal("reload did not apply")
	}
}

func TestDeployExampleConfigIsValid(t *testing.T) {
	if _, err := Load(filepath.Join("..", "..", "..", "deploy", "local", "example.yaml")); err != nil {
		t.Fatalf("deploy/local/example.yaml: %v", err)
	}
}

func TestServedEntityIDChangesWithConfig(t *testing.T) {
	se := ServedEntity{Name: "a", Provider: ProviderFake, Model: "m", TrafficPercentage: 100}
	id := ServedEntityID("ep", &se)
	if id != ServedEntityID("ep", &se) || len(id) != 16 {
		t.Fatalf("id %q is not stable", id)
	}
	changed := se
	changed.Model = "m2"
	if ServedEntityID("ep", &changed) == id || ServedEntityID("other", &se) == id {
		t.Fatal("id did not change with the configuration")
	}
}
