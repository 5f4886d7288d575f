package harness

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Topology is how the gateway is deployed.
type Topology string

// Topologies.
const (
	// AllInOne is the single tollgate binary, services wired in-process.
	AllInOne Topology = "all-in-one"
	// SplitMesh is five binaries talking gRPC over loopback.
	SplitMesh Topology = "split-mesh"
)

// Topologies lists every topology, for tables of tests.
var Topologies = []Topology{AllInOne, SplitMesh}

// GatewayOptions configure StartGateway.
type GatewayOptions struct {
	Bin        string   // directory holding the binaries (see BinDir)
	Dir        string   // logs and the telemetry data dir go here
	ConfigPath string   // the YAML config every service reads
	Env        []string // extra environment for every gateway process
	Args       []string // extra flags for every gateway process (e.g. --log-level=debug)
	// ReadyTimeout bounds the wait for GET /healthz = 200; default 30s.
	ReadyTimeout time.Duration
}

// Gateway is a running Tollgate deployment.
type Gateway struct {
	Topology Topology
	// BaseURL is the HTTP facade root, http://127.0.0.1:PORT; the OpenAI
	// base URL is BaseURL+"/v1".
	BaseURL string
	// GRPCAddrs and AdminAddrs map a service name (tollgate, router, authz,
	// quota, provider-adapter, telemetry) to its listen addresses.
	GRPCAddrs  map[string]string
	AdminAddrs map[string]string
	// Procs are the processes in start order.
	Procs []*Process
}

// StartGateway starts topology t and waits until it serves.
func StartGateway(t Topology, o GatewayOptions) (*Gateway, error) {
	var g *Gateway
	var err error
	switch t {
	case AllInOne:
		g, err = startAllInOne(o)
	case SplitMesh:
		g, err = startSplitMesh(o)
	default:
		return nil, fmt.Errorf("unknown topology %q", t)
	}
	if err != nil {
		return nil, err
	}
	timeout := o.ReadyTimeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := g.WaitReady(ctx); err != nil {
		g.kill()
		return nil, err
	}
	return g, nil
}

func startAllInOne(o GatewayOptions) (*Gateway, error) {
	path, err := binPath(o.Bin, BinAllInOne)
	if err != nil {
		return nil, err
	}
	addrs, err := FreeAddrs(3)
	if err != nil {
		return nil, err
	}
	httpAddr, grpcAddr, adminAddr := addrs[0], addrs[1], addrs[2]
	args := append([]string{
		"--http-addr", httpAddr, "--grpc-addr", grpcAddr, "--admin-addr", adminAddr,
		"--config", o.ConfigPath, "--data-dir", filepath.Join(o.Dir, "telemetry-data"),
	}, o.Args...)
	p, err := StartProcess(ProcessSpec{Name: "tollgate", Path: path, Args: args, Env: o.Env, LogPath: filepath.Join(o.Dir, "tollgate.log")})
	if err != nil {
		return nil, err
	}
	return &Gateway{
		Topology: AllInOne, BaseURL: "http://" + httpAddr,
		GRPCAddrs:  map[string]string{"tollgate": grpcAddr},
		AdminAddrs: map[string]string{"tollgate": adminAddr},
		Procs:      []*Process{p},
	}, nil
}

// meshServices are the split mesh's services other than the router, in start order.
var meshServices = []struct{ name, bin string }{
	{"authz", BinAuthz},
	{"quota", BinQuota},
	{"provider-adapter", BinProviderAdapter},
	{"telemetry", BinTelemetry},
}

func startSplitMesh(o GatewayOptions) (*Gateway, error) {
	addrs, err := FreeAddrs(2*len(meshServices) + 3)
	if err != nil {
		return nil, err
	}
	g := &Gateway{Topology: SplitMesh, GRPCAddrs: map[string]string{}, AdminAddrs: map[string]string{}}
	next := func() string { a := addrs[0]; addrs = addrs[1:]; return a }
	for _, s := range meshServices {
		path, err := binPath(o.Bin, s.bin)
		if err != nil {
			g.kill()
			return nil, err
		}
		grpcAddr, adminAddr := next(), next()
		args := []string{"--grpc-addr", grpcAddr, "--admin-addr", adminAddr, "--config", o.ConfigPath}
		if s.name == "telemetry" {
			args = append(args, "--data-dir", filepath.Join(o.Dir, "telemetry-data"))
		}
		p, err := StartProcess(ProcessSpec{Name: s.name, Path: path, Args: append(args, o.Args...), Env: o.Env, LogPath: filepath.Join(o.Dir, s.name+".log")})
		if err != nil {
			g.kill()
			return nil, err
		}
		g.GRPCAddrs[s.name], g.AdminAddrs[s.name] = grpcAddr, adminAddr
		g.Procs = append(g.Procs, p)
	}
	path, err := binPath(o.Bin, BinRouter)
	if err != nil {
		g.kill()
		return nil, err
	}
	httpAddr, grpcAddr, adminAddr := next(), next(), next()
	args := append([]string{
		"--http-addr", httpAddr, "--grpc-addr", grpcAddr, "--admin-addr", adminAddr, "--config", o.ConfigPath,
		"--authz-addr", g.GRPCAddrs["authz"], "--quota-addr", g.GRPCAddrs["quota"],
		"--provider-adapter-addr", g.GRPCAddrs["provider-adapter"], "--telemetry-addr", g.GRPCAddrs["telemetry"],
	}, o.Args...)
	p, err := StartProcess(ProcessSpec{Name: "router", Path: path, Args: args, Env: o.Env, LogPath: filepath.Join(o.Dir, "router.log")})
	if err != nil {
		g.kill()
		return nil, err
	}
	g.GRPCAddrs["router"], g.AdminAddrs["router"] = grpcAddr, adminAddr
	g.Procs = append(g.Procs, p)
	g.BaseURL = "http://" + httpAddr
	return g, nil
}

// WaitReady polls GET BaseURL/healthz until it answers 200 (the router has
// its policy), failing early if a process exits.
func (g *Gateway) WaitReady(ctx context.Context) error {
	client := &http.Client{Timeout: 2 * time.Second}
	var last string
	for {
		for _, p := range g.Procs {
			if p.Exited() {
				how := fmt.Sprint(p.ExitErr())
				if p.ExitErr() == nil {
					how = "status 0: it was told to stop, by a signal from outside the harness?"
				}
				return fmt.Errorf("%s exited during startup (%s); log tail:\n%s", p.Name, how, p.LogTail(30))
			}
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, g.BaseURL+"/healthz", nil)
		resp, err := client.Do(req)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s gateway not ready (last /healthz: %s): %w\n%s", g.Topology, last, ctx.Err(), g.LogTails(30))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Stop shuts the gateway down gracefully: SIGTERM to the router (the
// process facing clients) first, then to the rest together. It returns an
// error naming every process that did not exit 0 within grace.
func (g *Gateway) Stop(grace time.Duration) error {
	if len(g.Procs) == 0 {
		return nil
	}
	front := g.Procs[len(g.Procs)-1] // tollgate or router: started last
	errFront := front.Stop(grace)
	rest := g.Procs[:len(g.Procs)-1]
	errsRest := make([]error, len(rest))
	var wg sync.WaitGroup
	for i, p := range rest {
		wg.Add(1)
		go func() { defer wg.Done(); errsRest[i] = p.Stop(grace) }()
	}
	wg.Wait()
	return errors.Join(append([]error{errFront}, errsRest...)...)
}

func (g *Gateway) kill() {
	for _, p := range g.Procs {
		p.Kill()
	}
}

// Proc returns the named process (tollgate, router, authz, …) or nil.
func (g *Gateway) Proc(name string) *Process {
	for _, p := range g.Procs {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// LogTails returns the last n lines of every process's log, labelled.
func (g *Gateway) LogTails(n int) string {
	var b strings.Builder
	for _, p := range g.Procs {
		fmt.Fprintf(&b, "----- %s (%s), last %d lines -----\n%s\n", p.Name, p.LogPath, n, p.LogTail(n))
	}
	return b.String()
}
