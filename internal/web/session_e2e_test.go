package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/sgidweb/sgidweb/assets"
	"github.com/sgidweb/sgidweb/internal/app"
	"github.com/sgidweb/sgidweb/internal/apptest"
	"github.com/sgidweb/sgidweb/internal/config"
	"github.com/sgidweb/sgidweb/internal/testkit"
)

func TestIdleTimeoutEndsTheSession(t *testing.T) {
	clock := testkit.NewClock(time.Now())
	s := startSiteOn(t, apptest.Listen(t), map[string]string{"SESSION_IDLE_TIMEOUT": "30m", "SESSION_LIFETIME": "12h"}, app.WithClock(clock.Now))
	b := s.newBrowser()
	b.login(s.app.Mock.Personas()[0].ID, true)
	old := sessionCookie(t, b)

	clock.Advance(29 * time.Minute)
	if !loggedIn(b) {
		t.Fatal("logged out after 29 idle minutes; the idle timeout is 30")
	}
	clock.Advance(31 * time.Minute)
	if loggedIn(b) {
		t.Fatal("still logged in after 31 idle minutes")
	}
	replay := s.newBrowser()
	u, _ := url.Parse(s.url)
	replay.Client.Jar.SetCookies(u, []*http.Cookie{{Name: s.app.SessionCookieName(), Value: old}})
	if loggedIn(replay) {
		t.Fatal("the idle session's cookie still logs someone in")
	}
}

func TestAbsoluteLifetimeEndsAnActiveSession(t *testing.T) {
	clock := testkit.NewClock(time.Now())
	s := startSiteOn(t, apptest.Listen(t), map[string]string{"SESSION_IDLE_TIMEOUT": "30m", "SESSION_LIFETIME": "1h"}, app.WithClock(clock.Now))
	b := s.newBrowser()
	b.login(s.app.Mock.Personas()[0].ID, true)
	for i := 0; i < 2; i++ { // active every 25 minutes: never idle
		clock.Advance(25 * time.Minute)
		if !loggedIn(b) {
			t.Fatalf("logged out after %d active minutes; the lifetime is 1h", 25*(i+1))
		}
	}
	clock.Advance(25 * time.Minute)
	if loggedIn(b) {
		t.Fatal("still logged in 75 minutes after login with SESSION_LIFETIME=1h")
	}
}

func TestForgedOrTamperedCookieIsAnonymous(t *testing.T) {
	s := startSite(t, nil)
	b := s.newBrowser()
	b.login(s.app.Mock.Personas()[0].ID, true)
	real := sessionCookie(t, b)
	tampered := []byte(real)
	tampered[len(tampered)/2] ^= 0x01
	for name, value := range map[string]string{
		"forged":   "forged-session-token",
		"tampered": string(tampered),
		"huge":     strings.Repeat("A", 3000),
		"markup":   `<script>x</script>`,
	} {
		t.Run(name, func(t *testing.T) {
			other := s.newBrowser()
			u, _ := url.Parse(s.url)
			other.Client.Jar.SetCookies(u, []*http.Cookie{{Name: s.app.SessionCookieName(), Value: value}})
			p := other.get("/")
			if p.Status != http.StatusOK || p.Doc.Find(`[data-testid="home-page"]`).Length() != 1 {
				t.Fatalf("want the anonymous home page, got %d", p.Status)
			}
			if p.Doc.Find(`form[action="/auth/logout"]`).Length() != 0 {
				t.Fatal("a forged cookie is logged in")
			}
		})
	}
}

// TestHostCookieUnderHTTPS serves the handler as if behind https: the CSRF
// cookie (from the first page) and the session cookie (from the login)
// carry the __Host- prefix, Secure, HttpOnly, Path=/ and no Domain, and
// every response carries HSTS.
func TestHostCookieUnderHTTPS(t *testing.T) {
	cfg, err := config.Load(func(k string) string {
		return map[string]string{"PUBLIC_URL": "https://login.example", "SGID_MOCK": "1", "SESSION_STORE": "memory"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.Build(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Store.Close()
	var home *httptest.ResponseRecorder
	for _, path := range []string{"/", "/healthz", "/nowhere"} {
		rec := httptest.NewRecorder()
		a.Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "https://login.example"+path, nil))
		if got := rec.Header().Get("Strict-Transport-Security"); !strings.Contains(got, "max-age=") {
			t.Errorf("%s: want HSTS under https, got %q", path, got)
		}
		if path == "/" {
			home = rec
		}
	}
	csrf := hostCookie(t, home.Result(), "__Host-sgidweb_csrf")
	doc, _ := goquery.NewDocumentFromReader(home.Body)
	token := doc.Find(`form[action="/auth/login"] input[name="csrf_token"]`).AttrOr("value", "")
	req := httptest.NewRequest(http.MethodPost, "https://login.example/auth/login", strings.NewReader(url.Values{"csrf_token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.AddCookie(csrf)
	rec := httptest.NewRecorder()
	a.Handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("POST /auth/login: want 303, got %d", rec.Code)
	}
	hostCookie(t, rec.Result(), "__Host-sgidweb_session")
}

// hostCookie finds the cookie name in res and checks the flags the
// __Host- prefix needs, and HttpOnly and SameSite=Lax besides.
func hostCookie(t *testing.T, res *http.Response, name string) *http.Cookie {
	t.Helper()
	for _, c := range res.Cookies() {
		if c.Name == name {
			if !c.Secure || c.Path != "/" || c.Domain != "" || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
				t.Errorf("%s must be Secure, HttpOnly, SameSite=Lax, Path=/ and have no Domain: %v", name, res.Header["Set-Cookie"])
			}
			return c
		}
	}
	t.Fatalf("want a %s cookie, got %v", name, res.Header["Set-Cookie"])
	return nil
}

func TestPersonalPagesAreNotStored(t *testing.T) {
	s := startSite(t, nil)
	b := s.newBrowser()
	b.login(s.app.Mock.Personas()[0].ID, true)
	for _, path := range []string{"/", "/fragments/profile", "/fragments/consent-status", "/fragments/login-button", "/auth/callback?code=x&state=y", "/nowhere"} {
		if cc := b.get(path).Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s: want Cache-Control no-store, got %q", path, cc)
		}
	}
}

func TestEveryPostNeedsSameOriginAndToken(t *testing.T) {
	s := startSite(t, nil)
	b := s.newBrowser()
	b.login(s.app.Mock.Personas()[0].ID, true)
	logoutToken := b.csrf("/auth/logout")
	stranger := s.newBrowser()
	strangerToken := stranger.csrf("/auth/login")
	cases := []struct {
		name    string
		path    string
		form    url.Values
		headers map[string]string
	}{
		{"logout without a token", "/auth/logout", url.Values{}, nil},
		{"logout with another browser's token", "/auth/logout", url.Values{"csrf_token": {strangerToken}}, nil},
		// A browser sends the Origin of the page that made the request:
		// another site's, or a sibling subdomain's.
		{"logout cross-site with the token", "/auth/logout", url.Values{"csrf_token": {logoutToken}}, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}},
		{"logout same-site (a sibling subdomain) with the token", "/auth/logout", url.Values{"csrf_token": {logoutToken}}, map[string]string{"Sec-Fetch-Site": "same-site", "Origin": "http://sibling.localhost"}},
		{"logout with Origin null", "/auth/logout", url.Values{"csrf_token": {logoutToken}}, map[string]string{"Sec-Fetch-Site": "", "Origin": "null"}},
		{"login with a token in the wrong header", "/auth/login", url.Values{}, map[string]string{"X-CSRF-Token": strangerToken}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := b.post(tc.path, tc.form, tc.headers)
			if p.Status != http.StatusForbidden {
				t.Errorf("want 403, got %d", p.Status)
			}
			if !loggedIn(b) {
				t.Fatal("a refused POST logged the person out")
			}
		})
	}
	// A POST to a GET route reaches no handler at all.
	if p := b.post("/", url.Values{}, nil); p.Status != http.StatusMethodNotAllowed || !loggedIn(b) {
		t.Errorf("POST /: want 405 and the person still logged in, got %d", p.Status)
	}
	if p := b.post("/auth/logout", url.Values{}, map[string]string{"X-CSRF-Token": logoutToken}); p.Status != http.StatusSeeOther {
		t.Errorf("logout with the token in X-CSRF-Token: want 303, got %d", p.Status)
	}
}

// TestGetsChangeNothing visits every GET route while logged in: the person
// stays logged in, and the routes that change state refuse GET (a login
// link sends someone logged in on without starting a login).
func TestGetsChangeNothing(t *testing.T) {
	s := startSite(t, nil)
	b := s.newBrowser()
	b.login(s.app.Mock.Personas()[0].ID, true)
	before := sessionCookie(t, b)
	for _, path := range []string{"/", "/fragments/login-button", "/fragments/consent-status", "/fragments/profile", "/healthz", "/readyz", assets.Path("css/app.css")} {
		if p := b.get(path); p.Status != http.StatusOK {
			t.Errorf("GET %s: want 200, got %d", path, p.Status)
		}
	}
	if p := b.get("/auth/logout"); p.Status != http.StatusMethodNotAllowed && p.Status != http.StatusNotFound {
		t.Errorf("GET /auth/logout: want 404 or 405, got %d", p.Status)
	}
	if p := b.get("/auth/login?return_to=/fragments/profile"); p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/fragments/profile" {
		t.Errorf("GET /auth/login while logged in: want 303 to return_to, got %d %q", p.Status, p.Header.Get("Location"))
	}
	if !loggedIn(b) || sessionCookie(t, b) != before {
		t.Fatal("a GET changed the session")
	}
}

// TestSecurityHeadersOnEveryResponse covers pages, fragments, error pages,
// assets, probes and the mock provider's pages.
func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	s := startSite(t, nil)
	b := s.newBrowser()
	authorize := b.startLogin()
	u, _ := url.Parse(authorize)
	responses := map[string]page{
		"home":                b.get("/"),
		"fragment":            b.get("/fragments/profile"),
		"404":                 b.get("/nowhere"),
		"callback error":      b.get("/auth/callback?code=x&state=y"),
		"403":                 b.post("/auth/login", url.Values{}, nil),
		"GET of a POST route": b.get("/auth/logout"),
		"css":                 b.get(assets.Path("css/app.css")),
		"js":                  b.get(assets.Path("js/htmx-2.0.8.min.js")),
		"healthz":             b.get("/healthz"),
		"readyz":              b.get("/readyz"),
		"mock authorize":      b.get(u.Path + "?" + u.RawQuery),
		"mock jwks":           b.get("/mock-sgid/v2/.well-known/jwks.json"),
	}
	for name, p := range responses {
		h := p.Header
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP is missing or not strict: %q", name, csp)
		}
		for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"} {
			if h.Get(k) != v {
				t.Errorf("%s: %s: want %q, got %q", name, k, v, h.Get(k))
			}
		}
		if h.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS over plain http would be ignored at best", name)
		}
	}
}

// TestNoThirdPartyResource scans every rendered page for anything loaded
// from another origin.
func TestNoThirdPartyResource(t *testing.T) {
	s := startSite(t, nil)
	b := s.newBrowser()
	authorize := b.startLogin()
	u, _ := url.Parse(authorize)
	pages := map[string]page{
		"anonymous home": s.newBrowser().get("/"),
		"error page":     b.get("/auth/callback?code=x&state=y"),
		"404":            b.get("/nowhere"),
		"mock authorize": b.get(u.Path + "?" + u.RawQuery),
	}
	logged := s.newBrowser()
	logged.login(s.app.Mock.Personas()[0].ID, true)
	pages["logged-in home"] = logged.get("/")
	for name, p := range pages {
		p.Doc.Find("[src], link[href], [srcset], [poster], [data], object, embed, iframe, [style]").Each(func(_ int, sel *goquery.Selection) {
			for _, attr := range []string{"src", "href", "srcset", "poster", "data"} {
				if v, ok := sel.Attr(attr); ok && !sameOrigin(v) {
					t.Errorf("%s: <%s %s=%q> loads from another origin", name, goquery.NodeName(sel), attr, v)
				}
			}
			if goquery.NodeName(sel) == "iframe" || goquery.NodeName(sel) == "object" || goquery.NodeName(sel) == "embed" {
				t.Errorf("%s: has an <%s>", name, goquery.NodeName(sel))
			}
		})
	}
	css := b.get(assets.Path("css/app.css")).Body
	if m := regexp.MustCompile(`(?i)(@import|url\(\s*['"]?(https?:)?//)`).FindString(css); m != "" {
		t.Errorf("app.css loads from another origin: %q", m)
	}
}

// sameOrigin reports whether a URL in our HTML stays on this site: a path,
// a fragment, or a data: image. Anything with a scheme or host is foreign.
func sameOrigin(v string) bool {
	v = strings.TrimSpace(v)
	if strings.HasPrefix(v, "data:image/") {
		return true
	}
	u, err := url.Parse(v)
	return err == nil && u.Scheme == "" && u.Host == "" && !strings.HasPrefix(v, "//")
}
