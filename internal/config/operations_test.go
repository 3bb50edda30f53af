package config

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func realEnv(t *testing.T, extra map[string]string) map[string]string {
	m := map[string]string{
		"PUBLIC_URL":         "https://login.example.gov.sg",
		"SGID_CLIENT_ID":     "client",
		"SGID_CLIENT_SECRET": "secret",
		"SGID_PRIVATE_KEY":   testKeyPEM(t),
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func otherKeyPEM(t *testing.T) string {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func variableOf(err error) []string {
	var out []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ce *Error
		if errors.As(e, &ce) {
			out = append(out, ce.Variable)
		}
	}
	return out
}

func TestPreviousKeyForRotation(t *testing.T) {
	file := filepath.Join(t.TempDir(), "old.pem")
	if err := os.WriteFile(file, []byte(otherKeyPEM(t)), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(env(realEnv(t, map[string]string{"SGID_PREVIOUS_PRIVATE_KEY_FILE": file})))
	if err != nil {
		t.Fatalf("want the previous key accepted, got %v", err)
	}
	if cfg.PreviousKey == nil || cfg.PreviousKey.Equal(cfg.PrivateKey) {
		t.Fatal("want the previous key loaded apart from the current one")
	}

	for name, extra := range map[string]map[string]string{
		"same as current": {"SGID_PREVIOUS_PRIVATE_KEY": testKeyPEM(t)},
		"not a key":       {"SGID_PREVIOUS_PRIVATE_KEY": "nonsense"},
		"both forms":      {"SGID_PREVIOUS_PRIVATE_KEY": otherKeyPEM(t), "SGID_PREVIOUS_PRIVATE_KEY_FILE": file},
	} {
		_, err := Load(env(realEnv(t, extra)))
		if err == nil || !strings.Contains(strings.Join(variableOf(err), " "), "SGID_PREVIOUS_PRIVATE_KEY") {
			t.Errorf("%s: want an error naming SGID_PREVIOUS_PRIVATE_KEY, got %v", name, err)
		}
	}
}

func TestAuditHashKey(t *testing.T) {
	cfg, err := Load(env(realEnv(t, map[string]string{"AUDIT_HASH_KEY": strings.Repeat("k", MinAuditHashKey)})))
	if err != nil || string(cfg.AuditHashKey) != strings.Repeat("k", MinAuditHashKey) {
		t.Fatalf("want the key kept, got %q, %v", cfg.AuditHashKey, err)
	}
	_, err = Load(env(realEnv(t, map[string]string{"AUDIT_HASH_KEY": "short"})))
	if err == nil || variableOf(err)[0] != "AUDIT_HASH_KEY" {
		t.Fatalf("short key: want an error naming AUDIT_HASH_KEY, got %v", err)
	}
	if strings.Contains(err.Error(), "short") {
		t.Error("the error quotes the secret key")
	}
}

func TestLogFormatIsJSONInProductionAndTextInDevelopment(t *testing.T) {
	dev, err := Load(env(nil))
	if err != nil || dev.LogFormat != "text" {
		t.Errorf("mock mode: want text logs, got %q (%v)", dev.LogFormat, err)
	}
	prod, err := Load(env(realEnv(t, nil)))
	if err != nil || prod.LogFormat != "json" {
		t.Errorf("real credentials: want JSON logs, got %q (%v)", prod.LogFormat, err)
	}
	forced, err := Load(env(realEnv(t, map[string]string{"LOG_FORMAT": "text"})))
	if err != nil || forced.LogFormat != "text" {
		t.Errorf("LOG_FORMAT=text: want text, got %q (%v)", forced.LogFormat, err)
	}
}

func TestCSRFKey(t *testing.T) {
	cfg, err := Load(env(realEnv(t, map[string]string{"CSRF_KEY": strings.Repeat("c", MinCSRFKey)})))
	if err != nil || string(cfg.CSRFKey) != strings.Repeat("c", MinCSRFKey) {
		t.Fatalf("want the key kept, got %q, %v", cfg.CSRFKey, err)
	}
	unset, err := Load(env(realEnv(t, nil)))
	if err != nil || unset.CSRFKey != nil {
		t.Fatalf("unset: want no key (the app derives one), got %q, %v", unset.CSRFKey, err)
	}
	_, err = Load(env(realEnv(t, map[string]string{"CSRF_KEY": "tiny"})))
	if err == nil || variableOf(err)[0] != "CSRF_KEY" {
		t.Fatalf("short key: want an error naming CSRF_KEY, got %v", err)
	}
	if strings.Contains(err.Error(), "tiny") {
		t.Error("the error quotes the secret key")
	}
}

func TestLoginRateLimit(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  int
		bad   bool
	}{
		{"", DefaultLoginRateLimit, false},
		{"30", 30, false},
		{"0", 0, false},
		{"-1", 0, true},
		{"ten", 0, true},
		{"10/m", 0, true},
		{"100001", 0, true},
	} {
		cfg, err := Load(env(map[string]string{"RATE_LIMIT_LOGIN": tc.value}))
		switch {
		case tc.bad && (err == nil || variableOf(err)[0] != "RATE_LIMIT_LOGIN"):
			t.Errorf("RATE_LIMIT_LOGIN=%q: want an error naming it, got %v", tc.value, err)
		case !tc.bad && (err != nil || cfg.LoginRateLimit != tc.want):
			t.Errorf("RATE_LIMIT_LOGIN=%q: want %d, got %d (%v)", tc.value, tc.want, cfg.LoginRateLimit, err)
		}
	}
}
