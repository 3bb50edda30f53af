package web

import "testing"

func TestNormalOrigin(t *testing.T) {
	for _, tc := range []struct {
		raw, want string
		ok        bool
	}{
		{"https://example.org", "https://example.org", true},
		{"HTTPS://Example.ORG", "https://example.org", true},
		{"https://example.org:443", "https://example.org", true},
		{"http://example.org:80", "http://example.org", true},
		{"http://example.org:443", "http://example.org:443", true},
		{"https://example.org:8443", "https://example.org:8443", true},
		{"http://[::1]:8080", "http://[::1]:8080", true},
		{"https://example.org/", "https://example.org", true},
		{"null", "", false},
		{"", "", false},
		{"ftp://example.org", "", false},
		{"https://user@example.org", "", false},
		{"https://example.org/path", "", false},
	} {
		got, ok := normalOrigin(tc.raw)
		if got != tc.want || ok != tc.ok {
			t.Errorf("normalOrigin(%q) = %q, %v; want %q, %v", tc.raw, got, ok, tc.want, tc.ok)
		}
	}
}
