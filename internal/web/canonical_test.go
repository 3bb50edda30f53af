package web_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/sgidweb/sgidweb/internal/app"
	"github.com/sgidweb/sgidweb/internal/apptest"
	"github.com/sgidweb/sgidweb/internal/config"
)

// sendAs sends a request to the site with the Host header of another name
// for it, the way a browser that opened that name would.
func sendAs(t *testing.T, s *site, method, host, path string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(method, s.url+path, nil)
	req.Host = host
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatalf("%s %s as %s: %v", method, path, host, err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

// Cookies, the login's redirect URI and the CSRF origin check all follow
// PUBLIC_URL, so a page opened under another name for the same server
// cannot log anyone in. GET and HEAD are sent to the same path on
// PUBLIC_URL; anything else is refused with 421.
func TestOtherHostsAreSentToPublicURL(t *testing.T) {
	s := startSite(t, nil)
	port := strings.TrimPrefix(s.url, "http://127.0.0.1:")
	wrong := "localhost:" + port
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		for _, path := range []string{"/", "/fragments/profile?x=1&y=two%20words", "/nowhere"} {
			res := sendAs(t, s, method, wrong, path)
			if res.StatusCode != http.StatusPermanentRedirect || res.Header.Get("Location") != s.url+path {
				t.Errorf("%s %s on %s: want 308 to %s, got %d %q", method, path, wrong, s.url+path, res.StatusCode, res.Header.Get("Location"))
			}
			// A permanent redirect is kept by browsers for good unless told
			// otherwise; PUBLIC_URL may change, and on a developer's machine
			// the same port serves other projects next week.
			if res.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("%s %s on %s: the redirect may be cached: Cache-Control %q", method, path, wrong, res.Header.Get("Cache-Control"))
			}
		}
	}
	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		res := sendAs(t, s, method, wrong, "/auth/login")
		if res.StatusCode != http.StatusMisdirectedRequest {
			t.Errorf("%s /auth/login on %s: want 421, got %d", method, wrong, res.StatusCode)
		}
		if len(res.Cookies()) != 0 {
			t.Errorf("%s /auth/login on %s: a session cookie was set", method, wrong)
		}
	}
	// Probes and proxies reach an instance by its own address.
	for _, path := range []string{"/healthz", "/readyz", "/auth/verify", "/.well-known/jwks.json"} {
		if res := sendAs(t, s, http.MethodGet, "10.0.0.7:8080", path); res.StatusCode == http.StatusPermanentRedirect {
			t.Errorf("GET %s by another name: want it answered here, got a redirect to %q", path, res.Header.Get("Location"))
		}
	}
	if res := sendAs(t, s, http.MethodGet, "127.0.0.1:"+port, "/"); res.StatusCode != http.StatusOK {
		t.Errorf("GET / on PUBLIC_URL's own host: want 200, got %d", res.StatusCode)
	}
}

// Host names are compared as cookies see them: case and port do not matter
// (a proxy that passes the name without the port must not loop).
func TestPublicHostMatchesItsOtherSpellings(t *testing.T) {
	cases := map[string]map[string]int{
		"https://login.example": {
			"login.example":        http.StatusOK,
			"LOGIN.Example":        http.StatusOK,
			"login.example:443":    http.StatusOK,
			"login.example:8443":   http.StatusOK,
			"login.example.":       http.StatusPermanentRedirect,
			"evil.example":         http.StatusPermanentRedirect,
			"":                     http.StatusPermanentRedirect,
			"login.example@evil.x": http.StatusPermanentRedirect,
		},
		"http://[::1]:8080": {
			"[::1]:8080":     http.StatusOK,
			"[::1]":          http.StatusOK,
			"127.0.0.1:8080": http.StatusPermanentRedirect,
			"localhost:8080": http.StatusPermanentRedirect,
		},
	}
	for public, hosts := range cases {
		cfg, err := config.Load(func(k string) string {
			return map[string]string{"PUBLIC_URL": public, "SGID_MOCK": "1", "SESSION_STORE": "memory"}[k]
		})
		if err != nil {
			t.Fatal(err)
		}
		a, err := app.Build(context.Background(), cfg, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		defer a.Store.Close()
		for host, want := range hosts {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.Host = host
			rec := httptest.NewRecorder()
			a.Handler.ServeHTTP(rec, req)
			if rec.Code != want {
				t.Errorf("PUBLIC_URL %s, Host %q: want %d, got %d", public, host, want, rec.Code)
			}
			if want == http.StatusPermanentRedirect && rec.Header().Get("Location") != public+"/" {
				t.Errorf("PUBLIC_URL %s, Host %q: want the redirect to %s/, got %q", public, host, public, rec.Header().Get("Location"))
			}
		}
	}
}

// The trap a new user fell into: the start-up log prints 127.0.0.1:PORT, the
// mock returns the browser to PUBLIC_URL (localhost:PORT), and the cookie of
// the login started on 127.0.0.1 is not sent there: "no login in progress".
// A browser that opens the other name now lands on PUBLIC_URL first.
func TestLoginStartedOnAnotherNameOfTheSiteCompletes(t *testing.T) {
	ln := apptest.Listen(t)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	public := "http://localhost:" + port
	s := startSiteOn(t, ln, map[string]string{"PUBLIC_URL": public})

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar} // follows redirects, as browsers do
	res, err := browser.Get(s.url + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	origin := res.Request.URL.Scheme + "://" + res.Request.URL.Host
	b := s.newBrowser()
	b.Client.Jar = jar
	p := b.get(origin + "/")
	token := p.Doc.Find(`form[action="/auth/login"] input[name="csrf_token"]`).AttrOr("value", "")
	req, _ := http.NewRequest(http.MethodPost, origin+"/auth/login", strings.NewReader(url.Values{"csrf_token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	login := b.Do(req)
	if login.Status != http.StatusSeeOther {
		t.Fatalf("POST /auth/login on %s: want 303, got %d: %s", origin, login.Status, login.Body)
	}
	callback, err := s.app.Mock.Approve(login.Header.Get("Location"), "tan-heng-huat", true)
	if err != nil {
		t.Fatal(err)
	}
	if done := b.get(callback); done.Status != http.StatusSeeOther || done.Header.Get("Location") != "/" {
		t.Fatalf("opened as %s: the login did not complete: %d %q", s.url, done.Status, done.Text("error-message"))
	}
}
