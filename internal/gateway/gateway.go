// Package gateway lets sgidweb stand in front of another app on the same
// origin: it answers forward-auth checks for nginx, Caddy and Traefik,
// proxies requests to an upstream itself (UPSTREAM_URL), and vouches for the
// logged-in person with a signed identity assertion whose keys it publishes.
//
// It knows nothing of Echo, templates or the session store: the web layer
// finds out who is logged in and hands that over as an Identity.
package gateway

import (
	"net/http"
	"net/textproto"
	"strings"
	"time"
)

// The headers an upstream receives, and the one that carries a login
// address to nginx. Every client-sent header starting with HeaderPrefix is
// removed before a request reaches an upstream through the built-in proxy.
const (
	HeaderPrefix    = "X-Sgid-"
	HeaderSubject   = "X-Sgid-Subject"
	HeaderAssertion = "X-Sgid-Assertion"
	HeaderLogin     = "X-Sgid-Login"
)

// The headers Caddy's forward_auth and Traefik's ForwardAuth send with their
// check (nginx's auth_request sends what its config says: X-Forwarded-Uri).
const (
	headerForwardedMethod = "X-Forwarded-Method"
	headerForwardedURI    = "X-Forwarded-Uri"
)

// Identity is the person the gateway vouches for: sgID's pairwise subject
// and the data they shared, under sgID's field names ("myinfo.name").
type Identity struct {
	Subject  string
	Fields   map[string]string
	LoggedIn time.Time
}

// stripSgidHeaders removes every header whose name starts with HeaderPrefix,
// whatever its case, and with underscores for hyphens too: CGI, PHP, WSGI and
// Rack read X_Sgid_Subject and X-Sgid-Subject as the same variable. Only the
// gateway may speak under these names.
func stripSgidHeaders(h http.Header) {
	for name := range h {
		canonical := textproto.CanonicalMIMEHeaderKey(strings.ReplaceAll(name, "_", "-"))
		if strings.HasPrefix(canonical, HeaderPrefix) {
			delete(h, name)
		}
	}
}
