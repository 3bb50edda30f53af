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

	"github.com/sgidweb/sgidweb/internal/mocksgid"
	"github.com/sgidweb/sgidweb/views/pages"
)

func TestGalleryServedInMockMode(t *testing.T) {
	s := startSite(t, nil)
	b := s.newBrowser()
	p := b.get("/dev/gallery")
	if p.Status != http.StatusOK {
		t.Fatalf("GET /dev/gallery in mock mode: expected 200, got %d", p.Status)
	}
	if cc := p.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("expected Cache-Control: no-store on the gallery (it shows forms with a CSRF token), got %q", cc)
	}
	if p.Doc.Find(`[data-testid="gallery-page"]`).Length() != 1 {
		t.Fatalf("expected the gallery page root, got %s", p.Body)
	}
	for _, section := range []string{"page-shell", "buttons", "login-button", "flash", "consent-status", "profile-panel", "error-page"} {
		if p.Doc.Find(`[data-testid="section-`+section+`"]`).Length() != 1 {
			t.Errorf("expected the gallery section %q, it is missing", section)
		}
	}
	// Every persona's profile, and every error status the server sends.
	for _, persona := range mocksgid.Personas() {
		state := p.Doc.Find(`[data-testid="state-profile-` + persona.ID + `"]`)
		if state.Length() != 1 {
			t.Errorf("expected a profile state for persona %s, found %d", persona.ID, state.Length())
			continue
		}
		if n := state.Find(`[data-testid="field-myinfo-name"]`).Length(); n != 4 {
			t.Errorf("persona %s: expected the name field once in each of 4 frames, found %d", persona.ID, n)
		}
	}
	for _, status := range []string{"400", "403", "404", "429", "502", "503", "504", "500"} {
		if p.Doc.Find(`[data-testid^="state-error-`+status+`"] [data-testid="error-status"]`).Length() == 0 {
			t.Errorf("expected an error page state with status %s", status)
		}
	}

	// Every state in both themes at both widths.
	states := p.Doc.Find(`article.specimen`)
	if states.Length() < 30 {
		t.Errorf("expected at least 30 states, found %d", states.Length())
	}
	states.Each(func(_ int, st *goquery.Selection) {
		id := strings.TrimPrefix(st.AttrOr("data-testid", ""), "state-")
		for _, theme := range pages.GalleryThemes {
			for _, width := range pages.GalleryWidths {
				f := st.Find(`[data-testid="` + pages.FrameTestID(id, theme, width) + `"]`)
				if f.Length() != 1 {
					t.Errorf("state %s: expected one %s %s frame, found %d", id, theme, width, f.Length())
					continue
				}
				if got := f.AttrOr("data-theme", ""); got != string(theme) {
					t.Errorf("state %s: expected data-theme=%q on the frame, got %q", id, theme, got)
				}
				if !f.HasClass("frame--" + string(width)) {
					t.Errorf("state %s: expected class frame--%s on the frame, got %q", id, width, f.AttrOr("class", ""))
				}
				if f.Children().Length() == 0 {
					t.Errorf("state %s: the %s %s frame is empty", id, theme, width)
				}
			}
		}
	})

	// The login forms carry this browser's real CSRF token, so pressing
	// them in the gallery works.
	want := b.csrf("/auth/login")
	p.Doc.Find(`[data-testid="state-login-ready"] input[name="csrf_token"]`).Each(func(_ int, in *goquery.Selection) {
		if got := in.AttrOr("value", ""); got != want {
			t.Errorf("expected the gallery's login form to carry the session's CSRF token %q, got %q", want, got)
		}
	})
	if strings.Contains(p.Body, " style=") {
		t.Error("expected no inline style attribute in the gallery")
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
	p := s.newBrowser().get("/dev/gallery")
	if p.Status != http.StatusNotFound {
		t.Errorf("GET /dev/gallery outside mock mode: expected 404, got %d", p.Status)
	}
}
