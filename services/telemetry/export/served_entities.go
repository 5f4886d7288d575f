package export

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tollgate/tollgate/services/kit/config"
	"github.com/tollgate/tollgate/services/telemetry/clickhouse"
	"github.com/tollgate/tollgate/services/telemetry/delta"
)

// ServedEntitiesTable is the served-entities table's directory name.
const ServedEntitiesTable = "served_entities"

// servedEntitiesAppID names the served-entities writer in txn actions.
const servedEntitiesAppID = "tollgate-served-entities"

// ServedEntities mirrors the config's served-entity versions into a Delta
// table: each version (served_entity_id) once, when first seen, and a row
// with endpoint_delete_time when its endpoint leaves the config. Before each
// append it reads back what the table holds (the table is small), so a
// crash or a restart never writes a version twice.
type ServedEntities struct {
	w   *delta.Writer[delta.ServedEntityRow]
	log *slog.Logger
	now func() time.Time
}

// NewServedEntities opens (or creates) the table under root.
func NewServedEntities(ctx context.Context, root string, log *slog.Logger, reg prometheus.Registerer) (*ServedEntities, error) {
	store, err := delta.NewLocalStorage(filepath.Join(root, ServedEntitiesTable))
	if err != nil {
		return nil, err
	}
	w, err := delta.NewWriter(ctx, store, delta.ServedEntitiesTableSpec(ServedEntitiesTable), delta.Options{Registerer: reg})
	if err != nil {
		return nil, fmt.Errorf("export: open %s: %w", ServedEntitiesTable, err)
	}
	return &ServedEntities{w: w, log: log, now: time.Now}, nil
}

// Sync records cfg's new served-entity versions and deleted endpoints.
func (s *ServedEntities) Sync(ctx context.Context, cfg *config.Config) error {
	existing, err := delta.ReadAll[delta.ServedEntityRow](ctx, s.w.Table())
	if err != nil {
		return err
	}
	// The newest row of each version says whether it is live or deleted.
	latest := map[string]delta.ServedEntityRow{}
	for _, r := range existing {
		if cur, ok := latest[r.ServedEntityID]; !ok || r.ChangeTimeMicros >= cur.ChangeTimeMicros {
			latest[r.ServedEntityID] = r
		}
	}
	now := s.now().UnixMicro()
	var rows []delta.ServedEntityRow
	configured := map[string]bool{}
	for _, e := range clickhouse.ServedEntitiesFromConfig(cfg, config.ServedEntityID) {
		configured[e.EndpointName] = true
		if l, ok := latest[e.ServedEntityID]; ok && l.EndpointDeleteTimeMicros == nil {
			continue
		}
		rows = append(rows, delta.ServedEntityRow{
			ServedEntityID: e.ServedEntityID, EndpointName: e.EndpointName, ServedEntityName: e.ServedEntityName,
			EntityType: e.EntityType, EntityName: e.EntityName, Task: e.Task,
			ExternalModelConfig: e.ExternalModelConfig, ChangeTimeMicros: now,
		})
	}
	// Versions of endpoints that left the config get a deletion row;
	// versions replaced within a configured endpoint stay as they are.
	for _, l := range latest {
		if l.EndpointDeleteTimeMicros == nil && !configured[l.EndpointName] {
			l.ChangeTimeMicros, l.EndpointDeleteTimeMicros = now, &now
			rows = append(rows, l)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	last, err := s.w.LastTxnVersion(ctx, servedEntitiesAppID)
	if err != nil {
		return err
	}
	_, err = s.w.Append(ctx, rows, servedEntitiesAppID, last+1)
	return err
}

// Run syncs now and after every config change until ctx ends, retrying a
// failed sync.
func (s *ServedEntities) Run(ctx context.Context, store *config.Store) {
	changed := store.Subscribe()
	for {
		if err := s.Sync(ctx, store.Current().Config); err != nil && ctx.Err() == nil {
			s.log.Warn("served entities not mirrored to Delta yet; retrying", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(5 * time.Second):
			}
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-changed:
		}
	}
}
