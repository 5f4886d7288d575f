package clickhouse

import (
	"context"
	"fmt"
	"strings"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Options says where the hot store is. Zero fields take the defaults.
type Options struct {
	// Addr is the server's native-protocol address (default 127.0.0.1:9000).
	Addr string
	// Database holds Tollgate's tables; Migrate creates it (default "tollgate").
	Database string
	// Username and Password authenticate (default user "default", no password).
	Username string
	Password string
	// DialTimeout bounds connecting (default 5s).
	DialTimeout time.Duration
	// ReadTimeout bounds waiting for one answer from the server (default 60s).
	ReadTimeout time.Duration
	// Compress sends blocks LZ4-compressed (worth it when the server is remote).
	Compress bool
	// MaxOpenConns bounds the connection pool (default 8).
	MaxOpenConns int
}

// Defaults.
const (
	DefaultAddr        = "127.0.0.1:9000"
	DefaultDatabase    = "tollgate"
	DefaultDialTimeout = 5 * time.Second
	DefaultReadTimeout = 60 * time.Second
)

func (o Options) withDefaults() Options {
	if o.Addr == "" {
		o.Addr = DefaultAddr
	}
	if o.Database == "" {
		o.Database = DefaultDatabase
	}
	if o.Username == "" {
		o.Username = "default"
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = DefaultDialTimeout
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = DefaultReadTimeout
	}
	if o.MaxOpenConns <= 0 {
		o.MaxOpenConns = 8
	}
	return o
}

// Store is a connection pool to the hot store's database. It connects
// lazily, so opening one never fails because the server is down.
type Store struct {
	conn driver.Conn
	db   string
}

// Open validates opts and prepares a connection pool; nothing is dialled
// until the first statement. Call Migrate before using the tables.
func Open(opts Options) (*Store, error) {
	o := opts.withDefaults()
	if !validIdentifier(o.Database) {
		return nil, fmt.Errorf("clickhouse: database name %q must be letters, digits and underscores", o.Database)
	}
	chOpts := &ch.Options{
		Addr: []string{o.Addr},
		// Connect to the always-present database: ours may not exist yet,
		// and every statement names its tables with the database anyway.
		Auth:            ch.Auth{Database: "default", Username: o.Username, Password: o.Password},
		DialTimeout:     o.DialTimeout,
		ReadTimeout:     o.ReadTimeout,
		MaxOpenConns:    o.MaxOpenConns,
		MaxIdleConns:    o.MaxOpenConns,
		ConnMaxLifetime: time.Hour,
	}
	if o.Compress {
		chOpts.Compression = &ch.Compression{Method: ch.CompressionLZ4}
	}
	conn, err := ch.Open(chOpts)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: %w", err)
	}
	return &Store{conn: conn, db: o.Database}, nil
}

// Close closes the connections.
func (s *Store) Close() error { return s.conn.Close() }

// Database is the database the tables live in.
func (s *Store) Database() string { return s.db }

// Ping checks that the server answers.
func (s *Store) Ping(ctx context.Context) error { return s.conn.Ping(ctx) }

// table is a table's database-qualified, quoted name.
func (s *Store) table(name string) string { return "`" + s.db + "`.`" + name + "`" }

// insert sends one block; fill appends the columns (in the order of cols).
// queryID names the statement on the server, so a loader can tell whether
// an insert it lost track of is still running.
func (s *Store) insert(ctx context.Context, queryID, table string, cols []string, fill func(driver.Batch) error) error {
	if queryID != "" {
		ctx = ch.Context(ctx, ch.WithQueryID(queryID))
	}
	b, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+s.table(table)+" ("+strings.Join(cols, ", ")+")")
	if err != nil {
		return err
	}
	if err := fill(b); err != nil {
		_ = b.Abort()
		return err
	}
	return b.Send()
}

// validIdentifier accepts names that need no escaping in any ClickHouse
// version: a letter or underscore, then letters, digits and underscores.
func validIdentifier(s string) bool {
	if s == "" || len(s) > 200 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// PayloadTable is the inference table an endpoint's table_name_prefix maps
// to: "<prefix>_payload", with every character other than ASCII letters,
// digits and underscores replaced by an underscore (and a leading digit
// prefixed by one), so any configured prefix names a valid table.
func PayloadTable(prefix string) string {
	if prefix == "" {
		prefix = "inference"
	}
	var b strings.Builder
	b.Grow(len(prefix) + len("_payload") + 1)
	if prefix[0] >= '0' && prefix[0] <= '9' {
		b.WriteByte('_')
	}
	for i := 0; i < len(prefix); i++ {
		c := prefix[i]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			b.WriteByte(c)
		} else {
			b.WriteByte('_')
		}
	}
	b.WriteString("_payload")
	if b.Len() > 200 {
		return b.String()[:200-len("_payload")] + "_payload"
	}
	return b.String()
}

// createPayloadTable creates an inference table shaped like the template.
func (s *Store) createPayloadTable(ctx context.Context, table string) error {
	return s.conn.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+s.table(table)+" AS "+s.table(tablePayloadTemplate))
}

// countRows counts a table's rows.
func (s *Store) countRows(ctx context.Context, table string) (uint64, error) {
	var n uint64
	err := s.conn.QueryRow(ctx, "SELECT count() FROM "+s.table(table)).Scan(&n)
	return n, err
}
