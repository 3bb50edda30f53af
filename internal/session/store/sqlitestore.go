package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // pure-Go SQLite driver, registered as "sqlite"
)

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
	st.unlock = unlock
	return &guarded{backend: st, kind: "sqlite", timeout: Timeout}, nil
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
	// The sessions table is scs's sqlite3store layout (expiry as a Julian
	// day); the index keeps times the same way.
	const schema = `CREATE TABLE IF NOT EXISTS sessions (
		token TEXT PRIMARY KEY,
		data BLOB NOT NULL,
		expiry REAL NOT NULL
	);
	CREATE INDEX IF NOT EXISTS sessions_expiry_idx ON sessions(expiry);
	CREATE TABLE IF NOT EXISTS session_index (
		token TEXT PRIMARY KEY,
		subject TEXT NOT NULL,
		started INTEGER NOT NULL,
		last_seen INTEGER NOT NULL,
		browser TEXT NOT NULL,
		expiry REAL NOT NULL
	);
	CREATE INDEX IF NOT EXISTS session_index_subject_idx ON session_index(subject);
	CREATE TABLE IF NOT EXISTS sgidweb_keys (
		name TEXT PRIMARY KEY,
		value BLOB NOT NULL
	);`
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

// sqliteStore keeps sessions in SQLite with statements prepared once. The
// table layout is the one scs's sqlite3store uses (expiry as a Julian day),
// but that store prepares its query on every call, which was a third of a
// logged-in page view's CPU.
type sqliteStore struct {
	db *sql.DB
	// writer is the one connection every write goes through, so that
	// PRAGMA data_version on it moves only when another program (sqlite3
	// at a terminal, a restore from backup) changed the file.
	writer                              *sql.Conn
	find                                *sql.Stmt // on the pool
	commit, update, delete, sweep, peek *sql.Stmt // on writer
	// The index's statements: listing on the pool, writes on writer.
	list, index, forget, sweepIndex *sql.Stmt
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
	// unlock releases the file's lock, when this store holds it.
	unlock func() error
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
	s.update = prepare(`UPDATE sessions SET data = ?, expiry = ? WHERE token = ? AND expiry > ?`, writer)
	s.delete = prepare(`DELETE FROM sessions WHERE token = ?`, writer)
	s.sweep = prepare(`DELETE FROM sessions WHERE expiry < ?`, writer)
	s.peek = prepare(`PRAGMA data_version`, writer)
	s.list = prepare(`SELECT i.token, i.started, i.last_seen, i.browser
		FROM session_index i JOIN sessions s ON s.token = i.token
		WHERE i.subject = ? AND i.expiry > ? AND s.expiry > ?`, db)
	s.index = prepare(`REPLACE INTO session_index (token, subject, started, last_seen, browser, expiry) VALUES (?, ?, ?, ?, ?, ?)`, writer)
	s.forget = prepare(`DELETE FROM session_index WHERE token = ?`, writer)
	// Entries go with the sessions the sweep deletes, and at their own end.
	s.sweepIndex = prepare(`DELETE FROM session_index WHERE expiry < ?
		OR token IN (SELECT token FROM sessions WHERE expiry < ?)`, writer)
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

// commitExisting updates the row of a live session and no other: the
// statement is the check, so nothing can delete the row in between.
func (s *sqliteStore) commitExisting(ctx context.Context, token string, b []byte, expiry time.Time) (bool, error) {
	if err := s.lockWrites(ctx); err != nil {
		return false, err
	}
	defer s.unlockWrites()
	res, err := s.update.ExecContext(ctx, b, julianDay(expiry), token, julianDay(time.Now()))
	var n int64
	if err == nil {
		n, err = res.RowsAffected()
	}
	if s.cache != nil {
		if err != nil || n == 0 {
			// Unknown, or gone from the file: the next read goes there.
			s.cache.drop(token)
		} else {
			s.cache.put(token, append([]byte(nil), b...), expiry)
		}
	}
	return n > 0, err
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
	if err != nil {
		return err
	}
	_, err = s.forget.ExecContext(ctx, token)
	return err
}

func (s *sqliteStore) addEntry(ctx context.Context, subject string, e Entry, until time.Time) error {
	if err := s.lockWrites(ctx); err != nil {
		return err
	}
	defer s.unlockWrites()
	_, err := s.index.ExecContext(ctx, e.Key, subject, e.Started.Unix(), e.LastSeen.Unix(), e.Browser, julianDay(until))
	return err
}

func (s *sqliteStore) listEntries(ctx context.Context, subject string) ([]Entry, error) {
	now := julianDay(time.Now())
	rows, err := s.list.QueryContext(ctx, subject, now, now)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []Entry
	for rows.Next() {
		var e Entry
		var started, lastSeen int64
		if err := rows.Scan(&e.Key, &started, &lastSeen, &e.Browser); err != nil {
			return nil, err
		}
		e.Started, e.LastSeen = time.Unix(started, 0), time.Unix(lastSeen, 0)
		list = append(list, e)
	}
	return list, rows.Err()
}

func (s *sqliteStore) countSessions(ctx context.Context) (Counts, error) {
	now := julianDay(time.Now())
	var c Counts
	err := s.db.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM sessions WHERE expiry > ?),
		(SELECT count(*) FROM session_index i JOIN sessions s ON s.token = i.token WHERE i.expiry > ? AND s.expiry > ?)`,
		now, now, now).Scan(&c.Sessions, &c.LoggedIn)
	return c, err
}

func (s *sqliteStore) sharedKey(ctx context.Context, name string, fresh []byte) ([]byte, error) {
	if err := s.lockWrites(ctx); err != nil {
		return nil, err
	}
	defer s.unlockWrites()
	if _, err := s.writer.ExecContext(ctx, `INSERT OR IGNORE INTO sgidweb_keys (name, value) VALUES (?, ?)`, name, fresh); err != nil {
		return nil, err
	}
	var key []byte
	err := s.writer.QueryRowContext(ctx, `SELECT value FROM sgidweb_keys WHERE name = ?`, name).Scan(&key)
	return key, err
}

func (s *sqliteStore) ping(ctx context.Context) error { return s.db.PingContext(ctx) }

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
				day := julianDay(now)
				if _, err := s.sweepIndex.Exec(day, day); err == nil {
					_, _ = s.sweep.Exec(day)
				}
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
	for _, st := range []*sql.Stmt{s.find, s.commit, s.update, s.delete, s.sweep, s.peek, s.list, s.index, s.forget, s.sweepIndex} {
		if st != nil {
			st.Close()
		}
	}
}

// close stops the sweeper, releases the statements and the database, and
// then the file's lock.
func (s *sqliteStore) close() error {
	close(s.stop)
	<-s.done
	s.closeStatements()
	err := errors.Join(s.writer.Close(), s.db.Close())
	if s.unlock != nil {
		err = errors.Join(err, s.unlock())
	}
	return err
}
