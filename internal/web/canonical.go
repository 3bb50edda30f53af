package web

import (
	"net"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// anyHostPaths (site paths, under BASE_PATH) answer whatever Host a request names: load balancers probe
// an instance by its own address, and a proxy's forward-auth subrequest and
// an upstream app's key fetch may reach the server by an internal name.
// None of them sets a cookie or starts a login.
var anyHostPaths = map[string]bool{
	"/healthz":               true,
	"/readyz":                true,
	"/auth/verify":           true,
	"/.well-known/jwks.json": true,
}

// errWrongHost answers an unsafe request sent to another name for the
// server. It is not redirected: a 307 or 308 would have the browser send the
// form again to PUBLIC_URL, where the session cookie differs and the CSRF
// check fails with a misleading "form expired", and a server that bounces
// request bodies to another origin is a tool for others. 421 Misdirected
// Request says exactly this: this server does not answer for that name.
var errWrongHost = &pageError{status: http.StatusMisdirectedRequest, reason: "wrong_host", title: "This is not the site's address",
	message: "This site only accepts forms on its own address. Go to the home page and try again."}

// canonicalHost sends a browser that opened the server under another name
// (127.0.0.1 for localhost, an instance's IP, a second DNS name) to the same
// path on PUBLIC_URL. Cookies, the login's redirect URI and the CSRF origin
// check all follow PUBLIC_URL, so under another name a login could never
// complete: the browser would come back from sgID to PUBLIC_URL without the
// cookie of the login it started.
//
// Only the host name is compared, not the port. Cookies are kept per host
// name whatever the port, so the name is what decides whether a login can
// complete; and proxies often pass the name without the port (nginx's
// $host), which would otherwise be redirected to itself forever.
//
// The redirect is 308, permanent and method-preserving (only GET and HEAD
// get it), with Cache-Control: no-store, because browsers otherwise keep a
// permanent redirect for good: PUBLIC_URL may change, and on a developer's
// machine the same port serves another project next week.
//
// The embedded mock's back-channel calls (token, userinfo, JWKS) never come
// through here: the sgID client hands them to the mock in-process.
func (s *Server) canonicalHost(next echo.HandlerFunc) echo.HandlerFunc {
	want := strings.ToLower(s.cfg.PublicURL.Hostname())
	origin := strings.TrimSuffix(s.cfg.PublicURL.String(), "/")
	anyHost := make(map[string]bool, len(anyHostPaths))
	for p := range anyHostPaths {
		anyHost[s.cfg.Path(p)] = true
	}
	return func(c echo.Context) error {
		req := c.Request()
		if anyHost[req.URL.Path] || hostName(req.Host) == want {
			return next(c)
		}
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			return errWrongHost
		}
		c.Response().Header().Set("Cache-Control", "no-store")
		// URL.RequestURI is the path and query alone, also for a request
		// written in absolute form; the origin is always ours.
		return c.Redirect(http.StatusPermanentRedirect, origin+req.URL.RequestURI())
	}
}

// hostName is the name in a Host header, without port or IPv6 brackets, in
// lower case: LOGIN.example:443 is login.example.
func hostName(host string) string {
	if name, _, err := net.SplitHostPort(host); err == nil {
		host = name
	}
	return strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
}
