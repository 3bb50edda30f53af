// Package app wires sgidweb together from a validated configuration and runs
// it until the context ends.
package app

import (
	"context"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/sgidweb/sgidweb/assets"
	"github.com/sgidweb/sgidweb/internal/config"
	"github.com/sgidweb/sgidweb/internal/gateway"
	"github.com/sgidweb/sgidweb/internal/metrics"
	"github.com/sgidweb/sgidweb/internal/mocksgid"
	"github.com/sgidweb/sgidweb/internal/session"
	"github.com/sgidweb/sgidweb/internal/session/store"
	"github.com/sgidweb/sgidweb/internal/sgid"
	"github.com/sgidweb/sgidweb/internal/web"
)

// MockClientID is the client id the embedded mock registers for this server.
const MockClientID = "sgidweb-local"

// shutdownGrace bounds how long in-flight requests may run after SIGTERM.
const shutdownGrace = 15 * time.Second

// sgidKeyRefreshInterval is how often the server fetches sgID's JWKS while
// it serves. Logins refetch on their own when a key is unknown; the
// interval bounds how long a key sgID withdrew can still verify, and how
// stale sgidweb_sgid_up can be while nobody logs in.
const sgidKeyRefreshInterval = 5 * time.Minute

// App is a fully built server, ready to serve.
type App struct {
	Config  config.Config
	Handler http.Handler
	Store   store.Store
	Mock    *mocksgid.Provider // nil unless in mock mode
	// Metrics serves the Prometheus metrics; nil unless METRICS_ADDR is set.
	Metrics   http.Handler
	metricsLn net.Listener
	// debugLn serves pprof; nil unless DEBUG_ADDR is set.
	debugLn net.Listener
	log     *slog.Logger
	cookie  string
	sgid    *sgid.Client
	// drain turns /readyz to 503; wait sleeps through SHUTDOWN_DELAY.
	drain func()
	wait  func(time.Duration)
}

// MetricsAddr is the address the metrics listener is bound to ("" when
// metrics are off); with METRICS_ADDR=127.0.0.1:0 it tells the port.
func (a *App) MetricsAddr() string {
	if a.metricsLn == nil {
		return ""
	}
	return a.metricsLn.Addr().String()
}

// SessionCookieName is the name of the session cookie this app sets.
func (a *App) SessionCookieName() string { return a.cookie }

// Option adjusts Build. Production passes none; tests use them to reach
// what the environment cannot express.
type Option func(*buildOptions)

type buildOptions struct {
	now       func() time.Time
	accessLog *slog.Logger
	wrapStore func(store.Store) store.Store
	wait      func(time.Duration)
}

// WithShutdownWait replaces the sleep through SHUTDOWN_DELAY after the
// context ends, so a test can look at the draining server for as long as it
// needs and then end the delay itself.
func WithShutdownWait(wait func(time.Duration)) Option {
	return func(o *buildOptions) { o.wait = wait }
}

// WithAccessLog sends the one line per request to log rather than to the
// main logger; the binary passes one that writes in batches.
func WithAccessLog(log *slog.Logger) Option {
	return func(o *buildOptions) { o.accessLog = log }
}

// WithStoreWrapper puts wrap around the opened session store, so a test can
// watch (count, or fail) every call the server makes to it.
func WithStoreWrapper(wrap func(store.Store) store.Store) Option {
	return func(o *buildOptions) { o.wrapStore = wrap }
}

// WithClock makes sessions, login flows and the sgID client (ID token
// times) read the time from now, so a test can age a login or a session
// without waiting.
func WithClock(now func() time.Time) Option {
	return func(o *buildOptions) { o.now = now }
}

// Build opens the session store and builds the sgID client (and, in mock
// mode, the embedded provider) once. Nothing here is done per request.
func Build(ctx context.Context, cfg config.Config, log *slog.Logger, opts ...Option) (*App, error) {
	o := buildOptions{now: time.Now, wait: time.Sleep}
	for _, opt := range opts {
		opt(&o)
	}
	// Every line logged with a request's context carries its request_id.
	log = slog.New(web.LogHandler(log.Handler()))
	var httpClient *http.Client
	var mock *mocksgid.Provider
	if cfg.MockMode {
		var err error
		cfg, mock, httpClient, err = setUpMock(cfg, log)
		if err != nil {
			return nil, err
		}
	}
	var m *metrics.Metrics
	var observer sgid.Observer
	if cfg.MetricsAddr != "" {
		m = metrics.New()
		observer = m
	}
	var previousKeys []*rsa.PrivateKey
	if cfg.PreviousKey != nil {
		previousKeys = append(previousKeys, cfg.PreviousKey)
	}
	if cfg.Dev {
		if err := assets.UseDir(cfg.AssetsDir); err != nil {
			return nil, fmt.Errorf("app: %w", err)
		}
		log.Info("development loop: serving assets from disk, uncached", "dir", cfg.AssetsDir)
	}
	client, err := sgid.New(sgid.Config{
		Hostname:     cfg.SGIDHostname,
		ClientID:     cfg.ClientID,
		ClientSecret: cfg.ClientSecret,
		PrivateKey:   cfg.PrivateKey,
		PreviousKeys: previousKeys,
		RedirectURL:  cfg.RedirectURI,
		Scopes:       cfg.Scopes,
		Timeout:      cfg.Timeout,
		Leeway:       cfg.ClockLeeway,
		HTTPClient:   httpClient,
		Observer:     observer,
		Now:          o.now,
	})
	if err != nil {
		return nil, fmt.Errorf("app: sgID client: %w", err)
	}
	store, err := store.Open(ctx, cfg.SessionStore)
	if err != nil {
		return nil, fmt.Errorf("app: session store: %w", err)
	}
	if o.wrapStore != nil {
		store = o.wrapStore(store)
	}
	sessionOpts := session.Options{
		Store:       store,
		Secure:      cfg.Secure(),
		IdleTimeout: cfg.SessionIdleTimeout,
		Lifetime:    cfg.SessionLifetime,
		Now:         o.now,
		Logger:      log,
	}
	auditKey, err := resolveAuditKey(ctx, cfg, store, log)
	if err != nil {
		store.Close()
		return nil, err
	}
	// The index of logged-in sessions is keyed by the hash audit lines
	// carry, so `sgidweb sessions revoke -subject-hash H` takes H from them.
	sessionOpts.SubjectHash = func(sub string) string { return web.SubjectHash(auditKey, sub) }
	csrfKey, err := csrfKey(cfg)
	if err != nil {
		store.Close()
		return nil, err
	}
	gatewayKey := cfg.GatewayKey
	if gatewayKey == nil {
		if gatewayKey, err = gateway.GenerateKey(); err != nil {
			store.Close()
			return nil, fmt.Errorf("app: %w", err)
		}
		// Only a site that shares its origin with an app (BASE_PATH not "/")
		// guards one, and in development one instance runs and restarts
		// are expected: elsewhere the warning would only be noise.
		if !cfg.MockMode && cfg.BasePath != "/" {
			log.Warn("GATEWAY_SIGNING_KEY is not set: identity assertions for guarded apps are signed with a key made for this process, so every instance (and every restart) publishes a different JWKS; set GATEWAY_SIGNING_KEY or GATEWAY_SIGNING_KEY_FILE to the same P-256 key on every instance",
				"kid", gatewayKey.KeyID())
		}
	}
	deps := web.Deps{Config: cfg, Logger: log, AccessLog: o.accessLog, SGID: client, Store: store, AuditKey: auditKey, CSRFKey: csrfKey, Now: o.now, GatewayKey: gatewayKey}
	a := &App{Config: cfg, Store: store, Mock: mock, log: log, sgid: client, wait: o.wait}
	if m != nil {
		deps.Metrics = m
		sessionOpts.OnExpiry = m.SessionDestroyed
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", m.Handler())
		a.Metrics = mux
		// Bound now, like the store is opened now: a taken port stops the start.
		if a.metricsLn, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			store.Close()
			return nil, fmt.Errorf("app: metrics listener on %s: %w", cfg.MetricsAddr, err)
		}
	}
	if cfg.DebugAddr != "" {
		if a.debugLn, err = net.Listen("tcp", cfg.DebugAddr); err != nil {
			a.closeSideListeners()
			store.Close()
			return nil, fmt.Errorf("app: debug listener on %s: %w", cfg.DebugAddr, err)
		}
	}
	sessions := session.New(sessionOpts)
	deps.Sessions = sessions
	if mock != nil {
		deps.Mock = mock
	}
	site := web.New(deps)
	a.Handler = site.Handler()
	a.drain = site.Drain
	a.cookie = sessions.CookieName()
	return a, nil
}

// auditKeyName names the audit key the session store keeps when
// AUDIT_HASH_KEY is not set.
const auditKeyName = "audit-hash"

// resolveAuditKey is AUDIT_HASH_KEY, or else a random key the session store
// keeps: every instance sharing the store, and every restart of a store
// that persists, then names a person by the same hash, so audit lines can
// be correlated and the index of logged-in sessions (keyed by that hash)
// works across instances. Whoever can read the store can read the key, but
// they can read the sgID subjects in the sessions already; the key keeps
// the logs, not the store, from naming people.
func resolveAuditKey(ctx context.Context, cfg config.Config, st store.Store, log *slog.Logger) ([]byte, error) {
	if len(cfg.AuditHashKey) > 0 {
		return cfg.AuditHashKey, nil
	}
	key, err := st.SharedKey(ctx, auditKeyName)
	if err != nil {
		return nil, fmt.Errorf("app: audit key from the session store: %w", err)
	}
	if st.Kind() == "memory" && !cfg.MockMode { // in development nobody correlates audit lines
		log.Warn("AUDIT_HASH_KEY is not set and SESSION_STORE=memory: audit lines name people by a hash under a random key made for this process, so the same person gets a different hash after a restart; set AUDIT_HASH_KEY to correlate them")
	}
	return key, nil
}

// csrfKey is CSRF_KEY, or else a key derived from the client secret: every
// instance of one site has the same secret, so a form one instance served
// is accepted by another without any setting, and the derivation (HKDF with
// its own label) reveals nothing of the secret.
func csrfKey(cfg config.Config) ([]byte, error) {
	if len(cfg.CSRFKey) > 0 {
		return cfg.CSRFKey, nil
	}
	key, err := hkdf.Key(sha256.New, []byte(cfg.ClientSecret), nil, "sgidweb csrf key v1", 32)
	if err != nil {
		return nil, fmt.Errorf("app: csrf key: %w", err)
	}
	return key, nil
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
	transport := inProcess(cfg.SGIDHostname, http.StripPrefix(cfg.Path(config.MockPath), mock.Handler()))
	return cfg, mock, &http.Client{Transport: transport, Timeout: cfg.Timeout}, nil
}

// Run serves until ctx ends, then shuts down cleanly: /readyz answers 503
// while the server keeps serving for SHUTDOWN_DELAY, then no new
// connections, in-flight requests get shutdownGrace to finish, and the
// store is closed.
func Run(ctx context.Context, cfg config.Config, log *slog.Logger, opts ...Option) error {
	a, err := Build(ctx, cfg, log, opts...)
	if err != nil {
		return err
	}
	defer a.Store.Close()
	ln, err := net.Listen("tcp", a.Config.Addr)
	if err != nil {
		a.closeSideListeners()
		return fmt.Errorf("app: listen on %s: %w", a.Config.Addr, err)
	}
	return a.Serve(ctx, ln)
}

// Server limits, documented in the README's Operations section. The write
// timeout covers a callback's two sgID calls (each bounded by SGID_TIMEOUT)
// plus rendering; request bodies are capped by web (64 KiB).
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 15 * time.Second
	idleTimeout       = 90 * time.Second
	maxHeaderBytes    = 32 << 10
)

// Serve answers on ln until ctx ends.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	srv := a.newServer(a.Handler)
	if a.Config.MockMode {
		a.log.Warn("MOCK MODE: no sgID credentials are set, so logins use the embedded mock sgID; this is for development only",
			"mock_issuer", a.Config.SGIDHostname+"/v2")
	}
	a.log.Info("serving", "addr", ln.Addr().String(), "public_url", a.Config.PublicURL.String(), "base_path", a.Config.BasePath, "session_store", a.Store.Kind(), "access_allow", a.Config.Access.String())
	if a.Config.UpstreamURL != nil {
		a.log.Info("guarding an app: requests outside the base path go to it for logged-in people", "upstream", a.Config.UpstreamURL.String())
	}

	refreshCtx, stopRefresh := context.WithCancel(ctx)
	refreshed := make(chan struct{})
	go func() {
		defer close(refreshed)
		ticker := time.NewTicker(sgidKeyRefreshInterval)
		defer ticker.Stop()
		keepSGIDKeysFresh(refreshCtx, a.sgid.RefreshKeys, ticker.C, a.log)
	}()
	defer func() {
		stopRefresh()
		<-refreshed
	}()

	servers := []*http.Server{srv}
	listeners := []net.Listener{ln}
	if a.metricsLn != nil {
		// Its own server, so metrics stay off the public listener and a
		// scrape never passes through the site's middleware.
		servers = append(servers, a.newServer(a.Metrics))
		listeners = append(listeners, a.metricsLn)
		a.log.Info("serving metrics", "addr", a.metricsLn.Addr().String())
	}
	if a.debugLn != nil {
		servers = append(servers, a.newServer(debugHandler()))
		listeners = append(listeners, a.debugLn)
		a.log.Info("serving pprof", "addr", a.debugLn.Addr().String())
	}
	errc := make(chan error, len(servers))
	for i := range servers {
		go func() { errc <- servers[i].Serve(listeners[i]) }()
	}
	var failed error
	pending := len(servers)
	select {
	case err := <-errc:
		pending--
		failed = fmt.Errorf("app: serve: %w", err)
	case <-ctx.Done():
		a.drainFor(a.Config.ShutdownDelay, servers)
		a.log.Info("shutting down")
	}
	// Shutdown closes the listeners at once, then waits for requests in
	// flight, up to shutdownGrace.
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	// Both at once: a server waiting for its requests must not keep the
	// other's listener open.
	shutdownErrs := make(chan error, len(servers))
	for _, s := range servers {
		go func() { shutdownErrs <- s.Shutdown(shutdownCtx) }()
	}
	for range servers {
		if err := <-shutdownErrs; err != nil && failed == nil {
			failed = fmt.Errorf("app: shutdown: %w", err)
		}
	}
	for range pending {
		if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) && failed == nil {
			failed = fmt.Errorf("app: serve: %w", err)
		}
	}
	return failed
}

// drainFor is a shutdown's first step behind a load balancer: /readyz
// answers 503 at once while everything else is still served for delay, long
// enough for the balancer's readiness probe to notice and send new requests
// elsewhere. Keep-alives are turned off so that pooled connections close
// after their next answer rather than being cut when the listener closes.
func (a *App) drainFor(delay time.Duration, servers []*http.Server) {
	a.drain()
	if delay <= 0 {
		return
	}
	for _, s := range servers {
		s.SetKeepAlivesEnabled(false)
	}
	a.log.Info("draining: not ready, still serving", "shutdown_delay", delay.String())
	a.wait(delay)
}

// keepSGIDKeysFresh fetches sgID's JWKS at once, then at every tick, until
// ctx ends. A failed fetch is logged; the cached keys stay in use, and
// sgidweb_sgid_up turns 0 until a fetch succeeds.
func keepSGIDKeysFresh(ctx context.Context, refresh func(context.Context) error, ticks <-chan time.Time, log *slog.Logger) {
	for {
		if err := refresh(ctx); err != nil && ctx.Err() == nil {
			log.Warn("sgID's signing keys could not be refreshed; logins go on with the keys fetched before",
				"reason", string(sgid.ReasonOf(err)), "error", err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-ticks:
		}
	}
}

// closeSideListeners releases the metrics and debug listeners Build bound
// when the server does not get to serve.
func (a *App) closeSideListeners() {
	for _, ln := range []net.Listener{a.metricsLn, a.debugLn} {
		if ln != nil {
			ln.Close()
		}
	}
}

func (a *App) newServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      a.Config.Timeout*2 + 10*time.Second,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
}
