package sgid

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/sgidweb/sgidweb/internal/sgidtest"
)

// jwksServer serves a JWKS that tests can swap, break and slow down.
type jwksServer struct {
	srv   *httptest.Server
	hits  atomic.Int32
	mu    sync.Mutex
	body  []byte
	down  bool
	delay time.Duration
}

func newJWKSServer(t *testing.T, body []byte) *jwksServer {
	s := &jwksServer{body: body}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		s.mu.Lock()
		body, down, delay := s.body, s.down, s.delay
		s.mu.Unlock()
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		if down {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *jwksServer) set(f func(s *jwksServer)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

func newTestKeySet(s *jwksServer, clock *testClock) *keySet {
	return newKeySet(s.srv.URL, buildHTTPClient(s.srv.Client(), Config{Timeout: time.Second}), time.Second, clock.Now)
}

func tokenBy(t *testing.T, key *rsa.PrivateKey, kid string) string {
	return sgidtest.SignWith(jose.RS256, key, map[string]any{"kid": kid}, map[string]any{"sub": "x"})
}

// testClock is a settable clock.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock {
	return &testClock{now: time.Date(2025, 3, 12, 9, 0, 0, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestKeySetUnknownKidRefetchesOnce(t *testing.T) {
	k := sgidtest.TestKeys()
	s := newJWKSServer(t, jwksBody(t, sgidtest.JWK(k.Sign, "a")))
	clock := newTestClock()
	ks := newTestKeySet(s, clock)
	ctx := context.Background()

	if _, err := ks.VerifySignature(ctx, tokenBy(t, k.Sign, "a")); err != nil {
		t.Fatalf("warm-up verification: %v", err)
	}
	if n := s.hits.Load(); n != 1 {
		t.Fatalf("JWKS fetched %d times to warm up, want 1", n)
	}

	// sgID rotates to key b. Within the window the new kid is refused
	// without a fetch; after it, one fetch finds the key.
	s.set(func(s *jwksServer) { s.body = jwksBody(t, sgidtest.JWK(k.Sign2, "b")) })
	clock.Advance(10 * time.Second)
	if _, err := ks.VerifySignature(ctx, tokenBy(t, k.Sign2, "b")); err == nil {
		t.Fatal("new kid accepted inside the refetch window without a fetch")
	}
	if n := s.hits.Load(); n != 1 {
		t.Fatalf("JWKS fetched %d times inside the window, want 1", n)
	}
	clock.Advance(keyRefetchWindow)
	if _, err := ks.VerifySignature(ctx, tokenBy(t, k.Sign2, "b")); err != nil {
		t.Fatalf("rotated key after the window: %v", err)
	}
	if n := s.hits.Load(); n != 2 {
		t.Fatalf("JWKS fetched %d times, want 2", n)
	}
	// The old key left the JWKS, so it is no longer trusted.
	if _, err := ks.VerifySignature(ctx, tokenBy(t, k.Sign, "a")); err == nil {
		t.Fatal("withdrawn key still verifies")
	}
}

func TestKeySetRandomKidsRefetchAtMostOnce(t *testing.T) {
	k := sgidtest.TestKeys()
	s := newJWKSServer(t, jwksBody(t, sgidtest.JWK(k.Sign, "a")))
	s.set(func(s *jwksServer) { s.delay = 20 * time.Millisecond })
	clock := newTestClock()
	ks := newTestKeySet(s, clock)
	if err := ks.check(context.Background()); err != nil {
		t.Fatal(err)
	}
	clock.Advance(keyRefetchWindow + time.Second)

	var wg sync.WaitGroup
	var accepted atomic.Int32
	for i := range 50 {
		wg.Go(func() {
			tok := tokenBy(t, k.Other, fmt.Sprintf("random-%d", i))
			if _, err := ks.VerifySignature(context.Background(), tok); err == nil {
				accepted.Add(1)
			}
		})
	}
	wg.Wait()
	for i := range 20 {
		clock.Advance(time.Second)
		ks.VerifySignature(context.Background(), tokenBy(t, k.Other, fmt.Sprintf("later-%d", i)))
	}
	if accepted.Load() != 0 {
		t.Fatalf("%d forged tokens accepted", accepted.Load())
	}
	if n := s.hits.Load(); n != 2 {
		t.Fatalf("JWKS fetched %d times for 70 unknown kids in one window, want 2 (warm-up + one refetch)", n)
	}
}

func TestKeySetColdStartIsSingleFlight(t *testing.T) {
	k := sgidtest.TestKeys()
	s := newJWKSServer(t, jwksBody(t, sgidtest.JWK(k.Sign, "a")))
	s.set(func(s *jwksServer) { s.delay = 50 * time.Millisecond })
	ks := newTestKeySet(s, newTestClock())
	tok := tokenBy(t, k.Sign, "a")
	var wg sync.WaitGroup
	var failed atomic.Int32
	for range 20 {
		wg.Go(func() {
			if _, err := ks.VerifySignature(context.Background(), tok); err != nil {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	if failed.Load() != 0 || s.hits.Load() != 1 {
		t.Fatalf("20 concurrent cold verifications: %d failed, %d fetches; want 0 and 1", failed.Load(), s.hits.Load())
	}
}

func TestKeySetKnownKidBadSignatureDoesNotRefetch(t *testing.T) {
	k := sgidtest.TestKeys()
	s := newJWKSServer(t, jwksBody(t, sgidtest.JWK(k.Sign, "a")))
	clock := newTestClock()
	ks := newTestKeySet(s, clock)
	ks.check(context.Background())
	clock.Advance(2 * keyRefetchWindow)
	_, err := ks.VerifySignature(context.Background(), tokenBy(t, k.Other, "a"))
	if ReasonOf(err) != ReasonIDTokenInvalid {
		t.Fatalf("forged signature under a known kid = %v, want %q", err, ReasonIDTokenInvalid)
	}
	if n := s.hits.Load(); n != 1 {
		t.Fatalf("JWKS fetched %d times, want 1", n)
	}
}

func TestKeySetServesCacheWhileDown(t *testing.T) {
	k := sgidtest.TestKeys()
	s := newJWKSServer(t, jwksBody(t, sgidtest.JWK(k.Sign, "a")))
	clock := newTestClock()
	ks := newTestKeySet(s, clock)
	if err := ks.check(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.set(func(s *jwksServer) { s.down = true })
	// Past keyMaxAge the set tries to refresh, fails, and keeps its keys.
	clock.Advance(keyMaxAge + time.Minute)
	if _, err := ks.VerifySignature(context.Background(), tokenBy(t, k.Sign, "a")); err != nil {
		t.Fatalf("cached key refused while JWKS is down: %v", err)
	}
	if n := s.hits.Load(); n != 2 {
		t.Fatalf("JWKS fetched %d times, want 2 (warm-up + stale refresh)", n)
	}
	// Readiness is stricter than verification: keys that sgID no longer
	// serves make the instance not ready.
	if err := ks.check(context.Background()); ReasonOf(err) != ReasonKeysUnavailable {
		t.Fatalf("check with a warm cache and JWKS down = %v, want %q", err, ReasonKeysUnavailable)
	}
	s.set(func(s *jwksServer) { s.down = false })
	clock.Advance(keyRefetchWindow + time.Second)
	if err := ks.check(context.Background()); err != nil {
		t.Fatalf("check after the JWKS came back: %v", err)
	}
}

func TestKeySetCheckCallsJWKSAtMostOncePerWindow(t *testing.T) {
	k := sgidtest.TestKeys()
	s := newJWKSServer(t, jwksBody(t, sgidtest.JWK(k.Sign, "a")))
	clock := newTestClock()
	ks := newTestKeySet(s, clock)
	for range 10 {
		if err := ks.check(context.Background()); err != nil {
			t.Fatal(err)
		}
		clock.Advance(5 * time.Second)
	}
	if n := s.hits.Load(); n != 1 {
		t.Fatalf("10 probes within %v fetched the JWKS %d times, want 1", keyRefetchWindow, n)
	}
	clock.Advance(keyRefetchWindow)
	ks.check(context.Background())
	if n := s.hits.Load(); n != 2 {
		t.Fatalf("a probe after the window: want a second fetch, got %d fetches", n)
	}
}

func TestKeySetEmptyAndDown(t *testing.T) {
	k := sgidtest.TestKeys()
	s := newJWKSServer(t, nil)
	s.set(func(s *jwksServer) { s.down = true })
	clock := newTestClock()
	ks := newTestKeySet(s, clock)
	ctx, f := withKeyFailure(context.Background())
	if _, err := ks.VerifySignature(ctx, tokenBy(t, k.Sign, "a")); ReasonOf(err) != ReasonKeysUnavailable {
		t.Fatalf("verify with empty cache and JWKS down = %v, want %q", err, ReasonKeysUnavailable)
	}
	if ReasonOf(f.err) != ReasonKeysUnavailable {
		t.Fatalf("reported failure = %v, want %q", f.err, ReasonKeysUnavailable)
	}
	if err := ks.check(context.Background()); ReasonOf(err) != ReasonKeysUnavailable {
		t.Fatalf("check = %v, want %q", err, ReasonKeysUnavailable)
	}
	if n := s.hits.Load(); n != 1 {
		t.Fatalf("JWKS fetched %d times within the retry window, want 1", n)
	}
}

func TestKeySetStalledJWKS(t *testing.T) {
	k := sgidtest.TestKeys()
	s := newJWKSServer(t, jwksBody(t, sgidtest.JWK(k.Sign, "a")))
	s.set(func(s *jwksServer) { s.delay = 3 * time.Second })
	clock := newTestClock()
	ks := newKeySet(s.srv.URL, buildHTTPClient(s.srv.Client(), Config{Timeout: time.Minute}), 100*time.Millisecond, clock.Now)
	start := time.Now()
	err := ks.check(context.Background())
	if ReasonOf(err) != ReasonKeysUnavailable || time.Since(start) > 2*time.Second {
		t.Fatalf("check against a stalled JWKS = %v after %v; want %q within the timeout", err, time.Since(start), ReasonKeysUnavailable)
	}
}

func TestParseJWKSFilters(t *testing.T) {
	k := sgidtest.TestKeys()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	entry := func(j jose.JSONWebKey) json.RawMessage {
		b, err := j.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	set := map[string][]json.RawMessage{"keys": {
		entry(sgidtest.JWK(k.Sign, "good")),
		entry(jose.JSONWebKey{Key: &k.Sign2.PublicKey, KeyID: "no-use-no-alg"}),
		entry(sgidtest.JWK(k.Small, "small")),
		entry(jose.JSONWebKey{Key: &k.Other.PublicKey, KeyID: "enc", Use: "enc"}),
		entry(jose.JSONWebKey{Key: &k.Other.PublicKey, KeyID: "ps256", Algorithm: "PS256"}),
		entry(jose.JSONWebKey{Key: &ec.PublicKey, KeyID: "ec", Algorithm: "ES256"}),
		entry(jose.JSONWebKey{Key: k.Other, KeyID: "private"}),
		entry(jose.JSONWebKey{Key: []byte("0123456789abcdef0123456789abcdef"), KeyID: "oct"}),
		json.RawMessage(`{"kty":"RSA","kid":"broken","n":"!!","e":"AQAB"}`),
		json.RawMessage(`{"kty":"OKP","crv":"X448","x":"AA"}`),
	}}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := parseJWKS(b)
	if err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range keys {
		kids = append(kids, k.KeyID)
	}
	if fmt.Sprint(kids) != "[good no-use-no-alg]" {
		t.Fatalf("usable kids = %v, want [good no-use-no-alg]", kids)
	}
	if _, err := parseJWKS([]byte(`not json`)); err == nil {
		t.Fatal("non-JSON JWKS accepted")
	}
}

func TestKeySetIgnoresSmallKey(t *testing.T) {
	k := sgidtest.TestKeys()
	s := newJWKSServer(t, jwksBody(t, sgidtest.JWK(k.Small, "small"), sgidtest.JWK(k.Sign, "a")))
	ks := newTestKeySet(s, newTestClock())
	if _, err := ks.VerifySignature(context.Background(), tokenBy(t, k.Small, "small")); ReasonOf(err) != ReasonIDTokenInvalid {
		t.Fatalf("token signed by a published 1024-bit key = %v, want %q", err, ReasonIDTokenInvalid)
	}
	if _, err := ks.VerifySignature(context.Background(), tokenBy(t, k.Sign, "a")); err != nil {
		t.Fatalf("2048-bit key beside it: %v", err)
	}

	only := newJWKSServer(t, jwksBody(t, sgidtest.JWK(k.Small, "small")))
	if err := newTestKeySet(only, newTestClock()).check(context.Background()); ReasonOf(err) != ReasonKeysUnavailable {
		t.Fatalf("JWKS with only a 1024-bit key: check = %v, want %q", err, ReasonKeysUnavailable)
	}
}

func TestKeySetNoKidTriesAllKeys(t *testing.T) {
	k := sgidtest.TestKeys()
	s := newJWKSServer(t, jwksBody(t, sgidtest.JWK(k.Sign, "a"), sgidtest.JWK(k.Sign2, "b")))
	ks := newTestKeySet(s, newTestClock())
	tok := sgidtest.SignWith(jose.RS256, k.Sign2, nil, map[string]any{"sub": "x"})
	if _, err := ks.VerifySignature(context.Background(), tok); err != nil {
		t.Fatalf("token without kid: %v", err)
	}
}
