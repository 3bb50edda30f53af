package mocksgid

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"regexp"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// codeGrant is what an authorization code stands for.
type codeGrant struct {
	clientID      string
	redirectURI   string
	codeChallenge string
	nonce         string
	scopes        []string
	personaID     string
	sub           string
	// used is set on the first redemption attempt; accessToken is the token
	// that attempt issued, revoked if the code is presented again.
	used        bool
	accessToken string
	// reused records a second presentation, so that a token still being
	// issued for the first one is refused rather than escaping revocation.
	reused bool
}

// accessGrant is what an access token stands for at userinfo.
type accessGrant struct {
	clientID  string
	personaID string
	sub       string
	scopes    []string
}

// tokenError is an RFC 6749 section 5.2 error response.
type tokenError struct {
	status      int
	code        string
	description string
}

// codeVerifierPattern is RFC 7636's code_verifier grammar.
var codeVerifierPattern = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

// dummySecret is compared against when the client is unknown so that the
// time taken does not reveal which client ids exist.
const dummySecret = "mocksgid-no-such-client-secret-00000000"

func (p *Provider) handleToken(w http.ResponseWriter, r *http.Request) {
	body, terr := p.exchange(w, r)
	if terr != nil {
		p.log.WarnContext(r.Context(), "mock sgid token refused", "error", terr.code, "error_description", terr.description)
		writeTokenError(w, terr)
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// exchange redeems a code for tokens, refusing anything sgID's documented
// contract does not allow.
func (p *Provider) exchange(w http.ResponseWriter, r *http.Request) (map[string]any, *tokenError) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, &tokenError{http.StatusBadRequest, "invalid_request", "the body must be application/x-www-form-urlencoded"}
	}
	if r.Header.Get("Authorization") != "" {
		// Only one client authentication method may be used, and sgID's is
		// client_secret_post; a client sending Basic is misconfigured.
		return nil, &tokenError{http.StatusBadRequest, "invalid_request", "client authentication must be client_secret_post (credentials in the body), not an Authorization header"}
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return nil, &tokenError{http.StatusBadRequest, "invalid_request", "the body could not be parsed"}
	}
	form := r.PostForm
	for name, vs := range form {
		if len(vs) > 1 {
			return nil, &tokenError{http.StatusBadRequest, "invalid_request", name + " is repeated"}
		}
	}
	if len(r.URL.Query()) > 0 {
		return nil, &tokenError{http.StatusBadRequest, "invalid_request", "parameters belong in the body, not the query string"}
	}

	client, ok := p.clients[form.Get("client_id")]
	want := dummySecret
	if ok {
		want = client.Secret
	}
	secretOK := subtle.ConstantTimeCompare([]byte(form.Get("client_secret")), []byte(want)) == 1
	if !ok || !secretOK {
		return nil, &tokenError{http.StatusUnauthorized, "invalid_client", "client authentication failed (unknown client_id or wrong client_secret)"}
	}

	switch gt := form.Get("grant_type"); {
	case gt == "":
		return nil, &tokenError{http.StatusBadRequest, "invalid_request", "grant_type is missing"}
	case gt != "authorization_code":
		return nil, &tokenError{http.StatusBadRequest, "unsupported_grant_type", "only authorization_code is supported"}
	}
	for _, name := range []string{"code", "redirect_uri", "code_verifier"} {
		if form.Get(name) == "" {
			return nil, &tokenError{http.StatusBadRequest, "invalid_request", name + " is missing"}
		}
	}
	verifier := form.Get("code_verifier")
	if !codeVerifierPattern.MatchString(verifier) {
		return nil, &tokenError{http.StatusBadRequest, "invalid_request", "code_verifier must be 43 to 128 characters of [A-Za-z0-9-._~]"}
	}

	now := p.now()
	grant, terr := p.redeem(r.Context(), form.Get("code"), now)
	if terr != nil {
		return nil, terr
	}
	// The code is spent from here on, even if a check below fails: a code
	// presented with the wrong verifier may have been stolen.
	switch {
	case grant.clientID != client.ID:
		return nil, &tokenError{http.StatusBadRequest, "invalid_grant", "the code was issued to another client"}
	case grant.redirectURI != form.Get("redirect_uri"):
		return nil, &tokenError{http.StatusBadRequest, "invalid_grant", "redirect_uri differs from the one in the authorize request"}
	case !pkceMatches(verifier, grant.codeChallenge):
		return nil, &tokenError{http.StatusBadRequest, "invalid_grant", "code_verifier does not match the code_challenge (S256)"}
	}

	idToken, err := p.signIDToken(grant, now)
	if err != nil {
		p.log.ErrorContext(r.Context(), "mock sgid sign id token", "error", err)
		return nil, &tokenError{http.StatusInternalServerError, "server_error", "could not sign the ID token"}
	}
	access := randomToken()
	p.mu.Lock()
	if grant.reused {
		p.mu.Unlock()
		return nil, &tokenError{http.StatusBadRequest, "invalid_grant", "the code has already been used"}
	}
	p.tokens.put(access, &accessGrant{clientID: grant.clientID, personaID: grant.personaID, sub: grant.sub, scopes: grant.scopes}, now.Add(accessTokenTTL), now)
	grant.accessToken = access
	p.mu.Unlock()
	p.log.InfoContext(r.Context(), "mock sgid tokens issued", "client_id", client.ID, "sub", grant.sub)

	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	return map[string]any{
		"access_token": access,
		"token_type":   "Bearer",
		"expires_in":   int(accessTokenTTL / time.Second),
		"id_token":     idToken,
		"scope":        strings.Join(grant.scopes, " "),
	}, nil
}

// redeem marks a code used and returns its grant. A second presentation
// fails and, as RFC 6749 section 4.1.2 advises, revokes the access token the
// first one obtained, since one of the two presenters is an attacker.
func (p *Provider) redeem(ctx context.Context, code string, now time.Time) (*codeGrant, *tokenError) {
	p.mu.Lock()
	defer p.mu.Unlock()
	grant, ok := p.codes.get(code, now)
	if !ok {
		return nil, &tokenError{http.StatusBadRequest, "invalid_grant", "the code is unknown or has expired"}
	}
	if grant.used {
		grant.reused = true
		if grant.accessToken != "" {
			p.tokens.delete(grant.accessToken)
			grant.accessToken = ""
		}
		p.log.WarnContext(ctx, "mock sgid code reused; its access token is revoked", "client_id", grant.clientID)
		return nil, &tokenError{http.StatusBadRequest, "invalid_grant", "the code has already been used"}
	}
	grant.used = true
	// Keep the spent code as long as its token lives so that reuse is
	// still detected (and the token revoked) after the code's own expiry.
	p.codes.setExpiry(code, now.Add(accessTokenTTL))
	return grant, nil
}

// pkceMatches checks BASE64URL(SHA256(verifier)) == challenge in constant time.
func pkceMatches(verifier, challenge string) bool {
	sum := sha256.Sum256([]byte(verifier))
	got := base64.RawURLEncoding.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(got), []byte(challenge)) == 1
}

// idTokenClaims are the claims sgID puts in its ID token; sub is the only
// claim about the person.
type idTokenClaims struct {
	jwt.Claims
	Nonce string `json:"nonce,omitempty"`
}

func (p *Provider) signIDToken(grant *codeGrant, now time.Time) (string, error) {
	key, kid := p.currentKey()
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"),
	)
	if err != nil {
		return "", fmt.Errorf("mocksgid: new signer: %w", err)
	}
	claims := idTokenClaims{
		Claims: jwt.Claims{
			Issuer:   p.issuer,
			Subject:  grant.sub,
			Audience: jwt.Audience{grant.clientID},
			IssuedAt: jwt.NewNumericDate(now),
			Expiry:   jwt.NewNumericDate(now.Add(idTokenTTL)),
		},
		Nonce: grant.nonce,
	}
	tok, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		return "", fmt.Errorf("mocksgid: sign ID token: %w", err)
	}
	return tok, nil
}

func writeTokenError(w http.ResponseWriter, e *tokenError) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, e.status, map[string]string{"error": e.code, "error_description": e.description})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"error":"server_error"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
