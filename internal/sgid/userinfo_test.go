package sgid

import (
	"context"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

var sampleFields = map[string]string{
	"myinfo.name":        "TAN HENG HUAT",
	"myinfo.nric_number": "S9812381D",
	"myinfo.address":     "BLK 123\nANG MO KIO AVE 3\n#01-01\nSINGAPORE 560123",
	"myinfo.unicode":     "陈兴发 — naïve ✓",
	"myinfo.empty":       "",
}

func identity() Identity { return Identity{Subject: testSub, AccessToken: testAccessToken} }

func TestUserinfoFamilies(t *testing.T) {
	for _, fam := range []algFamily{familySDK, familyMockPass} {
		t.Run(fam.name, func(t *testing.T) {
			p := newFakeProvider(t)
			p.set(func(p *fakeProvider) { p.userinfo = seal(t, fam, &testKeys(t).client.PublicKey, testSub, sampleFields) })
			c := p.newClient(t)
			prof, err := c.Userinfo(context.Background(), identity())
			if err != nil {
				t.Fatalf("Userinfo: %v", err)
			}
			if prof.Subject != testSub {
				t.Errorf("Subject = %q", prof.Subject)
			}
			if !maps.Equal(prof.Fields, sampleFields) {
				t.Errorf("Fields = %q, want %q", prof.Fields, sampleFields)
			}
			p.mu.Lock()
			auth := p.uiAuth
			p.mu.Unlock()
			if auth != "Bearer "+testAccessToken {
				t.Errorf("Authorization = %q", auth)
			}
		})
	}
}

func TestUserinfoOpenIDOnly(t *testing.T) {
	tests := []struct {
		name string
		body any
	}{
		{"sub only", map[string]any{"sub": testSub}},
		{"null key and data", map[string]any{"sub": testSub, "key": nil, "data": nil}},
		{"empty data", map[string]any{"sub": testSub, "data": map[string]string{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newFakeProvider(t)
			p.set(func(p *fakeProvider) { p.userinfo = tt.body })
			c := p.newClient(t, func(cfg *Config) { cfg.PrivateKey = nil; cfg.Scopes = []string{"openid"} })
			prof, err := c.Userinfo(context.Background(), identity())
			if err != nil {
				t.Fatal(err)
			}
			if prof.Fields == nil || len(prof.Fields) != 0 || prof.Subject != testSub {
				t.Fatalf("profile = %#v, want subject and an empty non-nil map", prof)
			}
		})
	}
}

func TestUserinfoRefusals(t *testing.T) {
	k := testKeys(t)
	clientPub := &k.client.PublicKey
	sealed := func(mut func(u *sealedUserinfo)) func(t *testing.T) any {
		return func(t *testing.T) any {
			u := seal(t, familySDK, clientPub, testSub, map[string]string{"myinfo.name": "TAN HENG HUAT"})
			mut(&u)
			return u
		}
	}
	keyJWE := func(alg jose.KeyAlgorithm, enc jose.ContentEncryption, opts *jose.EncrypterOptions, plain string) func(u *sealedUserinfo) {
		return func(u *sealedUserinfo) { u.Key = encrypt(t, enc, alg, clientPub, opts, []byte(plain)) }
	}
	fieldJWE := func(alg jose.KeyAlgorithm, enc jose.ContentEncryption, key []byte, opts *jose.EncrypterOptions, plain string) func(u *sealedUserinfo) {
		return func(u *sealedUserinfo) {
			if key == nil {
				key = u.sym
			}
			u.Data["myinfo.name"] = encrypt(t, enc, alg, key, opts, []byte(plain))
		}
	}
	status := func(code int, body string) func(t *testing.T) any {
		return func(*testing.T) any {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(code)
				w.Write([]byte(body))
			})
		}
	}
	zip := &jose.EncrypterOptions{Compression: jose.DEFLATE}

	tests := []struct {
		name string
		body func(t *testing.T) any
		want Reason
	}{
		{"sub mismatch is checked before decrypting", func(*testing.T) any {
			return map[string]any{"sub": "someone-else", "key": "garbage", "data": map[string]string{"myinfo.name": "garbage"}}
		}, ReasonSubjectMismatch},
		{"sub missing", func(*testing.T) any { return map[string]any{"data": map[string]string{}} }, ReasonSubjectMismatch},
		{"sub prefix only", func(*testing.T) any { return map[string]any{"sub": testSub[:5]} }, ReasonSubjectMismatch},
		{"key missing with data present", sealed(func(u *sealedUserinfo) { u.Key = "" }), ReasonDecryptFailed},
		{"key RSA1_5 refused", sealed(keyJWE(jose.RSA1_5, jose.A256GCM, nil, `{"kty":"oct","k":"AAAAAAAAAAAAAAAAAAAAAA"}`)), ReasonDecryptFailed},
		{"key enc A192GCM refused", sealed(keyJWE(jose.RSA_OAEP_256, jose.A192GCM, nil, `{"kty":"oct","k":"AAAAAAAAAAAAAAAAAAAAAA"}`)), ReasonDecryptFailed},
		{"key with zip refused", sealed(func(u *sealedUserinfo) {
			jwk, _ := jose.JSONWebKey{Key: u.sym}.MarshalJSON()
			u.Key = encrypt(t, jose.A256GCM, jose.RSA_OAEP_256, clientPub, zip, jwk)
		}), ReasonDecryptFailed},
		{"key plaintext not JSON", sealed(keyJWE(jose.RSA_OAEP_256, jose.A256GCM, nil, `secret-key-leak`)), ReasonDecryptFailed},
		{"key plaintext not oct", sealed(keyJWE(jose.RSA_OAEP_256, jose.A256GCM, nil, `{"kty":"RSA","n":"AQAB","e":"AQAB"}`)), ReasonDecryptFailed},
		{"key encrypted to another client", sealed(func(u *sealedUserinfo) {
			u.Key = encrypt(t, jose.A256GCM, jose.RSA_OAEP_256, &k.other.PublicKey, nil, []byte(`{"kty":"oct","k":"AAAAAAAAAAAAAAAAAAAAAA"}`))
		}), ReasonDecryptFailed},
		{"field with zip refused", sealed(fieldJWE(jose.A128GCMKW, jose.A128GCM, nil, zip, "TAN HENG HUAT")), ReasonDecryptFailed},
		{"field alg PBES2 refused", sealed(fieldJWE(jose.PBES2_HS256_A128KW, jose.A128GCM, []byte("password-password"), nil, "x")), ReasonDecryptFailed},
		{"field under another key", sealed(fieldJWE(jose.A128GCMKW, jose.A128GCM, []byte("0123456789abcdef"), nil, "x")), ReasonDecryptFailed},
		{"field invalid UTF-8", sealed(fieldJWE(jose.A128GCMKW, jose.A128GCM, nil, nil, "TAN \xff\xfe")), ReasonDecryptFailed},
		{"field not a JWE", sealed(func(u *sealedUserinfo) { u.Data["myinfo.name"] = "TAN HENG HUAT" }), ReasonDecryptFailed},
		{"field too large", sealed(func(u *sealedUserinfo) {
			u.Data["myinfo.name"] = encrypt(t, jose.A128GCM, jose.A128GCMKW, u.sym, nil, []byte(strings.Repeat("a", 200<<10)))
		}), ReasonDecryptFailed},
		{"too many fields", sealed(func(u *sealedUserinfo) {
			for i := range maxFields {
				u.Data["myinfo.f"+string(rune('A'+i%26))+string(rune('a'+i/26))] = u.Data["myinfo.name"]
			}
		}), ReasonDecryptFailed},
		{"401", status(http.StatusUnauthorized, `{"error":"invalid_token"}`), ReasonUserinfoRejected},
		{"403", status(http.StatusForbidden, ``), ReasonUserinfoRejected},
		{"500", status(http.StatusInternalServerError, `oops`), ReasonUserinfoUpstream},
		{"404", status(http.StatusNotFound, `{}`), ReasonUserinfoUpstream},
		{"bad JSON", status(http.StatusOK, `{"sub": "`+testSub+`", "data": `), ReasonUserinfoUpstream},
		{"data value not a string", status(http.StatusOK, `{"sub": "`+testSub+`", "key": "k", "data": {"myinfo.name": 5}}`), ReasonUserinfoUpstream},
		{"oversized", status(http.StatusOK, `{"sub":"`+testSub+`","pad":"`+strings.Repeat("a", 1<<20)+`"}`), ReasonUserinfoUpstream},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newFakeProvider(t)
			body := tt.body(t)
			p.set(func(p *fakeProvider) { p.userinfo = body })
			c := p.newClient(t)
			prof, err := c.Userinfo(context.Background(), identity())
			if ReasonOf(err) != tt.want {
				t.Fatalf("Userinfo = %+v, %v (reason %q); want reason %q", prof, err, ReasonOf(err), tt.want)
			}
			assertNoSecrets(t, err, "TAN HENG HUAT", "secret-key-leak")
		})
	}
}

func TestUserinfoFieldCapBoundary(t *testing.T) {
	p := newFakeProvider(t)
	u := seal(t, familySDK, &testKeys(t).client.PublicKey, testSub, nil)
	u.Data["myinfo.name"] = encrypt(t, jose.A128GCM, jose.A128GCMKW, u.sym, nil, []byte(strings.Repeat("a", 150<<10)))
	p.set(func(p *fakeProvider) { p.userinfo = u })
	prof, err := p.newClient(t).Userinfo(context.Background(), identity())
	if err != nil || len(prof.Fields["myinfo.name"]) != 150<<10 {
		t.Fatalf("a 150 KiB field under the 256 KiB cap: %v", err)
	}
}

func TestUserinfoNeedsPrivateKeyForData(t *testing.T) {
	p := newFakeProvider(t)
	p.set(func(p *fakeProvider) {
		p.userinfo = seal(t, familySDK, &testKeys(t).client.PublicKey, testSub, map[string]string{"myinfo.name": "X"})
	})
	c := p.newClient(t, func(cfg *Config) { cfg.PrivateKey = nil; cfg.Scopes = []string{"openid"} })
	if _, err := c.Userinfo(context.Background(), identity()); ReasonOf(err) != ReasonDecryptFailed {
		t.Fatalf("Userinfo with data but no private key = %v, want %q", err, ReasonDecryptFailed)
	}
}

func TestUserinfoTimeout(t *testing.T) {
	p := newFakeProvider(t)
	p.set(func(p *fakeProvider) {
		p.userinfo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		})
	})
	c := p.newClient(t, func(cfg *Config) { cfg.Timeout = 150 * time.Millisecond })
	start := time.Now()
	_, err := c.Userinfo(context.Background(), identity())
	if ReasonOf(err) != ReasonTimeout || time.Since(start) > 2*time.Second {
		t.Fatalf("stalled userinfo = %v after %v, want %q within about 150ms", err, time.Since(start), ReasonTimeout)
	}
	assertNoSecrets(t, err)
}
