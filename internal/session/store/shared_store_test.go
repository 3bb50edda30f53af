package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	storespec "github.com/sgidweb/sgidweb/internal/session/store/spec"
	"github.com/sgidweb/sgidweb/internal/testenv"
)

// sharedStores are the stores several instances can share, each started
// fresh by the test.
var sharedStores = []struct {
	name  string
	start func(testing.TB) *testenv.Service
}{
	{"redis", testenv.StartRedis},
	{"postgres", testenv.StartPostgres},
}

func TestSharedStoreKeepsAndForgetsSessions(t *testing.T) {
	for _, tc := range sharedStores {
		t.Run(tc.name, func(t *testing.T) {
			svc := tc.start(t)
			st := openStore(t, svc.URL)
			if st.Kind() != tc.name {
				t.Errorf("Kind: want %q, got %q", tc.name, st.Kind())
			}
			ctx := context.Background()
			if err := st.CommitCtx(ctx, "live", []byte("data"), time.Now().Add(time.Hour)); err != nil {
				t.Fatalf("commit: %v", err)
			}
			if b, found, err := st.FindCtx(ctx, "live"); err != nil || !found || string(b) != "data" {
				t.Fatalf("find after commit: want data, got %q %v %v", b, found, err)
			}
			// An expiry in the past must make the session unfindable at
			// once: Redis drops the key by its TTL, PostgreSQL reads skip
			// expired rows until the cleanup deletes them.
			if err := st.CommitCtx(ctx, "old", []byte("data"), time.Now().Add(-time.Second)); err != nil {
				t.Fatalf("commit expired: %v", err)
			}
			if _, found, err := st.FindCtx(ctx, "old"); err != nil || found {
				t.Fatalf("expired session: want not found, got %v %v", found, err)
			}
			if err := st.DeleteCtx(ctx, "live"); err != nil {
				t.Fatalf("delete: %v", err)
			}
			if _, found, err := st.FindCtx(ctx, "live"); err != nil || found {
				t.Fatalf("deleted session: want not found, got %v %v", found, err)
			}
		})
	}
}

func TestSharedStoreOutageIsUnavailableAndRecovers(t *testing.T) {
	for _, tc := range sharedStores {
		t.Run(tc.name, func(t *testing.T) {
			svc := tc.start(t)
			st := openStore(t, svc.URL)
			ctx := context.Background()
			if err := st.CommitCtx(ctx, "tok", []byte("data"), time.Now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			// Fill the pool with idle connections, all of which the
			// restart below kills.
			hammer(t, st, 16)

			svc.Stop()
			if err := st.Ping(ctx); !errors.Is(err, ErrUnavailable) {
				t.Fatalf("ping while down: want ErrUnavailable, got %v", err)
			}
			if _, _, err := st.FindCtx(ctx, "tok"); !errors.Is(err, ErrUnavailable) {
				t.Fatalf("find while down: want ErrUnavailable, got %v", err)
			}
			if err := st.CommitCtx(ctx, "tok", []byte("x"), time.Now().Add(time.Hour)); !errors.Is(err, ErrUnavailable) {
				t.Fatalf("commit while down: want ErrUnavailable, got %v", err)
			}

			svc.Start()
			// Redis lost everything (no persistence); PostgreSQL kept it.
			// Either way every call after the restart must work at once:
			// no stale pooled connection may fail a request.
			if tc.name == "redis" {
				if err := st.CommitCtx(ctx, "tok", []byte("data"), time.Now().Add(time.Hour)); err != nil {
					t.Fatalf("first commit after restart: %v", err)
				}
			}
			for i := range 32 {
				if _, found, err := st.FindCtx(ctx, "tok"); err != nil || !found {
					t.Fatalf("find %d after restart: want found, got %v %v", i, found, err)
				}
			}
			if err := st.Ping(ctx); err != nil {
				t.Fatalf("ping after restart: %v", err)
			}
		})
	}
}

// hammer runs n concurrent finds a few times so the pool holds several
// connections.
func hammer(t *testing.T, st Store, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			for range 10 {
				if _, _, err := st.(*guarded).FindCtx(context.Background(), "tok"); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestPostgresStoreCreatesItsTableOnceUnderConcurrentStarts(t *testing.T) {
	svc := testenv.StartPostgres(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			st, err := Open(context.Background(), svc.URL)
			if err != nil {
				errs <- err
				return
			}
			st.Close()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("instances starting together: %v", err)
	}
}

func TestUnreachableStoreNamesTheVariableNotThePassword(t *testing.T) {
	port := testenv.FreePort(t) // nothing listens there
	for _, spec := range []string{
		fmt.Sprintf("redis://user:hunter2secret@127.0.0.1:%d/0", port),
		fmt.Sprintf("postgres://user:hunter2secret@127.0.0.1:%d/db?sslmode=disable&connect_timeout=2", port),
	} {
		_, err := Open(context.Background(), spec)
		if err == nil {
			t.Fatalf("%s: want an error when nothing listens", storespec.Kind(spec))
		}
		msg := err.Error()
		if !strings.Contains(msg, "SESSION_STORE") || strings.Contains(msg, "hunter2secret") {
			t.Errorf("%s: want an error naming SESSION_STORE without the password, got %q", storespec.Kind(spec), msg)
		}
	}
}

func openStore(t testing.TB, spec string) *guarded {
	t.Helper()
	st, err := Open(context.Background(), spec)
	if err != nil {
		t.Fatalf("open %s: %v", storespec.Kind(spec), err)
	}
	t.Cleanup(func() { st.Close() })
	return st.(*guarded)
}
