package clickhouse

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/tollgate/tollgate/services/kit/config"
)

// ServedEntity is one row of served_entities, named as Databricks'
// system.serving.served_entities: one per served entity config version.
type ServedEntity struct {
	// ServedEntityID is the config version's id (what usage rows carry).
	ServedEntityID   string
	EndpointName     string
	ServedEntityName string
	// EntityType is EXTERNAL_MODEL for every provider Tollgate calls.
	EntityType string
	// EntityName is the provider's model name.
	EntityName string
	// Task is llm/v1/chat or llm/v1/embeddings.
	Task string
	// ExternalModelConfig is the entity's config as JSON, secrets left out.
	ExternalModelConfig string
	// ChangeTime is when this version was first recorded.
	ChangeTime time.Time
	// EndpointDeleteTime is when the endpoint left the config; nil while it exists.
	EndpointDeleteTime *time.Time
}

// Databricks' names for entity types and tasks.
const (
	EntityTypeExternalModel = "EXTERNAL_MODEL"
	TaskChat                = "llm/v1/chat"
	TaskEmbeddings          = "llm/v1/embeddings"
)

// ServedEntitiesFromConfig lists cfg's served entities as rows (ChangeTime
// and EndpointDeleteTime left for SyncServedEntities). id computes a served
// entity's id exactly as the router stamps it on usage events.
func ServedEntitiesFromConfig(cfg *config.Config, id func(endpoint string, se *config.ServedEntity) string) []ServedEntity {
	var out []ServedEntity
	for i := range cfg.Endpoints {
		ep := &cfg.Endpoints[i]
		task := TaskChat
		if ep.Task == config.TaskEmbeddings {
			task = TaskEmbeddings
		}
		for j := range ep.ServedEntities {
			se := &ep.ServedEntities[j]
			out = append(out, ServedEntity{
				ServedEntityID:      id(ep.Name, se),
				EndpointName:        ep.Name,
				ServedEntityName:    se.Name,
				EntityType:          EntityTypeExternalModel,
				EntityName:          se.Model,
				Task:                task,
				ExternalModelConfig: externalModelConfig(se),
			})
		}
	}
	return out
}

// externalModelConfig describes an entity without anything secret: the API
// key reference is left out and headers appear by name only, since their
// values often carry credentials.
func externalModelConfig(se *config.ServedEntity) string {
	headers := make([]string, 0, len(se.Headers))
	for k := range se.Headers {
		headers = append(headers, k)
	}
	slices.Sort(headers)
	doc := struct {
		Provider          string   `json:"provider"`
		Name              string   `json:"name"`
		BaseURL           string   `json:"base_url,omitempty"`
		TrafficPercentage int      `json:"traffic_percentage"`
		Timeout           string   `json:"timeout,omitempty"`
		HeaderNames       []string `json:"header_names,omitempty"`
	}{se.Provider, se.Model, se.BaseURL, se.TrafficPercentage, "", headers}
	if se.Timeout > 0 {
		doc.Timeout = time.Duration(se.Timeout).String()
	}
	b, _ := json.Marshal(doc) // strings and ints only: cannot fail
	return string(b)
}

// SyncServedEntities brings served_entities in line with the configured
// entities (call it at start and on every config change):
//   - an id not recorded yet, or recorded for a deleted endpoint, is
//     recorded with ChangeTime now;
//   - a recorded entity whose endpoint is no longer configured gets
//     EndpointDeleteTime now.
//
// Entity versions replaced within a still-configured endpoint stay as they
// are: they are the history usage rows refer to. Concurrent syncs (several
// replicas) may write the same change twice; readers see one row per id.
func (s *Store) SyncServedEntities(ctx context.Context, configured []ServedEntity, now time.Time) error {
	current, err := s.ServedEntities(ctx)
	if err != nil {
		return err
	}
	byID := make(map[string]ServedEntity, len(current))
	for _, e := range current {
		byID[e.ServedEntityID] = e
	}
	endpoints := map[string]struct{}{}
	seen := map[string]struct{}{}
	var changes []ServedEntity
	now = now.UTC().Truncate(time.Second)
	for _, e := range configured {
		endpoints[e.EndpointName] = struct{}{}
		if _, dup := seen[e.ServedEntityID]; dup {
			continue
		}
		seen[e.ServedEntityID] = struct{}{}
		if old, ok := byID[e.ServedEntityID]; ok && old.EndpointDeleteTime == nil {
			continue
		}
		e.ChangeTime, e.EndpointDeleteTime = now, nil
		changes = append(changes, e)
	}
	for _, e := range current {
		if _, ok := endpoints[e.EndpointName]; ok || e.EndpointDeleteTime != nil {
			continue
		}
		deleted := now
		e.EndpointDeleteTime = &deleted
		changes = append(changes, e)
	}
	if len(changes) == 0 {
		return nil
	}
	version := uint64(time.Now().UnixNano())
	err = s.insert(ctx, "", tableServedEntities, servedEntityColumns, func(b driver.Batch) error {
		for _, e := range changes {
			if err := b.Append(e.ServedEntityID, e.EndpointName, e.ServedEntityName, e.EntityType, e.EntityName,
				e.Task, e.ExternalModelConfig, e.ChangeTime, e.EndpointDeleteTime, version); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("clickhouse: write %s: %w", tableServedEntities, err)
	}
	return nil
}

// ServedEntities lists the newest row of every served entity id, ordered by
// endpoint and entity name.
func (s *Store) ServedEntities(ctx context.Context) ([]ServedEntity, error) {
	// LIMIT 1 BY rather than argMax: aggregate functions skip NULLs, so
	// argMax would not see a revived endpoint's NULL delete time.
	rows, err := s.conn.Query(ctx, "SELECT served_entity_id, endpoint_name, served_entity_name, entity_type, entity_name, task, "+
		"external_model_config, change_time, endpoint_delete_time FROM "+s.table(tableServedEntities)+
		" ORDER BY row_version DESC LIMIT 1 BY served_entity_id")
	if err != nil {
		return nil, fmt.Errorf("clickhouse: read %s: %w", tableServedEntities, err)
	}
	defer rows.Close()
	var out []ServedEntity
	for rows.Next() {
		var e ServedEntity
		if err := rows.Scan(&e.ServedEntityID, &e.EndpointName, &e.ServedEntityName, &e.EntityType, &e.EntityName,
			&e.Task, &e.ExternalModelConfig, &e.ChangeTime, &e.EndpointDeleteTime); err != nil {
			return nil, fmt.Errorf("clickhouse: read %s: %w", tableServedEntities, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clickhouse: read %s: %w", tableServedEntities, err)
	}
	slices.SortFunc(out, func(a, b ServedEntity) int {
		if c := cmp.Compare(a.EndpointName, b.EndpointName); c != 0 {
			return c
		}
		if c := cmp.Compare(a.ServedEntityName, b.ServedEntityName); c != 0 {
			return c
		}
		return cmp.Compare(a.ServedEntityID, b.ServedEntityID)
	})
	return out, nil
}
