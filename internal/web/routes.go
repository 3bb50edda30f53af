package web

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/sgidweb/sgidweb/internal/config"
)

// callbackRoute is where sgID sends the browser back; its failures are
// counted and audited as failed logins.
const callbackRoute = "/auth/callback"

// routes is the one table of every route the server answers. Each lives
// under BASE_PATH (at, config.Path); with UPSTREAM_URL every other address belongs to
// the guarded app (guard.go).
//
// The session, CSRF and no-store middleware are attached route by route,
// not through an Echo group: Group.Use registers a catch-all for the group,
// which would load the session for every unknown address and answer PUT or
// DELETE anywhere with a CSRF refusal instead of 404 or 405.
func (s *Server) routes() {
	e := s.echo
	e.Use(s.requestID, s.securityHeaders, s.accessLog, s.recoverPanics, s.limitBody, s.canonicalHost)
	if s.proxy != nil {
		e.Pre(s.guardApp)
	}
	at := s.cfg.Path

	// Probes live under BASE_PATH too: with UPSTREAM_URL every other
	// address is the app's, whose own /healthz must not be shadowed.
	get(e, at("/healthz"), s.healthz)
	get(e, at("/readyz"), s.readyz)
	get(e, at("/assets/*"), s.asset)
	if s.cfg.BasePath == "/" {
		// Browsers ask the origin's root for it; under a base path the
		// origin, and its icon, belong to the app.
		get(e, "/favicon.ico", s.favicon)
	} else {
		get(e, strings.TrimSuffix(s.cfg.BasePath, "/"), s.toBasePath)
	}
	get(e, at("/.well-known/jwks.json"), echo.WrapHandler(http.HandlerFunc(s.assertions.ServeJWKS)))
	// Forward auth, asked before each request of the guarded app. It loads
	// the session but takes no CSRF token: it changes nothing.
	get(e, at("/auth/verify"), s.verify, s.sessions.Middleware())

	if s.mock != nil {
		mock := echo.WrapHandler(http.StripPrefix(at(config.MockPath), s.mock.Handler()))
		e.Any(at(config.MockPath)+"/*", mock)
	}

	// Everything a person sees runs with their session and CSRF checks.
	personal := []echo.MiddlewareFunc{s.sessions.Middleware(), s.checkCSRF, s.noStore}
	get(e, at("/"), s.home, personal...)
	// Logins and callbacks are limited per client address, each apart:
	// both cost a session write, and a callback calls sgID. The button and
	// the link share one limit: both start a login.
	e.POST(at("/auth/login"), s.login, limited(s.loginLimit, personal)...)
	// A login started from a link (where a guarded page sends a person).
	// It starts a flow in this browser's session and nothing more: only
	// this browser can finish it. No HEAD: a HEAD must not start one.
	e.GET(at("/auth/login"), s.loginLink, limited(s.loginLimit, personal)...)
	// The one GET that changes state: OAuth 2.0 returns the person with a
	// redirect, which browsers follow with GET. It acts only on a flow this
	// browser started (state), spends it once, and renews the session token.
	// It gets no HEAD route: a HEAD must not spend the flow.
	e.GET(at(callbackRoute), s.callback, limited(s.callbackLimit, personal)...)
	// The posting picker: GET only, not HEAD, as it drops an expired choice.
	e.GET(at(postingRoute), s.postingPicker, personal...)
	e.POST(at(postingRoute), s.choosePosting, personal...)
	e.POST(at("/auth/logout"), s.logout, personal...)
	get(e, at(sessionsRoute), s.sessionsPage, personal...)
	e.POST(at(sessionsRoute+"/end"), s.endSession, personal...)
	e.POST(at(sessionsRoute+"/end-others"), s.endOtherSessions, personal...)
	get(e, at("/fragments/login-button"), s.loginButtonFragment, personal...)
	get(e, at("/fragments/consent-status"), s.consentStatusFragment, personal...)
	get(e, at("/fragments/profile"), s.profileFragment, personal...)
	if s.mock != nil {
		get(e, at("/dev/gallery"), s.gallery, personal...)
		get(e, at("/dev/gallery/:state"), s.galleryState, personal...)
		get(e, at("/dev/gallery/:state/frames"), s.galleryFrames, personal...)
	}
}

// limited puts limit, when there is one, before m, so that a refused
// request costs no session load.
func limited(limit echo.MiddlewareFunc, m []echo.MiddlewareFunc) []echo.MiddlewareFunc {
	if limit == nil {
		return m
	}
	return append([]echo.MiddlewareFunc{limit}, m...)
}

// get registers a read-only route for GET and HEAD: Echo does not answer
// HEAD for GET routes by itself, and net/http drops the body of a HEAD.
func get(e *echo.Echo, path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) {
	e.GET(path, h, m...)
	e.HEAD(path, h, m...)
}
