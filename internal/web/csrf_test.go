package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// postWithHost posts the login form as it arrives through a proxy that
// rewrites Host: the browser's Origin is PUBLIC_URL, the Host the server
// sees is not.
func postWithHost(b *browser, host, origin string) page {
	b.t.Helper()
	form := url.Values{"csrf_token": {b.csrf("/auth/login")}}
	req, err := http.NewRequest(http.MethodPost, b.site.url+"/auth/login", strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Host = host
	// The client files cookies under req.Host; the proxy would pass on
	// the ones the browser holds for PUBLIC_URL.
	for _, c := range b.Client.Jar.Cookies(req.URL) {
		req.AddCookie(c)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", origin)
	return b.Do(req)
}

// net/http's cross-origin check compares Origin with Host, port included;
// PUBLIC_URL's origin is trusted beside it, so a proxy that passes the host
// name without its port (nginx's $host) does not make every form a
// cross-site one, while a foreign Origin is still refused. (A proxy that
// puts its upstream's name in Host cannot serve the site at all: every GET
// is sent back to PUBLIC_URL, see TestOtherHostsAreSentToPublicURL.)
func TestPublicURLIsTrustedWhenAProxyRewritesHost(t *testing.T) {
	s := startSite(t, nil)
	b := s.newBrowser()
	u, _ := url.Parse(s.url)
	portless := u.Hostname()
	if p := postWithHost(b, portless, s.url); p.Status != http.StatusSeeOther {
		t.Errorf("Origin = PUBLIC_URL, Host rewritten: want 303, got %d (%s)", p.Status, p.Text("error-message"))
	}
	if p := postWithHost(b, portless, "https://evil.example"); p.Status != http.StatusForbidden {
		t.Errorf("foreign Origin, Host rewritten: want 403, got %d", p.Status)
	}
	if !strings.Contains(s.logs.String(), `"reason":"csrf_origin"`) {
		t.Error("the foreign Origin was not refused as csrf_origin")
	}
}

// Every redirect goes through one helper: an htmx logout gets 2xx with
// HX-Redirect, as an htmx login does, and the session still ends.
func TestHtmxLogoutGetsHXRedirect(t *testing.T) {
	s := startSite(t, nil)
	b := s.newBrowser()
	b.login(s.app.Mock.Personas()[0].ID, true)
	p := b.post("/auth/logout", url.Values{"csrf_token": {b.csrf("/auth/logout")}}, map[string]string{"HX-Request": "true"})
	if p.Status/100 != 2 || p.Header.Get("HX-Redirect") != "/" {
		t.Fatalf("htmx logout: want 2xx with HX-Redirect /, got %d %q", p.Status, p.Header.Get("HX-Redirect"))
	}
	if b.get("/").Doc.Find(`form[action="/auth/logout"]`).Length() != 0 {
		t.Fatal("still logged in after an htmx logout")
	}
}
