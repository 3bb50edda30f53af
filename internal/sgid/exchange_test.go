package sgid

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// assertNoSecrets fails when err's text carries anything a log must not see.
func assertNoSecrets(t *testing.T, err error, extra ...string) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range append([]string{testSecret, testAccessToken, testCode, testVerifier, testNonce}, extra...) {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error %q contains %q", err, s)
		}
	}
	if !strings.HasPrefix(err.Error(), "sgid: ") {
		t.Errorf("error %q lacks the sgid: prefix", err)
	}
}

func TestExchangeIDToken(t *testing.T) {
	k := testKeys(t)
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("verifier fetched attacker URL %s", r.URL)
		w.Header().Set("Content-Type", "application/json")
		w.Write(jwksBody(t, jwkJSON(k.other, "evil")))
	}))
	defer attacker.Close()

	with := func(mut func(c map[string]any)) func(p *fakeProvider) string {
		return func(p *fakeProvider) string {
			c := p.claims()
			mut(c)
			return p.signed(c)
		}
	}
	tests := []struct {
		name  string
		token func(p *fakeProvider) string
		nonce string
		want  Reason // "" means success
	}{
		{name: "happy", token: with(func(map[string]any) {})},
		{name: "nonce mismatch", token: with(func(map[string]any) {}), nonce: "other-nonce", want: ReasonNonceMismatch},
		{name: "missing nonce", token: with(func(c map[string]any) { delete(c, "nonce") }), want: ReasonNonceMismatch},
		{name: "empty nonce", token: with(func(c map[string]any) { c["nonce"] = "" }), want: ReasonNonceMismatch},
		{name: "wrong aud", token: with(func(c map[string]any) { c["aud"] = "someone-else" }), want: ReasonIDTokenInvalid},
		{name: "aud array without azp", token: with(func(c map[string]any) { c["aud"] = []string{testClientID, "other"} }), want: ReasonIDTokenInvalid},
		{name: "aud array with other azp", token: with(func(c map[string]any) {
			c["aud"] = []string{testClientID, "other"}
			c["azp"] = "other"
		}), want: ReasonIDTokenInvalid},
		{name: "aud array with our azp", token: with(func(c map[string]any) {
			c["aud"] = []string{testClientID, "other"}
			c["azp"] = testClientID
		})},
		{name: "single aud with foreign azp", token: with(func(c map[string]any) { c["azp"] = "other" }), want: ReasonIDTokenInvalid},
		{name: "wrong issuer", token: with(func(c map[string]any) { c["iss"] = "https://api.id.gov.sg/v2" }), want: ReasonIDTokenInvalid},
		{name: "issuer without path", token: with(func(c map[string]any) { c["iss"] = strings.Replace(c["iss"].(string), "/mock-sgid", "", 1) }), want: ReasonIDTokenInvalid},
		{name: "expired beyond leeway", token: with(func(c map[string]any) { c["exp"] = c["iat"].(int64) - 61 }), want: ReasonIDTokenInvalid},
		{name: "expired within leeway", token: with(func(c map[string]any) { c["exp"] = c["iat"].(int64) - 30 })},
		{name: "iat in the future beyond leeway", token: with(func(c map[string]any) { c["iat"] = c["iat"].(int64) + 120 }), want: ReasonIDTokenInvalid},
		{name: "iat in the future within leeway", token: with(func(c map[string]any) { c["iat"] = c["iat"].(int64) + 30 })},
		{name: "nbf in the future", token: with(func(c map[string]any) { c["nbf"] = c["iat"].(int64) + 300 }), want: ReasonIDTokenInvalid},
		{name: "missing sub", token: with(func(c map[string]any) { delete(c, "sub") }), want: ReasonIDTokenInvalid},
		{name: "missing exp", token: with(func(c map[string]any) { delete(c, "exp") }), want: ReasonIDTokenInvalid},
		{name: "missing iat", token: with(func(c map[string]any) { delete(c, "iat") }), want: ReasonIDTokenInvalid},
		{name: "at_hash mismatch", token: with(func(c map[string]any) { c["at_hash"] = "AAAAAAAAAAAAAAAAAAAAAA" }), want: ReasonIDTokenInvalid},
		{name: "alg HS256 with the secret", token: func(p *fakeProvider) string {
			return signJWT(t, jose.HS256, []byte(testSecret+strings.Repeat("x", 32)), withKID(signKID), p.claims())
		}, want: ReasonIDTokenInvalid},
		{name: "alg none", token: func(p *fakeProvider) string { return unsignedJWT(t, p.claims()) }, want: ReasonIDTokenInvalid},
		{name: "alg PS256 with the right key", token: func(p *fakeProvider) string {
			return signJWT(t, jose.PS256, k.sign, withKID(signKID), p.claims())
		}, want: ReasonIDTokenInvalid},
		{name: "signed by another key under our kid", token: func(p *fakeProvider) string {
			return signJWT(t, jose.RS256, k.other, withKID(signKID), p.claims())
		}, want: ReasonIDTokenInvalid},
		{name: "embedded jwk is ignored", token: func(p *fakeProvider) string {
			return signJWT(t, jose.RS256, k.other, &jose.SignerOptions{EmbedJWK: true}, p.claims())
		}, want: ReasonIDTokenInvalid},
		{name: "jku and x5u are ignored", token: func(p *fakeProvider) string {
			opts := withKID("evil").WithHeader("jku", attacker.URL).WithHeader("x5u", attacker.URL)
			return signJWT(t, jose.RS256, k.other, opts, p.claims())
		}, want: ReasonIDTokenInvalid},
		{name: "not a JWT", token: func(*fakeProvider) string { return "garbage" }, want: ReasonIDTokenInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newFakeProvider(t)
			p.set(func(p *fakeProvider) { p.idToken = tt.token })
			c := p.newClient(t)
			nonce := testNonce
			if tt.nonce != "" {
				nonce = tt.nonce
			}
			id, err := c.Exchange(context.Background(), testCode, testVerifier, nonce)
			if ReasonOf(err) != tt.want {
				t.Fatalf("Exchange error = %v (reason %q), want reason %q", err, ReasonOf(err), tt.want)
			}
			assertNoSecrets(t, err)
			if tt.want != "" {
				return
			}
			if id.Subject != testSub || id.AccessToken != testAccessToken {
				t.Errorf("identity = %+v", id)
			}
			if id.IDTokenExpiry.IsZero() {
				t.Error("IDTokenExpiry not set")
			}
		})
	}
}

func TestExchangeSendsClientSecretPost(t *testing.T) {
	p := newFakeProvider(t)
	c := p.newClient(t)
	if _, err := c.Exchange(context.Background(), testCode, testVerifier, testNonce); err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	form, auth := p.tokenForm, p.tokenAuth
	p.mu.Unlock()
	if auth != "" {
		t.Errorf("token request has Authorization %q; sgID wants client_secret_post", auth)
	}
	want := map[string]string{
		"grant_type":    "authorization_code",
		"code":          testCode,
		"redirect_uri":  testRedirect,
		"client_id":     testClientID,
		"client_secret": testSecret,
		"code_verifier": testVerifier,
	}
	for k, v := range want {
		if form.Get(k) != v {
			t.Errorf("form %s = %q, want %q", k, form.Get(k), v)
		}
	}
}

func TestExchangeTokenEndpointFailures(t *testing.T) {
	var stallRelease atomic.Bool
	// elsewhere would receive the client secret if a 307 were followed.
	var elsewhereHits atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhereHits.Add(1)
	}))
	defer elsewhere.Close()
	tests := []struct {
		name    string
		handler http.HandlerFunc
		timeout time.Duration
		want    Reason
	}{
		{name: "400 invalid_grant", want: ReasonTokenRejected, handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":"invalid_grant","error_description":"code ` + testCode + ` already used"}`))
		}},
		{name: "401 bare", want: ReasonTokenRejected, handler: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusUnauthorized)
		}},
		{name: "200 with error field", want: ReasonTokenRejected, handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"error":"invalid_request"}`))
		}},
		{name: "429", want: ReasonTokenUpstream, handler: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusTooManyRequests)
		}},
		{name: "500 non-JSON", want: ReasonTokenUpstream, handler: func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "<html>oops "+testCode+"</html>", http.StatusInternalServerError)
		}},
		{name: "200 non-JSON", want: ReasonTokenUpstream, handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`not json ` + testAccessToken))
		}},
		{name: "missing id_token", want: ReasonTokenUpstream, handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"access_token":"` + testAccessToken + `","token_type":"Bearer"}`))
		}},
		{name: "missing access_token", want: ReasonTokenUpstream, handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"id_token":"x.y.z","token_type":"Bearer"}`))
		}},
		{name: "oversized body that x/oauth2 would truncate into valid JSON", want: ReasonTokenUpstream, handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"access_token":"` + testAccessToken + `","id_token":"x.y.z"}`))
			w.Write([]byte(strings.Repeat(" ", 2<<20)))
		}},
		{name: "oversized with Content-Length", want: ReasonTokenUpstream, handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", "3000000")
			w.Write([]byte(`{"pad":"` + strings.Repeat("a", 3000000-10) + `"}`))
		}},
		{name: "redirect is not followed", want: ReasonTokenUpstream, handler: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, elsewhere.URL, http.StatusTemporaryRedirect)
		}},
		{name: "stall beyond timeout", want: ReasonTimeout, timeout: 150 * time.Millisecond, handler: func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
				stallRelease.Store(true)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newFakeProvider(t)
			p.set(func(p *fakeProvider) { p.token = tt.handler })
			c := p.newClient(t, func(cfg *Config) {
				if tt.timeout != 0 {
					cfg.Timeout = tt.timeout
				}
			})
			start := time.Now()
			_, err := c.Exchange(context.Background(), testCode, testVerifier, testNonce)
			if ReasonOf(err) != tt.want {
				t.Fatalf("Exchange error = %v (reason %q), want reason %q", err, ReasonOf(err), tt.want)
			}
			assertNoSecrets(t, err)
			if tt.timeout != 0 && time.Since(start) > tt.timeout+time.Second {
				t.Errorf("timed out after %v, want about %v", time.Since(start), tt.timeout)
			}
		})
	}
	if n := elsewhereHits.Load(); n != 0 {
		t.Errorf("token request followed a redirect %d times", n)
	}
	if stallRelease.Load() {
		t.Error("stalled handler ran to completion: the client did not hang up")
	}
}

func TestExchangeRefusesMissingInputs(t *testing.T) {
	p := newFakeProvider(t)
	c := p.newClient(t)
	tests := []struct {
		code, verifier, nonce string
		want                  Reason
	}{
		{"", testVerifier, testNonce, ReasonTokenRejected},
		{testCode, "", testNonce, ReasonTokenRejected},
		{testCode, testVerifier, "", ReasonNonceMismatch},
	}
	for _, tt := range tests {
		_, err := c.Exchange(context.Background(), tt.code, tt.verifier, tt.nonce)
		if ReasonOf(err) != tt.want {
			t.Errorf("Exchange(%q, %q, %q) = %v, want %q", tt.code, tt.verifier, tt.nonce, err, tt.want)
		}
	}
	if n := p.tokenHits.Load(); n != 0 {
		t.Errorf("token endpoint called %d times for refused input", n)
	}
}

func TestExchangeKeysUnavailable(t *testing.T) {
	p := newFakeProvider(t)
	p.set(func(p *fakeProvider) { p.jwksStatus = http.StatusServiceUnavailable })
	c := p.newClient(t)
	_, err := c.Exchange(context.Background(), testCode, testVerifier, testNonce)
	if ReasonOf(err) != ReasonKeysUnavailable {
		t.Fatalf("Exchange with JWKS down and nothing cached = %v, want %q", err, ReasonKeysUnavailable)
	}
	if err := c.CheckKeys(context.Background()); ReasonOf(err) != ReasonKeysUnavailable {
		t.Fatalf("CheckKeys = %v, want %q", err, ReasonKeysUnavailable)
	}

	p.set(func(p *fakeProvider) { p.jwksStatus = http.StatusOK })
	p.clock.Advance(emptyRetryWindow + time.Second)
	if err := c.CheckKeys(context.Background()); err != nil {
		t.Fatalf("CheckKeys after JWKS recovered = %v", err)
	}
}

// TestExchangeAcceptsFloatTimes: some providers write exp and iat as
// floats; the presence checks must not refuse them.
func TestExchangeAcceptsFloatTimes(t *testing.T) {
	p := newFakeProvider(t)
	p.set(func(p *fakeProvider) {
		p.idToken = func(p *fakeProvider) string {
			c := p.claims()
			c["iat"] = float64(p.clock.Now().Unix()) + 0.5
			c["exp"] = float64(p.clock.Now().Add(time.Minute).Unix()) + 0.5
			return p.signed(c)
		}
	})
	c := p.newClient(t)
	if _, err := c.Exchange(context.Background(), testCode, testVerifier, testNonce); err != nil {
		t.Fatal(err)
	}
}
