package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sgidweb/sgidweb/internal/gatewaytest"
)

// Back or reload after a login opens the callback again: its flow is spent.
// A person who is logged in lands on the home page, still logged in, not on
// an error page; nothing reaches sgID again and no failed login is counted.
// An anonymous person still gets the explanation.
func TestCallbackOpenedAgainWhileLoggedIn(t *testing.T) {
	h := startHostileSite(t, nil)
	b := h.newBrowser()
	// Two tabs start a login; the first finishes.
	cb := h.approveOnly(b, nil)
	second := h.approveOnly(b, nil)
	if p := b.get(cb); p.Status != http.StatusSeeOther || !loggedIn(b) {
		t.Fatalf("first callback: want 303 and logged in, got %d", p.Status)
	}
	// With the second login under way the spent state is merely unknown;
	// the reload leaves that login alone.
	if p := b.get(cb); p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/" || !loggedIn(b) {
		t.Errorf("reload with a second login under way: want 303 to /, still logged in, got %d %q", p.Status, p.Text("error-message"))
	}
	if p := b.get(second); p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/" {
		t.Fatalf("the second login after the reload: want 303, got %d %q", p.Status, p.Text("error-message"))
	}
	// No login under way any more.
	again := map[string]string{
		"reload":                 cb,
		"an unknown state":       withQuery(cb, func(q url.Values) { q.Set("state", "not-ours") }),
		"an error, stale state":  withQuery(cb, func(q url.Values) { q.Del("code"); q.Set("error", "access_denied") }),
		"no query at all":        "/auth/callback",
		"another browser's flow": h.approveOnly(h.newBrowser(), nil),
	}
	for name, target := range again {
		p := b.get(target)
		if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/" {
			t.Errorf("%s while logged in: want 303 to /, got %d %q", name, p.Status, p.Text("error-message"))
		}
		if !loggedIn(b) {
			t.Fatalf("%s while logged in: the person was logged out", name)
		}
	}
	if home := b.get("/"); home.Text("flash") != "" {
		t.Errorf("an access_denied with a stale state left a message for a logged-in person: %q", home.Text("flash"))
	}
	if n := h.p.TokenCalls.Load(); n != 2 {
		t.Errorf("the callbacks opened again reached the token endpoint: %d calls for 2 logins", n)
	}
	if strings.Contains(h.logs.String(), `"event":"login_failed"`) || strings.Contains(h.logs.String(), `"msg":"request refused"`) {
		t.Errorf("a callback opened again by a logged-in person was logged as a failure:\n%s", h.logs.String())
	}
	// The same reload in a browser that is not logged in explains itself.
	anonymous := h.newBrowser()
	h.assertRefused(t, anonymous, anonymous.get(cb), http.StatusBadRequest, "no_login_in_progress")
}

// Under a base path the home page is BASE_PATH: "/" belongs to the
// guarded app (or to nobody), not to us.
func TestCallbackOpenedAgainGoesHomeUnderTheBasePath(t *testing.T) {
	s := startSite(t, map[string]string{"BASE_PATH": "/sgid/"})
	p := gatewaytest.NewPerson(t)
	if home := p.LogInAtMock(p.Follow(p.Open(s.url+"/sgid/auth/login", nil))); home.URL.Path != "/sgid/" {
		t.Fatalf("login: want to land on /sgid/, got %s", home.URL)
	}
	if again := p.Open(s.url+"/sgid/auth/callback", nil); again.Status != http.StatusSeeOther || again.Header.Get("Location") != "/sgid/" {
		t.Errorf("the callback opened again while logged in: want 303 to /sgid/, got %d %q", again.Status, again.Header.Get("Location"))
	}
}
