//go:build unix

package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A symlink to the database, or to its folder, must meet the same lock:
// otherwise two servers would each cache the one file.
func TestSQLiteLockFollowsSymlinks(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "data")
	if err := os.Mkdir(real, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(real, "sessions.db")
	first, err := Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	fileLink := filepath.Join(dir, "alias.db")
	folderLink := filepath.Join(dir, "folder")
	if err := os.Symlink(path, fileLink); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, folderLink); err != nil {
		t.Fatal(err)
	}
	for _, other := range []string{fileLink, filepath.Join(folderLink, "sessions.db")} {
		second, err := Open(context.Background(), "sqlite:"+other)
		if err == nil {
			second.Close()
			t.Errorf("%s opened the file %s owns", other, path)
		} else if !errors.Is(err, ErrInUse) {
			t.Errorf("%s: want ErrInUse, got %v", other, err)
		}
	}
}

// An owner that lets go within the wait (doctor's brief check, a server
// finishing its exit) does not make the next server fail.
func TestSQLiteLockWaitsForABriefHolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sessions.db")
	first, err := Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	released := make(chan error, 1)
	go func() {
		time.Sleep(50 * time.Millisecond)
		released <- first.Close()
	}()
	second, err := Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatalf("the file was freed within the wait, yet: %v", err)
	}
	second.Close()
	if err := <-released; err != nil {
		t.Fatal(err)
	}
}
