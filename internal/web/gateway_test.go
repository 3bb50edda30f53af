package web_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/sgidweb/sgidweb/internal/gateway"
	"github.com/sgidweb/sgidweb/internal/gatewaytest"
	"github.com/sgidweb/sgidweb/internal/testkit"
)

// startGuard serves sgidweb at /sgid/ in front of a guarded app with the
// built-in proxy.
func startGuard(t *testing.T, upstream string) *site {
	t.Helper()
	return startSite(t, map[string]string{"BASE_PATH": "/sgid/", "UPSTREAM_URL": upstream})
}

func TestBuiltInProxyGuardsTheApp(t *testing.T) {
	app := gatewaytest.StartApp(t)
	s := startGuard(t, app.URL)
	gatewaytest.CheckGuard(t, gatewaytest.Setup{Origin: s.url, Base: "/sgid/", App: app, Cookie: s.app.SessionCookieName(), WebSocket: true})
}

// The app's answers carry the app's headers, not our CSP (which would
// break its pages); ours keep theirs.
func TestBuiltInProxyLeavesTheAppsHeadersAlone(t *testing.T) {
	app := gatewaytest.StartApp(t)
	s := startGuard(t, app.URL)
	app.Trust(s.url+"/sgid/.well-known/jwks.json", s.url+"/sgid/")
	p := gatewaytest.NewPerson(t)
	p.LogInAtMock(p.Follow(p.Open(s.url+"/app", nil)))
	page := p.Open(s.url+"/app", nil)
	if page.Status != http.StatusOK || page.Header.Get("Content-Security-Policy") != "" || page.Header.Get("X-Frame-Options") != "" {
		t.Errorf("the app's page: want 200 without our CSP and framing headers, got %d with %q, %q",
			page.Status, page.Header.Get("Content-Security-Policy"), page.Header.Get("X-Frame-Options"))
	}
	if page.Header.Get("Set-Cookie") == "" || !strings.Contains(page.Header.Get("Vary"), "Cookie") {
		t.Errorf("the app's page: want its own Set-Cookie and Vary: Cookie, got %q and %q", page.Header.Get("Set-Cookie"), page.Header.Get("Vary"))
	}
	if ours := p.Open(s.url+"/sgid/", nil); ours.Header.Get("Content-Security-Policy") == "" {
		t.Error("our home page lost its CSP")
	}
}

func TestBuiltInProxyShowsA502PageWhenTheAppDoesNotAnswer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now
	s := startGuard(t, down)
	p := gatewaytest.NewPerson(t)
	anonymous := p.Open(s.url+"/app?x=1", nil)
	if anonymous.Status != http.StatusSeeOther {
		t.Fatalf("anonymous: want the login first (303), got %d", anonymous.Status)
	}
	p.LogInAtMock(p.Follow(anonymous))
	page := p.Open(s.url+"/app?x=1", nil)
	if page.Status != http.StatusBadGateway {
		t.Fatalf("want 502, got %d: %s", page.Status, page.Body)
	}
	if page.Doc.Find(`[data-testid="error-page"]`).Length() == 0 || !strings.Contains(page.Body, "not answering") {
		t.Errorf("want the error page saying the application is not answering, got %s", page.Body)
	}
	if retry, _ := page.Doc.Find(`[data-testid="error-retry"]`).Attr("href"); retry != "/app?x=1" {
		t.Errorf("Try again: want /app?x=1, got %q", retry)
	}
	if page.Header.Get("Content-Security-Policy") == "" || page.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("our error page: want our CSP and no-store, got %q, %q", page.Header.Get("Content-Security-Policy"), page.Header.Get("Cache-Control"))
	}
	if !strings.Contains(s.logs.String(), "upstream_unavailable") || !strings.Contains(s.logs.String(), "connection refused") {
		t.Errorf("want the cause logged with reason upstream_unavailable:\n%s", s.logs.String())
	}
}

// Everything under BASE_PATH is ours, even an address we do not have; the
// rest is the app's, even one that looks like ours.
func TestBasePathDividesTheOrigin(t *testing.T) {
	app := gatewaytest.StartApp(t)
	s := startGuard(t, app.URL)
	b := s.newBrowser()
	for path, want := range map[string]int{
		"/sgid/healthz": http.StatusOK, "/sgid/readyz": http.StatusOK, "/sgid/.well-known/jwks.json": http.StatusOK,
		"/sgid/nowhere": http.StatusNotFound, "/sgid": http.StatusFound,
		"/healthz": http.StatusUnauthorized, "/sgidx": http.StatusUnauthorized, "/auth/verify": http.StatusUnauthorized,
	} {
		if got := b.get(path); got.Status != want {
			t.Errorf("GET %s: want %d, got %d", path, want, got.Status)
		}
	}
	if loc := b.get("/sgid").Header.Get("Location"); loc != "/sgid/" {
		t.Errorf("GET /sgid: want a redirect to /sgid/, got %q", loc)
	}
	if p := b.get("/sgid/"); p.Status != http.StatusOK || p.Doc.Find(`[data-testid="login-button"]`).Length() == 0 {
		t.Errorf("GET /sgid/: want our home page, got %d", p.Status)
	}
}

func TestVerifyForProxies(t *testing.T) {
	s := startSite(t, map[string]string{"BASE_PATH": "/sgid/"})
	p := gatewaytest.NewPerson(t)
	verify := s.url + "/sgid/auth/verify"
	const escaped = "/sgid/auth/login?return_to=%2Fapp%2Fpage%3Fx%3D1%26y%3Dtwo%2520words"
	html := map[string]string{"Accept": "text/html", "X-Forwarded-Uri": gatewaytest.GuardedPath}
	nginx := p.Request(http.MethodGet, verify, html, "")
	if nginx.Status != http.StatusUnauthorized || nginx.Header.Get(gateway.HeaderLogin) != escaped {
		t.Errorf("nginx's check of a page: want 401 with %s %s, got %d %q", gateway.HeaderLogin, escaped, nginx.Status, nginx.Header.Get(gateway.HeaderLogin))
	}
	html["X-Forwarded-Method"] = "GET"
	caddy := p.Request(http.MethodGet, verify, html, "")
	if caddy.Status != http.StatusFound || caddy.Header.Get("Location") != escaped {
		t.Errorf("Caddy's check of a page: want 302 to %s, got %d %q", escaped, caddy.Status, caddy.Header.Get("Location"))
	}
	anonymous := p.Request(http.MethodGet, verify, nil, "")
	if anonymous.Status != http.StatusUnauthorized || anonymous.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("anonymous: want 401, no-store; got %d, %q", anonymous.Status, anonymous.Header.Get("Cache-Control"))
	}
	// The session layer writes a cookie with every store write, so no
	// cookie means nothing was stored.
	for _, page := range []testkit.Page{nginx, caddy, anonymous} {
		if v := page.Header.Values("Set-Cookie"); len(v) != 0 {
			t.Errorf("an anonymous check set a cookie (and so stored a session): %q", v)
		}
	}

	home := p.LogInAtMock(p.Follow(p.Open(s.url+"/sgid/auth/login", nil)))
	if home.URL.Path != "/sgid/" {
		t.Fatalf("a login link without return_to: want to land on /sgid/, got %s", home.URL)
	}
	loggedIn := p.Request(http.MethodGet, verify, nil, "")
	if loggedIn.Status != http.StatusOK || loggedIn.Header.Get(gateway.HeaderSubject) == "" {
		t.Fatalf("logged in: want 200 with the subject, got %d %q", loggedIn.Status, loggedIn.Header.Get(gateway.HeaderSubject))
	}
	v := &gatewaytest.Verifier{JWKSURL: s.url + "/sgid/.well-known/jwks.json", Issuer: s.url + "/sgid/"}
	if sub, _, err := v.Verify(context.Background(), loggedIn.Header.Get(gateway.HeaderAssertion)); err != nil || sub != loggedIn.Header.Get(gateway.HeaderSubject) {
		t.Errorf("logged in: the assertion does not verify for the subject: %q, %v", sub, err)
	}
	if loggedIn.Header.Get("Cache-Control") != "no-store" || len(loggedIn.Header.Values("Set-Cookie")) != 0 {
		t.Errorf("logged in: want no-store and no cookie written, got %q, %q", loggedIn.Header.Get("Cache-Control"), loggedIn.Header.Values("Set-Cookie"))
	}
}

// The configured signing key is the one published; without one, the
// server makes its own and warns (outside mock mode, and where it shares
// its origin with an app) that instances will disagree.
func TestGatewaySigningKey(t *testing.T) {
	const warning = "GATEWAY_SIGNING_KEY is not set"
	unset := startHostileSite(t, map[string]string{"BASE_PATH": "/sgid/"})
	if !strings.Contains(unset.logs.String(), warning) {
		t.Errorf("no GATEWAY_SIGNING_KEY under a base path: want a warning, got\n%s", unset.logs.String())
	}
	if whole := startHostileSite(t, nil); strings.Contains(whole.logs.String(), warning) {
		t.Errorf("no GATEWAY_SIGNING_KEY at BASE_PATH=/ (no app shares the origin): want no warning, got\n%s", whole.logs.String())
	}

	private, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(private)
	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	key, err := gateway.ParseKey(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	set := startHostileSite(t, map[string]string{"GATEWAY_SIGNING_KEY": keyPEM})
	if strings.Contains(set.logs.String(), warning) {
		t.Errorf("with GATEWAY_SIGNING_KEY: want no warning, got\n%s", set.logs.String())
	}
	jwks := set.newBrowser().get("/.well-known/jwks.json")
	if jwks.Status != http.StatusOK || jwks.Body != string(key.JWKS()) {
		t.Errorf("want the configured key published, got %d %s", jwks.Status, jwks.Body)
	}
	if mock := startSite(t, nil); strings.Contains(mock.logs.String(), warning) {
		t.Errorf("mock mode: want no warning (one instance, restarted at will), got\n%s", mock.logs.String())
	}
}
