package web_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/sgidweb/sgidweb/internal/config"
	"github.com/sgidweb/sgidweb/internal/session"
	"github.com/sgidweb/sgidweb/internal/session/store"
	"github.com/sgidweb/sgidweb/internal/sgid"
	"github.com/sgidweb/sgidweb/internal/web"
)

// brokenCommits is a session store whose reads work but whose writes fail
// once broken is set, as a store that has just gone read-only or away would.
type brokenCommits struct {
	store.Store
	broken   atomic.Bool
	mu       sync.Mutex
	attempts int
}

func (s *brokenCommits) Commit(token string, b []byte, expiry time.Time) error {
	if !s.broken.Load() {
		return s.Store.Commit(token, b, expiry)
	}
	s.mu.Lock()
	s.attempts++
	s.mu.Unlock()
	return fmt.Errorf("%w: commit: %v", session.ErrUnavailable, errors.New("store down"))
}

func (s *brokenCommits) CommitExisting(ctx context.Context, token string, b []byte, expiry time.Time) (bool, error) {
	if !s.broken.Load() {
		return s.Store.CommitExisting(ctx, token, b, expiry)
	}
	s.mu.Lock()
	s.attempts++
	s.mu.Unlock()
	return false, fmt.Errorf("%w: commit: %v", session.ErrUnavailable, errors.New("store down"))
}

// serverWithStore builds the web server alone over st (no sgID traffic is
// needed for the pages it is used for).
func serverWithStore(t *testing.T, st store.Store) http.Handler {
	t.Helper()
	vars := map[string]string{"PUBLIC_URL": "http://127.0.0.1:8080", "SESSION_STORE": "memory"}
	cfg, err := config.Load(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	client, err := sgid.New(sgid.Config{Hostname: "http://127.0.0.1:1", ClientID: "client", ClientSecret: "secret",
		RedirectURL: cfg.RedirectURI, Scopes: []string{"openid"}})
	if err != nil {
		t.Fatalf("sgid client: %v", err)
	}
	log := slog.New(slog.DiscardHandler)
	sessions := session.New(session.Options{Store: st, IdleTimeout: 30 * time.Minute, Lifetime: 12 * time.Hour, Logger: log})
	return web.New(web.Deps{Config: cfg, Logger: log, SGID: client, Sessions: sessions, Store: st, AuditKey: make([]byte, 32)}).Handler()
}

// A page that changes the session (the home page spends the flash message
// a logout left) must not go out when the change was not stored: the
// person gets the whole 503 page, not the page they asked for with a 503
// status. A login whose flow could not be stored is the 503 page too, not
// a redirect to sgID that no callback could finish.
func TestPageWhoseSessionCannotBeSavedIsTheOutagePage(t *testing.T) {
	mem, err := store.Open(context.Background(), "memory")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mem.Close() })
	st := &brokenCommits{Store: mem}
	h := serverWithStore(t, st)
	// The site's own origin: a request for another host is redirected there.
	const origin = "http://127.0.0.1:8080"
	jar := map[string]*http.Cookie{}
	do := func(req *http.Request) (*http.Response, string) {
		for _, c := range jar {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		res := rec.Result()
		for _, c := range res.Cookies() {
			jar[c.Name] = c
		}
		body, _ := io.ReadAll(res.Body)
		return res, string(body)
	}
	post := func(path, token string) *http.Request {
		req := httptest.NewRequest(http.MethodPost, origin+path, strings.NewReader(url.Values{"csrf_token": {token}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		return req
	}
	loginToken := func() string {
		_, body := do(httptest.NewRequest(http.MethodGet, origin+"/fragments/login-button", nil))
		doc, _ := goquery.NewDocumentFromReader(strings.NewReader(body))
		return doc.Find(`form[action="/auth/login"] input[name="csrf_token"]`).AttrOr("value", "")
	}
	if res, _ := do(post("/auth/logout", loginToken())); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: want 303, got %d", res.StatusCode)
	}

	st.broken.Store(true)
	// Showing the login button writes nothing, so it works still.
	token := loginToken()
	if token == "" || st.attempts != 0 {
		t.Fatalf("the login button while the store refuses writes: token %q after %d commits", token, st.attempts)
	}
	for _, req := range []*http.Request{httptest.NewRequest(http.MethodGet, origin+"/", nil), post("/auth/login", token)} {
		sessionBefore := jar[session.CookieName]
		res, body := do(req)
		if res.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("%s %s: want 503, got %d", req.Method, req.URL.Path, res.StatusCode)
		}
		if !strings.Contains(body, `data-testid="error-page"`) || strings.Contains(body, `data-testid="login-button"`) || strings.Contains(body, `data-testid="flash"`) {
			t.Errorf("%s %s: want the error page alone, got:\n%s", req.Method, req.URL.Path, body)
		}
		if jar[session.CookieName] != sessionBefore {
			t.Errorf("%s %s: no session was stored, yet a session cookie was set", req.Method, req.URL.Path)
		}
	}
	if st.attempts != 2 {
		t.Errorf("want one commit attempt per request and no retry, got %d for 2 requests", st.attempts)
	}
}
