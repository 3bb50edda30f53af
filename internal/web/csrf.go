package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
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
				switch {
				case errors.As(err, &tooLarge):
					return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "The request is too large.")
				case bodyReadError(req) != nil:
					return clientClosed(err)
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

// The login form needs a CSRF token before anyone has a session, and a
// session per visitor would make every anonymous page view a store write.
// So the token is bound to a random value in a cookie of its own: the token
// is an HMAC of that value under the server's CSRF key, which instances
// share (CSRF_KEY, or else a key derived from the client secret), and it
// works only beside the cookie of the browser it was given to. Another site
// can neither read the cookie nor compute the HMAC, so it cannot forge the
// pair; under https the __Host- prefix stops a sibling site from planting a
// cookie of its choosing, and the origin check above refuses such a site's
// forms besides.
const (
	csrfCookieName  = "sgidweb_csrf"
	csrfCookieBytes = 32
	// csrfIssuedKey holds, in the Echo context, the cookie value this
	// request reads or has just issued, so every form on a page carries
	// the same token.
	csrfIssuedKey = "csrf_cookie_value"
)

// csrfMACLabel separates this HMAC from any other use of the key.
var csrfMACLabel = []byte("sgidweb csrf token v1\x00")

// csrfToken is the token this browser's forms carry. A browser without a
// usable CSRF cookie gets one with this response; nothing is stored.
func (s *Server) csrfToken(c echo.Context) string {
	value, ok := c.Get(csrfIssuedKey).(string)
	if !ok {
		if value, ok = s.csrfCookieValue(c); !ok {
			value = s.renewCSRF(c)
		}
		c.Set(csrfIssuedKey, value)
	}
	return s.csrfMAC(value)
}

// validCSRFToken reports whether a submitted token is this browser's: the
// HMAC of the CSRF cookie it sent, compared in constant time.
func (s *Server) validCSRFToken(c echo.Context, submitted string) bool {
	value, ok := s.csrfCookieValue(c)
	return ok && hmac.Equal([]byte(s.csrfMAC(value)), []byte(submitted))
}

// renewCSRF gives the browser a new CSRF cookie and returns its value. A
// login calls it, as it renews the session token: a cookie planted before
// the login (over plain http, where a sibling site can set one) does not
// carry into the logged-in session.
func (s *Server) renewCSRF(c echo.Context) string {
	b := make([]byte, csrfCookieBytes)
	if _, err := rand.Read(b); err != nil {
		panic("web: crypto/rand failed: " + err.Error())
	}
	value := base64.RawURLEncoding.EncodeToString(b)
	c.SetCookie(&http.Cookie{
		Name:     s.csrfCookie,
		Value:    value,
		Path:     "/",
		HttpOnly: true,
		Secure:   s.cfg.Secure(),
		// Lax like the session cookie: a Strict cookie would be missing
		// on a visit that follows a link from another site, and the new
		// one issued then would void the forms open in other tabs.
		SameSite: http.SameSiteLaxMode,
	})
	c.Set(csrfIssuedKey, value)
	return value
}

// csrfCookieValue is the CSRF cookie the browser sent, if it is one this
// server could have issued.
func (s *Server) csrfCookieValue(c echo.Context) (string, bool) {
	ck, err := c.Cookie(s.csrfCookie)
	if err != nil {
		return "", false
	}
	raw, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil || len(raw) != csrfCookieBytes {
		return "", false
	}
	return ck.Value, true
}

func (s *Server) csrfMAC(value string) string {
	mac := hmac.New(sha256.New, s.csrfKey)
	mac.Write(csrfMACLabel)
	mac.Write([]byte(value))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
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
