package gateway

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

const guarded = "/app/page?x=1&y=two%20words"

// escapedLogin is the login address that returns to guarded under /sgid/.
const escapedLogin = "/sgid/auth/login?return_to=%2Fapp%2Fpage%3Fx%3D1%26y%3Dtwo%2520words"

func newTestGate(t *testing.T) *Gate {
	t.Helper()
	key, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return NewGate(NewAssertions(key, "https://app.example.sg/sgid/", nil), "/sgid/")
}

func TestVerifyLoggedInAnswers200WithIdentity(t *testing.T) {
	g := newTestGate(t)
	rec := httptest.NewRecorder()
	id := &Identity{Subject: "sub-1", Fields: map[string]string{"myinfo.name": "TAN"}, LoggedIn: time.Now()}
	if err := g.Verify(rec, httptest.NewRequest(http.MethodGet, "/sgid/auth/verify", nil), id); err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusOK {
		t.Fatalf("want 200, got %d", rec.Code)
	}
	if got := rec.Header().Get(HeaderSubject); got != "sub-1" {
		t.Errorf("%s: want sub-1, got %q", HeaderSubject, got)
	}
	claims := verifyAssertion(t, g.assertions.JWKS(), rec.Header().Get(HeaderAssertion), "https://app.example.sg/sgid/", time.Now())
	if claims["sub"] != "sub-1" || claims["myinfo.name"] != "TAN" {
		t.Errorf("assertion claims: got %v", claims)
	}
	if got := rec.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control: want no-store, got %q", got)
	}
}

func TestVerifyAnonymous(t *testing.T) {
	const html = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	cases := []struct {
		name        string
		method      string
		header      map[string]string
		status      int
		location    string
		loginHeader string
	}{
		{"no forwarding headers", "GET", map[string]string{"Accept": html}, 401, "", ""},
		{"Caddy or Traefik, GET navigation", "GET",
			map[string]string{"Accept": html, "X-Forwarded-Method": "GET", "X-Forwarded-Uri": guarded}, 302, escapedLogin, ""},
		{"Caddy or Traefik, form post", "GET",
			map[string]string{"Accept": html, "X-Forwarded-Method": "POST", "X-Forwarded-Uri": guarded}, 401, "", ""},
		{"Caddy or Traefik, script", "GET",
			map[string]string{"Accept": "application/json", "X-Forwarded-Method": "GET", "X-Forwarded-Uri": guarded}, 401, "", ""},
		{"nginx, navigation", "GET",
			map[string]string{"Accept": html, "X-Forwarded-Uri": guarded}, 401, "", escapedLogin},
		{"nginx, script", "GET",
			map[string]string{"Accept": "*/*", "X-Forwarded-Uri": guarded}, 401, "", ""},
		{"nginx, form post", "POST",
			map[string]string{"Accept": html, "X-Forwarded-Uri": guarded}, 401, "", ""},
		{"a URI on another site is not returned to", "GET",
			map[string]string{"Accept": html, "X-Forwarded-Method": "GET", "X-Forwarded-Uri": "//evil.example/"}, 302, "/sgid/auth/login", ""},
	}
	g := newTestGate(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest(c.method, "/sgid/auth/verify", nil)
			for k, v := range c.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			if err := g.Verify(rec, req, nil); err != nil {
				t.Fatal(err)
			}
			if rec.Code != c.status {
				t.Errorf("status: want %d, got %d", c.status, rec.Code)
			}
			if got := rec.Header().Get("Location"); got != c.location {
				t.Errorf("Location: want %q, got %q", c.location, got)
			}
			if got := rec.Header().Get(HeaderLogin); got != c.loginHeader {
				t.Errorf("%s: want %q, got %q", HeaderLogin, c.loginHeader, got)
			}
			if got := rec.Header().Get(HeaderSubject) + rec.Header().Get(HeaderAssertion); got != "" {
				t.Errorf("an anonymous answer carries identity headers: %q", got)
			}
			if got := rec.Header().Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control: want no-store, got %q", got)
			}
		})
	}
}

func TestAnonymousProxyRequests(t *testing.T) {
	g := newTestGate(t)
	cases := []struct {
		name, method, accept string
		status               int
		location             string
	}{
		{"GET navigation goes to the login and back", "GET", "text/html", 303, escapedLogin},
		{"script gets 401", "GET", "application/json", 401, ""},
		{"form post gets 401", "POST", "text/html", 401, ""},
		{"HEAD gets 401", "HEAD", "text/html", 401, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest(c.method, guarded, nil)
			req.Header.Set("Accept", c.accept)
			rec := httptest.NewRecorder()
			g.Anonymous(rec, req)
			if rec.Code != c.status || rec.Header().Get("Location") != c.location {
				t.Errorf("want %d to %q, got %d to %q", c.status, c.location, rec.Code, rec.Header().Get("Location"))
			}
			if got := rec.Header().Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control: want no-store, got %q", got)
			}
		})
	}
}

func TestSafeReturnTo(t *testing.T) {
	for raw, ok := range map[string]bool{
		"": true, "/": true, guarded: true, "/a/b#frag": true,
		"//evil.example": false, "/\\evil.example": false, "https://evil.example/": false,
		"evil": false, "/a\tb": false, "/a\nb": false, "/a\\b": false,
	} {
		got, gotOK := SafeReturnTo(raw)
		if gotOK != ok || (ok && got != raw) {
			t.Errorf("SafeReturnTo(%q): want ok=%v, got %q ok=%v", raw, ok, got, gotOK)
		}
	}
}
