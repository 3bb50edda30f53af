package store

import (
	"context"
	"slices"
	"time"
)

// Indexer keeps, beside the sessions, an index of the logged-in ones by
// subject: the keyed hash of the person's sgID sub that audit lines carry.
// With it a person sees where they are logged in and ends a session, and an
// operator ends every session of one person, on any instance sharing the
// store.
//
// An entry lives no longer than its session: deleting a session (logout,
// a renewed token, an idle or lifetime end noticed by the manager, a
// revocation) deletes its entry in the same call, and when the store itself
// expires a session, its entry is no longer listed and is deleted by the
// store's sweep, or at the latest at the entry's own end (until). Lists
// show only entries whose session is live, so the session manager writes
// an entry before its session: no logged-in session is ever missing from
// the index, even for a moment.
type Indexer interface {
	// Index records that the session under e.Key belongs to subject, until
	// at the latest (its session ending ends it sooner). Indexing a key
	// again replaces its entry, which is how last seen moves.
	Index(ctx context.Context, subject string, e Entry, until time.Time) error
	// Sessions lists subject's live sessions, earliest login first.
	Sessions(ctx context.Context, subject string) ([]Entry, error)
	// Revoke deletes every live session of subject but the one under keep
	// ("" keeps none) and says how many it deleted.
	Revoke(ctx context.Context, subject, keep string) (int, error)
	// Count counts the live sessions and the logged-in ones among them.
	Count(ctx context.Context) (Counts, error)
	// SharedKey returns the random key called name that the store keeps,
	// making it on first use, so every instance sharing the store (and,
	// for a store that persists, every restart) gets the same one.
	SharedKey(ctx context.Context, name string) ([]byte, error)
}

// Entry is one logged-in session as its owner's list shows it.
type Entry struct {
	// Key is the session's key in the store, the hash of its cookie token
	// scs stores it under. It never leaves the server.
	Key      string
	Started  time.Time // when the person logged in
	LastSeen time.Time // the last activity recorded (the manager moves it every few minutes)
	Browser  string    // coarse: "Chrome on Windows"
}

// Counts is what `sgidweb sessions count` prints.
type Counts struct {
	Sessions int // live sessions, logged in or not (a login in progress, a goodbye message)
	LoggedIn int // live sessions of someone logged in
}

// sharedKeyBytes is the size of the keys SharedKey makes.
const sharedKeyBytes = 32

// sortEntries puts the earliest login first, so a list does not reorder
// itself as sessions are used.
func sortEntries(entries []Entry) {
	slices.SortStableFunc(entries, func(a, b Entry) int {
		if c := a.Started.Compare(b.Started); c != 0 {
			return c
		}
		if a.Key < b.Key {
			return -1
		}
		if a.Key > b.Key {
			return 1
		}
		return 0
	})
}
