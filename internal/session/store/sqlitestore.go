package store

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
	db *sql.DB
	// writer is the one connection every write goes through, so that
	// PRAGMA data_version on it moves only when another program (sqlite3
	// at a terminal, a restore from backup) changed the file.
	writer                      *sql.Conn
	find                        *sql.Stmt // on the pool
	commit, delete, sweep, peek *sql.Stmt // on writer
	// cache, when not nil, answers reads from memory. It is right because
	// this process alone serves from the file (see lockSQLite), and it is
	// emptied within checkEvery of a change made by anyone else.
	cache       *sessionCache
	dataVersion int64
	// writing is held across a write to the file and to the cache, so the
	// cache takes concurrent writes of one session in the file's order.
	// A channel, so that waiting for it respects the caller's deadline.
	writing chan struct{}
	stop    chan struct{}
	done    chan struct{}
}

// cleanupEvery is how often expired sessions are deleted; checkEvery is
// how often the store looks for changes made to the file from outside.
const (
	cleanupEvery = 5 * time.Minute
	checkEvery   = time.Second
)

// newSQLiteStore prepares the statements; a cacheLimit of 0 means no cache.
func newSQLiteStore(ctx context.Context, db *sql.DB, cacheLimit int) (*sqliteStore, error) {
	s := &sqliteStore{db: db, writing: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	if cacheLimit > 0 {
		s.cache = newSessionCache(cacheLimit)
	}
	writer, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	s.writer = writer
	prepare := func(query string, on interface {
		PrepareContext(context.Context, string) (*sql.Stmt, error)
	}) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = on.PrepareContext(ctx, query)
		return st
	}
	s.find = prepare(`SELECT data, expiry FROM sessions WHERE token = ? AND expiry > ?`, db)
	s.commit = prepare(`REPLACE INTO sessions (token, data, expiry) VALUES (?, ?, ?)`, writer)
	s.delete = prepare(`DELETE FROM sessions WHERE token = ?`, writer)
	s.sweep = prepare(`DELETE FROM sessions WHERE expiry < ?`, writer)
	s.peek = prepare(`PRAGMA data_version`, writer)
	if err == nil {
		err = s.peek.QueryRowContext(ctx).Scan(&s.dataVersion)
	}
	if err != nil {
		s.closeStatements()
		writer.Close()
		return nil, err
	}
	go s.cleanup()
	return s, nil
}

// julianDay is the SQLite day number of t, as julianday() computes it.
func julianDay(t time.Time) float64 {
	return float64(t.UnixNano())/float64(24*time.Hour) + 2440587.5
}

// fromJulianDay is the time of a SQLite day number, to within microseconds.
func fromJulianDay(d float64) time.Time {
	return time.Unix(0, int64((d-2440587.5)*float64(24*time.Hour)))
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

// findInMemory answers from the cache only; guarded asks it first because
// such an answer cannot hang, so it needs no deadline.
func (s *sqliteStore) findInMemory(token string) ([]byte, bool) {
	if s.cache == nil {
		return nil, false
	}
	return s.cache.find(token, time.Now())
}

// FindCtx, CommitCtx and DeleteCtx make this an scs.CtxStore, so a request's
// deadline bounds its store calls.
func (s *sqliteStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	if b, ok := s.findInMemory(token); ok {
		return b, true, nil
	}
	var seen uint64
	if s.cache != nil {
		seen = s.cache.version()
	}
	var b []byte // Scan copies into a new slice, which the cache may keep
	var expiry float64
	err := s.find.QueryRowContext(ctx, token, julianDay(time.Now())).Scan(&b, &expiry)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if s.cache != nil {
		s.cache.fill(token, b, fromJulianDay(expiry), seen)
	}
	return b, true, nil
}

func (s *sqliteStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	if err := s.lockWrites(ctx); err != nil {
		return err
	}
	defer s.unlockWrites()
	_, err := s.commit.ExecContext(ctx, token, b, julianDay(expiry))
	if s.cache != nil {
		if err != nil {
			// The write may or may not have reached the file: the next
			// read goes there.
			s.cache.drop(token)
		} else {
			// A copy: the caller may reuse b.
			s.cache.put(token, append([]byte(nil), b...), expiry)
		}
	}
	return err
}

func (s *sqliteStore) DeleteCtx(ctx context.Context, token string) error {
	if err := s.lockWrites(ctx); err != nil {
		return err
	}
	defer s.unlockWrites()
	_, err := s.delete.ExecContext(ctx, token)
	if s.cache != nil {
		s.cache.drop(token)
	}
	return err
}

func (s *sqliteStore) lockWrites(ctx context.Context) error {
	select {
	case s.writing <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *sqliteStore) unlockWrites() { <-s.writing }

func (s *sqliteStore) cleanup() {
	defer close(s.done)
	sweep := time.NewTicker(cleanupEvery)
	defer sweep.Stop()
	var check <-chan time.Time
	if s.cache != nil {
		t := time.NewTicker(checkEvery)
		defer t.Stop()
		check = t.C
	}
	for {
		select {
		case <-s.stop:
			return
		case <-check:
			s.noticeOutsideWrites()
		case <-sweep.C:
			// A failed sweep is retried at the next tick; expired rows are
			// never served meanwhile because Find checks the expiry.
			now := time.Now()
			if s.lockWrites(context.Background()) == nil {
				_, _ = s.sweep.Exec(julianDay(now))
				s.unlockWrites()
			}
			if s.cache != nil {
				s.cache.deleteExpired(now)
			}
		}
	}
}

// noticeOutsideWrites empties the cache when the file changed other than
// through this store: an operator deleting every row to log everyone out
// must not be undone by the copies in memory. If the check itself fails,
// the cache is emptied too: it can no longer vouch for the file.
func (s *sqliteStore) noticeOutsideWrites() {
	if s.lockWrites(context.Background()) != nil {
		return
	}
	defer s.unlockWrites()
	var v int64
	if err := s.peek.QueryRow().Scan(&v); err != nil || v != s.dataVersion {
		s.cache.clear()
		if err == nil {
			s.dataVersion = v
		}
	}
}

func (s *sqliteStore) closeStatements() {
	for _, st := range []*sql.Stmt{s.find, s.commit, s.delete, s.sweep, s.peek} {
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
	return errors.Join(s.writer.Close(), s.db.Close())
}
