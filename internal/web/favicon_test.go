package web_test

import (
	"net/http"
	"testing"
)

// Browsers ask for /favicon.ico on every page by themselves; a 404 there
// would be an error in every visitor's console.
func TestFaviconAnswersWithoutError(t *testing.T) {
	s := startSite(t, nil)
	p := s.newBrowser().get("/favicon.ico")
	if p.Status != http.StatusNoContent {
		t.Fatalf("GET /favicon.ico: want 204, got %d", p.Status)
	}
}
