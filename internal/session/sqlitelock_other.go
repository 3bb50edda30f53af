//go:build !unix

package session

// ownsSQLiteFile is false where lockSQLite takes no lock (Windows): the
// store then reads every session from the file, as several processes
// sharing it would need.
const ownsSQLiteFile = false

func lockSQLite(string) (unlock func() error, err error) {
	return func() error { return nil }, nil
}
