// Package urls makes the site's own addresses in templates. sgidweb may serve
// under a base path (BASE_PATH, e.g. "/sgid/") while another app owns the rest
// of the origin, so no template writes "/auth/login" literally: it asks Path,
// and the server puts the base path into the render context once.
package urls

import (
	"context"
	"strings"

	"github.com/a-h/templ"
)

type baseKey struct{}

// WithBase returns ctx carrying the base path the site is served under. base
// must start and end with "/" ("/" or "/sgid/"); anything else is treated as "/".
func WithBase(ctx context.Context, base string) context.Context {
	if !strings.HasPrefix(base, "/") || !strings.HasSuffix(base, "/") {
		base = "/"
	}
	return context.WithValue(ctx, baseKey{}, base)
}

// Base returns the base path in ctx, "/" when none was set.
func Base(ctx context.Context) string {
	if base, ok := ctx.Value(baseKey{}).(string); ok {
		return base
	}
	return "/"
}

// Path returns the address of a site path such as "/auth/login" under the
// base path in ctx: "/auth/login" at "/", "/sgid/auth/login" at "/sgid/".
func Path(ctx context.Context, sitePath string) string {
	base := Base(ctx)
	if base == "/" {
		return sitePath
	}
	return base + strings.TrimPrefix(sitePath, "/")
}

// URL is Path as a templ.SafeURL, for href and action attributes. sitePath is
// always one of the site's own paths, never input.
func URL(ctx context.Context, sitePath string) templ.SafeURL {
	return templ.SafeURL(Path(ctx, sitePath))
}
