package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestLoginShowsTheProfile(t *testing.T) {
	s := startSite(t, nil)
	persona := s.app.Mock.Personas()[0]
	b := s.newBrowser()

	anon := b.get("/")
	if anon.Doc.Find(`[data-testid="profile-panel"] [data-testid="field-myinfo-name"]`).Length() != 0 {
		t.Fatal("anonymous home page already shows a profile field")
	}
	if got := anon.Text("consent-status"); !strings.Contains(got, "Name") {
		t.Errorf("anonymous consent status: want the name field to be announced, got %q", got)
	}

	cb := b.login(persona.ID, true)
	if cb.Status != http.StatusSeeOther || cb.Header.Get("Location") != "/" {
		t.Fatalf("callback: want 303 to /, got %d %q: %s", cb.Status, cb.Header.Get("Location"), cb.Body)
	}
	home := b.get("/")
	if got := home.Text("field-myinfo-name"); !strings.Contains(got, persona.Fields["myinfo.name"]) {
		t.Errorf("profile: want the persona's name %q, got %q", persona.Fields["myinfo.name"], got)
	}
	if home.Doc.Find(`form[action="/auth/logout"]`).Length() != 1 {
		t.Error("logged-in page: want a logout form")
	}
	if cc := home.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("personal page: want Cache-Control no-store, got %q", cc)
	}
	if frag := b.get("/fragments/profile"); !strings.Contains(frag.Text("profile-panel"), persona.Fields["myinfo.name"]) || strings.Contains(frag.Body, "<html") {
		t.Errorf("profile fragment: want the region alone with the name, got %d %q", frag.Status, frag.Body)
	}
	assertCleanLogs(t, s, persona.Fields["myinfo.name"])
}

func TestSessionTokenChangesAtLogin(t *testing.T) {
	s := startSite(t, nil)
	b := s.newBrowser()
	b.startLogin() // the session begins when the button is pressed
	before := sessionCookie(t, b)
	b.login(s.app.Mock.Personas()[0].ID, true)
	after := sessionCookie(t, b)
	if before == "" || after == "" || before == after {
		t.Fatalf("session token must change at login: before %q, after %q", before, after)
	}
	// The pre-login token must not carry the login.
	other := s.newBrowser()
	u, _ := url.Parse(s.url)
	other.Client.Jar.SetCookies(u, []*http.Cookie{{Name: s.app.SessionCookieName(), Value: before}})
	if other.get("/").Doc.Find(`form[action="/auth/logout"]`).Length() != 0 {
		t.Fatal("the session token from before login is logged in")
	}
}

func TestDenyLogsNobodyIn(t *testing.T) {
	s := startSite(t, nil)
	b := s.newBrowser()
	cb := b.login(s.app.Mock.Personas()[0].ID, false)
	if cb.Status != http.StatusSeeOther {
		t.Fatalf("callback after deny: want 303 to /, got %d", cb.Status)
	}
	home := b.get("/")
	if home.Doc.Find(`form[action="/auth/logout"]`).Length() != 0 {
		t.Fatal("after deny somebody is logged in")
	}
	if got := home.Text("flash"); !strings.Contains(got, "chose not to share") || !strings.Contains(got, "Nothing was shared") {
		t.Errorf("after deny: want a clear message, got %q", got)
	}
	// One event, one message: the page says it once.
	if n := strings.Count(home.Doc.Find("main").Text(), "not to share"); n != 1 {
		t.Errorf("after deny: want the message once on the page, found it %d times", n)
	}
	if n := home.Doc.Find(".notice").Length(); n != 1 {
		t.Errorf("after deny: want one notice on the page, found %d", n)
	}
}

func TestLogoutEndsTheSessionOnTheServer(t *testing.T) {
	s := startSite(t, nil)
	b := s.newBrowser()
	b.login(s.app.Mock.Personas()[0].ID, true)
	old := sessionCookie(t, b)

	p := b.post("/auth/logout", url.Values{"csrf_token": {b.csrf("/auth/logout")}}, nil)
	if p.Status != http.StatusSeeOther {
		t.Fatalf("logout: want 303, got %d: %s", p.Status, p.Body)
	}
	if b.get("/").Doc.Find(`form[action="/auth/logout"]`).Length() != 0 {
		t.Fatal("still logged in after logout")
	}
	replay := s.newBrowser()
	u, _ := url.Parse(s.url)
	replay.Client.Jar.SetCookies(u, []*http.Cookie{{Name: s.app.SessionCookieName(), Value: old}})
	if replay.get("/").Doc.Find(`form[action="/auth/logout"]`).Length() != 0 {
		t.Fatal("the cookie from before logout still logs someone in")
	}
}

func TestHtmxGetsHXRedirect(t *testing.T) {
	s := startSite(t, nil)
	b := s.newBrowser()
	p := b.post("/auth/login", url.Values{"csrf_token": {b.csrf("/auth/login")}}, map[string]string{"HX-Request": "true"})
	if p.Status/100 != 2 || !strings.Contains(p.Header.Get("HX-Redirect"), "/mock-sgid/v2/oauth/authorize?") {
		t.Fatalf("htmx login: want 2xx with HX-Redirect to the authorize URL, got %d %q", p.Status, p.Header.Get("HX-Redirect"))
	}
}

func TestPostsNeedTheCSRFToken(t *testing.T) {
	s := startSite(t, nil)
	b := s.newBrowser()
	token := b.csrf("/auth/login")
	cases := []struct {
		name    string
		form    url.Values
		headers map[string]string
	}{
		{"no token", url.Values{}, nil},
		{"wrong token", url.Values{"csrf_token": {"forged"}}, nil},
		{"cross-site with the token", url.Values{"csrf_token": {token}}, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}},
		{"foreign origin without fetch metadata", url.Values{"csrf_token": {token}}, map[string]string{"Sec-Fetch-Site": "", "Origin": "https://evil.example"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := b.post("/auth/login", tc.form, tc.headers)
			if p.Status != http.StatusForbidden {
				t.Errorf("want 403, got %d", p.Status)
			}
			if p.Doc.Find(`[data-testid="error-page"]`).Length() != 1 {
				t.Errorf("want the error page, got %q", p.Body)
			}
		})
	}
}

func TestCallbackFailuresShowAClearPage(t *testing.T) {
	s := startSite(t, nil)
	cases := []struct {
		name  string
		query func(b *browser) string
	}{
		{"no login in progress", func(b *browser) string { return "code=abc&state=xyz" }},
		{"state altered", func(b *browser) string {
			u, _ := url.Parse(b.startLogin())
			return "code=abc&state=" + u.Query().Get("state") + "x"
		}},
		{"state missing", func(b *browser) string { b.startLogin(); return "code=abc" }},
		{"provider error", func(b *browser) string {
			u, _ := url.Parse(b.startLogin())
			return "error=server_error&error_description=%3Cscript%3Ealert(1)%3C/script%3E&state=" + u.Query().Get("state")
		}},
		{"code refused by the provider", func(b *browser) string {
			u, _ := url.Parse(b.startLogin())
			return "code=not-a-real-code&state=" + u.Query().Get("state")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := s.newBrowser()
			p := b.get("/auth/callback?" + tc.query(b))
			if p.Status != http.StatusBadRequest {
				t.Errorf("want 400, got %d", p.Status)
			}
			if p.Doc.Find(`[data-testid="error-page"]`).Length() != 1 || p.Doc.Find(`a[href="/"]`).Length() == 0 {
				t.Errorf("want the error page with a way back, got %q", p.Body)
			}
			if strings.Contains(p.Body, "<script>alert") {
				t.Error("error_description was echoed unescaped")
			}
			if b.get("/").Doc.Find(`form[action="/auth/logout"]`).Length() != 0 {
				t.Error("somebody is logged in after a failed callback")
			}
		})
	}
}

func TestCallbackCannotBeReplayed(t *testing.T) {
	s := startSite(t, nil)
	b := s.newBrowser()
	authorize := b.startLogin()
	callback, err := s.app.Mock.Approve(authorize, s.app.Mock.Personas()[0].ID, true)
	if err != nil {
		t.Fatal(err)
	}
	if p := b.get(callback); p.Status != http.StatusSeeOther {
		t.Fatalf("first callback: want 303, got %d", p.Status)
	}
	// Replayed elsewhere (a leaked URL), it logs nobody in. In the browser
	// that logged in it is a reload: see TestCallbackOpenedAgainWhileLoggedIn.
	other := s.newBrowser()
	p := other.get(callback)
	if p.Status != http.StatusBadRequest {
		t.Fatalf("replayed callback: want 400, got %d", p.Status)
	}
	if other.get("/").Doc.Find(`form[action="/auth/logout"]`).Length() != 0 {
		t.Error("a replayed callback logged somebody in")
	}
}

func TestHealthAndReadiness(t *testing.T) {
	s := startSite(t, nil)
	b := s.newBrowser()
	for _, path := range []string{"/healthz", "/readyz"} {
		if p := b.get(path); p.Status != http.StatusOK {
			t.Errorf("%s: want 200, got %d %q", path, p.Status, p.Body)
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	s := startSite(t, nil)
	p := s.newBrowser().get("/")
	want := map[string]string{
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "no-referrer",
	}
	for k, v := range want {
		if got := p.Header.Get(k); got != v {
			t.Errorf("%s: want %q, got %q", k, v, got)
		}
	}
	csp := p.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP is not strict: %q", csp)
	}
	if p.Doc.Find("script:not([src])").Length() != 0 || p.Doc.Find("[style]").Length() != 0 {
		t.Error("the page has inline script or style")
	}
}

func sessionCookie(t testing.TB, b *browser) string {
	t.Helper()
	u, _ := url.Parse(b.site.url)
	for _, c := range b.Client.Jar.Cookies(u) {
		if c.Name == b.site.app.SessionCookieName() {
			return c.Value
		}
	}
	return ""
}

// assertCleanLogs fails if any log line holds a secret or personal data.
func assertCleanLogs(t *testing.T, s *site, personal ...string) {
	t.Helper()
	logs := s.logs.String()
	forbidden := append([]string{s.app.Config.ClientSecret}, personal...)
	for _, f := range forbidden {
		if f != "" && strings.Contains(logs, f) {
			t.Errorf("the logs contain a secret or personal value %q", f)
		}
	}
	// Reason codes such as id_token_invalid may name a token; a token's
	// value or a form or JSON field carrying one may not appear.
	for _, word := range []string{"code=", "access_token=", `access_token\":`, "id_token=", `id_token\":`, "eyJ", "Bearer "} {
		if strings.Contains(logs, word) {
			t.Errorf("the logs contain %q", word)
		}
	}
}

// TestLoginThroughTheMockPages follows the mock provider's own pages the way
// a person does: the authorize page, a persona, the consent screen, Allow.
func TestLoginThroughTheMockPages(t *testing.T) {
	s := startSite(t, nil)
	persona := s.app.Mock.Personas()[1]
	b := s.newBrowser()

	authorize := b.get(b.startLogin())
	if authorize.Status != http.StatusOK || authorize.Doc.Find(`[data-testid="qr-code"]`).Length() != 1 {
		t.Fatalf("authorize page: want 200 with a QR code, got %d", authorize.Status)
	}
	action, _ := authorize.Doc.Find(`[data-testid="persona-form"]`).Attr("action")
	picked := b.post(action, url.Values{"persona": {persona.ID}}, nil)
	if picked.Status != http.StatusSeeOther {
		t.Fatalf("persona choice: want 303 to the consent screen, got %d", picked.Status)
	}
	consent := b.get(picked.Header.Get("Location"))
	if consent.Status != http.StatusOK || consent.Doc.Find(`[data-testid="consent-allow"]`).Length() != 1 {
		t.Fatalf("persona choice: want the consent screen, got %d", consent.Status)
	}
	if consent.Doc.Find(`[data-testid="consent-field-myinfo.name"]`).Length() != 1 {
		t.Error("consent screen: want the name field listed")
	}
	decide, _ := consent.Doc.Find(`[data-testid="consent-form"]`).Attr("action")
	redirect := b.post(decide, url.Values{"decision": {"allow"}}, nil)
	if redirect.Status != http.StatusSeeOther || !strings.HasPrefix(redirect.Header.Get("Location"), s.url+"/auth/callback?") {
		t.Fatalf("Allow: want 303 to our callback, got %d %q", redirect.Status, redirect.Header.Get("Location"))
	}
	if cb := b.get(redirect.Header.Get("Location")); cb.Status != http.StatusSeeOther {
		t.Fatalf("callback: want 303 to /, got %d: %s", cb.Status, cb.Body)
	}
	if got := b.get("/").Text("field-myinfo-name"); !strings.Contains(got, persona.Fields["myinfo.name"]) {
		t.Errorf("profile: want %q, got %q", persona.Fields["myinfo.name"], got)
	}
}
