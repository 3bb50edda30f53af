package session

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/sgidweb/sgidweb/internal/session/store"
	"github.com/sgidweb/sgidweb/internal/testenv"
)

// endingStore ends alice's sessions, as the sessions page's End, End all
// other sessions and sgidweb sessions revoke do, once it is armed and the
// manager next reads or writes a session or its index entry: after any check the manager
// makes before committing, and before the commit itself, the moment
// another instance's revocation can fall into.
type endingStore struct {
	store.Store
	t     *testing.T
	armed bool
	ended int
}

func (s *endingStore) end() {
	if !s.armed {
		return
	}
	s.armed = false
	n, err := s.Store.Revoke(context.Background(), hexHash("alice"), "")
	if err != nil {
		s.t.Errorf("revoke: %v", err)
	}
	s.ended += n
}

func (s *endingStore) Find(token string) ([]byte, bool, error) {
	b, found, err := s.Store.Find(token)
	s.end()
	return b, found, err
}

func (s *endingStore) Index(ctx context.Context, subject string, e store.Entry, until time.Time) error {
	s.end()
	return s.Store.Index(ctx, subject, e, until)
}

func (s *endingStore) Commit(token string, b []byte, expiry time.Time) error {
	s.end()
	return s.Store.Commit(token, b, expiry)
}

func (s *endingStore) CommitExisting(ctx context.Context, token string, b []byte, expiry time.Time) (bool, error) {
	s.end()
	return s.Store.CommitExisting(ctx, token, b, expiry)
}

// A session ended while one of its requests is in flight stays ended: the
// request loaded it and records activity, and its commit must not write
// the session back, on any store.
func TestSessionEndedDuringARequestStaysEnded(t *testing.T) {
	stores := []struct {
		name string
		spec func(t *testing.T) string
	}{
		{"memory", func(*testing.T) string { return "memory" }},
		{"sqlite", func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "sessions.db") }},
		{"redis", func(t *testing.T) string { return testenv.StartRedis(t).URL }},
		{"postgres", func(t *testing.T) string { return testenv.StartPostgres(t).URL }},
	}
	for _, tc := range stores {
		t.Run(tc.name, func(t *testing.T) {
			opened, err := store.Open(context.Background(), tc.spec(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { opened.Close() })
			st := &endingStore{Store: opened, t: t}
			now := time.Now().Truncate(time.Second)
			m := New(Options{Store: st, IdleTimeout: 30 * time.Minute, Lifetime: 12 * time.Hour,
				Now: func() time.Time { return now }, SubjectHash: hexHash})
			phone := loginAs(t, m, phoneUA, "alice")
			// Past the mark at which activity is recorded and the index
			// entry rewritten, so the next request does both: the entry
			// of the ended session must not come back either.
			now = now.Add(indexEvery + time.Minute)

			after := browserRequest(t, m, phoneUA, phone, func(ctx context.Context) {
				if _, ok := m.CurrentUser(ctx); !ok {
					t.Fatal("the session was not logged in when its request began")
				}
				st.armed = true
			})
			if st.ended != 1 {
				t.Fatalf("revoke during the request: want 1 session ended, got %d", st.ended)
			}
			if _, found, err := st.Find(storeKey(phone)); err != nil || found {
				t.Fatalf("the ended session after its request committed: want gone, got found=%v %v", found, err)
			}
			if entries, err := st.Sessions(context.Background(), hexHash("alice")); err != nil || len(entries) != 0 {
				t.Fatalf("the ended session's index entry: want none, got %v %v", entries, err)
			}
			if after != phone {
				t.Errorf("the request's answer: want no session cookie written for an ended session, got one")
			}
			if loggedIn(t, m, phone) {
				t.Fatal("the browser of an ended session is still logged in on its next request")
			}
		})
	}
}
