package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestSQLiteStoreCreatesItsFolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nested", "dir", "sessions.db")
	st, err := Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer st.Close()
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("want %s created with mode 0600, got %v %v", path, info, err)
	}
	exp := time.Now().Add(time.Hour)
	if err := st.Commit("tok", []byte("data"), exp); err != nil {
		t.Fatal(err)
	}
	b, found, err := st.Find("tok")
	if err != nil || !found || string(b) != "data" {
		t.Fatalf("find after commit: want data, got %q %v %v", b, found, err)
	}
	if err := st.Ping(context.Background()); err != nil {
		t.Fatalf("ping: %v", err)
	}
}

func TestSQLiteStoreExpiresDeletesAndPersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sessions.db")
	st, err := Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Commit("old", []byte("x"), time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := st.Find("old"); found {
		t.Error("an expired session was found")
	}
	st.Commit("gone", []byte("x"), time.Now().Add(time.Hour))
	if err := st.Delete("gone"); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := st.Find("gone"); found {
		t.Error("a deleted session was found")
	}
	st.Commit("kept", []byte("data"), time.Now().Add(time.Hour))
	st.Close()

	st, err = Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if b, found, err := st.Find("kept"); err != nil || !found || string(b) != "data" {
		t.Fatalf("after reopening: want the session kept, got %q %v %v", b, found, err)
	}
}
