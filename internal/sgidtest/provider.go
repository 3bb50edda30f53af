// Package sgidtest is the sgID provider for tests: an sgID look-alike that
// can be told to misbehave. It serves the token, userinfo and JWKS endpoints
// on a loopback port with real signatures and real two-layer encryption, and
// by default answers like a correct, strict provider; a test sets Faults to
// make one endpoint forge, break, stall or lie, or rotates its signing key.
// The sgID client's own tests and the web server's end-to-end tests both use
// it. It imports nothing of sgidweb (so internal/sgid's in-package tests may
// import it) and nothing in the server imports it.
package sgidtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// ClientID is the client the provider registers; ClientSecret its secret.
const (
	ClientID     = "sgidtest-client"
	ClientSecret = "client-secret-must-never-be-logged-5e1f"
)

// Keys are generated once per test binary: RSA generation is slow.
type Keys struct {
	Sign, Sign2, Client, Other *rsa.PrivateKey
	Small                      *rsa.PrivateKey // 1024 bits: below what the client accepts
	EC                         *ecdsa.PrivateKey
}

var (
	keysOnce sync.Once
	keys     Keys
)

// TestKeys returns the shared key material.
func TestKeys() Keys {
	keysOnce.Do(func() {
		gen := func(bits int) *rsa.PrivateKey {
			k, err := rsa.GenerateKey(rand.Reader, bits)
			if err != nil {
				panic(err)
			}
			return k
		}
		ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		keys = Keys{Sign: gen(2048), Sign2: gen(2048), Client: gen(2048), Other: gen(2048), Small: gen(1024), EC: ec}
	})
	return keys
}

// ClientKeyPEM is the client's private key as PKCS#8 PEM, for SGID_PRIVATE_KEY.
func ClientKeyPEM() string {
	der, err := x509.MarshalPKCS8PrivateKey(TestKeys().Client)
	if err != nil {
		panic(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// Grant is one approved login, as the token and userinfo endpoints see it.
type Grant struct {
	Code        string
	AccessToken string
	Nonce       string
	Challenge   string
	RedirectURI string
	Subject     string
	Fields      map[string]string // scope -> plain value
	// TokenForm and TokenAuthorization are what the client sent to the
	// token endpoint (the form, and the Authorization header, which
	// client_secret_post leaves empty); nil and "" until it called.
	TokenForm          url.Values
	TokenAuthorization string
	used               bool
}

// Faults makes the provider misbehave. The zero value is a correct provider.
type Faults struct {
	// IDToken builds the ID token from the valid claims of a grant; nil
	// signs them with the current key.
	IDToken func(p *Provider, claims map[string]any) string
	// Token replaces the token endpoint after the request was checked.
	Token func(p *Provider, g *Grant, w http.ResponseWriter, r *http.Request)
	// Userinfo replaces the userinfo endpoint for a valid access token.
	Userinfo func(p *Provider, g *Grant, w http.ResponseWriter, r *http.Request)
	// JWKS replaces the key set endpoint.
	JWKS http.HandlerFunc
}

// Provider is a running test sgID.
type Provider struct {
	// URL is what to put in SGID_HOSTNAME (the origin, plus the path prefix
	// when one was asked for); Issuer is URL + "/v2".
	URL, Issuer string
	// RedirectURI is the callback the client must use.
	RedirectURI string
	// Now is the provider's clock for iat and exp.
	Now func() time.Time

	srv *httptest.Server

	mu      sync.Mutex
	faults  Faults
	signKey *rsa.PrivateKey
	kid     string
	grants  map[string]*Grant // by code
	byToken map[string]*Grant
	issued  []string // every code and token handed out, for log checks
	nextSub int

	JWKSFetches  atomic.Int32
	TokenCalls   atomic.Int32
	UserinfoCall atomic.Int32
}

// DefaultFields is what a person shares unless a test says otherwise.
var DefaultFields = map[string]string{"myinfo.name": "TAN PERSONAL NAME"}

// Option adjusts New.
type Option func(*options)

type options struct{ prefix string }

// WithPathPrefix serves the endpoints under prefix (e.g. "/mock-sgid"), as
// the embedded mock is served, so a client that dropped the hostname's path
// would miss them.
func WithPathPrefix(prefix string) Option {
	return func(o *options) { o.prefix = prefix }
}

// New starts a provider on 127.0.0.1 for a client whose callback is
// redirectURI; it stops when the test ends.
func New(t testing.TB, redirectURI string, opts ...Option) *Provider {
	t.Helper()
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	k := TestKeys()
	p := &Provider{RedirectURI: redirectURI, Now: time.Now, signKey: k.Sign, kid: "sig-1",
		grants: map[string]*Grant{}, byToken: map[string]*Grant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+o.prefix+"/v2/.well-known/jwks.json", p.serveJWKS)
	mux.HandleFunc("POST "+o.prefix+"/v2/oauth/token", p.serveToken)
	mux.HandleFunc("GET "+o.prefix+"/v2/oauth/userinfo", p.serveUserinfo)
	p.srv = httptest.NewUnstartedServer(mux)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.srv.Listener = ln
	p.srv.Start()
	t.Cleanup(p.srv.Close)
	p.URL = p.srv.URL + o.prefix
	p.Issuer = p.URL + "/v2"
	return p
}

// JWKSURL is where the provider publishes its signing keys.
func (p *Provider) JWKSURL() string { return p.Issuer + "/.well-known/jwks.json" }

// Close stops the provider before the test ends, so a test can meet an
// sgID that does not answer at all.
func (p *Provider) Close() { p.srv.Close() }

// SetFaults replaces the faults in force.
func (p *Provider) SetFaults(f Faults) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = f
}

// Rotate makes the provider sign with a new key under a new kid and publish
// only that key, as a real rotation does.
func (p *Provider) Rotate() { p.UseKey(TestKeys().Sign2, "sig-2") }

// UseKey makes the provider sign ID tokens with key under kid from now on
// and publish only that key. An empty kid leaves the kid out of both the
// token header and the JWKS entry; the same kid with another key is a
// rotation that keeps the kid.
func (p *Provider) UseKey(key *rsa.PrivateKey, kid string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.signKey, p.kid = key, kid
}

// Issued returns every code and token the provider handed out.
func (p *Provider) Issued() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.issued...)
}

// Approve plays the person consenting at sgID: it checks the authorize URL
// the client built and returns the callback URL with a fresh code. fields
// nil means DefaultFields.
func (p *Provider) Approve(authorizeURL string, fields map[string]string) (string, *Grant, error) {
	u, err := url.Parse(authorizeURL)
	if err != nil {
		return "", nil, err
	}
	q := u.Query()
	switch {
	case u.Scheme+"://"+u.Host+u.Path != p.Issuer+"/oauth/authorize":
		return "", nil, fmt.Errorf("sgidtest: authorize URL %s is not this provider's", u.Scheme+"://"+u.Host+u.Path)
	case q.Get("client_id") != ClientID:
		return "", nil, errors.New("sgidtest: wrong client_id")
	case q.Get("redirect_uri") != p.RedirectURI:
		return "", nil, fmt.Errorf("sgidtest: redirect_uri %q is not the registered %q", q.Get("redirect_uri"), p.RedirectURI)
	case q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "":
		return "", nil, errors.New("sgidtest: PKCE S256 missing")
	case q.Get("state") == "" || q.Get("nonce") == "":
		return "", nil, errors.New("sgidtest: state or nonce missing")
	}
	if fields == nil {
		fields = DefaultFields
	}
	p.mu.Lock()
	p.nextSub++
	g := &Grant{
		Code: "code-" + random(), AccessToken: "access-" + random(),
		Nonce: q.Get("nonce"), Challenge: q.Get("code_challenge"), RedirectURI: q.Get("redirect_uri"),
		Subject: fmt.Sprintf("pairwise-subject-%d", p.nextSub), Fields: fields,
	}
	p.grants[g.Code] = g
	p.byToken[g.AccessToken] = g
	p.issued = append(p.issued, g.Code, g.AccessToken)
	p.mu.Unlock()
	cb := url.Values{"code": {g.Code}, "state": {q.Get("state")}}
	return p.RedirectURI + "?" + cb.Encode(), g, nil
}

// Claims returns valid ID token claims for g.
func (p *Provider) Claims(g *Grant) map[string]any {
	now := p.Now()
	return map[string]any{
		"iss": p.Issuer, "aud": ClientID, "sub": g.Subject,
		"iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(), "nonce": g.Nonce,
	}
}

// Sign signs claims RS256 with the current key and kid.
func (p *Provider) Sign(claims map[string]any) string {
	p.mu.Lock()
	key, kid := p.signKey, p.kid
	p.mu.Unlock()
	headers := map[string]any{}
	if kid != "" {
		headers["kid"] = kid
	}
	return SignWith(jose.RS256, key, headers, claims)
}

// SignWith signs claims with any algorithm, key and extra header fields.
func SignWith(alg jose.SignatureAlgorithm, key any, headers map[string]any, claims map[string]any) string {
	opts := &jose.SignerOptions{}
	for k, v := range headers {
		opts = opts.WithHeader(jose.HeaderKey(k), v)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		panic(err)
	}
	payload, _ := json.Marshal(claims)
	obj, err := s.Sign(payload)
	if err != nil {
		panic(err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		panic(err)
	}
	return out
}

// Unsigned builds a token with the given alg header and no signature, which
// go-jose refuses to make.
func Unsigned(alg string, claims map[string]any) string {
	payload, _ := json.Marshal(claims)
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"`+alg+`","kid":"sig-1"}`)) + "." + enc(payload) + "."
}

// JWK is the public JWKS entry for an RSA key.
func JWK(k *rsa.PrivateKey, kid string) jose.JSONWebKey {
	return jose.JSONWebKey{Key: &k.PublicKey, KeyID: kid, Algorithm: "RS256", Use: "sig"}
}

func (p *Provider) serveJWKS(w http.ResponseWriter, r *http.Request) {
	p.JWKSFetches.Add(1)
	p.mu.Lock()
	h, key, kid := p.faults.JWKS, p.signKey, p.kid
	p.mu.Unlock()
	if h != nil {
		h(w, r)
		return
	}
	WriteJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{JWK(key, kid)}})
}

// serveToken checks what a strict provider checks (client, secret, code
// once, redirect URI, PKCE) before any fault applies, so that a fault row
// tests the client's handling of the answer and nothing else.
func (p *Provider) serveToken(w http.ResponseWriter, r *http.Request) {
	p.TokenCalls.Add(1)
	if err := r.ParseForm(); err != nil {
		WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	f := r.PostForm
	p.mu.Lock()
	g := p.grants[f.Get("code")]
	valid := g != nil && !g.used && f.Get("client_id") == ClientID && f.Get("client_secret") == ClientSecret &&
		f.Get("grant_type") == "authorization_code" && f.Get("redirect_uri") == g.RedirectURI &&
		challenge(f.Get("code_verifier")) == g.Challenge
	if g != nil {
		g.used = true // a code is spent by its first use, right or wrong
		g.TokenForm, g.TokenAuthorization = f, r.Header.Get("Authorization")
	}
	faults := p.faults
	p.mu.Unlock()
	if !valid {
		WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
		return
	}
	if faults.Token != nil {
		faults.Token(p, g, w, r)
		return
	}
	id := ""
	if faults.IDToken != nil {
		id = faults.IDToken(p, p.Claims(g))
	} else {
		id = p.Sign(p.Claims(g))
	}
	WriteJSON(w, http.StatusOK, map[string]any{"access_token": g.AccessToken, "token_type": "Bearer", "expires_in": 600, "id_token": id})
}

func (p *Provider) serveUserinfo(w http.ResponseWriter, r *http.Request) {
	p.UserinfoCall.Add(1)
	const prefix = "Bearer "
	auth := r.Header.Get("Authorization")
	p.mu.Lock()
	var g *Grant
	if len(auth) > len(prefix) && auth[:len(prefix)] == prefix {
		g = p.byToken[auth[len(prefix):]]
	}
	h := p.faults.Userinfo
	p.mu.Unlock()
	if g == nil {
		WriteJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token"})
		return
	}
	if h != nil {
		h(p, g, w, r)
		return
	}
	WriteJSON(w, http.StatusOK, Seal(SDKAlgs, &TestKeys().Client.PublicKey, g.Subject, g.Fields))
}

// Algs is a provider's choice of JWE algorithms for userinfo.
type Algs struct {
	KeyAlg   jose.KeyAlgorithm
	KeyEnc   jose.ContentEncryption
	FieldAlg jose.KeyAlgorithm
	FieldEnc jose.ContentEncryption
	SymBytes int
	// Zip compresses the fields (refused by the client).
	Zip bool
}

// SDKAlgs are the official SDK's choices; MockPassAlgs are MockPass's.
var (
	SDKAlgs      = Algs{KeyAlg: jose.RSA_OAEP_256, KeyEnc: jose.A256GCM, FieldAlg: jose.A128GCMKW, FieldEnc: jose.A128GCM, SymBytes: 16}
	MockPassAlgs = Algs{KeyAlg: jose.RSA_OAEP, KeyEnc: jose.A128CBC_HS256, FieldAlg: jose.DIRECT, FieldEnc: jose.A256GCM, SymBytes: 32}
)

// Userinfo is the body of a userinfo answer.
type Userinfo struct {
	Sub  string            `json:"sub"`
	Key  string            `json:"key,omitempty"`
	Data map[string]string `json:"data,omitempty"`
	// Sym is the symmetric key the fields are encrypted under.
	Sym []byte `json:"-"`
}

// Seal builds a userinfo answer the way sgID does: a fresh symmetric key
// encrypted to the client's public key, and each field under that key.
func Seal(a Algs, to *rsa.PublicKey, sub string, fields map[string]string) Userinfo {
	sym := make([]byte, a.SymBytes)
	_, _ = rand.Read(sym)
	jwk, err := json.Marshal(jose.JSONWebKey{Key: sym})
	if err != nil {
		panic(err)
	}
	u := Userinfo{Sub: sub, Sym: sym, Data: map[string]string{}}
	u.Key = Encrypt(a.KeyEnc, a.KeyAlg, to, nil, jwk)
	var opts *jose.EncrypterOptions
	if a.Zip {
		opts = &jose.EncrypterOptions{Compression: jose.DEFLATE}
	}
	for k, v := range fields {
		u.Data[k] = Encrypt(a.FieldEnc, a.FieldAlg, sym, opts, []byte(v))
	}
	return u
}

// Encrypt makes a compact JWE.
func Encrypt(enc jose.ContentEncryption, alg jose.KeyAlgorithm, key any, opts *jose.EncrypterOptions, plain []byte) string {
	e, err := jose.NewEncrypter(enc, jose.Recipient{Algorithm: alg, Key: key}, opts)
	if err != nil {
		panic(fmt.Sprintf("sgidtest: NewEncrypter(%s, %s): %v", alg, enc, err))
	}
	obj, err := e.Encrypt(plain)
	if err != nil {
		panic(err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		panic(err)
	}
	return s
}

// HandCrafted builds a compact JWE from a header and random parts, for
// algorithms whose real use would itself be costly or unsafe (PBES2 with a
// huge p2c, RSA1_5): the client must refuse it from the header alone.
func HandCrafted(header map[string]any) string {
	h, _ := json.Marshal(header)
	enc := base64.RawURLEncoding.EncodeToString
	part := func(n int) string {
		b := make([]byte, n)
		_, _ = rand.Read(b)
		return enc(b)
	}
	return enc(h) + "." + part(40) + "." + part(12) + "." + part(32) + "." + part(16)
}

// WriteJSON writes v as a JSON answer.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func random() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
