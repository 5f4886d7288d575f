package clickhouse

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/services/kit/config"
)

// testEntityID stands in for the router's served entity id.
func testEntityID(endpoint string, se *config.ServedEntity) string {
	return endpoint + "/" + se.Name + "/" + se.Model
}

func testConfig() *config.Config {
	return &config.Config{Endpoints: []config.Endpoint{
		{Name: "chat", Task: config.TaskChat, ServedEntities: []config.ServedEntity{
			{Name: "primary", Provider: "openai", Model: "gpt-4o", TrafficPercentage: 100, BaseURL: "https://example.invalid/v1",
				APIKey: &config.SecretRef{Env: "OPENAI_KEY_VAR"}, Headers: map[string]string{"X-Org-Token": "s3cr3t-value"}},
		}},
		{Name: "embed", Task: config.TaskEmbeddings, ServedEntities: []config.ServedEntity{
			{Name: "small", Provider: "fake", Model: "embed-small", TrafficPercentage: 100},
		}},
	}}
}

func TestServedEntitiesFromConfigLeavesSecretsOut(t *testing.T) {
	rows := ServedEntitiesFromConfig(testConfig(), testEntityID)
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2", len(rows))
	}
	r := rows[0]
	if r.ServedEntityID != "chat/primary/gpt-4o" || r.EndpointName != "chat" || r.ServedEntityName != "primary" ||
		r.EntityType != EntityTypeExternalModel || r.EntityName != "gpt-4o" || r.Task != TaskChat {
		t.Errorf("row = %+v", r)
	}
	if rows[1].Task != TaskEmbeddings {
		t.Errorf("embeddings endpoint task = %q", rows[1].Task)
	}
	for _, secret := range []string{"OPENAI_KEY_VAR", "s3cr3t-value", "api_key"} {
		if strings.Contains(r.ExternalModelConfig, secret) {
			t.Errorf("external_model_config %s contains %q", r.ExternalModelConfig, secret)
		}
	}
	if !strings.Contains(r.ExternalModelConfig, `"header_names":["X-Org-Token"]`) || !strings.Contains(r.ExternalModelConfig, `"provider":"openai"`) {
		t.Errorf("external_model_config = %s", r.ExternalModelConfig)
	}
}

func TestSyncServedEntitiesRecordsVersionsAndDeletions(t *testing.T) {
	srv := requireServer(t)
	st := newTestStore(t, srv)
	ctx := context.Background()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC)
	cfg := testConfig()
	if err := st.SyncServedEntities(ctx, ServedEntitiesFromConfig(cfg, testEntityID), t0); err != nil {
		t.Fatal(err)
	}
	// Syncing the same config again changes nothing.
	if err := st.SyncServedEntities(ctx, ServedEntitiesFromConfig(cfg, testEntityID), t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, err := st.ServedEntities(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !got[0].ChangeTime.Equal(t0) || got[0].EndpointDeleteTime != nil {
		t.Fatalf("after the first syncs: %+v", got)
	}

	// The chat entity moves to a new model; the embed endpoint goes away.
	t1 := t0.Add(2 * time.Hour)
	cfg.Endpoints[0].ServedEntities[0].Model = "gpt-4.1"
	cfg.Endpoints = cfg.Endpoints[:1]
	if err := st.SyncServedEntities(ctx, ServedEntitiesFromConfig(cfg, testEntityID), t1); err != nil {
		t.Fatal(err)
	}
	got, err = st.ServedEntities(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]ServedEntity{}
	for _, e := range got {
		byID[e.ServedEntityID] = e
	}
	if len(byID) != 3 {
		t.Fatalf("after the change: %d entities, want 3 (old chat version, new chat version, deleted embed): %+v", len(byID), got)
	}
	if e := byID["chat/primary/gpt-4o"]; e.EndpointDeleteTime != nil || !e.ChangeTime.Equal(t0) {
		t.Errorf("old chat version = %+v, want kept unchanged", e)
	}
	if e := byID["chat/primary/gpt-4.1"]; !e.ChangeTime.Equal(t1) || e.EndpointDeleteTime != nil || e.EntityName != "gpt-4.1" {
		t.Errorf("new chat version = %+v", e)
	}
	if e := byID["embed/small/embed-small"]; e.EndpointDeleteTime == nil || !e.EndpointDeleteTime.Equal(t1) || !e.ChangeTime.Equal(t0) {
		t.Errorf("embed entity = %+v, want deleted at %s", e, t1)
	}

	// The endpoint comes back: its entity is recorded as changed again.
	t2 := t1.Add(time.Hour)
	if err := st.SyncServedEntities(ctx, ServedEntitiesFromConfig(testConfig(), testEntityID), t2); err != nil {
		t.Fatal(err)
	}
	got, err = st.ServedEntities(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range got {
		if e.ServedEntityID == "embed/small/embed-small" && (e.EndpointDeleteTime != nil || !e.ChangeTime.Equal(t2)) {
			t.Errorf("revived embed entity = %+v", e)
		}
	}
}
