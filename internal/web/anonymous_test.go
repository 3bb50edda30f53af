package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sgidweb/sgidweb/assets"
	"github.com/sgidweb/sgidweb/internal/app"
	"github.com/sgidweb/sgidweb/internal/apptest"
	"github.com/sgidweb/sgidweb/internal/gatewaytest"
	"github.com/sgidweb/sgidweb/internal/session/store"
)

// startCountedSite is the whole app in mock mode over a session store that
// counts the calls it gets.
func startCountedSite(t *testing.T, env map[string]string) (*site, *countingStore) {
	t.Helper()
	var counting *countingStore
	s := startSiteOn(t, apptest.Listen(t), env, app.WithStoreWrapper(func(st store.Store) store.Store {
		counting = &countingStore{Store: st}
		return counting
	}))
	return s, counting
}

// visitorGets is every GET a visitor who is not logged in can make, under
// base ("/" or a BASE_PATH). GET /auth/login is left out: it starts a
// login, as pressing the button does.
func visitorGets(base string) []string {
	paths := []string{
		"",
		"fragments/login-button",
		"fragments/consent-status",
		"fragments/profile",
		strings.TrimPrefix(assets.Path("css/app.css"), "/"),
		strings.TrimPrefix(assets.Path("js/htmx-2.0.8.min.js"), "/"),
		"healthz",
		"readyz",
		"dev/gallery",
		"no/such/page",
		"auth/callback",
		"auth/verify",
		".well-known/jwks.json",
		"mock-sgid/v2/.well-known/openid-configuration",
		"mock-sgid/v2/.well-known/jwks.json",
	}
	for i, p := range paths {
		paths[i] = base + p
	}
	return paths
}

// A visitor who has not pressed "Login with sgID" costs the session store
// nothing: no read, no write, whatever they open and however often, with or
// without the cookies the site gave them; in front of a guarded app too.
func TestAnonymousVisitsTouchNoStore(t *testing.T) {
	app := gatewaytest.StartApp(t)
	for _, tc := range []struct {
		name  string
		env   map[string]string
		paths []string
	}{
		{"the site alone", nil, append(visitorGets("/"), "/favicon.ico")},
		{"guarding an app", map[string]string{"BASE_PATH": "/sgid/", "UPSTREAM_URL": app.URL},
			append(visitorGets("/sgid/"), "/sgid", "/", "/app/page?x=1", "/favicon.ico")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, counting := startCountedSite(t, tc.env)
			keeper := s.newBrowser() // keeps every cookie it is given
			for _, path := range tc.paths {
				for _, method := range []string{http.MethodGet, http.MethodHead} {
					req, _ := http.NewRequest(method, s.url+path, nil)
					req.Header.Set("Accept", "text/html")
					if p := s.newBrowser().Do(req); p.Status >= 500 {
						t.Errorf("%s %s without cookies: %d", method, path, p.Status)
					}
					req, _ = http.NewRequest(method, s.url+path, nil)
					req.Header.Set("Accept", "text/html")
					keeper.Do(req)
				}
			}
			if n := counting.writes.Load(); n != 0 {
				t.Errorf("anonymous visits made %d session store writes, want none", n)
			}
			if n := counting.calls.Load(); n != 0 {
				t.Errorf("anonymous visits made %d session store calls, want none", n)
			}
			for _, c := range keeper.Client.Jar.Cookies(mustURL(t, s.url)) {
				if c.Name == s.app.SessionCookieName() {
					t.Errorf("a visitor got a session cookie before logging in")
				}
			}

			// The counter sees the store: pressing the button makes the session.
			home := keeper.get(s.app.Config.Path("/"))
			token := home.Doc.Find(`[data-testid="login-form"] input[name="csrf_token"]`).AttrOr("value", "")
			if p := keeper.post(s.app.Config.Path("/auth/login"), url.Values{"csrf_token": {token}}, nil); p.Status != http.StatusSeeOther {
				t.Fatalf("POST /auth/login: want 303, got %d", p.Status)
			}
			if counting.writes.Load() == 0 {
				t.Fatal("POST /auth/login wrote nothing: the counting store cannot see writes")
			}
			if sessionCookie(t, keeper) == "" {
				t.Fatal("POST /auth/login set no session cookie")
			}
		})
	}
}

func mustURL(t testing.TB, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// The login form's token works only with the cookie of the browser it was
// given to: another browser's token, a token without the cookie, and a
// cookie that was tampered with are all refused.
func TestLoginTokenIsBoundToItsBrowser(t *testing.T) {
	s := startSite(t, nil)
	alice, mallory := s.newBrowser(), s.newBrowser()
	aliceToken, malloryToken := alice.csrf("/auth/login"), mallory.csrf("/auth/login")
	if aliceToken == malloryToken {
		t.Fatal("two browsers got the same token")
	}
	if p := alice.post("/auth/login", url.Values{"csrf_token": {malloryToken}}, nil); p.Status != http.StatusForbidden {
		t.Errorf("another browser's token: want 403, got %d", p.Status)
	}
	if p := s.newBrowser().post("/auth/login", url.Values{"csrf_token": {aliceToken}}, nil); p.Status != http.StatusForbidden {
		t.Errorf("a token without its cookie: want 403, got %d", p.Status)
	}
	tampered := s.newBrowser()
	for _, c := range alice.Client.Jar.Cookies(mustURL(t, s.url)) {
		c.Value = strings.ToUpper(c.Value[:1]) + strings.ToLower(c.Value[:1]) + c.Value[2:]
		tampered.Client.Jar.SetCookies(mustURL(t, s.url), []*http.Cookie{c})
	}
	if p := tampered.post("/auth/login", url.Values{"csrf_token": {aliceToken}}, nil); p.Status != http.StatusForbidden {
		t.Errorf("a tampered cookie with the token: want 403, got %d", p.Status)
	}
	if p := alice.post("/auth/login", url.Values{"csrf_token": {aliceToken}}, nil); p.Status != http.StatusSeeOther {
		t.Errorf("the browser's own token: want 303, got %d: %s", p.Status, p.Text("error-message"))
	}
}

// A token made before a login does not outlive it, as the session token
// does not: the login gives the browser a new CSRF cookie.
func TestLoginRenewsTheCSRFToken(t *testing.T) {
	s := startSite(t, nil)
	b := s.newBrowser()
	before := b.csrf("/auth/login")
	b.login(s.app.Mock.Personas()[0].ID, true)
	if after := b.csrf("/auth/logout"); after == before {
		t.Fatal("the CSRF token did not change at login")
	}
	if p := b.post("/auth/logout", url.Values{"csrf_token": {before}}, nil); p.Status != http.StatusForbidden {
		t.Errorf("logout with the token from before login: want 403, got %d", p.Status)
	}
	if !loggedIn(b) {
		t.Fatal("a refused logout logged the person out")
	}
}

// Instances that share CSRF_KEY accept each other's forms, as a load
// balancer without sticky sessions needs; instances with different keys
// do not. Cookies do not depend on the port, so one browser visits both.
func TestCSRFKeyIsSharedByInstances(t *testing.T) {
	key := strings.Repeat("k", 32)
	a := startSite(t, map[string]string{"CSRF_KEY": key})
	b := startSite(t, map[string]string{"CSRF_KEY": key})
	other := startSite(t, map[string]string{"CSRF_KEY": strings.Repeat("o", 32)})
	br := a.newBrowser()
	token := br.csrf("/auth/login")
	if p := br.PostForm(b.url+"/auth/login", url.Values{"csrf_token": {token}}, nil); p.Status != http.StatusSeeOther {
		t.Errorf("a form from an instance with the same CSRF_KEY: want 303, got %d", p.Status)
	}
	if p := br.PostForm(other.url+"/auth/login", url.Values{"csrf_token": {token}}, nil); p.Status != http.StatusForbidden {
		t.Errorf("a form from an instance with another CSRF_KEY: want 403, got %d", p.Status)
	}
}

// Over plain http the CSRF cookie has the session cookie's flags
// (TestHostCookieUnderHTTPS checks them under https).
func TestCSRFCookieFlagsUnderHTTP(t *testing.T) {
	s := startSite(t, nil)
	res, _ := send(t, http.MethodGet, s.url+"/", nil)
	var found *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "sgidweb_csrf" {
			found = c
		}
	}
	if found == nil {
		t.Fatalf("no sgidweb_csrf cookie in %q", res.Header.Values("Set-Cookie"))
	}
	if !found.HttpOnly || found.SameSite != http.SameSiteLaxMode || found.Path != "/" || found.Secure || found.Domain != "" {
		t.Errorf("CSRF cookie flags: %q", res.Header.Values("Set-Cookie"))
	}
}
