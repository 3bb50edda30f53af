package sgid

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/sgidweb/sgidweb/internal/sgidtest"
)

func TestPKCEVector(t *testing.T) {
	const want = "zaqUHoBV3rnhBF2g0Gkz1qkpEZXHqi2OrPK1DqRi-Lk"
	if got := oauth2.S256ChallengeFromVerifier(testVerifier); got != want {
		t.Fatalf("challenge of the sgID docs' verifier = %q, want %q", got, want)
	}
}

func TestNewAuthRequest(t *testing.T) {
	p := newProvider(t)
	c := newClient(t, p)
	ar, err := c.NewAuthRequest()
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(ar.URL)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := u.Scheme+"://"+u.Host+u.Path, p.Issuer+"/oauth/authorize"; got != want {
		t.Errorf("authorize endpoint = %q, want %q", got, want)
	}
	q := u.Query()
	want := map[string]string{
		"response_type":         "code",
		"client_id":             sgidtest.ClientID,
		"redirect_uri":          testRedirect,
		"scope":                 "openid myinfo.name myinfo.nric_number",
		"state":                 ar.State,
		"nonce":                 ar.Nonce,
		"code_challenge":        oauth2.S256ChallengeFromVerifier(ar.Verifier),
		"code_challenge_method": "S256",
	}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("query %s = %q, want %q", k, q.Get(k), v)
		}
	}
	if len(q) != len(want) {
		t.Errorf("query has %d parameters, want %d: %v", len(q), len(want), q)
	}
	if n := len(ar.Verifier); n < 43 || n > 128 {
		t.Errorf("verifier length %d outside 43..128", n)
	}
}

func TestAuthRequestRandomness(t *testing.T) {
	p := newProvider(t)
	c := newClient(t, p)
	seen := map[string]bool{}
	for range 200 {
		ar, err := c.NewAuthRequest()
		if err != nil {
			t.Fatal(err)
		}
		for name, v := range map[string]string{"state": ar.State, "nonce": ar.Nonce, "verifier": ar.Verifier} {
			b, err := base64.RawURLEncoding.DecodeString(v)
			if err != nil {
				t.Fatalf("%s %q is not unpadded base64url: %v", name, v, err)
			}
			if len(b) < 16 {
				t.Fatalf("%s carries %d bits, want at least 128", name, len(b)*8)
			}
			if seen[v] {
				t.Fatalf("%s %q repeated", name, v)
			}
			seen[v] = true
		}
		if ar.State == ar.Nonce {
			t.Fatal("state equals nonce")
		}
	}
}

func TestIssuer(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{in: "https://api.id.gov.sg", want: "https://api.id.gov.sg/v2"},
		{in: "https://api.id.gov.sg/", want: "https://api.id.gov.sg/v2"},
		{in: " https://api-stg.id.gov.sg ", want: "https://api-stg.id.gov.sg/v2"},
		{in: "http://localhost:8080/mock-sgid", want: "http://localhost:8080/mock-sgid/v2"},
		{in: "http://localhost:8080/mock-sgid/", want: "http://localhost:8080/mock-sgid/v2"},
		{in: "", wantErr: true},
		{in: "api.id.gov.sg", wantErr: true},
		{in: "ftp://api.id.gov.sg", wantErr: true},
		{in: "https://", wantErr: true},
		{in: "https://api.id.gov.sg?x=1", wantErr: true},
		{in: "https://api.id.gov.sg/?", wantErr: true},
		{in: "https://api.id.gov.sg#frag", wantErr: true},
		{in: "https://user:pw@api.id.gov.sg", wantErr: true},
		{in: "https://api.id.gov.sg/v2", wantErr: true},
	}
	for _, tt := range tests {
		got, err := Issuer(tt.in)
		if tt.wantErr {
			if err == nil {
				t.Errorf("Issuer(%q) = %q, want an error", tt.in, got)
			} else if !strings.HasPrefix(err.Error(), "sgid: ") {
				t.Errorf("Issuer(%q) error %q lacks the sgid: prefix", tt.in, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Issuer(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestNewValidates(t *testing.T) {
	k := sgidtest.TestKeys()
	valid := func() Config {
		return Config{
			Hostname: "https://api.id.gov.sg", ClientID: "id", ClientSecret: "secret",
			PrivateKey: k.Client, RedirectURL: "https://app.example/cb",
			Scopes: []string{"openid", "myinfo.name"},
		}
	}
	tests := []struct {
		name   string
		mutate func(*Config)
		ok     bool
	}{
		{"valid", func(*Config) {}, true},
		{"openid only needs no key", func(c *Config) { c.PrivateKey = nil; c.Scopes = []string{"openid"} }, true},
		{"data scopes need a key", func(c *Config) { c.PrivateKey = nil }, false},
		{"small key", func(c *Config) { c.PrivateKey = k.Small }, false},
		{"no openid", func(c *Config) { c.Scopes = []string{"myinfo.name"} }, false},
		{"blank scope", func(c *Config) { c.Scopes = []string{"openid", ""} }, false},
		{"scope with space", func(c *Config) { c.Scopes = []string{"openid myinfo.name"} }, false},
		{"no client id", func(c *Config) { c.ClientID = "" }, false},
		{"no secret", func(c *Config) { c.ClientSecret = "" }, false},
		{"relative redirect", func(c *Config) { c.RedirectURL = "/cb" }, false},
		{"bad hostname", func(c *Config) { c.Hostname = "api.id.gov.sg" }, false},
		{"negative timeout", func(c *Config) { c.Timeout = -1 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid()
			tt.mutate(&cfg)
			c, err := New(cfg)
			if tt.ok != (err == nil) {
				t.Fatalf("New error = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && strings.Contains(err.Error(), "secret") && strings.Contains(err.Error(), cfg.ClientSecret) && cfg.ClientSecret != "" {
				t.Errorf("error %q quotes the client secret", err)
			}
			if c != nil && c.IssuerURL() != "https://api.id.gov.sg/v2" {
				t.Errorf("IssuerURL = %q", c.IssuerURL())
			}
		})
	}
}

func TestScopesIsACopy(t *testing.T) {
	p := newProvider(t)
	c := newClient(t, p, func(cfg *Config) { cfg.Scopes = []string{"openid", "myinfo.name", "openid"} })
	s := c.Scopes()
	if strings.Join(s, " ") != "openid myinfo.name" {
		t.Fatalf("Scopes = %v, want duplicates dropped in order", s)
	}
	s[0] = "changed"
	if c.Scopes()[0] != "openid" {
		t.Fatal("Scopes returned the client's own slice")
	}
}

func pemOf(t *testing.T, typ string, der []byte) string {
	t.Helper()
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

func TestParsePrivateKey(t *testing.T) {
	k := sgidtest.TestKeys()
	pkcs8, err := x509.MarshalPKCS8PrivateKey(k.Client)
	if err != nil {
		t.Fatal(err)
	}
	pkcs1 := x509.MarshalPKCS1PrivateKey(k.Client)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ec8, err := x509.MarshalPKCS8PrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	ecSEC1, err := x509.MarshalECPrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	small8, err := x509.MarshalPKCS8PrivateKey(k.Small)
	if err != nil {
		t.Fatal(err)
	}
	p8 := pemOf(t, "PRIVATE KEY", pkcs8)
	oneLine := strings.ReplaceAll(strings.TrimSpace(p8), "\n", `\n`)

	tests := []struct {
		name    string
		in      string
		wantErr string // substring; "" means success
	}{
		{"pkcs8", p8, ""},
		{"pkcs1", pemOf(t, "RSA PRIVATE KEY", pkcs1), ""},
		{"literal newlines", oneLine, ""},
		{"quoted literal newlines", `"` + oneLine + `"`, ""},
		{"single quotes and whitespace", "  '" + p8 + "'\n", ""},
		{"cert before key", pemOf(t, "CERTIFICATE", []byte("not really")) + p8, ""},
		{"empty", "  ", "empty"},
		{"garbage", "hello world", "no PEM"},
		{"garbage in PEM", pemOf(t, "PRIVATE KEY", []byte("garbage")), "PKCS#8"},
		{"ec pkcs8", pemOf(t, "PRIVATE KEY", ec8), "EC key"},
		{"ec sec1", pemOf(t, "EC PRIVATE KEY", ecSEC1), "EC key"},
		{"1024-bit", pemOf(t, "PRIVATE KEY", small8), "1024 bits"},
		{"1024-bit pkcs1", pemOf(t, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k.Small)), "at least 2048"},
		{"encrypted", pemOf(t, "ENCRYPTED PRIVATE KEY", []byte("x")), "password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePrivateKey(tt.in)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ParsePrivateKey: %v", err)
				}
				if !got.Equal(k.Client) {
					t.Fatal("parsed a different key")
				}
				return
			}
			if err == nil {
				t.Fatalf("ParsePrivateKey succeeded, want error containing %q", tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "sgid: ") {
				t.Fatalf("error %q, want the sgid: prefix and %q", err, tt.wantErr)
			}
		})
	}
}

func TestReasonUpstreamAndError(t *testing.T) {
	upstream := map[Reason]bool{
		ReasonTokenRejected: false, ReasonTokenUpstream: true, ReasonIDTokenInvalid: false,
		ReasonNonceMismatch: false, ReasonKeysUnavailable: true, ReasonSigningKeyUnknown: true, ReasonUserinfoUpstream: true,
		ReasonUserinfoRejected: false, ReasonSubjectMismatch: false, ReasonDecryptFailed: false,
		ReasonTimeout: true,
	}
	for r, want := range upstream {
		if r.Upstream() != want {
			t.Errorf("%s.Upstream() = %v, want %v", r, !want, want)
		}
	}
	inner := errors.New("detail")
	err := fmt.Errorf("context: %w", fail(ReasonNonceMismatch, inner))
	if ReasonOf(err) != ReasonNonceMismatch {
		t.Errorf("ReasonOf wrapped = %q", ReasonOf(err))
	}
	if !errors.Is(err, inner) {
		t.Error("Unwrap does not reach the detail")
	}
	if got := fail(ReasonNonceMismatch, inner).Error(); got != "sgid: nonce_mismatch: detail" {
		t.Errorf("Error() = %q", got)
	}
	if ReasonOf(errors.New("plain")) != "" || ReasonOf(nil) != "" {
		t.Error("ReasonOf of a non-*Error is not empty")
	}
}
