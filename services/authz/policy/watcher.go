package policy

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	authzv1 "github.com/tollgate/tollgate/gen/go/tollgate/authz/v1"
)

// Reconnect backoff bounds: quick enough that a restarted authz is picked up
// at once, capped so a long outage costs one attempt every couple of seconds.
const (
	minBackoff = 50 * time.Millisecond
	maxBackoff = 2 * time.Second
)

// Watcher keeps a WatchPolicy stream open and feeds every snapshot into a
// Decider. While disconnected the Decider keeps the last snapshot (fail
// static): an authz outage must not lock every caller out.
type Watcher struct {
	client authzv1.AuthzServiceClient
	d      *Decider
	name   string
	log    *slog.Logger

	readyOnce sync.Once
	ready     chan struct{}
}

// NewWatcher makes a watcher; watcherName identifies this replica in authz logs.
func NewWatcher(client authzv1.AuthzServiceClient, d *Decider, watcherName string, log *slog.Logger) *Watcher {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Watcher{client: client, d: d, name: watcherName, log: log, ready: make(chan struct{})}
}

// Run watches until ctx ends, reconnecting with capped exponential backoff.
func (w *Watcher) Run(ctx context.Context) {
	backoff := minBackoff
	for {
		started := time.Now()
		received, err := w.watchOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		if received || time.Since(started) >= maxBackoff {
			// The stream worked; a later break is a fresh incident.
			backoff = minBackoff
		}
		w.log.Warn("policy watch interrupted; keeping the last policy and reconnecting",
			"err", err, "retry_in", backoff, "policy_version", w.d.Version())
		// Jitter spreads the reconnects of many router replicas after an authz restart.
		wait := backoff/2 + rand.N(backoff/2+1)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// watchOnce runs one stream until it breaks; received says whether it
// delivered at least one snapshot.
func (w *Watcher) watchOnce(ctx context.Context) (received bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := w.client.WatchPolicy(ctx, &authzv1.WatchPolicyRequest{Watcher: w.name, KnownVersion: w.d.Version()})
	if err != nil {
		return false, err
	}
	for {
		resp, err := stream.Recv()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = errors.New("authz closed the policy stream")
			}
			return received, err
		}
		snap := resp.GetSnapshot()
		if snap == nil {
			continue
		}
		previous := w.d.Version()
		w.d.Set(snap)
		received = true
		w.readyOnce.Do(func() { close(w.ready) })
		if snap.GetVersion() != previous {
			w.log.Info("policy updated", "policy_version", snap.GetVersion(),
				"tokens", len(snap.GetTokens()), "endpoints", len(snap.GetEndpoints()))
		}
	}
}

// WaitReady blocks until the Decider holds a snapshot or ctx ends.
func (w *Watcher) WaitReady(ctx context.Context) error {
	if w.d.Ready() {
		return nil
	}
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
