package web_test

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/sgidweb/sgidweb/internal/app"
	"github.com/sgidweb/sgidweb/internal/apptest"
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

// browser is a cookie-keeping client that does not follow redirects, so
// each hop can be checked.
type browser struct {
	t      testing.TB
	site   *site
	client *http.Client
}

func (s *site) newBrowser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: s.t, site: s, client: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type page struct {
	status int
	header http.Header
	body   string
	doc    *goquery.Document
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	res, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	doc, _ := goquery.NewDocumentFromReader(bytes.NewReader(body))
	return page{status: res.StatusCode, header: res.Header, body: string(body), doc: doc}
}

func (b *browser) get(target string) page {
	b.t.Helper()
	if strings.HasPrefix(target, "/") {
		target = b.site.url + target
	}
	req, _ := http.NewRequest(http.MethodGet, target, nil)
	return b.do(req)
}

// post submits a form the way a browser on our own page does.
func (b *browser) post(path string, form url.Values, headers map[string]string) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.site.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.site.url)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return b.do(req)
}

// csrf reads the CSRF input of the form posting to action on the home page.
func (b *browser) csrf(action string) string {
	b.t.Helper()
	p := b.get("/")
	if p.status != http.StatusOK {
		b.t.Fatalf("GET /: want 200, got %d", p.status)
	}
	token, ok := p.doc.Find(`form[action="` + action + `"] input[name="csrf_token"]`).Attr("value")
	if !ok || token == "" {
		b.t.Fatalf("GET /: no CSRF input in the form posting to %s", action)
	}
	return token
}

// startLogin presses "Login with sgID" and returns the authorize URL.
func (b *browser) startLogin() string {
	b.t.Helper()
	p := b.post("/auth/login", url.Values{"csrf_token": {b.csrf("/auth/login")}}, nil)
	if p.status != http.StatusSeeOther {
		b.t.Fatalf("POST /auth/login: want 303, got %d: %s", p.status, p.body)
	}
	return p.header.Get("Location")
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

func (p page) text(testid string) string {
	return strings.TrimSpace(p.doc.Find(`[data-testid="` + testid + `"]`).Text())
}
