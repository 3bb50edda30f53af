package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/sgidweb/sgidweb/internal/config"
)

// securityHeaders writes the header map directly, which skips the key
// canonicalisation Header.Set does; a key in any other form would be missed
// by Header.Get and doubled by a later Header.Set.
func TestSecurityHeadersUseCanonicalKeysAndOwnSlices(t *testing.T) {
	public, _ := url.Parse("https://sgidweb.example")
	s := &Server{cfg: config.Config{PublicURL: public}, csp: "default-src 'none'"}
	if !s.cfg.Secure() {
		t.Fatal("the test needs an https config, so that every header is set")
	}
	e := echo.New()
	rec := httptest.NewRecorder()
	c := e.NewContext(httptest.NewRequest(http.MethodGet, "/", nil), rec)
	if err := s.securityHeaders(func(echo.Context) error { return nil })(c); err != nil {
		t.Fatal(err)
	}
	h := rec.Header()
	if len(h) != 8 {
		t.Errorf("want 8 headers, got %d: %v", len(h), h)
	}
	for k := range h {
		if k != http.CanonicalHeaderKey(k) {
			t.Errorf("header key %q is not canonical", k)
		}
	}
	h.Add("X-Frame-Options", "SAMEORIGIN")
	if got := h.Values("Cross-Origin-Opener-Policy"); len(got) != 1 || got[0] != "same-origin" {
		t.Errorf("adding to one header changed its neighbour: Cross-Origin-Opener-Policy %v", got)
	}
}
