package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMockCredentialsAreKeptAcrossRestarts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mock")
	first, err := loadMockCredentials(dir)
	if err != nil {
		t.Fatal(err)
	}
	second, err := loadMockCredentials(dir)
	if err != nil {
		t.Fatal(err)
	}
	if first.clientID != second.clientID || first.secret != second.secret ||
		!first.clientKey.Equal(second.clientKey) || !first.signingKey.Equal(second.signingKey) {
		t.Fatal("a restarted mock must reuse its client id, secret, client key and signing key")
	}
	for _, name := range []string{mockClientIDFile, mockSecretFile, mockClientKeyFile, mockSigningKeyFile} {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("%s: want mode 0600, got %v %v", name, info, err)
		}
	}
}

func TestMockServerNeedsRedirectURIs(t *testing.T) {
	env := map[string]string{}
	_, err := ParseMockServerArgs(nil, func(k string) string { return env[k] }, os.Stderr)
	if err == nil || !strings.Contains(err.Error(), "MOCK_SGID_REDIRECT_URIS") {
		t.Fatalf("want an error naming MOCK_SGID_REDIRECT_URIS, got %v", err)
	}
	env["MOCK_SGID_REDIRECT_URIS"] = "http://127.0.0.1:8080/auth/callback, http://127.0.0.1:8081/auth/callback"
	cfg, err := ParseMockServerArgs([]string{"-addr", "127.0.0.1:6000"}, func(k string) string { return env[k] }, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PublicURL != "http://127.0.0.1:6000" || len(cfg.RedirectURIs) != 2 || cfg.Dir != DefaultMockDir {
		t.Fatalf("unexpected config %+v", cfg)
	}
}
