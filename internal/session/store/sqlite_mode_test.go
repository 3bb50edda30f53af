//go:build unix

package store

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestSQLiteFilesAreOwnerOnly opens a store in an existing folder under the
// usual umask 022: the database and SQLite's -wal and -shm files (which
// hold the same personal data) must all be 0600, including -wal and -shm
// files an earlier run left with a looser mode.
func TestSQLiteFilesAreOwnerOnly(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	path := filepath.Join(dir, "sessions.db")
	check := func(when string) {
		t.Helper()
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			info, err := os.Stat(p)
			if err != nil {
				t.Fatalf("%s: %v", when, err)
			}
			if info.Mode().Perm() != 0o600 {
				t.Errorf("%s: %s has mode %v, want 0600", when, filepath.Base(p), info.Mode().Perm())
			}
		}
	}
	st, err := Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Commit("tok", []byte("personal data"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	check("new database")
	// Keep copies of -wal and -shm as a run that crashed would leave them
	// (with data: SQLite itself fixes the mode of empty ones only).
	leftovers := map[string][]byte{}
	for _, p := range []string{path + "-wal", path + "-shm"} {
		b, err := os.ReadFile(p)
		if err != nil || len(b) == 0 {
			t.Fatalf("read %s: %d bytes, %v", p, len(b), err)
		}
		leftovers[p] = b
	}
	st.Close()
	for p, b := range leftovers {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	st, err = Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if b, found, err := st.Find("tok"); err != nil || !found || string(b) != "personal data" {
		t.Fatalf("after reopening: want the session kept, got %q %v %v", b, found, err)
	}
	check("reopened database")
}
