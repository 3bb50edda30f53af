package pages_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
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
		Page:        layouts.Page{Title: "Home"},
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
		Consent:     pages.ConsentStatusProps{LoggedIn: true},
		Profile:     pages.ProfileProps{LoggedIn: true, Fields: allKinds},
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
	none(t, doc, testID("profile-panel"))
	none(t, doc, "dl")
}

func TestLoginButtonLoggedInShowsNameAndLogoutForm(t *testing.T) {
	doc := render(t, pages.LoginButton(pages.LoginButtonProps{LoggedIn: true, CSRFToken: "csrf-xyz", Name: "TAN <b>AH</b> KOW"}))
	region := one(t, doc, "#login-button")
	text(t, one(t, region, testID("logged-in-as")), "Logged in as TAN <b>AH</b> KOW")
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
	text(t, one(t, doc, testID("logged-in-as")), "You are logged in")
	one(t, doc, testID("logout-submit"))
}

// Each region's root has the id and data-testid of its constant, rendered
// in the page or alone (as /fragments/ serves it), whatever it shows.
func TestRegionRootsHaveMatchingIDAndNoSelfRefresh(t *testing.T) {
	check := func(what string, doc *goquery.Document, id string) {
		t.Helper()
		root := one(t, doc, testID(id))
		attr(t, root, "id", id)
		// A region fetches nothing by itself: an hx-get without a trigger
		// would reload it on every click.
		if _, ok := root.Attr("hx-get"); ok {
			t.Errorf("%s: region %s has an hx-get", what, id)
		}
	}
	anonymous, loggedIn := render(t, pages.Home(anonymousHome())), render(t, pages.Home(loggedInHome()))
	for _, id := range []string{pages.HomePageID, pages.LoginButtonID, pages.ConsentStatusID} {
		check("logged out", anonymous, id)
	}
	for _, id := range []string{pages.HomePageID, pages.LoginButtonID, pages.ProfilePanelID} {
		check("logged in", loggedIn, id)
	}
	heading := one(t, anonymous, testID(pages.ConsentStatusID)+" h2")
	attr(t, heading, "id", pages.ConsentStatusID+"-heading")
	attr(t, one(t, anonymous, testID(pages.ConsentStatusID)), "aria-labelledby", pages.ConsentStatusID+"-heading")
	// The login and logout forms swap the login region.
	attr(t, one(t, anonymous, testID(pages.LoginButtonID)+" form"), "hx-target", "#"+pages.LoginButtonID)
	attr(t, one(t, loggedIn, testID(pages.LoginButtonID)+" form"), "hx-target", "#"+pages.LoginButtonID)

	for _, loggedIn := range []bool{false, true} {
		for id, c := range map[string]templ.Component{
			pages.LoginButtonID:   pages.LoginButton(pages.LoginButtonProps{LoggedIn: loggedIn}),
			pages.ConsentStatusID: pages.ConsentStatus(pages.ConsentStatusProps{LoggedIn: loggedIn}),
			pages.ProfilePanelID:  pages.ProfilePanel(pages.ProfileProps{LoggedIn: loggedIn}),
		} {
			var buf bytes.Buffer
			if err := c.Render(context.Background(), &buf); err != nil {
				t.Fatalf("render %s: %v", id, err)
			}
			doc, _ := goquery.NewDocumentFromReader(&buf)
			if roots := doc.Find("body").Children(); roots.Length() != 1 || roots.AttrOr("id", "") != id || roots.AttrOr("data-testid", "") != id {
				t.Errorf("region %s (logged in %v): expected one root with id and data-testid %q, got %.120q", id, loggedIn, id, buf.String())
			}
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
	if _, open := details.Attr("open"); open {
		t.Error("expected the full NRIC number closed until asked for")
	}
	// The summary says what pressing it does, in both states; the CSS shows
	// the one that applies.
	text(t, one(t, details, "summary .reveal__show"), "Show full NRIC number")
	text(t, one(t, details, "summary .reveal__hide"), "Hide full NRIC number")
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
	text(t, one(t, region, "h2"), "What sgID will ask you to share")
	list := one(t, region, testID("consent-requested"))
	name := one(t, list, testID("consent-item-myinfo-name"))
	contains(t, name, "Name")
	contains(t, name, "To greet you")
	one(t, list, testID("consent-item-openid"))

	doc = render(t, pages.ConsentStatus(pages.ConsentStatusProps{}))
	text(t, one(t, doc, testID("consent-identity-only")), "Only who you are: sgID shares nothing else with this site.")
	none(t, doc, "ul")
}

// Logged in, the profile shows what was shared, field by field; the consent
// region does not list the same fields again.
func TestHomeLoggedInShowsEachFieldOnce(t *testing.T) {
	doc := render(t, pages.Home(loggedInHome()))
	one(t, doc, testID("logout-form"))
	none(t, doc, testID("login-form"))
	one(t, doc, testID("profile-panel")+" dl")
	none(t, doc, testID("consent-status"))
	if n := doc.Find(`[data-testid$="myinfo-name"]`).Length(); n != 1 {
		t.Errorf("expected the name field once on the page, found it %d times", n)
	}
}

// One heading names the page, and no heading repeats another.
func TestEachPageHasOneHeading(t *testing.T) {
	for what, c := range map[string]templ.Component{
		"home, logged out": pages.Home(anonymousHome()),
		"home, logged in":  pages.Home(loggedInHome()),
		"error":            pages.ErrorPage(pages.ErrorProps{Title: "Login didn't complete"}),
	} {
		doc := render(t, c)
		if n := doc.Find("h1").Length(); n != 1 {
			t.Errorf("%s: expected one <h1>, got %d", what, n)
		}
		seen := map[string]bool{}
		doc.Find("h1, h2, h3").Each(func(_ int, h *goquery.Selection) {
			words := strings.ToLower(squash(h.Text()))
			if seen[words] {
				t.Errorf("%s: the heading %q appears twice", what, words)
			}
			seen[words] = true
		})
	}
	text(t, one(t, render(t, pages.Home(loggedInHome())), "h1"), "Your data from sgID")
	text(t, one(t, render(t, pages.Home(anonymousHome())), "h1"), "Log in with sgID")
}

// Logged in, Log out is in the header, where people look for it, and only
// there.
func TestLogoutIsInTheHeader(t *testing.T) {
	doc := render(t, pages.Home(loggedInHome()))
	form := one(t, doc, testID("logout-form"))
	if form.ParentsFiltered("header").Length() != 1 {
		t.Error("expected the Log out form in the page's <header>, it is elsewhere")
	}
	if one(t, doc, testID("logged-in-as")).ParentsFiltered("header").Length() != 1 {
		t.Error("expected \"Logged in as\" in the page's <header>, it is elsewhere")
	}
	none(t, render(t, pages.Home(anonymousHome())), "header form")
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
	if root.ParentsFiltered("main").Length() != 1 {
		t.Error("expected the reference in the page's main content")
	}
	contains(t, one(t, root, testID("error-status")), "502")
	if n := doc.Find("h1").Length(); n != 1 {
		t.Errorf("expected one <h1> on the page, got %d", n)
	}
}

func TestErrorPageDefaults(t *testing.T) {
	doc := render(t, pages.ErrorPage(pages.ErrorProps{}))
	text(t, one(t, doc, "h1"), "Something went wrong")
	attr(t, one(t, doc, testID("error-retry")), "href", "/")
	none(t, doc, testID("error-reference"))
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
				text(t, banner, "Development mode: logging in uses a mock sgID, not the real one")
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
	contains(t, one(t, doc, "footer"), layouts.SiteName+" logs you in with sgID")
	// A request reference is for quoting to support about a failure; the
	// home page has none.
	if strings.Contains(doc.Text(), "req-1") || strings.Contains(doc.Text(), "Reference") {
		t.Errorf("expected no request reference on the home page, got %q", squash(doc.Find("footer").Text()))
	}

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

// The Singapore Government masthead is off unless the site turns it on; on,
// it is the first thing in the header and opens without JavaScript.
func TestMastheadOnlyWhenTurnedOn(t *testing.T) {
	none(t, render(t, pages.Home(anonymousHome())), testID("masthead"))
	home := anonymousHome()
	home.Page.Masthead = true
	doc := render(t, pages.Home(home))
	masthead := one(t, doc, testID("masthead"))
	if masthead.ParentsFiltered("header").Length() != 1 || masthead.Prev().Length() != 0 {
		t.Error("expected the masthead first in the page's <header>")
	}
	contains(t, one(t, masthead, "details summary"), "A Singapore Government Agency Website")
	contains(t, masthead, "Official website links end with .gov.sg")
}

// The gallery fixes a page's theme on <html>; otherwise the page follows
// the system.
func TestThemeIsFixedOnlyWhenAsked(t *testing.T) {
	if _, ok := one(t, render(t, pages.Home(anonymousHome())), "html").Attr("data-theme"); ok {
		t.Error("expected no data-theme by default")
	}
	home := anonymousHome()
	home.Page.Theme = pages.ThemeDark
	attr(t, one(t, render(t, pages.Home(home)), "html"), "data-theme", "dark")
}

func TestRevealedFieldRendersOpen(t *testing.T) {
	f := allKinds[3]
	f.Revealed = true
	doc := render(t, pages.ProfilePanel(pages.ProfileProps{LoggedIn: true, Fields: []pages.Field{f}}))
	if _, open := one(t, doc, "details.reveal").Attr("open"); !open {
		t.Error("expected the revealed field's <details> open")
	}
}

// wbrSegments is the text of s split where a <wbr> lets a line break.
func wbrSegments(s *goquery.Selection) []string {
	segments := []string{""}
	s.Contents().Each(func(_ int, c *goquery.Selection) {
		if goquery.NodeName(c) == "wbr" {
			segments = append(segments, "")
			return
		}
		segments[len(segments)-1] += c.Text()
	})
	return segments
}

// An email address wraps after "@" or before a ".", never mid-word
// (the browsers' last resort, overflow-wrap: anywhere, broke
// "siti_rahman@mma.go" / "v.sg" at 390 px). The text stays the address,
// so copying it gives the address unchanged.
func TestEmailAddressesBreakAfterTheAtAndBeforeEachDot(t *testing.T) {
	const email = "siti_rahman@mma.gov.sg"
	want := []string{"siti_rahman@", "mma", ".gov", ".sg"}
	profile := render(t, pages.ProfilePanel(pages.ProfileProps{LoggedIn: true, Fields: []pages.Field{
		{Scope: "myinfo.email", Label: "Email", Kind: pages.KindText, Text: email},
		{Scope: "x.lines", Label: "Lines", Kind: pages.KindLines, Lines: []string{email}},
		{Scope: "pocdex.public_officer_details", Label: "Public officer details", Kind: pages.KindTable,
			Columns: []string{"Work email", "Agency"}, Rows: [][]string{{email, "Ministry of Mock Affairs"}}},
	}}))
	picker := render(t, pages.Picker(pages.PickerProps{Postings: []pages.PostingChoice{{Value: "0", Title: "Director", WorkEmail: email}}}))
	for what, value := range map[string]*goquery.Selection{
		"text field":        one(t, profile, testID("field-myinfo-email")+" dd"),
		"line":              one(t, profile, testID("field-x-lines")+" li"),
		"table cell":        profile.Find(testID("field-pocdex-public_officer_details") + " td").First(),
		"picker work email": picker.Find(testID(pages.PostingTestID("0")) + " dd").Last(),
	} {
		if got := wbrSegments(value); !slices.Equal(got, want) {
			t.Errorf("%s: expected the lines to break only between %q, got %q", what, want, got)
		}
		if got := value.Text(); got != email {
			t.Errorf("%s: expected the text %q unchanged, got %q", what, email, got)
		}
	}
	// Other values keep no <wbr>: a name breaks at its spaces.
	none(t, profile, testID("field-pocdex-public_officer_details")+" td:nth-child(2) wbr")
}
