package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/sgidweb/sgidweb/internal/gatewaytest"
)

const (
	iPhoneSafari  = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
	windowsChrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)

// userAgent makes every request of a test browser carry ua.
type userAgent struct {
	ua   string
	next http.RoundTripper
}

func (u userAgent) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("User-Agent", u.ua)
	return u.next.RoundTrip(req)
}

func (s *site) browserAs(ua string) *browser {
	b := s.newBrowser()
	b.Client.Transport = userAgent{ua: ua, next: http.DefaultTransport}
	return b
}

// sessionsPage reads /sessions as the person sees it.
func (b *browser) sessionsPage() page {
	b.t.Helper()
	p := b.get("/sessions")
	if p.Status != http.StatusOK || p.Doc.Find(`[data-testid="sessions-page"]`).Length() != 1 {
		b.t.Fatalf("GET /sessions: want the sessions page, got %d", p.Status)
	}
	return p
}

// endFormOf finds the form that ends the session on browser name.
func endFormOf(p page, browserName string) (id, token string) {
	p.Doc.Find(`[data-testid="session-item"]`).Each(func(_ int, item *goquery.Selection) {
		if strings.Contains(item.Text(), browserName) {
			id = item.Find(`input[name="session"]`).AttrOr("value", "")
			token = item.Find(`input[name="csrf_token"]`).AttrOr("value", "")
		}
	})
	return id, token
}

// postAndFollow posts a form of the sessions page and reads where it leads.
func (b *browser) postAndFollow(path string, form url.Values) page {
	b.t.Helper()
	p := b.post(path, form, nil)
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/sessions" {
		b.t.Fatalf("POST %s: want 303 to /sessions, got %d %q", path, p.Status, p.Text("error-message"))
	}
	return b.sessionsPage()
}

func TestPersonSeesAndEndsTheirSessionsOnThePage(t *testing.T) {
	s := startSite(t, nil)
	personas := s.app.Mock.Personas()
	me, someoneElse := personas[0].ID, personas[1].ID
	phone, laptop, other := s.browserAs(iPhoneSafari), s.browserAs(windowsChrome), s.browserAs(windowsChrome)
	for _, b := range []*browser{phone, laptop} {
		b.login(me, true)
	}
	other.login(someoneElse, true)

	if anon := s.newBrowser().get("/sessions"); anon.Status != http.StatusSeeOther || anon.Header.Get("Location") != "/" {
		t.Fatalf("GET /sessions without logging in: want 303 home, got %d", anon.Status)
	}
	if laptop.get("/").Doc.Find(`a[data-testid="sessions-link"][href="/sessions"]`).Length() != 1 {
		t.Fatal("the logged-in home page does not link to /sessions")
	}

	p := laptop.sessionsPage()
	items := p.Doc.Find(`[data-testid="session-item"]`)
	if items.Length() != 2 {
		t.Fatalf("my sessions from the laptop: want 2, got %d", items.Length())
	}
	current := p.Doc.Find(`[data-testid="session-item"]:has([data-testid="session-current"])`)
	if current.Length() != 1 || !strings.Contains(current.Text(), "Chrome on Windows") || current.Find("form").Length() != 0 {
		t.Fatalf("this browser: want one item, Chrome on Windows, marked and without an end form; got %q", current.Text())
	}
	phoneID, token := endFormOf(p, "Safari on iPhone")
	if phoneID == "" || token == "" {
		t.Fatal("the phone's session has no end form with a CSRF token")
	}
	if strings.Contains(p.Body, sessionCookie(t, phone)) || strings.Contains(p.Body, sessionCookie(t, laptop)) {
		t.Fatal("the page shows a session cookie")
	}
	if p.Doc.Find(`time[datetime]`).Length() != 4 {
		t.Error("want a started and a last active <time> for each session")
	}

	// Without the CSRF token, nothing ends.
	if refused := laptop.post("/sessions/end", url.Values{"session": {phoneID}}, nil); refused.Status != http.StatusForbidden {
		t.Fatalf("end without a CSRF token: want 403, got %d", refused.Status)
	}
	// Someone else's session cannot be ended by its ID.
	otherID, _ := endFormOf(other.sessionsPage(), "Chrome on Windows")
	p = laptop.postAndFollow("/sessions/end", url.Values{"csrf_token": {token}, "session": {otherID}})
	if !strings.Contains(p.Text("flash"), "already ended") || !loggedIn(other) {
		t.Fatalf("ending another person's session: want refused and them still logged in, got %q", p.Text("flash"))
	}

	p = laptop.postAndFollow("/sessions/end", url.Values{"csrf_token": {token}, "session": {phoneID}})
	if !strings.Contains(p.Text("flash"), "That session is ended") || p.Doc.Find(`[data-testid="session-item"]`).Length() != 1 {
		t.Fatalf("after ending the phone's session: want the message and one session left, got %q", p.Text("flash"))
	}
	if loggedIn(phone) {
		t.Fatal("the phone is still logged in after its session was ended")
	}
	if !loggedIn(laptop) || !loggedIn(other) {
		t.Fatal("ending the phone's session logged out another browser")
	}

	// End all others.
	phone.login(me, true)
	tablet := s.browserAs(iPhoneSafari)
	tablet.login(me, true)
	token = laptop.sessionsPage().Doc.Find(`[data-testid="end-others-form"] input[name="csrf_token"]`).AttrOr("value", "")
	p = laptop.postAndFollow("/sessions/end-others", url.Values{"csrf_token": {token}})
	if !strings.Contains(p.Text("flash"), "Your 2 other sessions are ended") || p.Text("sessions-only-this") == "" {
		t.Fatalf("after ending all others: want them counted and this one alone, got %q", p.Text("flash"))
	}
	if loggedIn(phone) || loggedIn(tablet) || !loggedIn(laptop) || !loggedIn(other) {
		t.Fatal("end all others: want the phone and tablet logged out, the laptop and the other person kept")
	}

	logs := s.logs.String()
	for _, event := range []string{`"event":"session_ended"`, `"event":"other_sessions_ended"`} {
		if !strings.Contains(logs, event) {
			t.Errorf("want an audit line %s", event)
		}
	}
	assertCleanLogs(t, s, personas[0].Fields["myinfo.name"], personas[1].Fields["myinfo.name"], phoneID, otherID)
}

// Under a base path the sessions page lives there, and its links, forms
// and redirects stay there.
func TestSessionsPageUnderABasePath(t *testing.T) {
	s := startSite(t, map[string]string{"BASE_PATH": "/sgid/"})
	if anon := s.newBrowser().get("/sgid/sessions"); anon.Status != http.StatusSeeOther || anon.Header.Get("Location") != "/sgid/" {
		t.Fatalf("GET /sgid/sessions without logging in: want 303 to /sgid/, got %d %q", anon.Status, anon.Header.Get("Location"))
	}
	first, second := gatewaytest.NewPerson(t), gatewaytest.NewPerson(t)
	for _, p := range []*gatewaytest.Person{first, second} {
		p.LogInAtMock(p.Follow(p.Open(s.url+"/sgid/auth/login", nil)))
	}
	home := first.Open(s.url+"/sgid/", nil)
	if home.Doc.Find(`a[data-testid="sessions-link"][href="/sgid/sessions"]`).Length() != 1 {
		t.Fatal("the home page under /sgid/ does not link to /sgid/sessions")
	}
	p := first.Open(s.url+"/sgid/sessions", nil)
	if p.Status != http.StatusOK || p.Doc.Find(`[data-testid="session-item"]`).Length() != 2 ||
		p.Doc.Find(`a[data-testid="sessions-back"][href="/sgid/"]`).Length() != 1 {
		t.Fatalf("GET /sgid/sessions: want two sessions and a link back to /sgid/, got %d", p.Status)
	}
	ended := first.Submit(p, `form[data-testid="end-others-form"][action="/sgid/sessions/end-others"]`, nil)
	if ended.Status != http.StatusSeeOther || ended.Header.Get("Location") != "/sgid/sessions" {
		t.Fatalf("end all others under /sgid/: want 303 to /sgid/sessions, got %d %q", ended.Status, ended.Header.Get("Location"))
	}
	if again := second.Open(s.url+"/sgid/sessions", nil); again.Status != http.StatusSeeOther {
		t.Fatalf("the other browser after its session was ended: want sent home, got %d", again.Status)
	}
}
