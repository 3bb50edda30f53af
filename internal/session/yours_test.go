package session

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sgidweb/sgidweb/internal/session/store"
)

const (
	phoneUA  = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
	laptopUA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)

// browserRequest runs fn in the middleware for one request from a browser
// with this User-Agent and cookie, and returns the cookie it holds after.
func browserRequest(t *testing.T, m *Manager, ua, cookie string, fn func(ctx context.Context)) string {
	t.Helper()
	e := echo.New()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("User-Agent", ua)
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: m.CookieName(), Value: cookie})
	}
	rec := httptest.NewRecorder()
	h := m.Middleware()(func(c echo.Context) error {
		fn(c.Request().Context())
		if err := m.Save(c); err != nil {
			return err
		}
		return c.NoContent(http.StatusOK)
	})
	if err := h(e.NewContext(req, rec)); err != nil {
		t.Fatalf("request: %v", err)
	}
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == m.CookieName() {
			return ck.Value
		}
	}
	return cookie
}

func loginAs(t *testing.T, m *Manager, ua, sub string) string {
	t.Helper()
	return browserRequest(t, m, ua, "", func(ctx context.Context) {
		if err := m.Login(ctx, User{Subject: sub}); err != nil {
			t.Fatal(err)
		}
	})
}

func loggedIn(t *testing.T, m *Manager, cookie string) bool {
	t.Helper()
	var ok bool
	browserRequest(t, m, laptopUA, cookie, func(ctx context.Context) { _, ok = m.CurrentUser(ctx) })
	return ok
}

func sessionsSeenBy(t *testing.T, m *Manager, ua, cookie string) []SessionInfo {
	t.Helper()
	var list []SessionInfo
	browserRequest(t, m, ua, cookie, func(ctx context.Context) {
		var err error
		if list, err = m.Sessions(ctx); err != nil {
			t.Fatal(err)
		}
	})
	return list
}

func newIndexedManager(t *testing.T, now *time.Time) (*Manager, store.Store) {
	t.Helper()
	st, err := store.Open(context.Background(), "memory")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	m := New(Options{Store: st, IdleTimeout: 30 * time.Minute, Lifetime: 12 * time.Hour, Now: func() time.Time { return *now },
		SubjectHash: func(sub string) string { return "hash-of-" + sub }})
	return m, st
}

func TestPersonSeesAndEndsTheirSessions(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	m, st := newIndexedManager(t, &now)
	phone := loginAs(t, m, phoneUA, "alice")
	now = now.Add(time.Minute)
	laptop := loginAs(t, m, laptopUA, "alice")
	other := loginAs(t, m, laptopUA, "bob")

	// The index is keyed by the subject hash, as the operator's command
	// finds it.
	if entries, err := st.Sessions(context.Background(), "hash-of-alice"); err != nil || len(entries) != 2 {
		t.Fatalf("alice's entries under her subject hash: want 2, got %v %v", entries, err)
	}
	list := sessionsSeenBy(t, m, laptopUA, laptop)
	if len(list) != 2 || list[0].Browser != "Safari on iPhone" || list[1].Browser != "Chrome on Windows" ||
		list[0].Current || !list[1].Current || !list[1].Started.Equal(now) {
		t.Fatalf("from the laptop: want the phone then this laptop (current), got %+v", list)
	}
	for _, s := range list {
		if s.ID == "" || s.ID == phone || s.ID == laptop || s.ID == storeKey(phone) || s.ID == storeKey(laptop) {
			t.Fatalf("a session's ID must name it without being its cookie or its store key: %q", s.ID)
		}
	}

	// Ending this browser's own session from the list is refused (that
	// is logging out), and so is an ID that is not one of hers.
	var ended bool
	browserRequest(t, m, laptopUA, laptop, func(ctx context.Context) {
		for _, id := range []string{list[1].ID, "not-an-id"} {
			if ok, err := m.EndSession(ctx, id); err != nil || ok {
				t.Fatalf("EndSession(%q): want not ended, got %v %v", id, ok, err)
			}
		}
		var err error
		if ended, err = m.EndSession(ctx, list[0].ID); err != nil {
			t.Fatal(err)
		}
	})
	if !ended || loggedIn(t, m, phone) {
		t.Fatal("the phone's session was not ended")
	}
	if !loggedIn(t, m, laptop) || !loggedIn(t, m, other) {
		t.Fatal("ending the phone's session ended another")
	}

	// End all others.
	phone = loginAs(t, m, phoneUA, "alice")
	tablet := loginAs(t, m, phoneUA, "alice")
	var n int
	browserRequest(t, m, laptopUA, laptop, func(ctx context.Context) {
		var err error
		if n, err = m.EndOtherSessions(ctx); err != nil {
			t.Fatal(err)
		}
	})
	if n != 2 || loggedIn(t, m, phone) || loggedIn(t, m, tablet) || !loggedIn(t, m, laptop) || !loggedIn(t, m, other) {
		t.Fatalf("end all others: want the phone and tablet ended (2), this laptop and bob kept; ended %d", n)
	}
	if list := sessionsSeenBy(t, m, laptopUA, laptop); len(list) != 1 || !list[0].Current {
		t.Fatalf("after ending all others: want only this one, got %+v", list)
	}
}

func TestLastSeenMovesEveryFewMinutesOnly(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	start := now
	m, _ := newIndexedManager(t, &now)
	laptop := loginAs(t, m, laptopUA, "alice")
	// Activity is recorded every minute, the index entry every indexEvery.
	now = now.Add(2 * time.Minute)
	sessionsSeenBy(t, m, laptopUA, laptop) // this request records activity
	if list := sessionsSeenBy(t, m, laptopUA, laptop); len(list) != 1 || !list[0].LastSeen.Equal(start) {
		t.Fatalf("two minutes on: want last seen still at the login, got %+v", list)
	}
	now = now.Add(indexEvery)
	sessionsSeenBy(t, m, laptopUA, laptop) // this request's commit moves it
	if list := sessionsSeenBy(t, m, laptopUA, laptop); len(list) != 1 || !list[0].LastSeen.Equal(now) {
		t.Fatalf("after %v: want last seen moved to now, got %+v", indexEvery, list)
	}
}

func TestIndexEntryEndsWithItsSession(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		end  func(m *Manager, now *time.Time, cookie string) string
	}{
		{"logout", func(m *Manager, _ *time.Time, cookie string) string {
			return browserRequest(t, m, laptopUA, cookie, func(ctx context.Context) {
				if err := m.Logout(ctx); err != nil {
					t.Fatal(err)
				}
			})
		}},
		{"token renewal", func(m *Manager, _ *time.Time, cookie string) string {
			// Logging in again in the same browser renews the token: the
			// old session's entry goes, the new one's comes.
			return browserRequest(t, m, laptopUA, cookie, func(ctx context.Context) {
				if err := m.Login(ctx, User{Subject: "alice"}); err != nil {
					t.Fatal(err)
				}
			})
		}},
		{"idle timeout", func(m *Manager, now *time.Time, cookie string) string {
			*now = now.Add(31 * time.Minute)
			return browserRequest(t, m, laptopUA, cookie, func(context.Context) {})
		}},
		{"lifetime", func(m *Manager, now *time.Time, cookie string) string {
			for range 26 { // active every 29 minutes, for 12h34m
				*now = now.Add(29 * time.Minute)
				cookie = browserRequest(t, m, laptopUA, cookie, func(context.Context) {})
			}
			return cookie
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := time.Now()
			m, st := newIndexedManager(t, &now)
			cookie := loginAs(t, m, laptopUA, "alice")
			old := storeKey(cookie)
			cookie = tc.end(m, &now, cookie)
			entries, err := st.Sessions(ctx, "hash-of-alice")
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				if e.Key == old {
					t.Fatalf("the ended session is still indexed: %+v", entries)
				}
			}
			// The store forgot the entry itself, not just hid it: the old
			// key stored again (as a request in flight might) is not listed.
			if err := st.Commit(old, []byte("x"), now.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			entries, _ = st.Sessions(ctx, "hash-of-alice")
			for _, e := range entries {
				if e.Key == old {
					t.Fatal("the ended session's entry was hidden, not deleted")
				}
			}
			if tc.name == "token renewal" && (len(entries) != 1 || entries[0].Key != storeKey(cookie)) {
				t.Fatalf("after a new login: want the new token indexed, got %+v", entries)
			}
		})
	}
}

// failingIndex refuses index writes, as a store in an outage would.
type failingIndex struct{ store.Store }

func (failingIndex) Index(context.Context, string, store.Entry, time.Time) error {
	return errors.Join(store.ErrUnavailable, errors.New("index down"))
}

// A login whose index entry cannot be written is not kept: a logged-in
// session missing from the index could not be listed or revoked.
func TestLoginIsNotKeptWithoutItsIndexEntry(t *testing.T) {
	now := time.Now()
	inner, err := store.Open(context.Background(), "memory")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inner.Close() })
	m := New(Options{Store: failingIndex{inner}, IdleTimeout: 30 * time.Minute, Lifetime: 12 * time.Hour, Now: func() time.Time { return now }})
	e := echo.New()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	rec := httptest.NewRecorder()
	c := e.NewContext(req, rec)
	var saveErr error
	h := m.Middleware()(func(c echo.Context) error {
		if err := m.Login(c.Request().Context(), User{Subject: "alice"}); err != nil {
			return err
		}
		saveErr = m.Save(c)
		return nil
	})
	if err := h(c); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(saveErr, store.ErrUnavailable) {
		t.Fatalf("saving a login whose index write failed: want ErrUnavailable, got %v", saveErr)
	}
	if counts, _ := inner.Count(context.Background()); counts.Sessions != 0 {
		t.Fatalf("want no session stored, got %+v", counts)
	}
}

// A person who is logged in and starts another login that waits at the
// posting picker gets a new token (HoldLogin renews it) while still logged
// in: the session under the new token must be indexed at once, or "end all
// others" and the operator's revoke would miss it until its next index
// write.
func TestHeldLoginKeepsTheLoggedInSessionIndexed(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	m, st := newIndexedManager(t, &now)
	laptop := loginAs(t, m, laptopUA, "alice")
	laptop = browserRequest(t, m, laptopUA, laptop, func(ctx context.Context) {
		if err := m.HoldLogin(ctx, heldLogin(now)); err != nil {
			t.Fatal(err)
		}
	})
	entries, err := st.Sessions(context.Background(), "hash-of-alice")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Key != storeKey(laptop) {
		t.Fatalf("after a held login in a logged-in browser: want its new token indexed, got %+v", entries)
	}
	phone := loginAs(t, m, phoneUA, "alice")
	browserRequest(t, m, phoneUA, phone, func(ctx context.Context) {
		if n, err := m.EndOtherSessions(ctx); err != nil || n != 1 {
			t.Fatalf("end all others from the phone: want 1 ended, got %d %v", n, err)
		}
	})
	if loggedIn(t, m, laptop) {
		t.Fatal("the laptop waiting at the picker stayed logged in after end all others")
	}
}
