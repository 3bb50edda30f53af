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

// Key set timing. sgID's official SDK refetches its JWKS at most once a minute;
// keyRefetchWindow matches that so a stream of forged tokens with random kids
// cannot make us hammer sgID. emptyRetryWindow is shorter because with no keys
// cached every login fails until a fetch succeeds. keyMaxAge bounds how long a
// key sgID has withdrawn can still be trusted while no unknown kid shows up.
const (
	keyRefetchWindow = 60 * time.Second
	emptyRetryWindow = 5 * time.Second
	keyMaxAge        = time.Hour
)

// keySet is the oidc.KeySet behind the ID token verifier. It only ever uses
// keys from the configured JWKS URL (never jku, x5u or an embedded jwk), keeps
// only RSA signing keys of at least 2048 bits, refetches on an unknown kid at
// most once per keyRefetchWindow with concurrent callers sharing one fetch,
// and keeps serving its cache while the JWKS is unreachable.
type keySet struct {
	url     string
	client  *http.Client
	timeout time.Duration
	now     func() time.Time

	mu          sync.Mutex
	keys        []jose.JSONWebKey
	lastAttempt time.Time // start of the most recent fetch, successful or not
	lastSuccess time.Time
	lastErr     error
	inflight    *keyFetch
}

// keyFetch is one JWKS download that every concurrent caller waits on.
type keyFetch struct {
	done chan struct{}
	err  error
}

func newKeySet(url string, client *http.Client, timeout time.Duration, now func() time.Time) *keySet {
	return &keySet{url: url, client: client, timeout: timeout, now: now}
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

	keys, err := s.usableKeys(ctx)
	if err != nil {
		return nil, s.report(ctx, err)
	}
	payload, known := verifyWith(jws, kid, keys)
	if payload != nil {
		return payload, nil
	}
	if known {
		// A key we hold under that kid failed: a bad signature, not a
		// rotation, so refetching would only help a forger probe us.
		return nil, s.report(ctx, fail(ReasonIDTokenInvalid, errNoMatchingKey))
	}
	// Unknown kid (or no kid and no key fits): sgID may have rotated keys.
	// The error is dropped because the cached keys remain authoritative.
	_ = s.refresh(ctx)
	if payload, _ := verifyWith(jws, kid, s.cached()); payload != nil {
		return payload, nil
	}
	return nil, s.report(ctx, fail(ReasonIDTokenInvalid, errNoMatchingKey))
}

// verifyWith tries each key whose kid matches (all keys when the token has
// no kid). known reports whether some key had the token's (non-empty) kid.
func verifyWith(jws *jose.JSONWebSignature, kid string, keys []jose.JSONWebKey) (payload []byte, known bool) {
	for _, k := range keys {
		if kid != "" && k.KeyID != kid {
			continue
		}
		if kid != "" {
			known = true
		}
		if p, err := jws.Verify(k.Key); err == nil {
			return p, known
		}
	}
	return nil, known
}

// usableKeys returns the cached keys, fetching first when the cache is empty
// or old. It fails only when, after that, there are no keys at all.
func (s *keySet) usableKeys(ctx context.Context) ([]jose.JSONWebKey, error) {
	s.mu.Lock()
	stale := len(s.keys) == 0 || s.now().Sub(s.lastSuccess) > keyMaxAge
	s.mu.Unlock()
	var fetchErr error
	if stale {
		fetchErr = s.refresh(ctx)
	}
	keys := s.cached()
	if len(keys) > 0 {
		return keys, nil
	}
	if fetchErr == nil {
		fetchErr = errors.New("JWKS not fetched yet")
	}
	if isTimeout(ctx, fetchErr) && ctx.Err() != nil {
		return nil, fail(ReasonTimeout, fmt.Errorf("waiting for JWKS: %w", fetchErr))
	}
	return nil, fail(ReasonKeysUnavailable, fetchErr)
}

func (s *keySet) cached() []jose.JSONWebKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keys
}

// check is CheckKeys, the readiness test: it succeeds only when the JWKS
// answered within the last keyRefetchWindow (fetching now if it is older),
// so a probe never calls sgID more than once a window. It is stricter than
// verification on purpose: an instance that cannot reach sgID's keys is not
// ready, even though cached keys still verify logins already under way.
func (s *keySet) check(ctx context.Context) error {
	s.mu.Lock()
	fresh := len(s.keys) > 0 && s.now().Sub(s.lastSuccess) <= keyRefetchWindow
	s.mu.Unlock()
	if fresh {
		return nil
	}
	err := s.refresh(ctx)
	if err == nil && len(s.cached()) == 0 {
		err = errors.New("JWKS holds no usable key")
	}
	if err == nil {
		return nil
	}
	if isTimeout(ctx, err) && ctx.Err() != nil {
		return fail(ReasonTimeout, fmt.Errorf("waiting for JWKS: %w", err))
	}
	return fail(ReasonKeysUnavailable, err)
}

// refresh fetches the JWKS unless a fetch started within the refetch window,
// joining a fetch already in flight. It returns the error of the fetch it
// waited on, or of the last one when it is too early to try again.
func (s *keySet) refresh(ctx context.Context) error {
	s.mu.Lock()
	call := s.inflight
	if call == nil {
		window := keyRefetchWindow
		if len(s.keys) == 0 {
			window = emptyRetryWindow
		}
		now := s.now()
		if !s.lastAttempt.IsZero() && now.Sub(s.lastAttempt) < window {
			err := s.lastErr
			s.mu.Unlock()
			return err
		}
		call = &keyFetch{done: make(chan struct{})}
		s.inflight = call
		s.lastAttempt = now
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

	s.mu.Lock()
	if err == nil {
		s.keys = keys
		s.lastSuccess = s.now()
	}
	s.lastErr = err
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
