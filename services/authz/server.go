// Package authz is the authorization service: it turns the principals,
// groups, tokens and permissions of the declarative config into a policy
// snapshot and streams it to every router replica, which then decides each
// request locally (see package policy).
package authz

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	authzv1 "github.com/tollgate/tollgate/gen/go/tollgate/authz/v1"
	"github.com/tollgate/tollgate/services/authz/policy"
	"github.com/tollgate/tollgate/services/kit/config"
	"github.com/tollgate/tollgate/services/kit/errs"
	"google.golang.org/grpc"
)

// Server implements authzv1.AuthzServiceServer.
type Server struct {
	authzv1.UnimplementedAuthzServiceServer

	store *config.Store
	log   *slog.Logger
	m     *metrics
	// epoch makes policy versions unique per process: a watcher that reconnects
	// to a restarted or different replica must never have its known_version
	// mistaken for the current policy just because config versions restart at 1.
	epoch uint64
	// decider answers CheckAccess with exactly the code routers run.
	decider *policy.Decider

	rebuild sync.Mutex
	current atomic.Pointer[publication]

	closeOnce sync.Once
	closed    chan struct{}
}

// publication is one snapshot as served; changed closes when a newer one
// replaces it, waking every stream at once.
type publication struct {
	snap          *authzv1.PolicySnapshot
	configVersion uint64
	changed       chan struct{}
}

var _ authzv1.AuthzServiceServer = (*Server)(nil)

// NewServer builds the first snapshot from store and rebuilds it on every
// config change until Close.
func NewServer(store *config.Store, log *slog.Logger, reg prometheus.Registerer) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		store:   store,
		log:     log,
		m:       newMetrics(reg),
		epoch:   uint64(time.Now().UnixMicro()),
		decider: policy.NewDecider(),
		closed:  make(chan struct{}),
	}
	changes := store.Subscribe()
	s.refresh()
	go s.follow(changes)
	return s
}

// Close stops following the config and ends every open WatchPolicy stream, so
// a graceful gRPC stop does not wait on streams that never end by themselves.
// Watchers reconnect (to another replica, or to this one after a restart).
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closed) })
}

func (s *Server) follow(changes <-chan struct{}) {
	for {
		select {
		case <-changes:
			s.refresh()
		case <-s.closed:
			return
		}
	}
}

// refresh publishes a snapshot of the store's current config unless the
// published one already reflects it, and returns what is published.
func (s *Server) refresh() *publication {
	cur := s.store.Current()
	if p := s.current.Load(); p != nil && p.configVersion == cur.Version {
		return p
	}
	s.rebuild.Lock()
	defer s.rebuild.Unlock()
	prev := s.current.Load()
	cur = s.store.Current()
	if prev != nil && prev.configVersion == cur.Version {
		return prev
	}
	next := &publication{
		snap:          BuildSnapshot(cur.Config, s.epoch+cur.Version),
		configVersion: cur.Version,
		changed:       make(chan struct{}),
	}
	s.decider.Set(next.snap)
	s.current.Store(next)
	if prev != nil {
		close(prev.changed)
	}
	s.m.policyVersion.Set(float64(next.snap.GetVersion()))
	s.log.Info("policy published", "policy_version", next.snap.GetVersion(), "config_version", cur.Version,
		"principals", len(next.snap.GetPrincipals()), "tokens", len(next.snap.GetTokens()),
		"endpoints", len(next.snap.GetEndpoints()))
	return next
}

// Snapshot returns the policy currently served (read-only).
func (s *Server) Snapshot() *authzv1.PolicySnapshot { return s.refresh().snap }

// WatchPolicy sends the current snapshot (unless the watcher already holds
// it) and then every newer one as soon as it is published. A slow watcher
// skips intermediate versions and gets the latest.
func (s *Server) WatchPolicy(req *authzv1.WatchPolicyRequest, stream grpc.ServerStreamingServer[authzv1.WatchPolicyResponse]) error {
	s.m.watchers.Inc()
	defer s.m.watchers.Dec()
	ctx := stream.Context()
	pub := s.refresh()
	s.log.Debug("policy watcher connected", "watcher", req.GetWatcher(), "known_version", req.GetKnownVersion(),
		"policy_version", pub.snap.GetVersion())
	if req.GetKnownVersion() != pub.snap.GetVersion() {
		if err := stream.Send(&authzv1.WatchPolicyResponse{Snapshot: pub.snap}); err != nil {
			return err
		}
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.closed:
			return errs.New(errs.KindUnavailable, "authz_stopping", "authz is shutting down; reconnect")
		case <-pub.changed:
		}
		pub = s.current.Load()
		if err := stream.Send(&authzv1.WatchPolicyResponse{Snapshot: pub.snap}); err != nil {
			return err
		}
	}
}

// CheckAccess authenticates the token and decides one permission. An invalid
// token is an error; a valid token without the permission (or an unknown
// endpoint) is an answer with allowed=false.
func (s *Server) CheckAccess(_ context.Context, req *authzv1.CheckAccessRequest) (*authzv1.CheckAccessResponse, error) {
	pub := s.refresh()
	id, err := s.decider.Authenticate(req.GetToken())
	if err != nil {
		s.m.checks.WithLabelValues("unauthenticated").Inc()
		return nil, err
	}
	resp := &authzv1.CheckAccessResponse{Principal: pub.snap.GetPrincipals()[id.Principal]}
	if err := s.decider.Check(id, req.GetEndpointName(), req.GetPermission()); err != nil {
		if kind := errs.From(err).Kind; kind != errs.KindPermissionDenied && kind != errs.KindNotFound {
			return nil, err
		}
		s.m.checks.WithLabelValues("denied").Inc()
		return resp, nil
	}
	resp.Allowed = true
	s.m.checks.WithLabelValues("allowed").Inc()
	return resp, nil
}
