package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestMemStoreExpiresDeletesAndSweeps(t *testing.T) {
	st := newMemStore(time.Hour, memoryMaxBytes)
	defer st.Close()
	now := time.Now()
	st.Commit("live", []byte("data"), now.Add(time.Hour))
	st.Commit("old", []byte("x"), now.Add(-time.Second))
	st.Commit("gone", []byte("x"), now.Add(time.Hour))
	if err := st.Delete("gone"); err != nil {
		t.Fatal(err)
	}
	if b, found, err := st.Find("live"); err != nil || !found || string(b) != "data" {
		t.Fatalf("live session: want data, got %q %v %v", b, found, err)
	}
	if _, found, _ := st.Find("old"); found {
		t.Error("an expired session was found")
	}
	if _, found, _ := st.Find("gone"); found {
		t.Error("a deleted session was found")
	}
	st.deleteExpired(now)
	if n := st.len(); n != 1 {
		t.Fatalf("after the sweep: want only the live session kept, got %d records", n)
	}
	st.deleteExpired(now.Add(2 * time.Hour))
	if n := st.len(); n != 0 {
		t.Fatalf("after its expiry: want the live session swept, got %d records", n)
	}
}

// TestMemStoreCloseWhileBusy runs requests against a busy sweeper and then
// closes the store: under -race this checks the locking, and Close must
// return only once the sweeper has stopped (scs's memstore raced here).
func TestMemStoreCloseWhileBusy(t *testing.T) {
	st := newMemStore(time.Microsecond, memoryMaxBytes)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				tok := string(rune('a' + j%26))
				st.Commit(tok, []byte("x"), time.Now().Add(time.Duration(j%2)*time.Minute))
				st.Find(tok)
				if j%3 == 0 {
					st.Delete(tok)
				}
			}
		}()
	}
	wg.Wait()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-st.done:
	default:
		t.Fatal("Close returned while the sweeper was still running")
	}
}

func TestOpenMemoryStore(t *testing.T) {
	st, err := Open(context.Background(), "memory")
	if err != nil {
		t.Fatal(err)
	}
	if st.Kind() != "memory" {
		t.Errorf("Kind: want memory, got %q", st.Kind())
	}
	if err := st.Ping(context.Background()); err != nil {
		t.Errorf("ping: %v", err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestMemoryStoreRefusesNewSessionsWhenFull: past its bound the memory
// store refuses new sessions (ErrUnavailable: the 503 page) and evicts
// nobody; sessions it holds keep working, and room comes back as sessions
// end or expire.
func TestMemoryStoreRefusesNewSessionsWhenFull(t *testing.T) {
	data := make([]byte, 1000)
	room := 4 * recordSize("token-0", data)
	opened, err := openWith(context.Background(), "memory", limits{timeout: Timeout, memoryBytes: room})
	if err != nil {
		t.Fatal(err)
	}
	defer opened.Close()
	st := opened.(*guarded)
	ctx := context.Background()
	later := time.Now().Add(time.Hour)
	for i := range 4 {
		if err := st.CommitCtx(ctx, fmt.Sprintf("token-%d", i), data, later); err != nil {
			t.Fatalf("session %d of 4: %v", i, err)
		}
	}
	err = st.CommitCtx(ctx, "token-4", data, later)
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "full") {
		t.Fatalf("a fifth session in room for four: want ErrUnavailable saying the store is full, got %v", err)
	}
	for i := range 4 {
		if _, found, _ := st.FindCtx(ctx, fmt.Sprintf("token-%d", i)); !found {
			t.Fatalf("session %d was evicted to make room", i)
		}
	}
	// A session already held may still change.
	if err := st.CommitCtx(ctx, "token-0", data[:900], later); err != nil {
		t.Fatalf("an update of a held session: %v", err)
	}
	// An ended session makes room.
	if err := st.DeleteCtx(ctx, "token-1"); err != nil {
		t.Fatal(err)
	}
	if err := st.CommitCtx(ctx, "token-4", data, later); err != nil {
		t.Fatalf("after a logout: want room for a new session, got %v", err)
	}
	// So does an expired one, even before the sweeper's turn: a full store
	// sweeps at once, at most once a second (the last sweep is moved back
	// a second here rather than waited for).
	if err := st.CommitCtx(ctx, "token-2", data, time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	mem := st.backend.(*memStore)
	mem.mu.Lock()
	mem.swept = mem.swept.Add(-time.Second)
	mem.mu.Unlock()
	if err := st.CommitCtx(ctx, "token-5", data, later); err != nil {
		t.Fatalf("with an expired session held: want it swept to make room, got %v", err)
	}
}
