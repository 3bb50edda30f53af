//go:build unix

package session

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// ownsSQLiteFile says whether this platform gives a server sole use of its
// SQLite file, which is what lets the store answer reads from memory.
const ownsSQLiteFile = true

// lockSQLite takes an exclusive advisory lock on PATH.lock without waiting,
// so that one process owns a SQLite session file: the store's cache is
// right only if nobody else writes the file. flock locks belong to the open
// file, so a second Open in the same process is refused as well. The lock
// file stays after unlock: deleting it could let two processes each lock a
// different file of the same name.
func lockSQLite(path string) (unlock func() error, err error) {
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("session: create %s.lock: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, sqliteInUse(path)
		}
		return nil, fmt.Errorf("session: lock %s.lock: %w", path, err)
	}
	// Closing the file releases the lock.
	return f.Close, nil
}
