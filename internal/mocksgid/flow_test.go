package mocksgid_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	qrcode "github.com/skip2/go-qrcode"
)

func TestHappyPathHeadless(t *testing.T) {
	f := newFixture(t)
	a := defaultAuth(f, "openid myinfo.name myinfo.nric_number myinfo.children_birth_records myinfo.not_a_field")
	code := f.approve(a, "tan-heng-huat")
	tr := f.exchange(a, code)

	if tr.TokenType != "Bearer" || tr.ExpiresIn <= 0 || tr.Scope != a.scope {
		t.Errorf("token response = %+v, want Bearer, positive expires_in and scope %q", tr, a.scope)
	}
	claims, _ := f.verifyIDToken(tr.IDToken, a.nonce)
	persona := mustPersona(t, "tan-heng-huat")
	if claims.Subject != persona.Sub {
		t.Errorf("sub = %q, want persona sub %q", claims.Subject, persona.Sub)
	}
	if got := claims.Expiry.Time().Sub(claims.IssuedAt.Time()); got != 10*time.Minute {
		t.Errorf("exp - iat = %v, want 10m", got)
	}

	ui := f.userinfo(tr.AccessToken)
	if ui.Sub != claims.Subject {
		t.Errorf("userinfo sub %q != ID token sub %q", ui.Sub, claims.Subject)
	}
	_, data := decryptUserinfo(t, ui, clientKey)
	want := map[string]string{
		"myinfo.name":                   persona.Fields["myinfo.name"],
		"myinfo.nric_number":            persona.Fields["myinfo.nric_number"],
		"myinfo.children_birth_records": persona.Fields["myinfo.children_birth_records"],
		"myinfo.not_a_field":            "NA",
	}
	if len(data) != len(want) {
		t.Errorf("data has scopes %v, want exactly %v", keys(data), keys(want))
	}
	for scope, w := range want {
		if data[scope] != w {
			t.Errorf("data[%s] = %q, want %q", scope, data[scope], w)
		}
	}
	if _, ok := ui.Data["openid"]; ok {
		t.Error("data contains openid")
	}

	// The key is encrypted to this client only: another client's key fails.
	if ui.Key != nil {
		if _, err := decryptWith(*ui.Key, otherClientKey); err == nil {
			t.Error("payload key decrypts with another client's private key")
		}
	}
}

func TestNonceOnlyWhenSent(t *testing.T) {
	f := newFixture(t)
	a := defaultAuth(f, "openid")
	a.nonce = ""
	a.values = url.Values{"nonce": nil}
	tr := f.exchange(a, f.approve(a, "long-name"))
	f.verifyIDToken(tr.IDToken, "")
}

func TestOpenIDOnlyUserinfoHasNoKeyOrData(t *testing.T) {
	f := newFixture(t)
	a := defaultAuth(f, "openid")
	tr := f.exchange(a, f.approve(a, "siti-public-officer"))
	resp, body := f.getUserinfo("Bearer " + tr.AccessToken)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("userinfo %d: %s", resp.StatusCode, body)
	}
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	if len(raw) != 1 || raw["sub"] != mustPersona(t, "siti-public-officer").Sub {
		t.Fatalf("userinfo = %s, want only the persona's sub", body)
	}
}

func TestDenyRedirectsWithAccessDenied(t *testing.T) {
	f := newFixture(t)
	a := defaultAuth(f, "openid myinfo.name")
	next, err := f.p.Approve(f.authorizeURL(a), "tan-heng-huat", false)
	if err != nil {
		t.Fatalf("Approve deny: %v", err)
	}
	u, _ := url.Parse(next)
	q := u.Query()
	if !hasPrefix(next, f.redirectURI+"?") || q.Get("error") != "access_denied" || q.Get("state") != a.state || q.Get("error_description") == "" || q.Has("code") {
		t.Fatalf("deny redirect = %q, want %s?error=access_denied&error_description=..&state=%s and no code", next, f.redirectURI, a.state)
	}
}

// page fetches or posts and parses an HTML page, checking what every mock
// page must have: the banner, a lang attribute, the stylesheet, and no
// script or inline style.
func (f *fixture) page(resp *http.Response, err error, wantStatus int) *goquery.Document {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		f.t.Fatalf("status %d, want %d: %s", resp.StatusCode, wantStatus, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		f.t.Fatalf("Content-Type %q", ct)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		f.t.Errorf("CSP = %q", csp)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(string(body)))
	if err != nil {
		f.t.Fatal(err)
	}
	if banner := doc.Find(`[data-testid="mock-banner"]`); banner.Length() != 1 || !strings.Contains(banner.Text(), "MOCK") || !strings.Contains(banner.Text(), "not the real sgID") {
		f.t.Errorf("mock banner missing or unclear: %q", banner.Text())
	}
	if lang, _ := doc.Find("html").Attr("lang"); lang == "" {
		f.t.Error("html has no lang")
	}
	if n := doc.Find("script").Length(); n != 0 {
		f.t.Errorf("page has %d script elements", n)
	}
	if n := doc.Find("[style]").Length() + doc.Find("style").Length(); n != 0 {
		f.t.Errorf("page has %d inline styles", n)
	}
	href, _ := doc.Find(`link[rel="stylesheet"]`).Attr("href")
	if href != mountPrefix+"/v2/mock/mock.css" {
		f.t.Errorf("stylesheet href = %q", href)
	}
	return doc
}

func (f *fixture) getPage(u string, wantStatus int) *goquery.Document {
	f.t.Helper()
	resp, err := f.http.Get(u)
	return f.page(resp, err, wantStatus)
}

func (f *fixture) postPage(form, button *goquery.Selection, wantStatus int) *goquery.Document {
	f.t.Helper()
	resp, err := f.submit(form, button)
	return f.page(resp, err, wantStatus)
}

// pickPersona presses a persona's button, checks that the mock answers with
// a redirect (so Back and reload never post the form again) to the consent
// screen, and follows it.
func (f *fixture) pickPersona(picker *goquery.Document, personaID string) (*goquery.Document, string) {
	f.t.Helper()
	form := picker.Find(`form[data-testid="persona-form"]`)
	resp, err := f.submit(form, form.Find(`[data-testid="persona-`+personaID+`"]`))
	if err != nil {
		f.t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, mountPrefix+"/v2/mock/consent/") {
		f.t.Fatalf("persona %s: want 303 to the consent screen, got %d to %q", personaID, resp.StatusCode, loc)
	}
	return f.getPage(f.srv.URL+loc, http.StatusOK), f.srv.URL + loc
}

// submit posts form with the fields of its hidden inputs plus the pressed
// button, as a browser without JavaScript does.
func (f *fixture) submit(form, button *goquery.Selection) (*http.Response, error) {
	f.t.Helper()
	if m, _ := form.Attr("method"); m != "post" {
		f.t.Fatalf("form method = %q, want post", m)
	}
	action, ok := form.Attr("action")
	if !ok || !strings.HasPrefix(action, mountPrefix+"/v2/mock/") {
		f.t.Fatalf("form action = %q, want a path under %s/v2/mock/", action, mountPrefix)
	}
	if button.Closest("form").Get(0) != form.Get(0) {
		f.t.Fatal("button is not inside the form")
	}
	v := url.Values{}
	form.Find(`input[type="hidden"]`).Each(func(_ int, in *goquery.Selection) {
		v.Add(in.AttrOr("name", ""), in.AttrOr("value", ""))
	})
	if name, ok := button.Attr("name"); ok {
		v.Add(name, button.AttrOr("value", ""))
	}
	return f.http.PostForm(f.srv.URL+action, v)
}

func TestInteractiveFlowThroughForms(t *testing.T) {
	f := newFixture(t)
	scopes := "openid myinfo.name myinfo.registered_address pocdex.public_officer_details"
	a := defaultAuth(f, scopes)

	doc := f.getPage(f.authorizeURL(a), http.StatusOK)
	if h := doc.Find("h1").Text(); !strings.Contains(h, "Log in with Singpass app") {
		t.Errorf("heading = %q", h)
	}
	// The QR code must really encode the scan URL of this request.
	svg := doc.Find(`svg[data-testid="qr-code"]`)
	content := svg.AttrOr("data-qr-content", "")
	if !strings.HasPrefix(content, f.issuer+"/mock/scan/") {
		t.Fatalf("QR content = %q, want %s/mock/scan/<id>", content, f.issuer)
	}
	checkQR(t, svg, content)
	if href := doc.Find(`[data-testid="scan-link"]`).AttrOr("href", ""); href != content {
		t.Errorf("scan link %q != QR content %q", href, content)
	}
	for _, p := range f.p.Personas() {
		b := doc.Find(fmt.Sprintf(`button[data-testid="persona-%s"]`, p.ID))
		if b.Length() != 1 || !strings.Contains(b.Text(), p.Name) || !strings.Contains(b.Text(), p.Description) {
			t.Errorf("persona button %s missing or without name and description: %q", p.ID, b.Text())
		}
	}

	// The phone view the QR opens offers the same picker and no QR code.
	phone := f.getPage(content, http.StatusOK)
	if phone.Find(`[data-testid="qr-code"]`).Length() != 0 || phone.Find(`[data-testid="persona-hostile-name"]`).Length() != 1 {
		t.Error("scan page should show the persona picker without a QR code")
	}

	consent, _ := f.pickPersona(doc, "siti-public-officer")
	if got := consent.Find(`[data-testid="consent-client-id"]`).Text(); got != clientID {
		t.Errorf("consent client id = %q", got)
	}
	if !strings.Contains(consent.Find("h1").Text(), "sgidweb tests") {
		t.Errorf("consent heading lacks the client name: %q", consent.Find("h1").Text())
	}
	for _, s := range []string{"myinfo.name", "myinfo.registered_address", "pocdex.public_officer_details"} {
		li := consent.Find(fmt.Sprintf(`[data-testid="consent-field-%s"]`, s))
		if li.Length() != 1 || strings.TrimSpace(li.Find(".field-label").Text()) == "" || strings.TrimSpace(li.Find(".field-purpose").Text()) == "" {
			t.Errorf("consent field %s missing or without label and purpose", s)
		}
	}
	if consent.Find(`[data-testid="consent-field-openid"]`).Length() != 0 {
		t.Error("openid is listed as a data field")
	}
	cform := consent.Find(`form[data-testid="consent-form"]`)
	resp, err := f.submit(cform, cform.Find(`[data-testid="consent-allow"]`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("allow answered %d, want 303", resp.StatusCode)
	}
	code := codeFrom(t, resp.Header.Get("Location"), f.redirectURI, a.state)
	tr := f.exchange(a, code)
	_, data := decryptUserinfo(t, f.userinfo(tr.AccessToken), clientKey)
	if want := mustPersona(t, "siti-public-officer").Fields["pocdex.public_officer_details"]; data["pocdex.public_officer_details"] != want {
		t.Errorf("pocdex = %q, want %q", data["pocdex.public_officer_details"], want)
	}

	// The request was decided: replaying the consent form finds nothing.
	f.postPage(cform, cform.Find(`[data-testid="consent-allow"]`), http.StatusNotFound)
}

func TestInteractiveDenyAndHostileName(t *testing.T) {
	f := newFixture(t)
	a := defaultAuth(f, "openid myinfo.name")
	doc := f.getPage(f.authorizeURL(a), http.StatusOK)
	consent, _ := f.pickPersona(doc, "hostile-name")
	// The name is shown as text (the page checker already found no script).
	if got := consent.Find(`[data-testid="consent-persona"]`).Text(); got != mustPersona(t, "hostile-name").Name {
		t.Errorf("persona name shown as %q", got)
	}
	cform := consent.Find(`form[data-testid="consent-form"]`)
	resp, err := f.submit(cform, cform.Find(`[data-testid="consent-deny"]`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || loc.Query().Get("error") != "access_denied" || loc.Query().Get("state") != a.state || loc.Query().Has("code") {
		t.Fatalf("deny answered %d to %q", resp.StatusCode, loc)
	}
}

// checkQR decodes the SVG path back into modules and compares them with an
// independent encoding of content, so the picture is a scannable code of it.
func checkQR(t *testing.T, svg *goquery.Selection, content string) {
	t.Helper()
	q, err := qrcode.New(content, qrcode.Medium)
	if err != nil {
		t.Fatal(err)
	}
	want := q.Bitmap()
	size := len(want)
	if vb := svg.AttrOr("viewBox", ""); vb != fmt.Sprintf("0 0 %d %d", size, size) {
		t.Fatalf("viewBox = %q, want a %d-module square", vb, size)
	}
	got := make([][]bool, size)
	for i := range got {
		got[i] = make([]bool, size)
	}
	d := svg.Find("path").AttrOr("d", "")
	runs := regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`).FindAllStringSubmatch(d, -1)
	if len(runs) == 0 {
		t.Fatalf("QR path is empty or unreadable: %.80q", d)
	}
	for _, r := range runs {
		x, _ := strconv.Atoi(r[1])
		y, _ := strconv.Atoi(r[2])
		w, _ := strconv.Atoi(r[3])
		for i := x; i < x+w; i++ {
			got[y][i] = true
		}
	}
	for y := range want {
		for x := range want[y] {
			if got[y][x] != want[y][x] {
				t.Fatalf("QR module (%d,%d) = %v, want %v", x, y, got[y][x], want[y][x])
			}
		}
	}
}

func TestPendingRequestExpires(t *testing.T) {
	f := newFixture(t)
	a := defaultAuth(f, "openid")
	doc := f.getPage(f.authorizeURL(a), http.StatusOK)
	form := doc.Find(`form[data-testid="persona-form"]`)
	f.clock.Advance(10*time.Minute + time.Second)
	expired := f.postPage(form, form.Find(`[data-testid="persona-tan-heng-huat"]`), http.StatusNotFound)
	if code := expired.Find(`[data-testid="mock-error"]`).AttrOr("data-error-code", ""); code != "unknown_request" || !strings.Contains(expired.Find("h1").Text(), "expired") {
		t.Errorf("expired page: code %q, heading %q", code, expired.Find("h1").Text())
	}
	wantHomeLink(t, expired, "https://rp.example/", "sgidweb tests")
	wantHomeLink(t, f.getPage(f.issuer+"/mock/scan/not-a-real-request", http.StatusNotFound), "https://rp.example/", "sgidweb tests")
}

// wantHomeLink checks that a page that ends a login leads back to the
// application's home page.
func wantHomeLink(t *testing.T, doc *goquery.Document, href, name string) {
	t.Helper()
	link := doc.Find(`a[data-testid="mock-home-link"]`)
	if link.Length() != 1 || link.AttrOr("href", "") != href || strings.TrimSpace(link.Text()) != "Back to "+name {
		t.Errorf("expected one link \"Back to %s\" to %s, got %d: %q to %q", name, href, link.Length(), link.Text(), link.AttrOr("href", ""))
	}
}

// Between its pages the mock answers each POST with a redirect to a GET,
// as a real site does: reloading the consent screen shows it again, and
// going Back to it after the login shows the expired page with the way home,
// never the browser's "Confirm Form Resubmission".
func TestStepsArePostRedirectGet(t *testing.T) {
	f := newFixture(t)
	a := defaultAuth(f, "openid myinfo.name")
	consent, consentURL := f.pickPersona(f.getPage(f.authorizeURL(a), http.StatusOK), "tan-heng-huat")
	reloaded := f.getPage(consentURL, http.StatusOK)
	if got := reloaded.Find(`[data-testid="consent-persona"]`).Text(); got != mustPersona(t, "tan-heng-huat").Name {
		t.Errorf("reloaded consent screen is for %q", got)
	}
	if n := consent.Find(`form[data-testid="consent-form"] input`).Length(); n != 0 {
		t.Errorf("expected the consent form to carry no hidden fields (the persona stays with the request), found %d", n)
	}
	cform := consent.Find(`form[data-testid="consent-form"]`)
	resp, err := f.submit(cform, cform.Find(`[data-testid="consent-allow"]`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("allow answered %d, want 303", resp.StatusCode)
	}
	back := f.getPage(consentURL, http.StatusNotFound)
	wantHomeLink(t, back, "https://rp.example/", "sgidweb tests")
}

// The consent screen of a request nobody picked a persona for goes back to
// the picker, and so does a decision sent without one.
func TestConsentWithoutPersonaGoesBackToThePicker(t *testing.T) {
	f := newFixture(t)
	a := defaultAuth(f, "openid")
	picker := f.getPage(f.authorizeURL(a), http.StatusOK)
	action := picker.Find(`form[data-testid="persona-form"]`).AttrOr("action", "")
	id := action[strings.LastIndex(action, "/")+1:]
	for _, req := range []struct{ method, body string }{{http.MethodGet, ""}, {http.MethodPost, "decision=allow"}} {
		r, _ := http.NewRequest(req.method, f.issuer+"/mock/consent/"+id, strings.NewReader(req.body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := f.http.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if want := mountPrefix + "/v2/mock/scan/" + id; resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
			t.Errorf("%s consent before a persona: want 303 to %s, got %d to %q", req.method, want, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
}

func TestStylesheetServed(t *testing.T) {
	f := newFixture(t)
	resp, err := f.http.Get(f.issuer + "/mock/mock.css")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") || !strings.Contains(string(body), ".mock-banner") {
		t.Fatalf("stylesheet: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

func TestRotateSigningKey(t *testing.T) {
	f := newFixture(t)
	a := defaultAuth(f, "openid")
	before := f.jwks()
	_, kid1 := f.verifyIDToken(f.exchange(a, f.approve(a, "tan-heng-huat")).IDToken, a.nonce)
	if len(before.Keys) != 1 || before.Keys[0].KeyID != kid1 || before.Keys[0].Algorithm != "RS256" || before.Keys[0].Use != "sig" || !before.Keys[0].IsPublic() {
		t.Fatalf("JWKS before rotation = %+v, want one public RS256 sig key with kid %q", before.Keys, kid1)
	}
	if err := f.p.RotateSigningKey(); err != nil {
		t.Fatal(err)
	}
	after := f.jwks()
	if len(after.Keys) != 1 || after.Keys[0].KeyID == kid1 {
		t.Fatalf("JWKS after rotation = %+v, want only a new key", after.Keys)
	}
	b := defaultAuth(f, "openid")
	_, kid2 := f.verifyIDToken(f.exchange(b, f.approve(b, "tan-heng-huat")).IDToken, b.nonce)
	if kid2 != after.Keys[0].KeyID {
		t.Fatalf("new ID token kid %q, JWKS kid %q", kid2, after.Keys[0].KeyID)
	}
}

func TestDiscoveryDocument(t *testing.T) {
	f := newFixture(t)
	resp, err := f.http.Get(f.issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"issuer":                 f.issuer,
		"authorization_endpoint": f.issuer + "/oauth/authorize",
		"token_endpoint":         f.issuer + "/oauth/token",
		"userinfo_endpoint":      f.issuer + "/oauth/userinfo",
		"jwks_uri":               f.issuer + "/.well-known/jwks.json",
	}
	for k, v := range want {
		if d[k] != v {
			t.Errorf("%s = %v, want %s", k, d[k], v)
		}
		if s, _ := d[k].(string); strings.Contains(strings.TrimPrefix(s, "http://"), "//") {
			t.Errorf("%s has a double slash: %s", k, s)
		}
	}
	if fmt.Sprint(d["token_endpoint_auth_methods_supported"]) != "[client_secret_post]" || fmt.Sprint(d["code_challenge_methods_supported"]) != "[S256]" {
		t.Errorf("auth methods %v, PKCE methods %v", d["token_endpoint_auth_methods_supported"], d["code_challenge_methods_supported"])
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
