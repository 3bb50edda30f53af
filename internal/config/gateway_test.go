package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBasePathPutsOurRoutesUnderIt(t *testing.T) {
	for raw, want := range map[string]string{"": "/", "/": "/", "/sgid/": "/sgid/", "/sgid": "/sgid/", "/a/b-c_d.e~f/": "/a/b-c_d.e~f/"} {
		cfg, err := Load(env(map[string]string{"BASE_PATH": raw}))
		if err != nil {
			t.Fatalf("BASE_PATH=%q: %v", raw, err)
		}
		if cfg.BasePath != want {
			t.Errorf("BASE_PATH=%q: want %q, got %q", raw, want, cfg.BasePath)
		}
	}
	cfg, err := Load(env(map[string]string{"BASE_PATH": "/sgid/"}))
	if err != nil {
		t.Fatal(err)
	}
	for got, want := range map[string]string{
		cfg.RedirectURI:  "http://localhost:8080/sgid/auth/callback",
		cfg.SGIDHostname: "http://localhost:8080/sgid/mock-sgid",
		cfg.Issuer():     "http://localhost:8080/sgid/",
		cfg.Path("/"):    "/sgid/",
		cfg.Path("/a/b"): "/sgid/a/b",
	} {
		if got != want {
			t.Errorf("want %q, got %q", want, got)
		}
	}
	if err := CheckRedirectURI("http://localhost:8080/auth/callback", cfg.PublicURL, cfg.BasePath); err == nil {
		t.Error("a callback outside BASE_PATH was accepted")
	}
	root, _ := Load(env(nil))
	if root.Issuer() != "http://localhost:8080/" || root.Path("/auth/login") != "/auth/login" {
		t.Errorf("at /: issuer %q, login %q", root.Issuer(), root.Path("/auth/login"))
	}
}

func ecKeyPEM(t *testing.T, curve elliptic.Curve) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func TestGatewaySettings(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "gateway.pem")
	if err := os.WriteFile(keyFile, []byte(ecKeyPEM(t, elliptic.P256())), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(env(map[string]string{"BASE_PATH": "/sgid/", "UPSTREAM_URL": "http://127.0.0.1:3000/app", "GATEWAY_SIGNING_KEY_FILE": keyFile}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.UpstreamURL == nil || cfg.UpstreamURL.String() != "http://127.0.0.1:3000/app" {
		t.Errorf("UPSTREAM_URL: got %v", cfg.UpstreamURL)
	}
	if cfg.GatewayKey == nil {
		t.Error("GATEWAY_SIGNING_KEY_FILE: no key")
	}
	unset, err := Load(env(nil))
	if err != nil || unset.UpstreamURL != nil || unset.GatewayKey != nil {
		t.Errorf("defaults: want no upstream and no key (made at start), got %v, %v, %v", unset.UpstreamURL, unset.GatewayKey, err)
	}
}

func TestGatewaySettingsRefused(t *testing.T) {
	cases := []struct {
		name     string
		env      map[string]string
		variable string
		words    string
	}{
		{"base path without a leading slash", map[string]string{"BASE_PATH": "sgid/"}, "BASE_PATH", "does not start with /"},
		{"base path with ..", map[string]string{"BASE_PATH": "/a/../b/"}, "BASE_PATH", "segment"},
		{"base path with an empty segment", map[string]string{"BASE_PATH": "//sgid/"}, "BASE_PATH", "segment"},
		{"base path that needs escaping", map[string]string{"BASE_PATH": "/s gid/"}, "BASE_PATH", "escaping"},
		{"base path with a query", map[string]string{"BASE_PATH": "/sgid?x/"}, "BASE_PATH", "escaping"},
		{"upstream not absolute", map[string]string{"BASE_PATH": "/sgid/", "UPSTREAM_URL": "127.0.0.1:3000"}, "UPSTREAM_URL", "absolute http(s) URL"},
		{"upstream not http", map[string]string{"BASE_PATH": "/sgid/", "UPSTREAM_URL": "ftp://127.0.0.1/"}, "UPSTREAM_URL", "absolute http(s) URL"},
		{"upstream with a query", map[string]string{"BASE_PATH": "/sgid/", "UPSTREAM_URL": "http://127.0.0.1:3000/?a=b"}, "UPSTREAM_URL", "query"},
		{"upstream is ourselves", map[string]string{"BASE_PATH": "/sgid/", "UPSTREAM_URL": "http://localhost:8080/"}, "UPSTREAM_URL", "own PUBLIC_URL"},
		{"upstream at base path /", map[string]string{"UPSTREAM_URL": "http://127.0.0.1:3000"}, "UPSTREAM_URL", "BASE_PATH is /"},
		{"signing key not PEM", map[string]string{"GATEWAY_SIGNING_KEY": "secret"}, "GATEWAY_SIGNING_KEY", "not a usable signing key"},
		{"signing key on another curve", map[string]string{"GATEWAY_SIGNING_KEY": ecKeyPEM(t, elliptic.P384())}, "GATEWAY_SIGNING_KEY", "P-256"},
		{"signing key an RSA key", map[string]string{"GATEWAY_SIGNING_KEY": testKeyPEM(t)}, "GATEWAY_SIGNING_KEY", "not an EC key"},
		{"signing key file missing", map[string]string{"GATEWAY_SIGNING_KEY_FILE": "/nonexistent/key.pem"}, "GATEWAY_SIGNING_KEY_FILE", "cannot be read"},
		{"signing key twice", map[string]string{"GATEWAY_SIGNING_KEY": ecKeyPEM(t, elliptic.P256()), "GATEWAY_SIGNING_KEY_FILE": "/nonexistent/key.pem"}, "GATEWAY_SIGNING_KEY_FILE", "set together"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(env(tc.env))
			var found bool
			for _, e := range unwrapAll(err) {
				var ce *Error
				if errors.As(e, &ce) && ce.Variable == tc.variable && strings.Contains(ce.Problem, tc.words) && ce.Fix != "" {
					found = true
				}
			}
			if !found {
				t.Errorf("want an error for %s saying %q with a fix, got:\n%v", tc.variable, tc.words, err)
			}
		})
	}
}
