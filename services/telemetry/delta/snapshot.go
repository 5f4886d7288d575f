package delta

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"sort"
)

// snapshot is the reconciled state of a table at one version: the newest
// protocol and metadata, the newest txn version per application, and the set
// of live data files. Remove actions (which this writer never produces, but
// another engine may) take files out of the set; their tombstones are not
// kept, so checkpoints written here carry none.
type snapshot struct {
	version  int64 // -1 before the table's first commit
	protocol *protocolAction
	metadata *metadataAction
	txns     map[string]txnAction
	files    map[string]*addAction
	// checkpointVersion is the newest checkpoint seen, -1 for none.
	checkpointVersion int64
}

func emptySnapshot() *snapshot {
	return &snapshot{
		version:           -1,
		txns:              map[string]txnAction{},
		files:             map[string]*addAction{},
		checkpointVersion: -1,
	}
}

// apply folds one commit's actions into the state, as version v.
func (s *snapshot) apply(v int64, actions []action) {
	for _, a := range actions {
		switch {
		case a.Protocol != nil:
			s.protocol = a.Protocol
		case a.MetaData != nil:
			s.metadata = a.MetaData
		case a.Add != nil:
			s.files[a.Add.Path] = a.Add
		case a.Remove != nil:
			delete(s.files, a.Remove.Path)
		case a.Txn != nil:
			s.txns[a.Txn.AppID] = *a.Txn
		}
	}
	s.version = v
}

// lastTxnVersion is the newest version committed by appID, -1 for none.
func (s *snapshot) lastTxnVersion(appID string) int64 {
	if t, ok := s.txns[appID]; ok {
		return t.Version
	}
	return -1
}

// reconciled lists the state as actions, in checkpoint order: protocol,
// metadata, txns by app id, then files by path.
func (s *snapshot) reconciled() []action {
	out := make([]action, 0, 2+len(s.txns)+len(s.files))
	if s.protocol != nil {
		out = append(out, action{Protocol: s.protocol})
	}
	if s.metadata != nil {
		out = append(out, action{MetaData: s.metadata})
	}
	apps := sortedKeys(s.txns)
	for _, app := range apps {
		t := s.txns[app]
		out = append(out, action{Txn: &t})
	}
	for _, p := range sortedKeys(s.files) {
		out = append(out, action{Add: s.files[p]})
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range maps.Keys(m) {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// loadSnapshot replays the log of the table in store: from the newest
// checkpoint (found through _last_checkpoint, then confirmed by listing the
// log from there) and the commits after it.
func loadSnapshot(ctx context.Context, store Storage) (*snapshot, error) {
	startAfter := ""
	if data, err := store.Get(ctx, lastCheckpointPath); err == nil {
		var lc lastCheckpoint
		if json.Unmarshal(data, &lc) == nil && lc.Version >= 0 {
			// Lists "<lc.Version>.checkpoint.parquet" and everything after it.
			startAfter = fmt.Sprintf("%020d", lc.Version)
		}
	} else if !errors.Is(err, ErrNotExist) {
		return nil, fmt.Errorf("delta: read _last_checkpoint: %w", err)
	}
	names, err := store.List(ctx, logDir, startAfter)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 && startAfter != "" {
		// _last_checkpoint points past what is there: distrust it.
		if names, err = store.List(ctx, logDir, ""); err != nil {
			return nil, err
		}
	}
	checkpoint, latest := int64(-1), int64(-1)
	for _, name := range names {
		v, isCheckpoint, ok := parseLogName(name)
		if !ok {
			continue
		}
		if isCheckpoint {
			checkpoint = max(checkpoint, v)
		} else {
			latest = max(latest, v)
		}
	}
	s := emptySnapshot()
	if checkpoint >= 0 {
		if s, err = readCheckpoint(ctx, store, checkpoint); err != nil {
			return nil, err
		}
	}
	if latest < s.version {
		return s, nil
	}
	if err := s.catchUp(ctx, store, latest); err != nil {
		return nil, err
	}
	return s, nil
}

// catchUp applies every commit after s.version, at least through upTo (a
// version known to exist; -1 for none), and any newer ones found after it.
func (s *snapshot) catchUp(ctx context.Context, store Storage, upTo int64) error {
	for {
		next := s.version + 1
		data, err := store.Get(ctx, commitPath(next))
		if errors.Is(err, ErrNotExist) {
			if next <= upTo {
				return fmt.Errorf("delta: log is missing version %d (have up to %d)", next, upTo)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("delta: read version %d: %w", next, err)
		}
		actions, err := decodeCommit(data)
		if err != nil {
			return fmt.Errorf("delta: version %d: %w", next, err)
		}
		s.apply(next, actions)
	}
}
