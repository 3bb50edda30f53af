package gatewaytest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// Person is someone with a browser that keeps cookies. It follows no
// redirect by itself, so each hop can be checked.
type Person struct {
	t      testing.TB
	jar    *cookiejar.Jar
	client *http.Client
}

// NewPerson opens a fresh browser.
func NewPerson(t testing.TB) *Person {
	jar, _ := cookiejar.New(nil)
	return &Person{t: t, jar: jar, client: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Page is one answer.
type Page struct {
	URL    *url.URL
	Status int
	Header http.Header
	Body   string
	Doc    *goquery.Document
}

// Location is the page's redirect target, resolved against its URL.
func (p Page) Location() *url.URL {
	loc, err := p.URL.Parse(p.Header.Get("Location"))
	if err != nil || p.Header.Get("Location") == "" {
		return nil
	}
	return loc
}

// Received decodes the guarded app's echo.
func (p Page) Received(t testing.TB) Received {
	t.Helper()
	var r Received
	if err := json.Unmarshal([]byte(p.Body), &r); err != nil {
		t.Fatalf("%s: want the app's echo, got %d %q", p.URL, p.Status, p.Body)
	}
	return r
}

// Request sends one request; header adds to or overrides the browser's.
func (p *Person) Request(method, rawURL string, header map[string]string, body string) Page {
	p.t.Helper()
	req, err := http.NewRequest(method, rawURL, strings.NewReader(body))
	if err != nil {
		p.t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := p.client.Do(req)
	if err != nil {
		p.t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	doc, _ := goquery.NewDocumentFromReader(bytes.NewReader(b))
	return Page{URL: req.URL, Status: res.StatusCode, Header: res.Header, Body: string(b), Doc: doc}
}

// navigation is what a browser sends when it loads a page.
var navigation = map[string]string{"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}

// Open loads a page as a browser does from the address bar or a link,
// without following a redirect; extra headers are added.
func (p *Person) Open(rawURL string, extra map[string]string) Page {
	p.t.Helper()
	header := map[string]string{}
	for k, v := range navigation {
		header[k] = v
	}
	for k, v := range extra {
		header[k] = v
	}
	return p.Request(http.MethodGet, rawURL, header, "")
}

// Follow follows page's redirects (at most ten), as a browser does.
func (p *Person) Follow(page Page) Page {
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
// its hidden inputs plus values, from the page's own origin.
func (p *Person) Submit(page Page, selector string, values url.Values) Page {
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
	origin := page.URL.Scheme + "://" + page.URL.Host
	header := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": origin, "Sec-Fetch-Site": "same-origin"}
	for k, v := range navigation {
		header[k] = v
	}
	return p.Request(http.MethodPost, action.String(), header, fields.Encode())
}

// LogInAtMock picks the first test persona on the mock sgID's page and
// allows sharing, and follows the way back.
func (p *Person) LogInAtMock(authorize Page) Page {
	p.t.Helper()
	persona, ok := authorize.Doc.Find(`button[name="persona"]`).First().Attr("value")
	if !ok {
		p.t.Fatalf("%s: want the mock sgID's persona page, got %d %q", authorize.URL, authorize.Status, authorize.Body)
	}
	consent := p.Submit(authorize, `form[data-testid="persona-form"]`, url.Values{"persona": {persona}})
	return p.Follow(p.Submit(consent, `form[data-testid="consent-form"]`, url.Values{"decision": {"allow"}}))
}

// LogOut presses the logout button on the home page at home (the base
// path's page, ending in "/"): its form's token, posted to auth/logout
// under home.
func (p *Person) LogOut(home string) Page {
	p.t.Helper()
	page := p.Open(home, nil)
	token, ok := page.Doc.Find(`form[action$="auth/logout"] input[name="csrf_token"]`).Attr("value")
	if !ok {
		p.t.Fatalf("%s: no logout form in %d %q", home, page.Status, page.Body)
	}
	header := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": page.URL.Scheme + "://" + page.URL.Host, "Sec-Fetch-Site": "same-origin"}
	return p.Request(http.MethodPost, home+"auth/logout", header, url.Values{"csrf_token": {token}}.Encode())
}

// Cookie is the value of the cookie called name the browser holds for
// rawURL, "" when none.
func (p *Person) Cookie(rawURL, name string) string {
	u, _ := url.Parse(rawURL)
	for _, c := range p.jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// Cookies is the browser's Cookie header for rawURL.
func (p *Person) Cookies(rawURL string) []*http.Cookie {
	u, _ := url.Parse(rawURL)
	return p.jar.Cookies(u)
}
