package delta

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// LocalStorage keeps a table in a directory of the local filesystem.
//
// Every object is first written and synced under a temporary name that starts
// with "." (readers skip hidden files), then published: PutIfAbsent publishes
// with link(2), which fails if the target exists, so the create is exclusive
// and the object appears complete; Put publishes with rename(2). The directory
// is synced afterwards so the new name survives a crash.
type LocalStorage struct {
	root string
}

// NewLocalStorage returns storage rooted at dir, creating it if needed.
func NewLocalStorage(dir string) (*LocalStorage, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("delta: table directory %q: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("delta: create table directory: %w", err)
	}
	return &LocalStorage{root: abs}, nil
}

// Root is the table directory's absolute path.
func (s *LocalStorage) Root() string { return s.root }

func (s *LocalStorage) full(path string) (string, error) {
	clean := filepath.FromSlash(path)
	if path == "" || filepath.IsAbs(clean) || !filepath.IsLocal(clean) {
		return "", fmt.Errorf("delta: path %q is not inside the table", path)
	}
	return filepath.Join(s.root, clean), nil
}

// PutIfAbsent implements Storage.
func (s *LocalStorage) PutIfAbsent(ctx context.Context, path string, data []byte) error {
	return s.publish(ctx, path, data, true)
}

// Put implements Storage.
func (s *LocalStorage) Put(ctx context.Context, path string, data []byte) error {
	return s.publish(ctx, path, data, false)
}

func (s *LocalStorage) publish(ctx context.Context, path string, data []byte, exclusive bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	target, err := s.full(path)
	if err != nil {
		return err
	}
	dir := filepath.Dir(target)
	if exclusive {
		// A cheap early answer for the common lost race; link below decides.
		if _, err := os.Lstat(target); err == nil {
			return ErrExist
		}
	}
	tmp, err := writeTemp(dir, filepath.Base(target), data)
	if err != nil {
		return err
	}
	defer os.Remove(tmp) // after a link the data lives on under target
	if exclusive {
		if err := os.Link(tmp, target); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return ErrExist
			}
			return fmt.Errorf("delta: publish %s: %w", path, err)
		}
	} else if err := os.Rename(tmp, target); err != nil {
		return fmt.Errorf("delta: publish %s: %w", path, err)
	}
	return syncDir(dir)
}

// writeTemp writes data to a new hidden file in dir and syncs it.
func writeTemp(dir, base string, data []byte) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("delta: create directory: %w", err)
	}
	var suffix [8]byte
	_, _ = rand.Read(suffix[:])
	name := filepath.Join(dir, "."+base+"."+hex.EncodeToString(suffix[:])+".tmp")
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", fmt.Errorf("delta: create temporary file: %w", err)
	}
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	cerr := f.Close()
	if werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(name)
		return "", fmt.Errorf("delta: write temporary file: %w", werr)
	}
	return name, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("delta: sync directory: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("delta: sync directory: %w", err)
	}
	return nil
}

// Get implements Storage.
func (s *LocalStorage) Get(ctx context.Context, path string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	full, err := s.full(path)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(full)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotExist, path)
	}
	return data, err
}

// List implements Storage. Hidden names (temporary files) are left out.
func (s *LocalStorage) List(ctx context.Context, dir, startAfter string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	full, err := s.full(dir)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(full)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("delta: list %s: %w", dir, err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || name <= startAfter || e.IsDir() {
			continue
		}
		names = append(names, name)
	}
	sort.Strings(names)
	return names, nil
}

// Delete implements Storage.
func (s *LocalStorage) Delete(ctx context.Context, path string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	full, err := s.full(path)
	if err != nil {
		return err
	}
	if err := os.Remove(full); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delta: delete %s: %w", path, err)
	}
	return nil
}
