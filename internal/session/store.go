package session

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/alexedwards/scs/v2/memstore"

	_ "modernc.org/sqlite" // pure-Go SQLite driver, registered as "sqlite"
)

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
	switch {
	case spec == "memory":
		st := memstore.New()
		return &guarded{Store: st, kind: "memory", ping: func(context.Context) error { return nil }, close: func() error { st.StopCleanup(); return nil }}, nil
	case strings.HasPrefix(spec, "sqlite:"):
		return openSQLite(ctx, strings.TrimPrefix(spec, "sqlite:"))
	}
	return nil, fmt.Errorf("session: unknown store %q", kindOf(spec))
}

func kindOf(spec string) string {
	if i := strings.Index(spec, ":"); i > 0 {
		return spec[:i]
	}
	return spec
}

func openSQLite(ctx context.Context, path string) (Store, error) {
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("session: create folder for %s: %w", path, err)
		}
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
	if err := os.Chmod(path, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
		db.Close()
		return nil, fmt.Errorf("session: restrict %s: %w", path, err)
	}
	st, err := newSQLiteStore(ctx, db)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("session: prepare sqlite %s: %w", path, err)
	}
	return &guarded{Store: st, kind: "sqlite", ping: db.PingContext, close: st.Close}, nil
}

// guarded marks every store failure with ErrUnavailable so the web layer can
// tell an outage (503) from a bug (500).
type guarded struct {
	scs.Store
	kind  string
	ping  func(context.Context) error
	close func() error
}

func (g *guarded) Find(token string) ([]byte, bool, error) {
	b, ok, err := g.Store.Find(token)
	if err != nil {
		return nil, false, fmt.Errorf("%w: find: %v", ErrUnavailable, err)
	}
	return b, ok, nil
}

func (g *guarded) Commit(token string, b []byte, expiry time.Time) error {
	if err := g.Store.Commit(token, b, expiry); err != nil {
		return fmt.Errorf("%w: commit: %v", ErrUnavailable, err)
	}
	return nil
}

func (g *guarded) Delete(token string) error {
	if err := g.Store.Delete(token); err != nil {
		return fmt.Errorf("%w: delete: %v", ErrUnavailable, err)
	}
	return nil
}

func (g *guarded) Ping(ctx context.Context) error {
	if err := g.ping(ctx); err != nil {
		return fmt.Errorf("%w: ping: %v", ErrUnavailable, err)
	}
	return nil
}

func (g *guarded) Close() error { return g.close() }
func (g *guarded) Kind() string { return g.kind }
