package delta

import (
	"bytes"
	"context"
	"fmt"
	"sort"

	"github.com/parquet-go/parquet-go"
)

// ServedEntityRow is one row of the served_entities table (as Databricks'
// system.serving.served_entities): one served-entity configuration version.
type ServedEntityRow struct {
	ServedEntityID      string `parquet:"served_entity_id"`
	EndpointName        string `parquet:"endpoint_name"`
	ServedEntityName    string `parquet:"served_entity_name"`
	EntityType          string `parquet:"entity_type"`
	EntityName          string `parquet:"entity_name"`
	Task                string `parquet:"task"`
	ExternalModelConfig string `parquet:"external_model_config"`
	ChangeTimeMicros    int64  `parquet:"change_time,timestamp(microsecond:utc)"`
	// EndpointDeleteTimeMicros is when the endpoint left the config; null while it exists.
	EndpointDeleteTimeMicros *int64 `parquet:"endpoint_delete_time,timestamp(microsecond:utc),optional"`
}

// ServedEntitiesTableSpec is the served_entities table, partitioned by the
// day the version was first seen.
func ServedEntitiesTableSpec(name string) TableSpec[ServedEntityRow] {
	return TableSpec[ServedEntityRow]{
		Name:            name,
		Description:     "Tollgate served entities: one row per served-entity configuration version.",
		PartitionColumn: "change_date",
		PartitionDay:    func(r *ServedEntityRow) int32 { return DayOfMicros(r.ChangeTimeMicros) },
	}
}

// DataFiles lists the table's live data files, relative to its root.
func (t *Table) DataFiles(ctx context.Context) ([]string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.refreshLocked(ctx); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(t.snap.files))
	for path := range t.snap.files {
		out = append(out, path)
	}
	sort.Strings(out)
	return out, nil
}

// ReadAll reads every row of a table's live files: meant for small tables
// (served_entities), whose writer must know what is already there. Partition
// columns are not in the data files and stay zero.
func ReadAll[R any](ctx context.Context, t *Table) ([]R, error) {
	files, err := t.DataFiles(ctx)
	if err != nil {
		return nil, err
	}
	var out []R
	for _, f := range files {
		b, err := t.store.Get(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("delta: read %s: %w", f, err)
		}
		rows, err := parquet.Read[R](bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return nil, fmt.Errorf("delta: decode %s: %w", f, err)
		}
		out = append(out, rows...)
	}
	return out, nil
}
