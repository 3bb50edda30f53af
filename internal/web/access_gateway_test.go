package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgidweb/sgidweb/internal/access"
	"github.com/sgidweb/sgidweb/internal/apptest"
	"github.com/sgidweb/sgidweb/internal/gateway"
	"github.com/sgidweb/sgidweb/internal/gatewaytest"
	"github.com/sgidweb/sgidweb/internal/testkit"
)

// startGuardedApp serves sgidweb at /sgid/ in front of app under
// ACCESS_ALLOW=allow, its sessions in an SQLite file in dir, with the keys
// fixed so that a restart on the same store keeps the sessions and forms.
func startGuardedApp(t *testing.T, app *gatewaytest.App, allow, dir string) *site {
	t.Helper()
	s := startSiteOn(t, apptest.Listen(t), map[string]string{
		"BASE_PATH": "/sgid/", "UPSTREAM_URL": app.URL,
		"ACCESS_ALLOW": allow, "SGID_SCOPES": officerScopes,
		"SESSION_STORE":  "sqlite:" + filepath.Join(dir, "sessions.db"),
		"AUDIT_HASH_KEY": testAuditKey, "CSRF_KEY": "csrf-key-for-tests-0123456789abcdef",
	})
	app.Trust(s.url+"/sgid/.well-known/jwks.json", s.url+"/sgid/")
	return s
}

// logInAs logs p in at the mock as persona, coming back to /app, and
// returns the page after the callback (the picker, or the app).
func logInAs(t *testing.T, p *gatewaytest.Person, s *site, persona string) testkit.Page {
	t.Helper()
	authorize := p.Follow(p.Open(s.url+"/sgid/auth/login?return_to=/app", nil))
	consent := p.Follow(p.Submit(authorize, `form[data-testid="persona-form"]`, url.Values{"persona": {persona}}))
	return p.Follow(p.Submit(consent, `form[data-testid="consent-form"]`, url.Values{"decision": {"allow"}}))
}

// officerDetails is the public officer details the app received in the
// verified assertion.
func officerDetails(t *testing.T, page testkit.Page) []access.Posting {
	t.Helper()
	got := gatewaytest.Echoed(t, page)
	if got.AssertionError != "" {
		t.Fatalf("the app could not verify the assertion: %s", got.AssertionError)
	}
	v, _ := got.Claims[access.OfficerScope].(string)
	return access.ParsePostings(v)
}

// The posting chosen at login is what the gateway passes on, and the
// gateway checks it on every request: after ACCESS_ALLOW changes, a session
// whose posting no longer passes gets 403 from forward auth and the
// built-in proxy, and the app never sees the request.
func TestGatewayChecksTheChosenPosting(t *testing.T) {
	app := gatewaytest.StartApp(t)
	dir := t.TempDir()
	p := gatewaytest.NewPerson(t)

	t.Run("log in under public-officer, choosing the ministry", func(t *testing.T) {
		s := startGuardedApp(t, app, "public-officer", dir)
		picker := logInAs(t, p, s, twoPostings)
		if picker.URL.Path != "/sgid/auth/posting" {
			t.Fatalf("want the picker at /sgid/auth/posting, got %s", picker.URL)
		}
		landed := p.Follow(p.Submit(picker, `form[data-testid="posting-0-form"]`, nil))
		if landed.URL.Path != "/app" {
			t.Fatalf("after choosing: want the app at /app, got %s %d", landed.URL, landed.Status)
		}
		if got := officerDetails(t, landed); len(got) != 1 || got[0].AgencyName != "Ministry of Mock Affairs" {
			t.Errorf("the app received postings %+v, want the chosen one alone", got)
		}
		if v := p.Request(http.MethodGet, s.url+"/sgid/auth/verify", nil, ""); v.Status != http.StatusOK {
			t.Errorf("verify under the policy the posting passes: want 200, got %d", v.Status)
		}
	})

	s := startGuardedApp(t, app, "agency:Sandbox_Statutory_Board", dir)
	verify := p.Request(http.MethodGet, s.url+"/sgid/auth/verify", nil, "")
	if verify.Status != http.StatusForbidden || verify.Header.Get(gateway.HeaderSubject) != "" || verify.Header.Get(gateway.HeaderAssertion) != "" {
		t.Errorf("verify after the policy changed: want 403 without identity headers, got %d %q", verify.Status, verify.Header.Get(gateway.HeaderSubject))
	}
	if verify.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("verify's 403: want no-store, got %q", verify.Header.Get("Cache-Control"))
	}
	proxied := p.Open(s.url+"/app", nil)
	if proxied.Status != http.StatusForbidden || proxied.Doc.Find(`[data-testid="refused-page"]`).Length() != 1 || json.Valid([]byte(proxied.Body)) {
		t.Fatalf("the app after the policy changed: want our 403 refusal page, got %d: %s", proxied.Status, proxied.Body)
	}
	if !strings.Contains(proxied.Text("refused-requirements"), "Sandbox Statutory Board") || proxied.Doc.Find(`[data-testid="x"]`).Length() != 0 {
		t.Errorf("the refusal should name the agency and offer a logout: %s", proxied.Text("refused-requirements"))
	}
	if home := p.Open(s.url+"/sgid/", nil); home.Doc.Find(`form[action$="auth/logout"]`).Length() != 1 {
		t.Error("the refused session was logged out; it should stay, so the person can log out and choose again")
	}

	// Logged in again, the sandbox posting is the one that passes and is
	// taken without asking: the app is open again.
	p.LogOut(s.url + "/sgid/")
	back := logInAs(t, p, s, twoPostings)
	if back.URL.Path != "/app" || back.Status != http.StatusOK {
		t.Fatalf("logged in again: want the app, got %s %d", back.URL, back.Status)
	}
	if got := officerDetails(t, back); len(got) != 1 || got[0].AgencyName != "Sandbox Statutory Board" {
		t.Errorf("the app received postings %+v, want the sandbox one alone", got)
	}
}
