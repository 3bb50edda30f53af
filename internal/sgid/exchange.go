package sgid

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"golang.org/x/oauth2"
)

// Identity is who sgID says logged in, plus what Userinfo needs.
type Identity struct {
	// Subject is the ID token's sub: sgID's pairwise, opaque user ID.
	Subject string
	// AccessToken authorises the userinfo call; keep it server-side.
	AccessToken   string
	IDTokenExpiry time.Time
}

// Exchange trades the authorization code for tokens, verifies the ID token
// (RS256 from the JWKS, issuer, audience, azp, exp/iat/nbf with leeway, sub)
// and checks its nonce against the one sent in the authorization request.
func (c *Client) Exchange(ctx context.Context, code, verifier, nonce string) (Identity, error) {
	if code == "" {
		return Identity{}, fail(ReasonTokenRejected, errors.New("no authorization code"))
	}
	if verifier == "" {
		return Identity{}, fail(ReasonTokenRejected, errors.New("no PKCE verifier for this login"))
	}
	if nonce == "" {
		return Identity{}, fail(ReasonNonceMismatch, errors.New("no nonce was recorded for this login"))
	}

	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	tok, err := c.oauth.Exchange(context.WithValue(ctx, oauth2.HTTPClient, c.http), code, oauth2.VerifierOption(verifier))
	if err != nil {
		return Identity{}, classifyTokenError(ctx, err)
	}
	rawID, _ := tok.Extra("id_token").(string)
	if rawID == "" {
		return Identity{}, fail(ReasonTokenUpstream, errors.New("token response has no id_token"))
	}

	vctx, keyErr := withKeyFailure(ctx)
	idt, err := c.verifier.Verify(vctx, rawID)
	if err != nil {
		if keyErr.err != nil {
			return Identity{}, keyErr.err
		}
		// go-oidc's messages name claim values (issuer, audience) but never
		// the token itself, so they are safe to keep.
		return Identity{}, fail(ReasonIDTokenInvalid, err)
	}

	var claims struct {
		Sub   *string         `json:"sub"`
		Exp   *json.Number    `json:"exp"`
		Iat   *json.Number    `json:"iat"`
		Azp   *string         `json:"azp"`
		Nonce *string         `json:"nonce"`
		Aud   json.RawMessage `json:"aud"`
	}
	if err := idt.Claims(&claims); err != nil {
		return Identity{}, fail(ReasonIDTokenInvalid, errors.New("ID token claims are not a JSON object of the expected shape"))
	}
	switch {
	case claims.Sub == nil || *claims.Sub == "":
		return Identity{}, fail(ReasonIDTokenInvalid, errors.New("ID token has no sub"))
	case claims.Exp == nil:
		return Identity{}, fail(ReasonIDTokenInvalid, errors.New("ID token has no exp"))
	case claims.Iat == nil:
		return Identity{}, fail(ReasonIDTokenInvalid, errors.New("ID token has no iat"))
	}
	now := c.now()
	if idt.Expiry.Add(c.leeway).Before(now) {
		return Identity{}, fail(ReasonIDTokenInvalid, fmt.Errorf("ID token expired at %s", idt.Expiry.UTC().Format(time.RFC3339)))
	}
	if idt.IssuedAt.After(now.Add(c.leeway)) {
		return Identity{}, fail(ReasonIDTokenInvalid, fmt.Errorf("ID token issued in the future (%s)", idt.IssuedAt.UTC().Format(time.RFC3339)))
	}
	if nbf, ok, err := notBefore(idt); err != nil || (ok && nbf.After(now.Add(c.leeway))) {
		return Identity{}, fail(ReasonIDTokenInvalid, errors.New("ID token not yet valid (nbf)"))
	}
	// OIDC Core 3.1.3.7: with several audiences the token must name us as
	// the authorised party; go-oidc leaves azp to the caller.
	if len(idt.Audience) > 1 && (claims.Azp == nil || *claims.Azp != c.clientID) {
		return Identity{}, fail(ReasonIDTokenInvalid, errors.New("ID token has several audiences and azp is not this client"))
	}
	if claims.Azp != nil && *claims.Azp != c.clientID {
		return Identity{}, fail(ReasonIDTokenInvalid, errors.New("ID token azp is another client"))
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return Identity{}, fail(ReasonIDTokenInvalid, errors.New("ID token at_hash does not match the access token"))
		}
	}
	if claims.Nonce == nil || *claims.Nonce == "" {
		return Identity{}, fail(ReasonNonceMismatch, errors.New("ID token has no nonce"))
	}
	if subtle.ConstantTimeCompare([]byte(*claims.Nonce), []byte(nonce)) != 1 {
		return Identity{}, fail(ReasonNonceMismatch, errors.New("ID token nonce differs from the one sent"))
	}
	return Identity{Subject: idt.Subject, AccessToken: tok.AccessToken, IDTokenExpiry: idt.Expiry}, nil
}

// notBefore reads the optional nbf claim, which go-oidc only checks
// together with exp (and without our leeway).
func notBefore(idt interface{ Claims(any) error }) (time.Time, bool, error) {
	var c struct {
		Nbf *json.Number `json:"nbf"`
	}
	if err := idt.Claims(&c); err != nil || c.Nbf == nil {
		return time.Time{}, false, err
	}
	f, err := c.Nbf.Float64()
	if err != nil {
		return time.Time{}, false, err
	}
	return time.Unix(int64(f), 0), true, nil
}

// oauthErrorCode matches RFC 6749 error codes; anything else the provider
// puts in "error" is left out of our messages.
var oauthErrorCode = regexp.MustCompile(`^[a-z_]{1,64}$`)

// classifyTokenError maps an x/oauth2 Exchange failure to a Reason without
// keeping the provider's response body, which could echo the code.
func classifyTokenError(ctx context.Context, err error) error {
	if isTimeout(ctx, err) {
		return fail(ReasonTimeout, errors.New("token request timed out"))
	}
	if errors.Is(err, errBodyTooLarge) {
		return fail(ReasonTokenUpstream, fmt.Errorf("token response: %w", errBodyTooLarge))
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		detail := fmt.Sprintf("token endpoint answered status %d", status)
		if oauthErrorCode.MatchString(re.ErrorCode) {
			detail += " error " + re.ErrorCode
		}
		rejected := (status >= 400 && status < 500) || (status >= 200 && status < 300 && re.ErrorCode != "")
		// 408 and 429 are sgID being slow or busy, not a refusal of the code.
		if rejected && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests {
			return fail(ReasonTokenRejected, errors.New(detail))
		}
		return fail(ReasonTokenUpstream, errors.New(detail))
	}
	return fail(ReasonTokenUpstream, fmt.Errorf("token request: %s", safeTransportError(err)))
}
