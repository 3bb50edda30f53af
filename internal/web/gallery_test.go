package web_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

func TestGalleryServedInMockMode(t *testing.T) {
	s := startSite(t, nil)
	b := s.newBrowser()
	index := b.get("/dev/gallery")
	if index.Status != http.StatusOK {
		t.Fatalf("GET /dev/gallery in mock mode: expected 200, got %d", index.Status)
	}
	if cc := index.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("expected Cache-Control: no-store on the gallery (it shows forms with a CSRF token), got %q", cc)
	}
	if index.Doc.Find(`[data-testid="gallery-page"]`).Length() != 1 {
		t.Fatalf("expected the gallery page root, got %s", index.Body)
	}
	wantUniqueIDs(t, "/dev/gallery", index)

	// Every state in the index opens at its own address, once, with unique
	// ids, and at phone and desktop width in frames of this site.
	links := index.Doc.Find(`a.gallery__state-link`)
	if links.Length() < 50 {
		t.Errorf("expected at least 50 states in the index, found %d", links.Length())
	}
	links.Each(func(_ int, a *goquery.Selection) {
		href := a.AttrOr("href", "")
		p := b.get(href)
		if p.Status != http.StatusOK {
			t.Errorf("GET %s: expected 200, got %d", href, p.Status)
			return
		}
		wantUniqueIDs(t, href, p)
		if n := p.Doc.Find("h1").Length(); n != 1 {
			t.Errorf("%s: expected one <h1>, found %d", href, n)
		}
		if csp := p.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'self'") || p.Header.Get("X-Frame-Options") != "SAMEORIGIN" {
			t.Errorf("%s: expected framing by this site allowed, got CSP %q, X-Frame-Options %q", href, csp, p.Header.Get("X-Frame-Options"))
		}
		if strings.Contains(p.Body, " style=") {
			t.Errorf("%s: expected no inline style attribute", href)
		}
	})
	frames := b.get("/dev/gallery/home-logged-in/frames")
	if frames.Status != http.StatusOK || frames.Doc.Find(`iframe[src="/dev/gallery/home-logged-in"]`).Length() != 2 {
		t.Fatalf("frames page: expected 200 with two frames of the state, got %d", frames.Status)
	}
	if csp := frames.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-src 'self'") {
		t.Errorf("frames page: expected CSP frame-src 'self', got %q", csp)
	}
	if csp := b.get("/").Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("expected the site's own pages still unframeable, got CSP %q", csp)
	}
	if p := b.get("/dev/gallery/no-such-state"); p.Status != http.StatusNotFound {
		t.Errorf("an unknown state: expected 404, got %d", p.Status)
	}

	// A component state sits in a gallery page; a whole page is itself.
	state := b.get("/dev/gallery/login-ready?theme=dark")
	if state.Doc.Find(`[data-testid="gallery-specimen"] [data-testid="login-form"]`).Length() != 1 {
		t.Errorf("expected the login form inside the gallery's specimen, got %s", state.Body)
	}
	if got := state.Doc.Find("html").AttrOr("data-theme", ""); got != "dark" {
		t.Errorf("?theme=dark: expected data-theme=dark on <html>, got %q", got)
	}
	if next := state.Doc.Find(`a[rel="next"]`).AttrOr("href", ""); next != "/dev/gallery/login-working?theme=dark" {
		t.Errorf("expected the next state, in the same theme, got %q", next)
	}
	whole := b.get("/dev/gallery/home-logged-in")
	if whole.Doc.Find(`[data-testid="gallery-state"]`).Length() != 0 || whole.Doc.Find(`header [data-testid="logout-form"]`).Length() != 1 {
		t.Errorf("expected the logged-in home page as it is, with Log out in its header")
	}
	mock := b.get("/dev/gallery/mock-consent")
	if mock.Doc.Find(`[data-testid="mock-sgid-consent"]`).Length() != 1 {
		t.Errorf("expected the mock's consent page, got %s", mock.Body)
	}

	// The login forms carry this browser's real CSRF token, so pressing
	// them in the gallery works.
	want := b.csrf("/auth/login")
	if got := state.Doc.Find(`input[name="csrf_token"]`).AttrOr("value", ""); got != want {
		t.Errorf("expected the gallery's login form to carry the session's CSRF token %q, got %q", want, got)
	}
}

// wantUniqueIDs fails for every id that appears more than once on p.
func wantUniqueIDs(t *testing.T, what string, p page) {
	t.Helper()
	seen := map[string]int{}
	p.Doc.Find("[id]").Each(func(_ int, s *goquery.Selection) { seen[s.AttrOr("id", "")]++ })
	for id, n := range seen {
		if n > 1 {
			t.Errorf("%s: expected id %q once, found it %d times", what, id, n)
		}
	}
}

func TestGalleryNotServedAgainstRealSGID(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	s := startSite(t, map[string]string{
		"SGID_CLIENT_ID":     "client",
		"SGID_CLIENT_SECRET": "secret",
		"SGID_PRIVATE_KEY":   string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		// Nothing listens here; the test never logs in.
		"SGID_HOSTNAME": "http://127.0.0.1:9",
	})
	if s.app.Mock != nil {
		t.Fatal("expected the site to run against a real sgID, it runs the mock")
	}
	for _, path := range []string{"/dev/gallery", "/dev/gallery/home-logged-in", "/dev/gallery/home-logged-in/frames"} {
		if p := s.newBrowser().get(path); p.Status != http.StatusNotFound {
			t.Errorf("GET %s outside mock mode: expected 404, got %d", path, p.Status)
		}
	}
}
