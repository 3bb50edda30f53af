package session

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sgidweb/sgidweb/internal/session/store"
)

// request runs fn inside the session middleware for one request carrying
// cookie (may be empty) and returns the session cookie the response set.
func request(t *testing.T, m *Manager, cookie string, fn func(ctx context.Context)) string {
	t.Helper()
	e := echo.New()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: m.CookieName(), Value: cookie})
	}
	rec := httptest.NewRecorder()
	c := e.NewContext(req, rec)
	h := m.Middleware()(func(c echo.Context) error {
		fn(c.Request().Context())
		return c.NoContent(http.StatusOK)
	})
	if err := h(c); err != nil {
		t.Fatalf("middleware: %v", err)
	}
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == m.CookieName() {
			if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode {
				t.Errorf("session cookie must be HttpOnly and SameSite=Lax: %+v", ck)
			}
			return ck.Value
		}
	}
	return cookie
}

func newManager(t *testing.T, now *time.Time) *Manager {
	t.Helper()
	st, err := store.Open(context.Background(), "memory")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return New(Options{Store: st, IdleTimeout: 30 * time.Minute, Lifetime: 12 * time.Hour, Now: func() time.Time { return *now }})
}

func TestFlowsAreUsableOnce(t *testing.T) {
	now := time.Now()
	m := newManager(t, &now)
	cookie := request(t, m, "", func(ctx context.Context) {
		m.AddFlow(ctx, Flow{State: "tab-1", Nonce: "n1", Verifier: "v1", Started: now})
		m.AddFlow(ctx, Flow{State: "tab-2", Nonce: "n2", Verifier: "v2", Started: now})
	})
	var got Flow
	var res FlowResult
	cookie = request(t, m, cookie, func(ctx context.Context) { got, res = m.TakeFlow(ctx, "tab-2") })
	if res != FlowFound || got.Nonce != "n2" {
		t.Fatalf("second tab's flow: want found with nonce n2, got %v %+v", res, got)
	}
	cookie = request(t, m, cookie, func(ctx context.Context) { _, res = m.TakeFlow(ctx, "tab-2") })
	if res != FlowUnknown {
		t.Fatalf("replayed state: want FlowUnknown, got %v", res)
	}
	request(t, m, cookie, func(ctx context.Context) { got, res = m.TakeFlow(ctx, "tab-1") })
	if res != FlowFound || got.Verifier != "v1" {
		t.Fatalf("first tab's flow must survive the second's login: got %v %+v", res, got)
	}
}

func TestFlowExpires(t *testing.T) {
	now := time.Now()
	m := newManager(t, &now)
	cookie := request(t, m, "", func(ctx context.Context) {
		m.AddFlow(ctx, Flow{State: "s", Started: now.Add(-FlowMaxAge - time.Second)})
	})
	var res FlowResult
	request(t, m, cookie, func(ctx context.Context) { _, res = m.TakeFlow(ctx, "s") })
	if res != FlowExpired {
		t.Fatalf("flow older than %v: want FlowExpired, got %v", FlowMaxAge, res)
	}
}

func TestIdleTimeoutEndsTheSession(t *testing.T) {
	now := time.Now()
	m := newManager(t, &now)
	cookie := request(t, m, "", func(ctx context.Context) {
		if err := m.Login(ctx, User{Subject: "sub-1"}); err != nil {
			t.Fatal(err)
		}
	})
	now = now.Add(29 * time.Minute)
	var ok bool
	cookie = request(t, m, cookie, func(ctx context.Context) { _, ok = m.CurrentUser(ctx) })
	if !ok {
		t.Fatal("29 minutes idle: want still logged in")
	}
	now = now.Add(31 * time.Minute)
	request(t, m, cookie, func(ctx context.Context) { _, ok = m.CurrentUser(ctx) })
	if ok {
		t.Fatal("31 minutes idle after the last activity: want logged out")
	}
}

func TestExpiryIsReportedForLoggedInSessionsOnlyWithItsCause(t *testing.T) {
	now := time.Now()
	st, err := store.Open(context.Background(), "memory")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var causes []string
	m := New(Options{Store: st, IdleTimeout: 30 * time.Minute, Lifetime: time.Hour,
		Now: func() time.Time { return now }, OnExpiry: func(cause string) { causes = append(causes, cause) }})
	login := func() string {
		return request(t, m, "", func(ctx context.Context) {
			if err := m.Login(ctx, User{Subject: "sub-1"}); err != nil {
				t.Fatal(err)
			}
		})
	}
	anon := request(t, m, "", func(ctx context.Context) { m.AddFlow(ctx, Flow{State: "state-1", Started: now}) })
	idle := login()
	active := login()
	for i := 0; i < 2; i++ { // active every 25 minutes: never idle
		now = now.Add(25 * time.Minute)
		request(t, m, active, func(context.Context) {})
	}
	if len(causes) != 0 {
		t.Fatalf("after 50 active minutes: want no expiry, got %v", causes)
	}
	request(t, m, anon, func(context.Context) {})
	if len(causes) != 0 {
		t.Fatalf("an anonymous session timing out: want no report, got %v", causes)
	}
	request(t, m, idle, func(context.Context) {})
	if len(causes) != 1 || causes[0] != ExpiredIdle {
		t.Fatalf("a logged-in session unused for 50 minutes: want [%s], got %v", ExpiredIdle, causes)
	}
	now = now.Add(25 * time.Minute)
	request(t, m, active, func(context.Context) {})
	if len(causes) != 2 || causes[1] != ExpiredLifetime {
		t.Fatalf("an active session 75 minutes after login: want [%s %s], got %v", ExpiredIdle, ExpiredLifetime, causes)
	}
}
