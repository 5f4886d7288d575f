package clickhouse

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
)

// The integration tests run against a real ClickHouse server that TestMain
// starts as a plain process: private data directory, free loopback ports,
// killed at the end. CI installs Debian's clickhouse-server (18.16); the
// tests skip, saying why, only when no server binary is installed.

// sharedServer is the server most tests use (nil when none is installed).
var sharedServer *chServer

// noServerReason says why sharedServer is nil.
var noServerReason string

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(runLoaderChild())
	}
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	bin, args := findServerBinary()
	if bin == "" {
		noServerReason = "no clickhouse-server binary installed (apt-get install -y clickhouse-server clickhouse-client)"
		fmt.Println("clickhouse: integration tests will be skipped:", noServerReason)
		return m.Run()
	}
	srv, err := startServer(bin, args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "clickhouse: cannot start the test server:", err)
		return 1
	}
	sharedServer = srv
	defer srv.remove()
	return m.Run()
}

// requireServer skips the test when no server binary is installed.
func requireServer(t testing.TB) *chServer {
	t.Helper()
	if sharedServer == nil {
		t.Skip(noServerReason)
	}
	return sharedServer
}

// findServerBinary returns the server command: clickhouse-server, or the
// single clickhouse binary with the "server" argument.
func findServerBinary() (string, []string) {
	for _, name := range []string{"clickhouse-server", "/usr/sbin/clickhouse-server", "/usr/bin/clickhouse-server"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	for _, name := range []string{"clickhouse", "/usr/bin/clickhouse"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, []string{"server"}
		}
	}
	return "", nil
}

// chServer is one ClickHouse server process on private ports and data.
type chServer struct {
	bin  string
	args []string
	dir  string
	addr string // native protocol
	cmd  *exec.Cmd
	done chan error
}

func startServer(bin string, args []string) (*chServer, error) {
	dir, err := os.MkdirTemp("", "tollgate-clickhouse-*")
	if err != nil {
		return nil, err
	}
	tcpPort, err := freePort()
	if err != nil {
		return nil, err
	}
	httpPort, err := freePort()
	if err != nil {
		return nil, err
	}
	if err := writeServerConfig(dir, tcpPort, httpPort); err != nil {
		return nil, err
	}
	s := &chServer{bin: bin, args: args, dir: dir, addr: fmt.Sprintf("127.0.0.1:%d", tcpPort)}
	if err := s.start(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

// writeServerConfig writes the smallest configuration 18.16 (and current
// versions) start with: loopback only, the given ports, everything under dir.
func writeServerConfig(dir string, tcpPort, httpPort int) error {
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

// start runs the server and waits until it answers.
func (s *chServer) start() error {
	cmd := exec.Command(s.bin, append(append([]string{}, s.args...), "--config-file="+filepath.Join(s.dir, "config.xml"))...)
	cmd.Dir = s.dir
	stdout, err := os.Create(filepath.Join(s.dir, "log", "stdout.log"))
	if err != nil {
		return err
	}
	defer stdout.Close()
	cmd.Stdout, cmd.Stderr = stdout, stdout
	setDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		return err
	}
	s.cmd, s.done = cmd, make(chan error, 1)
	go func() { s.done <- cmd.Wait() }()

	conn, err := ch.Open(&ch.Options{Addr: []string{s.addr}, DialTimeout: time.Second})
	if err != nil {
		return err
	}
	defer conn.Close()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := conn.Ping(ctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case werr := <-s.done:
			return fmt.Errorf("clickhouse-server exited (%v): %s", werr, s.logTail())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.kill()
			return fmt.Errorf("clickhouse-server did not answer within a minute: %v: %s", err, s.logTail())
		}
	}
}

// kill stops the server the hard way (SIGKILL), as a crash would.
func (s *chServer) kill() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

// remove kills the server and deletes its data.
func (s *chServer) remove() {
	s.kill()
	_ = os.RemoveAll(s.dir)
}

func (s *chServer) logTail() string {
	var out []string
	for _, name := range []string{"stdout.log", "error.log"} {
		b, err := os.ReadFile(filepath.Join(s.dir, "log", name))
		if err != nil {
			continue
		}
		if len(b) > 2000 {
			b = b[len(b)-2000:]
		}
		out = append(out, name+": "+string(b))
	}
	return strings.Join(out, "\n")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

var nonWord = regexp.MustCompile(`[^A-Za-z0-9_]+`)

// newTestStore opens a Store on a database of the test's own, dropped at
// the end.
func newTestStore(t testing.TB, srv *chServer) *Store {
	t.Helper()
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	name := strings.ToLower(nonWord.ReplaceAllString(t.Name(), "_"))
	if len(name) > 40 {
		name = name[:40]
	}
	db := "t_" + name + "_" + hex.EncodeToString(suffix)
	st, err := Open(Options{Addr: srv.addr, Database: db, ReadTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = st.conn.Exec(ctx, "DROP DATABASE IF EXISTS `"+db+"`")
		_ = st.Close()
	})
	return st
}

// storeOn opens a second Store on the same database (a restarted process).
func storeOn(t testing.TB, srv *chServer, db string) *Store {
	t.Helper()
	st, err := Open(Options{Addr: srv.addr, Database: db, ReadTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}
