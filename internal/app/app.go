// Package app wires sgidweb together from a validated configuration and runs
// it until the context ends.
package app

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/sgidweb/sgidweb/internal/config"
	"github.com/sgidweb/sgidweb/internal/mocksgid"
	"github.com/sgidweb/sgidweb/internal/session"
	"github.com/sgidweb/sgidweb/internal/sgid"
	"github.com/sgidweb/sgidweb/internal/web"
)

// MockClientID is the client id the embedded mock registers for this server.
const MockClientID = "sgidweb-local"

// shutdownGrace bounds how long in-flight requests may run after SIGTERM.
const shutdownGrace = 15 * time.Second

// App is a fully built server, ready to serve.
type App struct {
	Config  config.Config
	Handler http.Handler
	Store   session.Store
	Mock    *mocksgid.Provider // nil unless in mock mode
	log     *slog.Logger
	cookie  string
}

// SessionCookieName is the name of the session cookie this app sets.
func (a *App) SessionCookieName() string { return a.cookie }

// Option adjusts Build. Production passes none; tests use them to reach
// what the environment cannot express.
type Option func(*buildOptions)

type buildOptions struct {
	now func() time.Time
}

// WithClock makes sessions, login flows and the sgID client (ID token
// times, the key set's refetch window) read the time from now, so a test can
// age a login, a session or a cached key without waiting.
func WithClock(now func() time.Time) Option {
	return func(o *buildOptions) { o.now = now }
}

// Build opens the session store and builds the sgID client (and, in mock
// mode, the embedded provider) once. Nothing here is done per request.
func Build(ctx context.Context, cfg config.Config, log *slog.Logger, opts ...Option) (*App, error) {
	o := buildOptions{now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	var httpClient *http.Client
	var mock *mocksgid.Provider
	if cfg.MockMode {
		var err error
		cfg, mock, httpClient, err = setUpMock(cfg, log)
		if err != nil {
			return nil, err
		}
	}
	client, err := sgid.New(sgid.Config{
		Hostname:     cfg.SGIDHostname,
		ClientID:     cfg.ClientID,
		ClientSecret: cfg.ClientSecret,
		PrivateKey:   cfg.PrivateKey,
		RedirectURL:  cfg.RedirectURI,
		Scopes:       cfg.Scopes,
		Timeout:      cfg.Timeout,
		Leeway:       cfg.ClockLeeway,
		HTTPClient:   httpClient,
		Now:          o.now,
	})
	if err != nil {
		return nil, fmt.Errorf("app: sgID client: %w", err)
	}
	store, err := session.Open(ctx, cfg.SessionStore)
	if err != nil {
		return nil, fmt.Errorf("app: session store: %w", err)
	}
	sessions := session.New(session.Options{
		Store:       store,
		Secure:      cfg.Secure(),
		IdleTimeout: cfg.SessionIdleTimeout,
		Lifetime:    cfg.SessionLifetime,
		Now:         o.now,
	})
	deps := web.Deps{Config: cfg, Logger: log, SGID: client, Sessions: sessions, Store: store, Now: o.now}
	if mock != nil {
		deps.Mock = mock.Handler()
	}
	return &App{Config: cfg, Handler: web.New(deps).Handler(), Store: store, Mock: mock, log: log, cookie: sessions.CookieName()}, nil
}

// setUpMock registers this server as a client of a fresh embedded provider:
// a new client key pair and secret on every start, so nothing secret is
// committed or reused. The server reaches the provider in-process, so the
// mock works whatever ADDR and PUBLIC_URL say.
func setUpMock(cfg config.Config, log *slog.Logger) (config.Config, *mocksgid.Provider, *http.Client, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return cfg, nil, nil, fmt.Errorf("app: mock client key: %w", err)
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return cfg, nil, nil, fmt.Errorf("app: mock client secret: %w", err)
	}
	cfg.ClientID = MockClientID
	cfg.ClientSecret = base64.RawURLEncoding.EncodeToString(secret)
	cfg.PrivateKey = key
	issuer, err := sgid.Issuer(cfg.SGIDHostname)
	if err != nil {
		return cfg, nil, nil, fmt.Errorf("app: mock issuer: %w", err)
	}
	mock, err := mocksgid.New(mocksgid.Config{
		Issuer: issuer,
		Clients: []mocksgid.Client{{
			ID: cfg.ClientID, Secret: cfg.ClientSecret,
			RedirectURIs: []string{cfg.RedirectURI}, PublicKey: &key.PublicKey,
		}},
		Logger: log,
	})
	if err != nil {
		return cfg, nil, nil, fmt.Errorf("app: mock provider: %w", err)
	}
	transport := inProcess(cfg.SGIDHostname, http.StripPrefix(config.MockPath, mock.Handler()))
	return cfg, mock, &http.Client{Transport: transport, Timeout: cfg.Timeout}, nil
}

// Run serves until ctx ends, then shuts down cleanly: no new connections,
// in-flight requests get shutdownGrace to finish, and the store is closed.
func Run(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	a, err := Build(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Store.Close()
	ln, err := net.Listen("tcp", a.Config.Addr)
	if err != nil {
		return fmt.Errorf("app: listen on %s: %w", a.Config.Addr, err)
	}
	return a.Serve(ctx, ln)
}

// Serve answers on ln until ctx ends.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.Handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      a.Config.Timeout*2 + 10*time.Second, // a callback makes two sgID calls
		IdleTimeout:       90 * time.Second,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	if a.Config.MockMode {
		a.log.Warn("MOCK MODE: no sgID credentials are set, so logins use the embedded mock sgID; this is for development only",
			"mock_issuer", a.Config.SGIDHostname+"/v2")
	}
	a.log.Info("serving", "addr", ln.Addr().String(), "public_url", a.Config.PublicURL.String(), "session_store", a.Store.Kind())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("app: serve: %w", err)
	case <-ctx.Done():
	}
	a.log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("app: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("app: serve: %w", err)
	}
	return nil
}
