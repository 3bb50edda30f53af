package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// CommitExisting updates a live session and never creates one: a session
// deleted (ended) or expired stays gone, on every store.
func TestCommitExistingNeverBringsASessionBack(t *testing.T) {
	stores := []struct {
		name string
		spec func(t *testing.T) string
	}{
		{"memory", func(*testing.T) string { return "memory" }},
		{"sqlite", func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "sessions.db") }},
	}
	for _, tc := range sharedStores {
		stores = append(stores, struct {
			name string
			spec func(t *testing.T) string
		}{tc.name, func(t *testing.T) string { return tc.start(t).URL }})
	}
	for _, tc := range stores {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t, tc.spec(t))
			ctx := context.Background()
			hour := time.Now().Add(time.Hour)
			want := func(token string, wantFound bool, wantData string) {
				t.Helper()
				b, found, err := st.FindCtx(ctx, token)
				if err != nil || found != wantFound || string(b) != wantData {
					t.Fatalf("find %s: want found=%v %q, got found=%v %q %v", token, wantFound, wantData, found, b, err)
				}
			}

			if found, err := st.CommitExisting(ctx, "never", []byte("data"), hour); err != nil || found {
				t.Fatalf("commit of a session never stored: want not found, got %v %v", found, err)
			}
			want("never", false, "")

			if err := st.CommitCtx(ctx, "live", []byte("v1"), hour); err != nil {
				t.Fatal(err)
			}
			if found, err := st.CommitExisting(ctx, "live", []byte("v2"), hour); err != nil || !found {
				t.Fatalf("commit of a live session: want found, got %v %v", found, err)
			}
			want("live", true, "v2")

			if err := st.DeleteCtx(ctx, "live"); err != nil {
				t.Fatal(err)
			}
			if found, err := st.CommitExisting(ctx, "live", []byte("v3"), hour); err != nil || found {
				t.Fatalf("commit of a deleted session: want not found, got %v %v", found, err)
			}
			want("live", false, "")

			if err := st.CommitCtx(ctx, "old", []byte("v1"), time.Now().Add(-time.Second)); err != nil {
				t.Fatal(err)
			}
			if found, err := st.CommitExisting(ctx, "old", []byte("v2"), hour); err != nil || found {
				t.Fatalf("commit of an expired session: want not found, got %v %v", found, err)
			}
			want("old", false, "")
		})
	}
}
