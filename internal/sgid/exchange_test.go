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

	"github.com/sgidweb/sgidweb/internal/sgidtest"
)

func TestExchangeIDToken(t *testing.T) {
	k := sgidtest.TestKeys()
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("verifier fetched attacker URL %s", r.URL)
		w.Header().Set("Content-Type", "application/json")
		w.Write(jwksBody(t, sgidtest.JWK(k.Other, "evil")))
	}))
	defer attacker.Close()

	with := func(mut func(c map[string]any)) func(p *sgidtest.Provider, c map[string]any) string {
		return func(p *sgidtest.Provider, c map[string]any) string {
			mut(c)
			return p.Sign(c)
		}
	}
	kid := map[string]any{"kid": "sig-1"}
	tests := []struct {
		name  string
		token func(p *sgidtest.Provider, c map[string]any) string
		nonce string
		want  Reason // "" means success
	}{
		{name: "happy", token: with(func(map[string]any) {})},
		{name: "nonce mismatch", token: with(func(map[string]any) {}), nonce: "other-nonce", want: ReasonNonceMismatch},
		{name: "missing nonce", token: with(func(c map[string]any) { delete(c, "nonce") }), want: ReasonNonceMismatch},
		{name: "empty nonce", token: with(func(c map[string]any) { c["nonce"] = "" }), want: ReasonNonceMismatch},
		{name: "wrong aud", token: with(func(c map[string]any) { c["aud"] = "someone-else" }), want: ReasonIDTokenInvalid},
		{name: "aud array without azp", token: with(func(c map[string]any) { c["aud"] = []string{sgidtest.ClientID, "other"} }), want: ReasonIDTokenInvalid},
		{name: "aud array with other azp", token: with(func(c map[string]any) {
			c["aud"] = []string{sgidtest.ClientID, "other"}
			c["azp"] = "other"
		}), want: ReasonIDTokenInvalid},
		{name: "aud array with our azp", token: with(func(c map[string]any) {
			c["aud"] = []string{sgidtest.ClientID, "other"}
			c["azp"] = sgidtest.ClientID
		})},
		{name: "single aud with foreign azp", token: with(func(c map[string]any) { c["azp"] = "other" }), want: ReasonIDTokenInvalid},
		{name: "wrong issuer", token: with(func(c map[string]any) { c["iss"] = "https://api.id.gov.sg/v2" }), want: ReasonIDTokenInvalid},
		{name: "issuer without path", token: with(func(c map[string]any) { c["iss"] = strings.Replace(c["iss"].(string), mockPrefix, "", 1) }), want: ReasonIDTokenInvalid},
		{name: "expired beyond leeway", token: with(func(c map[string]any) { c["exp"] = c["iat"].(int64) - 61 }), want: ReasonIDTokenInvalid},
		{name: "expired within leeway", token: with(func(c map[string]any) { c["exp"] = c["iat"].(int64) - 30 })},
		{name: "iat in the future beyond leeway", token: with(func(c map[string]any) { c["iat"] = c["iat"].(int64) + 120 }), want: ReasonIDTokenInvalid},
		{name: "iat in the future within leeway", token: with(func(c map[string]any) { c["iat"] = c["iat"].(int64) + 30 })},
		{name: "nbf in the future", token: with(func(c map[string]any) { c["nbf"] = c["iat"].(int64) + 300 }), want: ReasonIDTokenInvalid},
		{name: "missing sub", token: with(func(c map[string]any) { delete(c, "sub") }), want: ReasonIDTokenInvalid},
		{name: "missing exp", token: with(func(c map[string]any) { delete(c, "exp") }), want: ReasonIDTokenInvalid},
		{name: "missing iat", token: with(func(c map[string]any) { delete(c, "iat") }), want: ReasonIDTokenInvalid},
		{name: "at_hash mismatch", token: with(func(c map[string]any) { c["at_hash"] = "AAAAAAAAAAAAAAAAAAAAAA" }), want: ReasonIDTokenInvalid},
		{name: "alg HS256 with the secret", token: func(_ *sgidtest.Provider, c map[string]any) string {
			return sgidtest.SignWith(jose.HS256, []byte(sgidtest.ClientSecret), kid, c)
		}, want: ReasonIDTokenInvalid},
		{name: "alg none", token: func(_ *sgidtest.Provider, c map[string]any) string { return sgidtest.Unsigned("none", c) }, want: ReasonIDTokenInvalid},
		{name: "alg PS256 with the right key", token: func(_ *sgidtest.Provider, c map[string]any) string {
			return sgidtest.SignWith(jose.PS256, k.Sign, kid, c)
		}, want: ReasonIDTokenInvalid},
		// A signature that no key of the JWKS verifies, even after a
		// refetch, is refused as a key sgID has not published.
		{name: "signed by another key under our kid", token: func(_ *sgidtest.Provider, c map[string]any) string {
			return sgidtest.SignWith(jose.RS256, k.Other, kid, c)
		}, want: ReasonSigningKeyUnknown},
		{name: "embedded jwk is ignored", token: func(_ *sgidtest.Provider, c map[string]any) string {
			return sgidtest.SignWith(jose.RS256, k.Other, map[string]any{"jwk": sgidtest.JWK(k.Other, "")}, c)
		}, want: ReasonSigningKeyUnknown},
		{name: "jku and x5u are ignored", token: func(_ *sgidtest.Provider, c map[string]any) string {
			return sgidtest.SignWith(jose.RS256, k.Other, map[string]any{"kid": "evil", "jku": attacker.URL, "x5u": attacker.URL}, c)
		}, want: ReasonSigningKeyUnknown},
		{name: "not a JWT", token: func(*sgidtest.Provider, map[string]any) string { return "garbage" }, want: ReasonIDTokenInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProvider(t)
			p.SetFaults(sgidtest.Faults{IDToken: tt.token})
			c := newClient(t, p)
			l := startLogin(t, p, c, nil)
			nonce := l.req.Nonce
			if tt.nonce != "" {
				nonce = tt.nonce
			}
			id, err := c.Exchange(context.Background(), l.grant.Code, l.req.Verifier, nonce)
			if ReasonOf(err) != tt.want {
				t.Fatalf("Exchange error = %v (reason %q), want reason %q", err, ReasonOf(err), tt.want)
			}
			assertNoSecrets(t, err, l.secrets(p)...)
			if tt.want != "" {
				return
			}
			if id.Subject != l.grant.Subject || id.AccessToken != l.grant.AccessToken {
				t.Errorf("identity = %+v, want the grant's subject and access token", id)
			}
			if id.IDTokenExpiry.IsZero() {
				t.Error("IDTokenExpiry not set")
			}
		})
	}
}

func TestExchangeSendsClientSecretPost(t *testing.T) {
	p := newProvider(t)
	c := newClient(t, p)
	l := startLogin(t, p, c, nil)
	if _, err := l.exchange(t, c); err != nil {
		t.Fatal(err)
	}
	if auth := l.grant.TokenAuthorization; auth != "" {
		t.Errorf("token request has Authorization %q; sgID wants client_secret_post", auth)
	}
	want := map[string]string{
		"grant_type":    "authorization_code",
		"code":          l.grant.Code,
		"redirect_uri":  testRedirect,
		"client_id":     sgidtest.ClientID,
		"client_secret": sgidtest.ClientSecret,
		"code_verifier": l.req.Verifier,
	}
	for k, v := range want {
		if got := l.grant.TokenForm.Get(k); got != v {
			t.Errorf("form %s = %q, want %q", k, got, v)
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
	type answer = func(p *sgidtest.Provider, g *sgidtest.Grant, w http.ResponseWriter, r *http.Request)
	tests := []struct {
		name    string
		handler answer
		timeout time.Duration
		want    Reason
	}{
		{name: "400 invalid_grant", want: ReasonTokenRejected, handler: func(_ *sgidtest.Provider, g *sgidtest.Grant, w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":"invalid_grant","error_description":"code ` + g.Code + ` already used"}`))
		}},
		{name: "401 bare", want: ReasonTokenRejected, handler: func(_ *sgidtest.Provider, _ *sgidtest.Grant, w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusUnauthorized)
		}},
		{name: "200 with error field", want: ReasonTokenRejected, handler: func(_ *sgidtest.Provider, _ *sgidtest.Grant, w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"error":"invalid_request"}`))
		}},
		{name: "429", want: ReasonTokenUpstream, handler: func(_ *sgidtest.Provider, _ *sgidtest.Grant, w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusTooManyRequests)
		}},
		{name: "500 non-JSON", want: ReasonTokenUpstream, handler: func(_ *sgidtest.Provider, g *sgidtest.Grant, w http.ResponseWriter, r *http.Request) {
			http.Error(w, "<html>oops "+g.Code+"</html>", http.StatusInternalServerError)
		}},
		{name: "200 non-JSON", want: ReasonTokenUpstream, handler: func(_ *sgidtest.Provider, g *sgidtest.Grant, w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`not json ` + g.AccessToken))
		}},
		{name: "missing id_token", want: ReasonTokenUpstream, handler: func(_ *sgidtest.Provider, g *sgidtest.Grant, w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"access_token":"` + g.AccessToken + `","token_type":"Bearer"}`))
		}},
		{name: "missing access_token", want: ReasonTokenUpstream, handler: func(_ *sgidtest.Provider, _ *sgidtest.Grant, w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"id_token":"x.y.z","token_type":"Bearer"}`))
		}},
		{name: "oversized body that x/oauth2 would truncate into valid JSON", want: ReasonTokenUpstream, handler: func(_ *sgidtest.Provider, g *sgidtest.Grant, w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"access_token":"` + g.AccessToken + `","id_token":"x.y.z"}`))
			w.Write([]byte(strings.Repeat(" ", 2<<20)))
		}},
		{name: "oversized with Content-Length", want: ReasonTokenUpstream, handler: func(_ *sgidtest.Provider, _ *sgidtest.Grant, w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", "3000000")
			w.Write([]byte(`{"pad":"` + strings.Repeat("a", 3000000-10) + `"}`))
		}},
		{name: "redirect is not followed", want: ReasonTokenUpstream, handler: func(_ *sgidtest.Provider, _ *sgidtest.Grant, w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, elsewhere.URL, http.StatusTemporaryRedirect)
		}},
		{name: "stall beyond timeout", want: ReasonTimeout, timeout: 150 * time.Millisecond, handler: func(_ *sgidtest.Provider, _ *sgidtest.Grant, w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
				stallRelease.Store(true)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProvider(t)
			p.SetFaults(sgidtest.Faults{Token: tt.handler})
			c := newClient(t, p, func(cfg *Config) {
				if tt.timeout != 0 {
					cfg.Timeout = tt.timeout
				}
			})
			l := startLogin(t, p, c, nil)
			start := time.Now()
			_, err := l.exchange(t, c)
			if ReasonOf(err) != tt.want {
				t.Fatalf("Exchange error = %v (reason %q), want reason %q", err, ReasonOf(err), tt.want)
			}
			assertNoSecrets(t, err, l.secrets(p)...)
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
	p := newProvider(t)
	c := newClient(t, p)
	l := startLogin(t, p, c, nil)
	code, verifier, nonce := l.grant.Code, l.req.Verifier, l.req.Nonce
	tests := []struct {
		code, verifier, nonce string
		want                  Reason
	}{
		{"", verifier, nonce, ReasonTokenRejected},
		{code, "", nonce, ReasonTokenRejected},
		{code, verifier, "", ReasonNonceMismatch},
	}
	for _, tt := range tests {
		_, err := c.Exchange(context.Background(), tt.code, tt.verifier, tt.nonce)
		if ReasonOf(err) != tt.want {
			t.Errorf("Exchange with code %t, verifier %t, nonce %t = %v, want %q", tt.code != "", tt.verifier != "", tt.nonce != "", err, tt.want)
		}
	}
	if n := p.TokenCalls.Load(); n != 0 {
		t.Errorf("token endpoint called %d times for refused input", n)
	}
}

// TestExchangeAcceptsFloatTimes: some providers write exp and iat as
// floats; the presence checks must not refuse them.
func TestExchangeAcceptsFloatTimes(t *testing.T) {
	p := newProvider(t)
	p.SetFaults(sgidtest.Faults{IDToken: func(p *sgidtest.Provider, c map[string]any) string {
		c["iat"] = float64(p.Now().Unix()) + 0.5
		c["exp"] = float64(p.Now().Add(time.Minute).Unix()) + 0.5
		return p.Sign(c)
	}})
	c := newClient(t, p)
	if _, err := startLogin(t, p, c, nil).exchange(t, c); err != nil {
		t.Fatal(err)
	}
}
