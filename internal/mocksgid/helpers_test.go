package mocksgid_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/sgidweb/sgidweb/internal/mocksgid"
	"github.com/sgidweb/sgidweb/internal/testkit"
)

// Client keys are generated once per test binary: RSA-2048 generation is the
// slowest thing these tests do.
var clientKey, otherClientKey *rsa.PrivateKey

func TestMain(m *testing.M) {
	var err error
	if clientKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		panic(err)
	}
	if otherClientKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}

const (
	clientID      = "sgidweb-test"
	clientSecret  = "s3cret-for-tests-only"
	otherClientID = "other-client"
	mountPrefix   = "/mock-sgid"
)

// fixture is a provider mounted the way the app mounts it: under /mock-sgid,
// with the prefix stripped before the provider's handler sees the request.
type fixture struct {
	t           *testing.T
	p           *mocksgid.Provider
	srv         *httptest.Server
	clock       *testkit.Clock
	issuer      string
	redirectURI string
	http        *http.Client
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, clock: testkit.NewClock(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC))}
	var handler http.Handler = http.NotFoundHandler()
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(f.srv.Close)
	f.issuer = f.srv.URL + mountPrefix + "/v2"
	f.redirectURI = "https://rp.example/auth/callback"
	p, err := mocksgid.New(mocksgid.Config{
		Issuer: f.issuer,
		Clients: []mocksgid.Client{
			{ID: clientID, Secret: clientSecret, RedirectURIs: []string{f.redirectURI, "https://rp.example/other"}, PublicKey: &clientKey.PublicKey, Name: "sgidweb tests"},
			{ID: otherClientID, Secret: "other-secret", RedirectURIs: []string{f.redirectURI}, PublicKey: &otherClientKey.PublicKey},
		},
		Now: f.clock.Now,
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	f.p = p
	handler = http.StripPrefix(mountPrefix, p.Handler())
	f.http = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return f
}

// authParams is a valid authorize request; tests change one thing each.
type authParams struct {
	clientID, redirectURI, scope, state, nonce, verifier string
	values                                               url.Values
}

func defaultAuth(f *fixture, scope string) *authParams {
	return &authParams{
		clientID:    clientID,
		redirectURI: f.redirectURI,
		scope:       scope,
		state:       "state-" + randomString(),
		nonce:       "nonce-" + randomString(),
		verifier:    randomString() + randomString(),
	}
}

func randomString() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func (a *authParams) query() url.Values {
	v := url.Values{
		"client_id":             {a.clientID},
		"redirect_uri":          {a.redirectURI},
		"response_type":         {"code"},
		"scope":                 {a.scope},
		"state":                 {a.state},
		"nonce":                 {a.nonce},
		"code_challenge":        {challenge(a.verifier)},
		"code_challenge_method": {"S256"},
	}
	for k, vs := range a.values {
		if vs == nil {
			v.Del(k)
		} else {
			v[k] = vs
		}
	}
	return v
}

func (f *fixture) authorizeURL(a *authParams) string {
	return f.issuer + "/oauth/authorize?" + a.query().Encode()
}

// approve runs the headless login and returns the code, failing the test on
// anything but a redirect with a code and the right state.
func (f *fixture) approve(a *authParams, persona string) string {
	f.t.Helper()
	next, err := f.p.Approve(f.authorizeURL(a), persona, true)
	if err != nil {
		f.t.Fatalf("Approve: %v", err)
	}
	return codeFrom(f.t, next, f.redirectURI, a.state)
}

func codeFrom(t *testing.T, next, redirectURI, state string) string {
	t.Helper()
	u, err := url.Parse(next)
	if err != nil {
		t.Fatalf("redirect %q: %v", next, err)
	}
	if got := u.Scheme + "://" + u.Host + u.Path; got != redirectURI {
		t.Fatalf("redirect went to %q, want %q", got, redirectURI)
	}
	q := u.Query()
	if q.Get("state") != state {
		t.Fatalf("state = %q, want %q", q.Get("state"), state)
	}
	if q.Get("error") != "" || q.Get("code") == "" {
		t.Fatalf("want a code and no error, got %q", next)
	}
	return q.Get("code")
}

// tokenForm is a valid token request for code.
func (a *authParams) tokenForm(code string) url.Values {
	return url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {a.redirectURI},
		"client_id":     {clientID},
		"client_secret": {clientSecret},
		"code_verifier": {a.verifier},
	}
}

type tokenResponse struct {
	AccessToken      string `json:"access_token"`
	TokenType        string `json:"token_type"`
	ExpiresIn        int    `json:"expires_in"`
	IDToken          string `json:"id_token"`
	Scope            string `json:"scope"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

func (f *fixture) postToken(form url.Values) (int, tokenResponse) {
	f.t.Helper()
	resp, err := f.http.PostForm(f.issuer+"/oauth/token", form)
	if err != nil {
		f.t.Fatalf("POST token: %v", err)
	}
	return decodeToken(f.t, resp)
}

func decodeToken(t *testing.T, resp *http.Response) (int, tokenResponse) {
	t.Helper()
	defer resp.Body.Close()
	var tr tokenResponse
	body, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(body, &tr); err != nil {
		t.Fatalf("token response is not JSON (%d): %q", resp.StatusCode, body)
	}
	return resp.StatusCode, tr
}

// exchange redeems code and fails the test unless tokens come back.
func (f *fixture) exchange(a *authParams, code string) tokenResponse {
	f.t.Helper()
	status, tr := f.postToken(a.tokenForm(code))
	if status != http.StatusOK || tr.AccessToken == "" || tr.IDToken == "" {
		f.t.Fatalf("token exchange: status %d, %+v", status, tr)
	}
	return tr
}

// wantTokenError checks an RFC 6749 error answer.
func wantTokenError(t *testing.T, status int, tr tokenResponse, wantStatus int, wantCode string) {
	t.Helper()
	if status != wantStatus || tr.Error != wantCode {
		t.Fatalf("got %d %q (%s), want %d %q", status, tr.Error, tr.ErrorDescription, wantStatus, wantCode)
	}
	if tr.AccessToken != "" || tr.IDToken != "" {
		t.Fatalf("error response carries tokens: %+v", tr)
	}
	if tr.ErrorDescription == "" {
		t.Errorf("error %q has no error_description", tr.Error)
	}
}

type userinfoResponse struct {
	Sub  string            `json:"sub"`
	Key  *string           `json:"key"`
	Data map[string]string `json:"data"`
}

func (f *fixture) getUserinfo(authorization string) (*http.Response, []byte) {
	f.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, f.issuer+"/oauth/userinfo", nil)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := f.http.Do(req)
	if err != nil {
		f.t.Fatalf("GET userinfo: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func (f *fixture) userinfo(accessToken string) userinfoResponse {
	f.t.Helper()
	resp, body := f.getUserinfo("Bearer " + accessToken)
	if resp.StatusCode != http.StatusOK {
		f.t.Fatalf("userinfo: %d %s", resp.StatusCode, body)
	}
	var ui userinfoResponse
	if err := json.Unmarshal(body, &ui); err != nil {
		f.t.Fatalf("userinfo JSON: %v: %s", err, body)
	}
	return ui
}

func (f *fixture) jwks() jose.JSONWebKeySet {
	f.t.Helper()
	resp, err := f.http.Get(f.issuer + "/.well-known/jwks.json")
	if err != nil {
		f.t.Fatalf("GET jwks: %v", err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		f.t.Fatalf("jwks JSON: %v", err)
	}
	return set
}

type idClaims struct {
	jwt.Claims
	Nonce *string `json:"nonce"`
}

// verifyIDToken checks the ID token the way a careful client does: RS256
// only, key picked by kid from the published JWKS, every claim compared.
func (f *fixture) verifyIDToken(raw, wantNonce string) (idClaims, string) {
	f.t.Helper()
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		f.t.Fatalf("parse ID token: %v", err)
	}
	kid := tok.Headers[0].KeyID
	set := f.jwks()
	keys := set.Key(kid)
	if len(keys) != 1 {
		f.t.Fatalf("JWKS has %d keys with kid %q", len(keys), kid)
	}
	var c idClaims
	if err := tok.Claims(keys[0].Key, &c); err != nil {
		f.t.Fatalf("ID token signature: %v", err)
	}
	if err := c.ValidateWithLeeway(jwt.Expected{Issuer: f.issuer, AnyAudience: jwt.Audience{clientID}, Time: f.clock.Now()}, 0); err != nil {
		f.t.Fatalf("ID token claims: %v", err)
	}
	if c.IssuedAt == nil || c.Expiry == nil || c.Subject == "" {
		f.t.Fatalf("ID token lacks iat, exp or sub: %+v", c)
	}
	if wantNonce == "" && c.Nonce != nil {
		f.t.Fatalf("nonce %q in ID token though none was sent", *c.Nonce)
	}
	if wantNonce != "" && (c.Nonce == nil || *c.Nonce != wantNonce) {
		f.t.Fatalf("nonce = %v, want %q", c.Nonce, wantNonce)
	}
	return c, kid
}

// decryptUserinfo undoes both layers with only the algorithms the official
// SDK uses, so any other algorithm fails the test.
func decryptUserinfo(t *testing.T, ui userinfoResponse, key *rsa.PrivateKey) (jose.JSONWebKey, map[string]string) {
	t.Helper()
	if ui.Key == nil {
		t.Fatal("userinfo has no key")
	}
	outer, err := jose.ParseEncryptedCompact(*ui.Key, []jose.KeyAlgorithm{jose.RSA_OAEP_256}, []jose.ContentEncryption{jose.A256GCM})
	if err != nil {
		t.Fatalf("key JWE is not RSA-OAEP-256 + A256GCM: %v", err)
	}
	plain, err := outer.Decrypt(key)
	if err != nil {
		t.Fatalf("decrypt key: %v", err)
	}
	var jwk jose.JSONWebKey
	if err := json.Unmarshal(plain, &jwk); err != nil {
		t.Fatalf("payload key is not a JWK: %v: %s", err, plain)
	}
	var raw map[string]any
	_ = json.Unmarshal(plain, &raw)
	if raw["kty"] != "oct" || raw["alg"] != "A128GCMKW" || raw["kid"] == "" || raw["kid"] == nil {
		t.Fatalf("payload key = %s, want kty oct, alg A128GCMKW and a kid", plain)
	}
	sym, ok := jwk.Key.([]byte)
	if !ok || len(sym) != 16 {
		t.Fatalf("payload key is %T of length %d, want 16 bytes", jwk.Key, len(sym))
	}
	out := map[string]string{}
	for scope, enc := range ui.Data {
		obj, err := jose.ParseEncryptedCompact(enc, []jose.KeyAlgorithm{jose.A128GCMKW}, []jose.ContentEncryption{jose.A128GCM})
		if err != nil {
			t.Fatalf("%s is not A128GCMKW + A128GCM: %v", scope, err)
		}
		if obj.Header.KeyID != jwk.KeyID {
			t.Errorf("%s kid = %q, want the payload key's %q", scope, obj.Header.KeyID, jwk.KeyID)
		}
		v, err := obj.Decrypt(sym)
		if err != nil {
			t.Fatalf("decrypt %s: %v", scope, err)
		}
		out[scope] = string(v)
	}
	return jwk, out
}

func mustPersona(t *testing.T, id string) mocksgid.Persona {
	t.Helper()
	p, ok := mocksgid.PersonaByID(id)
	if !ok {
		t.Fatalf("no persona %q", id)
	}
	return p
}

func hasPrefix(s, prefix string) bool { return strings.HasPrefix(s, prefix) }

func decryptWith(compact string, key *rsa.PrivateKey) ([]byte, error) {
	obj, err := jose.ParseEncryptedCompact(compact, []jose.KeyAlgorithm{jose.RSA_OAEP_256}, []jose.ContentEncryption{jose.A256GCM})
	if err != nil {
		return nil, err
	}
	return obj.Decrypt(key)
}
