package harness

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ErrNoClickHouse is returned (wrapped, with the install command) by
// StartClickHouse when no server or client binary is installed; tests skip on it.
var ErrNoClickHouse = errors.New("clickhouse-server or clickhouse-client is not installed (apt-get install -y clickhouse-server clickhouse-client)")

// ClickHouse is a private ClickHouse server: its own config, data directory
// and free loopback ports, started as a plain child process (never a system
// service). It works with Debian's 18.16 and current versions.
type ClickHouse struct {
	// Addr is the native protocol address, 127.0.0.1:PORT (what
	// tollgate-telemetry's --clickhouse takes).
	Addr string
	// Dir holds config.xml, users.xml, data/ and log/.
	Dir  string
	Proc *Process

	serverBin  string
	serverArgs []string
	clientBin  string
	clientArgs []string
	tcpPort    int
}

// clickHouseReadyTimeout bounds one start (18.16 on a busy 2-core machine
// takes a few seconds, more when it replays a killed server's parts).
const clickHouseReadyTimeout = 60 * time.Second

// clickHouseQueryTimeout bounds one Query.
const clickHouseQueryTimeout = 30 * time.Second

// StartClickHouse writes a config for a server keeping everything under dir
// (created if needed) and starts it, waiting until it answers queries. It
// returns an error wrapping ErrNoClickHouse when the binaries are missing.
func StartClickHouse(dir string) (*ClickHouse, error) {
	serverBin, serverArgs := findClickHouse([]string{"clickhouse-server", "/usr/sbin/clickhouse-server", "/usr/bin/clickhouse-server"}, "server")
	clientBin, clientArgs := findClickHouse([]string{"clickhouse-client", "/usr/bin/clickhouse-client"}, "client")
	if serverBin == "" || clientBin == "" {
		return nil, ErrNoClickHouse
	}
	ports, err := FreeAddrs(2)
	if err != nil {
		return nil, err
	}
	tcpPort, httpPort := portOf(ports[0]), portOf(ports[1])
	if err := writeClickHouseConfig(dir, tcpPort, httpPort); err != nil {
		return nil, err
	}
	c := &ClickHouse{
		Addr: fmt.Sprintf("127.0.0.1:%d", tcpPort), Dir: dir,
		serverBin: serverBin, serverArgs: serverArgs, clientBin: clientBin, clientArgs: clientArgs, tcpPort: tcpPort,
	}
	if err := c.start(); err != nil {
		return nil, err
	}
	return c, nil
}

// findClickHouse returns the first installed name, or the single
// "clickhouse" binary with mode ("server" or "client") as its first argument.
func findClickHouse(names []string, mode string) (string, []string) {
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	for _, name := range []string{"clickhouse", "/usr/bin/clickhouse"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, []string{mode}
		}
	}
	return "", nil
}

func portOf(addr string) int {
	_, port, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(port)
	return n
}

// writeClickHouseConfig writes the smallest configuration 18.16 (and current
// versions) start with: loopback only, the given ports, everything under dir.
func writeClickHouseConfig(dir string, tcpPort, httpPort int) error {
	for _, sub := range []string{"data", "tmp", "user_files", "format_schemas", "log"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o750); err != nil {
			return err
		}
	}
	config := fmt.Sprintf(`<?xml version="1.0"?>
<yandex>
  <logger>
    <level>warning</level>
    <log>%[1]s/log/server.log</log>
    <errorlog>%[1]s/log/error.log</errorlog>
    <size>10M</size>
    <count>1</count>
  </logger>
  <listen_host>127.0.0.1</listen_host>
  <tcp_port>%[2]d</tcp_port>
  <http_port>%[3]d</http_port>
  <path>%[1]s/data/</path>
  <tmp_path>%[1]s/tmp/</tmp_path>
  <user_files_path>%[1]s/user_files/</user_files_path>
  <format_schema_path>%[1]s/format_schemas/</format_schema_path>
  <users_config>users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
</yandex>
`, dir, tcpPort, httpPort)
	users := `<?xml version="1.0"?>
<yandex>
  <profiles><default></default></profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas><default></default></quotas>
</yandex>
`
	if err := os.WriteFile(filepath.Join(dir, "config.xml"), []byte(config), 0o640); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "users.xml"), []byte(users), 0o640)
}

// start runs the server on the existing config and data and waits until it
// answers SELECT 1.
func (c *ClickHouse) start() error {
	args := append(append([]string{}, c.serverArgs...), "--config-file="+filepath.Join(c.Dir, "config.xml"))
	p, err := StartProcess(ProcessSpec{Name: "clickhouse-server", Path: c.serverBin, Args: args, LogPath: filepath.Join(c.Dir, "log", "stdout.log")})
	if err != nil {
		return err
	}
	c.Proc = p
	deadline := time.Now().Add(clickHouseReadyTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, qerr := c.QueryContext(ctx, "SELECT 1")
		cancel()
		if qerr == nil {
			return nil
		}
		if p.Exited() {
			return fmt.Errorf("clickhouse-server exited during startup (%v): %s", p.ExitErr(), c.LogTail())
		}
		if time.Now().After(deadline) {
			p.Kill()
			return fmt.Errorf("clickhouse-server did not answer within %s: %v: %s", clickHouseReadyTimeout, qerr, c.LogTail())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Kill ends the server with SIGKILL, as a crash would.
func (c *ClickHouse) Kill() {
	if c.Proc != nil {
		c.Proc.Kill()
	}
}

// Stop ends the server with SIGTERM, killing it after grace; the error says
// if it did not exit cleanly.
func (c *ClickHouse) Stop(grace time.Duration) error {
	if c.Proc == nil {
		return nil
	}
	return c.Proc.Stop(grace)
}

// Restart starts the server again on the same data and ports (after Kill
// or Stop; a running server is killed first).
func (c *ClickHouse) Restart() error {
	c.Kill()
	return c.start()
}

// Remove kills the server and deletes its directory.
func (c *ClickHouse) Remove() {
	c.Kill()
	_ = os.RemoveAll(c.Dir)
}

// Query runs sql with clickhouse-client over the native protocol and
// returns its output in TabSeparated format (one line per row, trailing
// newline trimmed).
func (c *ClickHouse) Query(sql string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), clickHouseQueryTimeout)
	defer cancel()
	return c.QueryContext(ctx, sql)
}

// QueryContext is Query bounded by ctx.
func (c *ClickHouse) QueryContext(ctx context.Context, sql string) (string, error) {
	args := append(append([]string{}, c.clientArgs...), "--host", "127.0.0.1", "--port", strconv.Itoa(c.tcpPort), "--query", sql)
	cmd := exec.CommandContext(ctx, c.clientBin, args...)
	cmd.Env = childEnv()
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("clickhouse-client %q: %v: %s", sql, err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimRight(stdout.String(), "\n"), nil
}

// QueryInt runs sql, which must return one integer.
func (c *ClickHouse) QueryInt(sql string) (int64, error) {
	out, err := c.Query(sql)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(strings.TrimSpace(out), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q returned %q, not an integer", sql, out)
	}
	return n, nil
}

// LogTail returns the end of the server's stdout and error logs.
func (c *ClickHouse) LogTail() string {
	var out []string
	for _, name := range []string{"stdout.log", "error.log"} {
		b, err := os.ReadFile(filepath.Join(c.Dir, "log", name))
		if err != nil {
			continue
		}
		if len(b) > 3000 {
			b = b[len(b)-3000:]
		}
		out = append(out, name+": "+string(b))
	}
	return strings.Join(out, "\n")
}
