package store

import (
	"sync"
	"time"
)

// A SQLite store keeps at most sqliteCacheEntries sessions in memory, and
// at most sqliteCacheBytes of them: a logged-in session is about 2.5 KB, so
// the byte bound (about 1,600 logins) usually comes first. It keeps the
// cache's share of the heap small, which the garbage collector's target
// multiplies (GOGC=400). Past either bound, arbitrary entries make room;
// such a session is read from the file again on its next request.
const (
	sqliteCacheEntries = 10_000
	sqliteCacheBytes   = 4 << 20
)

// sessionCache holds the sessions a SQLite store last wrote or read, so
// that a page view reads memory instead of the file. The file stays the
// durable copy: the store writes it first and the cache after.
//
// The slices it holds are never written to, and Find hands them out
// without copying: scs passes them only to codec.Decode, which copies
// everything it keeps.
type sessionCache struct {
	mu       sync.RWMutex
	entries  map[string]memRecord
	limit    int // entries
	maxBytes int // of tokens and data together
	bytes    int
	// writes counts commits and deletes. A session read from the file is
	// cached only if no write happened while it was read, so a slow read
	// cannot bring back a session changed or deleted meanwhile.
	writes uint64
}

func newSessionCache(limit int) *sessionCache {
	return &sessionCache{entries: make(map[string]memRecord), limit: limit, maxBytes: sqliteCacheBytes}
}

// find answers the session if it is cached and not expired at now; an
// expired one counts as missing, as in the file's query.
func (c *sessionCache) find(token string, now time.Time) ([]byte, bool) {
	c.mu.RLock()
	rec, ok := c.entries[token]
	c.mu.RUnlock()
	if !ok || !now.Before(rec.expiry) {
		return nil, false
	}
	return rec.data, true
}

// version is taken before reading the file, for fill.
func (c *sessionCache) version() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.writes
}

// put records what was just written to the file.
func (c *sessionCache) put(token string, data []byte, expiry time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes++
	c.store(token, memRecord{data: data, expiry: expiry})
}

// drop forgets a session that was deleted, or whose write failed and so
// may or may not be in the file.
func (c *sessionCache) drop(token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes++
	c.remove(token)
}

// clear forgets every session, when the file changed behind the store's
// back; a read in flight does not refill it (writes moves on).
func (c *sessionCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes++
	clear(c.entries)
	c.bytes = 0
}

// fill caches a session read from the file, unless a write happened since
// seen (see writes).
func (c *sessionCache) fill(token string, data []byte, expiry time.Time, seen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.writes == seen {
		c.store(token, memRecord{data: data, expiry: expiry})
	}
}

func (c *sessionCache) store(token string, rec memRecord) {
	c.remove(token)
	size := len(token) + len(rec.data)
	if size > c.maxBytes {
		return // read from the file every time rather than evict everything
	}
	for old := range c.entries {
		if len(c.entries) < c.limit && c.bytes+size <= c.maxBytes {
			break
		}
		c.remove(old)
	}
	c.entries[token] = rec
	c.bytes += size
}

func (c *sessionCache) remove(token string) {
	if old, ok := c.entries[token]; ok {
		c.bytes -= len(token) + len(old.data)
		delete(c.entries, token)
	}
}

func (c *sessionCache) deleteExpired(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for token, rec := range c.entries {
		if !now.Before(rec.expiry) {
			c.remove(token)
		}
	}
}

// len counts the entries held, expired or not (for tests).
func (c *sessionCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}
