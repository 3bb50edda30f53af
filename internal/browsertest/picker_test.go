package browsertest

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// officerSite asks for the public officer details and admits officers only.
func officerSite(t *testing.T) *site {
	t.Helper()
	return startSite(t, map[string]string{"ACCESS_ALLOW": "public-officer", "SGID_SCOPES": "openid myinfo.name pocdex.public_officer_details"})
}

// consentAs logs in as a persona at the mock's pages and presses Allow,
// then waits for the page with this data-testid.
func (tb *tab) consentAs(s *site, personaID, landing string) {
	tb.t.Helper()
	tb.openHome(s)
	tb.pressLogin()
	tb.do("pick "+personaID, chromedp.Click(byTestID("persona-"+personaID)), chromedp.WaitVisible(byTestID("mock-sgid-consent")))
	tb.do("allow", chromedp.Click(byTestID("consent-allow")), chromedp.WaitVisible(byTestID(landing)))
}

// choosePosting presses the second posting's button (the sandbox board)
// and checks the page shows that posting alone.
func (tb *tab) choosePosting() {
	tb.t.Helper()
	tb.do("choose the second posting", chromedp.Click(byTestID("posting-1-submit")), chromedp.WaitVisible(byTestID("logged-in-as")))
	got := tb.text("field-pocdex-public_officer_details")
	if !strings.Contains(got, "Sandbox Statutory Board") || strings.Contains(got, "Ministry of Mock Affairs") {
		tb.t.Errorf("after choosing the sandbox posting the page shows %q", got)
	}
}

// TestPostingPickerWithHTMX: htmx posts the choice and follows HX-Redirect.
func TestPostingPickerWithHTMX(t *testing.T) {
	s := officerSite(t)
	tb := newTab(t)
	tb.consentAs(s, "siti-public-officer", "posting-picker")
	tb.screenshot("posting-picker", "")
	tb.checkAccessibility("posting picker", allRules)
	tb.setMarker()
	tb.choosePosting()
	wantStatuses(t, s, "POST", "/auth/posting", 204)
	if tb.markerSurvived() {
		t.Error("the picker's window survived the choice: HX-Redirect did not navigate")
	}
}

// TestPostingPickerWithoutJavaScript: each posting is a plain form.
func TestPostingPickerWithoutJavaScript(t *testing.T) {
	s := officerSite(t)
	tb := newTab(t)
	tb.call("disable JavaScript", func(ctx context.Context) error {
		_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	})
	tb.consentAs(s, "siti-public-officer", "posting-picker")
	tb.choosePosting()
	wantStatuses(t, s, "POST", "/auth/posting", 303)
}

// TestRefusalPage: a person the policy does not admit reads what the site
// requires.
func TestRefusalPage(t *testing.T) {
	s := officerSite(t)
	tb := newTab(t)
	tb.expectTrouble("status of 403") // Chromium logs the page's own status
	tb.consentAs(s, personaID, "refused-page")
	if got := tb.text("refused-requirements"); !strings.Contains(got, "public officers") {
		t.Errorf("the refusal page says the site is for %q", got)
	}
	tb.screenshot("refused", "")
	tb.checkAccessibility("refusal page", allRules)
}
