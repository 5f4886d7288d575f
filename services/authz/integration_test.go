package authz_test

import (
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	authzv1 "github.com/tollgate/tollgate/gen/go/tollgate/authz/v1"
	"github.com/tollgate/tollgate/services/authz"
	"github.com/tollgate/tollgate/services/authz/policy"
	"github.com/tollgate/tollgate/services/kit/config"
	"github.com/tollgate/tollgate/services/kit/errs"
	"github.com/tollgate/tollgate/services/kit/inproc"
)

const (
	aliceToken = "tg-alice-integration-secret"
	bobToken   = "tg-bob-integration-secret"
)

// configYAML has both tokens, or only bob's when withAlice is false.
func configYAML(withAlice bool) string {
	y := `
endpoints:
  - name: chat
    task: chat
    served_entities: [{name: f, provider: fake, model: m}]
    permissions:
      - {group: users, level: CAN_QUERY}
      - {principal: bob, level: CAN_MANAGE}
principals:
  - {name: alice}
  - {name: bob, type: service_principal}
tokens:
  - {name: bob-key, principal: bob, sha256: ` + config.HashToken(bobToken) + `}
`
	if withAlice {
		y += "  - {name: alice-key, principal: alice, sha256: " + config.HashToken(aliceToken) + "}\n"
	}
	return y
}

func quietLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

// watchedStore writes the config to disk and reloads it every 10ms, as the
// service does in production.
func watchedStore(t *testing.T, ctx context.Context) (*config.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tollgate.yaml")
	if err := os.WriteFile(path, []byte(configYAML(true)), 0o600); err != nil {
		t.Fatal(err)
	}
	store, err := config.NewStore(path, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	go store.Watch(ctx, 10*time.Millisecond)
	return store, path
}

// serveGRPC serves srv on a loopback port (addr "" picks one) until the test ends.
func serveGRPC(t *testing.T, srv *authz.Server, addr string) (stop func(), boundAddr string) {
	t.Helper()
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	authzv1.RegisterAuthzServiceServer(gs, srv)
	go func() { _ = gs.Serve(lis) }()
	stop = func() { srv.Close(); gs.Stop() }
	t.Cleanup(stop)
	return stop, lis.Addr().String()
}

func dial(t *testing.T, addr string) authzv1.AuthzServiceClient {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return authzv1.NewAuthzServiceClient(conn)
}

// startWatcher runs a Watcher until the test ends and waits for its first snapshot.
func startWatcher(t *testing.T, ctx context.Context, client authzv1.AuthzServiceClient) *policy.Decider {
	t.Helper()
	d := policy.NewDecider()
	w := policy.NewWatcher(client, d, "router-test", quietLog())
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { w.Run(runCtx); close(done) }()
	t.Cleanup(func() { stop(); <-done }) // Run must return once its ctx ends
	readyCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := w.WaitReady(readyCtx); err != nil {
		t.Fatalf("watcher never got a snapshot: %v", err)
	}
	return d
}

// eventually polls cond every 5ms until it holds or within passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", within, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func authenticates(d *policy.Decider, token string) bool {
	_, err := d.Authenticate(token)
	return err == nil
}

func TestRevokedTokenStopsWorkingOverGRPC(t *testing.T) {
	testRevocation(t, func(t *testing.T, srv *authz.Server) authzv1.AuthzServiceClient {
		_, addr := serveGRPC(t, srv, "")
		return dial(t, addr)
	})
}

func TestRevokedTokenStopsWorkingInProcess(t *testing.T) {
	testRevocation(t, func(_ *testing.T, srv *authz.Server) authzv1.AuthzServiceClient {
		return authzv1.NewAuthzServiceClient(inproc.New(&authzv1.AuthzService_ServiceDesc, srv))
	})
}

func testRevocation(t *testing.T, connect func(*testing.T, *authz.Server) authzv1.AuthzServiceClient) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	store, path := watchedStore(t, ctx)
	reg := prometheus.NewRegistry()
	srv := authz.NewServer(store, quietLog(), reg)
	t.Cleanup(srv.Close)
	d := startWatcher(t, ctx, connect(t, srv))

	if !authenticates(d, aliceToken) || !authenticates(d, bobToken) {
		t.Fatal("both tokens should work before the edit")
	}
	eventually(t, time.Second, "one watcher counted", func() bool { return metricValue(t, reg, "tollgate_authz_policy_watchers") == 1 })
	before := d.Version()

	if err := os.WriteFile(path, []byte(configYAML(false)), 0o600); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Second, "revoked token rejected", func() bool { return !authenticates(d, aliceToken) })
	if !authenticates(d, bobToken) {
		t.Fatal("the remaining token must keep working")
	}
	if d.Version() <= before {
		t.Fatalf("version went from %d to %d; it must increase", before, d.Version())
	}
	if got := metricValue(t, reg, "tollgate_authz_policy_version"); uint64(got) != d.Version() {
		t.Errorf("policy version gauge %v, watcher holds %d", got, d.Version())
	}
}

// The watcher keeps deciding on its last snapshot while authz is down, and
// picks up the policy of a replacement server. Both servers start at config
// version 1, so this also proves a restarted authz is not mistaken for the
// one the watcher already knew.
func TestWatcherFailsStaticAndReconnects(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	first := authz.NewServer(config.NewStaticStore(mustParse(t, configYAML(true))), quietLog(), nil)
	stopFirst, addr := serveGRPC(t, first, "")
	d := startWatcher(t, ctx, dial(t, addr))
	if !authenticates(d, aliceToken) {
		t.Fatal("alice should authenticate")
	}

	stopFirst()
	if !authenticates(d, aliceToken) {
		t.Fatal("fail static: the last policy must keep working while authz is down")
	}

	second := authz.NewServer(config.NewStaticStore(mustParse(t, configYAML(false))), quietLog(), nil)
	serveGRPC(t, second, addr)
	eventually(t, 5*time.Second, "the replacement's policy applied", func() bool { return !authenticates(d, aliceToken) })
}

func TestWatchSkipsTheSnapshotTheWatcherHolds(t *testing.T) {
	store := config.NewStaticStore(mustParse(t, configYAML(true)))
	srv := authz.NewServer(store, quietLog(), nil)
	t.Cleanup(srv.Close)
	client := authzv1.NewAuthzServiceClient(inproc.New(&authzv1.AuthzService_ServiceDesc, srv))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	known := srv.Snapshot().GetVersion()
	stream, err := client.WatchPolicy(ctx, &authzv1.WatchPolicyRequest{Watcher: "w", KnownVersion: known})
	if err != nil {
		t.Fatal(err)
	}
	store.Replace(mustParse(t, configYAML(false)))
	resp, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	// Had the known snapshot been sent, it would have come first.
	if resp.GetSnapshot().GetVersion() != known+1 {
		t.Fatalf("first message has version %d, want %d", resp.GetSnapshot().GetVersion(), known+1)
	}
	if _, ok := resp.GetSnapshot().GetTokens()[config.HashToken(aliceToken)]; ok {
		t.Fatal("the new snapshot still has the removed token")
	}
}

func TestCloseEndsStreams(t *testing.T) {
	srv := authz.NewServer(config.NewStaticStore(mustParse(t, configYAML(true))), quietLog(), nil)
	client := authzv1.NewAuthzServiceClient(inproc.New(&authzv1.AuthzService_ServiceDesc, srv))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	stream, err := client.WatchPolicy(ctx, &authzv1.WatchPolicyRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	if _, err := stream.Recv(); errs.From(err).Kind != errs.KindUnavailable {
		t.Fatalf("after Close the stream should end as unavailable, got %v", err)
	}
}

func TestCheckAccess(t *testing.T) {
	srv := authz.NewServer(config.NewStaticStore(mustParse(t, configYAML(true))), quietLog(), nil)
	t.Cleanup(srv.Close)
	_, addr := serveGRPC(t, srv, "")
	client := dial(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	check := func(token, endpoint string, perm authzv1.Permission) (*authzv1.CheckAccessResponse, error) {
		return client.CheckAccess(ctx, &authzv1.CheckAccessRequest{Token: token, EndpointName: endpoint, Permission: perm})
	}
	query, manage := authzv1.Permission_PERMISSION_CAN_QUERY, authzv1.Permission_PERMISSION_CAN_MANAGE
	cases := []struct {
		token, endpoint string
		perm            authzv1.Permission
		allowed         bool
	}{
		{aliceToken, "chat", query, true},
		{aliceToken, "chat", manage, false},
		{bobToken, "chat", manage, true},
		{aliceToken, "missing", query, false},
	}
	for _, c := range cases {
		resp, err := check(c.token, c.endpoint, c.perm)
		if err != nil {
			t.Fatalf("%s %s: %v", c.endpoint, c.perm, err)
		}
		if resp.GetAllowed() != c.allowed {
			t.Errorf("%s on %s: allowed=%v, want %v", c.perm, c.endpoint, resp.GetAllowed(), c.allowed)
		}
	}
	resp, _ := check(bobToken, "chat", query)
	if resp.GetPrincipal().GetName() != "bob" || resp.GetPrincipal().GetType() != authzv1.PrincipalType_PRINCIPAL_TYPE_SERVICE_PRINCIPAL {
		t.Errorf("principal %v", resp.GetPrincipal())
	}
	_, err := check("not-a-token", "chat", query)
	if e := errs.From(err); e.Kind != errs.KindUnauthenticated || strings.Contains(e.Message, "not-a-token") {
		t.Fatalf("bad token: %+v", e)
	}
}

func mustParse(t *testing.T, yaml string) *config.Config {
	t.Helper()
	c, err := config.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func metricValue(t *testing.T, g prometheus.Gatherer, name string) float64 {
	t.Helper()
	families, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name && len(f.GetMetric()) > 0 {
			m := f.GetMetric()[0]
			if m.GetGauge() != nil {
				return m.GetGauge().GetValue()
			}
			return m.GetCounter().GetValue()
		}
	}
	return -1
}
