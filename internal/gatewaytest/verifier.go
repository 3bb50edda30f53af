// Package gatewaytest is what the tests of a guarded app share: an app that
// echoes what it receives and checks X-Sgid-Assertion as the README tells
// an upstream to, a person whose browser keeps cookies and logs in through
// the embedded mock sgID's pages, and the scenario every setup must pass
// (the built-in proxy, nginx, Caddy).
package gatewaytest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Verifier checks an X-Sgid-Assertion against the key set sgidweb publishes
// at {BASE_PATH}.well-known/jwks.json. It is the README's upstream sample.
type Verifier struct {
	JWKSURL string // e.g. https://app.example.gov.sg/sgid/.well-known/jwks.json
	Issuer  string // PUBLIC_URL + BASE_PATH, e.g. https://app.example.gov.sg/sgid/
	Client  *http.Client

	mu   sync.Mutex
	keys jose.JSONWebKeySet
}

// Verify returns the person's sgID subject and every claim (the shared data
// under sgID's names, such as "myinfo.name") of a valid assertion.
func (v *Verifier) Verify(ctx context.Context, assertion string) (string, map[string]any, error) {
	token, err := jwt.ParseSigned(assertion, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return "", nil, err
	}
	keys, err := v.keysFor(ctx, token.Headers[0].KeyID)
	if err != nil {
		return "", nil, err
	}
	var std jwt.Claims
	var all map[string]any
	if err := token.Claims(keys, &std, &all); err != nil {
		return "", nil, err
	}
	if err := std.ValidateWithLeeway(jwt.Expected{Issuer: v.Issuer, Time: time.Now()}, 30*time.Second); err != nil {
		return "", nil, err
	}
	if std.Subject == "" || std.Expiry == nil {
		return "", nil, errors.New("assertion without sub or exp")
	}
	return std.Subject, all, nil
}

// keysFor returns the key set, fetched again when it lacks kid (sgidweb
// got a new GATEWAY_SIGNING_KEY).
func (v *Verifier) keysFor(ctx context.Context, kid string) (jose.JSONWebKeySet, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.keys.Key(kid)) > 0 {
		return v.keys, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.JWKSURL, nil)
	if err != nil {
		return jose.JSONWebKeySet{}, err
	}
	client := v.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	res, err := client.Do(req)
	if err != nil {
		return jose.JSONWebKeySet{}, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return jose.JSONWebKeySet{}, fmt.Errorf("key set: %s", res.Status)
	}
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(res.Body).Decode(&set); err != nil {
		return jose.JSONWebKeySet{}, err
	}
	v.keys = set
	return set, nil
}
