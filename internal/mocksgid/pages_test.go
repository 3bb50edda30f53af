package mocksgid_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/sgidweb/sgidweb/assets"
	"github.com/sgidweb/sgidweb/internal/mocksgid"
)

// newProvider is a provider for page tests, with one client.
func newProvider(t *testing.T, issuer string, client mocksgid.Client) *mocksgid.Provider {
	t.Helper()
	client.ID, client.Secret, client.PublicKey = clientID, clientSecret, &clientKey.PublicKey
	p, err := mocksgid.New(mocksgid.Config{Issuer: issuer, Clients: []mocksgid.Client{client}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func renderDoc(t *testing.T, sp mocksgid.SamplePage) *goquery.Document {
	t.Helper()
	var buf bytes.Buffer
	if err := sp.Page.Render(context.Background(), &buf); err != nil {
		t.Fatalf("%s: render: %v", sp.ID, err)
	}
	doc, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// The way back from a login that cannot go on leads to the application's
// home: its HomeURL, or else its callback address without auth/callback,
// which keeps a base path.
func TestExpiredPageLinksToTheApplicationsHome(t *testing.T) {
	for _, tc := range []struct {
		client mocksgid.Client
		want   string
	}{
		{mocksgid.Client{RedirectURIs: []string{"http://localhost:8080/auth/callback"}}, "http://localhost:8080/"},
		{mocksgid.Client{RedirectURIs: []string{"https://agency.gov.sg/sgid/auth/callback"}}, "https://agency.gov.sg/sgid/"},
		{mocksgid.Client{RedirectURIs: []string{"https://rp.example/oidc/return?x=1"}}, "https://rp.example/"},
		{mocksgid.Client{RedirectURIs: []string{"https://rp.example/auth/callback"}, HomeURL: "https://rp.example/start"}, "https://rp.example/start"},
	} {
		p := newProvider(t, "http://127.0.0.1:1/mock-sgid/v2", tc.client)
		for _, sp := range p.SamplePages("") {
			if sp.ID == "mock-expired" {
				wantHomeLink(t, renderDoc(t, sp), tc.want, clientID)
			}
		}
	}
	_, err := mocksgid.New(mocksgid.Config{Issuer: "http://127.0.0.1:1/v2", Clients: []mocksgid.Client{{
		ID: "c", Secret: "s", PublicKey: &clientKey.PublicKey, RedirectURIs: []string{"https://rp.example/auth/callback"}, HomeURL: "javascript:alert(1)",
	}}})
	if err == nil || !strings.Contains(err.Error(), "home URL") {
		t.Errorf("a home URL that is not http(s): want an error naming it, got %v", err)
	}
}

// Under a base path (the issuer http://host/sgid/mock-sgid/v2) every
// address on the mock's pages stays under it, since each comes from the
// issuer.
func TestPagesKeepEveryAddressUnderTheBasePath(t *testing.T) {
	p := newProvider(t, "http://127.0.0.1:1/sgid/mock-sgid/v2", mocksgid.Client{RedirectURIs: []string{"http://127.0.0.1:1/sgid/auth/callback"}})
	for _, sp := range p.SamplePages("") {
		doc := renderDoc(t, sp)
		doc.Find("[href], [action], [src], [data-qr-content]").Each(func(_ int, s *goquery.Selection) {
			for _, name := range []string{"href", "action", "src", "data-qr-content"} {
				v, ok := s.Attr(name)
				v = strings.TrimPrefix(v, "http://127.0.0.1:1")
				if ok && !strings.HasPrefix(v, "/sgid/") {
					t.Errorf("%s: expected every address under /sgid/, found %s=%q", sp.ID, name, v)
				}
			}
		})
	}
}

// The samples the component gallery shows render the same every time, and
// a theme, when asked for, is fixed on <html>.
func TestSamplePagesAreStable(t *testing.T) {
	p := newProvider(t, "http://127.0.0.1:1/mock-sgid/v2", mocksgid.Client{RedirectURIs: []string{"http://127.0.0.1:1/auth/callback"}})
	first, second := p.SamplePages("dark"), p.SamplePages("dark")
	seen := map[string]bool{}
	for i, sp := range first {
		if seen[sp.ID] {
			t.Errorf("sample id %q is used twice", sp.ID)
		}
		seen[sp.ID] = true
		a, _ := renderDoc(t, sp).Html()
		b, _ := renderDoc(t, second[i]).Html()
		if a != b {
			t.Errorf("%s: two renderings differ", sp.ID)
		}
		if got := renderDoc(t, sp).Find("html").AttrOr("data-theme", ""); got != "dark" {
			t.Errorf("%s: expected data-theme=dark on <html>, got %q", sp.ID, got)
		}
	}
	for _, id := range []string{"mock-authorize", "mock-scan", "mock-consent", "mock-expired", "mock-invalid-request"} {
		if !seen[id] {
			t.Errorf("expected a sample of %s", id)
		}
	}
}

// The mock's pages follow the system's light or dark scheme, like the
// site's.
func TestStylesheetFollowsTheColourScheme(t *testing.T) {
	p := newProvider(t, "http://127.0.0.1:1/mock-sgid/v2", mocksgid.Client{RedirectURIs: []string{"http://127.0.0.1:1/auth/callback"}})
	rec := httptest.NewRecorder()
	p.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v2/mock/mock.css", nil))
	css, _ := io.ReadAll(rec.Body)
	for _, want := range []string{"color-scheme: light dark", "light-dark(", `[data-theme="dark"]`} {
		if !strings.Contains(string(css), want) {
			t.Errorf("expected the mock's stylesheet to contain %q", want)
		}
	}
}

// In the development loop the mock's stylesheet comes from disk, uncached,
// like the site's, so an edit shows on the next reload.
func TestStylesheetFromDiskInDevelopment(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "css"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "css", "mock.css"), []byte(".edited{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := assets.UseDir(dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(assets.UseEmbedded)
	p := newProvider(t, "http://127.0.0.1:1/mock-sgid/v2", mocksgid.Client{RedirectURIs: []string{"http://127.0.0.1:1/auth/callback"}})
	rec := httptest.NewRecorder()
	p.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v2/mock/mock.css", nil))
	if rec.Body.String() != ".edited{}" || rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("expected the file on disk with no-store, got %q with Cache-Control %q", rec.Body.String(), rec.Header().Get("Cache-Control"))
	}
}
