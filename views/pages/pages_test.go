package pages_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"github.com/sgidweb/sgidweb/assets"
	"github.com/sgidweb/sgidweb/views/layouts"
	"github.com/sgidweb/sgidweb/views/pages"
)

// render renders c and parses the result as a browser would.
func render(t *testing.T, c templ.Component) *goquery.Document {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatalf("render: expected no error, got %v", err)
	}
	doc, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatalf("parse rendered HTML: %v", err)
	}
	return doc
}

func testID(id string) string { return `[data-testid="` + id + `"]` }

// finder is a document or a selection.
type finder interface {
	Find(selector string) *goquery.Selection
}

// one finds exactly one element matching selector inside s.
func one(t *testing.T, s finder, selector string) *goquery.Selection {
	t.Helper()
	found := s.Find(selector)
	if found.Length() != 1 {
		t.Fatalf("expected exactly one element matching %s, found %d", selector, found.Length())
	}
	return found
}

// none checks that nothing inside s matches selector.
func none(t *testing.T, s finder, selector string) {
	t.Helper()
	if n := s.Find(selector).Length(); n != 0 {
		t.Errorf("expected no element matching %s, found %d", selector, n)
	}
}

func attr(t *testing.T, s *goquery.Selection, name, want string) {
	t.Helper()
	got, ok := s.Attr(name)
	if !ok {
		t.Errorf("expected %s=%q on <%s>, the attribute is missing", name, want, goquery.NodeName(s))
		return
	}
	if got != want {
		t.Errorf("expected %s=%q on <%s>, got %q", name, want, goquery.NodeName(s), got)
	}
}

func text(t *testing.T, s *goquery.Selection, want string) {
	t.Helper()
	if got := squash(s.Text()); got != want {
		t.Errorf("expected text %q, got %q", want, got)
	}
}

func contains(t *testing.T, s *goquery.Selection, want string) {
	t.Helper()
	if got := squash(s.Text()); !strings.Contains(got, want) {
		t.Errorf("expected text containing %q, got %q", want, got)
	}
}

// squash collapses runs of whitespace, as a browser shows them.
func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

func anonymousHome() pages.HomeProps {
	return pages.HomeProps{
		Page:        layouts.Page{Title: "Home", RequestID: "req-1"},
		LoginButton: pages.LoginButtonProps{CSRFToken: "csrf-abc"},
		Consent: pages.ConsentStatusProps{Requested: []pages.ConsentItem{
			{Scope: "openid", Label: "Your sgID identifier", Purpose: "To recognise you next time"},
			{Scope: "myinfo.name", Label: "Name", Purpose: "To greet you"},
		}},
	}
}

var allKinds = []pages.Field{
	{Scope: "myinfo.name", Label: "Name", Kind: pages.KindText, Text: "TAN AH KOW"},
	{Scope: "myinfo.registered_address", Label: "Registered address", Kind: pages.KindLines,
		Lines: []string{"BLK 123 BEDOK NORTH AVENUE 1", "#01-01", "SINGAPORE 460123"}},
	{Scope: "myinfo.children_birth_records", Label: "Children", Kind: pages.KindTable,
		Columns: []string{"Birth certificate", "Name", "Date of birth", "Status"},
		Rows:    [][]string{{"T1234567A", "TAN AH MEI", "2015-01-01", "Alive"}, {"T7654321B", "TAN AH BOY", "2018-06-30", "Alive"}}},
	{Scope: "myinfo.nric_number", Label: "NRIC number", Kind: pages.KindMasked, Text: "*****567D", Reveal: "S1234567D"},
	{Scope: "myinfo.email", Label: "Email", NotProvided: true, Kind: pages.KindText, Text: "NA"},
	{Scope: "vendor.custom", Label: "vendor.custom", Kind: "something-new", Text: "raw value"},
}

func loggedInHome() pages.HomeProps {
	return pages.HomeProps{
		Page:        layouts.Page{Title: "Home"},
		LoginButton: pages.LoginButtonProps{LoggedIn: true, CSRFToken: "csrf-xyz", Name: "TAN AH KOW"},
		Consent: pages.ConsentStatusProps{
			LoggedIn:    true,
			Shared:      []pages.ConsentItem{{Scope: "myinfo.name", Label: "Name", Purpose: "To greet you"}},
			NotProvided: []pages.ConsentItem{{Scope: "myinfo.email", Label: "Email", Purpose: "To write to you"}},
		},
		Profile: pages.ProfileProps{LoggedIn: true, Fields: allKinds},
	}
}

func TestHomeAnonymousHasLoginFormWithCSRF(t *testing.T) {
	doc := render(t, pages.Home(anonymousHome()))
	region := one(t, doc, testID("login-button"))
	form := one(t, region, "form"+testID("login-form"))
	attr(t, form, "method", "post")
	attr(t, form, "action", "/auth/login")
	attr(t, form, "hx-post", "/auth/login")
	attr(t, form, "hx-disabled-elt", "find button")
	if _, ok := form.Attr("aria-label"); !ok {
		t.Errorf("expected the login form to have an accessible name (aria-label), it has none")
	}
	attr(t, one(t, form, `input[type="hidden"][name="csrf_token"]`), "value", "csrf-abc")

	submit := one(t, form, testID("login-submit"))
	if goquery.NodeName(submit) != "button" {
		t.Errorf("expected login-submit to be a <button>, got <%s>", goquery.NodeName(submit))
	}
	attr(t, submit, "type", "submit")
	text(t, submit, "Log in with sgID")

	indicator := one(t, form, testID("login-indicator"))
	text(t, indicator, "Redirecting to sgID…")
	if !indicator.HasClass("htmx-indicator") {
		t.Errorf("expected the indicator to carry class htmx-indicator so CSS hides it until .htmx-request, got class=%q", indicator.AttrOr("class", ""))
	}
	if indicator.ParentsFiltered(`[role="status"]`).Length() == 0 {
		t.Errorf("expected the indicator inside a role=status live region, found none")
	}

	none(t, doc, testID("logout-form"))
	contains(t, one(t, doc, testID("profile-anonymous")), "Log in to see the data sgID shares with this site")
	none(t, doc, "dl")
}

func TestLoginButtonLoggedInShowsNameAndLogoutForm(t *testing.T) {
	doc := render(t, pages.LoginButton(pages.LoginButtonProps{LoggedIn: true, CSRFToken: "csrf-xyz", Name: "TAN <b>AH</b> KOW"}))
	region := one(t, doc, "#login-button")
	text(t, one(t, region, testID("signed-in-as")), "Signed in as TAN <b>AH</b> KOW")
	none(t, region, "b")

	form := one(t, region, "form"+testID("logout-form"))
	attr(t, form, "method", "post")
	attr(t, form, "action", "/auth/logout")
	attr(t, form, "hx-post", "/auth/logout")
	attr(t, one(t, form, `input[type="hidden"][name="csrf_token"]`), "value", "csrf-xyz")
	submit := one(t, form, "button"+testID("logout-submit"))
	attr(t, submit, "type", "submit")
	text(t, submit, "Log out")
	none(t, doc, testID("login-form"))
}

func TestLoginButtonLoggedInWithoutName(t *testing.T) {
	doc := render(t, pages.LoginButton(pages.LoginButtonProps{LoggedIn: true, CSRFToken: "t"}))
	text(t, one(t, doc, testID("signed-in-as")), "You are signed in")
	one(t, doc, testID("logout-submit"))
}

// The templates write the region ids as literals; the constants in props.go
// are what the rest of the site uses, so the two must agree.
func TestRegionRootsHaveMatchingIDAndNoSelfRefresh(t *testing.T) {
	for _, p := range []pages.HomeProps{loggedInHome(), anonymousHome()} {
		doc := render(t, pages.Home(p))
		for _, id := range []string{pages.LoginButtonID, pages.ConsentStatusID, pages.ProfilePanelID} {
			root := one(t, doc, testID(id))
			attr(t, root, "id", id)
			// A region fetches nothing by itself: an hx-get without a trigger
			// would reload it on every click.
			if _, ok := root.Attr("hx-get"); ok {
				t.Errorf("region %s has an hx-get", id)
			}
		}
		for _, id := range []string{pages.ConsentStatusID, pages.ProfilePanelID} {
			heading := one(t, doc, testID(id)+" h2")
			attr(t, heading, "id", id+"-heading")
			attr(t, one(t, doc, testID(id)), "aria-labelledby", id+"-heading")
		}
		// The login and logout forms swap the login region.
		attr(t, one(t, doc, testID(pages.LoginButtonID)+" form"), "hx-target", "#"+pages.LoginButtonID)
		attr(t, one(t, doc, testID(pages.HomePageID)), "id", pages.HomePageID)
	}

	// Each region rendered alone, as /fragments/ serves it, has the same root.
	alone := map[string]templ.Component{
		pages.LoginButtonID:   pages.LoginButton(pages.LoginButtonProps{}),
		pages.ConsentStatusID: pages.ConsentStatus(pages.ConsentStatusProps{}),
		pages.ProfilePanelID:  pages.ProfilePanel(pages.ProfileProps{}),
	}
	for id, c := range alone {
		var buf bytes.Buffer
		if err := c.Render(context.Background(), &buf); err != nil {
			t.Fatalf("render %s: %v", id, err)
		}
		prefix := `<div id="` + id + `"`
		if id != pages.LoginButtonID {
			prefix = `<section id="` + id + `"`
		}
		if !strings.HasPrefix(buf.String(), prefix) {
			t.Errorf("expected region %s to render one root starting %q, got %.80q", id, prefix, buf.String())
		}
	}
}

func TestProfilePanelRendersEveryKind(t *testing.T) {
	doc := render(t, pages.ProfilePanel(pages.ProfileProps{LoggedIn: true, Fields: allKinds}))
	panel := one(t, doc, testID("profile-panel"))
	dl := one(t, panel, "dl")
	if n := dl.Find("dt").Length(); n != len(allKinds) {
		t.Errorf("expected %d <dt>, one per field, got %d", len(allKinds), n)
	}

	name := one(t, dl, testID("field-myinfo-name"))
	text(t, one(t, name, "dt"), "Name")
	text(t, one(t, name, "dd"), "TAN AH KOW")

	addr := one(t, dl, testID("field-myinfo-registered_address"))
	lis := addr.Find("dd li")
	want := []string{"BLK 123 BEDOK NORTH AVENUE 1", "#01-01", "SINGAPORE 460123"}
	if lis.Length() != len(want) {
		t.Fatalf("expected %d address lines as list items, got %d: %q", len(want), lis.Length(), squash(addr.Find("dd").Text()))
	}
	lis.Each(func(i int, li *goquery.Selection) { text(t, li, want[i]) })

	kids := one(t, dl, testID("field-myinfo-children_birth_records"))
	scroller := one(t, kids, ".table-scroll")
	if tab := scroller.Find("table"); tab.Length() != 1 {
		t.Fatalf("expected the table inside the scrollable .table-scroll box, found %d tables there", tab.Length())
	}
	attr(t, scroller, "tabindex", "0")
	ths := kids.Find(`thead th[scope="col"]`)
	wantCols := []string{"Birth certificate", "Name", "Date of birth", "Status"}
	if ths.Length() != len(wantCols) {
		t.Fatalf("expected %d <th scope=col>, got %d", len(wantCols), ths.Length())
	}
	ths.Each(func(i int, th *goquery.Selection) { text(t, th, wantCols[i]) })
	rows := kids.Find("tbody tr")
	if rows.Length() != 2 {
		t.Fatalf("expected 2 body rows, got %d", rows.Length())
	}
	text(t, rows.Eq(1).Find("td").Eq(1), "TAN AH BOY")

	nric := one(t, dl, testID("field-myinfo-nric_number"))
	masked := one(t, nric, testID("masked-value"))
	text(t, masked, "*****567D")
	if masked.ParentsFiltered("details").Length() != 0 {
		t.Errorf("expected the masked form outside <details>, it is inside")
	}
	details := one(t, nric, "details")
	text(t, one(t, details, "summary"), "Show full NRIC number")
	reveal := one(t, details, testID("field-myinfo-nric_number-reveal"))
	text(t, reveal, "S1234567D")

	email := one(t, dl, testID("field-myinfo-email"))
	text(t, one(t, email, "dd"), "Not provided")
	one(t, email, ".field__missing")
	if strings.Contains(email.Text(), "NA") {
		t.Errorf("expected NA never shown as data, got %q", squash(email.Text()))
	}

	text(t, one(t, dl, testID("field-vendor-custom")).Find("dd"), "raw value")
}

func TestProfilePanelEmptyCollections(t *testing.T) {
	doc := render(t, pages.ProfilePanel(pages.ProfileProps{LoggedIn: true, Fields: []pages.Field{
		{Scope: "myinfo.vehicles", Label: "Vehicles", Kind: pages.KindTable, Columns: []string{"Vehicle number"}},
		{Scope: "a.b", Label: "Lines", Kind: pages.KindLines},
	}}))
	text(t, one(t, doc, testID("field-myinfo-vehicles")).Find("dd"), "None")
	none(t, doc, "table")
	text(t, one(t, doc, testID("field-a-b")).Find("dd"), "None")

	doc = render(t, pages.ProfilePanel(pages.ProfileProps{LoggedIn: true}))
	one(t, doc, testID("profile-empty"))
}

func TestProfilePanelEscapesValues(t *testing.T) {
	const evil = `<script>alert(1)</script>`
	doc := render(t, pages.ProfilePanel(pages.ProfileProps{LoggedIn: true, Fields: []pages.Field{
		{Scope: "x.text", Label: evil, Kind: pages.KindText, Text: evil},
		{Scope: "x.lines", Label: "L", Kind: pages.KindLines, Lines: []string{evil}},
		{Scope: "x.table", Label: "T", Kind: pages.KindTable, Columns: []string{evil}, Rows: [][]string{{evil}}},
		{Scope: "x.masked", Label: "M", Kind: pages.KindMasked, Text: evil, Reveal: evil},
	}}))
	panel := one(t, doc, testID("profile-panel"))
	if n := panel.Find("script").Length(); n != 0 {
		t.Fatalf("expected no <script> element in the profile panel, found %d", n)
	}
	checks := map[string]string{
		"x.text dt":       testID("field-x-text") + " dt",
		"x.text dd":       testID("field-x-text") + " dd",
		"x.lines li":      testID("field-x-lines") + " li",
		"x.table th":      testID("field-x-table") + " th",
		"x.table td":      testID("field-x-table") + " td",
		"x.masked masked": testID("field-x-masked") + " " + testID("masked-value"),
		"x.masked reveal": testID("field-x-masked-reveal"),
	}
	for what, sel := range checks {
		got := one(t, panel, sel).Text()
		if got != evil {
			t.Errorf("%s: expected the text to be the raw string %q, got %q", what, evil, got)
		}
	}
}

func TestProfilePanelKeepsVeryLongValuesWhole(t *testing.T) {
	long := strings.Repeat("A", 100_000)
	name := strings.Repeat("TAN ", 50)
	doc := render(t, pages.ProfilePanel(pages.ProfileProps{LoggedIn: true, Fields: []pages.Field{
		{Scope: "myinfo.name", Label: "Name", Kind: pages.KindText, Text: name},
		{Scope: "x.long", Label: "Long", Kind: pages.KindText, Text: long},
	}}))
	dd := one(t, doc, testID("field-x-long")+" dd")
	if got := len(dd.Text()); got != len(long) {
		t.Errorf("expected the 100 kB value in full (%d bytes), got %d bytes", len(long), got)
	}
	// Wrapping is CSS's job: the value must carry the class that wraps it.
	if !dd.HasClass("field__value") {
		t.Errorf("expected the value in .field__value (overflow-wrap: anywhere), got class=%q", dd.AttrOr("class", ""))
	}
	text(t, one(t, doc, testID("field-myinfo-name")+" dd"), strings.TrimSpace(name))
}

func TestConsentStatusAnonymousListsRequested(t *testing.T) {
	doc := render(t, pages.ConsentStatus(anonymousHome().Consent))
	region := one(t, doc, testID("consent-status"))
	contains(t, region, "When you log in, sgID will ask you to share:")
	list := one(t, region, testID("consent-requested"))
	name := one(t, list, testID("consent-item-myinfo-name"))
	contains(t, name, "Name")
	contains(t, name, "To greet you")
	one(t, list, testID("consent-item-openid"))
	none(t, region, testID("consent-denied"))
	none(t, region, testID("consent-shared"))
}

func TestConsentStatusDenied(t *testing.T) {
	p := anonymousHome().Consent
	p.Denied = true
	doc := render(t, pages.ConsentStatus(p))
	contains(t, one(t, doc, testID("consent-denied")), "You chose not to share your data with this site. Nothing was shared.")

	// Once logged in, an old refusal no longer applies.
	p.LoggedIn = true
	doc = render(t, pages.ConsentStatus(p))
	none(t, doc, testID("consent-denied"))
}

func TestConsentStatusLoggedInListsSharedAndNotProvided(t *testing.T) {
	doc := render(t, pages.ConsentStatus(loggedInHome().Consent))
	region := one(t, doc, testID("consent-status"))
	contains(t, region, "You shared:")
	contains(t, one(t, region, testID("consent-shared")+" "+testID("consent-item-myinfo-name")), "Name")
	contains(t, region, "Not provided by sgID:")
	contains(t, one(t, region, testID("consent-not-provided")+" "+testID("consent-item-myinfo-email")), "Email")
	none(t, region, testID("consent-requested"))

	p := loggedInHome().Consent
	p.NotProvided = nil
	doc = render(t, pages.ConsentStatus(p))
	none(t, doc, testID("consent-not-provided"))
	if strings.Contains(doc.Text(), "Not provided by sgID") {
		t.Errorf("expected no \"Not provided by sgID\" heading without items, got %q", squash(doc.Text()))
	}
}

func TestHomeLoggedInShowsLogoutProfileAndConsent(t *testing.T) {
	doc := render(t, pages.Home(loggedInHome()))
	one(t, doc, testID("logout-form"))
	none(t, doc, testID("login-form"))
	one(t, doc, testID("profile-panel")+" dl")
	one(t, doc, testID("consent-shared"))
}

func TestFlash(t *testing.T) {
	for kind, role := range map[string]string{"info": "status", "success": "status", "error": "alert"} {
		p := anonymousHome()
		p.Flash = &pages.Flash{Kind: kind, Message: "You have logged out."}
		doc := render(t, pages.Home(p))
		flash := one(t, doc, testID("flash"))
		attr(t, flash, "role", role)
		contains(t, flash, "You have logged out.")
	}
	doc := render(t, pages.Home(anonymousHome()))
	none(t, doc, testID("flash"))
}

func TestErrorPage(t *testing.T) {
	doc := render(t, pages.ErrorPage(pages.ErrorProps{
		Page:      layouts.Page{Title: "Error"},
		Status:    502,
		Title:     "Login didn't complete",
		Message:   "sgID did not answer in time. <b>Please</b> try again.",
		RetryURL:  "/",
		RequestID: "req-42",
	}))
	root := one(t, doc, testID("error-page"))
	attr(t, root, "id", "error-page")
	text(t, one(t, root, "h1"), "Login didn't complete")
	text(t, one(t, root, testID("error-message")), "sgID did not answer in time. <b>Please</b> try again.")
	none(t, root, "b")
	retry := one(t, root, "a"+testID("error-retry"))
	attr(t, retry, "href", "/")
	text(t, retry, "Try again")
	text(t, one(t, root, testID("error-reference")), "Reference: req-42")
	contains(t, one(t, root, testID("error-status")), "502")
	if n := doc.Find("h1").Length(); n != 1 {
		t.Errorf("expected one <h1> on the page, got %d", n)
	}
}

func TestErrorPageDefaults(t *testing.T) {
	doc := render(t, pages.ErrorPage(pages.ErrorProps{Page: layouts.Page{RequestID: "from-page"}}))
	text(t, one(t, doc, "h1"), "Something went wrong")
	attr(t, one(t, doc, testID("error-retry")), "href", "/")
	text(t, one(t, doc, testID("error-reference")), "Reference: from-page")
	none(t, doc, testID("error-status"))
	text(t, one(t, doc, "title"), "Something went wrong – sgidweb")
}

func TestErrorPageUnsafeRetryURLIsNeutralised(t *testing.T) {
	doc := render(t, pages.ErrorPage(pages.ErrorProps{RetryURL: "javascript:alert(1)"}))
	if href := one(t, doc, testID("error-retry")).AttrOr("href", ""); strings.HasPrefix(strings.ToLower(href), "javascript:") {
		t.Errorf("expected a javascript: retry URL to be replaced, got href=%q", href)
	}
}

func TestMockBannerOnlyInMockMode(t *testing.T) {
	for _, mock := range []bool{false, true} {
		home := anonymousHome()
		home.Page.MockMode = mock
		for what, c := range map[string]templ.Component{
			"home":  pages.Home(home),
			"error": pages.ErrorPage(pages.ErrorProps{Page: home.Page, Title: "Oops"}),
		} {
			doc := render(t, c)
			banner := doc.Find(testID("mock-banner"))
			switch {
			case mock && banner.Length() != 1:
				t.Errorf("%s with MockMode: expected one mock-banner, got %d", what, banner.Length())
			case mock:
				text(t, banner, "Development mode: signing in uses a mock sgID, not the real one")
				if banner.ParentsFiltered("header").Length() != 1 {
					t.Errorf("%s: expected the banner inside the <header> landmark, it is not", what)
				}
			case banner.Length() != 0:
				t.Errorf("%s without MockMode: expected no mock-banner, got %d", what, banner.Length())
			}
		}
	}
}

func TestLayoutShell(t *testing.T) {
	doc := render(t, pages.Home(anonymousHome()))
	attr(t, one(t, doc, "html"), "lang", "en")
	one(t, doc, "meta[charset]")
	one(t, doc, `meta[name="viewport"]`)
	text(t, one(t, doc, "title"), "Home – sgidweb")
	one(t, doc, "header")
	one(t, doc, "main#main")
	one(t, doc, "footer")
	attr(t, one(t, doc, "a.skip-link"), "href", "#main")
	// The header and footer write the name out; it must be SiteName.
	text(t, one(t, doc, "header .site-header__name"), layouts.SiteName)
	contains(t, one(t, doc, "footer"), layouts.SiteName+" signs you in with sgID")
	if n := doc.Find("h1").Length(); n != 1 {
		t.Errorf("expected one <h1>, got %d", n)
	}
	text(t, one(t, doc, testID("request-id")), "req-1")

	var cfg map[string]any
	content := one(t, doc, `meta[name="htmx-config"]`).AttrOr("content", "")
	if err := json.Unmarshal([]byte(content), &cfg); err != nil {
		t.Fatalf("expected htmx-config content to be JSON, got %q: %v", content, err)
	}
	want := map[string]any{"includeIndicatorStyles": false, "allowEval": false, "allowScriptTags": false, "historyCacheSize": float64(0), "selfRequestsOnly": true}
	for k, v := range want {
		if cfg[k] != v {
			t.Errorf("expected htmx-config %s=%v, got %v", k, v, cfg[k])
		}
	}

	attr(t, one(t, doc, `link[rel="stylesheet"]`), "href", assets.Path("css/app.css"))
	script := one(t, doc, "script")
	attr(t, script, "src", assets.Path("js/htmx-2.0.8.min.js"))
	if _, ok := script.Attr("defer"); !ok {
		t.Errorf("expected the htmx <script> to be deferred, it is not")
	}
	if !strings.HasPrefix(assets.Path("css/app.css"), "/assets/css/app.") {
		t.Errorf("expected a hashed CSS path under /assets/css/, got %q", assets.Path("css/app.css"))
	}
}

// A strict CSP forbids inline script and style; nothing may need them.
func TestNoInlineScriptOrStyle(t *testing.T) {
	for what, c := range map[string]templ.Component{
		"anonymous home": pages.Home(anonymousHome()),
		"logged-in home": pages.Home(loggedInHome()),
		"error page":     pages.ErrorPage(pages.ErrorProps{Title: "x", RequestID: "r"}),
	} {
		doc := render(t, c)
		doc.Find("script").Each(func(_ int, s *goquery.Selection) {
			if _, ok := s.Attr("src"); !ok || strings.TrimSpace(s.Text()) != "" {
				t.Errorf("%s: expected only external scripts, got an inline <script>%.40s", what, s.Text())
			}
		})
		if n := doc.Find("style").Length(); n != 0 {
			t.Errorf("%s: expected no <style> element, got %d", what, n)
		}
		if n := doc.Find("[style]").Length(); n != 0 {
			t.Errorf("%s: expected no style attribute, got %d", what, n)
		}
		doc.Find("*").Each(func(_ int, s *goquery.Selection) {
			for _, a := range s.Nodes[0].Attr {
				if strings.HasPrefix(a.Key, "on") || strings.HasPrefix(a.Key, "hx-on") {
					t.Errorf("%s: expected no inline event handler, got %s on <%s>", what, a.Key, goquery.NodeName(s))
				}
			}
		})
	}
}

// Ids must be unique, or hx-target and the skip link go astray.
func TestIDsAreUnique(t *testing.T) {
	doc := render(t, pages.Home(loggedInHome()))
	seen := map[string]int{}
	doc.Find("[id]").Each(func(_ int, s *goquery.Selection) { seen[s.AttrOr("id", "")]++ })
	for id, n := range seen {
		if n > 1 {
			t.Errorf("expected id %q once, found it %d times", id, n)
		}
	}
}

func TestLoginButtonWorkingStateIsWhatHtmxLeaves(t *testing.T) {
	ready := render(t, pages.LoginButton(pages.LoginButtonProps{CSRFToken: "c"}))
	form := one(t, ready, testID("login-form"))
	if form.HasClass("htmx-request") {
		t.Errorf("expected the ready form without htmx-request, got class=%q", form.AttrOr("class", ""))
	}
	if _, disabled := one(t, form, testID("login-submit")).Attr("disabled"); disabled {
		t.Error("expected the ready button enabled, it is disabled")
	}

	for name, props := range map[string]pages.LoginButtonProps{
		"login":  {CSRFToken: "c", Working: true},
		"logout": {CSRFToken: "c", LoggedIn: true, Working: true},
	} {
		doc := render(t, pages.LoginButton(props))
		form := one(t, doc, testID(name+"-form"))
		if !form.HasClass("htmx-request") || !form.HasClass("action-form") {
			t.Errorf("%s working: expected class action-form htmx-request (what htmx sets, which shows the indicator), got %q", name, form.AttrOr("class", ""))
		}
		if _, disabled := one(t, form, testID(name+"-submit")).Attr("disabled"); !disabled {
			t.Errorf("%s working: expected the button disabled, as hx-disabled-elt leaves it", name)
		}
		one(t, form, testID(name+"-indicator"))
	}
}

func TestTableCellsCarryTheirColumnHeading(t *testing.T) {
	doc := render(t, pages.ProfilePanel(pages.ProfileProps{LoggedIn: true, Fields: allKinds}))
	cells := one(t, doc, testID("field-myinfo-children_birth_records")).Find("tbody tr").First().Find("td")
	want := []string{"Birth certificate", "Name", "Date of birth", "Status"}
	if cells.Length() != len(want) {
		t.Fatalf("expected %d cells, found %d", len(want), cells.Length())
	}
	cells.Each(func(i int, td *goquery.Selection) {
		attr(t, td, "data-label", want[i])
	})
}
