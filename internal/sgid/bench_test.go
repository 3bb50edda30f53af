package sgid

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/sgidweb/sgidweb/internal/sgidtest"
)

// memoryProvider answers sgID's endpoints with bytes prepared once, so a
// benchmark measures only the client's own work: no network, no signing.
type memoryProvider struct {
	jwks, token, userinfo []byte
}

func (m *memoryProvider) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	var body []byte
	switch {
	case strings.HasSuffix(r.URL.Path, "/jwks.json"):
		body = m.jwks
	case strings.HasSuffix(r.URL.Path, "/oauth/token"):
		body = m.token
	case strings.HasSuffix(r.URL.Path, "/oauth/userinfo"):
		body = m.userinfo
	default:
		return &http.Response{StatusCode: http.StatusNotFound, Body: http.NoBody, Header: http.Header{}, Request: r}, nil
	}
	return &http.Response{
		StatusCode:    http.StatusOK,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       r,
	}, nil
}

// The memory provider checks nothing, so the login's values are fixed.
const (
	benchSub   = "bench-subject"
	benchCode  = "bench-code"
	benchNonce = "bench-nonce"
)

// benchClient returns a client whose provider answers from memory with the
// official SDK's algorithms and a typical set of fields.
func benchClient(b *testing.B) (*Client, Identity) {
	b.Helper()
	k := sgidtest.TestKeys()
	const host = "https://sgid.bench.example"
	issuer := host + "/v2"
	now := time.Now()
	idToken := sgidtest.SignWith(jose.RS256, k.Sign, map[string]any{"kid": "sig-1"}, map[string]any{
		"iss": issuer, "aud": sgidtest.ClientID, "sub": benchSub,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "nonce": benchNonce,
	})
	tokenBody, _ := json.Marshal(map[string]any{"access_token": "bench-access-token", "token_type": "Bearer", "expires_in": 3600, "id_token": idToken})
	fields := map[string]string{
		"myinfo.name":          "TAN HENG HUAT",
		"myinfo.nric_number":   "S9812381D",
		"myinfo.email":         "tan.heng.huat@example.com",
		"myinfo.mobile_number": "91234567",
	}
	ui, _ := json.Marshal(sgidtest.Seal(sgidtest.SDKAlgs, &k.Client.PublicKey, benchSub, fields))
	mem := &memoryProvider{jwks: jwksBody(b, sgidtest.JWK(k.Sign, "sig-1")), token: tokenBody, userinfo: ui}
	c, err := New(Config{
		Hostname: host, ClientID: sgidtest.ClientID, ClientSecret: sgidtest.ClientSecret, PrivateKey: k.Client,
		RedirectURL: testRedirect, Scopes: []string{"openid", "myinfo.name", "myinfo.nric_number", "myinfo.email", "myinfo.mobile_number"},
		HTTPClient: &http.Client{Transport: mem},
	})
	if err != nil {
		b.Fatal(err)
	}
	id, err := c.Exchange(context.Background(), benchCode, testVerifier, benchNonce)
	if err != nil {
		b.Fatalf("warm-up exchange: %v", err)
	}
	return c, id
}

func BenchmarkNewAuthRequest(b *testing.B) {
	c, _ := benchClient(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.NewAuthRequest(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCallbackWork is the client's share of one login: token exchange,
// ID token verification (one RS256 verify) and userinfo decryption (one
// RSA-OAEP decrypt plus one AES-GCM unwrap and decrypt per field).
func BenchmarkCallbackWork(b *testing.B) {
	c, _ := benchClient(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		id, err := c.Exchange(ctx, benchCode, testVerifier, benchNonce)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Userinfo(ctx, id); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUserinfoDecrypt(b *testing.B) {
	c, id := benchClient(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		p, err := c.Userinfo(ctx, id)
		if err != nil {
			b.Fatal(err)
		}
		if len(p.Fields) != 4 {
			b.Fatalf("want 4 fields, got %d", len(p.Fields))
		}
	}
}
