package delta

import (
	"context"
	"errors"
)

// ErrExist is returned by Storage.PutIfAbsent when the object is already there.
// For a commit file it means another writer won that version.
var ErrExist = errors.New("delta: object already exists")

// ErrNotExist is returned by Storage.Get for a missing object.
var ErrNotExist = errors.New("delta: object does not exist")

// Storage is where a table's files live, addressed by slash-separated paths
// relative to the table root ("_delta_log/00000000000000000003.json",
// "request_date=2025-01-02/part-….parquet"). It is the whole contract the
// table needs, small enough for an object store to implement later: the one
// primitive that must be atomic and exclusive is PutIfAbsent, which is how
// concurrent writers agree on a single linear history.
type Storage interface {
	// PutIfAbsent stores data at path only if nothing is there yet, and returns
	// ErrExist otherwise. Readers see either nothing or the whole object, and
	// the object is durable when PutIfAbsent returns nil.
	PutIfAbsent(ctx context.Context, path string, data []byte) error
	// Put stores data at path, replacing any object there; readers see either
	// the old or the new object, never a mix. Durable when it returns nil.
	Put(ctx context.Context, path string, data []byte) error
	// Get reads a whole object; ErrNotExist (wrapped or not) when it is missing.
	Get(ctx context.Context, path string) ([]byte, error)
	// List returns the names (not paths) of the objects directly under dir
	// whose names sort after startAfter, in lexicographic order. A missing dir
	// lists as empty.
	List(ctx context.Context, dir, startAfter string) ([]string, error)
	// Delete removes an object; a missing object is not an error. Only used to
	// tidy files that never became part of the table.
	Delete(ctx context.Context, path string) error
}
