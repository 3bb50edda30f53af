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
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/sgidweb/sgidweb/internal/sgidtest"
)

// The tests here never move a clock and never sleep: sgID may rotate its
// key at any moment, including right after this server fetched the JWKS,
// and the next login must still work.

// loginOnce runs one whole login against p and returns Exchange's error.
func loginOnce(t *testing.T, p *sgidtest.Provider, c *Client) error {
	t.Helper()
	_, err := startLogin(t, p, c, nil).exchange(t, c)
	return err
}

// jwksDown makes the provider's JWKS endpoint answer 503.
func jwksDown(p *sgidtest.Provider) {
	p.SetFaults(sgidtest.Faults{JWKS: func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}})
}

func TestRotationRightAfterALogin(t *testing.T) {
	p := newProvider(t)
	c := newClient(t, p)
	if err := loginOnce(t, p, c); err != nil {
		t.Fatalf("first login: %v", err)
	}
	p.Rotate()
	if err := loginOnce(t, p, c); err != nil {
		t.Fatalf("login right after sgID rotated its key: %v", err)
	}
	if n := p.JWKSFetches.Load(); n != 2 {
		t.Errorf("JWKS fetched %d times, want 2 (the first login, then the unknown kid)", n)
	}
}

func TestRotationKeepingTheKid(t *testing.T) {
	p := newProvider(t)
	c := newClient(t, p)
	if err := loginOnce(t, p, c); err != nil {
		t.Fatalf("first login: %v", err)
	}
	p.UseKey(sgidtest.TestKeys().Sign2, "sig-1")
	if err := loginOnce(t, p, c); err != nil {
		t.Fatalf("login after sgID put a new key under the same kid: %v", err)
	}
	if n := p.JWKSFetches.Load(); n != 2 {
		t.Errorf("JWKS fetched %d times, want 2", n)
	}
}

func TestRotationToATokenWithoutKid(t *testing.T) {
	p := newProvider(t)
	c := newClient(t, p)
	if err := loginOnce(t, p, c); err != nil {
		t.Fatalf("first login: %v", err)
	}
	p.UseKey(sgidtest.TestKeys().Sign2, "")
	if err := loginOnce(t, p, c); err != nil {
		t.Fatalf("login with a token without kid, signed by a new key: %v", err)
	}
	if n := p.JWKSFetches.Load(); n != 2 {
		t.Errorf("JWKS fetched %d times, want 2", n)
	}
}

// TestRotationWhileAJWKSFetchFails: the refetch for a rotated key fails.
// That login is refused as a key not (yet) known, the cached keys survive
// the failure, and the next miss tries sgID again at once.
func TestRotationWhileAJWKSFetchFails(t *testing.T) {
	p := newProvider(t)
	c := newClient(t, p)
	if err := loginOnce(t, p, c); err != nil {
		t.Fatalf("first login: %v", err)
	}
	jwksDown(p)
	p.Rotate()
	err := loginOnce(t, p, c)
	if ReasonOf(err) != ReasonSigningKeyUnknown {
		t.Fatalf("rotated key while the JWKS is down = %v, want %q", err, ReasonSigningKeyUnknown)
	}
	if n := p.JWKSFetches.Load(); n != 2 {
		t.Fatalf("JWKS fetched %d times, want 2 (the first login, then the miss)", n)
	}

	// The cached key still verifies, without a fetch.
	k := sgidtest.TestKeys()
	p.UseKey(k.Sign, "sig-1")
	if err := loginOnce(t, p, c); err != nil {
		t.Fatalf("login with the cached key after a failed fetch: %v", err)
	}
	if n := p.JWKSFetches.Load(); n != 2 {
		t.Fatalf("JWKS fetched %d times for a cached key, want still 2", n)
	}

	p.SetFaults(sgidtest.Faults{})
	p.Rotate()
	if err := loginOnce(t, p, c); err != nil {
		t.Fatalf("login with the rotated key once the JWKS answers again: %v", err)
	}
	if n := p.JWKSFetches.Load(); n != 3 {
		t.Errorf("JWKS fetched %d times, want 3", n)
	}
}

// TestJWKSRecoveryIsUsedAtTheNextLogin: with nothing cached and the JWKS
// down, logins fail as keys_unavailable; the first login after the JWKS
// comes back fetches it, however soon that is.
func TestJWKSRecoveryIsUsedAtTheNextLogin(t *testing.T) {
	p := newProvider(t)
	c := newClient(t, p)
	jwksDown(p)
	if err := loginOnce(t, p, c); ReasonOf(err) != ReasonKeysUnavailable {
		t.Fatalf("login with the JWKS down and nothing cached = %v, want %q", err, ReasonKeysUnavailable)
	}
	if err := c.RefreshKeys(context.Background()); ReasonOf(err) != ReasonKeysUnavailable {
		t.Fatalf("RefreshKeys with the JWKS down = %v, want %q", err, ReasonKeysUnavailable)
	}
	p.SetFaults(sgidtest.Faults{})
	if err := loginOnce(t, p, c); err != nil {
		t.Fatalf("login right after the JWKS came back: %v", err)
	}
}

// A key sgID stopped publishing stops verifying at the next refresh, even
// when no token has missed the cache in between.
func TestRefreshDropsAWithdrawnKey(t *testing.T) {
	p := newProvider(t)
	c := newClient(t, p)
	if err := loginOnce(t, p, c); err != nil {
		t.Fatalf("first login: %v", err)
	}
	p.Rotate()
	if err := c.RefreshKeys(context.Background()); err != nil {
		t.Fatalf("RefreshKeys: %v", err)
	}
	fetches := p.JWKSFetches.Load()
	k := sgidtest.TestKeys()
	p.UseKey(k.Sign, "sig-1") // signs with the withdrawn key, but publishes it again only when fetched
	jwksDown(p)
	if err := loginOnce(t, p, c); ReasonOf(err) != ReasonSigningKeyUnknown {
		t.Fatalf("token signed by a withdrawn key = %v, want %q", err, ReasonSigningKeyUnknown)
	}
	if n := p.JWKSFetches.Load(); n != fetches+1 {
		t.Errorf("the miss made %d fetches, want 1", n-fetches)
	}
}

// waitSpy is a context that reports the first time somebody waits on it:
// a key set caller does so only while it waits for a JWKS fetch.
type waitSpy struct {
	context.Context
	once    sync.Once
	waiting chan<- struct{}
}

func (s *waitSpy) Done() <-chan struct{} {
	s.once.Do(func() { s.waiting <- struct{}{} })
	return s.Context.Done()
}

// verifyTogether verifies token from n goroutines at once while the JWKS
// endpoint is held back, releases it only when every caller waits for a
// fetch (or has already returned), and reports how many failed.
func verifyTogether(t *testing.T, p *sgidtest.Provider, ks *keySet, token string, n int, publish []jose.JSONWebKey) (failed int) {
	t.Helper()
	release := make(chan struct{})
	p.SetFaults(sgidtest.Faults{JWKS: func(w http.ResponseWriter, _ *http.Request) {
		<-release
		sgidtest.WriteJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: publish})
	}})
	waiting := make(chan struct{}, n)
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := ks.VerifySignature(&waitSpy{Context: context.Background(), waiting: waiting}, token)
			errs <- err
		}()
	}
	var results []error
	for waited := 0; waited+len(results) < n; {
		select {
		case <-waiting:
			waited++
		case err := <-errs:
			results = append(results, err)
		}
	}
	close(release)
	for len(results) < n {
		results = append(results, <-errs)
	}
	for _, err := range results {
		if err != nil {
			failed++
		}
	}
	return failed
}

func TestConcurrentMissesJoinOneFetch(t *testing.T) {
	k := sgidtest.TestKeys()
	p := newProvider(t)
	ks := newTestKeySet(p)
	if _, err := ks.VerifySignature(context.Background(), tokenBy(k.Sign, "sig-1")); err != nil {
		t.Fatalf("warm-up: %v", err)
	}
	const n = 20
	failed := verifyTogether(t, p, ks, tokenBy(k.Sign2, "sig-2"), n, []jose.JSONWebKey{sgidtest.JWK(k.Sign2, "sig-2")})
	if failed != 0 {
		t.Errorf("%d of %d verifications of the rotated key failed", failed, n)
	}
	if got := p.JWKSFetches.Load(); got != 2 {
		t.Errorf("%d concurrent misses made %d fetches, want 1 (after the warm-up's)", n, got-1)
	}
}

func TestColdStartJoinsOneFetch(t *testing.T) {
	k := sgidtest.TestKeys()
	p := newProvider(t)
	ks := newTestKeySet(p)
	const n = 20
	failed := verifyTogether(t, p, ks, tokenBy(k.Sign, "sig-1"), n, []jose.JSONWebKey{sgidtest.JWK(k.Sign, "sig-1")})
	if failed != 0 || p.JWKSFetches.Load() != 1 {
		t.Fatalf("%d concurrent cold verifications: %d failed, %d fetches; want 0 and 1", n, failed, p.JWKSFetches.Load())
	}
}

// A login that joins a fetch which started before sgID rotated gets the old
// keys from it; its miss refetches rather than failing.
func TestAMissAfterJoiningAnOlderFetchRefetches(t *testing.T) {
	k := sgidtest.TestKeys()
	p := newProvider(t)
	ks := newTestKeySet(p)
	arrived, release := make(chan struct{}), make(chan struct{})
	var first sync.Once
	p.SetFaults(sgidtest.Faults{JWKS: func(w http.ResponseWriter, _ *http.Request) {
		publish := sgidtest.JWK(k.Sign2, "sig-2")
		first.Do(func() {
			publish = sgidtest.JWK(k.Sign, "sig-1") // what sgID served before it rotated
			close(arrived)
			<-release
		})
		sgidtest.WriteJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{publish}})
	}})
	refreshed := make(chan error, 1)
	go func() { refreshed <- ks.refresh(context.Background()) }()
	<-arrived

	waiting := make(chan struct{}, 1)
	verified := make(chan error, 1)
	go func() {
		_, err := ks.VerifySignature(&waitSpy{Context: context.Background(), waiting: waiting}, tokenBy(k.Sign2, "sig-2"))
		verified <- err
	}()
	select {
	case <-waiting:
	case err := <-verified:
		t.Fatalf("the login did not join the fetch in flight: %v", err)
	}
	close(release)
	if err := <-refreshed; err != nil {
		t.Fatalf("the older fetch: %v", err)
	}
	if err := <-verified; err != nil {
		t.Fatalf("login with the rotated key after joining an older fetch: %v", err)
	}
	if n := p.JWKSFetches.Load(); n != 2 {
		t.Errorf("JWKS fetched %d times, want 2", n)
	}
}

func TestServesTheCacheWhileTheJWKSIsDown(t *testing.T) {
	k := sgidtest.TestKeys()
	p := newProvider(t)
	ks := newTestKeySet(p)
	if _, err := ks.VerifySignature(context.Background(), tokenBy(k.Sign, "sig-1")); err != nil {
		t.Fatalf("warm-up: %v", err)
	}
	jwksDown(p)
	if err := ks.refresh(context.Background()); err == nil {
		t.Fatal("refresh against a JWKS answering 503 succeeded")
	}
	if _, err := ks.VerifySignature(context.Background(), tokenBy(k.Sign, "sig-1")); err != nil {
		t.Fatalf("cached key refused after a failed refresh: %v", err)
	}
}

// A JWKS answering 200 with no usable key is a failed fetch too: it must
// not replace the keys that work.
func TestAJWKSWithNoUsableKeyKeepsTheCache(t *testing.T) {
	k := sgidtest.TestKeys()
	p := newProvider(t)
	ks := newTestKeySet(p)
	if _, err := ks.VerifySignature(context.Background(), tokenBy(k.Sign, "sig-1")); err != nil {
		t.Fatalf("warm-up: %v", err)
	}
	p.SetFaults(sgidtest.Faults{JWKS: func(w http.ResponseWriter, _ *http.Request) {
		sgidtest.WriteJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{sgidtest.JWK(k.Small, "small")}})
	}})
	if err := ks.refresh(context.Background()); err == nil {
		t.Fatal("a JWKS holding only a 1024-bit key was taken as a successful fetch")
	}
	if _, err := ks.VerifySignature(context.Background(), tokenBy(k.Sign, "sig-1")); err != nil {
		t.Fatalf("cached key refused after a JWKS with no usable key: %v", err)
	}
}

func TestStalledJWKSIsBoundedByTheTimeout(t *testing.T) {
	p := newProvider(t)
	release := make(chan struct{})
	defer close(release)
	p.SetFaults(sgidtest.Faults{JWKS: func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}})
	c := newClient(t, p, func(cfg *Config) { cfg.Timeout = 100 * time.Millisecond })
	start := time.Now()
	err := c.RefreshKeys(context.Background())
	if ReasonOf(err) != ReasonKeysUnavailable || time.Since(start) > 2*time.Second {
		t.Fatalf("RefreshKeys against a stalled JWKS = %v after %v; want %q within the timeout", err, time.Since(start), ReasonKeysUnavailable)
	}
}

func TestKeysUnder2048BitsAreRefused(t *testing.T) {
	k := sgidtest.TestKeys()
	p := newProvider(t)
	c := newClient(t, p)
	publish := func(keys ...jose.JSONWebKey) {
		p.SetFaults(sgidtest.Faults{JWKS: func(w http.ResponseWriter, _ *http.Request) {
			sgidtest.WriteJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: keys})
		}})
	}
	p.UseKey(k.Small, "small")
	publish(sgidtest.JWK(k.Small, "small"))
	if err := loginOnce(t, p, c); ReasonOf(err) != ReasonKeysUnavailable {
		t.Fatalf("JWKS with only a 1024-bit key: login = %v, want %q", err, ReasonKeysUnavailable)
	}
	publish(sgidtest.JWK(k.Sign, "sig-1"), sgidtest.JWK(k.Small, "small"))
	if err := loginOnce(t, p, c); ReasonOf(err) != ReasonSigningKeyUnknown {
		t.Fatalf("token signed by a published 1024-bit key = %v, want %q", err, ReasonSigningKeyUnknown)
	}
	p.UseKey(k.Sign, "sig-1")
	if err := loginOnce(t, p, c); err != nil {
		t.Fatalf("the 2048-bit key beside it: %v", err)
	}
}

func TestKeySetNoKidTriesAllKeys(t *testing.T) {
	k := sgidtest.TestKeys()
	p := newProvider(t)
	p.SetFaults(sgidtest.Faults{JWKS: func(w http.ResponseWriter, _ *http.Request) {
		sgidtest.WriteJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{sgidtest.JWK(k.Sign, "a"), sgidtest.JWK(k.Sign2, "b")}})
	}})
	ks := newTestKeySet(p)
	tok := sgidtest.SignWith(jose.RS256, k.Sign2, nil, map[string]any{"sub": "x"})
	if _, err := ks.VerifySignature(context.Background(), tok); err != nil {
		t.Fatalf("token without kid: %v", err)
	}
	if n := p.JWKSFetches.Load(); n != 1 {
		t.Errorf("JWKS fetched %d times, want 1", n)
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

func tokenBy(key *rsa.PrivateKey, kid string) string {
	return sgidtest.SignWith(jose.RS256, key, map[string]any{"kid": kid}, map[string]any{"sub": "x"})
}

func newTestKeySet(p *sgidtest.Provider) *keySet {
	return newKeySet(p.JWKSURL(), buildHTTPClient(nil, Config{Timeout: 2 * time.Second}), 2*time.Second, nil)
}
