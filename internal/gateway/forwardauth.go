package gateway

import (
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// Gate answers for the guarded app: the forward-auth check a proxy asks
// before each request, and the same decision for the built-in proxy.
type Gate struct {
	assertions *Assertions
	base       string // BASE_PATH: "/" or "/sgid/"
}

// NewGate decides for a site served under basePath.
func NewGate(assertions *Assertions, basePath string) *Gate {
	return &Gate{assertions: assertions, base: basePath}
}

// LoginURL is the address that starts a login and comes back to returnTo
// (a path on this origin, query included). A returnTo that is not such a
// path is left out, so the login ends on the home page.
func (g *Gate) LoginURL(returnTo string) string {
	login := g.base + "auth/login"
	if path, ok := SafeReturnTo(returnTo); ok && path != "" {
		login += "?return_to=" + url.QueryEscape(path)
	}
	return login
}

// IdentityHeaders are the headers that vouch for id: X-Sgid-Subject and
// X-Sgid-Assertion.
func (g *Gate) IdentityHeaders(id Identity) (http.Header, error) {
	assertion, err := g.assertions.Sign(id)
	if err != nil {
		return nil, err
	}
	return http.Header{HeaderSubject: {id.Subject}, HeaderAssertion: {assertion}}, nil
}

// Verify answers GET {BASE_PATH}auth/verify, the forward-auth check. id is
// nil when nobody is logged in.
//
//   - Logged in: 200 with the identity headers, for the proxy to copy.
//   - Anonymous GET navigation from Caddy or Traefik (X-Forwarded-Method
//     and X-Forwarded-Uri): 302 to the login, coming back to that URI.
//     Both pass a non-2xx answer to the browser as it is.
//   - Anything else anonymous: 401. nginx's auth_request turns every
//     status but 2xx, 401 and 403 into a 500, and cannot escape a URI
//     itself, so a 401 for a navigation that says which URI it guards
//     carries the escaped login address in X-Sgid-Login for its
//     error_page to redirect to.
//
// The answer is never cached: it depends on the cookie and changes at
// login and logout.
func (g *Gate) Verify(w http.ResponseWriter, r *http.Request, id *Identity) error {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	if id != nil {
		identity, err := g.IdentityHeaders(*id)
		if err != nil {
			return err
		}
		for name, values := range identity {
			h[name] = values
		}
		w.WriteHeader(http.StatusOK)
		return nil
	}
	uri := r.Header.Get(headerForwardedURI)
	method := r.Header.Get(headerForwardedMethod)
	fromCaddyOrTraefik := method != ""
	if method == "" {
		method = r.Method
	}
	if uri != "" && isNavigation(r, method) {
		if fromCaddyOrTraefik {
			h.Set("Location", g.LoginURL(uri))
			w.WriteHeader(http.StatusFound)
			return nil
		}
		h.Set(HeaderLogin, g.LoginURL(uri))
	}
	unauthorized(w)
	return nil
}

// Anonymous answers a request for the guarded app from someone not logged
// in, in the built-in proxy: a GET navigation goes to the login (303) and
// comes back to the same path and query; anything else gets 401, since
// neither a script nor a form post can follow a login.
func (g *Gate) Anonymous(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if isNavigation(r, r.Method) {
		w.Header().Set("Location", g.LoginURL(r.URL.RequestURI()))
		w.WriteHeader(http.StatusSeeOther)
		return
	}
	unauthorized(w)
}

func unauthorized(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusUnauthorized)
	_, _ = w.Write([]byte("Log in first.\n"))
}

// isNavigation reports whether a person's browser is loading a page: a GET
// whose Accept lists text/html. Scripts (fetch, htmx) and API clients ask
// for other types and get a 401 they can act on instead of a login page.
func isNavigation(r *http.Request, method string) bool {
	if method != http.MethodGet {
		return false
	}
	for _, value := range r.Header.Values("Accept") {
		for _, item := range strings.Split(value, ",") {
			if mt, _, err := mime.ParseMediaType(strings.TrimSpace(item)); err == nil && mt == "text/html" {
				return true
			}
		}
	}
	return false
}

// maxReturnTo bounds the return_to path kept in the session.
const maxReturnTo = 2048

// SafeReturnTo accepts only a path on this site, query included. Browsers
// read "//host" and "/\host" (and a backslash anywhere, or a tab or newline
// they strip) as another site, so those are refused along with anything
// that has a scheme or host. An empty value means the home page; ok is
// false only for a value that was refused.
func SafeReturnTo(raw string) (path string, ok bool) {
	if raw == "" {
		return "", true
	}
	if len(raw) > maxReturnTo || raw[0] != '/' || strings.HasPrefix(raw, "//") {
		return "", false
	}
	for _, r := range raw {
		if r == '\\' || r < 0x20 || r == 0x7f {
			return "", false
		}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "", false
	}
	return raw, true
}
