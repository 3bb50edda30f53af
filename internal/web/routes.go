package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/sgidweb/sgidweb/internal/config"
)

// callbackRoute is where sgID sends the browser back; its failures are
// counted and audited as failed logins.
const callbackRoute = "/auth/callback"

// routes is the one table of every route the server answers.
//
// The session, CSRF and no-store middleware are attached route by route,
// not through an Echo group: Group.Use registers a catch-all for the group,
// which would load the session for every unknown address and answer PUT or
// DELETE anywhere with a CSRF refusal instead of 404 or 405.
func (s *Server) routes() {
	e := s.echo
	e.Use(s.requestID, s.securityHeaders, s.accessLog, s.recoverPanics, s.limitBody, s.canonicalHost)

	get(e, "/healthz", s.healthz)
	get(e, "/readyz", s.readyz)
	get(e, "/assets/*", s.asset)
	get(e, "/favicon.ico", s.favicon)

	if s.mock != nil {
		mock := echo.WrapHandler(http.StripPrefix(config.MockPath, s.mock))
		e.Any(config.MockPath+"/*", mock)
	}

	// Everything a person sees runs with their session and CSRF checks.
	personal := []echo.MiddlewareFunc{s.sessions.Middleware(), s.checkCSRF, s.noStore}
	get(e, "/", s.home, personal...)
	e.POST("/auth/login", s.login, personal...)
	// The one GET that changes state: OAuth 2.0 returns the person with a
	// redirect, which browsers follow with GET. It acts only on a flow this
	// browser started (state), spends it once, and renews the session token.
	// It gets no HEAD route: a HEAD must not spend the flow.
	e.GET(callbackRoute, s.callback, personal...)
	// The posting picker: GET only, not HEAD, as it drops an expired choice.
	e.GET(postingRoute, s.postingPicker, personal...)
	e.POST(postingRoute, s.choosePosting, personal...)
	e.POST("/auth/logout", s.logout, personal...)
	get(e, "/fragments/login-button", s.loginButtonFragment, personal...)
	get(e, "/fragments/consent-status", s.consentStatusFragment, personal...)
	get(e, "/fragments/profile", s.profileFragment, personal...)
	if s.cfg.MockMode {
		get(e, "/dev/gallery", s.gallery, personal...)
	}
}

// get registers a read-only route for GET and HEAD: Echo does not answer
// HEAD for GET routes by itself, and net/http drops the body of a HEAD.
func get(e *echo.Echo, path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) {
	e.GET(path, h, m...)
	e.HEAD(path, h, m...)
}
