//go:build !unix

package store

import "time"

// ownsSQLiteFile is false where lockSQLite takes no lock (Windows): the
// store then reads every session from the file, as several processes
// sharing it would need.
const ownsSQLiteFile = false

// lockWait is unused where no lock is taken.
const lockWait = 0

func lockSQLite(string, time.Duration) (unlock func() error, err error) {
	return func() error { return nil }, nil
}
