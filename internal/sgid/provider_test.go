package sgid

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/sgidweb/sgidweb/internal/testkit"
)

// Values a test provider hands out. The "leak" ones must never appear in an
// error message.
const (
	testClientID    = "client-abc"
	testSecret      = "secret-leak-4c1d"
	testRedirect    = "https://app.example/auth/callback"
	testSub         = "sub-pairwise-7f3a"
	testAccessToken = "at-leak-9f8e77"
	testCode        = "code-leak-1b2c"
	testNonce       = "nonce-4b2d9c"
	testVerifier    = "bbGcObXZC1YGBQZZtZGQH9jsyO1vypqCGqnSU_4TI5S"
	signKID         = "sig-1"
)

// testKeySet holds the keys every test shares; RSA-2048 generation is slow,
// so it happens once per test binary.
type testKeySet struct {
	sign, sign2, client, other, small *rsa.PrivateKey
}

var (
	keysOnce sync.Once
	keys     testKeySet
)

func testKeys(t testing.TB) testKeySet {
	t.Helper()
	keysOnce.Do(func() {
		gen := func(bits int) *rsa.PrivateKey {
			k, err := rsa.GenerateKey(rand.Reader, bits)
			if err != nil {
				panic(err)
			}
			return k
		}
		keys = testKeySet{sign: gen(2048), sign2: gen(2048), client: gen(2048), other: gen(2048), small: gen(1024)}
	})
	return keys
}

// testClock is the shared settable clock (internal/testkit), shared by the
// client and the provider and started at a fixed time.
type testClock = testkit.Clock

func newTestClock() *testClock {
	return testkit.NewClock(time.Date(2025, 3, 12, 9, 0, 0, 0, time.UTC))
}

// jwkJSON is the public JWK of k as a JWKS entry.
func jwkJSON(k *rsa.PrivateKey, kid string) jose.JSONWebKey {
	return jose.JSONWebKey{Key: &k.PublicKey, KeyID: kid, Algorithm: "RS256", Use: "sig"}
}

func jwksBody(t testing.TB, ks ...jose.JSONWebKey) []byte {
	t.Helper()
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: ks})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// signJWT signs claims as a compact JWS.
func signJWT(t testing.TB, alg jose.SignatureAlgorithm, key any, opts *jose.SignerOptions, claims any) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func withKID(kid string) *jose.SignerOptions {
	return (&jose.SignerOptions{}).WithHeader("kid", kid)
}

// unsignedJWT builds an alg "none" token by hand: go-jose will not make one.
func unsignedJWT(t testing.TB, claims any) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none","kid":"`+signKID+`"}`)) + "." + enc(payload) + "."
}

// fakeProvider is an sgID look-alike on httptest. Tests replace its
// handlers or ID token to play a hostile or broken provider.
type fakeProvider struct {
	t      *testing.T
	srv    *httptest.Server
	prefix string
	issuer string
	clock  *testClock

	mu         sync.Mutex
	jwks       []byte
	jwksStatus int
	idToken    func(p *fakeProvider) string
	token      http.HandlerFunc
	userinfo   any // body for userinfo; a http.HandlerFunc replaces the handler
	tokenForm  url.Values
	tokenAuth  string
	uiAuth     string

	jwksHits  atomic.Int32
	tokenHits atomic.Int32
}

func newFakeProvider(t *testing.T) *fakeProvider {
	t.Helper()
	k := testKeys(t)
	p := &fakeProvider{t: t, prefix: "/mock-sgid", clock: newTestClock(), jwksStatus: http.StatusOK}
	p.jwks = jwksBody(t, jwkJSON(k.sign, signKID))
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+p.prefix+"/v2/.well-known/jwks.json", p.serveJWKS)
	mux.HandleFunc("POST "+p.prefix+"/v2/oauth/token", p.serveToken)
	mux.HandleFunc("GET "+p.prefix+"/v2/oauth/userinfo", p.serveUserinfo)
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	p.issuer = p.srv.URL + p.prefix + "/v2"
	return p
}

func (p *fakeProvider) set(f func(p *fakeProvider)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(p)
}

// claims are valid ID token claims for testSub and testNonce.
func (p *fakeProvider) claims() map[string]any {
	now := p.clock.Now()
	return map[string]any{
		"iss":   p.issuer,
		"aud":   testClientID,
		"sub":   testSub,
		"iat":   now.Unix(),
		"exp":   now.Add(10 * time.Minute).Unix(),
		"nonce": testNonce,
	}
}

// signed signs claims with the provider's published key.
func (p *fakeProvider) signed(claims map[string]any) string {
	return signJWT(p.t, jose.RS256, testKeys(p.t).sign, withKID(signKID), claims)
}

func (p *fakeProvider) serveJWKS(w http.ResponseWriter, r *http.Request) {
	p.jwksHits.Add(1)
	p.mu.Lock()
	status, body := p.jwksStatus, p.jwks
	p.mu.Unlock()
	if status != http.StatusOK {
		http.Error(w, "down", status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}

func (p *fakeProvider) serveToken(w http.ResponseWriter, r *http.Request) {
	p.tokenHits.Add(1)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	p.tokenForm = r.PostForm
	p.tokenAuth = r.Header.Get("Authorization")
	h, mk := p.token, p.idToken
	p.mu.Unlock()
	if h != nil {
		h(w, r)
		return
	}
	id := p.signed(p.claims())
	if mk != nil {
		id = mk(p)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"access_token": testAccessToken,
		"token_type":   "Bearer",
		"expires_in":   3600,
		"id_token":     id,
	})
}

func (p *fakeProvider) serveUserinfo(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.uiAuth = r.Header.Get("Authorization")
	body := p.userinfo
	p.mu.Unlock()
	if h, ok := body.(http.HandlerFunc); ok {
		h(w, r)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+testAccessToken {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(body)
}

// newClient builds a Client against p with the client key and a few data scopes.
func (p *fakeProvider) newClient(t *testing.T, mutate ...func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		Hostname:     p.srv.URL + p.prefix,
		ClientID:     testClientID,
		ClientSecret: testSecret,
		PrivateKey:   testKeys(t).client,
		RedirectURL:  testRedirect,
		Scopes:       []string{"openid", "myinfo.name", "myinfo.nric_number"},
		Timeout:      2 * time.Second,
		HTTPClient:   p.srv.Client(),
		Now:          p.clock.Now,
	}
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// algFamily is one provider's choice of JWE algorithms for userinfo.
type algFamily struct {
	name     string
	keyAlg   jose.KeyAlgorithm
	keyEnc   jose.ContentEncryption
	fieldAlg jose.KeyAlgorithm
	fieldEnc jose.ContentEncryption
	symBytes int
}

var (
	familySDK      = algFamily{"sdk", jose.RSA_OAEP_256, jose.A256GCM, jose.A128GCMKW, jose.A128GCM, 16}
	familyMockPass = algFamily{"mockpass", jose.RSA_OAEP, jose.A128CBC_HS256, jose.DIRECT, jose.A256GCM, 32}
)

func encrypt(t testing.TB, enc jose.ContentEncryption, alg jose.KeyAlgorithm, key any, opts *jose.EncrypterOptions, plain []byte) string {
	t.Helper()
	e, err := jose.NewEncrypter(enc, jose.Recipient{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatalf("NewEncrypter(%s, %s): %v", alg, enc, err)
	}
	obj, err := e.Encrypt(plain)
	if err != nil {
		t.Fatal(err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// sealedUserinfo is a userinfo body built the way sgID builds it: a fresh
// symmetric key encrypted to the client's public key, and each field
// encrypted under that key.
type sealedUserinfo struct {
	Sub  string            `json:"sub"`
	Key  string            `json:"key,omitempty"`
	Data map[string]string `json:"data,omitempty"`
	sym  []byte
}

func seal(t testing.TB, fam algFamily, to *rsa.PublicKey, sub string, fields map[string]string) sealedUserinfo {
	t.Helper()
	sym := make([]byte, fam.symBytes)
	rand.Read(sym)
	jwk, err := json.Marshal(jose.JSONWebKey{Key: sym})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(jwk), `"kty":"oct"`) {
		t.Fatalf("symmetric JWK %s lacks kty oct", jwk)
	}
	u := sealedUserinfo{Sub: sub, sym: sym, Data: map[string]string{}}
	u.Key = encrypt(t, fam.keyEnc, fam.keyAlg, to, nil, jwk)
	for k, v := range fields {
		u.Data[k] = encrypt(t, fam.fieldEnc, fam.fieldAlg, sym, nil, []byte(v))
	}
	return u
}
