package sgid

import (
	"context"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/sgidweb/sgidweb/internal/sgidtest"
)

var sampleFields = map[string]string{
	"myinfo.name":        "TAN HENG HUAT",
	"myinfo.nric_number": "S9812381D",
	"myinfo.address":     "BLK 123\nANG MO KIO AVE 3\n#01-01\nSINGAPORE 560123",
	"myinfo.unicode":     "陈兴发 — naïve ✓",
	"myinfo.empty":       "",
}

// algFamilies are the two providers' choices of userinfo algorithms.
var algFamilies = map[string]sgidtest.Algs{"sdk": sgidtest.SDKAlgs, "mockpass": sgidtest.MockPassAlgs}

// answerUserinfo makes the provider's userinfo endpoint answer 200 with
// body(g) for a valid access token.
func answerUserinfo(p *sgidtest.Provider, body func(g *sgidtest.Grant) any) {
	p.SetFaults(sgidtest.Faults{Userinfo: func(_ *sgidtest.Provider, g *sgidtest.Grant, w http.ResponseWriter, _ *http.Request) {
		sgidtest.WriteJSON(w, http.StatusOK, body(g))
	}})
}

// sealedTo answers with g's fields sealed to the client key with algs.
func sealedTo(algs sgidtest.Algs) func(g *sgidtest.Grant) any {
	return func(g *sgidtest.Grant) any {
		return sgidtest.Seal(algs, &sgidtest.TestKeys().Client.PublicKey, g.Subject, g.Fields)
	}
}

func TestUserinfoFamilies(t *testing.T) {
	for name, algs := range algFamilies {
		t.Run(name, func(t *testing.T) {
			p := newProvider(t)
			answerUserinfo(p, sealedTo(algs))
			c := newClient(t, p)
			g := startLogin(t, p, c, sampleFields).grant
			prof, err := c.Userinfo(context.Background(), identityOf(g))
			if err != nil {
				t.Fatalf("Userinfo: %v", err)
			}
			if prof.Subject != g.Subject {
				t.Errorf("Subject = %q, want %q", prof.Subject, g.Subject)
			}
			if !maps.Equal(prof.Fields, sampleFields) {
				t.Errorf("Fields = %q, want %q", prof.Fields, sampleFields)
			}
			// The provider answers only a Bearer header with the access
			// token, so the answer itself shows the header was right.
			if n := p.UserinfoCall.Load(); n != 1 {
				t.Errorf("userinfo called %d times, want 1", n)
			}
		})
	}
}

func TestUserinfoOpenIDOnly(t *testing.T) {
	tests := []struct {
		name string
		body func(g *sgidtest.Grant) any
	}{
		{"sub only", func(g *sgidtest.Grant) any { return map[string]any{"sub": g.Subject} }},
		{"null key and data", func(g *sgidtest.Grant) any { return map[string]any{"sub": g.Subject, "key": nil, "data": nil} }},
		{"empty data", func(g *sgidtest.Grant) any { return map[string]any{"sub": g.Subject, "data": map[string]string{}} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProvider(t)
			answerUserinfo(p, tt.body)
			c := newClient(t, p, func(cfg *Config) { cfg.PrivateKey = nil; cfg.Scopes = []string{"openid"} })
			g := startLogin(t, p, c, nil).grant
			prof, err := c.Userinfo(context.Background(), identityOf(g))
			if err != nil {
				t.Fatal(err)
			}
			if prof.Fields == nil || len(prof.Fields) != 0 || prof.Subject != g.Subject {
				t.Fatalf("profile = %#v, want subject and an empty non-nil map", prof)
			}
		})
	}
}

func TestUserinfoRefusals(t *testing.T) {
	k := sgidtest.TestKeys()
	clientPub := &k.Client.PublicKey
	sealed := func(mut func(u *sgidtest.Userinfo)) func(g *sgidtest.Grant) any {
		return func(g *sgidtest.Grant) any {
			u := sgidtest.Seal(sgidtest.SDKAlgs, clientPub, g.Subject, map[string]string{"myinfo.name": "TAN HENG HUAT"})
			mut(&u)
			return u
		}
	}
	keyJWE := func(alg jose.KeyAlgorithm, enc jose.ContentEncryption, opts *jose.EncrypterOptions, plain string) func(u *sgidtest.Userinfo) {
		return func(u *sgidtest.Userinfo) { u.Key = sgidtest.Encrypt(enc, alg, clientPub, opts, []byte(plain)) }
	}
	fieldJWE := func(alg jose.KeyAlgorithm, enc jose.ContentEncryption, key []byte, opts *jose.EncrypterOptions, plain string) func(u *sgidtest.Userinfo) {
		return func(u *sgidtest.Userinfo) {
			if key == nil {
				key = u.Sym
			}
			u.Data["myinfo.name"] = sgidtest.Encrypt(enc, alg, key, opts, []byte(plain))
		}
	}
	zip := &jose.EncrypterOptions{Compression: jose.DEFLATE}
	raw := func(body string) func(*sgidtest.Grant) string { return func(*sgidtest.Grant) string { return body } }

	tests := []struct {
		name string
		body func(g *sgidtest.Grant) any
		// status and text replace the JSON answer when status is set.
		status int
		text   func(g *sgidtest.Grant) string
		want   Reason
	}{
		{name: "sub mismatch is checked before decrypting", body: func(*sgidtest.Grant) any {
			return map[string]any{"sub": "someone-else", "key": "garbage", "data": map[string]string{"myinfo.name": "garbage"}}
		}, want: ReasonSubjectMismatch},
		{name: "sub missing", body: func(*sgidtest.Grant) any { return map[string]any{"data": map[string]string{}} }, want: ReasonSubjectMismatch},
		{name: "sub prefix only", body: func(g *sgidtest.Grant) any { return map[string]any{"sub": g.Subject[:5]} }, want: ReasonSubjectMismatch},
		{name: "key missing with data present", body: sealed(func(u *sgidtest.Userinfo) { u.Key = "" }), want: ReasonDecryptFailed},
		{name: "key RSA1_5 refused", body: sealed(keyJWE(jose.RSA1_5, jose.A256GCM, nil, `{"kty":"oct","k":"AAAAAAAAAAAAAAAAAAAAAA"}`)), want: ReasonDecryptFailed},
		{name: "key enc A192GCM refused", body: sealed(keyJWE(jose.RSA_OAEP_256, jose.A192GCM, nil, `{"kty":"oct","k":"AAAAAAAAAAAAAAAAAAAAAA"}`)), want: ReasonDecryptFailed},
		{name: "key with zip refused", body: sealed(func(u *sgidtest.Userinfo) {
			jwk, _ := jose.JSONWebKey{Key: u.Sym}.MarshalJSON()
			u.Key = sgidtest.Encrypt(jose.A256GCM, jose.RSA_OAEP_256, clientPub, zip, jwk)
		}), want: ReasonDecryptFailed},
		{name: "key plaintext not JSON", body: sealed(keyJWE(jose.RSA_OAEP_256, jose.A256GCM, nil, `secret-key-leak`)), want: ReasonDecryptFailed},
		{name: "key plaintext not oct", body: sealed(keyJWE(jose.RSA_OAEP_256, jose.A256GCM, nil, `{"kty":"RSA","n":"AQAB","e":"AQAB"}`)), want: ReasonDecryptFailed},
		{name: "key encrypted to another client", body: sealed(func(u *sgidtest.Userinfo) {
			u.Key = sgidtest.Encrypt(jose.A256GCM, jose.RSA_OAEP_256, &k.Other.PublicKey, nil, []byte(`{"kty":"oct","k":"AAAAAAAAAAAAAAAAAAAAAA"}`))
		}), want: ReasonDecryptFailed},
		{name: "field with zip refused", body: sealed(fieldJWE(jose.A128GCMKW, jose.A128GCM, nil, zip, "TAN HENG HUAT")), want: ReasonDecryptFailed},
		{name: "field alg PBES2 refused", body: sealed(fieldJWE(jose.PBES2_HS256_A128KW, jose.A128GCM, []byte("password-password"), nil, "x")), want: ReasonDecryptFailed},
		{name: "field under another key", body: sealed(fieldJWE(jose.A128GCMKW, jose.A128GCM, []byte("0123456789abcdef"), nil, "x")), want: ReasonDecryptFailed},
		{name: "field invalid UTF-8", body: sealed(fieldJWE(jose.A128GCMKW, jose.A128GCM, nil, nil, "TAN \xff\xfe")), want: ReasonDecryptFailed},
		{name: "field not a JWE", body: sealed(func(u *sgidtest.Userinfo) { u.Data["myinfo.name"] = "TAN HENG HUAT" }), want: ReasonDecryptFailed},
		{name: "field too large", body: sealed(func(u *sgidtest.Userinfo) {
			u.Data["myinfo.name"] = sgidtest.Encrypt(jose.A128GCM, jose.A128GCMKW, u.Sym, nil, []byte(strings.Repeat("a", 200<<10)))
		}), want: ReasonDecryptFailed},
		{name: "too many fields", body: sealed(func(u *sgidtest.Userinfo) {
			for i := range maxFields {
				u.Data["myinfo.f"+string(rune('A'+i%26))+string(rune('a'+i/26))] = u.Data["myinfo.name"]
			}
		}), want: ReasonDecryptFailed},
		{name: "401", status: http.StatusUnauthorized, text: raw(`{"error":"invalid_token"}`), want: ReasonUserinfoRejected},
		{name: "403", status: http.StatusForbidden, text: raw(``), want: ReasonUserinfoRejected},
		{name: "500", status: http.StatusInternalServerError, text: raw(`oops`), want: ReasonUserinfoUpstream},
		{name: "404", status: http.StatusNotFound, text: raw(`{}`), want: ReasonUserinfoUpstream},
		{name: "bad JSON", status: http.StatusOK, text: func(g *sgidtest.Grant) string { return `{"sub": "` + g.Subject + `", "data": ` }, want: ReasonUserinfoUpstream},
		{name: "data value not a string", status: http.StatusOK, text: func(g *sgidtest.Grant) string {
			return `{"sub": "` + g.Subject + `", "key": "k", "data": {"myinfo.name": 5}}`
		}, want: ReasonUserinfoUpstream},
		{name: "oversized", status: http.StatusOK, text: func(g *sgidtest.Grant) string {
			return `{"sub":"` + g.Subject + `","pad":"` + strings.Repeat("a", 1<<20) + `"}`
		}, want: ReasonUserinfoUpstream},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProvider(t)
			if tt.status != 0 {
				p.SetFaults(sgidtest.Faults{Userinfo: func(_ *sgidtest.Provider, g *sgidtest.Grant, w http.ResponseWriter, _ *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(tt.status)
					w.Write([]byte(tt.text(g)))
				}})
			} else {
				answerUserinfo(p, tt.body)
			}
			c := newClient(t, p)
			l := startLogin(t, p, c, nil)
			prof, err := c.Userinfo(context.Background(), identityOf(l.grant))
			if ReasonOf(err) != tt.want {
				t.Fatalf("Userinfo = %+v, %v (reason %q); want reason %q", prof, err, ReasonOf(err), tt.want)
			}
			assertNoSecrets(t, err, append(l.secrets(p), "TAN HENG HUAT", "secret-key-leak")...)
		})
	}
}

func TestUserinfoFieldCapBoundary(t *testing.T) {
	p := newProvider(t)
	answerUserinfo(p, func(g *sgidtest.Grant) any {
		u := sgidtest.Seal(sgidtest.SDKAlgs, &sgidtest.TestKeys().Client.PublicKey, g.Subject, nil)
		u.Data["myinfo.name"] = sgidtest.Encrypt(jose.A128GCM, jose.A128GCMKW, u.Sym, nil, []byte(strings.Repeat("a", 150<<10)))
		return u
	})
	c := newClient(t, p)
	prof, err := c.Userinfo(context.Background(), identityOf(startLogin(t, p, c, nil).grant))
	if err != nil || len(prof.Fields["myinfo.name"]) != 150<<10 {
		t.Fatalf("a 150 KiB field under the 256 KiB cap: %v", err)
	}
}

func TestUserinfoNeedsPrivateKeyForData(t *testing.T) {
	p := newProvider(t)
	answerUserinfo(p, sealedTo(sgidtest.SDKAlgs))
	c := newClient(t, p, func(cfg *Config) { cfg.PrivateKey = nil; cfg.Scopes = []string{"openid"} })
	g := startLogin(t, p, c, map[string]string{"myinfo.name": "X"}).grant
	if _, err := c.Userinfo(context.Background(), identityOf(g)); ReasonOf(err) != ReasonDecryptFailed {
		t.Fatalf("Userinfo with data but no private key = %v, want %q", err, ReasonDecryptFailed)
	}
}

func TestUserinfoTimeout(t *testing.T) {
	p := newProvider(t)
	p.SetFaults(sgidtest.Faults{Userinfo: func(_ *sgidtest.Provider, _ *sgidtest.Grant, _ http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}})
	c := newClient(t, p, func(cfg *Config) { cfg.Timeout = 150 * time.Millisecond })
	l := startLogin(t, p, c, nil)
	start := time.Now()
	_, err := c.Userinfo(context.Background(), identityOf(l.grant))
	if ReasonOf(err) != ReasonTimeout || time.Since(start) > 2*time.Second {
		t.Fatalf("stalled userinfo = %v after %v, want %q within about 150ms", err, time.Since(start), ReasonTimeout)
	}
	assertNoSecrets(t, err, l.secrets(p)...)
}
