package gateway

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

func pemOf(t *testing.T, typ string, der []byte) string {
	t.Helper()
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

func TestParseKeyAcceptsP256InBothPEMForms(t *testing.T) {
	private, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(private)
	sec1, _ := x509.MarshalECPrivateKey(private)
	forms := map[string]string{
		"PKCS#8":            pemOf(t, "PRIVATE KEY", pkcs8),
		"SEC 1":             pemOf(t, "EC PRIVATE KEY", sec1),
		"one line with \\n": strings.ReplaceAll(pemOf(t, "PRIVATE KEY", pkcs8), "\n", `\n`),
	}
	var kids []string
	for name, text := range forms {
		key, err := ParseKey(text)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		kids = append(kids, key.KeyID())
	}
	public := jose.JSONWebKey{Key: &private.PublicKey}
	thumb, _ := public.Thumbprint(crypto.SHA256)
	want := base64.RawURLEncoding.EncodeToString(thumb)
	for _, kid := range kids {
		if kid != want {
			t.Errorf("kid: want the RFC 7638 thumbprint %s, got %s", want, kid)
		}
	}
}

func TestParseKeyRefusesWhatES256CannotUse(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	rsaDER, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p384DER, _ := x509.MarshalPKCS8PrivateKey(p384)
	public, _ := x509.MarshalPKIXPublicKey(&p384.PublicKey)
	cases := map[string]struct{ text, says string }{
		"RSA key":    {pemOf(t, "PRIVATE KEY", rsaDER), "not an EC key"},
		"P-384 key":  {pemOf(t, "PRIVATE KEY", p384DER), "not P-256"},
		"public key": {pemOf(t, "PUBLIC KEY", public), "not a private key"},
		"not PEM":    {"hello", "no PEM block"},
	}
	for name, c := range cases {
		if _, err := ParseKey(c.text); err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: want an error saying %q, got %v", name, c.says, err)
		}
	}
}

func TestJWKSPublishesOnlyThePublicKey(t *testing.T) {
	key, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(key.JWKS(), &raw); err != nil {
		t.Fatal(err)
	}
	if len(raw.Keys) != 1 {
		t.Fatalf("want one key, got %d", len(raw.Keys))
	}
	k := raw.Keys[0]
	if _, private := k["d"]; private {
		t.Fatal("the key set carries the private key (d)")
	}
	for name, want := range map[string]string{"kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": key.KeyID()} {
		if k[name] != want {
			t.Errorf("%s: want %q, got %v", name, want, k[name])
		}
	}
}
