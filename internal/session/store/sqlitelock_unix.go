//go:build unix

package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// ownsSQLiteFile says whether this platform gives a server sole use of its
// SQLite file, which is what lets the store answer reads from memory.
const ownsSQLiteFile = true

// lockWait is how long a server's lockSQLite keeps trying: long enough for a brief
// holder (sgidweb doctor checking the file, a server finishing its exit)
// to let go, short enough that a second server fails promptly.
const lockWait = 3 * time.Second

// lockSQLite takes an exclusive advisory lock on the database's lock file,
// so that one process owns a SQLite session file: the store's cache is
// right only if nobody else serves from the file. flock locks belong to the
// open file, so a second Open in the same process is refused as well. The
// lock file stays after unlock: deleting it could let two processes each
// lock a different file of the same name.
func lockSQLite(path string, wait time.Duration) (unlock func() error, err error) {
	name := lockName(path)
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("session: create %s: %w", name, err)
	}
	for deadline := time.Now().Add(wait); ; {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, sqliteInUse(path)
		}
		return nil, fmt.Errorf("session: lock %s: %w", name, err)
	}
	// Closing the file releases the lock.
	return f.Close, nil
}

// lockName is the lock file for the database at path, named after the
// database's real path, so that a symlink to the file, or to its folder,
// meets the same lock.
func lockName(path string) string {
	if real, err := filepath.EvalSymlinks(path); err == nil {
		return real + ".lock"
	}
	// Not created yet: its folder may still be a symlink.
	if dir, err := filepath.EvalSymlinks(filepath.Dir(path)); err == nil {
		return filepath.Join(dir, filepath.Base(path)) + ".lock"
	}
	return path + ".lock"
}
