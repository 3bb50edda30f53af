package urls

import (
	"context"
	"testing"
)

func TestPath(t *testing.T) {
	cases := []struct {
		base, path, want string
	}{
		{"", "/auth/login", "/auth/login"},
		{"/", "/auth/login", "/auth/login"},
		{"/", "/", "/"},
		{"/sgid/", "/auth/login", "/sgid/auth/login"},
		{"/sgid/", "/", "/sgid/"},
		{"/a/b/", "/assets/css/app.css", "/a/b/assets/css/app.css"},
		{"sgid", "/auth/login", "/auth/login"}, // malformed base: the site root
	}
	for _, c := range cases {
		ctx := context.Background()
		if c.base != "" {
			ctx = WithBase(ctx, c.base)
		}
		if got := Path(ctx, c.path); got != c.want {
			t.Errorf("Path with base %q of %q = %q, want %q", c.base, c.path, got, c.want)
		}
	}
}
