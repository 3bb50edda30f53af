package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sgidweb/sgidweb/internal/app"
	"github.com/sgidweb/sgidweb/internal/apptest"
	"github.com/sgidweb/sgidweb/internal/testkit"
)

// startLimitedSite runs the app with RATE_LIMIT_LOGIN=3 on a clock that
// stands still unless the test moves it, so no request refills a bucket.
func startLimitedSite(t *testing.T, env map[string]string) (*site, *testkit.Clock) {
	t.Helper()
	clock := testkit.NewClock(time.Now())
	vars := map[string]string{"RATE_LIMIT_LOGIN": "3"}
	for k, v := range env {
		vars[k] = v
	}
	return startSiteOn(t, apptest.Listen(t), vars, app.WithClock(clock.Now)), clock
}

// pressLogin posts the login form with extra headers and returns the answer.
func pressLogin(b *browser, token string, headers map[string]string) page {
	b.t.Helper()
	return b.post("/auth/login", url.Values{"csrf_token": {token}}, headers)
}

// wantLimited checks the 429 page: the error page, the reason in the log
// and a Retry-After of the time one more attempt takes to come back.
func wantLimited(t *testing.T, s *site, p page, what string) {
	t.Helper()
	if p.Status != http.StatusTooManyRequests {
		t.Fatalf("%s over the limit: want 429, got %d", what, p.Status)
	}
	if p.Doc.Find(`[data-testid="error-page"]`).Length() != 1 || !strings.Contains(p.Text("error-title"), "Too many") {
		t.Errorf("%s over the limit: want the error page, got %q", what, p.Body)
	}
	if got := p.Header.Get("Retry-After"); got != "20" {
		t.Errorf("%s over the limit: want Retry-After 20 (3 a minute), got %q", what, got)
	}
	if !strings.Contains(s.logs.String(), `"reason":"rate_limited"`) {
		t.Errorf("%s over the limit: no rate_limited line in the log", what)
	}
}

// One address gets RATE_LIMIT_LOGIN logins a minute, then a clear 429
// page until its bucket refills; another address is not held up by it.
func TestLoginsAreLimitedPerClientAddress(t *testing.T) {
	s, clock := startLimitedSite(t, map[string]string{"TRUSTED_PROXIES": "127.0.0.1"})
	b := s.newBrowser()
	token := b.csrf("/auth/login")
	from := func(ip string) map[string]string { return map[string]string{"X-Forwarded-For": ip} }
	for i := range 3 {
		if p := pressLogin(b, token, from("203.0.113.7")); p.Status != http.StatusSeeOther {
			t.Fatalf("login %d of 3: want 303, got %d", i+1, p.Status)
		}
	}
	wantLimited(t, s, pressLogin(b, token, from("203.0.113.7")), "POST /auth/login")
	if p := pressLogin(b, token, from("203.0.113.8")); p.Status != http.StatusSeeOther {
		t.Errorf("another address: want 303, got %d", p.Status)
	}
	// An IPv6 client holds a /64: another address in it is the same client.
	for i := range 3 {
		pressLogin(b, token, from("2001:db8:1:2::"+string(rune('a'+i))))
	}
	if p := pressLogin(b, token, from("2001:db8:1:2::ffff")); p.Status != http.StatusTooManyRequests {
		t.Errorf("a fourth address in one IPv6 /64: want 429, got %d", p.Status)
	}
	clock.Advance(20 * time.Second)
	if p := pressLogin(b, token, from("203.0.113.7")); p.Status != http.StatusSeeOther {
		t.Errorf("after Retry-After: want 303, got %d", p.Status)
	}
}

// Without a trusted proxy, X-Forwarded-For is the client's own claim:
// changing it must not buy a fresh limit.
func TestForwardedForDoesNotEscapeTheLimitWithoutATrustedProxy(t *testing.T) {
	s, _ := startLimitedSite(t, nil)
	b := s.newBrowser()
	token := b.csrf("/auth/login")
	for i := range 3 {
		pressLogin(b, token, map[string]string{"X-Forwarded-For": "198.51.100." + string(rune('1'+i))})
	}
	wantLimited(t, s, pressLogin(b, token, map[string]string{"X-Forwarded-For": "198.51.100.9"}), "POST /auth/login with a new X-Forwarded-For")
}

// Callbacks have their own limit: a client guessing codes and states
// is refused before it reaches the session store or sgID.
func TestCallbacksAreLimitedPerClientAddress(t *testing.T) {
	s, _ := startLimitedSite(t, nil)
	b := s.newBrowser()
	for i := range 3 {
		if p := b.get("/auth/callback?code=guess&state=guess"); p.Status != http.StatusBadRequest {
			t.Fatalf("callback %d of 3: want 400, got %d", i+1, p.Status)
		}
	}
	wantLimited(t, s, b.get("/auth/callback?code=guess&state=guess"), "GET /auth/callback")
	// The login button has a bucket of its own.
	if p := pressLogin(b, b.csrf("/auth/login"), nil); p.Status != http.StatusSeeOther {
		t.Errorf("a login after the callbacks ran out: want 303, got %d", p.Status)
	}
}

// The login link (GET /auth/login, where a guarded page sends a person)
// starts a login as the button does, so both draw on one limit.
func TestLoginLinkSharesTheButtonsLimit(t *testing.T) {
	s, _ := startLimitedSite(t, nil)
	b := s.newBrowser()
	token := b.csrf("/auth/login")
	for i := range 2 {
		if p := pressLogin(b, token, nil); p.Status != http.StatusSeeOther {
			t.Fatalf("login %d of 3: want 303, got %d", i+1, p.Status)
		}
	}
	if p := b.get("/auth/login?return_to=/elsewhere"); p.Status != http.StatusSeeOther {
		t.Fatalf("the link as login 3 of 3: want 303, got %d", p.Status)
	}
	wantLimited(t, s, b.get("/auth/login?return_to=/elsewhere"), "GET /auth/login")
}

// RATE_LIMIT_LOGIN=0 turns the limits off.
func TestLoginLimitCanBeTurnedOff(t *testing.T) {
	s, _ := startLimitedSite(t, map[string]string{"RATE_LIMIT_LOGIN": "0"})
	b := s.newBrowser()
	token := b.csrf("/auth/login")
	for i := range 20 {
		if p := pressLogin(b, token, nil); p.Status != http.StatusSeeOther {
			t.Fatalf("login %d with the limit off: want 303, got %d", i+1, p.Status)
		}
	}
}
