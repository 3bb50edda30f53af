// Package sgid is the sgID (Singapore's OpenID Connect service) client: the
// authorization request with PKCE, state and nonce; the code exchange with ID
// token verification; userinfo with its two layers of JWE; and the catalogue
// that turns sgID data fields into displayable values. It does no logging and
// knows nothing of the web server.
package sgid

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Defaults for the zero values of Config.Timeout and Config.Leeway.
const (
	DefaultTimeout = 10 * time.Second
	DefaultLeeway  = 60 * time.Second
)

// Config configures New.
type Config struct {
	// Hostname is the sgID origin, e.g. https://api.id.gov.sg. Any path is
	// kept, because the embedded mock provider is mounted under one.
	Hostname     string
	ClientID     string
	ClientSecret string
	// PrivateKey decrypts userinfo. It may be nil only when Scopes is just openid.
	PrivateKey *rsa.PrivateKey
	// PreviousKeys are older client keys still accepted for userinfo while
	// sgID switches to PrivateKey's public half (a key rotation).
	PreviousKeys []*rsa.PrivateKey
	RedirectURL  string
	// Scopes must contain "openid".
	Scopes []string
	// Timeout bounds every outbound call (token, userinfo, JWKS); DefaultTimeout when zero.
	Timeout time.Duration
	// Leeway is the clock skew allowed for exp, iat and nbf; DefaultLeeway when zero.
	Leeway time.Duration
	// HTTPClient, when set, is copied and used for all outbound calls, so tests
	// and the in-process mock can inject a transport.
	HTTPClient *http.Client
	// Now replaces time.Now in tests.
	Now func() time.Time
	// Observer, when set, is told about every outbound call (for metrics).
	Observer Observer
}

// Client talks to one sgID issuer for one registered client. It is safe for
// concurrent use; build it once with New.
type Client struct {
	issuer      string
	clientID    string
	scopes      []string
	privateKeys []*rsa.PrivateKey // current first, then previous ones
	timeout     time.Duration
	leeway      time.Duration
	now         func() time.Time
	http        *http.Client
	oauth       oauth2.Config
	userinfoURL string
	keys        *keySet
	verifier    *oidc.IDTokenVerifier
}

// Issuer returns the sgID issuer for hostname: the hostname without trailing
// slashes, plus "/v2". hostname must be an absolute http or https URL with no
// query, fragment or credentials.
func Issuer(hostname string) (string, error) {
	h := strings.TrimSpace(hostname)
	if h == "" {
		return "", errors.New("sgid: hostname is empty; set it to the sgID origin, e.g. https://api.id.gov.sg")
	}
	u, err := url.Parse(h)
	if err != nil {
		return "", fmt.Errorf("sgid: hostname %q is not a URL: %w", hostname, err)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return "", fmt.Errorf("sgid: hostname %q must start with https:// (or http:// for a local mock)", hostname)
	}
	if u.Host == "" {
		return "", fmt.Errorf("sgid: hostname %q has no host", hostname)
	}
	if u.User != nil {
		return "", fmt.Errorf("sgid: hostname %q must not contain credentials", hostname)
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.ContainsAny(h, "?#") {
		return "", fmt.Errorf("sgid: hostname %q must not have a query or fragment", hostname)
	}
	path := strings.TrimRight(u.EscapedPath(), "/")
	if strings.HasSuffix(path, "/v2") {
		return "", fmt.Errorf("sgid: hostname %q already ends in /v2; give the origin, e.g. https://api.id.gov.sg", hostname)
	}
	return u.Scheme + "://" + u.Host + path + "/v2", nil
}

// New validates cfg and builds the client: endpoints, the OAuth2 config, the
// key set and the ID token verifier. It makes no network call.
func New(cfg Config) (*Client, error) {
	issuer, err := Issuer(cfg.Hostname)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(cfg.ClientID) == "" {
		return nil, errors.New("sgid: client ID is empty; use the one sgID's developer portal issued")
	}
	if cfg.ClientSecret == "" {
		return nil, errors.New("sgid: client secret is empty; use the one sgID's developer portal issued")
	}
	if err := checkRedirectURL(cfg.RedirectURL); err != nil {
		return nil, err
	}
	scopes, err := checkScopes(cfg.Scopes)
	if err != nil {
		return nil, err
	}
	if cfg.PrivateKey == nil && len(scopes) > 1 {
		return nil, errors.New("sgid: a private key is needed to decrypt the data of scopes other than openid")
	}
	var privateKeys []*rsa.PrivateKey
	if cfg.PrivateKey != nil {
		privateKeys = append(privateKeys, cfg.PrivateKey)
	} else if len(cfg.PreviousKeys) > 0 {
		return nil, errors.New("sgid: previous private keys are set without a current one")
	}
	for _, k := range append(privateKeys, cfg.PreviousKeys...) {
		if k == nil || k.N.BitLen() < minRSABits {
			return nil, fmt.Errorf("sgid: every private key needs at least %d bits", minRSABits)
		}
	}
	privateKeys = append(privateKeys, cfg.PreviousKeys...)
	if cfg.Timeout < 0 || cfg.Leeway < 0 {
		return nil, errors.New("sgid: timeout and leeway must not be negative")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Leeway == 0 {
		cfg.Leeway = DefaultLeeway
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}

	c := &Client{
		issuer:      issuer,
		clientID:    cfg.ClientID,
		scopes:      scopes,
		privateKeys: privateKeys,
		timeout:     cfg.Timeout,
		leeway:      cfg.Leeway,
		now:         now,
		http:        buildHTTPClient(cfg.HTTPClient, cfg),
		userinfoURL: issuer + "/oauth/userinfo",
	}
	c.oauth = oauth2.Config{
		ClientID:     cfg.ClientID,
		ClientSecret: cfg.ClientSecret,
		RedirectURL:  cfg.RedirectURL,
		Scopes:       scopes,
		Endpoint: oauth2.Endpoint{
			AuthURL:   issuer + "/oauth/authorize",
			TokenURL:  issuer + "/oauth/token",
			AuthStyle: oauth2.AuthStyleInParams,
		},
	}
	c.keys = newKeySet(issuer+"/.well-known/jwks.json", c.http, cfg.Timeout, cfg.Observer)
	c.verifier = oidc.NewVerifier(issuer, c.keys, &oidc.Config{
		ClientID:             cfg.ClientID,
		SupportedSigningAlgs: []string{oidc.RS256},
		// go-oidc checks exp without any leeway; Exchange checks exp, iat
		// and nbf itself with Config.Leeway.
		SkipExpiryCheck: true,
		Now:             now,
	})
	return c, nil
}

func checkRedirectURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Fragment != "" {
		return fmt.Errorf("sgid: redirect URL %q must be an absolute http(s) URL without a fragment, registered with sgID", s)
	}
	return nil
}

func checkScopes(in []string) ([]string, error) {
	var out []string
	for _, s := range in {
		if s == "" || strings.ContainsAny(s, " \t\r\n") {
			return nil, fmt.Errorf("sgid: scope %q is empty or contains whitespace", s)
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if !slices.Contains(out, oidc.ScopeOpenID) {
		return nil, errors.New(`sgid: scopes must include "openid"`)
	}
	return out, nil
}

// Scopes returns the scopes requested at login.
func (c *Client) Scopes() []string { return slices.Clone(c.scopes) }

// IssuerURL returns the issuer every ID token must name.
func (c *Client) IssuerURL() string { return c.issuer }

// AuthRequest is one login attempt: the browser goes to URL, and State,
// Nonce and Verifier are kept in the session until the callback.
type AuthRequest struct {
	URL      string
	State    string
	Nonce    string
	Verifier string
}

// NewAuthRequest starts a login with fresh state, nonce and PKCE verifier.
func (c *Client) NewAuthRequest() (AuthRequest, error) {
	state, err := randomToken()
	if err != nil {
		return AuthRequest{}, err
	}
	nonce, err := randomToken()
	if err != nil {
		return AuthRequest{}, err
	}
	verifier := oauth2.GenerateVerifier()
	u := c.oauth.AuthCodeURL(state,
		oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("nonce", nonce),
	)
	return AuthRequest{URL: u, State: state, Nonce: nonce, Verifier: verifier}, nil
}

// randomToken returns 256 random bits, base64url without padding.
func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("sgid: read random bytes: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// RefreshKeys fetches sgID's JWKS now, joining a fetch already in flight.
// When the JWKS holds a usable key, those keys replace the cached ones, so a
// key sgID withdrew stops verifying; when the fetch fails, the cached keys
// stay. Logins need no call to it: a verification miss refetches by itself.
// The server calls it periodically, and doctor once. The fetch carries its
// own Timeout, so ctx need not have a deadline.
func (c *Client) RefreshKeys(ctx context.Context) error {
	if err := c.keys.refresh(ctx); err != nil {
		return keysUnavailable(ctx, err)
	}
	return nil
}
