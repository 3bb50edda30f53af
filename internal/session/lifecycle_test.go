package session

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sgidweb/sgidweb/internal/session/store"
)

// recordingStore remembers the expiry of every commit and can refuse the
// next few commits, as a store in an outage would.
type recordingStore struct {
	store.Store
	mu       sync.Mutex
	expiries []time.Time
	attempts int
	failNext int
}

func newRecordingStore(t *testing.T) *recordingStore {
	t.Helper()
	st, err := store.Open(context.Background(), "memory")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &recordingStore{Store: st}
}

func (s *recordingStore) Commit(token string, b []byte, expiry time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attempts++
	if s.failNext > 0 {
		s.failNext--
		return errors.New("store down")
	}
	s.expiries = append(s.expiries, expiry)
	return s.Store.Commit(token, b, expiry)
}

// CommitExisting is Commit for a session the request loaded.
func (s *recordingStore) CommitExisting(ctx context.Context, token string, b []byte, expiry time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attempts++
	if s.failNext > 0 {
		s.failNext--
		return false, errors.New("store down")
	}
	s.expiries = append(s.expiries, expiry)
	return s.Store.CommitExisting(ctx, token, b, expiry)
}

func (s *recordingStore) commits() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.expiries...)
}

// serve runs one request through Echo (so its error handler and the
// response hook run as in the server) and returns the response.
func serve(t *testing.T, m *Manager, cookie string, h echo.HandlerFunc) *http.Response {
	t.Helper()
	e := echo.New()
	e.Use(m.Middleware())
	e.GET("/", h)
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: m.CookieName(), Value: cookie})
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec.Result()
}

func sessionCookieOf(m *Manager, res *http.Response) (string, bool) {
	for _, ck := range res.Cookies() {
		if ck.Name == m.CookieName() {
			return ck.Value, true
		}
	}
	return "", false
}

// An anonymous session (a login started and not finished) must not keep a
// record for the whole login lifetime: a client that presses the button
// again and again would grow the store by one record each for 12 hours.
func TestAnonymousSessionIsStoredForTheIdleTimeoutOnly(t *testing.T) {
	now := time.Now()
	st := newRecordingStore(t)
	m := New(Options{Store: st, IdleTimeout: 30 * time.Minute, Lifetime: 12 * time.Hour, Now: func() time.Time { return now }})
	request(t, m, "", func(ctx context.Context) { m.AddFlow(ctx, Flow{State: "state-1", Started: now}) })
	got := st.commits()
	if len(got) != 1 {
		t.Fatalf("want one commit, got %d", len(got))
	}
	if limit := now.Add(30 * time.Minute); got[0].After(limit) {
		t.Fatalf("anonymous session stored until %v; want at most the idle timeout (%v)", got[0], limit)
	}
}

// A logged-in session's store expiry follows its use without a write per
// page view: seen_at is rewritten at most once a minute, and that commit
// moves the expiry to the idle timeout from now, never past the lifetime.
func TestLoggedInStoreExpiryFollowsUseAndLifetime(t *testing.T) {
	start := time.Now().Truncate(time.Second)
	now := start
	st := newRecordingStore(t)
	m := New(Options{Store: st, IdleTimeout: 30 * time.Minute, Lifetime: time.Hour, Now: func() time.Time { return now }})
	cookie := request(t, m, "", func(ctx context.Context) {
		if err := m.Login(ctx, User{Subject: "sub-1"}); err != nil {
			t.Fatal(err)
		}
	})
	want := []time.Time{start.Add(30 * time.Minute)}
	now = start.Add(30 * time.Second)
	request(t, m, cookie, func(context.Context) {}) // within the minute: no write
	now = start.Add(2 * time.Minute)
	request(t, m, cookie, func(context.Context) {})
	want = append(want, now.Add(30*time.Minute))
	now = start.Add(25 * time.Minute)
	request(t, m, cookie, func(context.Context) {})
	want = append(want, now.Add(30*time.Minute))
	now = start.Add(45 * time.Minute)
	request(t, m, cookie, func(context.Context) {})
	want = append(want, start.Add(time.Hour)) // the lifetime ends before the idle timeout would
	got := st.commits()
	if len(got) != len(want) {
		t.Fatalf("want %d commits (login, then one per minute of use at most), got %d: %v", len(want), len(got), got)
	}
	for i := range want {
		if !got[i].Equal(want[i]) {
			t.Errorf("commit %d: want store expiry %v, got %v", i, want[i], got[i])
		}
	}
}

// TestLogoutIsNotUndoneByARequestInFlight loads the same session in two
// requests, logs out in one, then lets the other change the session and
// save: the logged-out session must not come back under the old token.
func TestLogoutIsNotUndoneByARequestInFlight(t *testing.T) {
	now := time.Now()
	m := newManager(t, &now)
	cookie := request(t, m, "", func(ctx context.Context) {
		if err := m.Login(ctx, User{Subject: "sub-1"}); err != nil {
			t.Fatal(err)
		}
	})
	loaded := make(chan struct{})
	resume := make(chan struct{})
	done := make(chan *http.Response)
	go func() {
		done <- serveNoFatal(m, cookie, func(c echo.Context) error {
			close(loaded)
			<-resume
			m.SetFlash(c.Request().Context(), "info", "changed in flight")
			if err := m.Save(c); err != nil {
				return err
			}
			return c.NoContent(http.StatusOK)
		})
	}()
	<-loaded
	request(t, m, cookie, func(ctx context.Context) {
		if err := m.Logout(ctx); err != nil {
			t.Error(err)
		}
	})
	close(resume)
	res := <-done
	if res.StatusCode != http.StatusOK {
		t.Fatalf("request in flight: want 200, got %d", res.StatusCode)
	}
	if _, set := sessionCookieOf(m, res); set {
		t.Error("the request in flight set a session cookie after the logout")
	}
	var ok bool
	request(t, m, cookie, func(ctx context.Context) { _, ok = m.CurrentUser(ctx) })
	if ok {
		t.Fatal("the logged-out cookie logs someone in again after a request in flight saved")
	}
}

// serveNoFatal is serve for use off the test's goroutine.
func serveNoFatal(m *Manager, cookie string, h echo.HandlerFunc) *http.Response {
	e := echo.New()
	e.Use(m.Middleware())
	e.GET("/", h)
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.AddCookie(&http.Cookie{Name: m.CookieName(), Value: cookie})
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec.Result()
}

// After a failed save, the error page goes out; the response hook must not
// try again, because a retry that succeeds would log the person in under a
// page that says the login failed.
func TestFailedSaveIsNotRetried(t *testing.T) {
	now := time.Now()
	st := newRecordingStore(t)
	st.failNext = 1
	m := New(Options{Store: st, IdleTimeout: 30 * time.Minute, Lifetime: 12 * time.Hour, Now: func() time.Time { return now }})
	var saveErr, again error
	res := serve(t, m, "", func(c echo.Context) error {
		if err := m.Login(c.Request().Context(), User{Subject: "sub-1"}); err != nil {
			return err
		}
		saveErr = m.Save(c)
		again = m.Save(c)
		return saveErr
	})
	if saveErr == nil {
		t.Fatal("Save: want the store's error")
	}
	if again != saveErr {
		t.Errorf("second Save: want the first error again without a retry, got %v", again)
	}
	if st.attempts != 1 {
		t.Errorf("want one commit attempt, got %d", st.attempts)
	}
	if res.StatusCode < 500 {
		t.Errorf("want the error status, got %d", res.StatusCode)
	}
	if _, set := sessionCookieOf(m, res); set {
		t.Error("a session cookie was set after the save failed")
	}
}

// The response hook commits what no handler saved (here a redirect), and
// a failure there only goes to the log: the status is left alone.
func TestHookSavesUnsavedResponsesAndLogsFailures(t *testing.T) {
	now := time.Now()
	st := newRecordingStore(t)
	m := New(Options{Store: st, IdleTimeout: 30 * time.Minute, Lifetime: 12 * time.Hour, Now: func() time.Time { return now }})
	redirect := func(c echo.Context) error {
		m.SetFlash(c.Request().Context(), "info", "hello")
		return c.Redirect(http.StatusSeeOther, "/")
	}
	res := serve(t, m, "", redirect)
	if _, set := sessionCookieOf(m, res); !set || len(st.commits()) != 1 {
		t.Fatalf("the hook must commit an unsaved change: cookie set %v, commits %d", set, len(st.commits()))
	}
	st.failNext = 1
	res = serve(t, m, "", redirect)
	if res.StatusCode != http.StatusSeeOther {
		t.Errorf("a failure in the hook must not change the status: want 303, got %d", res.StatusCode)
	}
}
