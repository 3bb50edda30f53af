package session

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/labstack/echo/v4"

	"github.com/sgidweb/sgidweb/internal/session/store"
)

// A logged-in session is in the store's index under the person's subject
// hash (see store.Indexer), so they can see and end their sessions, and an
// operator can end all of one person's.
const (
	// keyIndexedAt is when this session's index entry was last written.
	keyIndexedAt = "indexed_at"
	// indexEvery is how often the entry's last seen moves: only with a
	// commit that happens anyway (activity is recorded once a minute), and
	// no more often than this, so page views stay free of store writes.
	indexEvery = 5 * time.Minute
)

// SessionInfo is one of a person's sessions as their list shows it.
type SessionInfo struct {
	// ID names the session on the page and in the form that ends it: a
	// hash of its store key, which is itself a hash of the cookie, so it
	// cannot be turned into either.
	ID       string
	Started  time.Time
	LastSeen time.Time
	Browser  string
	Current  bool // the session of the browser asking
}

// storeKey is the key scs stores a session under (HashTokenInStore).
func storeKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func sessionID(key string) string {
	sum := sha256.Sum256([]byte("sgidweb session id\x00" + key))
	return hex.EncodeToString(sum[:16])
}

// randomSubjectHash is the subject hash when none is configured: a keyed
// hash under a key of this manager alone.
func randomSubjectHash() func(string) string {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		panic("session: crypto/rand failed: " + err.Error())
	}
	return func(sub string) string {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(sub))
		return hex.EncodeToString(m.Sum(nil))
	}
}

// index writes the index entry of a logged-in session about to be
// committed: always when the session is new to the index (a login), and
// then at most every indexEvery to move last seen. The entry is written
// before the session, so a session the store keeps is always in the index;
// if that first write fails, so does the commit, and nobody is logged in
// unseen. A later write that fails costs only an older last seen.
func (m *Manager) index(c echo.Context) error {
	ctx := c.Request().Context()
	user, ok := m.CurrentUser(ctx)
	if !ok {
		return nil
	}
	now := m.now()
	first := !m.scs.Exists(ctx, keyIndexedAt)
	if !first && now.Sub(time.Unix(m.scs.GetInt64(ctx, keyIndexedAt), 0)) < indexEvery {
		return nil
	}
	token := m.scs.Token(ctx)
	if token == "" {
		// Login renews the token, so a logged-in session always has one.
		return fmt.Errorf("%w: a logged-in session without a token", ErrUnavailable)
	}
	until := m.indexUntil(ctx)
	entry := store.Entry{
		Key:      storeKey(token),
		Started:  time.Unix(m.scs.GetInt64(ctx, keyStarted), 0),
		LastSeen: now,
		Browser:  BrowserName(c.Request().UserAgent()),
	}
	if err := m.store.Index(ctx, m.subjectHash(user.Subject), entry, until); err != nil {
		if first {
			return err
		}
		m.log.WarnContext(ctx, "session index not updated; last seen stays older", "error", err.Error())
		return nil
	}
	m.scs.Put(ctx, keyIndexedAt, now.Unix())
	return nil
}

// indexUntil is the latest the session can end: its lifetime's end. With
// no lifetime (never in production), the entry is renewed with every
// index write, so it outlasts the idle end by the time to the next one.
func (m *Manager) indexUntil(ctx context.Context) time.Time {
	if _, lifetimeEnd := m.ends(ctx, m.seenAt(ctx)); !lifetimeEnd.IsZero() {
		return lifetimeEnd
	}
	return m.storeDeadline(ctx).Add(indexEvery)
}

// errNotLoggedIn answers a request about one's sessions from someone who
// is not logged in; the web layer sends them home before asking.
var errNotLoggedIn = errors.New("session: not logged in")

// ownEntries are the index entries of the logged-in person's sessions, and
// the store key of this browser's.
func (m *Manager) ownEntries(ctx context.Context) (entries []store.Entry, current string, err error) {
	user, ok := m.CurrentUser(ctx)
	if !ok {
		return nil, "", errNotLoggedIn
	}
	if entries, err = m.store.Sessions(ctx, m.subjectHash(user.Subject)); err != nil {
		return nil, "", err
	}
	return entries, storeKey(m.scs.Token(ctx)), nil
}

// Sessions lists the logged-in person's live sessions, earliest first,
// marking the one of this browser.
func (m *Manager) Sessions(ctx context.Context) ([]SessionInfo, error) {
	entries, current, err := m.ownEntries(ctx)
	if err != nil {
		return nil, err
	}
	list := make([]SessionInfo, 0, len(entries))
	for _, e := range entries {
		list = append(list, SessionInfo{ID: sessionID(e.Key), Started: e.Started, LastSeen: e.LastSeen, Browser: e.Browser, Current: e.Key == current})
	}
	return list, nil
}

// EndSession ends one of the person's other sessions, named by its ID:
// deleted from the store, that browser is logged out on its next request,
// on any instance. ended is false when no such session of theirs is live
// (it ended already, or the ID is not theirs) or it is this browser's own,
// which ends by logging out.
func (m *Manager) EndSession(ctx context.Context, id string) (ended bool, err error) {
	entries, current, err := m.ownEntries(ctx)
	if err != nil {
		return false, err
	}
	for _, e := range entries {
		if e.Key == current || !hmac.Equal([]byte(sessionID(e.Key)), []byte(id)) {
			continue
		}
		if err := m.deleteKey(ctx, e.Key); err != nil {
			return false, err
		}
		return true, nil
	}
	return false, nil
}

func (m *Manager) deleteKey(ctx context.Context, key string) error {
	if cs, ok := m.store.(scs.CtxStore); ok {
		return cs.DeleteCtx(ctx, key)
	}
	return m.store.Delete(key)
}

// EndOtherSessions ends every session of the person but this browser's
// and says how many it ended.
func (m *Manager) EndOtherSessions(ctx context.Context) (int, error) {
	user, ok := m.CurrentUser(ctx)
	if !ok {
		return 0, errNotLoggedIn
	}
	return m.store.Revoke(ctx, m.subjectHash(user.Subject), storeKey(m.scs.Token(ctx)))
}
