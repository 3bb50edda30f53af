package web_test

import (
	"net/http"
	"testing"
)

// Logged in, Log out is in the header of every page a logged-in person
// sees, where people look for it.
func TestLogOutIsInTheHeaderWhenLoggedIn(t *testing.T) {
	s := startSite(t, nil)
	b := s.newBrowser()
	if p := b.get("/"); p.Doc.Find(`header [data-testid="logout-form"]`).Length() != 0 {
		t.Error("logged out: expected no Log out in the header")
	}
	b.login(s.app.Mock.Personas()[0].ID, true)
	for _, path := range []string{"/", "/sessions"} {
		p := b.get(path)
		if p.Status != http.StatusOK {
			t.Fatalf("GET %s: want 200, got %d", path, p.Status)
		}
		if p.Doc.Find(`header [data-testid="logout-form"]`).Length() != 1 || p.Doc.Find(`header [data-testid="logged-in-as"]`).Length() != 1 {
			t.Errorf("GET %s: expected who is logged in and Log out in the header", path)
		}
		if n := p.Doc.Find(`[data-testid="logout-form"]`).Length(); n != 1 {
			t.Errorf("GET %s: expected one Log out form on the page, found %d", path, n)
		}
	}
}
