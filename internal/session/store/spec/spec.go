// Package spec reads a SESSION_STORE value without opening anything. It
// lives apart from package store, and imports nothing but the standard
// library, so that internal/config can refuse a typo at start without
// compiling the SQLite, Redis and PostgreSQL drivers that store links in.
package spec

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Check says whether a SESSION_STORE value names a store that store.Open
// knows, without connecting.
func Check(spec string) error {
	switch {
	case spec == "memory":
		return nil
	case strings.HasPrefix(spec, "sqlite:"):
		if strings.TrimPrefix(spec, "sqlite:") == "" {
			return errors.New("sqlite: needs a file path, such as sqlite:data/sessions.db")
		}
		return nil
	case strings.HasPrefix(spec, "redis://"), strings.HasPrefix(spec, "rediss://"),
		strings.HasPrefix(spec, "postgres://"), strings.HasPrefix(spec, "postgresql://"):
		if _, err := url.Parse(spec); err != nil {
			return fmt.Errorf("%s is not a valid URL", Kind(spec))
		}
		return nil
	}
	return fmt.Errorf("%q is not a known session store", Redacted(spec))
}

// Kind is the store's kind (memory, sqlite, redis, postgres...) for logs
// and messages: never a path or a credential.
func Kind(spec string) string {
	if i := strings.Index(spec, ":"); i > 0 {
		return spec[:i]
	}
	return spec
}

// Redacted names a store in messages without its password.
func Redacted(spec string) string {
	u, err := url.Parse(spec)
	if err != nil {
		return Kind(spec) + "://(unparsable URL)"
	}
	return u.Redacted()
}
