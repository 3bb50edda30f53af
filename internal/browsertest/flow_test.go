package browsertest

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

const (
	personaID   = "tan-heng-huat"
	personaName = "TAN HENG HUAT"
)

// openHome loads the home page, logged out.
func (tb *tab) openHome(s *site) {
	tb.t.Helper()
	tb.do("open home", chromedp.Navigate(s.url+"/"), chromedp.WaitVisible(byTestID("login-submit")))
}

// setMarker leaves a value on window that only a full page load removes.
func (tb *tab) setMarker() {
	tb.t.Helper()
	eval[bool](tb, "set marker", `window.__sgidwebMarker = true`)
}

func (tb *tab) markerSurvived() bool {
	tb.t.Helper()
	return eval[bool](tb, "read marker", `window.__sgidwebMarker === true`)
}

// pressLogin presses "Log in with sgID" and waits for the mock's page.
func (tb *tab) pressLogin() {
	tb.t.Helper()
	tb.do("press Log in with sgID", chromedp.Click(byTestID("login-submit")), chromedp.WaitVisible(byTestID("mock-sgid-authorize")))
}

// pickPersona picks the persona on the mock's authorize page and waits for
// the consent screen.
func (tb *tab) pickPersona() {
	tb.t.Helper()
	tb.do("pick persona", chromedp.Click(byTestID("persona-"+personaID)), chromedp.WaitVisible(byTestID("mock-sgid-consent")))
	if got := tb.text("consent-persona"); got != personaName {
		tb.t.Errorf("consent screen is for %q, want %q", got, personaName)
	}
}

// allow presses Allow and waits for the logged-in home page.
func (tb *tab) allow() {
	tb.t.Helper()
	tb.do("allow", chromedp.Click(byTestID("consent-allow")), chromedp.WaitVisible(byTestID("logged-in-as")))
}

func (tb *tab) wantProfile() {
	tb.t.Helper()
	if got := tb.text("logged-in-as"); got != "Logged in as "+personaName {
		tb.t.Errorf("login region says %q", got)
	}
	// Log out is where people look for it: in the header.
	if !eval[bool](tb, "log out in the header", `!!document.querySelector('header [data-testid="logout-submit"]')`) {
		tb.t.Error("expected the Log out button in the page's header")
	}
	if got := tb.text("field-myinfo-name"); !strings.Contains(got, personaName) {
		tb.t.Errorf("profile name field says %q", got)
	}
}

// pressLogout presses "Log out" and waits for the goodbye message.
func (tb *tab) pressLogout() {
	tb.t.Helper()
	tb.do("log out", chromedp.Click(byTestID("logout-submit")), chromedp.WaitVisible(byTestID("flash")))
	if got := tb.text("flash"); !strings.Contains(got, "You have logged out") {
		tb.t.Errorf("after logout the message is %q", got)
	}
	tb.do("login button back", chromedp.WaitVisible(byTestID("login-submit")))
}

func wantStatuses(t *testing.T, s *site, method, route string, want ...int) {
	t.Helper()
	if got := s.statuses(method, route); !slices.Equal(got, want) {
		t.Errorf("%s %s answered %v, want %v", method, route, got, want)
	}
}

// TestLoginWithHTMX is the whole flow with JavaScript: htmx posts the
// login and logout forms and follows HX-Redirect.
func TestLoginWithHTMX(t *testing.T) {
	// Several kinds of field, so the profile (and the README's picture of
	// it) shows text, lines and masked values.
	s := startSite(t, map[string]string{"SGID_SCOPES": "openid myinfo.name myinfo.nric_number myinfo.date_of_birth myinfo.mobile_number myinfo.registered_address"})
	tb := newTab(t)

	tb.openHome(s)
	tb.screenshot("home-anonymous", "")

	tb.setMarker()
	tb.pressLogin()
	// htmx sent the login (the server answers htmx with 204 + HX-Redirect,
	// a plain form with 303) and the browser then left the page for sgID.
	wantStatuses(t, s, "POST", "/auth/login", 204)
	if tb.markerSurvived() {
		t.Error("the mock's page kept the home page's window: HX-Redirect did not navigate")
	}
	tb.do("QR code", chromedp.WaitVisible(byTestID("qr-code")))
	tb.screenshot("mock-authorize", "")

	tb.pickPersona()
	tb.screenshot("mock-consent", "")

	tb.allow()
	tb.wantProfile()
	tb.screenshot("profile", "")

	tb.setMarker()
	tb.pressLogout()
	wantStatuses(t, s, "POST", "/auth/logout", 204)
	if tb.markerSurvived() {
		t.Error("logout kept the logged-in page's window: HX-Redirect did not navigate")
	}
	if eval[bool](tb, "profile gone", `!!document.querySelector('[data-testid="profile-panel"]')`) {
		t.Error("after logout the profile is still on the page")
	}
}

// TestLoginDenied: the person declines at sgID and is told, once, that
// nothing was shared.
func TestLoginDenied(t *testing.T) {
	s := startSite(t, nil)
	tb := newTab(t)

	tb.openHome(s)
	tb.pressLogin()
	tb.pickPersona()
	tb.do("deny", chromedp.Click(byTestID("consent-deny")), chromedp.WaitVisible(byTestID("flash")))
	if got := tb.text("flash"); !strings.Contains(got, "You chose not to share your data") {
		t.Errorf("after denying the message is %q", got)
	}
	if n := eval[int](tb, "count the message", `document.querySelector("main").innerText.split("not to share").length - 1`); n != 1 {
		t.Errorf("after denying, expected the message once on the page, read it %d times", n)
	}
	tb.do("still logged out", chromedp.WaitVisible(byTestID("login-submit")))
	tb.screenshot("denied", "")
}

// TestLoginWithoutJavaScript: every step is a plain link or form, so the
// flow completes with scripts off.
func TestLoginWithoutJavaScript(t *testing.T) {
	s := startSite(t, nil)
	tb := newTab(t)
	tb.call("disable JavaScript", func(ctx context.Context) error {
		_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	})

	tb.openHome(s)
	tb.setMarker() // evaluated through DevTools, which scripts-off does not stop
	tb.pressLogin()
	wantStatuses(t, s, "POST", "/auth/login", 303)
	tb.pickPersona()
	tb.allow()
	tb.wantProfile()
	tb.pressLogout()
	wantStatuses(t, s, "POST", "/auth/logout", 303)
	if eval[bool](tb, "htmx absent", `typeof htmx !== "undefined"`) {
		t.Error("htmx ran although JavaScript was disabled")
	}
}

// TestErrorPage: a callback with no login in progress shows the error page.
func TestErrorPage(t *testing.T) {
	s := startSite(t, nil)
	tb := newTab(t)
	tb.expectTrouble("status of 400") // Chromium logs the page's own status

	tb.do("open a stray callback",
		chromedp.Navigate(s.url+"/auth/callback?code=stray&state=stray"),
		chromedp.WaitVisible(byTestID("error-page")))
	if got := tb.text("error-title"); got != "Login didn't complete" {
		t.Errorf("error title %q", got)
	}
	tb.screenshot("error", "")
	tb.do("try again", chromedp.Click(byTestID("error-retry")), chromedp.WaitVisible(byTestID("login-submit")))
}
