package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// configErrors returns the *Error values in err, keyed by variable.
func configErrors(err error) map[string]*Error {
	out := map[string]*Error{}
	for _, e := range unwrapAll(err) {
		var ce *Error
		if errors.As(e, &ce) {
			out[ce.Variable] = ce
		}
	}
	return out
}

// Without credentials the embedded mock lets anyone log in as anyone, so it
// runs only where nobody else can reach it, or when SGID_MOCK=1 says so.
func TestMockModeOnlyWhereSafe(t *testing.T) {
	safe := map[string]map[string]string{
		"the defaults":                   nil,
		"127.0.0.1 on both":              {"PUBLIC_URL": "http://127.0.0.1:9000", "ADDR": "127.0.0.1:9000"},
		"another loopback address":       {"PUBLIC_URL": "http://127.0.0.2:9000", "ADDR": "127.0.0.2:9000"},
		"IPv6 loopback":                  {"PUBLIC_URL": "http://[::1]:9000", "ADDR": "[::1]:9000"},
		"localhost ADDR alone":           {"ADDR": "localhost:8096"},
		"SGID_MOCK=1 on every interface": {"SGID_MOCK": "1", "PUBLIC_URL": "https://login.example.gov.sg", "ADDR": "0.0.0.0:8080"},
	}
	for name, vars := range safe {
		cfg, err := Load(env(vars))
		if err != nil || !cfg.MockMode {
			t.Errorf("%s: want mock mode, got mock=%v err=%v", name, cfg.MockMode, err)
		}
	}
	unsafe := map[string]map[string]string{
		"the issue's case":             {"PUBLIC_URL": "https://login.example.gov.sg", "ADDR": "0.0.0.0:8080"},
		"every interface, default URL": {"ADDR": ":8080"},
		"0.0.0.0, default URL":         {"ADDR": "0.0.0.0:8080"},
		"public origin, loopback ADDR": {"PUBLIC_URL": "https://login.example.gov.sg"},
		"loopback origin, LAN ADDR":    {"PUBLIC_URL": "http://localhost:8080", "ADDR": "192.168.1.5:8080"},
		"SGID_MOCK=0 changes nothing":  {"SGID_MOCK": "0", "ADDR": ":8080"},
	}
	for name, vars := range unsafe {
		_, err := Load(env(vars))
		ce := configErrors(err)["SGID_CLIENT_ID"]
		if ce == nil {
			t.Errorf("%s: want a start-up error naming SGID_CLIENT_ID, got %v", name, err)
			continue
		}
		if !strings.Contains(ce.Problem+ce.Fix, "SGID_MOCK") {
			t.Errorf("%s: the error does not name SGID_MOCK: %v", name, ce)
		}
	}
}

// SGID_MOCK=1 beside real credentials asks for two things at once; guessing
// either could send real people to a fake provider or the reverse.
func TestSGIDMockWithCredentialsIsAnError(t *testing.T) {
	_, err := Load(env(realEnv(t, map[string]string{"SGID_MOCK": "1"})))
	if ce := configErrors(err)["SGID_MOCK"]; ce == nil || !strings.Contains(ce.Problem, "credentials") {
		t.Fatalf("want an error naming SGID_MOCK and the credentials, got %v", err)
	}
	_, err = Load(env(map[string]string{"SGID_MOCK": "perhaps"}))
	if configErrors(err)["SGID_MOCK"] == nil {
		t.Fatalf("SGID_MOCK=perhaps: want an error naming SGID_MOCK, got %v", err)
	}
}

// ADDR=localhost:8096 alone used to leave PUBLIC_URL on 8080, where nothing
// runs: the login went nowhere.
func TestPublicURLFollowsLoopbackAddr(t *testing.T) {
	cases := []struct {
		vars             map[string]string
		public, redirect string
	}{
		{map[string]string{"ADDR": "localhost:8096"}, "http://localhost:8096", "http://localhost:8096/auth/callback"},
		{map[string]string{"ADDR": "127.0.0.1:8097"}, "http://localhost:8097", "http://localhost:8097/auth/callback"},
		{map[string]string{"ADDR": "[::1]:8098"}, "http://localhost:8098", "http://localhost:8098/auth/callback"},
		// An explicit PUBLIC_URL always wins.
		{map[string]string{"ADDR": "localhost:8096", "PUBLIC_URL": "http://127.0.0.1:8096"}, "http://127.0.0.1:8096", "http://127.0.0.1:8096/auth/callback"},
		// Port 0 (a test asking for any free port) has no port to follow.
		{map[string]string{"ADDR": "127.0.0.1:0"}, DefaultPublicURL, DefaultPublicURL + "/auth/callback"},
	}
	for _, tc := range cases {
		cfg, err := Load(env(tc.vars))
		if err != nil {
			t.Errorf("%v: %v", tc.vars, err)
			continue
		}
		if cfg.PublicURL.String() != tc.public || cfg.RedirectURI != tc.redirect {
			t.Errorf("%v: want PUBLIC_URL %s and redirect %s, got %s and %s", tc.vars, tc.public, tc.redirect, cfg.PublicURL, cfg.RedirectURI)
		}
		if cfg.MockMode && cfg.SGIDHostname != tc.public+MockPath {
			t.Errorf("%v: the mock must live under the followed origin, got %s", tc.vars, cfg.SGIDHostname)
		}
	}
}

func TestShutdownDelay(t *testing.T) {
	cases := []struct {
		name string
		vars map[string]string
		want time.Duration
	}{
		{"default behind a balancer", realEnv(t, nil), DefaultShutdownDelay},
		{"mock mode stops at once", nil, 0},
		{"set", realEnv(t, map[string]string{"SHUTDOWN_DELAY": "20s"}), 20 * time.Second},
		{"zero", realEnv(t, map[string]string{"SHUTDOWN_DELAY": "0"}), 0},
		{"set in mock mode", map[string]string{"SHUTDOWN_DELAY": "2s"}, 2 * time.Second},
	}
	for _, tc := range cases {
		cfg, err := Load(env(tc.vars))
		if err != nil || cfg.ShutdownDelay != tc.want {
			t.Errorf("%s: want %v, got %v (%v)", tc.name, tc.want, cfg.ShutdownDelay, err)
		}
	}
	for _, bad := range []string{"5", "-1s", "soon", "2h"} {
		_, err := Load(env(realEnv(t, map[string]string{"SHUTDOWN_DELAY": bad})))
		if ce := configErrors(err)["SHUTDOWN_DELAY"]; ce == nil || ce.Fix == "" {
			t.Errorf("SHUTDOWN_DELAY=%s: want an error naming SHUTDOWN_DELAY with a fix, got %v", bad, err)
		}
	}
}
