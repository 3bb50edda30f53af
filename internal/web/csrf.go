package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
)

// The two ways checkCSRF refuses a form.
var (
	errCSRFOrigin = &pageError{status: http.StatusForbidden, reason: "csrf_origin", title: "This form came from another site",
		message: "For your safety we only accept forms sent from this site. Go back to the home page and try again."}
	errCSRFToken = &pageError{status: http.StatusForbidden, reason: "csrf_token", title: "This form has expired",
		message: "The page you used was too old or came from somewhere else. Go back to the home page and try again."}
)

// checkCSRF guards every unsafe request twice: the browser must say the
// request comes from our own origin, and the form or header must carry a
// CSRF token that validCSRFToken accepts. Clients that send no Sec-Fetch-Site
// and no Origin (curl, old browsers) pass the first check and still need
// the token, which another site cannot read.
func (s *Server) checkCSRF(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		switch req.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		if s.origins.Check(req) != nil {
			return errCSRFOrigin
		}
		token := req.Header.Get("X-CSRF-Token")
		if token == "" {
			// FormValue would swallow a body that is too long and report
			// a missing token; a chunked body has no Content-Length for
			// limitBody to refuse up front.
			if err := req.ParseForm(); err != nil {
				var tooLarge *http.MaxBytesError
				if errors.As(err, &tooLarge) {
					return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "The request is too large.")
				}
				return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
			}
			token = req.PostForm.Get("csrf_token")
		}
		if !s.validCSRFToken(c, token) {
			return errCSRFToken
		}
		return next(c)
	}
}

// csrfToken is the token this browser's forms carry. It and validCSRFToken
// are the one place that decides what the token is bound to: today a
// random value kept in the session.
func (s *Server) csrfToken(c echo.Context) string {
	return s.sessions.CSRFToken(c.Request().Context())
}

// validCSRFToken reports whether a submitted token is this browser's.
func (s *Server) validCSRFToken(c echo.Context, submitted string) bool {
	return s.sessions.CheckCSRF(c.Request().Context(), submitted)
}

// newOriginCheck is net/http's cross-origin protection (Sec-Fetch-Site,
// else Origin against the request's Host) with PUBLIC_URL's origin trusted
// as well: behind a proxy that rewrites Host, the browser's Origin is
// PUBLIC_URL's while the Host we see is the proxy's upstream name.
func newOriginCheck(publicURL *url.URL) (*http.CrossOriginProtection, error) {
	check := http.NewCrossOriginProtection()
	origin, ok := normalOrigin(publicURL.String())
	if !ok {
		return nil, errors.New("web: PUBLIC_URL " + publicURL.String() + " is not an http(s) origin")
	}
	if err := check.AddTrustedOrigin(origin); err != nil {
		return nil, err
	}
	return check, nil
}

// normalOrigin is scheme://host[:port] in lower case without the scheme's
// default port, as browsers send Origin, so that PUBLIC_URL=HTTPS://Example.org:443
// trusts https://example.org. ok is false for anything that is not an
// http(s) origin ("null").
func normalOrigin(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	switch {
	case scheme == "http" && port == "80", scheme == "https" && port == "443":
		port = ""
	case scheme != "http" && scheme != "https":
		return "", false
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host, true
}
