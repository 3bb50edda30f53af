package config

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	keyOnce sync.Once
	keyPEM  string
)

// testKeyPEM makes one RSA-2048 key per test binary: key generation is slow.
func testKeyPEM(t *testing.T) string {
	t.Helper()
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		der, _ := x509.MarshalPKCS8PrivateKey(k)
		keyPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	})
	return keyPEM
}

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestDefaultsRunTheMock(t *testing.T) {
	cfg, err := Load(env(nil))
	if err != nil {
		t.Fatalf("empty environment: want no error, got %v", err)
	}
	if !cfg.MockMode {
		t.Error("no credentials: want mock mode")
	}
	if cfg.SGIDHostname != "http://localhost:8080/mock-sgid" {
		t.Errorf("mock hostname: want http://localhost:8080/mock-sgid, got %q", cfg.SGIDHostname)
	}
	if cfg.RedirectURI != "http://localhost:8080/auth/callback" {
		t.Errorf("redirect URI: got %q", cfg.RedirectURI)
	}
	if strings.Join(cfg.Scopes, " ") != "openid myinfo.name" || cfg.Addr != "localhost:8080" || cfg.SessionStore != "sqlite:data/sessions.db" {
		t.Errorf("defaults differ from the contract: %+v", cfg)
	}
	if cfg.Secure() {
		t.Error("http PUBLIC_URL must not be Secure")
	}
}

func TestRealCredentials(t *testing.T) {
	cfg, err := Load(env(map[string]string{
		"PUBLIC_URL":         "https://login.example.gov.sg",
		"SGID_CLIENT_ID":     "client",
		"SGID_CLIENT_SECRET": "secret",
		"SGID_PRIVATE_KEY":   strings.ReplaceAll(testKeyPEM(t), "\n", `\n`),
		"SGID_SCOPES":        "openid myinfo.name myinfo.email",
	}))
	if err != nil {
		t.Fatalf("want a valid config, got %v", err)
	}
	if cfg.MockMode || cfg.PrivateKey == nil || cfg.SGIDHostname != DefaultSGIDHostname {
		t.Errorf("want real mode with a parsed key and the default host, got mock=%v key=%v host=%q", cfg.MockMode, cfg.PrivateKey != nil, cfg.SGIDHostname)
	}
	if !cfg.Secure() || cfg.RedirectURI != "https://login.example.gov.sg/auth/callback" {
		t.Errorf("https site: want Secure and the https callback, got %v %q", cfg.Secure(), cfg.RedirectURI)
	}
}

func TestErrorsNameTheVariable(t *testing.T) {
	key := testKeyPEM(t)
	full := map[string]string{
		"PUBLIC_URL":         "https://login.example.gov.sg",
		"SGID_CLIENT_ID":     "client",
		"SGID_CLIENT_SECRET": "secret",
		"SGID_PRIVATE_KEY":   key,
	}
	with := func(changes map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range full {
			m[k] = v
		}
		for k, v := range changes {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name     string
		env      map[string]string
		variable string
		words    string
	}{
		{"client id without a key", map[string]string{"SGID_CLIENT_ID": "client", "SGID_CLIENT_SECRET": "secret"}, "SGID_PRIVATE_KEY", "is empty"},
		{"client id alone", map[string]string{"SGID_CLIENT_ID": "client"}, "SGID_CLIENT_SECRET", "is empty"},
		{"key without client id", map[string]string{"SGID_PRIVATE_KEY": key}, "SGID_CLIENT_ID", "is empty"},
		{"scopes without openid", with(map[string]string{"SGID_SCOPES": "myinfo.name"}), "SGID_SCOPES", "does not include openid"},
		{"unparsable key", with(map[string]string{"SGID_PRIVATE_KEY": "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----"}), "SGID_PRIVATE_KEY", "not a usable RSA private key"},
		{"missing key file", with(map[string]string{"SGID_PRIVATE_KEY": "", "SGID_PRIVATE_KEY_FILE": "/nonexistent/key.pem"}), "SGID_PRIVATE_KEY_FILE", "cannot be read"},
		{"http site with real sgID", with(map[string]string{"PUBLIC_URL": "http://login.example.gov.sg"}), "PUBLIC_URL", "only redirects to https"},
		{"PUBLIC_URL with a path", with(map[string]string{"PUBLIC_URL": "https://example.gov.sg/app"}), "PUBLIC_URL", "only the origin"},
		{"bad timeout", with(map[string]string{"SGID_TIMEOUT": "soon"}), "SGID_TIMEOUT", "not a positive duration"},
		{"unknown store", with(map[string]string{"SESSION_STORE": "mongodb://x"}), "SESSION_STORE", "not a known session store"},
		{"hostname without credentials", map[string]string{"SGID_HOSTNAME": "https://api-stg.id.gov.sg"}, "SGID_HOSTNAME", "no sgID credentials"},
		{"dev not a switch", map[string]string{"SGIDWEB_DEV": "maybe"}, "SGIDWEB_DEV", "not on or off"},
		{"masthead not a switch", map[string]string{"MASTHEAD": "gov"}, "MASTHEAD", "not on or off"},
		{"assets dir without dev", map[string]string{"ASSETS_DIR": "assets"}, "ASSETS_DIR", "SGIDWEB_DEV is off"},
		{"assets dir without the CSS", map[string]string{"SGIDWEB_DEV": "1", "ASSETS_DIR": t.TempDir()}, "ASSETS_DIR", "holds no css/app.css"},
		{"dev run away from the module root", map[string]string{"SGIDWEB_DEV": "1"}, "ASSETS_DIR", "holds no css/app.css"},
		{"redirect elsewhere", with(map[string]string{"SGID_REDIRECT_URI": "https://evil.example/auth/callback"}), "SGID_REDIRECT_URI", "does not point at this server"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(env(tc.env))
			if err == nil {
				t.Fatalf("want an error naming %s, got none", tc.variable)
			}
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

func TestLoopbackHTTPAllowedWithRealSGID(t *testing.T) {
	_, err := Load(env(map[string]string{
		"SGID_CLIENT_ID": "c", "SGID_CLIENT_SECRET": "s", "SGID_PRIVATE_KEY": testKeyPEM(t),
		"SGID_HOSTNAME": "https://api-stg.id.gov.sg",
	}))
	if err != nil {
		t.Fatalf("http://localhost against staging is a normal dev setup; got %v", err)
	}
}

func unwrapAll(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func TestDevServesAssetsFromDisk(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "css"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "css", "app.css"), []byte("body{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(env(map[string]string{"SGIDWEB_DEV": "1", "ASSETS_DIR": dir}))
	if err != nil {
		t.Fatalf("expected a dev configuration to load, got %v", err)
	}
	if !cfg.Dev || cfg.AssetsDir != dir {
		t.Errorf("expected Dev on with AssetsDir %q, got Dev=%v AssetsDir=%q", dir, cfg.Dev, cfg.AssetsDir)
	}
	cfg, err = Load(env(nil))
	if err != nil || cfg.Dev {
		t.Errorf("expected Dev off by default, got Dev=%v, err=%v", cfg.Dev, err)
	}
}

func TestMastheadIsOffUnlessTurnedOn(t *testing.T) {
	if cfg, err := Load(env(nil)); err != nil || cfg.Masthead {
		t.Errorf("expected the masthead off by default, got Masthead=%v, err=%v", cfg.Masthead, err)
	}
	if cfg, err := Load(env(map[string]string{"MASTHEAD": "1"})); err != nil || !cfg.Masthead {
		t.Errorf("MASTHEAD=1: expected the masthead on, got Masthead=%v, err=%v", cfg.Masthead, err)
	}
}

func TestDebugAddrMustBeLoopback(t *testing.T) {
	if _, err := Load(env(map[string]string{"DEBUG_ADDR": "0.0.0.0:6060"})); err == nil || !strings.Contains(err.Error(), "DEBUG_ADDR") {
		t.Fatalf("pprof on every interface: want an error naming DEBUG_ADDR, got %v", err)
	}
	if _, err := Load(env(map[string]string{"DEBUG_ADDR": "127.0.0.1:6060"})); err != nil {
		t.Fatalf("pprof on loopback: want no error, got %v", err)
	}
}

func TestTrustedProxies(t *testing.T) {
	cfg, err := Load(func(k string) string {
		return map[string]string{"TRUSTED_PROXIES": "10.0.0.0/24, 192.0.2.7,2001:db8::/32"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range cfg.TrustedProxies {
		got = append(got, n.String())
	}
	if want := "10.0.0.0/24 192.0.2.7/32 2001:db8::/32"; strings.Join(got, " ") != want {
		t.Fatalf("TRUSTED_PROXIES: want %s, got %v", want, got)
	}
	_, err = Load(func(k string) string { return map[string]string{"TRUSTED_PROXIES": "10.0.0.0/24,lb.internal"}[k] })
	if err == nil || !strings.Contains(err.Error(), "TRUSTED_PROXIES") {
		t.Fatalf("a host name is not an address: want an error naming TRUSTED_PROXIES, got %v", err)
	}
}

func TestCheckRedirectURI(t *testing.T) {
	public, _ := url.Parse("https://example.org")
	if err := CheckRedirectURI("https://example.org/auth/callback", public, "/"); err != nil {
		t.Errorf("the callback under PUBLIC_URL: %v", err)
	}
	for _, bad := range []string{"/auth/callback", "https://example.org/auth/callback#x", "https://other.example/auth/callback", "https://example.org/elsewhere", "http://example.org/auth/callback"} {
		if CheckRedirectURI(bad, public, "/") == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if !errors.Is(CheckRedirectURI("/auth/callback", public, "/"), ErrRedirectNotAbsolute) {
		t.Error("a relative URI is not reported as not absolute")
	}
	for host, want := range map[string]bool{"localhost": true, "127.0.0.1": true, "::1": true, "example.org": false, "10.0.0.1": false} {
		if IsLoopback(host) != want {
			t.Errorf("IsLoopback(%q) = %v", host, !want)
		}
	}
}
