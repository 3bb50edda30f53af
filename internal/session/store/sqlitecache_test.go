package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// openCachedSQLite opens a SQLite store with room for cacheLimit sessions
// and returns it with its inner store, to look at the cache and the file.
func openCachedSQLite(t *testing.T, path string, cacheLimit int) (Store, *sqliteStore) {
	t.Helper()
	if !ownsSQLiteFile {
		t.Skip("this platform does not lock SQLite files, so their sessions are not cached")
	}
	st, err := openSQLite(context.Background(), path, cacheLimit, lockWait)
	if err != nil {
		t.Fatal(err)
	}
	return st, st.(*guarded).backend.(*sqliteStore)
}

// onDisk reads a session from the file itself, past the cache.
func onDisk(t *testing.T, s *sqliteStore, token string) (string, bool) {
	t.Helper()
	var b []byte
	err := s.db.QueryRow(`SELECT data FROM sessions WHERE token = ? AND expiry > ?`, token, julianDay(time.Now())).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b), true
}

func TestSQLiteCacheAgreesWithTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sessions.db")
	st, s := openCachedSQLite(t, path, 100)
	// agree checks that the store, its cache and the file all say want
	// ("" for no session).
	agree := func(step, token, want string) {
		t.Helper()
		b, found, err := st.Find(token)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if got := string(b); found != (want != "") || got != want {
			t.Errorf("%s: store found %q %v, want %q", step, got, found, want)
		}
		if got, found := onDisk(t, s, token); found != (want != "") || got != want {
			t.Errorf("%s: file holds %q %v, want %q", step, got, found, want)
		}
		if got, found := s.findInMemory(token); found != (want != "") || string(got) != want {
			t.Errorf("%s: cache holds %q %v, want %q", step, got, found, want)
		}
	}
	hour := time.Now().Add(time.Hour)
	buf := []byte("first")
	if err := st.Commit("a", buf, hour); err != nil {
		t.Fatal(err)
	}
	copy(buf, "XXXXX") // the caller reusing its buffer changes nothing stored
	agree("commit", "a", "first")
	st.Commit("a", []byte("second"), hour)
	agree("commit again", "a", "second")
	st.Delete("a")
	agree("delete", "a", "")
	// The cache keeps a session committed already expired, but must not
	// serve it: expiry is checked on every read, as in the file's query.
	st.Commit("old", []byte("expired"), time.Now().Add(-time.Second))
	agree("expired", "old", "")
	if s.cache.len() != 1 {
		t.Fatalf("want the expired session in the cache until the sweep, got %d entries", s.cache.len())
	}
	s.cache.deleteExpired(time.Now())
	if s.cache.len() != 0 {
		t.Fatalf("after the sweep: want an empty cache, got %d entries", s.cache.len())
	}
	st.Commit("kept", []byte("kept"), hour)
	st.Commit("gone", []byte("gone"), hour)
	st.Delete("gone")
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st, s = openCachedSQLite(t, path, 100)
	defer st.Close()
	if _, found := s.findInMemory("kept"); found {
		t.Fatal("a new store's cache must start empty")
	}
	agree("after reopening", "kept", "kept")
	agree("after reopening", "gone", "")
	agree("after reopening", "old", "")
}

// A read that started before a write must not cache what it read after
// the write: that would bring back a session changed or deleted meanwhile.
func TestSessionCacheFillLosesToAWrite(t *testing.T) {
	c := newSessionCache(10)
	hour := time.Now().Add(time.Hour)
	seen := c.version()
	c.drop("t") // a logout while the read was in flight
	c.fill("t", []byte("read before the logout"), hour, seen)
	if b, found := c.find("t", time.Now()); found {
		t.Fatalf("a deleted session came back: %q", b)
	}
	seen = c.version()
	c.put("t", []byte("new"), hour)
	c.fill("t", []byte("old"), hour, seen)
	if b, _ := c.find("t", time.Now()); string(b) != "new" {
		t.Fatalf("want the newer write kept, got %q", b)
	}
	c.fill("u", []byte("u"), hour, c.version())
	if b, _ := c.find("u", time.Now()); string(b) != "u" {
		t.Fatalf("a read with no write meanwhile: want it cached, got %q", b)
	}
}

func TestSQLiteCacheIsBounded(t *testing.T) {
	st, s := openCachedSQLite(t, filepath.Join(t.TempDir(), "sessions.db"), 3)
	defer st.Close()
	hour := time.Now().Add(time.Hour)
	for i := range 10 {
		if err := st.Commit(fmt.Sprint("t", i), []byte(fmt.Sprint("data", i)), hour); err != nil {
			t.Fatal(err)
		}
	}
	for round := range 2 { // the second round reads evicted sessions back from the file
		for i := range 10 {
			b, found, err := st.Find(fmt.Sprint("t", i))
			if err != nil || !found || string(b) != fmt.Sprint("data", i) {
				t.Fatalf("round %d, t%d: want data%d, got %q %v %v", round, i, i, b, found, err)
			}
			if n := s.cache.len(); n > 3 {
				t.Fatalf("the cache holds %d sessions, over its limit of 3", n)
			}
		}
	}
}

// A write that fails may or may not have reached the file, so the cache
// must not keep any copy of that session: the next read goes to the file.
func TestFailedSQLiteWriteLeavesNothingCached(t *testing.T) {
	st, s := openCachedSQLite(t, filepath.Join(t.TempDir(), "sessions.db"), 100)
	defer st.Close()
	hour := time.Now().Add(time.Hour)
	if err := st.Commit("tok", []byte("first"), hour); err != nil {
		t.Fatal(err)
	}
	if _, found := s.findInMemory("tok"); !found {
		t.Fatal("want a committed session cached")
	}
	s.commit.Close() // writes now fail, as a full disk would make them
	err := st.Commit("tok", []byte("second"), hour)
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("failed commit: want ErrUnavailable, got %v", err)
	}
	if b, found := s.findInMemory("tok"); found {
		t.Fatalf("after a failed write the cache still holds %q", b)
	}
	if b, found, err := st.Find("tok"); err != nil || !found || string(b) != "first" {
		t.Fatalf("find after a failed write: want the file's %q, got %q %v %v", "first", b, found, err)
	}
}

// Commits, finds and deletes racing on a few sessions leave the cache
// holding exactly what the file holds.
func TestSQLiteCacheAgreesWithTheFileUnderConcurrentUse(t *testing.T) {
	st, s := openCachedSQLite(t, filepath.Join(t.TempDir(), "sessions.db"), 100)
	defer st.Close()
	tokens := []string{"a", "b", "c"}
	hour := time.Now().Add(time.Hour)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 150 {
				token := tokens[(w+i)%len(tokens)]
				var err error
				switch i % 5 {
				case 0:
					err = st.Delete(token)
				case 1, 2:
					err = st.Commit(token, []byte(fmt.Sprint(w, "-", i)), hour)
				default:
					s.cache.drop(token) // force reads from the file, to race the fills
					_, _, err = st.Find(token)
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, token := range tokens {
		want, onFile := onDisk(t, s, token)
		if got, cached := s.findInMemory(token); cached && (!onFile || string(got) != want) {
			t.Errorf("%s: cache holds %q, file holds %q (%v)", token, got, want, onFile)
		}
	}
}

// A page view's read from the cache needs no deadline timer, nor any other
// allocation.
func TestCachedFindDoesNotAllocate(t *testing.T) {
	st, _ := openCachedSQLite(t, filepath.Join(t.TempDir(), "sessions.db"), 100)
	defer st.Close()
	mem, err := Open(context.Background(), "memory")
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	ctx := context.Background()
	for _, s := range []Store{st, mem} {
		if err := s.Commit("tok", []byte("data"), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		finder := s.(interface {
			FindCtx(context.Context, string) ([]byte, bool, error)
		})
		allocs := testing.AllocsPerRun(100, func() {
			if _, found, err := finder.FindCtx(ctx, "tok"); !found || err != nil {
				t.Fatal(found, err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: a cached find made %v allocations, want 0", s.Kind(), allocs)
		}
	}
}

func TestSecondOpenOfASQLiteFileIsRefused(t *testing.T) {
	if !ownsSQLiteFile {
		t.Skip("this platform does not lock SQLite files")
	}
	path := filepath.Join(t.TempDir(), "sessions.db")
	first, err := Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	second, err := Open(context.Background(), "sqlite:"+path)
	if err == nil {
		second.Close()
		first.Close()
		t.Fatal("a second store opened a SQLite file the first one owns")
	}
	if !errors.Is(err, ErrInUse) {
		t.Errorf("want ErrInUse, got %v", err)
	}
	for _, want := range []string{"another sgidweb process is using " + path, "redis://", "postgres://"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal %q does not say %q", err, want)
		}
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatalf("after the owner closed: want the file free, got %v", err)
	}
	again.Close()
}

// sgidweb doctor checks a SQLite file while the server that owns it runs.
func TestCheckReadsAFileAnotherStoreOwns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sessions.db")
	inUse, err := Check(context.Background(), "sqlite:"+path)
	if err != nil || inUse {
		t.Fatalf("a free file: want checked and not in use, got %v %v", inUse, err)
	}
	owner, err := Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatalf("Check must release the file: %v", err)
	}
	defer owner.Close()
	if err := owner.Commit("tok", []byte("data"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	inUse, err = Check(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatalf("a file in use: want it read, got %v", err)
	}
	if inUse != ownsSQLiteFile {
		t.Errorf("a file in use: Check says in use %v", inUse)
	}
	if b, found, err := owner.Find("tok"); err != nil || !found || string(b) != "data" {
		t.Fatalf("the owner after the check: want its session, got %q %v %v", b, found, err)
	}
}

// Writes to one store take turns, so the cache takes two commits of one
// session in the order the file did; a write waiting its turn gives up at
// its deadline.
func TestSQLiteWritesTakeTurns(t *testing.T) {
	st, s := openCachedSQLite(t, filepath.Join(t.TempDir(), "sessions.db"), 100)
	defer st.Close()
	hour := time.Now().Add(time.Hour)
	if err := st.Commit("tok", []byte("first"), hour); err != nil {
		t.Fatal(err)
	}
	s.writing <- struct{}{} // a write in progress
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.CommitCtx(ctx, "tok", []byte("second"), hour); !errors.Is(err, context.Canceled) {
		t.Errorf("commit during another write: want it to wait and give up, got %v", err)
	}
	if err := s.DeleteCtx(ctx, "tok"); !errors.Is(err, context.Canceled) {
		t.Errorf("delete during another write: want it to wait and give up, got %v", err)
	}
	<-s.writing
	if got, _ := onDisk(t, s, "tok"); got != "first" {
		t.Errorf("the file holds %q, want first", got)
	}
	if got, _ := s.findInMemory("tok"); string(got) != "first" {
		t.Errorf("the cache holds %q, want first", got)
	}
}

// An operator who deletes rows with sqlite3 while the server runs (to log
// everyone out, say) must see it take effect: the next check empties the
// cache. The store's own writes do not count as outside changes.
func TestSQLiteCacheSeesChangesMadeFromOutside(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sessions.db")
	st, s := openCachedSQLite(t, path, 100)
	defer st.Close()
	hour := time.Now().Add(time.Hour)
	if err := st.Commit("victim", []byte("logged in"), hour); err != nil {
		t.Fatal(err)
	}
	s.noticeOutsideWrites()
	if _, found := s.findInMemory("victim"); !found {
		t.Fatal("the store's own write emptied the cache")
	}

	// Another program on the same file: no lock, its own connection.
	other, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.Exec(`DELETE FROM sessions`); err != nil {
		t.Fatal(err)
	}
	s.noticeOutsideWrites()
	if b, found, err := st.Find("victim"); found || err != nil {
		t.Fatalf("after an outside delete the session is still found: %q %v", b, err)
	}
	// And the next save of another session does not write it back.
	if err := st.Commit("other", []byte("x"), hour); err != nil {
		t.Fatal(err)
	}
	if _, found := onDisk(t, s, "victim"); found {
		t.Fatal("the deleted session came back into the file")
	}
}

// The cache holds at most maxBytes of tokens and data, evicting to make
// room, and never caches a session larger than that.
func TestSessionCacheBoundsItsBytes(t *testing.T) {
	c := newSessionCache(1000)
	c.maxBytes = 100
	hour := time.Now().Add(time.Hour)
	for i := range 20 {
		c.put(fmt.Sprintf("t%02d", i), []byte(strings.Repeat("x", 17)), hour) // 20 bytes each
		if c.bytes > c.maxBytes {
			t.Fatalf("after %d puts the cache holds %d bytes, over its %d", i+1, c.bytes, c.maxBytes)
		}
	}
	if n := c.len(); n != 5 {
		t.Errorf("want 5 sessions of 20 bytes in 100, got %d", n)
	}
	if _, found := c.find("t19", time.Now()); !found {
		t.Error("the newest session was evicted to make room for itself")
	}
	c.put("big", []byte(strings.Repeat("x", 200)), hour)
	if _, found := c.find("big", time.Now()); found {
		t.Error("a session larger than the whole cache was cached")
	}
	c.put("t19", []byte("y"), hour) // a rewrite counts its new size only
	if want := 4*20 + 3 + 1; c.bytes != want {
		t.Errorf("after rewriting a session: %d bytes counted, want %d", c.bytes, want)
	}
	c.clear()
	if c.len() != 0 || c.bytes != 0 {
		t.Errorf("after clear: %d sessions, %d bytes", c.len(), c.bytes)
	}
}
