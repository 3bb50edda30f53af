// Package session keeps each browser's server-side state: the person who is
// logged in and the login flows in progress. It wraps scs with
// an Echo middleware that loads the session before a handler runs and commits
// it before the response's headers are written, so error pages keep the
// cookie too. The stores themselves are in package store.
package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/labstack/echo/v4"

	"github.com/sgidweb/sgidweb/internal/session/store"
)

// Keys inside a session. Values are strings, bytes, int64 or bools: the only
// types the session codec (store/codec.go) stores; the User is encoded
// to bytes by user.go.
const (
	keyUser    = "user"
	keyFlows   = "login_flows"
	keySeenAt  = "seen_at"
	keyFlash   = "flash"
	keyStarted = "logged_in_at"
)

// ErrUnavailable wraps every failure of the session store, so that the web
// layer answers 503 rather than 500 and /readyz can report it. It is the
// stores' own error, named here too because the manager's calls fail with
// it as well.
var ErrUnavailable = store.ErrUnavailable

// Options configure a Manager.
type Options struct {
	Store       store.Store
	Secure      bool          // https: Secure cookie with the __Host- prefix
	IdleTimeout time.Duration // a session unused this long is over
	Lifetime    time.Duration // a login lasts at most this long, however active
	Now         func() time.Time
	// OnExpiry, when set, is called when a logged-in session ends on the
	// server without a logout, with the cause: ExpiredIdle or
	// ExpiredLifetime (for metrics).
	OnExpiry func(cause string)
	// Logger gets the one failure no handler sees: a commit failing as the
	// response goes out. nil: discarded.
	Logger *slog.Logger
	// SubjectHash names a person in the store's index of logged-in
	// sessions: the keyed hash audit lines carry, so that an operator can
	// end the sessions of the person a line names. It must be the same on
	// every instance sharing the store. nil: a key of this manager alone.
	SubjectHash func(subject string) string
}

// Causes passed to OnExpiry.
const (
	ExpiredIdle     = "idle_timeout" // unused for the idle timeout
	ExpiredLifetime = "lifetime"     // logged in for longer than the lifetime
)

// Manager is the application's view of sessions.
type Manager struct {
	scs         *scs.SessionManager
	store       store.Store
	idleTimeout time.Duration
	lifetime    time.Duration
	now         func() time.Time
	onExpiry    func(cause string)
	log         *slog.Logger
	subjectHash func(subject string) string
}

// CookieName is the session cookie's name for plain http; under https the
// __Host- prefix binds it to this exact origin (no Domain, Path=/, Secure).
const CookieName = "sgidweb_session"

// New builds a Manager over an opened store.
func New(opts Options) *Manager {
	sm := scs.New()
	sm.Store = opts.Store
	sm.Lifetime = opts.Lifetime
	sm.HashTokenInStore = true // a leaked store dump does not hand out live cookies
	sm.Codec = store.Codec{}
	sm.Cookie.Name = CookieName
	if opts.Secure {
		sm.Cookie.Name = "__Host-" + CookieName
	}
	sm.Cookie.HttpOnly = true
	sm.Cookie.Path = "/"
	// Lax, not Strict: sgID's redirect back to the callback is a cross-site
	// top-level navigation and must carry the cookie.
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = opts.Secure
	sm.Cookie.Persist = false
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	onExpiry := opts.OnExpiry
	if onExpiry == nil {
		onExpiry = func(string) {}
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	subjectHash := opts.SubjectHash
	if subjectHash == nil {
		subjectHash = randomSubjectHash()
	}
	return &Manager{scs: sm, store: opts.Store, idleTimeout: opts.IdleTimeout, lifetime: opts.Lifetime, now: now,
		onExpiry: onExpiry, log: log, subjectHash: subjectHash}
}

// CookieName returns the name of the session cookie in use.
func (m *Manager) CookieName() string { return m.scs.Cookie.Name }

// Middleware loads the session for each request and arranges for it to be
// committed just before the response headers go out.
func (m *Manager) Middleware() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			res := c.Response()
			res.Header().Add("Vary", "Cookie")

			var token string
			if cookie, err := req.Cookie(m.scs.Cookie.Name); err == nil {
				token = cookie.Value
			}
			ctx, err := m.scs.Load(req.Context(), token)
			if err != nil {
				// A store that does not answer is an outage; a record that
				// does not decode is treated as no session at all.
				if errors.Is(err, ErrUnavailable) {
					return err
				}
				if ctx, err = m.scs.Load(req.Context(), ""); err != nil {
					return err
				}
			}
			c.SetRequest(req.WithContext(ctx))
			// The token the record was found under ("" for a new session),
			// so that Save writes it back only if it has not ended since.
			c.Set(loadedTokenKey, m.scs.Token(ctx))
			if err := m.expire(ctx); err != nil {
				return err
			}
			res.Before(func() {
				// Rendered pages and handlers that change state have saved
				// already and answered for any failure; this commits what
				// is left (a redirect, an unchanged page's seen_at). The
				// headers are going out, so a failure can only be logged.
				if m.SaveFailed(c) {
					return
				}
				if err := m.Save(c); err != nil {
					m.log.ErrorContext(c.Request().Context(), "session commit failed", "error", err.Error())
				}
			})
			return next(c)
		}
	}
}

// Keys in the Echo context.
const (
	loadedTokenKey = "session_loaded_token"
	savedKey       = "session_saved"
	saveFailedKey  = "session_save_failed"
)

// Save commits the session now and writes its cookie. Handlers that change
// state call it before answering, and render calls it before writing a
// page, so that a store failure becomes a clear error page; the response
// hook calls it for everything else. It is safe to call more than once. A
// failed save is never retried within the request: the retry could log
// someone in while the page says it failed. Later calls return the first
// error.
func (m *Manager) Save(c echo.Context) error {
	if _, loaded := c.Get(loadedTokenKey).(string); !loaded {
		return nil // the session was never loaded (a store outage, or a route without sessions)
	}
	if err, failed := c.Get(saveFailedKey).(error); failed {
		return err
	}
	if c.Get(savedKey) != nil {
		return nil
	}
	if err := m.commit(c); err != nil {
		c.Set(saveFailedKey, err)
		return err
	}
	c.Set(savedKey, true)
	return nil
}

// SaveFailed reports whether a save has failed in this request (the error
// was returned then, so it need not be reported again).
func (m *Manager) SaveFailed(c echo.Context) bool {
	_, failed := c.Get(saveFailedKey).(error)
	return failed
}

func (m *Manager) commit(c echo.Context) error {
	ctx := c.Request().Context()
	switch m.scs.Status(ctx) {
	case scs.Modified:
		if err := m.index(c); err != nil {
			return err
		}
		m.scs.SetDeadline(ctx, m.storeDeadline(ctx))
		if m.loadedUnrenewed(c) {
			return m.commitExisting(c)
		}
		token, expiry, err := m.scs.Commit(ctx)
		if err != nil {
			return err
		}
		m.writeCookie(c, token, expiry)
	case scs.Destroyed:
		m.writeCookie(c, "", time.Time{})
	}
	return nil
}

// loadedUnrenewed reports whether the session is the record this request
// loaded, under the same token: not a new session, nor one whose token a
// login has just renewed (those are new records, written by scs's upsert).
func (m *Manager) loadedUnrenewed(c echo.Context) bool {
	loaded, _ := c.Get(loadedTokenKey).(string)
	return loaded != "" && m.scs.Token(c.Request().Context()) == loaded
}

// commitExisting commits a session this request loaded only if the store
// still holds it. It may have ended since (a logout in another request;
// the sessions page's End or sgidweb sessions revoke, on any instance):
// scs's upsert would bring it back, logged in, and a lookup before the
// commit would leave a window between the two. The store's conditional
// write has none. An ended session's changes are dropped and no cookie is
// written: the old one already finds nothing, and clearing it could
// clear a newer one the browser got meanwhile (a login in another tab).
func (m *Manager) commitExisting(c echo.Context) error {
	ctx := c.Request().Context()
	token := m.scs.Token(ctx)
	values := make(map[string]any)
	for _, key := range m.scs.Keys(ctx) {
		values[key] = m.scs.Get(ctx, key)
	}
	expiry := m.scs.Deadline(ctx)
	b, err := m.scs.Codec.Encode(expiry, values)
	if err != nil {
		return err
	}
	key := storeKey(token) // scs's key for the token (HashTokenInStore)
	found, err := m.store.CommitExisting(ctx, key, b, expiry)
	if err != nil {
		return err
	}
	if found {
		m.writeCookie(c, token, expiry)
		return nil
	}
	// An index entry written again just before (index) is harmless: every
	// store lists only entries whose session it holds, and forgets the
	// entry in time.
	m.log.InfoContext(ctx, "session ended by another request; this request's changes are dropped")
	return nil
}

func (m *Manager) writeCookie(c echo.Context, token string, expiry time.Time) {
	w := &headerOnlyWriter{h: c.Response().Header()}
	m.scs.WriteSessionCookie(c.Request().Context(), w, token, expiry)
}

// headerOnlyWriter lets scs write its cookie into Echo's response headers
// without touching the response itself.
type headerOnlyWriter struct{ h http.Header }

func (w *headerOnlyWriter) Header() http.Header         { return w.h }
func (w *headerOnlyWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *headerOnlyWriter) WriteHeader(int)             {}

// expire ends a session that has not been used for the idle timeout or has
// outlived its absolute lifetime, and records activity at most once a
// minute, so a page view costs no store write in the common case. Both are
// checked here, not only by the store's own expiry, so that they hold on
// every store and with the manager's clock.
func (m *Manager) expire(ctx context.Context) error {
	if !m.scs.Exists(ctx, keySeenAt) {
		return nil
	}
	now := m.now()
	seen := time.Unix(m.scs.GetInt64(ctx, keySeenAt), 0)
	idleEnd, lifetimeEnd := m.ends(ctx, seen)
	cause := ""
	if !idleEnd.IsZero() && now.After(idleEnd) {
		cause = ExpiredIdle
	}
	if !lifetimeEnd.IsZero() && now.After(lifetimeEnd) && (cause == "" || lifetimeEnd.Before(idleEnd)) {
		cause = ExpiredLifetime
	}
	if cause != "" {
		loggedIn := m.scs.Exists(ctx, keyUser)
		if err := m.scs.Destroy(ctx); err != nil {
			return fmt.Errorf("%w: destroy expired: %v", ErrUnavailable, err)
		}
		if loggedIn {
			m.onExpiry(cause)
		}
		return nil
	}
	m.forgetExpiredHeldLogin(ctx)
	if now.Sub(seen) > time.Minute {
		m.touch(ctx)
	}
	return nil
}

// ends is when this session ends if nothing more happens: idleEnd after
// the last recorded activity (seen), lifetimeEnd after the login (zero for
// an anonymous session, which has no lifetime of its own).
func (m *Manager) ends(ctx context.Context, seen time.Time) (idleEnd, lifetimeEnd time.Time) {
	if m.idleTimeout > 0 {
		idleEnd = seen.Add(m.idleTimeout)
	}
	if m.lifetime > 0 && m.scs.Exists(ctx, keyUser) {
		// A login without a start time (none is written without one) counts
		// from 1970, so it is over: the check fails closed.
		lifetimeEnd = time.Unix(m.scs.GetInt64(ctx, keyStarted), 0).Add(m.lifetime)
	}
	return idleEnd, lifetimeEnd
}

// storeDeadline is the expiry given to the store with each commit: the
// session's end if nothing more happens. The store thus forgets an
// anonymous session (a login in progress) after the idle timeout rather than
// the lifetime, and a logged-in one that stops being used. Activity moves
// it on only when seen_at is rewritten, at most once a minute, which is
// why page views need no store write.
//
// A login held for a posting choice (pending.go) holds decrypted data: an
// anonymous session that holds one is forgotten when the choice expires.
// A logged-in session keeps its own deadline (logging in again must not
// log the person out if they walk away from the picker); its expired
// choice is dropped by the next request instead (expire).
func (m *Manager) storeDeadline(ctx context.Context) time.Time {
	deadline := m.sessionDeadline(ctx)
	if pending := m.pendingEnd(ctx); !pending.IsZero() && !m.scs.Exists(ctx, keyUser) && pending.Before(deadline) {
		return pending
	}
	return deadline
}

func (m *Manager) sessionDeadline(ctx context.Context) time.Time {
	idleEnd, lifetimeEnd := m.ends(ctx, m.seenAt(ctx))
	switch {
	case idleEnd.IsZero() && lifetimeEnd.IsZero():
		return m.scs.Deadline(ctx)
	case idleEnd.IsZero():
		return lifetimeEnd
	case lifetimeEnd.IsZero() || idleEnd.Before(lifetimeEnd):
		return idleEnd
	}
	return lifetimeEnd
}

// seenAt is the last recorded activity; a session that has none is being
// used now.
func (m *Manager) seenAt(ctx context.Context) time.Time {
	if !m.scs.Exists(ctx, keySeenAt) {
		return m.now()
	}
	return time.Unix(m.scs.GetInt64(ctx, keySeenAt), 0)
}

func (m *Manager) touch(ctx context.Context) {
	m.scs.Put(ctx, keySeenAt, m.now().Unix())
}

// CurrentUser returns the logged-in person, if any.
func (m *Manager) CurrentUser(ctx context.Context) (User, bool) {
	b := m.scs.GetBytes(ctx, keyUser)
	if b == nil {
		return User{}, false
	}
	return decodeUser(b)
}

// Login records the person and gives the browser a new session token, so a
// token planted before login (session fixation) is worthless afterwards. The
// absolute lifetime starts now.
func (m *Manager) Login(ctx context.Context, u User) error {
	b := encodeUser(u)
	if err := m.renewToken(ctx); err != nil {
		return err
	}
	m.scs.Put(ctx, keyStarted, m.now().Unix())
	m.scs.Put(ctx, keyUser, b)
	m.scs.Remove(ctx, keyPending)
	m.touch(ctx)
	return nil
}

// renewToken gives the session a new token. The store deletes the old one
// with its index entry, so a logged-in session must be indexed again under
// the new token when it is committed: otherwise it could be neither listed
// nor revoked until its next index write.
func (m *Manager) renewToken(ctx context.Context) error {
	if err := m.scs.RenewToken(ctx); err != nil {
		return fmt.Errorf("%w: renew token: %v", ErrUnavailable, err)
	}
	m.scs.Remove(ctx, keyIndexedAt)
	return nil
}

// Logout destroys the session in the store; the next write starts a fresh
// one under a new token.
func (m *Manager) Logout(ctx context.Context) error {
	if err := m.scs.Destroy(ctx); err != nil {
		return fmt.Errorf("%w: destroy: %v", ErrUnavailable, err)
	}
	return nil
}

// SetFlash leaves a one-time message for the next page.
func (m *Manager) SetFlash(ctx context.Context, kind, message string) {
	m.scs.Put(ctx, keyFlash, kind+"\x00"+message)
	m.touch(ctx)
}

// PopFlash takes the pending message, if any.
func (m *Manager) PopFlash(ctx context.Context) (kind, message string, ok bool) {
	v := m.scs.PopString(ctx, keyFlash)
	if v == "" {
		return "", "", false
	}
	for i := 0; i < len(v); i++ {
		if v[i] == 0 {
			return v[:i], v[i+1:], true
		}
	}
	return "info", v, true
}
