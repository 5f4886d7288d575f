package harness

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
)

// Binary names, as `make build` puts them into bin/.
const (
	BinAllInOne        = "tollgate"
	BinRouter          = "tollgate-router"
	BinAuthz           = "tollgate-authz"
	BinQuota           = "tollgate-quota"
	BinProviderAdapter = "tollgate-provider-adapter"
	BinTelemetry       = "tollgate-telemetry"
	BinFakeUpstream    = "tollgate-fake-upstream"
)

// binaryPackages maps each binary to its main package, relative to the repo root.
var binaryPackages = map[string]string{
	BinAllInOne:        "./services/allinone/cmd/tollgate",
	BinRouter:          "./services/router/cmd/tollgate-router",
	BinAuthz:           "./services/authz/cmd/tollgate-authz",
	BinQuota:           "./services/quota/cmd/tollgate-quota",
	BinProviderAdapter: "./services/provideradapter/cmd/tollgate-provider-adapter",
	BinTelemetry:       "./services/telemetry/cmd/tollgate-telemetry",
	BinFakeUpstream:    "./services/provideradapter/cmd/tollgate-fake-upstream",
}

// BinEnv names the directory of prebuilt binaries (what `make build` fills).
const BinEnv = "TOLLGATE_BIN"

var built struct {
	once sync.Once
	dir  string
	err  error
}

// BinDir returns the directory holding the Tollgate binaries: $TOLLGATE_BIN
// if set, otherwise a temporary directory the binaries are built into once per
// process (see Build). RemoveBuilt deletes that directory.
func BinDir() (string, error) {
	if dir := os.Getenv(BinEnv); dir != "" {
		return filepath.Abs(dir)
	}
	built.once.Do(func() {
		root, err := RepoRoot()
		if err != nil {
			built.err = err
			return
		}
		dir, err := os.MkdirTemp("", "tollgate-e2e-bin-")
		if err != nil {
			built.err = err
			return
		}
		if err := Build(root, dir); err != nil {
			_ = os.RemoveAll(dir)
			built.err = err
			return
		}
		built.dir = dir
	})
	return built.dir, built.err
}

// RemoveBuilt deletes the binaries BinDir built (never $TOLLGATE_BIN).
func RemoveBuilt() {
	if built.dir != "" {
		_ = os.RemoveAll(built.dir)
	}
}

// Build compiles every Tollgate binary from the repository at root into outDir
// with one `go build` (so the packages build in parallel and share the cache).
func Build(root, outDir string) error {
	args := []string{"build", "-o", outDir + string(filepath.Separator)}
	for _, name := range []string{BinAllInOne, BinRouter, BinAuthz, BinQuota, BinProviderAdapter, BinTelemetry, BinFakeUpstream} {
		args = append(args, binaryPackages[name])
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	// The binaries build in the repo's workspace even when the caller runs
	// with GOWORK=off (as module checks do).
	cmd.Env = append(os.Environ(), "GOWORK="+filepath.Join(root, "go.work"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build the Tollgate binaries in %s: %w\n%s", root, err, out)
	}
	return nil
}

// RepoRoot finds the monorepo root (the directory holding go.work) from the
// working directory upwards.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			if _, err := os.Stat(filepath.Join(dir, "services")); err == nil {
				return dir, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("repository root (a directory with go.work and services/) not found above the working directory; set " + BinEnv)
		}
		dir = parent
	}
}

// binPath is the path of a binary in dir, checked to exist.
func binPath(dir, name string) (string, error) {
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("binary %s: %w", name, err)
	}
	return p, nil
}
