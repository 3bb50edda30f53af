package store

import (
	"context"
	"errors"
	"sync"
	"time"
)

// memoryMaxBytes bounds what the memory store holds: sessions (a logged-in
// one is about 2.5 KB, so about 12,000 of them), their index entries and a
// share of the map's own overhead for each.
//
// When it is full, new sessions are refused (the store answers
// ErrUnavailable, so the person gets the 503 page) and nothing is evicted.
// The store cannot tell whom it would throw out, and eviction would log out
// someone in the middle of their work without a word; a refusal is an
// honest "try again later" for newcomers only, while everyone already in
// keeps working. Updates to a session already held are always kept. Room
// comes back as sessions end or expire; an anonymous visitor's session
// (a CSRF token) lasts only the idle timeout.
const memoryMaxBytes = 32 << 20

// Approximate bytes the Go map and the records cost beyond their contents.
const (
	memRecordOverhead = 96
	memEntryOverhead  = 160
)

// errMemoryFull is what a refused new session says; guarded marks it
// unavailable.
var errMemoryFull = errors.New("memory store is full; new sessions are refused until some end (SESSION_STORE=sqlite:... holds more)")

// memStore keeps sessions in this process's memory, for a single instance
// and for tests. It replaces scs's memstore, whose StopCleanup races with
// its own sweeper: Close here waits for the sweeper to finish.
type memStore struct {
	mu       sync.RWMutex
	sessions map[string]memRecord
	// entries holds the index: each logged-in session's entry by key, and
	// the keys of each subject.
	entries   map[string]memEntry
	bySubject map[string]map[string]struct{}
	keys      map[string][]byte // SharedKey's
	bytes     int               // what sessions and entries take, as counted by size
	maxBytes  int
	// swept is when a full store last looked for expired sessions to make
	// room, so a flood of refused sessions costs one sweep a second.
	swept time.Time
	stop  chan struct{}
	done  chan struct{}
}

type memRecord struct {
	data   []byte
	expiry time.Time
}

type memEntry struct {
	Entry
	subject string
	until   time.Time
}

// newMemStore starts a store of at most maxBytes that deletes expired
// sessions every interval.
func newMemStore(interval time.Duration, maxBytes int) *memStore {
	s := &memStore{
		sessions:  make(map[string]memRecord),
		entries:   make(map[string]memEntry),
		bySubject: make(map[string]map[string]struct{}),
		keys:      make(map[string][]byte),
		maxBytes:  maxBytes,
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
	}
	go s.cleanup(interval)
	return s
}

func recordSize(token string, data []byte) int { return len(token) + len(data) + memRecordOverhead }

func entrySize(e memEntry) int {
	return len(e.Key) + len(e.subject) + len(e.Browser) + memEntryOverhead
}

func (s *memStore) Find(token string) ([]byte, bool, error) {
	s.mu.RLock()
	rec, ok := s.sessions[token]
	s.mu.RUnlock()
	if !ok || !time.Now().Before(rec.expiry) {
		return nil, false, nil
	}
	return rec.data, true, nil
}

func (s *memStore) Commit(token string, b []byte, expiry time.Time) error {
	// scs hands over a fresh slice on every commit, but copying keeps the
	// store safe from a caller that reuses its buffer.
	data := append([]byte(nil), b...)
	s.mu.Lock()
	defer s.mu.Unlock()
	old, held := s.sessions[token]
	if !held && s.bytes+recordSize(token, data) > s.maxBytes {
		if now := time.Now(); now.Sub(s.swept) >= time.Second {
			s.swept = now
			s.deleteExpiredLocked(now)
		}
		if s.bytes+recordSize(token, data) > s.maxBytes {
			return errMemoryFull
		}
	}
	if held {
		s.bytes -= recordSize(token, old.data)
	}
	s.sessions[token] = memRecord{data: data, expiry: expiry}
	s.bytes += recordSize(token, data)
	return nil
}

// commitExisting replaces a live session's record under the lock; an
// update needs no room check, as in Commit.
func (s *memStore) commitExisting(_ context.Context, token string, b []byte, expiry time.Time) (bool, error) {
	data := append([]byte(nil), b...)
	s.mu.Lock()
	defer s.mu.Unlock()
	old, held := s.sessions[token]
	if !held || !time.Now().Before(old.expiry) {
		return false, nil
	}
	s.bytes += recordSize(token, data) - recordSize(token, old.data)
	s.sessions[token] = memRecord{data: data, expiry: expiry}
	return true, nil
}

func (s *memStore) Delete(token string) error {
	s.mu.Lock()
	s.deleteLocked(token)
	s.mu.Unlock()
	return nil
}

// deleteLocked forgets a session and its index entry.
func (s *memStore) deleteLocked(token string) {
	if rec, ok := s.sessions[token]; ok {
		s.bytes -= recordSize(token, rec.data)
		delete(s.sessions, token)
	}
	s.forgetLocked(token)
}

func (s *memStore) forgetLocked(key string) {
	e, ok := s.entries[key]
	if !ok {
		return
	}
	s.bytes -= entrySize(e)
	delete(s.entries, key)
	if keys := s.bySubject[e.subject]; keys != nil {
		delete(keys, key)
		if len(keys) == 0 {
			delete(s.bySubject, e.subject)
		}
	}
}

// findInMemory lets guarded skip its deadline timer: every answer here
// comes from memory.
func (s *memStore) findInMemory(token string) ([]byte, bool) {
	b, ok, _ := s.Find(token)
	return b, ok
}

// FindCtx, CommitCtx and DeleteCtx make this an scs.CtxStore; memory
// answers at once, so the context has nothing to bound.
func (s *memStore) FindCtx(_ context.Context, token string) ([]byte, bool, error) {
	return s.Find(token)
}

func (s *memStore) CommitCtx(_ context.Context, token string, b []byte, expiry time.Time) error {
	return s.Commit(token, b, expiry)
}

func (s *memStore) DeleteCtx(_ context.Context, token string) error { return s.Delete(token) }

// index entries are always kept, even when the store is full: they are
// small, one per login, and refusing one would refuse a login that the
// session's own commit may still have room for.
func (s *memStore) addEntry(_ context.Context, subject string, e Entry, until time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forgetLocked(e.Key)
	me := memEntry{Entry: e, subject: subject, until: until}
	s.entries[e.Key] = me
	s.bytes += entrySize(me)
	keys := s.bySubject[subject]
	if keys == nil {
		keys = make(map[string]struct{})
		s.bySubject[subject] = keys
	}
	keys[e.Key] = struct{}{}
	return nil
}

func (s *memStore) listEntries(_ context.Context, subject string) ([]Entry, error) {
	now := time.Now()
	s.mu.RLock()
	defer s.mu.RUnlock()
	var list []Entry
	for key := range s.bySubject[subject] {
		e := s.entries[key]
		if rec, ok := s.sessions[key]; ok && now.Before(rec.expiry) && now.Before(e.until) {
			list = append(list, e.Entry)
		}
	}
	return list, nil
}

func (s *memStore) countSessions(context.Context) (Counts, error) {
	now := time.Now()
	s.mu.RLock()
	defer s.mu.RUnlock()
	var c Counts
	for key, rec := range s.sessions {
		if !now.Before(rec.expiry) {
			continue
		}
		c.Sessions++
		if e, ok := s.entries[key]; ok && now.Before(e.until) {
			c.LoggedIn++
		}
	}
	return c, nil
}

// sharedKey keeps keys for this process alone: nothing else shares a
// memory store.
func (s *memStore) sharedKey(_ context.Context, name string, fresh []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if key, ok := s.keys[name]; ok {
		return key, nil
	}
	s.keys[name] = fresh
	return fresh, nil
}

func (s *memStore) ping(context.Context) error { return nil }

// len counts the records held, expired or not (for tests).
func (s *memStore) len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.sessions)
}

// deleteExpired drops every session whose expiry is not after now, with its
// index entry, and every index entry past its own end.
func (s *memStore) deleteExpired(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deleteExpiredLocked(now)
}

func (s *memStore) deleteExpiredLocked(now time.Time) {
	for token, rec := range s.sessions {
		if !now.Before(rec.expiry) {
			s.deleteLocked(token)
		}
	}
	for key, e := range s.entries {
		if !now.Before(e.until) {
			s.forgetLocked(key)
		}
	}
}

func (s *memStore) cleanup(interval time.Duration) {
	sweepEvery(interval, s.stop, s.done, func() { s.deleteExpired(time.Now()) })
}

// close stops the sweeper and returns once it has stopped.
func (s *memStore) close() error {
	close(s.stop)
	<-s.done
	return nil
}

// Close is close, for tests that use the store without guarded.
func (s *memStore) Close() error { return s.close() }
