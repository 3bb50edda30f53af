package gatewaytest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/sgidweb/sgidweb/internal/testkit"
)

// Person is someone at a guarded app with a browser that keeps cookies
// (testkit.Browser). It follows no redirect by itself, so each hop can be
// checked.
type Person struct {
	*testkit.Browser
	t testing.TB
}

// NewPerson opens a fresh browser.
func NewPerson(t testing.TB) *Person {
	return &Person{Browser: testkit.NewBrowser(t), t: t}
}

// Echoed decodes the guarded app's echo on page.
func Echoed(t testing.TB, page testkit.Page) Received {
	t.Helper()
	var r Received
	if err := json.Unmarshal([]byte(page.Body), &r); err != nil {
		t.Fatalf("%s: want the app's echo, got %d %q", page.URL, page.Status, page.Body)
	}
	return r
}

// Request sends one request; header adds to or overrides the browser's.
func (p *Person) Request(method, rawURL string, header map[string]string, body string) testkit.Page {
	p.t.Helper()
	req, err := http.NewRequest(method, rawURL, strings.NewReader(body))
	if err != nil {
		p.t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return p.Do(req)
}

// navigation is the Accept a browser sends when it loads a page.
const navigation = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

// Open loads a page as a browser does from the address bar or a link,
// without following a redirect; extra headers are added.
func (p *Person) Open(rawURL string, extra map[string]string) testkit.Page {
	p.t.Helper()
	header := map[string]string{"Accept": navigation}
	for k, v := range extra {
		header[k] = v
	}
	return p.Request(http.MethodGet, rawURL, header, "")
}

// Follow follows page's redirects (at most ten), as a browser does.
func (p *Person) Follow(page testkit.Page) testkit.Page {
	p.t.Helper()
	for range 10 {
		loc := page.Location()
		if page.Status < 300 || page.Status > 399 || loc == nil {
			return page
		}
		page = p.Open(loc.String(), nil)
	}
	p.t.Fatalf("more than ten redirects, the last to %s", page.Location())
	return page
}

// Submit posts the form matching selector as a browser on that page would:
// its hidden inputs plus values.
func (p *Person) Submit(page testkit.Page, selector string, values url.Values) testkit.Page {
	p.t.Helper()
	form := page.Doc.Find(selector).First()
	if form.Length() == 0 {
		p.t.Fatalf("%s: no form %s in %d %q", page.URL, selector, page.Status, page.Body)
	}
	action, err := page.URL.Parse(form.AttrOr("action", ""))
	if err != nil {
		p.t.Fatal(err)
	}
	fields := url.Values{}
	form.Find(`input[type="hidden"]`).Each(func(_ int, in *goquery.Selection) {
		fields.Set(in.AttrOr("name", ""), in.AttrOr("value", ""))
	})
	for k, v := range values {
		fields[k] = v
	}
	return p.PostForm(action.String(), fields, map[string]string{"Accept": navigation})
}

// LogInAtMock picks the first test persona on the mock sgID's page and
// allows sharing, and follows the way back.
func (p *Person) LogInAtMock(authorize testkit.Page) testkit.Page {
	p.t.Helper()
	persona, ok := authorize.Doc.Find(`button[name="persona"]`).First().Attr("value")
	if !ok {
		p.t.Fatalf("%s: want the mock sgID's persona page, got %d %q", authorize.URL, authorize.Status, authorize.Body)
	}
	// The mock answers the pick with a redirect to its consent page.
	consent := p.Follow(p.Submit(authorize, `form[data-testid="persona-form"]`, url.Values{"persona": {persona}}))
	return p.Follow(p.Submit(consent, `form[data-testid="consent-form"]`, url.Values{"decision": {"allow"}}))
}

// LogOut presses the logout button on the home page at home (the base
// path's page, ending in "/"): its form's token, posted to auth/logout
// under home.
func (p *Person) LogOut(home string) testkit.Page {
	p.t.Helper()
	page := p.Open(home, nil)
	token, ok := page.Doc.Find(`form[action$="auth/logout"] input[name="csrf_token"]`).Attr("value")
	if !ok {
		p.t.Fatalf("%s: no logout form in %d %q", home, page.Status, page.Body)
	}
	return p.PostForm(home+"auth/logout", url.Values{"csrf_token": {token}}, nil)
}

// Cookie is the value of the cookie called name the browser holds for
// rawURL, "" when none.
func (p *Person) Cookie(rawURL, name string) string {
	for _, c := range p.Cookies(rawURL) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// Cookies are the cookies the browser holds for rawURL.
func (p *Person) Cookies(rawURL string) []*http.Cookie {
	u, _ := url.Parse(rawURL)
	return p.Client.Jar.Cookies(u)
}
