package app

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgidweb/sgidweb/internal/config"
	"github.com/sgidweb/sgidweb/internal/session/store"
)

// Without AUDIT_HASH_KEY the audit key is the one the session store keeps,
// so a restart (and every instance sharing the store) names a person by
// the same hash, which the index of logged-in sessions relies on.
func TestAuditKeyComesFromTheStoreWhenNotSet(t *testing.T) {
	ctx := context.Background()
	spec := "sqlite:" + filepath.Join(t.TempDir(), "sessions.db")
	keyOfARun := func(cfg config.Config) []byte {
		t.Helper()
		st, err := store.Open(ctx, spec)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		key, err := resolveAuditKey(ctx, cfg, st, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		return key
	}
	first, second := keyOfARun(config.Config{}), keyOfARun(config.Config{})
	if len(first) < 32 || string(first) != string(second) {
		t.Fatalf("without AUDIT_HASH_KEY: want one key of 32 bytes kept across restarts, got %d bytes, same = %v", len(first), string(first) == string(second))
	}
	set := []byte(strings.Repeat("k", config.MinAuditHashKey))
	if got := keyOfARun(config.Config{AuditHashKey: set}); string(got) != string(set) {
		t.Fatal("AUDIT_HASH_KEY set: want it used")
	}
}
