package sgid

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// keySet is the oidc.KeySet behind the ID token verifier. It only ever uses
// keys from the configured JWKS URL (never jku, x5u or an embedded jwk) and
// keeps only RSA signing keys of at least 2048 bits.
//
// It follows sgID's key rotations without a clock: any verification miss
// (an unknown kid, a known kid whose key fails, no kid and no key fits)
// refetches the JWKS once, joining a fetch already in flight, and a fetch
// that fails leaves the cached keys in place. Nothing throttles refetches:
// ID tokens reach us only from sgID's token endpoint, over a call
// authenticated by our client secret and PKCE, so nobody else can make us
// refetch, while a throttle fails every login for its length after a
// rotation (sgID's TypeScript SDK waits up to a minute).
//
// go-oidc's RemoteKeySet behaves the same on a miss, but its cache can only
// be renewed by a miss: a key sgID withdrew would verify for as long as
// tokens kept naming it. refresh lets the server's periodic refresh drop it
// (TestRefreshDropsAWithdrawnKey).
type keySet struct {
	url      string
	client   *http.Client
	timeout  time.Duration
	observer Observer // nil: nobody is told about fetches

	mu       sync.Mutex
	keys     []jose.JSONWebKey
	inflight *keyFetch
}

// keyFetch is one JWKS download that every concurrent caller waits on.
type keyFetch struct {
	done chan struct{}
	err  error
}

func newKeySet(url string, client *http.Client, timeout time.Duration, observer Observer) *keySet {
	return &keySet{url: url, client: client, timeout: timeout, observer: observer}
}

// keyFailureKey carries a *keyFailure through go-oidc, whose verifier flattens
// KeySet errors to text: Exchange reads the classified error back from it.
type keyFailureKey struct{}

type keyFailure struct{ err error }

func withKeyFailure(ctx context.Context) (context.Context, *keyFailure) {
	f := &keyFailure{}
	return context.WithValue(ctx, keyFailureKey{}, f), f
}

func (s *keySet) report(ctx context.Context, err error) error {
	if f, ok := ctx.Value(keyFailureKey{}).(*keyFailure); ok {
		f.err = err
	}
	return err
}

var errNoMatchingKey = errors.New("no JWKS key verifies the ID token signature")

// VerifySignature implements oidc.KeySet.
func (s *keySet) VerifySignature(ctx context.Context, rawJWT string) ([]byte, error) {
	// go-oidc has already refused other algorithms; parsing with RS256 alone
	// keeps this key set safe even if used on its own.
	jws, err := jose.ParseSignedCompact(rawJWT, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return nil, s.report(ctx, fail(ReasonIDTokenInvalid, fmt.Errorf("parse ID token: %w", err)))
	}
	// Compact serialisation always holds exactly one signature.
	kid := jws.Signatures[0].Header.KeyID

	keys := s.cached()
	if len(keys) == 0 {
		// Nothing cached: the first login, or every fetch so far failed.
		if err := s.refresh(ctx); err != nil {
			return nil, s.report(ctx, keysUnavailable(ctx, err))
		}
		keys = s.cached()
	}
	if payload := verifyWith(jws, kid, keys); payload != nil {
		return payload, nil
	}
	// A miss: sgID may have rotated its key since the fetch behind these
	// keys (which may be one this call joined, started before the rotation).
	detail := errNoMatchingKey
	if err := s.refresh(ctx); err != nil {
		if isTimeout(ctx, err) && ctx.Err() != nil {
			return nil, s.report(ctx, fail(ReasonTimeout, fmt.Errorf("refetching JWKS: %w", err)))
		}
		detail = fmt.Errorf("%w, and refetching the JWKS failed: %w", errNoMatchingKey, err)
	}
	if payload := verifyWith(jws, kid, s.cached()); payload != nil {
		return payload, nil
	}
	return nil, s.report(ctx, fail(ReasonSigningKeyUnknown, detail))
}

// verifyWith tries each key whose kid matches (all keys when the token has
// no kid) and returns the payload of the first that verifies, or nil.
func verifyWith(jws *jose.JSONWebSignature, kid string, keys []jose.JSONWebKey) []byte {
	for _, k := range keys {
		if kid != "" && k.KeyID != kid {
			continue
		}
		if p, err := jws.Verify(k.Key); err == nil {
			return p
		}
	}
	return nil
}

// keysUnavailable classifies a failed fetch when no keys are cached: the
// caller's own deadline passing is a timeout, anything else sgID's fault.
func keysUnavailable(ctx context.Context, err error) error {
	if isTimeout(ctx, err) && ctx.Err() != nil {
		return fail(ReasonTimeout, fmt.Errorf("waiting for JWKS: %w", err))
	}
	return fail(ReasonKeysUnavailable, err)
}

func (s *keySet) cached() []jose.JSONWebKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keys
}

// refresh fetches the JWKS, or joins the fetch already in flight, and
// returns that fetch's error. A successful fetch replaces the cached keys;
// a failed one leaves them.
func (s *keySet) refresh(ctx context.Context) error {
	s.mu.Lock()
	call := s.inflight
	if call == nil {
		call = &keyFetch{done: make(chan struct{})}
		s.inflight = call
		// The fetch outlives a caller that gives up, because others may be
		// waiting on it; its own timeout bounds it.
		go s.fetch(context.WithoutCancel(ctx), call)
	}
	s.mu.Unlock()

	select {
	case <-call.done:
		return call.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *keySet) fetch(ctx context.Context, call *keyFetch) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	keys, err := s.download(ctx)
	if s.observer != nil {
		s.observer.ObserveFetch(FetchResult{Fetch: FetchJWKS, OK: err == nil})
	}

	s.mu.Lock()
	if err == nil {
		s.keys = keys
	}
	s.inflight = nil
	s.mu.Unlock()

	call.err = err
	close(call.done)
}

func (s *keySet) download(ctx context.Context) ([]jose.JSONWebKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return nil, fmt.Errorf("build JWKS request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch JWKS: status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read JWKS: %w", err)
	}
	keys, err := parseJWKS(body)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, errors.New("JWKS holds no RS256 signing key of 2048 bits or more")
	}
	return keys, nil
}

// parseJWKS keeps the public RSA signing keys of at least minRSABits and
// silently skips every other entry, as RFC 7517 section 5 asks of keys a
// client does not understand.
func parseJWKS(body []byte) ([]jose.JSONWebKey, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, errors.New("JWKS is not a JSON key set")
	}
	var keys []jose.JSONWebKey
	for _, raw := range set.Keys {
		var meta struct {
			Kty string          `json:"kty"`
			Use string          `json:"use"`
			Alg string          `json:"alg"`
			D   json.RawMessage `json:"d"`
		}
		if json.Unmarshal(raw, &meta) != nil || meta.Kty != "RSA" || meta.D != nil {
			continue
		}
		if (meta.Use != "" && meta.Use != "sig") || (meta.Alg != "" && meta.Alg != string(jose.RS256)) {
			continue
		}
		var k jose.JSONWebKey
		if k.UnmarshalJSON(raw) != nil {
			continue
		}
		pub, ok := k.Key.(*rsa.PublicKey)
		if !ok || pub.N.BitLen() < minRSABits {
			continue
		}
		keys = append(keys, k)
	}
	return keys, nil
}
