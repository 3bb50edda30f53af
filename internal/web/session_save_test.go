package web_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sgidweb/sgidweb/internal/config"
	"github.com/sgidweb/sgidweb/internal/session"
	"github.com/sgidweb/sgidweb/internal/session/store"
	"github.com/sgidweb/sgidweb/internal/sgid"
	"github.com/sgidweb/sgidweb/internal/web"
)

// brokenCommits is a session store whose reads work but whose writes fail,
// as a store that has just gone read-only or away would.
type brokenCommits struct {
	store.Store
	mu       sync.Mutex
	attempts int
}

func (s *brokenCommits) Commit(string, []byte, time.Time) error {
	s.mu.Lock()
	s.attempts++
	s.mu.Unlock()
	return fmt.Errorf("%w: commit: %v", session.ErrUnavailable, errors.New("store down"))
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

// A page that changes the session (the home page makes the CSRF token of
// its login button) must not go out when the change was not stored: the
// person gets the whole 503 page, not the page they asked for with a 503
// status.
func TestPageWhoseSessionCannotBeSavedIsTheOutagePage(t *testing.T) {
	mem, err := store.Open(context.Background(), "memory")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mem.Close() })
	st := &brokenCommits{Store: mem}
	h := serverWithStore(t, st)
	for _, target := range []string{"/", "/fragments/login-button"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8080"+target, nil))
		res := rec.Result()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("GET %s: want 503, got %d", target, res.StatusCode)
		}
		if !strings.Contains(string(body), `data-testid="error-page"`) || strings.Contains(string(body), `data-testid="login-button"`) {
			t.Errorf("GET %s: want the error page alone, got:\n%s", target, body)
		}
		for _, ck := range res.Cookies() {
			t.Errorf("GET %s: no session was stored, yet a cookie was set: %s", target, ck.Name)
		}
	}
	if st.attempts != 2 {
		t.Errorf("want one commit attempt per request and no retry, got %d for 2 requests", st.attempts)
	}
}
