package session

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sgidweb/sgidweb/internal/session/store"
)

func runSessionsCommand(t *testing.T, spec string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := Command(context.Background(), args, func(k string) string {
		if k == "SESSION_STORE" {
			return spec
		}
		return ""
	}, &out, &errOut)
	return out.String() + errOut.String(), err
}

// hexHash stands in for the audit lines' subject hash (64 hex digits).
func hexHash(sub string) string {
	sum := sha256.Sum256([]byte(sub))
	return hex.EncodeToString(sum[:])
}

// serverOnSQLite is a server's session manager over a fresh SQLite file,
// holding the file's lock and caching sessions in memory as a server does,
// with the audit lines' subject hash.
func serverOnSQLite(t *testing.T) (spec string, st store.Store, m *Manager) {
	t.Helper()
	spec = "sqlite:" + filepath.Join(t.TempDir(), "sessions.db")
	st, err := store.Open(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	m = New(Options{Store: st, IdleTimeout: 30 * time.Minute, Lifetime: 12 * time.Hour, SubjectHash: hexHash})
	return spec, st, m
}

// TestRevokeBesideARunningServer runs the command against the SQLite file
// a server (here a manager over the store, holding the file's lock and
// caching sessions in memory) is using: the person's sessions end there
// too, and nobody else's.
func TestRevokeBesideARunningServer(t *testing.T) {
	spec, _, m := serverOnSQLite(t)
	phone, laptop, other := loginAs(t, m, phoneUA, "alice"), loginAs(t, m, laptopUA, "alice"), loginAs(t, m, laptopUA, "bob")
	// Read once more so the server's cache holds each session.
	for _, c := range []string{phone, laptop, other} {
		if !loggedIn(t, m, c) {
			t.Fatal("not logged in after login")
		}
	}

	out, err := runSessionsCommand(t, spec, "count")
	if err != nil || !strings.Contains(out, "3 live sessions in sqlite, 3 of them logged in") {
		t.Fatalf("count: got %q %v", out, err)
	}
	out, err = runSessionsCommand(t, spec, "revoke", "-subject-hash", hexHash("alice"))
	if err != nil || !strings.Contains(out, "ended 2 sessions") || !strings.Contains(out, "running server") {
		t.Fatalf("revoke: want 2 ended beside the running server, got %q %v", out, err)
	}
	// The command waited until the server must have noticed; a few more
	// checks of the server's cache at most.
	for i := 0; loggedIn(t, m, phone) || loggedIn(t, m, laptop); i++ {
		if i == 50 {
			t.Fatal("alice is still logged in on the server after the revocation")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !loggedIn(t, m, other) {
		t.Fatal("revoking alice logged bob out")
	}
	out, err = runSessionsCommand(t, spec, "revoke", "-subject-hash", hexHash("alice"))
	if err != nil || !strings.Contains(out, "nothing ended") {
		t.Fatalf("revoke again: want nothing ended, got %q %v", out, err)
	}
}

func TestSessionsCommandRefusesWhatItCannotDo(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		spec string
		args []string
		want string
	}{
		{"no subcommand", "memory", nil, "count or revoke"},
		{"unknown subcommand", "memory", []string{"purge"}, "count or revoke"},
		{"no hash", "memory", []string{"revoke"}, "-subject-hash must be"},
		{"a sub, not its hash", "memory", []string{"revoke", "-subject-hash", "abc123"}, "-subject-hash must be"},
		{"a missing SQLite file", "sqlite:" + filepath.Join(dir, "none.db"), []string{"count"}, "run the command in the folder the server runs in"},
		// A fresh memory store in the command's process would say "0 live
		// sessions" and "nothing ended" while the server's stay live.
		{"count in a memory store", "memory", []string{"count"}, "inside the server's process"},
		{"revoke in a memory store", "memory", []string{"revoke", "-subject-hash", hexHash("alice")}, "inside the server's process"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runSessionsCommand(t, tc.spec, tc.args...)
			if err == nil || !strings.Contains(err.Error()+out, tc.want) {
				t.Fatalf("want an error saying %q, got %v (%q)", tc.want, err, out)
			}
		})
	}
}

// TestRevokeBesideAServerCatchesASessionWrittenBack: until the server
// notices the deletion, a request of the revoked session in flight may
// pass its "was it ended elsewhere?" check against the server's cache and
// write the session back. The command deletes the same sessions again once
// the server must have noticed.
func TestRevokeBesideAServerCatchesASessionWrittenBack(t *testing.T) {
	spec, st, m := serverOnSQLite(t)
	phone := loginAs(t, m, phoneUA, "alice")
	key := storeKey(phone)
	raw, found, err := st.Find(key)
	if err != nil || !found {
		t.Fatalf("the session's record: %v %v", found, err)
	}

	done := make(chan error, 1)
	go func() {
		_, err := runSessionsCommand(t, spec, "revoke", "-subject-hash", hexHash("alice"))
		done <- err
	}()
	// Wait for the first deletion to reach the file.
	for i := 0; ; i++ {
		if entries, err := st.Sessions(context.Background(), hexHash("alice")); err == nil && len(entries) == 0 {
			break
		}
		if i == 200 {
			t.Fatal("the command never deleted the session")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The request in flight writes it back.
	if err := st.Commit(key, raw, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for i := 0; loggedIn(t, m, phone); i++ {
		if i == 50 {
			t.Fatal("a session written back during the revocation stayed logged in")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestPluralCountsOneAsOne(t *testing.T) {
	for n, want := range map[int]string{0: "0 live sessions", 1: "1 live session", 3: "3 live sessions"} {
		if got := plural(n, "live session"); got != want {
			t.Errorf("plural(%d) = %q, want %q", n, got, want)
		}
	}
}
