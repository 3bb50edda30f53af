package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	storespec "github.com/sgidweb/sgidweb/internal/session/store/spec"
)

// pgCleanupEvery is how often expired sessions and index entries are
// deleted; reads ignore expired rows in the meantime.
const pgCleanupEvery = 5 * time.Minute

func openPostgres(ctx context.Context, spec string, lim limits) (Store, error) {
	cfg, err := pgxpool.ParseConfig(spec)
	if err != nil {
		// pgx's parse errors may quote the URL; say only which one.
		return nil, fmt.Errorf("session: SESSION_STORE=%s is not a valid PostgreSQL URL", storespec.Redacted(spec))
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = min(connectTimeout, lim.timeout)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, unreachable(spec, err)
	}
	startCtx, cancel := context.WithTimeout(ctx, startupTimeout)
	defer cancel()
	if err := createTables(startCtx, pool); err != nil {
		pool.Close()
		return nil, unreachable(spec, err)
	}
	st := &pgStore{pool: pool, stop: make(chan struct{}), done: make(chan struct{})}
	go st.cleanup()
	return &guarded{
		backend: st,
		kind:    "postgres",
		timeout: lim.timeout,
		// pgxpool pings only connections idle for a second or more, so
		// after a quick restart its idle connections would each fail one
		// request; one failure drops them all instead.
		failed: pool.Reset,
	}, nil
}

// createTables creates the sessions table (the layout scs's pgxstore
// documents, so sessions written by earlier versions stay valid), the index
// and the shared keys when missing. Instances starting together take an
// advisory lock first, because concurrent CREATE ... IF NOT EXISTS can
// still collide.
func createTables(ctx context.Context, pool *pgxpool.Pool) error {
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
	CREATE INDEX IF NOT EXISTS sessions_expiry_idx ON sessions (expiry);
	CREATE TABLE IF NOT EXISTS session_index (
		token TEXT PRIMARY KEY,
		subject TEXT NOT NULL,
		started TIMESTAMPTZ NOT NULL,
		last_seen TIMESTAMPTZ NOT NULL,
		browser TEXT NOT NULL,
		expiry TIMESTAMPTZ NOT NULL
	);
	CREATE INDEX IF NOT EXISTS session_index_subject_idx ON session_index (subject);
	CREATE INDEX IF NOT EXISTS session_index_expiry_idx ON session_index (expiry);
	CREATE TABLE IF NOT EXISTS sgidweb_keys (
		name TEXT PRIMARY KEY,
		value BYTEA NOT NULL
	);`
	if _, err := tx.Exec(ctx, schema); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// pgStore keeps sessions in PostgreSQL. Every call takes the caller's
// context, which pgx honours while acquiring a connection and while
// waiting for an answer.
type pgStore struct {
	pool *pgxpool.Pool
	stop chan struct{}
	done chan struct{}
}

func (s *pgStore) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

func (s *pgStore) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

func (s *pgStore) Delete(token string) error { return s.DeleteCtx(context.Background(), token) }

func (s *pgStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	var b []byte
	err := s.pool.QueryRow(ctx, `SELECT data FROM sessions WHERE token = $1 AND current_timestamp < expiry`, token).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return b, true, nil
}

func (s *pgStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO sessions (token, data, expiry) VALUES ($1, $2, $3)
		ON CONFLICT (token) DO UPDATE SET data = EXCLUDED.data, expiry = EXCLUDED.expiry`, token, b, expiry)
	return err
}

// commitExisting updates the row of a live session and no other: the
// statement is the check, so nothing can delete the row in between.
func (s *pgStore) commitExisting(ctx context.Context, token string, b []byte, expiry time.Time) (bool, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE sessions SET data = $2, expiry = $3 WHERE token = $1 AND current_timestamp < expiry`,
		token, b, expiry)
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() > 0, nil
}

// DeleteCtx deletes the session and its index entry in one statement.
func (s *pgStore) DeleteCtx(ctx context.Context, token string) error {
	_, err := s.pool.Exec(ctx, `WITH entry AS (DELETE FROM session_index WHERE token = $1)
		DELETE FROM sessions WHERE token = $1`, token)
	return err
}

func (s *pgStore) addEntry(ctx context.Context, subject string, e Entry, until time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO session_index (token, subject, started, last_seen, browser, expiry)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (token) DO UPDATE SET subject = EXCLUDED.subject, started = EXCLUDED.started,
			last_seen = EXCLUDED.last_seen, browser = EXCLUDED.browser, expiry = EXCLUDED.expiry`,
		e.Key, subject, e.Started, e.LastSeen, e.Browser, until)
	return err
}

func (s *pgStore) listEntries(ctx context.Context, subject string) ([]Entry, error) {
	rows, err := s.pool.Query(ctx, `SELECT i.token, i.started, i.last_seen, i.browser
		FROM session_index i JOIN sessions s ON s.token = i.token
		WHERE i.subject = $1 AND current_timestamp < i.expiry AND current_timestamp < s.expiry`, subject)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Entry, error) {
		var e Entry
		err := row.Scan(&e.Key, &e.Started, &e.LastSeen, &e.Browser)
		return e, err
	})
}

func (s *pgStore) countSessions(ctx context.Context) (Counts, error) {
	var c Counts
	err := s.pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM sessions WHERE current_timestamp < expiry),
		(SELECT count(*) FROM session_index i JOIN sessions s ON s.token = i.token
			WHERE current_timestamp < i.expiry AND current_timestamp < s.expiry)`).Scan(&c.Sessions, &c.LoggedIn)
	return c, err
}

// sharedKey inserts the fresh key unless one is there, then reads what is:
// two statements, so the read sees a key another instance inserted at the
// same moment.
func (s *pgStore) sharedKey(ctx context.Context, name string, fresh []byte) ([]byte, error) {
	if _, err := s.pool.Exec(ctx, `INSERT INTO sgidweb_keys (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, fresh); err != nil {
		return nil, err
	}
	var key []byte
	err := s.pool.QueryRow(ctx, `SELECT value FROM sgidweb_keys WHERE name = $1`, name).Scan(&key)
	return key, err
}

func (s *pgStore) ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// cleanup deletes expired sessions with their index entries, and entries
// past their own end.
func (s *pgStore) cleanup() {
	sweepEvery(pgCleanupEvery, s.stop, s.done, func() {
		// A failed sweep is retried at the next tick; reads never serve
		// expired rows meanwhile.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, _ = s.pool.Exec(ctx, `WITH gone AS (DELETE FROM sessions WHERE expiry < current_timestamp RETURNING token)
			DELETE FROM session_index WHERE expiry < current_timestamp OR token IN (SELECT token FROM gone)`)
	})
}

func (s *pgStore) close() error {
	close(s.stop)
	<-s.done
	s.pool.Close()
	return nil
}
