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
func (s *Server) routes() {
	e := s.echo
	e.Use(s.requestID, s.securityHeaders, s.accessLog, s.recoverPanics, s.limitBody)

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/assets/*", s.asset)
	e.GET("/favicon.ico", s.favicon)

	if s.mock != nil {
		mock := echo.WrapHandler(http.StripPrefix(config.MockPath, s.mock))
		e.Any(config.MockPath+"/*", mock)
	}

	// Everything a person sees runs with their session and CSRF checks.
	app := e.Group("", s.sessions.Middleware(), s.checkCSRF, s.noStore)
	app.GET("/", s.home)
	app.POST("/auth/login", s.login)
	// The one GET that changes state: OAuth 2.0 returns the person with a
	// redirect, which browsers follow with GET. It acts only on a flow this
	// browser started (state), spends it once, and renews the session token.
	app.GET(callbackRoute, s.callback)
	app.POST("/auth/logout", s.logout)
	app.GET("/fragments/login-button", s.loginButtonFragment)
	app.GET("/fragments/consent-status", s.consentStatusFragment)
	app.GET("/fragments/profile", s.profileFragment)
	if s.cfg.MockMode {
		app.GET("/dev/gallery", s.gallery)
	}
}
