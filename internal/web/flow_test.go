package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sgidweb/sgidweb/internal/app"
	"github.com/sgidweb/sgidweb/internal/sgidtest"
	"github.com/sgidweb/sgidweb/internal/testkit"
)

// approveOnly starts a login in b and consents at the provider, returning
// the callback URL without following it.
func (h *hostileSite) approveOnly(b *browser, fields map[string]string) string {
	b.t.Helper()
	cb, _, err := h.p.Approve(b.startLogin(), fields)
	if err != nil {
		b.t.Fatalf("provider approve: %v", err)
	}
	return cb
}

func withQuery(raw string, change func(q url.Values)) string {
	u, _ := url.Parse(raw)
	q := u.Query()
	change(q)
	u.RawQuery = q.Encode()
	return u.String()
}

func TestCallbackFlowRefusals(t *testing.T) {
	cases := []struct {
		name   string
		run    func(h *hostileSite, b *browser) page
		status int
		reason string
	}{
		{"no login in progress", func(h *hostileSite, b *browser) page {
			return b.get("/auth/callback?code=c&state=s")
		}, 400, "no_login_in_progress"},
		{"state missing", func(h *hostileSite, b *browser) page {
			return b.get(withQuery(h.approveOnly(b, nil), func(q url.Values) { q.Del("state") }))
		}, 400, "state_mismatch"},
		{"state altered", func(h *hostileSite, b *browser) page {
			return b.get(withQuery(h.approveOnly(b, nil), func(q url.Values) { q.Set("state", q.Get("state")+"x") }))
		}, 400, "state_mismatch"},
		{"state replayed after an error answer", func(h *hostileSite, b *browser) page {
			cb := h.approveOnly(b, nil)
			denied := withQuery(cb, func(q url.Values) { q.Del("code"); q.Set("error", "access_denied") })
			b.get(denied)
			return b.get(cb)
		}, 400, "no_login_in_progress"},
		{"the same code twice", func(h *hostileSite, b *browser) page {
			first := h.newBrowser()
			cb := h.approveOnly(first, nil)
			if p := first.get(cb); p.Status != http.StatusSeeOther {
				t.Fatalf("first use: want 303, got %d", p.Status)
			}
			u, _ := url.Parse(cb)
			// b's own login, answered with the code already spent in another flow.
			mine := h.approveOnly(b, nil)
			return b.get(withQuery(mine, func(q url.Values) { q.Set("code", u.Query().Get("code")) }))
		}, 400, "token_rejected"},
		{"callback from another browser's flow", func(h *hostileSite, b *browser) page {
			victim := h.newBrowser()
			b.startLogin() // b has a login of its own, so the state is merely unknown
			return b.get(h.approveOnly(victim, nil))
		}, 400, "state_mismatch"},
		{"unknown error value", func(h *hostileSite, b *browser) page {
			return b.get(withQuery(h.approveOnly(b, nil), func(q url.Values) { q.Del("code"); q.Set("error", "made_up_error") }))
		}, 400, "provider_error"},
		{"error with no state", func(h *hostileSite, b *browser) page {
			b.startLogin()
			return b.get("/auth/callback?error=access_denied")
		}, 400, "state_mismatch"},
		{"code repeated in the query", func(h *hostileSite, b *browser) page {
			return b.get(h.approveOnly(b, nil) + "&code=second")
		}, 400, "callback_malformed"},
		{"oversized parameter", func(h *hostileSite, b *browser) page {
			return b.get(withQuery(h.approveOnly(b, nil), func(q url.Values) { q.Set("error_description", strings.Repeat("A", 4096)) }))
		}, 400, "callback_malformed"},
		{"code missing with the right state", func(h *hostileSite, b *browser) page {
			return b.get(withQuery(h.approveOnly(b, nil), func(q url.Values) { q.Del("code") }))
		}, 400, "callback_malformed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := startHostileSite(t, nil)
			b := h.newBrowser()
			h.assertRefused(t, b, tc.run(h, b), tc.status, tc.reason)
		})
	}
}

func TestReplayedCallbackMakesNoSecondExchange(t *testing.T) {
	h := startHostileSite(t, nil)
	b := h.newBrowser()
	cb := h.approveOnly(b, nil)
	if p := b.get(cb); p.Status != http.StatusSeeOther {
		t.Fatalf("first callback: want 303, got %d", p.Status)
	}
	// In the browser that logged in, a replay is a reload: home, still
	// logged in (TestCallbackOpenedAgainWhileLoggedIn). Elsewhere it is
	// refused. Neither reaches sgID.
	if p := b.get(cb); p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/" {
		t.Fatalf("replayed callback in the logged-in browser: want 303 to /, got %d", p.Status)
	}
	p := h.newBrowser().get(cb)
	if p.Status != http.StatusBadRequest || p.Doc.Find(`[data-testid="error-page"]`).Length() != 1 {
		t.Fatalf("replayed callback in another browser: want the 400 error page, got %d", p.Status)
	}
	if n := h.p.TokenCalls.Load(); n != 1 {
		t.Errorf("a replayed callback reached the token endpoint: %d calls", n)
	}
	h.assertCleanLogs(t)
}

func TestFlowOlderThanTenMinutesIsRefused(t *testing.T) {
	clock := testkit.NewClock(time.Now())
	h := startHostileSite(t, nil, app.WithClock(clock.Now))
	h.p.Now = clock.Now
	b := h.newBrowser()
	cb := h.approveOnly(b, nil)
	clock.Advance(10*time.Minute + time.Second)
	h.assertRefused(t, b, b.get(cb), http.StatusBadRequest, "flow_expired")
	if n := h.p.TokenCalls.Load(); n != 0 {
		t.Errorf("an expired flow reached the token endpoint: %d calls", n)
	}
}

func TestFlowJustUnderTenMinutesSucceeds(t *testing.T) {
	clock := testkit.NewClock(time.Now())
	h := startHostileSite(t, nil, app.WithClock(clock.Now))
	h.p.Now = clock.Now
	b := h.newBrowser()
	cb := h.approveOnly(b, nil)
	clock.Advance(9*time.Minute + 50*time.Second)
	if p := b.get(cb); p.Status != http.StatusSeeOther {
		t.Fatalf("want 303, got %d: %s", p.Status, p.Body)
	}
}

// TestTwoTabsLogInAtOnce starts two logins in one browser and finishes them
// in the other order: each succeeds, and the page then shows the person of
// the login finished last, never a mix-up.
func TestTwoTabsLogInAtOnce(t *testing.T) {
	h := startHostileSite(t, nil)
	b := h.newBrowser()
	tab1 := h.approveOnly(b, map[string]string{"myinfo.name": "TAB ONE PERSON"})
	tab2 := h.approveOnly(b, map[string]string{"myinfo.name": "TAB TWO PERSON"})
	for _, tab := range []struct{ cb, name string }{{tab2, "TAB TWO PERSON"}, {tab1, "TAB ONE PERSON"}} {
		if p := b.get(tab.cb); p.Status != http.StatusSeeOther {
			t.Fatalf("tab of %s: want 303, got %d: %s", tab.name, p.Status, p.Body)
		}
		if got := b.get("/").Text("field-myinfo-name"); !strings.Contains(got, tab.name) {
			t.Errorf("after the tab of %s finished, the page shows %q", tab.name, got)
		}
	}
}

func TestAccessDeniedLogsNobodyIn(t *testing.T) {
	h := startHostileSite(t, nil)
	b := h.newBrowser()
	p := b.get(withQuery(h.approveOnly(b, nil), func(q url.Values) { q.Del("code"); q.Set("error", "access_denied") }))
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/" {
		t.Fatalf("access_denied: want 303 to /, got %d %q", p.Status, p.Header.Get("Location"))
	}
	home := b.get("/")
	if loggedIn(b) || !strings.Contains(home.Text("flash"), "chose not to share") {
		t.Errorf("access_denied: want nobody logged in and a clear message, got %q", home.Text("flash"))
	}
	if h.p.TokenCalls.Load() != 0 {
		t.Error("access_denied reached the token endpoint")
	}
	h.assertCleanLogs(t)
}

// TestReturnToNeverLeavesTheSite logs in with each return_to and checks
// where the browser is sent afterwards.
func TestReturnToNeverLeavesTheSite(t *testing.T) {
	cases := map[string]string{
		"//evil.example":                "/",
		"https://evil.example":          "/",
		`/\evil.example`:                "/",
		`/\/evil.example`:               "/",
		"/\t/evil.example":              "/",
		"javascript:alert(1)":           "/",
		"evil.example":                  "/",
		"/" + strings.Repeat("a", 2100): "/",
		"":                              "/",
		"/fragments/profile?x=1":        "/fragments/profile?x=1",
	}
	h := startHostileSite(t, nil)
	for target, want := range cases {
		t.Run(target, func(t *testing.T) {
			b := h.newBrowser()
			p := b.post("/auth/login", url.Values{"csrf_token": {b.csrf("/auth/login")}, "return_to": {target}}, nil)
			cb, _, err := h.p.Approve(p.Header.Get("Location"), nil)
			if err != nil {
				t.Fatal(err)
			}
			got := b.get(cb)
			if got.Status != http.StatusSeeOther || got.Header.Get("Location") != want {
				t.Errorf("return_to %q: want 303 to %q, got %d %q", target, want, got.Status, got.Header.Get("Location"))
			}
		})
	}
}

// TestSpoofedHostNeverChangesTheRedirectURI sends the login with forged
// X-Forwarded-* headers: the redirect_uri sent to sgID stays the configured
// one. A forged Host is refused before any login starts.
func TestSpoofedHostNeverChangesTheRedirectURI(t *testing.T) {
	h := startHostileSite(t, nil)
	b := h.newBrowser()
	token := b.csrf("/auth/login")
	form := url.Values{"csrf_token": {token}}.Encode()
	forged, _ := http.NewRequest(http.MethodPost, h.url+"/auth/login", strings.NewReader(form))
	forged.Host = "evil.example"
	forged.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if p := b.Do(forged); p.Status != http.StatusMisdirectedRequest || p.Header.Get("Location") != "" {
		t.Fatalf("login with a forged Host: want 421 and no redirect, got %d %q", p.Status, p.Header.Get("Location"))
	}
	req, _ := http.NewRequest(http.MethodPost, h.url+"/auth/login", strings.NewReader(form))
	for _, c := range b.Client.Jar.Cookies(req.URL) {
		req.AddCookie(c)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", h.url)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("X-Forwarded-Host", "evil.example")
	req.Header.Set("X-Forwarded-Proto", "https")
	req.Header.Set("Forwarded", "host=evil.example;proto=https")
	p := b.Do(req)
	if p.Status != http.StatusSeeOther {
		t.Fatalf("login: want 303, got %d: %s", p.Status, p.Body)
	}
	u, _ := url.Parse(p.Header.Get("Location"))
	if got := u.Query().Get("redirect_uri"); got != h.p.RedirectURI {
		t.Errorf("redirect_uri: want %q, got %q", h.p.RedirectURI, got)
	}
	if !strings.HasPrefix(p.Header.Get("Location"), sgidtest.ClientID) && !strings.HasPrefix(p.Header.Get("Location"), h.p.Issuer) {
		t.Errorf("the login went to %q, not to the configured sgID", p.Header.Get("Location"))
	}
}
