package session

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// sqliteStore keeps sessions in SQLite with statements prepared once. The
// table layout is the one scs's sqlite3store uses (expiry as a Julian day),
// but that store prepares its query on every call, which was a third of a
// logged-in page view's CPU.
type sqliteStore struct {
	db                   *sql.DB
	find, commit, delete *sql.Stmt
	stop                 chan struct{}
	done                 chan struct{}
}

// cleanupEvery is how often expired sessions are deleted.
const cleanupEvery = 5 * time.Minute

func newSQLiteStore(ctx context.Context, db *sql.DB) (*sqliteStore, error) {
	s := &sqliteStore{db: db, stop: make(chan struct{}), done: make(chan struct{})}
	var err error
	prepare := func(query string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = db.PrepareContext(ctx, query)
		return st
	}
	s.find = prepare(`SELECT data FROM sessions WHERE token = ? AND expiry > ?`)
	s.commit = prepare(`REPLACE INTO sessions (token, data, expiry) VALUES (?, ?, ?)`)
	s.delete = prepare(`DELETE FROM sessions WHERE token = ?`)
	if err != nil {
		s.closeStatements()
		return nil, err
	}
	go s.cleanup()
	return s, nil
}

// julianDay is the SQLite day number of t, as julianday() computes it.
func julianDay(t time.Time) float64 {
	return float64(t.UnixNano())/float64(24*time.Hour) + 2440587.5
}

func (s *sqliteStore) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

func (s *sqliteStore) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

func (s *sqliteStore) Delete(token string) error {
	return s.DeleteCtx(context.Background(), token)
}

// FindCtx, CommitCtx and DeleteCtx make this an scs.CtxStore, so a request's
// deadline bounds its store calls.
func (s *sqliteStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	var b []byte
	err := s.find.QueryRowContext(ctx, token, julianDay(time.Now())).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return b, true, nil
}

func (s *sqliteStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	_, err := s.commit.ExecContext(ctx, token, b, julianDay(expiry))
	return err
}

func (s *sqliteStore) DeleteCtx(ctx context.Context, token string) error {
	_, err := s.delete.ExecContext(ctx, token)
	return err
}

func (s *sqliteStore) cleanup() {
	defer close(s.done)
	t := time.NewTicker(cleanupEvery)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			// A failed sweep is retried at the next tick; expired rows are
			// never served meanwhile because Find checks the expiry.
			_, _ = s.db.Exec(`DELETE FROM sessions WHERE expiry < ?`, julianDay(time.Now()))
		}
	}
}

func (s *sqliteStore) closeStatements() {
	for _, st := range []*sql.Stmt{s.find, s.commit, s.delete} {
		if st != nil {
			st.Close()
		}
	}
}

// Close stops the sweeper and releases the statements and the database.
func (s *sqliteStore) Close() error {
	close(s.stop)
	<-s.done
	s.closeStatements()
	return s.db.Close()
}
