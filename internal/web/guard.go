package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/sgidweb/sgidweb/internal/gateway"
	"github.com/sgidweb/sgidweb/internal/session"
)

// upstreamRoute names requests for the guarded app in logs and metrics.
const upstreamRoute = "upstream"

// errUpstream is the page for an upstream that did not answer.
var errUpstream = &pageError{status: http.StatusBadGateway, reason: "upstream_unavailable", title: "The application is not answering",
	message: "You are logged in, but the application behind this login did not answer. Please try again in a minute."}

func (s *Server) setUpGateway(key *gateway.Key) {
	if key == nil {
		var err error
		if key, err = gateway.GenerateKey(); err != nil {
			panic(err) // crypto/rand does not fail on supported systems
		}
	}
	s.assertions = gateway.NewAssertions(key, s.cfg.Issuer(), s.now)
	s.gate = gateway.NewGate(s.assertions, s.cfg.BasePath)
	if s.cfg.UpstreamURL != nil {
		s.proxy = gateway.NewProxy(s.gate, s.cfg.UpstreamURL, gateway.ProxyOptions{
			SessionCookie:  s.sessions.CookieName(),
			PublicScheme:   s.cfg.PublicURL.Scheme,
			TrustedProxies: s.cfg.TrustedProxies,
		})
	}
}

// identity is the person the gateway vouches for, nil when nobody is
// logged in.
func identity(u session.User, loggedIn bool) *gateway.Identity {
	if !loggedIn {
		return nil
	}
	return &gateway.Identity{Subject: u.Subject, Fields: u.Fields, LoggedIn: u.LoggedIn}
}

// verify answers a proxy's forward-auth check (gateway.Gate.Verify), after
// the access policy: a logged-in person it no longer admits gets 403.
func (s *Server) verify(c echo.Context) error {
	user, loggedIn := s.sessions.CurrentUser(c.Request().Context())
	if loggedIn {
		if d := s.allowed(user); !d.Allowed {
			return s.refuseSession(c, user, d)
		}
	}
	return s.gate.Verify(c.Response(), c.Request(), identity(user, loggedIn))
}

// toBasePath sends "/sgid" to "/sgid/", where the home page is.
func (s *Server) toBasePath(c echo.Context) error {
	return c.Redirect(http.StatusFound, s.cfg.Path("/"))
}

// ours reports whether path belongs to sgidweb (under BASE_PATH) rather
// than to the guarded app. The decoded path decides, so the app never sees
// a request that would read as one of ours.
func (s *Server) ours(path string) bool {
	return strings.HasPrefix(path, s.cfg.BasePath) || path == strings.TrimSuffix(s.cfg.BasePath, "/")
}

// guardApp sends every request outside BASE_PATH to the guarded app,
// through the same request id, access log, canonical host and session as our routes, but
// not through the router (the app's addresses and methods are its own),
// the body limit (its uploads are its own) or the CSRF check (its forms
// are its own).
func (s *Server) guardApp(next echo.HandlerFunc) echo.HandlerFunc {
	guarded := s.requestID(s.securityHeaders(s.accessLog(s.recoverPanics(s.canonicalHost(s.sessions.Middleware()(s.forwardToApp))))))
	return func(c echo.Context) error {
		if s.ours(c.Request().URL.Path) {
			return next(c)
		}
		c.SetPath(upstreamRoute)
		return guarded(c)
	}
}

// forwardToApp lets a logged-in person the access policy admits through to
// the app with the identity headers; anyone else goes to the login (a page)
// or gets 401, and a person the policy no longer admits gets 403.
func (s *Server) forwardToApp(c echo.Context) error {
	user, loggedIn := s.sessions.CurrentUser(c.Request().Context())
	id := identity(user, loggedIn)
	if id == nil {
		s.gate.Anonymous(c.Response(), c.Request())
		return nil
	}
	if d := s.allowed(user); !d.Allowed {
		return s.refuseSession(c, user, d)
	}
	// The app's answers carry the app's headers: ours (the CSP above all)
	// would break its pages. The request id and Vary: Cookie stay: the
	// answer depends on the session, so no shared cache may reuse it.
	h := c.Response().Header()
	own := h.Clone()
	for name := range h {
		if name != echo.HeaderXRequestID && name != echo.HeaderVary {
			delete(h, name)
		}
	}
	err := s.proxy.Forward(c.Response(), c.Request(), *id)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gateway.ErrClientGone):
		// Gone before the application answered: handleError records it.
		return clientClosed(err)
	case errors.Is(err, gateway.ErrUpstreamUnavailable):
		for name, values := range own {
			h[name] = values
		}
		pe := errUpstream
		if c.Request().Method == http.MethodGet {
			pe = errUpstream.retryAt(c.Request().URL.RequestURI())
		}
		// handleError shows the page and logs the cause with it.
		return fmt.Errorf("%w (%v)", pe, err)
	}
	return err
}
