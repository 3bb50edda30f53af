package web_test

import (
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/sgidweb/sgidweb/internal/app"
	"github.com/sgidweb/sgidweb/internal/apptest"
	"github.com/sgidweb/sgidweb/internal/sgidtest"
)

// hostileSite is the real server in real mode, pointed at a hostile provider.
type hostileSite struct {
	*site
	p *sgidtest.Provider
}

func startHostileSite(t *testing.T, env map[string]string, opts ...app.Option) *hostileSite {
	t.Helper()
	return startFaultySite(t, sgidtest.Faults{}, env, opts...)
}

// startFaultySite starts the site against a provider that misbehaves from
// the start: the server fetches the JWKS as it starts, so a fault set after
// that would meet keys already cached.
func startFaultySite(t *testing.T, faults sgidtest.Faults, env map[string]string, opts ...app.Option) *hostileSite {
	t.Helper()
	ln := apptest.Listen(t)
	p := sgidtest.New(t, "http://"+ln.Addr().String()+"/auth/callback")
	p.SetFaults(faults)
	vars := map[string]string{
		"SGID_HOSTNAME":      p.URL,
		"SGID_CLIENT_ID":     sgidtest.ClientID,
		"SGID_CLIENT_SECRET": sgidtest.ClientSecret,
		"SGID_PRIVATE_KEY":   sgidtest.ClientKeyPEM(),
		"SGID_SCOPES":        "openid myinfo.name",
		"SGID_TIMEOUT":       "2s",
	}
	for k, v := range env {
		vars[k] = v
	}
	return &hostileSite{site: startSiteOn(t, ln, vars, opts...), p: p}
}

// hostileLogin presses login, consents at the provider with fields (nil:
// the default person) and follows the redirect back to the callback.
func (h *hostileSite) hostileLogin(b *browser, fields map[string]string) page {
	b.t.Helper()
	cb, _, err := h.p.Approve(b.startLogin(), fields)
	if err != nil {
		b.t.Fatalf("provider approve: %v", err)
	}
	return b.get(cb)
}

func loggedIn(b *browser) bool {
	return b.get("/").Doc.Find(`form[action="/auth/logout"]`).Length() != 0
}

// assertRefused checks what every refusal must hold: the status, a clear
// error page, nobody logged in, a live server, the reason in the logs and
// no code, token, secret or personal data in them.
func (h *hostileSite) assertRefused(t *testing.T, b *browser, p page, status int, reason string) {
	t.Helper()
	if p.Status != status {
		t.Errorf("want status %d, got %d: %s", status, p.Status, p.Body)
	}
	if p.Status == http.StatusInternalServerError {
		t.Error("a hostile answer produced a 500")
	}
	if p.Doc.Find(`[data-testid="error-page"]`).Length() != 1 {
		t.Errorf("want the error page, got %q", p.Body)
	}
	if loggedIn(b) {
		t.Error("somebody is logged in after a refused login")
	}
	if hz := b.get("/healthz"); hz.Status != http.StatusOK {
		t.Errorf("/healthz: want 200, got %d", hz.Status)
	}
	if reason != "" && !strings.Contains(h.logs.String(), `"reason":"`+reason+`"`) {
		t.Errorf("the logs do not give the reason %q:\n%s", reason, h.logs.String())
	}
	h.assertCleanLogs(t)
}

func (h *hostileSite) assertCleanLogs(t *testing.T) {
	t.Helper()
	assertCleanLogs(t, h.site, append(h.p.Issued(), sgidtest.ClientSecret, sgidtest.DefaultFields["myinfo.name"])...)
}

// signed returns an IDToken fault that changes valid claims, then signs
// them with the provider's real key.
func signed(change func(c map[string]any)) func(*sgidtest.Provider, map[string]any) string {
	return func(p *sgidtest.Provider, c map[string]any) string {
		change(c)
		return p.Sign(c)
	}
}

func userinfoAnswer(status int, body any) func(*sgidtest.Provider, *sgidtest.Grant, http.ResponseWriter, *http.Request) {
	return func(_ *sgidtest.Provider, _ *sgidtest.Grant, w http.ResponseWriter, _ *http.Request) {
		sgidtest.WriteJSON(w, status, body)
	}
}

// sealedWith answers userinfo with the grant's data sealed by a, then
// changed by change.
func sealedWith(a sgidtest.Algs, change func(u *sgidtest.Userinfo)) func(*sgidtest.Provider, *sgidtest.Grant, http.ResponseWriter, *http.Request) {
	return func(_ *sgidtest.Provider, g *sgidtest.Grant, w http.ResponseWriter, _ *http.Request) {
		u := sgidtest.Seal(a, &sgidtest.TestKeys().Client.PublicKey, g.Subject, g.Fields)
		if change != nil {
			change(&u)
		}
		sgidtest.WriteJSON(w, http.StatusOK, u)
	}
}

func TestHostileProviderIsRefused(t *testing.T) {
	k := sgidtest.TestKeys()
	attacker := newCountingServer(t, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{sgidtest.JWK(k.Other, "attacker")}})
	tokenAnswer := func(status int, contentType, body string) func(*sgidtest.Provider, *sgidtest.Grant, http.ResponseWriter, *http.Request) {
		return func(_ *sgidtest.Provider, _ *sgidtest.Grant, w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", contentType)
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
		}
	}
	tokenJSON := func(drop string) func(*sgidtest.Provider, *sgidtest.Grant, http.ResponseWriter, *http.Request) {
		return func(p *sgidtest.Provider, g *sgidtest.Grant, w http.ResponseWriter, _ *http.Request) {
			body := map[string]any{"access_token": g.AccessToken, "token_type": "Bearer", "id_token": p.Sign(p.Claims(g))}
			delete(body, drop)
			sgidtest.WriteJSON(w, http.StatusOK, body)
		}
	}
	cases := []struct {
		name   string
		faults sgidtest.Faults
		status int
		reason string
	}{
		// ID token. A signature no published key verifies, even after a
		// refetch, is a key sgID has not published (yet): 503, try again.
		{"ID token signed by an unknown key under the known kid", sgidtest.Faults{IDToken: func(_ *sgidtest.Provider, c map[string]any) string {
			return sgidtest.SignWith(jose.RS256, k.Other, map[string]any{"kid": "sig-1"}, c)
		}}, 503, "signing_key_unknown"},
		{"ID token signed by an unknown key under a new kid", sgidtest.Faults{IDToken: func(_ *sgidtest.Provider, c map[string]any) string {
			return sgidtest.SignWith(jose.RS256, k.Other, map[string]any{"kid": "attacker"}, c)
		}}, 503, "signing_key_unknown"},
		{"alg none", sgidtest.Faults{IDToken: func(_ *sgidtest.Provider, c map[string]any) string { return sgidtest.Unsigned("none", c) }}, 400, "id_token_invalid"},
		{"alg None", sgidtest.Faults{IDToken: func(_ *sgidtest.Provider, c map[string]any) string { return sgidtest.Unsigned("None", c) }}, 400, "id_token_invalid"},
		{"alg NONE", sgidtest.Faults{IDToken: func(_ *sgidtest.Provider, c map[string]any) string { return sgidtest.Unsigned("NONE", c) }}, 400, "id_token_invalid"},
		{"alg nOnE", sgidtest.Faults{IDToken: func(_ *sgidtest.Provider, c map[string]any) string { return sgidtest.Unsigned("nOnE", c) }}, 400, "id_token_invalid"},
		{"HS256 signed with the client secret", sgidtest.Faults{IDToken: func(_ *sgidtest.Provider, c map[string]any) string {
			return sgidtest.SignWith(jose.HS256, []byte(sgidtest.ClientSecret), map[string]any{"kid": "sig-1"}, c)
		}}, 400, "id_token_invalid"},
		{"ES256", sgidtest.Faults{IDToken: func(_ *sgidtest.Provider, c map[string]any) string {
			return sgidtest.SignWith(jose.ES256, k.EC, map[string]any{"kid": "sig-1"}, c)
		}}, 400, "id_token_invalid"},
		{"wrong iss", sgidtest.Faults{IDToken: signed(func(c map[string]any) { c["iss"] = "https://evil.example/v2" })}, 400, "id_token_invalid"},
		{"wrong aud", sgidtest.Faults{IDToken: signed(func(c map[string]any) { c["aud"] = "another-client" })}, 400, "id_token_invalid"},
		{"aud array with ours and another and no azp", sgidtest.Faults{IDToken: signed(func(c map[string]any) {
			c["aud"] = []string{sgidtest.ClientID, "another-client"}
		})}, 400, "id_token_invalid"},
		{"missing sub", sgidtest.Faults{IDToken: signed(func(c map[string]any) { delete(c, "sub") })}, 400, "id_token_invalid"},
		{"missing iat", sgidtest.Faults{IDToken: signed(func(c map[string]any) { delete(c, "iat") })}, 400, "id_token_invalid"},
		{"missing exp", sgidtest.Faults{IDToken: signed(func(c map[string]any) { delete(c, "exp") })}, 400, "id_token_invalid"},
		{"expired beyond the leeway", sgidtest.Faults{IDToken: signed(func(c map[string]any) {
			c["iat"] = time.Now().Add(-20 * time.Minute).Unix()
			c["exp"] = time.Now().Add(-2 * time.Minute).Unix()
		})}, 400, "id_token_invalid"},
		{"iat far in the future", sgidtest.Faults{IDToken: signed(func(c map[string]any) {
			c["iat"] = time.Now().Add(time.Hour).Unix()
			c["exp"] = time.Now().Add(2 * time.Hour).Unix()
		})}, 400, "id_token_invalid"},
		{"nonce different", sgidtest.Faults{IDToken: signed(func(c map[string]any) { c["nonce"] = "another-nonce" })}, 400, "nonce_mismatch"},
		{"nonce missing", sgidtest.Faults{IDToken: signed(func(c map[string]any) { delete(c, "nonce") })}, 400, "nonce_mismatch"},
		{"jku header pointing elsewhere", sgidtest.Faults{IDToken: func(_ *sgidtest.Provider, c map[string]any) string {
			return sgidtest.SignWith(jose.RS256, k.Other, map[string]any{"kid": "attacker", "jku": attacker.url}, c)
		}}, 503, "signing_key_unknown"},
		{"x5u header pointing elsewhere", sgidtest.Faults{IDToken: func(_ *sgidtest.Provider, c map[string]any) string {
			return sgidtest.SignWith(jose.RS256, k.Other, map[string]any{"kid": "attacker", "x5u": attacker.url}, c)
		}}, 503, "signing_key_unknown"},
		{"jwk header embedding the forger's key", sgidtest.Faults{IDToken: func(_ *sgidtest.Provider, c map[string]any) string {
			return sgidtest.SignWith(jose.RS256, k.Other, map[string]any{"kid": "attacker", "jwk": sgidtest.JWK(k.Other, "attacker")}, c)
		}}, 503, "signing_key_unknown"},
		{"trailing garbage", sgidtest.Faults{IDToken: func(p *sgidtest.Provider, c map[string]any) string { return p.Sign(c) + "garbage" }}, 400, "id_token_invalid"},
		{"a fourth segment", sgidtest.Faults{IDToken: func(p *sgidtest.Provider, c map[string]any) string { return p.Sign(c) + ".e30" }}, 400, "id_token_invalid"},

		// Keys.
		{"only keys under 2048 bits published", sgidtest.Faults{
			JWKS: func(w http.ResponseWriter, _ *http.Request) {
				sgidtest.WriteJSON(w, 200, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{sgidtest.JWK(k.Small, "small")}})
			},
			IDToken: func(_ *sgidtest.Provider, c map[string]any) string {
				return sgidtest.SignWith(jose.RS256, k.Small, map[string]any{"kid": "small"}, c)
			}}, 503, "keys_unavailable"},
		{"token signed by a published key under 2048 bits", sgidtest.Faults{
			JWKS: func(w http.ResponseWriter, _ *http.Request) {
				sgidtest.WriteJSON(w, 200, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{sgidtest.JWK(k.Sign, "sig-1"), sgidtest.JWK(k.Small, "small")}})
			},
			IDToken: func(_ *sgidtest.Provider, c map[string]any) string {
				return sgidtest.SignWith(jose.RS256, k.Small, map[string]any{"kid": "small"}, c)
			}}, 503, "signing_key_unknown"},

		// Token endpoint.
		{"token endpoint 400 invalid_grant", sgidtest.Faults{Token: tokenAnswer(400, "application/json", `{"error":"invalid_grant"}`)}, 400, "token_rejected"},
		{"token endpoint 500 with a non-JSON body", sgidtest.Faults{Token: tokenAnswer(500, "text/html", "<html>oops</html>")}, 502, "token_upstream"},
		{"token answer without id_token", sgidtest.Faults{Token: tokenJSON("id_token")}, 502, "token_upstream"},
		{"token answer without access_token", sgidtest.Faults{Token: tokenJSON("access_token")}, 502, "token_upstream"},
		{"token answer over the size cap", sgidtest.Faults{Token: tokenAnswer(200, "application/json",
			`{"access_token":"a","token_type":"Bearer","pad":"`+strings.Repeat("x", 2<<20)+`"}`)}, 502, "token_upstream"},

		// Userinfo.
		{"userinfo sub differs from the ID token's", sgidtest.Faults{Userinfo: sealedWith(sgidtest.SDKAlgs, func(u *sgidtest.Userinfo) { u.Sub = "someone-else" })}, 400, "subject_mismatch"},
		{"userinfo key encrypted to another RSA key", sgidtest.Faults{Userinfo: func(_ *sgidtest.Provider, g *sgidtest.Grant, w http.ResponseWriter, _ *http.Request) {
			sgidtest.WriteJSON(w, 200, sgidtest.Seal(sgidtest.SDKAlgs, &k.Other.PublicKey, g.Subject, g.Fields))
		}}, 502, "decrypt_failed"},
		{"userinfo field tampered", sgidtest.Faults{Userinfo: sealedWith(sgidtest.SDKAlgs, func(u *sgidtest.Userinfo) {
			parts := strings.Split(u.Data["myinfo.name"], ".")
			ct, _ := base64.RawURLEncoding.DecodeString(parts[3])
			ct[0] ^= 1
			parts[3] = base64.RawURLEncoding.EncodeToString(ct)
			u.Data["myinfo.name"] = strings.Join(parts, ".")
		})}, 502, "decrypt_failed"},
		{"userinfo key with RSA1_5", sgidtest.Faults{Userinfo: func(_ *sgidtest.Provider, g *sgidtest.Grant, w http.ResponseWriter, _ *http.Request) {
			a := sgidtest.SDKAlgs
			a.KeyAlg = jose.RSA1_5
			sgidtest.WriteJSON(w, 200, sgidtest.Seal(a, &k.Client.PublicKey, g.Subject, g.Fields))
		}}, 502, "decrypt_failed"},
		{"userinfo field with PBES2 and a huge p2c", sgidtest.Faults{Userinfo: sealedWith(sgidtest.SDKAlgs, func(u *sgidtest.Userinfo) {
			u.Data["myinfo.name"] = sgidtest.HandCrafted(map[string]any{"alg": "PBES2-HS512+A256KW", "enc": "A256GCM", "p2c": 2000000000, "p2s": "c2FsdHNhbHRzYWx0c2FsdA"})
		})}, 502, "decrypt_failed"},
		{"userinfo key with PBES2 and a huge p2c", sgidtest.Faults{Userinfo: sealedWith(sgidtest.SDKAlgs, func(u *sgidtest.Userinfo) {
			u.Key = sgidtest.HandCrafted(map[string]any{"alg": "PBES2-HS256+A128KW", "enc": "A128GCM", "p2c": 2000000000, "p2s": "c2FsdHNhbHRzYWx0c2FsdA"})
		})}, 502, "decrypt_failed"},
		{"userinfo fields compressed with zip DEF", sgidtest.Faults{Userinfo: func(_ *sgidtest.Provider, g *sgidtest.Grant, w http.ResponseWriter, _ *http.Request) {
			a := sgidtest.SDKAlgs
			a.Zip = true
			sgidtest.WriteJSON(w, 200, sgidtest.Seal(a, &k.Client.PublicKey, g.Subject, g.Fields))
		}}, 502, "decrypt_failed"},
		{"userinfo key missing while data is present", sgidtest.Faults{Userinfo: sealedWith(sgidtest.SDKAlgs, func(u *sgidtest.Userinfo) { u.Key = "" })}, 502, "decrypt_failed"},
		{"userinfo 401", sgidtest.Faults{Userinfo: userinfoAnswer(401, map[string]string{"error": "invalid_token"})}, 502, "userinfo_rejected"},
		{"userinfo 500", sgidtest.Faults{Userinfo: userinfoAnswer(500, map[string]string{"error": "server_error"})}, 502, "userinfo_upstream"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := startFaultySite(t, tc.faults, nil)
			b := h.newBrowser()
			p := h.hostileLogin(b, nil)
			h.assertRefused(t, b, p, tc.status, tc.reason)
			if tc.reason == "decrypt_failed" || tc.reason == "userinfo_rejected" {
				// Not the person's fault: the page says so, and the log
				// keeps the detail an operator needs to find the cause.
				if !strings.Contains(p.Text("error-page"), "could not read sgID's answer") {
					t.Errorf("the page does not say sgID's answer could not be read: %q", p.Text("error-page"))
				}
				if !strings.Contains(h.logs.String(), `"error":"sgid: `+tc.reason+`: `) {
					t.Errorf("the log line does not carry the error detail:\n%s", h.logs.String())
				}
			}
		})
	}
	if n := attacker.hits(); n != 0 {
		t.Errorf("the server fetched keys from a URL named in a token header %d times", n)
	}
}

// TestHostileProviderControls shows that the fault rows fail for the fault
// alone: the same site logs in with an honest answer and with a token just
// inside the clock leeway.
func TestHostileProviderControls(t *testing.T) {
	for name, f := range map[string]sgidtest.Faults{
		"honest":                {},
		"expired within leeway": {IDToken: signed(func(c map[string]any) { c["exp"] = time.Now().Add(-20 * time.Second).Unix() })},
		"aud array with azp":    {IDToken: signed(func(c map[string]any) { c["aud"] = []string{sgidtest.ClientID, "x"}; c["azp"] = sgidtest.ClientID })},
	} {
		t.Run(name, func(t *testing.T) {
			h := startHostileSite(t, nil)
			h.p.SetFaults(f)
			b := h.newBrowser()
			if p := h.hostileLogin(b, nil); p.Status != http.StatusSeeOther {
				t.Fatalf("want 303, got %d: %s", p.Status, p.Body)
			}
			if !loggedIn(b) {
				t.Fatal("not logged in")
			}
			h.assertCleanLogs(t)
		})
	}
}

// TestKeyRotationRightAfterALogin rotates the provider's key just after a
// login: the unknown kid makes the server fetch the new key at once.
func TestKeyRotationRightAfterALogin(t *testing.T) {
	h := startHostileSite(t, nil)
	if p := h.hostileLogin(h.newBrowser(), nil); p.Status != http.StatusSeeOther {
		t.Fatalf("first login: want 303, got %d", p.Status)
	}
	h.p.Rotate()
	b := h.newBrowser()
	if p := h.hostileLogin(b, nil); p.Status != http.StatusSeeOther || !loggedIn(b) {
		t.Fatalf("login right after key rotation: want 303 and logged in, got %d: %s", p.Status, p.Body)
	}
}

// TestJWKSDownWithKeysCachedKeepsWorking takes the JWKS down after a
// login: logins signed by the cached key go on without it.
func TestJWKSDownWithKeysCachedKeepsWorking(t *testing.T) {
	h := startHostileSite(t, nil)
	if p := h.hostileLogin(h.newBrowser(), nil); p.Status != http.StatusSeeOther {
		t.Fatalf("first login: want 303, got %d", p.Status)
	}
	h.p.SetFaults(sgidtest.Faults{JWKS: func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "down", 503) }})
	b := h.newBrowser()
	if p := h.hostileLogin(b, nil); p.Status != http.StatusSeeOther || !loggedIn(b) {
		t.Fatalf("login with the JWKS down and keys cached: want 303, got %d: %s", p.Status, p.Body)
	}
}

// TestRotationMissAsksToTryAgain: sgID rotates while its JWKS cannot be
// fetched. The login is refused with 503 and "try again", counted under
// its own reason; once the JWKS answers, trying again works.
func TestRotationMissAsksToTryAgain(t *testing.T) {
	h := startHostileSite(t, map[string]string{"METRICS_ADDR": "127.0.0.1:0"})
	if p := h.hostileLogin(h.newBrowser(), nil); p.Status != http.StatusSeeOther {
		t.Fatalf("first login: want 303, got %d", p.Status)
	}
	h.p.SetFaults(sgidtest.Faults{JWKS: func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "down", 503) }})
	h.p.Rotate()
	b := h.newBrowser()
	p := h.hostileLogin(b, nil)
	h.assertRefused(t, b, p, http.StatusServiceUnavailable, "signing_key_unknown")
	if !strings.Contains(p.Text("error-message"), "Please try again") {
		t.Errorf("want a message asking to try again, got %q", p.Text("error-message"))
	}
	if m := h.metrics(t); !strings.Contains(m, `sgidweb_logins_failed_total{reason="signing_key_unknown"} 1`) {
		t.Errorf("metrics do not count the failure under signing_key_unknown:\n%s", m)
	}
	h.p.SetFaults(sgidtest.Faults{})
	if p := h.hostileLogin(b, nil); p.Status != http.StatusSeeOther || !loggedIn(b) {
		t.Fatalf("trying again once the JWKS answers: want 303 and logged in, got %d: %s", p.Status, p.Body)
	}
}

// metrics reads the site's metrics (METRICS_ADDR must be set).
func (h *hostileSite) metrics(t *testing.T) string {
	t.Helper()
	res, err := http.Get("http://" + h.app.MetricsAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return string(body)
}

func TestJWKSDownWithAnEmptyCacheFailsClosed(t *testing.T) {
	h := startFaultySite(t, sgidtest.Faults{JWKS: func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "down", 503) }}, nil)
	b := h.newBrowser()
	p := h.hostileLogin(b, nil)
	h.assertRefused(t, b, p, http.StatusServiceUnavailable, "keys_unavailable")
	if !strings.Contains(p.Text("error-message"), "could not reach sgID") {
		t.Errorf("want a message saying sgID could not be reached, got %q", p.Text("error-message"))
	}
}

// TestTokenStallIsAnsweredWithinTheTimeout holds the token answer back
// longer than SGID_TIMEOUT. The bound asserted is the promise (the
// timeout plus a second), not a speed target.
func TestTokenStallIsAnsweredWithinTheTimeout(t *testing.T) {
	const timeout = 300 * time.Millisecond
	h := startHostileSite(t, map[string]string{"SGID_TIMEOUT": timeout.String()})
	release := make(chan struct{})
	defer close(release)
	h.p.SetFaults(sgidtest.Faults{Token: func(_ *sgidtest.Provider, _ *sgidtest.Grant, w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}})
	b := h.newBrowser()
	cb, _, err := h.p.Approve(b.startLogin(), nil)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	p := b.get(cb)
	elapsed := time.Since(start)
	h.assertRefused(t, b, p, http.StatusGatewayTimeout, "upstream_timeout")
	if elapsed > timeout+time.Second {
		t.Errorf("a stalled token endpoint was answered after %s; promised within %s", elapsed, timeout+time.Second)
	}
}

// countingServer serves a fixed JSON body and counts requests: it stands
// for a forger's key server that must never be asked.
type countingServer struct {
	url string
	mu  sync.Mutex
	n   int
}

func newCountingServer(t *testing.T, body any) *countingServer {
	t.Helper()
	cs := &countingServer{}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		cs.mu.Lock()
		cs.n++
		cs.mu.Unlock()
		sgidtest.WriteJSON(w, 200, body)
	})}
	ln := apptest.Listen(t)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	cs.url = "http://" + ln.Addr().String() + "/jwks.json"
	return cs
}

func (c *countingServer) hits() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// TestHostileValuesRenderEscapedAndBounded logs in a person whose values
// carry markup, quotes, right-to-left overrides and 100 kB: the page shows
// them as text, isolated for direction, and cut to the display bound.
func TestHostileValuesRenderEscapedAndBounded(t *testing.T) {
	markup := `<script>alert("x")</script><img src=x onerror=alert(1)> O'Brien "Q"`
	rtl := "\u202Egnp.exe\u202C محمد"
	long := strings.Repeat("A", 100_000)
	h := startHostileSite(t, map[string]string{"SGID_SCOPES": "openid myinfo.name myinfo.email myinfo.occupation"})
	b := h.newBrowser()
	if p := h.hostileLogin(b, map[string]string{"myinfo.name": markup, "myinfo.email": rtl, "myinfo.occupation": long}); p.Status != http.StatusSeeOther {
		t.Fatalf("login: want 303, got %d: %s", p.Status, p.Body)
	}
	home := b.get("/")
	if home.Doc.Find(`[data-testid="profile-panel"] script, [data-testid="profile-panel"] img`).Length() != 0 || strings.Contains(home.Body, "<script>alert") {
		t.Error("markup from sgID became elements on the page")
	}
	if got := home.Doc.Find(`[data-testid="field-myinfo-name"] dd`).First().Text(); got != markup {
		t.Errorf("name: want the raw text %q, got %q", markup, got)
	}
	email := home.Doc.Find(`[data-testid="field-myinfo-email"] dd`).First()
	if email.Text() != rtl || email.AttrOr("dir", "") != "auto" {
		t.Errorf("right-to-left value: want it whole in a dir=auto element, got %q dir=%q", email.Text(), email.AttrOr("dir", ""))
	}
	occupation := home.Doc.Find(`[data-testid="field-myinfo-occupation"]`)
	if n := len([]rune(occupation.Find("dd").First().Text())); n > 1001 {
		t.Errorf("100 kB value: want it cut to about 1000 characters, got %d", n)
	}
	if occupation.Find(`[data-testid="field-truncated"]`).Length() != 1 {
		t.Error("100 kB value: want a note that it was shortened")
	}
	if len(home.Body) > 50_000 {
		t.Errorf("the page is %d bytes; the 100 kB value was not bounded", len(home.Body))
	}
	assertCleanLogs(t, h.site, append(h.p.Issued(), sgidtest.ClientSecret, long[:100], "محمد", "O'Brien")...)
}

// TestLoggedInNameIsBoundedAndIsolated: the greeting shows the name under
// the same bound as the profile, isolated for direction.
func TestLoggedInNameIsBoundedAndIsolated(t *testing.T) {
	long := "\u202E" + strings.Repeat("B", 100_000)
	h := startHostileSite(t, map[string]string{"SGID_SCOPES": "openid myinfo.name"})
	b := h.newBrowser()
	if p := h.hostileLogin(b, map[string]string{"myinfo.name": long}); p.Status != http.StatusSeeOther {
		t.Fatalf("login: want 303, got %d: %s", p.Status, p.Body)
	}
	home := b.get("/")
	name := home.Doc.Find(`[data-testid="logged-in-as"] strong bdi`)
	if name.Length() != 1 {
		html, _ := home.Doc.Find(`[data-testid="logged-in-as"] strong`).Html()
		t.Fatalf("want the name inside <strong><bdi>, got %d bytes starting %.60q", len(html), html)
	}
	if n := len([]rune(name.Text())); n > 1001 {
		t.Errorf("100 kB name: want it cut to about 1000 characters, got %d", n)
	}
	if len(home.Body) > 50_000 {
		t.Errorf("the page is %d bytes; the name was not bounded", len(home.Body))
	}
}
