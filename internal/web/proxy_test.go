package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// forwarded are the headers a hostile client (or a proxy) may send.
var forwarded = map[string]string{
	"X-Forwarded-Proto": "https",
	"X-Forwarded-Host":  "evil.example",
	"X-Forwarded-For":   "203.0.113.9",
	"X-Real-Ip":         "198.51.100.7",
	"Forwarded":         "for=203.0.113.9;proto=https;host=evil.example",
}

func TestForwardedHeadersChangeOnlyTheLoggedClientIPAndOnlyFromTrustedProxies(t *testing.T) {
	cases := []struct {
		name    string
		proxies string
		wantIP  string
	}{
		{"no proxies configured", "", "127.0.0.1"},
		// Loopback is not trusted by default: only the configured range is.
		{"peer is not a configured proxy", "10.0.0.0/8", "127.0.0.1"},
		{"peer is a configured proxy", "10.0.0.0/8, 127.0.0.1", "203.0.113.9"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := startSite(t, map[string]string{"TRUSTED_PROXIES": tc.proxies})
			b := s.newBrowser()
			token := b.csrf("/auth/login")
			p := b.post("/auth/login", url.Values{"csrf_token": {token}}, forwarded)
			if p.Status != http.StatusSeeOther {
				t.Fatalf("POST /auth/login: want 303, got %d", p.Status)
			}
			loc, err := url.Parse(p.Header.Get("Location"))
			if err != nil {
				t.Fatal(err)
			}
			if got := loc.Scheme + "://" + loc.Host; got != s.url {
				t.Errorf("authorize URL: want it on %s (PUBLIC_URL), got %s", s.url, got)
			}
			if got := loc.Query().Get("redirect_uri"); got != s.url+"/auth/callback" {
				t.Errorf("redirect_uri: want %s/auth/callback from PUBLIC_URL, got %s", s.url, got)
			}
			for _, c := range p.Header.Values("Set-Cookie") {
				if strings.Contains(c, "__Host-") || strings.Contains(strings.ToLower(c), "secure") {
					t.Errorf("cookie flags must follow PUBLIC_URL (http), not X-Forwarded-Proto: %s", c)
				}
			}
			if got := loggedClientIP(t, s, "/auth/login"); got != tc.wantIP {
				t.Errorf("logged client_ip: want %s, got %s", tc.wantIP, got)
			}
		})
	}
}

// loggedClientIP finds the access log line of the route and returns its
// client address.
func loggedClientIP(t *testing.T, s *site, route string) string {
	t.Helper()
	for _, line := range strings.Split(s.logs.String(), "\n") {
		var rec struct {
			Msg      string `json:"msg"`
			Route    string `json:"route"`
			ClientIP string `json:"client_ip"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "request" && rec.Route == route {
			return rec.ClientIP
		}
	}
	t.Fatalf("no access log line for %s in:\n%s", route, s.logs.String())
	return ""
}
