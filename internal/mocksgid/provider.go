// Package mocksgid is a strict, embedded stand-in for sgID, Singapore's
// OpenID Connect service. It serves the same endpoints and cryptography as
// sgID v2 (RS256 ID tokens, PKCE S256, client_secret_post, two-layer JWE
// userinfo), but refuses everything sgID's public mock (MockPass) lets
// through, so that a client that works against it has been tested on its
// error paths too. It is the development default of sgidweb and a test
// double; it is never a real identity provider.
package mocksgid

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/sgidweb/sgidweb/assets"
)

// Client is a relying party registered with the mock.
type Client struct {
	ID     string
	Secret string
	// RedirectURIs are compared exactly, as sgID does; no prefix matching.
	RedirectURIs []string
	// PublicKey is the client's RSA key that userinfo is encrypted to.
	PublicKey *rsa.PublicKey
	// Name is shown on the consent screen; the ID is shown when empty.
	Name string
	// HomeURL is the client's home page, which the mock's pages link back
	// to when a login cannot go on. When empty it is the first redirect URI
	// without its auth/callback path.
	HomeURL string
}

// Config configures a Provider.
type Config struct {
	// Issuer is the full issuer URL, e.g. http://localhost:8080/mock-sgid/v2.
	// Its path must end in /v2: the handler serves /v2/... and whoever mounts
	// it strips anything before that.
	Issuer  string
	Clients []Client
	// CodeTTL is how long an authorization code stays valid; default 60s.
	CodeTTL time.Duration
	// Now is the clock; default time.Now. Tests move it to expire things.
	Now func() time.Time
	// SigningKey signs ID tokens; a fresh RSA-2048 key when nil. A mock
	// shared by several servers keeps one across restarts so their cached
	// JWKS stays valid.
	SigningKey *rsa.PrivateKey
	// Logger is optional. The provider never logs codes, tokens, secrets or
	// personal data; it logs client ids, persona subs and error codes.
	Logger *slog.Logger
}

// Lifetimes and bounds. sgID does not document its own lifetimes; these are
// short enough to catch clients that hold on to things too long.
const (
	defaultCodeTTL  = 60 * time.Second
	pendingTTL      = 10 * time.Minute
	accessTokenTTL  = 10 * time.Minute
	idTokenTTL      = 10 * time.Minute
	maxPending      = 10000
	maxCodes        = 10000
	maxTokens       = 10000
	maxFormBytes    = 64 << 10
	signingKeyBits  = 2048
	mockPathSegment = "/mock"
)

// Provider is a running mock sgID: keys, registered clients and the pending
// logins, codes and tokens in memory.
type Provider struct {
	issuer     string
	issuerPath string // the issuer's path as the browser sees it, e.g. /mock-sgid/v2
	clients    map[string]*Client
	codeTTL    time.Duration
	now        func() time.Time
	log        *slog.Logger
	handler    http.Handler
	// firstClient is the first client registered: pages about a request
	// the mock no longer knows link back to its home.
	firstClient *Client

	mu         sync.Mutex
	signingKey *rsa.PrivateKey
	kid        string
	pending    *ttlMap[*authRequest]
	codes      *ttlMap[*codeGrant]
	tokens     *ttlMap[*accessGrant]
}

// New validates cfg and generates the provider's RSA-2048 signing key.
func New(cfg Config) (*Provider, error) {
	issuer, issuerPath, err := parseIssuer(cfg.Issuer)
	if err != nil {
		return nil, err
	}
	if len(cfg.Clients) == 0 {
		return nil, errors.New("mocksgid: at least one client is required")
	}
	clients := make(map[string]*Client, len(cfg.Clients))
	var first *Client
	for i := range cfg.Clients {
		c := cfg.Clients[i]
		if err := validateClient(c); err != nil {
			return nil, err
		}
		if _, dup := clients[c.ID]; dup {
			return nil, fmt.Errorf("mocksgid: client %q is registered twice", c.ID)
		}
		c.RedirectURIs = append([]string(nil), c.RedirectURIs...)
		clients[c.ID] = &c
		if first == nil {
			first = &c
		}
	}
	p := &Provider{
		issuer:      issuer,
		issuerPath:  issuerPath,
		clients:     clients,
		firstClient: first,
		codeTTL:     cfg.CodeTTL,
		now:         cfg.Now,
		log:         cfg.Logger,
		pending:     newTTLMap[*authRequest](maxPending),
		codes:       newTTLMap[*codeGrant](maxCodes),
		tokens:      newTTLMap[*accessGrant](maxTokens),
	}
	if p.codeTTL <= 0 {
		p.codeTTL = defaultCodeTTL
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if cfg.SigningKey != nil {
		if err := p.useSigningKey(cfg.SigningKey); err != nil {
			return nil, err
		}
	} else if err := p.RotateSigningKey(); err != nil {
		return nil, err
	}
	p.handler = p.routes()
	return p, nil
}

// parseIssuer insists on an absolute http(s) URL whose path ends in /v2,
// because sgID's issuer is always origin + /v2 and clients compare it exactly.
func parseIssuer(raw string) (issuer, path string, err error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", fmt.Errorf("mocksgid: issuer %q: %w", raw, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", "", fmt.Errorf("mocksgid: issuer %q must be an absolute http(s) URL", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", "", fmt.Errorf("mocksgid: issuer %q must not have a query, fragment or user info", raw)
	}
	if !strings.HasSuffix(u.Path, "/v2") || strings.Contains(u.Path, "//") {
		return "", "", fmt.Errorf("mocksgid: issuer %q must end in /v2 (sgID's issuer is origin + /v2)", raw)
	}
	return raw, u.Path, nil
}

func validateClient(c Client) error {
	switch {
	case c.ID == "":
		return errors.New("mocksgid: a client has an empty ID")
	case c.Secret == "":
		return fmt.Errorf("mocksgid: client %q has an empty secret", c.ID)
	case len(c.RedirectURIs) == 0:
		return fmt.Errorf("mocksgid: client %q has no redirect URIs", c.ID)
	case c.PublicKey == nil:
		return fmt.Errorf("mocksgid: client %q has no public key to encrypt userinfo to", c.ID)
	}
	for _, ru := range c.RedirectURIs {
		u, err := url.Parse(ru)
		if err != nil || !u.IsAbs() || u.Fragment != "" {
			return fmt.Errorf("mocksgid: client %q redirect URI %q must be absolute and have no fragment", c.ID, ru)
		}
	}
	if c.HomeURL != "" {
		if u, err := url.Parse(c.HomeURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("mocksgid: client %q home URL %q must be an absolute http(s) URL", c.ID, c.HomeURL)
		}
	}
	return nil
}

// Handler serves the provider under /v2/...; mount it so that the issuer's
// path maps to /v2 (for /mock-sgid/v2, strip /mock-sgid).
func (p *Provider) Handler() http.Handler { return p.handler }

// Personas lists the people one can log in as, in picker order.
func (p *Provider) Personas() []Persona { return allPersonas() }

// RotateSigningKey replaces the ID token signing key. The JWKS then publishes
// only the new key, as a provider does after an emergency rotation, so
// clients must re-fetch the JWKS when they meet an unknown kid.
func (p *Provider) RotateSigningKey() error {
	key, err := rsa.GenerateKey(rand.Reader, signingKeyBits)
	if err != nil {
		return fmt.Errorf("mocksgid: generate signing key: %w", err)
	}
	return p.useSigningKey(key)
}

// useSigningKey makes key the one ID tokens are signed with and the JWKS
// publishes, with its thumbprint as kid.
func (p *Provider) useSigningKey(key *rsa.PrivateKey) error {
	if key.N.BitLen() < signingKeyBits {
		return fmt.Errorf("mocksgid: signing key has %d bits, want at least %d", key.N.BitLen(), signingKeyBits)
	}
	jwk := jose.JSONWebKey{Key: &key.PublicKey}
	thumb, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return fmt.Errorf("mocksgid: thumbprint signing key: %w", err)
	}
	p.mu.Lock()
	p.signingKey = key
	p.kid = base64.RawURLEncoding.EncodeToString(thumb)
	p.mu.Unlock()
	return nil
}

// currentKey returns the signing key and its kid as one consistent pair.
func (p *Provider) currentKey() (*rsa.PrivateKey, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.signingKey, p.kid
}

func (p *Provider) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v2/oauth/authorize", p.handleAuthorize)
	mux.HandleFunc("POST /v2/oauth/token", p.handleToken)
	mux.HandleFunc("GET /v2/oauth/userinfo", p.handleUserinfo)
	mux.HandleFunc("GET /v2/.well-known/jwks.json", p.handleJWKS)
	mux.HandleFunc("GET /v2/.well-known/openid-configuration", p.handleDiscovery)
	mux.HandleFunc("GET /v2/mock/mock.css", p.handleCSS)
	mux.HandleFunc("GET /v2/mock/scan/{id}", p.handleScan)
	mux.HandleFunc("POST /v2/mock/login/{id}", p.handleLogin)
	mux.HandleFunc("GET /v2/mock/consent/{id}", p.handleConsentPage)
	mux.HandleFunc("POST /v2/mock/consent/{id}", p.handleConsent)
	return nosniff(mux)
}

// nosniff stops browsers from guessing content types on every response.
func nosniff(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}

// handleCSS serves the mock's stylesheet, which lives with the site's in
// assets/css, so the development loop reads it from disk like the others.
func (p *Provider) handleCSS(w http.ResponseWriter, r *http.Request) {
	css, err := fs.ReadFile(assets.Files(), "css/mock.css")
	if err != nil {
		p.serverError(w, r, fmt.Errorf("mocksgid: read stylesheet: %w", err))
		return
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	if assets.FromDisk() {
		w.Header().Set("Cache-Control", "no-store")
	} else {
		w.Header().Set("Cache-Control", "public, max-age=300")
	}
	_, _ = w.Write(css)
}

// endpoint builds an absolute URL under the issuer.
func (p *Provider) endpoint(path string) string { return p.issuer + path }

// mockPath builds a browser path for the mock's own pages, relative to the
// origin so it works whatever host name the browser used.
func (p *Provider) mockPath(path string) string { return p.issuerPath + mockPathSegment + path }

// randomToken returns 256 bits of randomness, base64url: used for request
// ids, codes and access tokens, none of which may be guessable.
func randomToken() string {
	b := make([]byte, 32)
	// crypto/rand.Read never returns an error since Go 1.24; it crashes instead.
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
