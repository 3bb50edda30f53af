package store

import (
	"context"
	"errors"
	"net/url"
	"sync"
	"testing"
	"time"
)

// frozenTimeout is the store timeout these tests configure; Timeout, the
// documented bound, is 25 times longer and serves as the generous deadline
// by which every call must have returned.
const frozenTimeout = 200 * time.Millisecond

// openFrozenable opens a shared store through a freezer, with a short
// timeout and a small Redis pool.
func openFrozenable(t *testing.T, spec string, lim limits) (*guarded, *freezer) {
	t.Helper()
	u, err := url.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	fr := newFreezer(t, u.Host)
	u.Host = fr.addr()
	st, err := openWith(context.Background(), u.String(), lim)
	if err != nil {
		t.Fatal(err)
	}
	// Thawed before closing, so closing does not wait on a frozen server.
	t.Cleanup(func() { fr.thaw(); st.Close() })
	return st.(*guarded), fr
}

// returnsInTime runs call and waits for it up to Timeout.
func returnsInTime(t *testing.T, name string, call func() error) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- call() }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrUnavailable) {
			t.Errorf("%s on a frozen store: want ErrUnavailable, got %v", name, err)
		}
	case <-time.After(Timeout):
		t.Errorf("%s on a frozen store configured for a %v timeout was still waiting after %v", name, frozenTimeout, Timeout)
	}
}

// TestFrozenSharedStoreAnswersUnavailableWithinTheTimeout freezes the store
// (connections stay open, nothing answers): every call must give up after
// the store timeout with ErrUnavailable, which the web layer answers with
// 503. Before, a frozen Redis held each call for its read timeout twice.
func TestFrozenSharedStoreAnswersUnavailableWithinTheTimeout(t *testing.T) {
	for _, tc := range sharedStores {
		t.Run(tc.name, func(t *testing.T) {
			svc := tc.start(t)
			st, fr := openFrozenable(t, svc.URL, limits{timeout: frozenTimeout, redisConns: 8})
			ctx := context.Background()
			if err := st.CommitCtx(ctx, "tok", []byte("data"), time.Now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			hammer(t, st, 4)
			fr.freeze()
			calls := map[string]func() error{
				"find": func() error { _, _, err := st.FindCtx(ctx, "tok"); return err },
				"commit": func() error {
					return st.CommitCtx(ctx, "tok", []byte("x"), time.Now().Add(time.Hour))
				},
				"delete": func() error { return st.DeleteCtx(ctx, "other") },
				"ping":   func() error { return st.Ping(ctx) },
				"index": func() error {
					return st.Index(ctx, "subject", Entry{Key: "tok", Started: time.Now(), LastSeen: time.Now()}, time.Now().Add(time.Hour))
				},
				"sessions":   func() error { _, err := st.Sessions(ctx, "subject"); return err },
				"shared key": func() error { _, err := st.SharedKey(ctx, "k"); return err },
			}
			var wg sync.WaitGroup
			for name, call := range calls {
				// More callers than the pool has connections.
				for range 3 {
					wg.Go(func() { returnsInTime(t, name, call) })
				}
			}
			wg.Wait()
			fr.thaw()
			// Connections that timed out are gone; the store recovers. A new
			// connection may itself need longer than the 200 ms timeout on a
			// loaded machine, so the store gets a few tries within Timeout.
			var found bool
			var err error
			for deadline := time.Now().Add(Timeout); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
				if _, found, err = st.FindCtx(ctx, "tok"); err == nil && found {
					break
				}
			}
			if err != nil || !found {
				t.Fatalf("find after the freeze: want found, got %v %v", found, err)
			}
		})
	}
}

// TestRedisPoolIsCapped: while Redis is frozen every call holds a
// connection; past the cap callers wait for one (within their deadline)
// instead of opening more.
func TestRedisPoolIsCapped(t *testing.T) {
	svc := sharedStores[0].start(t)
	const cap = 3
	st, fr := openFrozenable(t, svc.URL, limits{timeout: time.Minute, redisConns: cap})
	pool := st.backend.(*redisStore).pool
	ctx := context.Background()
	if err := st.CommitCtx(ctx, "tok", []byte("data"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	fr.freeze()
	const callers = 3 * cap
	var wg, started sync.WaitGroup
	errs := make(chan error, callers)
	started.Add(callers)
	for range callers {
		wg.Go(func() {
			started.Done()
			_, _, err := st.FindCtx(ctx, "tok")
			errs <- err
		})
	}
	started.Wait()
	// Give the callers a moment to reach the pool, watching that no more
	// than the cap of connections opens meanwhile. A slow machine can only
	// make this pass without checking, never fail wrongly.
	maxActive := 0
	for range 100 {
		maxActive = max(maxActive, pool.Stats().ActiveCount)
		if maxActive > cap {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	fr.thaw()
	wg.Wait()
	close(errs)
	// redigo counts a caller as waiting when it found no free slot on
	// arrival, which a race with another caller can hide: at least one did.
	if waited := int(pool.Stats().WaitCount); maxActive > cap || waited == 0 {
		t.Fatalf("%d callers on a frozen Redis: want at most %d connections and the others waiting for one, got %d open and %d waited", callers, cap, maxActive, waited)
	}
	for err := range errs {
		if err != nil {
			t.Fatalf("after the thaw every waiting caller must be served: %v", err)
		}
	}
}
