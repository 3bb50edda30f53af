package gatewaytest

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/websocket"

	"github.com/sgidweb/sgidweb/internal/gateway"
)

// GuardedPath is the guarded address every setup is tried with: a query
// with two parameters and an escaped space, which a careless redirect cuts
// at the & or unescapes.
const GuardedPath = "/app/page?x=1&y=two%20words"

// Setup is sgidweb guarding App behind one proxy, as a browser reaches it.
type Setup struct {
	Origin string // scheme://host:port the browser uses (PUBLIC_URL)
	Base   string // BASE_PATH, e.g. "/sgid/"
	App    *App
	// Cookie is the session cookie's name.
	Cookie string
	// OtherSgidHeaders is true when the proxy cannot drop X-Sgid-* names
	// other than the two it sets (nginx): the upstream must trust only
	// those two.
	OtherSgidHeaders bool
	// WebSocket: also open a WebSocket to the app through the proxy.
	WebSocket bool
}

// CheckGuard is what a person meets at a guarded app: sent to the login
// from a guarded URL with a query, back on that very URL after the mock
// sgID, the app able to verify who they are, nothing forged getting
// through, and a login asked for again after logout.
func CheckGuard(t *testing.T, s Setup) {
	t.Helper()
	guarded := s.Origin + GuardedPath
	login := s.Base + "auth/login?return_to=" + url.QueryEscape(GuardedPath)
	s.App.Trust(s.Origin+s.Base+".well-known/jwks.json", s.Origin+s.Base)
	p := NewPerson(t)

	// Anonymous: a page load goes to the login; a script, a form post and
	// an upgrade get 401 and reach nothing.
	first := p.Open(guarded, nil)
	if loc := first.Location(); first.Status != http.StatusFound && first.Status != http.StatusSeeOther || loc == nil || loc.RequestURI() != login {
		t.Fatalf("anonymous GET %s: want a redirect to %s, got %d to %v: %s", GuardedPath, login, first.Status, first.Header.Get("Location"), first.Body)
	}
	if r := p.Request(http.MethodGet, guarded, map[string]string{"Accept": "application/json"}, ""); r.Status != http.StatusUnauthorized {
		t.Errorf("anonymous fetch: want 401, got %d %q", r.Status, r.Body)
	}
	if r := p.Request(http.MethodPost, guarded, map[string]string{"Accept": "text/html", "Content-Type": "application/x-www-form-urlencoded"}, "a=1"); r.Status != http.StatusUnauthorized {
		t.Errorf("anonymous form post: want 401, got %d %q", r.Status, r.Body)
	}
	if s.WebSocket {
		if _, err := dialWebSocket(s.Origin, p); err == nil {
			t.Error("anonymous WebSocket: the upgrade reached the app")
		}
	}

	// The login, through the mock sgID's pages, ends on the guarded URL.
	authorize := p.Follow(first)
	landed := p.LogInAtMock(authorize)
	if landed.URL.String() != guarded || landed.Status != http.StatusOK {
		t.Fatalf("after login: want %s with 200, got %s with %d: %s", guarded, landed.URL, landed.Status, landed.Body)
	}
	got := Echoed(t, landed)
	if got.URI != GuardedPath || got.Method != http.MethodGet {
		t.Errorf("app received %s %s, want GET %s", got.Method, got.URI, GuardedPath)
	}
	if got.AssertionError != "" || got.Subject == "" {
		t.Fatalf("app could not verify the assertion (subject %q): %s", got.Subject, got.AssertionError)
	}
	if name, _ := got.Claims["myinfo.name"].(string); name == "" {
		t.Errorf("assertion: want the shared myinfo.name claim, got %v", got.Claims)
	}
	subject := got.Subject

	// Our session cookie stays with us; the app's own cookie reaches it.
	token := p.Cookie(s.Origin, s.Cookie)
	if token == "" {
		t.Fatalf("no %s cookie after login; have %v", s.Cookie, p.Cookies(s.Origin))
	}
	again := Echoed(t, p.Open(guarded, nil))
	if cookie := strings.Join(again.Header.Values("Cookie"), "; "); strings.Contains(cookie, token) || !strings.Contains(cookie, AppCookie) {
		t.Errorf("Cookie at the app: want %s without the session token, got %q", AppCookie, cookie)
	}

	// Wherever our cookie stands in the header, it is taken out and the
	// app's cookies are kept.
	for header, want := range map[string]string{
		s.Cookie + "=" + token + "; a=1":           "a=1",
		"a=1; " + s.Cookie + "=" + token + "; b=2": "a=1; b=2",
		"a=1;" + s.Cookie + "=" + token:            "a=1",
	} {
		got := Echoed(t, NewPerson(t).Open(guarded, map[string]string{"Cookie": header}))
		if kept := cookiePairs(got.Header.Values("Cookie")); kept != want {
			t.Errorf("Cookie %q: want %q at the app, got %q", strings.Replace(header, token, "TOKEN", 1), want, strings.Join(got.Header.Values("Cookie"), "; "))
		}
	}

	// Forged identity headers never arrive.
	forged := Echoed(t, p.Open(guarded, map[string]string{
		gateway.HeaderSubject: "victim", gateway.HeaderAssertion: "forged", gateway.HeaderLogin: "/evil", "X-Sgid-Role": "admin",
	}))
	if forged.Subject != subject || forged.AssertionError != "" || len(forged.Header.Values(gateway.HeaderSubject)) != 1 || len(forged.Header.Values(gateway.HeaderAssertion)) != 1 {
		t.Errorf("with forged headers: want only ours (subject %s, a valid assertion), got %q %q (%s)",
			subject, forged.Header.Values(gateway.HeaderSubject), forged.Header.Values(gateway.HeaderAssertion), forged.AssertionError)
	}
	if v := forged.Header.Values(gateway.HeaderLogin); len(v) != 0 {
		t.Errorf("a forged %s reached the app: %q", gateway.HeaderLogin, v)
	}
	if v := forged.Header.Values("X-Sgid-Role"); len(v) != 0 && !s.OtherSgidHeaders {
		t.Errorf("a forged X-Sgid-Role reached the app: %q", v)
	}

	if s.WebSocket {
		ws, err := dialWebSocket(s.Origin, p)
		if err != nil {
			t.Fatalf("WebSocket through the proxy: %v", err)
		}
		_ = ws.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := ws.Write([]byte("hello over the guard")); err != nil {
			t.Fatalf("WebSocket write: %v", err)
		}
		buf := make([]byte, 64)
		n, err := ws.Read(buf)
		if err != nil || string(buf[:n]) != "hello over the guard" {
			t.Errorf("WebSocket echo: want the message back, got %q, %v", buf[:n], err)
		}
		ws.Close()
	}

	// After logout the guarded URL asks for a login again.
	if out := p.LogOut(s.Origin + s.Base); out.Status != http.StatusSeeOther {
		t.Fatalf("logout: want 303, got %d %q", out.Status, out.Body)
	}
	if after := p.Open(guarded, nil); after.Location() == nil || after.Location().RequestURI() != login {
		t.Errorf("after logout: want a redirect to %s, got %d %q", login, after.Status, after.Body)
	}
}

// dialWebSocket opens the app's /ws with the person's cookies.
func dialWebSocket(origin string, p *Person) (*websocket.Conn, error) {
	cfg, err := websocket.NewConfig(strings.Replace(origin, "http", "ws", 1)+"/ws", origin)
	if err != nil {
		return nil, err
	}
	cfg.Header = http.Header{}
	for _, c := range p.Cookies(origin) {
		cfg.Header.Add("Cookie", c.Name+"="+c.Value)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return cfg.DialContext(ctx)
}

// cookiePairs joins the name=value pairs of Cookie headers, without empty
// ones, with "; ".
func cookiePairs(values []string) string {
	var pairs []string
	for _, v := range values {
		for _, pair := range strings.Split(v, ";") {
			if pair = strings.TrimSpace(pair); pair != "" {
				pairs = append(pairs, pair)
			}
		}
	}
	return strings.Join(pairs, "; ")
}
