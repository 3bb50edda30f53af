// Package store opens the session stores sgidweb can use (memory, SQLite,
// Redis, PostgreSQL) from a SESSION_STORE value, and holds the codec scs
// writes sessions with. The value's syntax is read by package spec, which
// config shares without compiling the drivers linked in here.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/alexedwards/scs/pgxstore"
	"github.com/alexedwards/scs/redisstore"
	"github.com/alexedwards/scs/v2"
	"github.com/gomodule/redigo/redis"
	"github.com/jackc/pgx/v5/pgxpool"

	storespec "github.com/sgidweb/sgidweb/internal/session/store/spec"

	_ "modernc.org/sqlite" // pure-Go SQLite driver, registered as "sqlite"
)

// ErrUnavailable wraps every failure of a store, so that the web layer
// answers 503 rather than 500 and /readyz can report it.
var ErrUnavailable = errors.New("session: store unavailable")

// Store is an scs store the server can also probe and close.
type Store interface {
	scs.Store
	// Ping answers nil when the store can serve requests (for /readyz).
	Ping(ctx context.Context) error
	// Close stops background work and releases connections.
	Close() error
	// Kind names the store for logs and metrics, never with credentials.
	Kind() string
}

// Open selects and opens a store from a SESSION_STORE value. A store that
// cannot be reached now is an error, so misconfiguration stops the start.
func Open(ctx context.Context, spec string) (Store, error) {
	if err := storespec.Check(spec); err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	switch {
	case spec == "memory":
		st := newMemStore(time.Minute)
		return &guarded{Store: st, kind: "memory", ping: func(context.Context) error { return nil }, close: st.Close}, nil
	case strings.HasPrefix(spec, "sqlite:"):
		return openSQLite(ctx, strings.TrimPrefix(spec, "sqlite:"), sqliteCacheEntries, lockWait)
	case strings.HasPrefix(spec, "redis://"), strings.HasPrefix(spec, "rediss://"):
		return openRedis(ctx, spec)
	case strings.HasPrefix(spec, "postgres://"), strings.HasPrefix(spec, "postgresql://"):
		return openPostgres(ctx, spec)
	}
	return nil, fmt.Errorf("session: unknown store %q", storespec.Kind(spec))
}

// Bounds on shared stores. A store that hangs must not hang requests: each
// operation gives up after storeTimeout and the page answers 503.
const (
	storeTimeout   = 5 * time.Second
	connectTimeout = 5 * time.Second
	startupTimeout = 10 * time.Second
	// pingIdleAfter mirrors pgxpool's default: a pooled connection that has
	// been idle this long is checked before use, so a store that restarted
	// while nobody was looking costs nobody a failed request.
	pingIdleAfter = time.Second
)

// unreachable is the start-up error for a shared store that does not answer:
// it names the variable so the operator knows what to fix.
func unreachable(spec string, err error) error {
	return fmt.Errorf("session: SESSION_STORE=%s cannot be reached: %v (fix: start the store, or correct SESSION_STORE)", storespec.Redacted(spec), err)
}

func openRedis(ctx context.Context, spec string) (Store, error) {
	if _, err := url.Parse(spec); err != nil {
		return nil, fmt.Errorf("session: SESSION_STORE=%s is not a valid URL", storespec.Redacted(spec))
	}
	var generation atomic.Uint64
	pool := &redis.Pool{
		MaxIdle:     32,
		IdleTimeout: 5 * time.Minute,
		DialContext: func(ctx context.Context) (redis.Conn, error) {
			c, err := redis.DialURLContext(ctx, spec,
				redis.DialConnectTimeout(connectTimeout),
				redis.DialReadTimeout(storeTimeout),
				redis.DialWriteTimeout(storeTimeout))
			if err != nil {
				return nil, err
			}
			return &redisConn{Conn: c, generation: &generation, born: generation.Load()}, nil
		},
		TestOnBorrow: func(c redis.Conn, lastUsed time.Time) error {
			if rc, ok := c.(*redisConn); ok && rc.born != rc.generation.Load() {
				return errors.New("session: connection predates a redis failure")
			}
			if time.Since(lastUsed) < pingIdleAfter {
				return nil
			}
			_, err := c.Do("PING")
			return err
		},
	}
	ping := func(ctx context.Context) error {
		c, err := pool.GetContext(ctx)
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = redis.DoContext(c, ctx, "PING")
		return err
	}
	startCtx, cancel := context.WithTimeout(ctx, startupTimeout)
	defer cancel()
	if err := ping(startCtx); err != nil {
		pool.Close()
		return nil, unreachable(spec, err)
	}
	// Redis expires each session by its own TTL (PEXPIREAT), so there is no
	// cleanup to run.
	return &guarded{Store: redisstore.New(pool), kind: "redis", ping: ping, close: pool.Close}, nil
}

// redisConn drops every pooled connection after a connection failure: when
// Redis restarts, all idle connections are dead, and without this each of
// them would fail one request before the pool noticed.
type redisConn struct {
	redis.Conn
	generation *atomic.Uint64
	born       uint64
}

func (c *redisConn) Do(cmd string, args ...any) (any, error) {
	reply, err := c.Conn.Do(cmd, args...)
	c.observe(err)
	return reply, err
}

// DoContext keeps the pool's context-bounded calls (the readiness ping)
// working through the wrapper.
func (c *redisConn) DoContext(ctx context.Context, cmd string, args ...any) (any, error) {
	reply, err := redis.DoContext(c.Conn, ctx, cmd, args...)
	c.observe(err)
	return reply, err
}

func (c *redisConn) ReceiveContext(ctx context.Context) (any, error) {
	reply, err := redis.ReceiveContext(c.Conn, ctx)
	c.observe(err)
	return reply, err
}

// observe counts a failure of the connection itself; an error reply from
// Redis says nothing about the other connections.
func (c *redisConn) observe(err error) {
	var replyErr redis.Error
	if err != nil && !errors.As(err, &replyErr) {
		c.generation.Add(1)
	}
}

func openPostgres(ctx context.Context, spec string) (Store, error) {
	cfg, err := pgxpool.ParseConfig(spec)
	if err != nil {
		// pgx's parse errors may quote the URL; say only which one.
		return nil, fmt.Errorf("session: SESSION_STORE=%s is not a valid PostgreSQL URL", storespec.Redacted(spec))
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = connectTimeout
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, unreachable(spec, err)
	}
	startCtx, cancel := context.WithTimeout(ctx, startupTimeout)
	defer cancel()
	if err := createSessionsTable(startCtx, pool); err != nil {
		pool.Close()
		return nil, unreachable(spec, err)
	}
	// pgxstore deletes expired rows every five minutes in the background;
	// its reads ignore expired rows in the meantime.
	st := pgxstore.NewWithCleanupInterval(pool, 5*time.Minute)
	return &guarded{
		Store: st,
		kind:  "postgres",
		ping:  pool.Ping,
		close: func() error { st.StopCleanup(); pool.Close(); return nil },
		// pgxpool pings only connections idle for a second or more, so
		// after a quick restart its idle connections would each fail one
		// request; one failure drops them all instead.
		failed: pool.Reset,
	}, nil
}

// createSessionsTable creates pgxstore's documented table and expiry index
// when missing. Instances starting together take an advisory lock first,
// because concurrent CREATE ... IF NOT EXISTS can still collide.
func createSessionsTable(ctx context.Context, pool *pgxpool.Pool) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit this is a no-op
	const schema = `SELECT pg_advisory_xact_lock(hashtext('sgidweb.sessions'));
	CREATE TABLE IF NOT EXISTS sessions (
		token TEXT PRIMARY KEY,
		data BYTEA NOT NULL,
		expiry TIMESTAMPTZ NOT NULL
	);
	CREATE INDEX IF NOT EXISTS sessions_expiry_idx ON sessions (expiry);`
	if _, err := tx.Exec(ctx, schema); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// ErrInUse means another process (or another Open in this one) owns the
// SQLite session file.
var ErrInUse = errors.New("one process owns a SQLite session file; to run several instances, set SESSION_STORE to redis://... or postgres://...")

func sqliteInUse(path string) error {
	return fmt.Errorf("session: another sgidweb process is using %s: %w", path, ErrInUse)
}

// openSQLite opens the file for this process alone where the platform can
// lock it, and then keeps up to cacheLimit sessions in memory.
func openSQLite(ctx context.Context, path string, cacheLimit int, wait time.Duration) (Store, error) {
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("session: create folder for %s: %w", path, err)
		}
	}
	unlock, err := lockSQLite(path, wait)
	if err != nil {
		return nil, err
	}
	if !ownsSQLiteFile {
		cacheLimit = 0
	}
	st, err := openSQLiteFile(ctx, path, cacheLimit)
	if err != nil {
		unlock()
		return nil, err
	}
	return &guarded{Store: st, kind: "sqlite", ping: st.db.PingContext, close: func() error {
		err := st.Close()
		return errors.Join(err, unlock())
	}}, nil
}

func openSQLiteFile(ctx context.Context, path string, cacheLimit int) (*sqliteStore, error) {
	// The sessions hold personal data. SQLite gives its -wal and -shm files
	// the database file's mode, so the file is made 0600 before SQLite
	// first opens it, and -wal and -shm left by an earlier run (perhaps
	// with a looser mode) are restricted too.
	if err := restrictSQLiteFiles(path); err != nil {
		return nil, err
	}
	// WAL lets page views read while a login writes; the busy timeout makes
	// concurrent writers wait instead of failing.
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=synchronous(NORMAL)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("session: open sqlite %s: %w", path, err)
	}
	const schema = `CREATE TABLE IF NOT EXISTS sessions (
		token TEXT PRIMARY KEY,
		data BLOB NOT NULL,
		expiry REAL NOT NULL
	);
	CREATE INDEX IF NOT EXISTS sessions_expiry_idx ON sessions(expiry);`
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("session: prepare sqlite %s: %w", path, err)
	}
	st, err := newSQLiteStore(ctx, db, cacheLimit)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("session: prepare sqlite %s: %w", path, err)
	}
	return st, nil
}

// Check opens the store spec names, pings it and closes it, for sgidweb
// doctor. A SQLite file a running server owns cannot be opened again, so it
// is read instead, read-only and without the lock; inUse then says so.
func Check(ctx context.Context, spec string) (inUse bool, err error) {
	var st Store
	if path, ok := strings.CutPrefix(spec, "sqlite:"); ok && path != "" {
		// No wait: a running server holds the lock for good.
		st, err = openSQLite(ctx, path, 0, 0)
	} else {
		st, err = Open(ctx, spec)
	}
	if errors.Is(err, ErrInUse) {
		return true, readSQLite(ctx, strings.TrimPrefix(spec, "sqlite:"))
	}
	if err != nil {
		return false, err
	}
	defer st.Close()
	return false, st.Ping(ctx)
}

// readSQLite reads the sessions table without writing anything.
func readSQLite(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return fmt.Errorf("session: open sqlite %s: %w", path, err)
	}
	defer db.Close()
	var one int
	err = db.QueryRowContext(ctx, `SELECT 1 FROM sessions LIMIT 1`).Scan(&one)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("session: read sqlite %s: %w", path, err)
	}
	return nil
}

// restrictSQLiteFiles creates the database file with mode 0600 when it is
// missing and sets 0600 on it and on any -wal and -shm files beside it.
func restrictSQLiteFiles(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("session: create %s: %w", path, err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("session: restrict %s: %w", p, err)
		}
	}
	return nil
}

// guarded marks every store failure with ErrUnavailable so the web layer can
// tell an outage (503) from a bug (500), and bounds every call by
// storeTimeout. It always offers scs the context-aware methods, passing the
// request's context on to stores that take one (pgxstore only has those).
type guarded struct {
	scs.Store
	kind  string
	ping  func(context.Context) error
	close func() error
	// failed, when set, runs after a store call fails for any reason but
	// the caller giving up.
	failed func()
}

func (g *guarded) fail(op string, err error) error {
	if g.failed != nil && !errors.Is(err, context.Canceled) {
		g.failed()
	}
	return fmt.Errorf("%w: %s: %v", ErrUnavailable, op, err)
}

func (g *guarded) Find(token string) ([]byte, bool, error) {
	return g.FindCtx(context.Background(), token)
}

func (g *guarded) Commit(token string, b []byte, expiry time.Time) error {
	return g.CommitCtx(context.Background(), token, b, expiry)
}

func (g *guarded) Delete(token string) error {
	return g.DeleteCtx(context.Background(), token)
}

// memoryFinder is a store that can answer some finds from this process's
// memory. guarded asks it first, without a deadline: such an answer cannot
// hang, and the timer was most of a cached page view's allocations.
type memoryFinder interface {
	findInMemory(token string) ([]byte, bool)
}

func (g *guarded) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	if mf, ok := g.Store.(memoryFinder); ok {
		if b, found := mf.findInMemory(token); found {
			return b, true, nil
		}
	}
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	var b []byte
	var ok bool
	var err error
	if cs, isCtx := g.Store.(scs.CtxStore); isCtx {
		b, ok, err = cs.FindCtx(ctx, token)
	} else {
		b, ok, err = g.Store.Find(token)
	}
	if err != nil {
		return nil, false, g.fail("find", err)
	}
	return b, ok, nil
}

func (g *guarded) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	var err error
	if cs, isCtx := g.Store.(scs.CtxStore); isCtx {
		err = cs.CommitCtx(ctx, token, b, expiry)
	} else {
		err = g.Store.Commit(token, b, expiry)
	}
	if err != nil {
		return g.fail("commit", err)
	}
	return nil
}

func (g *guarded) DeleteCtx(ctx context.Context, token string) error {
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	var err error
	if cs, isCtx := g.Store.(scs.CtxStore); isCtx {
		err = cs.DeleteCtx(ctx, token)
	} else {
		err = g.Store.Delete(token)
	}
	if err != nil {
		return g.fail("delete", err)
	}
	return nil
}

func (g *guarded) Ping(ctx context.Context) error {
	if err := g.ping(ctx); err != nil {
		return g.fail("ping", err)
	}
	return nil
}

func (g *guarded) Close() error { return g.close() }
func (g *guarded) Kind() string { return g.kind }
