package delta

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/snappy"
)

// A classic (V1, single-file) checkpoint: one Parquet row per action of the
// reconciled state, with one optional struct column per action type, exactly
// one of which is set in each row. Field names and types follow the
// protocol's checkpoint schema; optional protocol fields are optional columns.

type checkpointRow struct {
	Txn      *cpTxn      `parquet:"txn,optional"`
	Add      *cpAdd      `parquet:"add,optional"`
	Remove   *cpRemove   `parquet:"remove,optional"`
	MetaData *cpMetadata `parquet:"metaData,optional"`
	Protocol *cpProtocol `parquet:"protocol,optional"`
}

type cpTxn struct {
	AppID       string `parquet:"appId"`
	Version     int64  `parquet:"version"`
	LastUpdated *int64 `parquet:"lastUpdated,optional"`
}

type cpAdd struct {
	Path             string            `parquet:"path"`
	PartitionValues  map[string]string `parquet:"partitionValues"`
	Size             int64             `parquet:"size"`
	ModificationTime int64             `parquet:"modificationTime"`
	DataChange       bool              `parquet:"dataChange"`
	Stats            *string           `parquet:"stats,optional"`
}

type cpRemove struct {
	Path              string `parquet:"path"`
	DeletionTimestamp *int64 `parquet:"deletionTimestamp,optional"`
	DataChange        bool   `parquet:"dataChange"`
}

type cpFormat struct {
	Provider string            `parquet:"provider"`
	Options  map[string]string `parquet:"options,optional"`
}

type cpMetadata struct {
	ID               string            `parquet:"id"`
	Name             *string           `parquet:"name,optional"`
	Description      *string           `parquet:"description,optional"`
	Format           cpFormat          `parquet:"format"`
	SchemaString     string            `parquet:"schemaString"`
	PartitionColumns []string          `parquet:"partitionColumns,list"`
	CreatedTime      *int64            `parquet:"createdTime,optional"`
	Configuration    map[string]string `parquet:"configuration"`
}

type cpProtocol struct {
	MinReaderVersion int32 `parquet:"minReaderVersion"`
	MinWriterVersion int32 `parquet:"minWriterVersion"`
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optInt64(v int64) *int64 {
	if v == 0 {
		return nil
	}
	return &v
}

func derefString(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func derefInt64(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func toCheckpointRow(a action) checkpointRow {
	switch {
	case a.Protocol != nil:
		return checkpointRow{Protocol: &cpProtocol{MinReaderVersion: a.Protocol.MinReaderVersion, MinWriterVersion: a.Protocol.MinWriterVersion}}
	case a.MetaData != nil:
		m := a.MetaData
		return checkpointRow{MetaData: &cpMetadata{
			ID: m.ID, Name: optString(m.Name), Description: optString(m.Description),
			Format:       cpFormat{Provider: m.Format.Provider, Options: m.Format.Options},
			SchemaString: m.SchemaString, PartitionColumns: m.PartitionColumns,
			CreatedTime: optInt64(m.CreatedTime), Configuration: m.Configuration,
		}}
	case a.Txn != nil:
		return checkpointRow{Txn: &cpTxn{AppID: a.Txn.AppID, Version: a.Txn.Version, LastUpdated: optInt64(a.Txn.LastUpdated)}}
	case a.Add != nil:
		f := a.Add
		return checkpointRow{Add: &cpAdd{
			Path: f.Path, PartitionValues: f.PartitionValues, Size: f.Size,
			ModificationTime: f.ModificationTime, DataChange: f.DataChange, Stats: optString(f.Stats),
		}}
	case a.Remove != nil:
		r := a.Remove
		return checkpointRow{Remove: &cpRemove{Path: r.Path, DeletionTimestamp: optInt64(r.DeletionTimestamp), DataChange: r.DataChange}}
	}
	return checkpointRow{}
}

func fromCheckpointRow(r *checkpointRow) (action, bool) {
	switch {
	case r.Protocol != nil:
		return action{Protocol: &protocolAction{MinReaderVersion: r.Protocol.MinReaderVersion, MinWriterVersion: r.Protocol.MinWriterVersion}}, true
	case r.MetaData != nil:
		m := r.MetaData
		return action{MetaData: &metadataAction{
			ID: m.ID, Name: derefString(m.Name), Description: derefString(m.Description),
			Format:       formatSpec{Provider: m.Format.Provider, Options: nonNilMap(m.Format.Options)},
			SchemaString: m.SchemaString, PartitionColumns: m.PartitionColumns,
			CreatedTime: derefInt64(m.CreatedTime), Configuration: nonNilMap(m.Configuration),
		}}, true
	case r.Txn != nil:
		return action{Txn: &txnAction{AppID: r.Txn.AppID, Version: r.Txn.Version, LastUpdated: derefInt64(r.Txn.LastUpdated)}}, true
	case r.Add != nil:
		f := r.Add
		return action{Add: &addAction{
			Path: f.Path, PartitionValues: nonNilMap(f.PartitionValues), Size: f.Size,
			ModificationTime: f.ModificationTime, DataChange: f.DataChange, Stats: derefString(f.Stats),
		}}, true
	case r.Remove != nil:
		return action{Remove: &removeAction{Path: r.Remove.Path, DeletionTimestamp: derefInt64(r.Remove.DeletionTimestamp), DataChange: r.Remove.DataChange}}, true
	}
	return action{}, false
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// encodeCheckpoint renders the reconciled state as a checkpoint file.
func encodeCheckpoint(actions []action) ([]byte, error) {
	rows := make([]checkpointRow, len(actions))
	for i, a := range actions {
		rows[i] = toCheckpointRow(a)
	}
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[checkpointRow](&buf, parquet.Compression(&snappy.Codec{}))
	if _, err := w.Write(rows); err != nil {
		return nil, fmt.Errorf("delta: encode checkpoint: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("delta: encode checkpoint: %w", err)
	}
	return buf.Bytes(), nil
}

// readCheckpoint loads the state of version v from its checkpoint.
func readCheckpoint(ctx context.Context, store Storage, v int64) (*snapshot, error) {
	data, err := store.Get(ctx, checkpointPath(v))
	if err != nil {
		return nil, fmt.Errorf("delta: read checkpoint %d: %w", v, err)
	}
	r := parquet.NewGenericReader[checkpointRow](bytes.NewReader(data))
	defer r.Close()
	var actions []action
	batch := make([]checkpointRow, 256)
	for {
		n, err := r.Read(batch)
		for i := range n {
			if a, ok := fromCheckpointRow(&batch[i]); ok {
				actions = append(actions, a)
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("delta: decode checkpoint %d: %w", v, err)
		}
		clear(batch) // pointer fields must not leak into the next read
	}
	s := emptySnapshot()
	s.apply(v, actions)
	s.checkpointVersion = v
	return s, nil
}

// writeCheckpoint stores a checkpoint of s and points _last_checkpoint at it,
// unless _last_checkpoint already names a newer one.
func writeCheckpoint(ctx context.Context, store Storage, s *snapshot) error {
	actions := s.reconciled()
	data, err := encodeCheckpoint(actions)
	if err != nil {
		return err
	}
	// Put, not PutIfAbsent: two writers checkpointing the same version write
	// the same state, and a torn earlier attempt must be replaceable.
	if err := store.Put(ctx, checkpointPath(s.version), data); err != nil {
		return err
	}
	if prev, err := store.Get(ctx, lastCheckpointPath); err == nil {
		var lc lastCheckpoint
		if json.Unmarshal(prev, &lc) == nil && lc.Version >= s.version {
			return nil
		}
	}
	lc, err := json.Marshal(lastCheckpoint{
		Version: s.version, Size: int64(len(actions)),
		SizeInBytes: int64(len(data)), NumOfAddFiles: int64(len(s.files)),
	})
	if err != nil {
		return fmt.Errorf("delta: encode _last_checkpoint: %w", err)
	}
	return store.Put(ctx, lastCheckpointPath, lc)
}
