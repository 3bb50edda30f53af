package store

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/sgidweb/sgidweb/internal/testenv"
)

// everyStore opens each kind of store fresh, for the tests every store
// must pass: memory, SQLite, Redis and PostgreSQL. spec reopens the same
// store (a second instance, or after a restart for SQLite).
var everyStore = []struct {
	name string
	spec func(testing.TB) string
}{
	{"memory", func(testing.TB) string { return "memory" }},
	{"sqlite", func(t testing.TB) string { return "sqlite:" + filepath.Join(t.TempDir(), "sessions.db") }},
	{"redis", func(t testing.TB) string { return testenv.StartRedis(t).URL }},
	{"postgres", func(t testing.TB) string { return testenv.StartPostgres(t).URL }},
}

// login writes a session the way the manager does: the entry first, then
// the session.
func login(t *testing.T, st *guarded, subject, key string, started time.Time, browser string, expiry, until time.Time) {
	t.Helper()
	ctx := context.Background()
	if err := st.Index(ctx, subject, Entry{Key: key, Started: started, LastSeen: started, Browser: browser}, until); err != nil {
		t.Fatalf("index %s: %v", key, err)
	}
	if err := st.CommitCtx(ctx, key, []byte("session of "+key), expiry); err != nil {
		t.Fatalf("commit %s: %v", key, err)
	}
}

func listed(t *testing.T, st Store, subject string) []string {
	t.Helper()
	entries, err := st.Sessions(context.Background(), subject)
	if err != nil {
		t.Fatalf("sessions of %s: %v", subject, err)
	}
	keys := []string{}
	for _, e := range entries {
		keys = append(keys, e.Key)
	}
	return keys
}

func TestEveryStoreIndexesSessionsBySubject(t *testing.T) {
	for _, tc := range everyStore {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t, tc.spec(t))
			ctx := context.Background()
			now := time.Now().Truncate(time.Second)
			hour, day := now.Add(time.Hour), now.Add(24*time.Hour)
			login(t, st, "alice", "a-phone", now.Add(-2*time.Hour), "Safari on iPhone", hour, day)
			login(t, st, "alice", "a-laptop", now.Add(-time.Hour), "Firefox on Windows", hour, day)
			login(t, st, "bob", "b-laptop", now.Add(-3*time.Hour), "Chrome on Mac", hour, day)

			entries, err := st.Sessions(ctx, "alice")
			if err != nil {
				t.Fatal(err)
			}
			want := []Entry{
				{Key: "a-phone", Started: now.Add(-2 * time.Hour), LastSeen: now.Add(-2 * time.Hour), Browser: "Safari on iPhone"},
				{Key: "a-laptop", Started: now.Add(-time.Hour), LastSeen: now.Add(-time.Hour), Browser: "Firefox on Windows"},
			}
			if !sameEntries(entries, want) {
				t.Fatalf("alice's sessions: want %v, got %v", want, entries)
			}
			if got := listed(t, st, "carol"); len(got) != 0 {
				t.Fatalf("a subject without sessions: want none, got %v", got)
			}

			// Indexing again moves last seen.
			if err := st.Index(ctx, "alice", Entry{Key: "a-phone", Started: now.Add(-2 * time.Hour), LastSeen: now, Browser: "Safari on iPhone"}, day); err != nil {
				t.Fatal(err)
			}
			if entries, _ := st.Sessions(ctx, "alice"); len(entries) != 2 || !entries[0].LastSeen.Equal(now) {
				t.Fatalf("after a new last seen: got %v", entries)
			}

			counts, err := st.Count(ctx)
			if err != nil || counts != (Counts{Sessions: 3, LoggedIn: 3}) {
				t.Fatalf("count: want 3 sessions, 3 logged in, got %+v %v", counts, err)
			}
			// A session nobody logged in to counts only as a session.
			if err := st.CommitCtx(ctx, "anonymous", []byte("x"), hour); err != nil {
				t.Fatal(err)
			}
			if counts, _ := st.Count(ctx); counts != (Counts{Sessions: 4, LoggedIn: 3}) {
				t.Fatalf("count with an anonymous session: want 4 and 3, got %+v", counts)
			}

			// Deleting a session deletes its entry: the same key stored
			// again (as an old request might) is not listed.
			if err := st.DeleteCtx(ctx, "a-laptop"); err != nil {
				t.Fatal(err)
			}
			if got := listed(t, st, "alice"); !slices.Equal(got, []string{"a-phone"}) {
				t.Fatalf("after deleting a-laptop: want [a-phone], got %v", got)
			}
			if err := st.CommitCtx(ctx, "a-laptop", []byte("back"), hour); err != nil {
				t.Fatal(err)
			}
			if got := listed(t, st, "alice"); !slices.Equal(got, []string{"a-phone"}) {
				t.Fatalf("a deleted session's entry came back with it: got %v", got)
			}
		})
	}
}

func sameEntries(got, want []Entry) bool {
	return slices.EqualFunc(got, want, func(a, b Entry) bool {
		return a.Key == b.Key && a.Started.Equal(b.Started) && a.LastSeen.Equal(b.LastSeen) && a.Browser == b.Browser
	})
}

func TestEveryStoresIndexEntryEndsWithItsSession(t *testing.T) {
	for _, tc := range everyStore {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t, tc.spec(t))
			now := time.Now()
			hour, day := now.Add(time.Hour), now.Add(24*time.Hour)
			login(t, st, "alice", "live", now, "Edge on Windows", hour, day)
			// The store expired this session (its TTL, an idle end).
			login(t, st, "alice", "expired", now, "Edge on Windows", now.Add(-time.Second), day)
			// The entry's own end passed (the login's lifetime).
			login(t, st, "alice", "past-until", now, "Edge on Windows", hour, now.Add(-time.Second))
			// An entry whose session was never stored (its commit failed).
			if err := st.Index(context.Background(), "alice", Entry{Key: "never", Started: now, LastSeen: now}, day); err != nil {
				t.Fatal(err)
			}
			if got := listed(t, st, "alice"); !slices.Equal(got, []string{"live"}) {
				t.Fatalf("want only the live session listed, got %v", got)
			}
			// Two sessions live (live, past-until); one of them logged in.
			if counts, err := st.Count(context.Background()); err != nil || counts != (Counts{Sessions: 2, LoggedIn: 1}) {
				t.Fatalf("count: want 2 sessions and 1 logged in, got %+v %v", counts, err)
			}
		})
	}
}

func TestEveryStoreRevokesOneSubject(t *testing.T) {
	for _, tc := range everyStore {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t, tc.spec(t))
			ctx := context.Background()
			now := time.Now()
			hour, day := now.Add(time.Hour), now.Add(24*time.Hour)
			for i := range 3 {
				login(t, st, "alice", fmt.Sprintf("alice-%d", i), now.Add(time.Duration(i)*time.Minute), "Chrome on Android", hour, day)
			}
			login(t, st, "bob", "bob-0", now, "Chrome on Android", hour, day)

			n, err := st.Revoke(ctx, "alice", "alice-1")
			if err != nil || n != 2 {
				t.Fatalf("revoke all but alice-1: want 2 ended, got %d %v", n, err)
			}
			for key, want := range map[string]bool{"alice-0": false, "alice-1": true, "alice-2": false, "bob-0": true} {
				if _, found, _ := st.FindCtx(ctx, key); found != want {
					t.Errorf("%s after revoking alice's others: want found = %v", key, want)
				}
			}
			if n, err := st.Revoke(ctx, "alice", ""); err != nil || n != 1 {
				t.Fatalf("revoke all: want 1 ended, got %d %v", n, err)
			}
			if got := listed(t, st, "alice"); len(got) != 0 {
				t.Fatalf("after revoking all: want none listed, got %v", got)
			}
			if got := listed(t, st, "bob"); !slices.Equal(got, []string{"bob-0"}) {
				t.Fatalf("bob's session after revoking alice: got %v", got)
			}
		})
	}
}

func TestEveryStoreKeepsOneSharedKey(t *testing.T) {
	for _, tc := range everyStore {
		t.Run(tc.name, func(t *testing.T) {
			spec := tc.spec(t)
			st := openStore(t, spec)
			ctx := context.Background()
			first, err := st.SharedKey(ctx, "audit")
			if err != nil || len(first) != sharedKeyBytes {
				t.Fatalf("shared key: want %d bytes, got %d %v", sharedKeyBytes, len(first), err)
			}
			again, err := st.SharedKey(ctx, "audit")
			if err != nil || string(again) != string(first) {
				t.Fatalf("asked again: want the same key, got a different one (%v)", err)
			}
			other, _ := st.SharedKey(ctx, "other")
			if string(other) == string(first) {
				t.Fatal("two names gave the same key")
			}
			if tc.name == "memory" {
				return // nothing outlives or shares a memory store
			}
			if tc.name == "sqlite" {
				st.Close() // one process owns the file: the next start
			}
			st2, err := Open(ctx, spec)
			if err != nil {
				t.Fatal(err)
			}
			defer st2.Close()
			if second, err := st2.SharedKey(ctx, "audit"); err != nil || string(second) != string(first) {
				t.Fatalf("another instance (or the next start): want the same key, got a different one (%v)", err)
			}
		})
	}
}
