package web_test

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sgidweb/sgidweb/internal/app"
	"github.com/sgidweb/sgidweb/internal/apptest"
	"github.com/sgidweb/sgidweb/internal/testkit"
)

// site is a running sgidweb in mock mode on a loopback port.
type site struct {
	t    testing.TB
	url  string
	app  *app.App
	logs *apptest.LogBuffer
}

// startSite serves the real router with the embedded mock provider; env
// adds or overrides variables.
func startSite(t testing.TB, env map[string]string) *site {
	t.Helper()
	return startSiteOn(t, apptest.Listen(t), env)
}

// startSiteOn serves on ln, so a test can learn the address (say, to
// register the callback with a test provider) before the site starts.
func startSiteOn(t testing.TB, ln net.Listener, env map[string]string, opts ...app.Option) *site {
	t.Helper()
	s := apptest.Start(t, ln, env, opts...)
	return &site{t: t, url: s.URL, app: s.App, logs: s.Logs}
}

// browser is the shared test browser (cookies kept, redirects not
// followed, so each hop can be checked) pointed at one site.
type browser struct {
	*testkit.Browser
	t    testing.TB
	site *site
}

// page is what the browser read.
type page = testkit.Page

func (s *site) newBrowser() *browser {
	return &browser{Browser: testkit.NewBrowser(s.t), t: s.t, site: s}
}

// get fetches a path on the site, or an absolute URL.
func (b *browser) get(target string) page {
	b.t.Helper()
	if strings.HasPrefix(target, "/") {
		target = b.site.url + target
	}
	return b.Get(target)
}

// post submits a form the way a browser on our own page does.
func (b *browser) post(path string, form url.Values, headers map[string]string) page {
	b.t.Helper()
	return b.PostForm(b.site.url+path, form, headers)
}

// csrf reads the CSRF input of the form posting to action on the home page.
func (b *browser) csrf(action string) string {
	b.t.Helper()
	p := b.get("/")
	if p.Status != http.StatusOK {
		b.t.Fatalf("GET /: want 200, got %d", p.Status)
	}
	token, ok := p.Doc.Find(`form[action="` + action + `"] input[name="csrf_token"]`).Attr("value")
	if !ok || token == "" {
		b.t.Fatalf("GET /: no CSRF input in the form posting to %s", action)
	}
	return token
}

// startLogin presses "Log in with sgID" and returns the authorize URL.
func (b *browser) startLogin() string {
	b.t.Helper()
	p := b.post("/auth/login", url.Values{"csrf_token": {b.csrf("/auth/login")}}, nil)
	if p.Status != http.StatusSeeOther {
		b.t.Fatalf("POST /auth/login: want 303, got %d: %s", p.Status, p.Body)
	}
	return p.Header.Get("Location")
}

// login runs the whole flow for a persona, allowing or denying at the mock,
// and returns the callback's answer.
func (b *browser) login(personaID string, allow bool) page {
	b.t.Helper()
	authorize := b.startLogin()
	callback, err := b.site.app.Mock.Approve(authorize, personaID, allow)
	if err != nil {
		b.t.Fatalf("mock approve: %v", err)
	}
	return b.get(callback)
}
