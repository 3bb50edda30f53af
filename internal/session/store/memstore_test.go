package store

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestMemStoreExpiresDeletesAndSweeps(t *testing.T) {
	st := newMemStore(time.Hour)
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
	st := newMemStore(time.Microsecond)
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
