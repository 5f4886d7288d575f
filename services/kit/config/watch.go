package config

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Snapshot is one validated config with its version.
type Snapshot struct {
	Config  *Config
	Version uint64
}

// Store holds the current config and notifies subscribers of changes. Readers
// on the hot path call Current (one atomic load); nothing blocks them.
type Store struct {
	current atomic.Pointer[Snapshot]
	mu      sync.Mutex
	subs    []chan struct{}
	path    string
	raw     []byte
	log     *slog.Logger
}

// NewStore loads path ("" = embedded default) and fails if it is invalid.
func NewStore(path string, log *slog.Logger) (*Store, error) {
	var raw []byte
	if path == "" {
		raw = defaultYAML
	} else {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		raw = b
	}
	c, err := Parse(raw)
	if err != nil {
		return nil, err
	}
	s := &Store{path: path, raw: raw, log: log}
	s.current.Store(&Snapshot{Config: c, Version: 1})
	return s, nil
}

// NewStaticStore wraps a config that never changes (tests, embedded).
func NewStaticStore(c *Config) *Store {
	s := &Store{log: slog.Default()}
	s.current.Store(&Snapshot{Config: c, Version: 1})
	return s
}

// Current returns the latest good snapshot.
func (s *Store) Current() *Snapshot { return s.current.Load() }

// Subscribe returns a channel that receives a value after every change.
// The channel holds one pending notice; slow subscribers see the latest.
func (s *Store) Subscribe() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := make(chan struct{}, 1)
	s.subs = append(s.subs, ch)
	return ch
}

// Replace installs a new config (already validated) and notifies.
func (s *Store) Replace(c *Config) {
	s.mu.Lock()
	next := &Snapshot{Config: c, Version: s.current.Load().Version + 1}
	s.current.Store(next)
	subs := append([]chan struct{}(nil), s.subs...)
	s.mu.Unlock()
	for _, ch := range subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Watch polls the file and reloads it when its content changes. Polling (not
// inotify) also sees Kubernetes ConfigMap symlink swaps. An invalid file keeps
// the last good config and logs every problem. In-flight requests keep the
// snapshot they started with.
func (s *Store) Watch(ctx context.Context, every time.Duration) {
	if s.path == "" {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	var lastBad, pending []byte
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		b, err := os.ReadFile(s.path)
		if err != nil {
			s.log.Warn("config reload: cannot read file, keeping last good config", "path", s.path, "err", err)
			continue
		}
		if bytes.Equal(b, s.raw) || bytes.Equal(b, lastBad) {
			pending = nil
			continue
		}
		// Apply a change only once two polls read the same bytes: a file
		// caught mid-write (truncated, half written) must never be applied.
		if !bytes.Equal(b, pending) {
			pending = b
			continue
		}
		pending = nil
		c, err := Parse(b)
		if err != nil {
			lastBad = b
			s.log.Error("config reload rejected, keeping last good config", "path", s.path, "err", err)
			continue
		}
		lastBad = nil
		s.raw = b
		s.Replace(c)
		s.log.Info("config reloaded", "path", s.path, "version", s.Current().Version)
	}
}
