// Package web is the HTTP face of sgidweb: Echo routes, middleware and the
// handlers that turn requests into calls on internal/sgid and
// internal/session and then into templ components.
package web

import (
	"crypto/rand"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sgidweb/sgidweb/internal/config"
	"github.com/sgidweb/sgidweb/internal/gateway"
	"github.com/sgidweb/sgidweb/internal/mocksgid"
	"github.com/sgidweb/sgidweb/internal/session"
	"github.com/sgidweb/sgidweb/internal/session/store"
	"github.com/sgidweb/sgidweb/internal/sgid"
	"github.com/sgidweb/sgidweb/views/pages"
)

// Deps are what the server needs; app.Run builds them once.
type Deps struct {
	Config config.Config
	Logger *slog.Logger
	// AccessLog gets the one line per request; Logger when nil. The
	// binary gives it a batched writer (internal/logging).
	AccessLog *slog.Logger
	SGID      *sgid.Client
	Sessions  *session.Manager
	Store     store.Store
	// Mock is the embedded mock provider, served under config.MockPath and
	// shown in the component gallery; nil unless in mock mode.
	Mock *mocksgid.Provider
	// Metrics counts logins, sessions and requests; nil: nothing is counted.
	Metrics Recorder
	// AuditKey keys the subject hash in audit lines; it must not be empty.
	AuditKey []byte
	// CSRFKey keys the forms' CSRF tokens; instances behind one load
	// balancer need the same. Empty: a random key, so forms work with
	// this instance only.
	CSRFKey []byte
	// Now is the clock for login flows and logins; time.Now when nil.
	Now func() time.Time
	// GatewayKey signs the identity assertions of forward auth and the
	// proxy; a fresh key when nil.
	GatewayKey *gateway.Key
}

// Server holds the dependencies every handler uses.
type Server struct {
	cfg      config.Config
	log      *slog.Logger
	access   *slog.Logger
	sgid     *sgid.Client
	sessions *session.Manager
	store    store.Store
	mock     *mocksgid.Provider
	metrics  Recorder
	auditKey []byte
	csrfKey  []byte
	echo     *echo.Echo
	csp      string
	origins  *http.CrossOriginProtection
	now      func() time.Time
	// csrfCookie is the CSRF cookie's name: __Host- prefixed under https.
	csrfCookie string
	// loginLimit and callbackLimit limit each client's logins and
	// callbacks (RATE_LIMIT_LOGIN); nil when off.
	loginLimit, callbackLimit echo.MiddlewareFunc
	// draining is set once shutdown begins; /readyz then answers 503.
	draining atomic.Bool
	// requested is what sgID will ask for, as the page shows it before
	// login: fixed by the configuration, so made once.
	requested []pages.ConsentItem
	// assertions and gate answer forward auth; proxy forwards to the
	// guarded app (nil without UPSTREAM_URL).
	assertions *gateway.Assertions
	gate       *gateway.Gate
	proxy      *gateway.Proxy
}

// New builds the server and its routes.
func New(d Deps) *Server {
	s := &Server{
		cfg:      d.Config,
		log:      d.Logger,
		access:   d.AccessLog,
		sgid:     d.SGID,
		sessions: d.Sessions,
		store:    d.Store,
		mock:     d.Mock,
		metrics:  d.Metrics,
		auditKey: d.AuditKey,
		csrfKey:  d.CSRFKey,
		echo:     echo.New(),
		now:      d.Now,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.access == nil {
		s.access = s.log
	}
	if s.metrics == nil {
		s.metrics = noRecorder{}
	}
	if len(s.csrfKey) == 0 {
		s.csrfKey = make([]byte, 32)
		if _, err := rand.Read(s.csrfKey); err != nil {
			panic("web: crypto/rand failed: " + err.Error())
		}
	}
	s.csrfCookie = csrfCookieName
	if d.Config.Secure() {
		s.csrfCookie = "__Host-" + csrfCookieName
	}
	s.csp = contentSecurityPolicy(d.Config)
	origins, err := newOriginCheck(d.Config.PublicURL)
	if err != nil {
		// config.Load refuses such a PUBLIC_URL, so this is a wiring
		// mistake; without the trusted origin the check is stricter, not
		// looser.
		s.log.Error("cross-origin check without PUBLIC_URL", "error", err.Error())
		origins = http.NewCrossOriginProtection()
	}
	s.origins = origins
	if n := d.Config.LoginRateLimit; n > 0 {
		s.loginLimit, s.callbackLimit = s.perMinuteLimit(n), s.perMinuteLimit(n)
	}
	s.requested = requestedItems(d.SGID.Scopes())
	s.setUpGateway(d.GatewayKey)
	s.echo.HideBanner = true
	s.echo.HidePort = true
	s.echo.HTTPErrorHandler = s.handleError
	s.echo.IPExtractor = ipExtractor(d.Config.TrustedProxies)
	s.routes()
	return s
}

// ipExtractor decides where the client address (in logs, and the key of
// the login rate limits) comes from. Without trusted proxies it is the connection's peer. With them,
// X-Forwarded-For is read from the right, skipping only the configured
// proxies: Echo's defaults (loopback, link-local, private networks) are
// turned off, because on a shared network they would let any neighbour
// claim any address. Scheme and host never come from headers: redirect
// URIs and cookie flags follow PUBLIC_URL alone.
func ipExtractor(proxies []*net.IPNet) echo.IPExtractor {
	if len(proxies) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range proxies {
		opts = append(opts, echo.TrustIPRange(p))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// Handler returns the http.Handler to serve.
func (s *Server) Handler() http.Handler { return s.echo }
