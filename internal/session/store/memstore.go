package store

import (
	"context"
	"sync"
	"time"
)

// memStore keeps sessions in this process's memory, for a single instance
// and for tests. It replaces scs's memstore, whose StopCleanup races with
// its own sweeper: Close here waits for the sweeper to finish.
type memStore struct {
	mu       sync.RWMutex
	sessions map[string]memRecord
	stop     chan struct{}
	done     chan struct{}
}

type memRecord struct {
	data   []byte
	expiry time.Time
}

// newMemStore starts a store that deletes expired sessions every interval.
func newMemStore(interval time.Duration) *memStore {
	s := &memStore{
		sessions: make(map[string]memRecord),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	go s.cleanup(interval)
	return s
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
	s.sessions[token] = memRecord{data: data, expiry: expiry}
	s.mu.Unlock()
	return nil
}

func (s *memStore) Delete(token string) error {
	s.mu.Lock()
	delete(s.sessions, token)
	s.mu.Unlock()
	return nil
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

// len counts the records held, expired or not (for tests).
func (s *memStore) len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.sessions)
}

// deleteExpired drops every session whose expiry is not after now.
func (s *memStore) deleteExpired(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for token, rec := range s.sessions {
		if !now.Before(rec.expiry) {
			delete(s.sessions, token)
		}
	}
}

func (s *memStore) cleanup(interval time.Duration) {
	defer close(s.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.deleteExpired(time.Now())
		}
	}
}

// Close stops the sweeper and returns once it has stopped.
func (s *memStore) Close() error {
	close(s.stop)
	<-s.done
	return nil
}
