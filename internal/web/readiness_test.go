package web_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sgidweb/sgidweb/internal/apptest"
	"github.com/sgidweb/sgidweb/internal/config"
	"github.com/sgidweb/sgidweb/internal/session"
	"github.com/sgidweb/sgidweb/internal/session/store"
	"github.com/sgidweb/sgidweb/internal/sgid"
	"github.com/sgidweb/sgidweb/internal/sgidtest"
	"github.com/sgidweb/sgidweb/internal/web"
)

// An sgID outage is every instance's outage at once: if readiness followed
// sgID's JWKS, a load balancer would drain the whole fleet while logged-in
// people could still be served. Readiness reports what this instance owns.
func TestReadinessIgnoresSGID(t *testing.T) {
	h := startHostileSite(t, nil)
	h.p.SetFaults(sgidtest.Faults{JWKS: func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) }})
	b := h.newBrowser()
	if p := b.get("/readyz"); p.Status != http.StatusOK {
		t.Fatalf("/readyz with sgID's JWKS down and nothing cached: want 200, got %d %q", p.Status, p.Body)
	}
}

// pingStore is a memory store whose Ping fails while down is set.
type pingStore struct {
	store.Store
	down atomic.Bool
}

func (s *pingStore) Ping(ctx context.Context) error {
	if s.down.Load() {
		return errors.New("store down")
	}
	return s.Store.Ping(ctx)
}

// startReadinessServer serves the real routes over a store the test can
// take down, and returns the server to drain.
func startReadinessServer(t *testing.T) (*httptest.Server, *web.Server, *pingStore) {
	t.Helper()
	var pinging *pingStore
	ts, srv := startServerOver(t, func(inner store.Store) store.Store {
		pinging = &pingStore{Store: inner}
		return pinging
	})
	return ts, srv, pinging
}

// startServerOver serves the real routes over a memory session store
// wrapped by wrap (a test double that counts or fails calls). No sgID is
// reached: the routes these tests ask for never call it.
func startServerOver(t *testing.T, wrap func(store.Store) store.Store) (*httptest.Server, *web.Server) {
	t.Helper()
	// Listening first, so that PUBLIC_URL can name the port.
	ln := apptest.Listen(t)
	cfg, err := config.Load(func(k string) string {
		return map[string]string{"PUBLIC_URL": "http://" + ln.Addr().String(), "ADDR": ln.Addr().String(), "SESSION_STORE": "memory"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	inner, err := store.Open(context.Background(), "memory")
	if err != nil {
		t.Fatal(err)
	}
	st := wrap(inner)
	t.Cleanup(func() { st.Close() })
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	client, err := sgid.New(sgid.Config{Hostname: cfg.SGIDHostname, ClientID: "client", ClientSecret: "secret",
		PrivateKey: key, RedirectURL: cfg.RedirectURI, Scopes: cfg.Scopes})
	if err != nil {
		t.Fatal(err)
	}
	sessions := session.New(session.Options{Store: st, IdleTimeout: time.Hour, Lifetime: 2 * time.Hour})
	srv := web.New(web.Deps{Config: cfg, Logger: slog.New(slog.DiscardHandler), SGID: client,
		Sessions: sessions, Store: st, AuditKey: []byte("audit-key-for-tests")})
	ts := httptest.NewUnstartedServer(srv.Handler())
	ts.Listener.Close()
	ts.Listener = ln
	ts.Start()
	t.Cleanup(ts.Close)
	return ts, srv
}

func TestReadinessFollowsTheSessionStore(t *testing.T) {
	ts, _, store := startReadinessServer(t)
	for _, tc := range []struct {
		down bool
		want int
	}{{false, http.StatusOK}, {true, http.StatusServiceUnavailable}, {false, http.StatusOK}} {
		store.down.Store(tc.down)
		if res, _ := send(t, http.MethodGet, ts.URL+"/readyz", nil); res.StatusCode != tc.want {
			t.Errorf("/readyz with the store down=%v: want %d, got %d", tc.down, tc.want, res.StatusCode)
		}
	}
}

// Draining is the first step of a shutdown: the load balancer must see
// not-ready while the instance still answers everything else.
func TestReadinessIsFalseWhileDraining(t *testing.T) {
	ts, srv, _ := startReadinessServer(t)
	if res, _ := send(t, http.MethodGet, ts.URL+"/readyz", nil); res.StatusCode != http.StatusOK {
		t.Fatalf("/readyz before draining: want 200, got %d", res.StatusCode)
	}
	srv.Drain()
	if res, body := send(t, http.MethodGet, ts.URL+"/readyz", nil); res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz while draining: want 503, got %d %q", res.StatusCode, body)
	}
	for _, path := range []string{"/", "/healthz"} {
		if res, _ := send(t, http.MethodGet, ts.URL+path, nil); res.StatusCode != http.StatusOK {
			t.Errorf("GET %s while draining: want 200, got %d", path, res.StatusCode)
		}
	}
}
