// Package store opens the session stores sgidweb can use (memory, SQLite,
// Redis, PostgreSQL) from a SESSION_STORE value, and holds the codec scs
// writes sessions with. The value's syntax is read by package spec, which
// config shares without compiling the drivers linked in here.
//
// Besides the sessions themselves, every store keeps an index of the
// logged-in ones by subject (see index.go), so that a person can see and end
// their sessions and an operator can end one person's.
package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"

	storespec "github.com/sgidweb/sgidweb/internal/session/store/spec"
)

// ErrUnavailable wraps every failure of a store, so that the web layer
// answers 503 rather than 500 and /readyz can report it.
var ErrUnavailable = errors.New("session: store unavailable")

// Store is an scs store the server can also probe, close and ask about the
// logged-in sessions of one person. Every Store Open returns also
// implements scs.CtxStore (scs then passes the request's context on); the
// interface leaves that out so that test doubles which embed a Store and
// override Commit or Find are called.
type Store interface {
	scs.Store
	Indexer
	// CommitExisting writes a session only if the store still holds it
	// live, in one atomic step, and reports whether it did. scs's commit is
	// an upsert: a request that loaded a session before it was ended (a
	// logout, the sessions page's End, sgidweb sessions revoke, here or on
	// another instance) would write it back when it commits, and no check
	// made before the commit can close that window.
	CommitExisting(ctx context.Context, token string, b []byte, expiry time.Time) (found bool, err error)
	// Ping answers nil when the store can serve requests (for /readyz).
	Ping(ctx context.Context) error
	// Close stops background work and releases connections.
	Close() error
	// Kind names the store for logs and metrics, never with credentials.
	Kind() string
}

// Timeout bounds every call to a store: a store that hangs (a frozen Redis,
// a network path that drops packets) costs a request at most this long, and
// the request then answers 503. The README documents it.
const Timeout = 5 * time.Second

// Bounds on opening stores.
const (
	connectTimeout = 5 * time.Second
	startupTimeout = 10 * time.Second
	// pingIdleAfter mirrors pgxpool's default: a pooled connection that has
	// been idle this long is checked before use, so a store that restarted
	// while nobody was looking costs nobody a failed request.
	pingIdleAfter = time.Second
	// redisMaxConns caps the connections to Redis. When Redis hangs, each
	// waiting request holds one; past the cap requests wait for a free one
	// within their own deadline instead of opening connections without end.
	redisMaxConns = 64
)

// limits are the bounds a store is opened with: Open uses the documented
// ones; tests tighten them to meet them quickly.
type limits struct {
	timeout     time.Duration // every store call
	redisConns  int           // the Redis pool's cap
	memoryBytes int           // what the memory store holds
}

var defaultLimits = limits{timeout: Timeout, redisConns: redisMaxConns, memoryBytes: memoryMaxBytes}

// Open selects and opens a store from a SESSION_STORE value. A store that
// cannot be reached now is an error, so misconfiguration stops the start.
func Open(ctx context.Context, spec string) (Store, error) {
	return openWith(ctx, spec, defaultLimits)
}

func openWith(ctx context.Context, spec string, lim limits) (Store, error) {
	if err := storespec.Check(spec); err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	switch {
	case spec == "memory":
		return &guarded{backend: newMemStore(time.Minute, lim.memoryBytes), kind: "memory", timeout: lim.timeout}, nil
	case strings.HasPrefix(spec, "sqlite:"):
		return openSQLite(ctx, strings.TrimPrefix(spec, "sqlite:"), sqliteCacheEntries, lockWait)
	case strings.HasPrefix(spec, "redis://"), strings.HasPrefix(spec, "rediss://"):
		return openRedis(ctx, spec, lim)
	case strings.HasPrefix(spec, "postgres://"), strings.HasPrefix(spec, "postgresql://"):
		return openPostgres(ctx, spec, lim)
	}
	return nil, fmt.Errorf("session: unknown store %q", storespec.Kind(spec))
}

// unreachable is the start-up error for a shared store that does not answer:
// it names the variable so the operator knows what to fix.
func unreachable(spec string, err error) error {
	return fmt.Errorf("session: SESSION_STORE=%s cannot be reached: %v (fix: start the store, or correct SESSION_STORE)", storespec.Redacted(spec), err)
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

// OpenForCommand opens the store spec names for an operator's command
// (sgidweb sessions). Shared stores open as for a server. A SQLite file
// must exist already; when a running server owns it, it is opened beside
// the server, without the lock and without a cache: SQLite orders the two
// processes' writes, and the server empties its cache within a second of
// a change made from outside (PRAGMA data_version). beside says so. A
// memory store is refused: it lives in the server's process, and a fresh
// empty one would report no sessions and end none.
func OpenForCommand(ctx context.Context, spec string) (st Store, beside bool, err error) {
	if spec == "memory" {
		return nil, false, errors.New("session: SESSION_STORE=memory keeps the sessions inside the server's process, where no command can reach them (fix: restart the server to end every session, or use a sqlite:, redis:// or postgres:// store)")
	}
	path, isSQLite := strings.CutPrefix(spec, "sqlite:")
	if !isSQLite || path == "" {
		st, err = Open(ctx, spec)
		return st, false, err
	}
	if _, err := os.Stat(path); err != nil {
		return nil, false, fmt.Errorf("session: SESSION_STORE=%s: %w (fix: run the command in the folder the server runs in, or give the file's full path)", spec, err)
	}
	st, err = openSQLite(ctx, path, 0, 0)
	if !errors.Is(err, ErrInUse) {
		return st, false, err
	}
	file, err := openSQLiteFile(ctx, path, 0)
	if err != nil {
		return nil, false, err
	}
	return &guarded{backend: file, kind: "sqlite", timeout: Timeout, settle: 2 * checkEvery}, true, nil
}

// backend is what each kind of store implements; guarded puts the bounds
// and the error marking around it.
type backend interface {
	scs.CtxStore
	commitExisting(ctx context.Context, token string, b []byte, expiry time.Time) (bool, error)
	// addEntry, listEntries, countSessions and sharedKey implement Indexer (index.go).
	addEntry(ctx context.Context, subject string, e Entry, until time.Time) error
	listEntries(ctx context.Context, subject string) ([]Entry, error)
	countSessions(ctx context.Context) (Counts, error)
	sharedKey(ctx context.Context, name string, fresh []byte) ([]byte, error)
	ping(ctx context.Context) error
	close() error
}

// guarded marks every store failure with ErrUnavailable so the web layer can
// tell an outage (503) from a bug (500), and bounds every call by the store
// timeout. It offers scs the context-aware methods, passing the request's
// context on, so a client that goes away stops its store calls too.
type guarded struct {
	backend
	kind    string
	timeout time.Duration
	// failed, when set, runs after a store call fails for any reason but
	// the caller giving up.
	failed func()
	// settle, when set, is how long a revocation waits before deleting the
	// same sessions again: a server that caches sessions and shares the
	// store notices outside deletions within that long, and a request it
	// had in flight may have written one back just before (see
	// OpenForCommand).
	settle    time.Duration
	closeOnce sync.Once
	closeErr  error
}

func (g *guarded) fail(op string, err error) error {
	if g.failed != nil && !errors.Is(err, context.Canceled) {
		g.failed()
	}
	return fmt.Errorf("%w: %s: %v", ErrUnavailable, op, err)
}

// bound gives a store call its deadline.
func (g *guarded) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, g.timeout)
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
	if mf, ok := g.backend.(memoryFinder); ok {
		if b, found := mf.findInMemory(token); found {
			return b, true, nil
		}
	}
	ctx, cancel := g.bound(ctx)
	defer cancel()
	b, ok, err := g.backend.FindCtx(ctx, token)
	if err != nil {
		return nil, false, g.fail("find", err)
	}
	return b, ok, nil
}

func (g *guarded) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	ctx, cancel := g.bound(ctx)
	defer cancel()
	if err := g.backend.CommitCtx(ctx, token, b, expiry); err != nil {
		return g.fail("commit", err)
	}
	return nil
}

func (g *guarded) CommitExisting(ctx context.Context, token string, b []byte, expiry time.Time) (bool, error) {
	ctx, cancel := g.bound(ctx)
	defer cancel()
	found, err := g.commitExisting(ctx, token, b, expiry)
	if err != nil {
		return false, g.fail("commit", err)
	}
	return found, nil
}

// DeleteCtx deletes a session and its index entry: every backend forgets
// both together.
func (g *guarded) DeleteCtx(ctx context.Context, token string) error {
	ctx, cancel := g.bound(ctx)
	defer cancel()
	if err := g.backend.DeleteCtx(ctx, token); err != nil {
		return g.fail("delete", err)
	}
	return nil
}

func (g *guarded) Ping(ctx context.Context) error {
	ctx, cancel := g.bound(ctx)
	defer cancel()
	if err := g.ping(ctx); err != nil {
		return g.fail("ping", err)
	}
	return nil
}

func (g *guarded) Index(ctx context.Context, subject string, e Entry, until time.Time) error {
	ctx, cancel := g.bound(ctx)
	defer cancel()
	if err := g.addEntry(ctx, subject, e, until); err != nil {
		return g.fail("index", err)
	}
	return nil
}

func (g *guarded) Sessions(ctx context.Context, subject string) ([]Entry, error) {
	ctx, cancel := g.bound(ctx)
	defer cancel()
	entries, err := g.listEntries(ctx, subject)
	if err != nil {
		return nil, g.fail("list sessions", err)
	}
	sortEntries(entries)
	return entries, nil
}

// Revoke deletes every live session of subject but keep ("" keeps none),
// and says how many it deleted. Each deletion has its own deadline: a
// person with many sessions is not cut short by the first ones.
func (g *guarded) Revoke(ctx context.Context, subject, keep string) (int, error) {
	entries, err := g.Sessions(ctx, subject)
	if err != nil {
		return 0, err
	}
	var ended []string
	for _, e := range entries {
		if e.Key == keep {
			continue
		}
		if err := g.DeleteCtx(ctx, e.Key); err != nil {
			return len(ended), err
		}
		ended = append(ended, e.Key)
	}
	if g.settle > 0 && len(ended) > 0 {
		select {
		case <-time.After(g.settle):
		case <-ctx.Done():
			return len(ended), ctx.Err()
		}
		for _, key := range ended {
			if err := g.DeleteCtx(ctx, key); err != nil {
				return len(ended), err
			}
		}
	}
	return len(ended), nil
}

// Count may read every session (Redis scans its keys), so it is bounded by
// the caller's context alone: it serves an operator's command, not a page.
func (g *guarded) Count(ctx context.Context) (Counts, error) {
	c, err := g.countSessions(ctx)
	if err != nil {
		return Counts{}, g.fail("count", err)
	}
	return c, nil
}

func (g *guarded) SharedKey(ctx context.Context, name string) ([]byte, error) {
	ctx, cancel := g.bound(ctx)
	defer cancel()
	fresh := make([]byte, sharedKeyBytes)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("session: make key %s: %w", name, err)
	}
	key, err := g.sharedKey(ctx, name, fresh)
	if err != nil {
		return nil, g.fail("key "+name, err)
	}
	return key, nil
}

// Close is safe to call more than once; the store closes once.
func (g *guarded) Close() error {
	g.closeOnce.Do(func() { g.closeErr = g.close() })
	return g.closeErr
}
func (g *guarded) Kind() string { return g.kind }

// sweepEvery runs sweep at each tick of every until stop closes, then
// closes done: the background sweeper of the memory and PostgreSQL stores,
// whose close waits on done.
func sweepEvery(every time.Duration, stop <-chan struct{}, done chan<- struct{}, sweep func()) {
	defer close(done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			sweep()
		}
	}
}
