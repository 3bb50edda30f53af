package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// AssertionLifetime is how long an assertion is valid after it is made. The
// upstream checks it as the request arrives, so minutes only allow for
// clocks that disagree; a copy that leaks into a log is soon worthless.
const AssertionLifetime = 5 * time.Minute

// assertionReuse is how long an assertion is handed out again for the
// same login: signing costs several times a page view, and a proxy asks
// before every request of the app. A reused assertion still has at least
// AssertionLifetime - assertionReuse to live.
const assertionReuse = time.Minute

// maxCachedAssertions bounds the reuse cache; when it is full it starts
// afresh, which costs one signature per person.
const maxCachedAssertions = 10000

// registeredClaims are the claim names the gateway sets itself; a data field
// of the same name (sgID's are all "api.field") is never allowed to replace
// them.
var registeredClaims = map[string]bool{"iss": true, "sub": true, "iat": true, "exp": true, "nbf": true, "aud": true, "jti": true, "auth_time": true}

// Assertions signs the identity assertion an upstream receives in
// X-Sgid-Assertion: a JWT (ES256) with iss, sub, iat, exp, auth_time and
// the shared data fields as claims under their sgID names.
type Assertions struct {
	key    *Key
	issuer string
	now    func() time.Time

	mu     sync.Mutex
	cached map[loginKey]cachedAssertion
}

// loginKey names one login: the data shared is fixed when it happens.
type loginKey struct {
	subject  string
	loggedIn int64
}

type cachedAssertion struct {
	token  string
	signed time.Time
}

// NewAssertions signs with key as issuer (PUBLIC_URL + BASE_PATH, the
// address under which the key set is published). now is the clock;
// time.Now when nil.
func NewAssertions(key *Key, issuer string, now func() time.Time) *Assertions {
	if now == nil {
		now = time.Now
	}
	return &Assertions{key: key, issuer: issuer, now: now, cached: map[loginKey]cachedAssertion{}}
}

// Issuer is the iss claim of every assertion.
func (a *Assertions) Issuer() string { return a.issuer }

// JWKS is the key set that verifies the assertions.
func (a *Assertions) JWKS() []byte { return a.key.JWKS() }

// Sign makes an assertion for id, or hands out the one made for the same
// login within the last minute.
func (a *Assertions) Sign(id Identity) (string, error) {
	if id.Subject == "" {
		return "", errors.New("gateway: assertion for an empty subject")
	}
	now := a.now()
	key := loginKey{subject: id.Subject, loggedIn: id.LoggedIn.UnixNano()}
	a.mu.Lock()
	c, ok := a.cached[key]
	a.mu.Unlock()
	if ok && !now.Before(c.signed) && now.Sub(c.signed) < assertionReuse {
		return c.token, nil
	}
	token, err := a.sign(id, now)
	if err != nil {
		return "", err
	}
	a.mu.Lock()
	if len(a.cached) >= maxCachedAssertions {
		clear(a.cached)
	}
	a.cached[key] = cachedAssertion{token: token, signed: now}
	a.mu.Unlock()
	return token, nil
}

func (a *Assertions) sign(id Identity, now time.Time) (string, error) {
	claims := make(map[string]any, len(id.Fields)+5)
	for name, value := range id.Fields {
		if !registeredClaims[name] {
			claims[name] = value
		}
	}
	claims["iss"] = a.issuer
	claims["sub"] = id.Subject
	claims["iat"] = now.Unix()
	claims["exp"] = now.Add(AssertionLifetime).Unix()
	if !id.LoggedIn.IsZero() {
		claims["auth_time"] = id.LoggedIn.Unix()
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("gateway: assertion claims: %w", err)
	}
	signed, err := a.key.signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("gateway: sign assertion: %w", err)
	}
	return signed.CompactSerialize()
}

// jwksMaxAge is how long caches may keep the key set: briefly, so that a
// new GATEWAY_SIGNING_KEY reaches upstreams soon after a restart.
const jwksMaxAge = "300"

// ServeJWKS answers GET {BASE_PATH}.well-known/jwks.json.
func (a *Assertions) ServeJWKS(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/jwk-set+json")
	h.Set("Cache-Control", "public, max-age="+jwksMaxAge)
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(a.JWKS())
	}
}
