package delta

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"time"
)

// maxCommitAttempts bounds how many versions one commit tries before giving
// up: each failed attempt means another writer committed in between.
const maxCommitAttempts = 100

// Table is a Delta table in a Storage: a cached snapshot of its log, brought
// up to date before each question and each commit. Its methods are safe for
// concurrent use; commits from one Table are serialised, and commits from
// other processes are detected by the exclusive create of the commit file.
type Table struct {
	store Storage
	now   func() time.Time

	mu   sync.Mutex
	snap *snapshot // nil until first loaded
}

// OpenTable returns the table stored in store (which may not exist yet: its
// version is then -1).
func OpenTable(store Storage) *Table {
	return &Table{store: store, now: time.Now}
}

// Storage is where the table lives.
func (t *Table) Storage() Storage { return t.store }

// refreshLocked brings the cached snapshot up to the newest version.
func (t *Table) refreshLocked(ctx context.Context) error {
	if t.snap == nil {
		s, err := loadSnapshot(ctx, t.store)
		if err != nil {
			return err
		}
		t.snap = s
		return nil
	}
	// catchUp applies whole commits only, so even when it fails part way the
	// cached state is a consistent (older) version.
	return t.snap.catchUp(ctx, t.store, -1)
}

// Version is the newest committed version, -1 for a table not created yet.
func (t *Table) Version(ctx context.Context) (int64, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.refreshLocked(ctx); err != nil {
		return 0, err
	}
	return t.snap.version, nil
}

// LastTxnVersion is the newest txn version committed for appID (by any
// writer), read from the newest checkpoint and the commits after it; -1 when
// appID never committed.
func (t *Table) LastTxnVersion(ctx context.Context, appID string) (int64, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.refreshLocked(ctx); err != nil {
		return 0, err
	}
	return t.snap.lastTxnVersion(appID), nil
}

// commitPlan builds one commit's actions from the current state; skip true
// abandons the commit (its reason is the caller's).
type commitPlan func(s *snapshot) (actions []action, skip bool, err error)

// commitLocked commits the plan's actions as the next version, retrying at
// the following version when another writer took it. It returns the version
// committed, or -1 when the plan skipped. After an error other than a lost
// race the outcome may be unknown (the commit file may have been written);
// the txn action in the log is what tells a retry whether it landed.
func (t *Table) commitLocked(ctx context.Context, plan commitPlan, onConflict func()) (int64, error) {
	for range maxCommitAttempts {
		if err := t.refreshLocked(ctx); err != nil {
			return -1, err
		}
		actions, skip, err := plan(t.snap)
		if err != nil || skip {
			return -1, err
		}
		v := t.snap.version + 1
		data, err := encodeCommit(actions)
		if err != nil {
			return -1, err
		}
		err = t.store.PutIfAbsent(ctx, commitPath(v), data)
		if errors.Is(err, ErrExist) {
			if onConflict != nil {
				onConflict()
			}
			continue
		}
		if err != nil {
			return -1, fmt.Errorf("delta: commit version %d: %w", v, err)
		}
		t.snap.apply(v, actions)
		return v, nil
	}
	return -1, fmt.Errorf("delta: commit lost the race %d times in a row", maxCommitAttempts)
}

// ensureCreatedLocked creates the table with the given metadata if it has no
// log yet, or checks that the existing table can take rows of this schema
// (adding nullable columns is allowed and committed as a metadata update).
func (t *Table) ensureCreatedLocked(ctx context.Context, name, description string, schema *structType, partitionColumns []string) error {
	schemaString, err := schema.json()
	if err != nil {
		return err
	}
	_, err = t.commitLocked(ctx, func(s *snapshot) ([]action, bool, error) {
		now := t.now().UnixMilli()
		if s.version < 0 {
			return []action{
				{CommitInfo: &commitInfoAction{Timestamp: now, Operation: "CREATE TABLE", EngineInfo: engineInfo,
					OperationParams: map[string]string{"partitionBy": mustJSON(partitionColumns)}}},
				{Protocol: &protocolAction{MinReaderVersion: minReaderVersion, MinWriterVersion: minWriterVersion}},
				{MetaData: &metadataAction{
					ID: newUUID(), Name: name, Description: description,
					Format:       formatSpec{Provider: "parquet", Options: map[string]string{}},
					SchemaString: schemaString, PartitionColumns: partitionColumns,
					CreatedTime: now, Configuration: map[string]string{},
				}},
			}, false, nil
		}
		if s.metadata == nil || s.protocol == nil {
			return nil, false, fmt.Errorf("delta: table at version %d has no metadata or protocol", s.version)
		}
		if s.protocol.MinReaderVersion > minReaderVersion || s.protocol.MinWriterVersion > minWriterVersion {
			return nil, false, fmt.Errorf("delta: table needs protocol %d/%d, this writer supports %d/%d",
				s.protocol.MinReaderVersion, s.protocol.MinWriterVersion, minReaderVersion, minWriterVersion)
		}
		if !reflect.DeepEqual(s.metadata.PartitionColumns, partitionColumns) {
			return nil, false, fmt.Errorf("delta: table is partitioned by %v, rows by %v", s.metadata.PartitionColumns, partitionColumns)
		}
		same, err := evolvable(s.metadata.SchemaString, schema)
		if err != nil || same {
			return nil, same, err
		}
		m := *s.metadata
		m.SchemaString = schemaString
		return []action{
			{CommitInfo: &commitInfoAction{Timestamp: now, Operation: "ADD COLUMNS", EngineInfo: engineInfo,
				OperationParams: map[string]string{}}},
			{MetaData: &m},
		}, false, nil
	}, nil)
	return err
}

// evolvable compares the table's schema with the writer's: same is true when
// they are equal; an error when the writer's is not the table's plus
// nullable columns.
func evolvable(existing string, want *structType) (same bool, err error) {
	var have structType
	if err := json.Unmarshal([]byte(existing), &have); err != nil {
		return false, fmt.Errorf("delta: table schema: %w", err)
	}
	wantJSON, err := json.Marshal(want)
	if err != nil {
		return false, err
	}
	var wantNorm structType
	_ = json.Unmarshal(wantJSON, &wantNorm) // same decoding as the table's, for DeepEqual
	byName := map[string]field{}
	for _, f := range wantNorm.Fields {
		byName[f.Name] = f
	}
	for _, f := range have.Fields {
		w, ok := byName[f.Name]
		if !ok || !reflect.DeepEqual(w.Type, f.Type) || w.Nullable != f.Nullable {
			return false, fmt.Errorf("delta: table column %q differs from the writer's schema (only adding nullable columns is supported)", f.Name)
		}
		delete(byName, f.Name)
	}
	for name, f := range byName {
		if !f.Nullable {
			return false, fmt.Errorf("delta: new column %q must be nullable: existing files lack it", name)
		}
	}
	return len(byName) == 0, nil
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Checkpoint writes a checkpoint of the newest version (and points
// _last_checkpoint at it). Writers do this by themselves every N commits.
func (t *Table) Checkpoint(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.refreshLocked(ctx); err != nil {
		return err
	}
	return t.checkpointLocked(ctx)
}

func (t *Table) checkpointLocked(ctx context.Context) error {
	if t.snap.version < 0 {
		return errors.New("delta: no table to checkpoint")
	}
	if err := writeCheckpoint(ctx, t.store, t.snap); err != nil {
		return err
	}
	t.snap.checkpointVersion = t.snap.version
	return nil
}
