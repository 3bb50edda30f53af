package testkit

import (
	"bytes"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
)

// Browser is an HTTP client with a cookie jar, as a person's browser is. By
// default it does not follow redirects, so that a test can check each hop;
// FollowRedirects makes it follow them as a browser does.
type Browser struct {
	t testing.TB
	// Client is the underlying client; tests may plant cookies in its Jar.
	Client *http.Client
}

// BrowserOption changes how a Browser behaves.
type BrowserOption func(*http.Client)

// FollowRedirects makes the browser follow redirects to the end.
func FollowRedirects(c *http.Client) { c.CheckRedirect = nil }

// NewBrowser starts a browser with an empty cookie jar. Every request gives
// up after 30 seconds, so that a hung server fails the test instead of
// hanging it.
func NewBrowser(t testing.TB, opts ...BrowserOption) *Browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{
		Jar:           jar,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	for _, o := range opts {
		o(c)
	}
	return &Browser{t: t, Client: c}
}

// Page is an answer as the test reads it.
type Page struct {
	URL    *url.URL // where it was served from, after any redirects followed
	Status int
	Header http.Header
	Body   string
	Doc    *goquery.Document // the body parsed as HTML (empty for an empty body)
}

// Location is the page's redirect target resolved against its URL, nil
// when it has none.
func (p Page) Location() *url.URL {
	raw := p.Header.Get("Location")
	if raw == "" {
		return nil
	}
	loc, err := p.URL.Parse(raw)
	if err != nil {
		return nil
	}
	return loc
}

// Text is the trimmed text of the element with this data-testid.
func (p Page) Text(testid string) string {
	return strings.TrimSpace(p.Doc.Find(`[data-testid="` + testid + `"]`).Text())
}

// Do sends req and reads the whole answer; a transport error fails the test.
func (b *Browser) Do(req *http.Request) Page {
	b.t.Helper()
	res, err := b.Client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatalf("%s %s: read: %v", req.Method, req.URL, err)
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		b.t.Fatalf("%s %s: parse: %v", req.Method, req.URL, err)
	}
	return Page{URL: res.Request.URL, Status: res.StatusCode, Header: res.Header, Body: string(body), Doc: doc}
}

// Get fetches target, an absolute URL.
func (b *Browser) Get(target string) Page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.Do(req)
}

// PostForm submits a form to target the way a browser on target's own site
// does: urlencoded, with Origin and Sec-Fetch-Site: same-origin. headers
// add to or replace those; an empty value removes a header.
func (b *Browser) PostForm(target string, form url.Values, headers map[string]string) Page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", req.URL.Scheme+"://"+req.URL.Host)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for k, v := range headers {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	return b.Do(req)
}
