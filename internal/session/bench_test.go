package session

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/sgidweb/sgidweb/internal/session/store"
	"github.com/sgidweb/sgidweb/internal/testenv"
)

// BenchmarkSessionStore measures what one request costs in each store: load
// reads a logged-in person's session, save writes it back after a change.
// Redis and PostgreSQL run only where their servers are installed.
func BenchmarkSessionStore(b *testing.B) {
	stores := []struct {
		name string
		spec func(testing.TB) string
	}{
		{"memory", func(testing.TB) string { return "memory" }},
		{"sqlite", func(t testing.TB) string { return "sqlite:" + filepath.Join(t.TempDir(), "sessions.db") }},
		{"redis", func(t testing.TB) string { return testenv.StartRedis(t).URL }},
		{"postgres", func(t testing.TB) string { return testenv.StartPostgres(t).URL }},
	}
	for _, s := range stores {
		b.Run(s.name, func(b *testing.B) {
			st := openStore(b, s.spec(b))
			m := New(Options{Store: st, IdleTimeout: 30 * time.Minute, Lifetime: 12 * time.Hour})
			token := loggedInSession(b, m)

			b.Run("load", func(b *testing.B) {
				for b.Loop() {
					ctx, err := m.scs.Load(context.Background(), token)
					if err != nil {
						b.Fatal(err)
					}
					if _, ok := m.CurrentUser(ctx); !ok {
						b.Fatal("session lost its user")
					}
				}
			})
			b.Run("save", func(b *testing.B) {
				ctx, err := m.scs.Load(context.Background(), token)
				if err != nil {
					b.Fatal(err)
				}
				for b.Loop() {
					m.touch(ctx)
					if _, _, err := m.scs.Commit(ctx); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// openStore opens a store for the benchmark and closes it at the end.
func openStore(t testing.TB, spec string) store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), spec)
	if err != nil {
		t.Fatalf("open %s: %v", spec, err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// loggedInSession stores a session the size of a real login and returns
// its token.
func loggedInSession(b *testing.B, m *Manager) string {
	b.Helper()
	ctx, err := m.scs.Load(context.Background(), "")
	if err != nil {
		b.Fatal(err)
	}
	user := encodeUser(User{Subject: "u=0f3c2b1a-sub", Scopes: []string{"openid", "myinfo.name", "myinfo.email"},
		Fields: map[string]string{"myinfo.name": "TAN HENG HUAT", "myinfo.email": "heng.huat@example.com"}, LoggedIn: time.Now()})
	m.scs.Put(ctx, keyUser, user)
	m.touch(ctx)
	token, _, err := m.scs.Commit(ctx)
	if err != nil {
		b.Fatal(err)
	}
	return token
}
