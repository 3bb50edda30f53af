package web_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// benchmarkLoggedInHome measures GET / for a logged-in person through the
// whole router (session load from the store, view model, render), without
// the network.
func benchmarkLoggedInHome(b *testing.B, store string) {
	s := startSite(b, map[string]string{"SESSION_STORE": store})
	br := s.newBrowser()
	br.login(s.app.Mock.Personas()[0].ID, true)
	// On the site's own host: another one is redirected to PUBLIC_URL.
	req := httptest.NewRequest(http.MethodGet, s.url+"/", nil)
	req.AddCookie(&http.Cookie{Name: s.app.SessionCookieName(), Value: sessionCookie(b, br)})
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

func BenchmarkLoggedInHomeMemory(b *testing.B) { benchmarkLoggedInHome(b, "memory") }

func BenchmarkLoggedInHomeSQLite(b *testing.B) {
	benchmarkLoggedInHome(b, "sqlite:"+b.TempDir()+"/sessions.db")
}

// BenchmarkVerifyLoggedIn measures GET /auth/verify for a logged-in person
// (session load, a signed assertion), which a proxy asks before every
// request of a guarded app: compare it with BenchmarkLoggedInHomeMemory.
func BenchmarkVerifyLoggedIn(b *testing.B) {
	s := startSite(b, map[string]string{"SESSION_STORE": "memory"})
	br := s.newBrowser()
	br.login(s.app.Mock.Personas()[0].ID, true)
	req := httptest.NewRequest(http.MethodGet, "/auth/verify", nil)
	req.AddCookie(&http.Cookie{Name: s.app.SessionCookieName(), Value: sessionCookie(b, br)})
	h := s.app.Handler
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || rec.Header().Get("X-Sgid-Assertion") == "" {
			b.Fatalf("GET /auth/verify: want 200 with an assertion, got %d", rec.Code)
		}
	}
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
