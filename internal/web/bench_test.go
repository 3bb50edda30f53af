package web_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// benchmarkLoggedIn measures GET path for a logged-in person through the
// whole router, without the network; ok says whether an answer is right.
func benchmarkLoggedIn(b *testing.B, store, path string, ok func(*httptest.ResponseRecorder) bool) {
	s := startSite(b, map[string]string{"SESSION_STORE": store})
	br := s.newBrowser()
	br.login(s.app.Mock.Personas()[0].ID, true)
	// At the site's own address: under any other host name the home page
	// is only a redirect to PUBLIC_URL.
	req := httptest.NewRequest(http.MethodGet, s.url+path, nil)
	req.AddCookie(&http.Cookie{Name: s.app.SessionCookieName(), Value: sessionCookie(b, br)})
	h := s.app.Handler
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if !ok(rec) {
			b.Fatalf("GET %s: unexpected answer %d", path, rec.Code)
		}
	}
}

// homeOK: the home page (session load from the store, view model, render).
func homeOK(rec *httptest.ResponseRecorder) bool { return rec.Code == http.StatusOK }

func BenchmarkLoggedInHomeMemory(b *testing.B) { benchmarkLoggedIn(b, "memory", "/", homeOK) }

func BenchmarkLoggedInHomeSQLite(b *testing.B) {
	benchmarkLoggedIn(b, "sqlite:"+b.TempDir()+"/sessions.db", "/", homeOK)
}

// BenchmarkVerifyLoggedIn measures GET /auth/verify for a logged-in person
// (session load, a signed assertion), which a proxy asks before every
// request of a guarded app: compare it with BenchmarkLoggedInHomeMemory.
func BenchmarkVerifyLoggedIn(b *testing.B) {
	benchmarkLoggedIn(b, "memory", "/auth/verify", func(rec *httptest.ResponseRecorder) bool {
		return rec.Code == http.StatusOK && rec.Header().Get("X-Sgid-Assertion") != ""
	})
}

// benchmarkAnonymousHome measures GET / for a visitor who is not logged in,
// over the default SQLite store, which it never touches: first visits
// (no cookie, so a CSRF cookie is issued each time) or returning ones (the
// CSRF cookie sent back).
func benchmarkAnonymousHome(b *testing.B, returning bool) {
	s := startSite(b, map[string]string{"SESSION_STORE": "sqlite:" + b.TempDir() + "/sessions.db"})
	req := httptest.NewRequest(http.MethodGet, s.url+"/", nil)
	if returning {
		rec := httptest.NewRecorder()
		s.app.Handler.ServeHTTP(rec, req)
		for _, c := range rec.Result().Cookies() {
			req.AddCookie(c)
		}
	}
	h := s.app.Handler
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET /: want 200, got %d", rec.Code)
		}
	}
}

func BenchmarkAnonymousHomeFirstVisit(b *testing.B) { benchmarkAnonymousHome(b, false) }

func BenchmarkAnonymousHomeReturning(b *testing.B) { benchmarkAnonymousHome(b, true) }
