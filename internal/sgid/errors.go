package sgid

import (
	"context"
	"errors"
	"net"
)

// Reason is a stable, loggable code for why an sgID step failed. The web layer
// picks a status and a page from it; the wrapped error carries the detail.
type Reason string

// Reasons a login can fail. They are snake_case so they can be logged as-is.
const (
	// ReasonTokenRejected: the token endpoint refused the code (4xx, e.g. invalid_grant).
	ReasonTokenRejected Reason = "token_rejected"
	// ReasonTokenUpstream: the token endpoint failed (5xx, non-JSON, oversized, tokens missing).
	ReasonTokenUpstream Reason = "token_upstream"
	// ReasonIDTokenInvalid: signature, alg, iss, aud, azp, exp, iat or sub checks failed.
	ReasonIDTokenInvalid Reason = "id_token_invalid"
	// ReasonNonceMismatch: the ID token's nonce is missing or differs from the one sent.
	ReasonNonceMismatch Reason = "nonce_mismatch"
	// ReasonSigningKeyUnknown: no key of sgID's JWKS verifies the ID token's
	// signature, even after refetching it: most likely a rotation sgID has
	// not published yet (or a JWKS fetch failed), so trying again helps.
	ReasonSigningKeyUnknown Reason = "signing_key_unknown"
	// ReasonKeysUnavailable: the JWKS could not be fetched and no keys are cached.
	ReasonKeysUnavailable Reason = "keys_unavailable"
	// ReasonUserinfoUpstream: the userinfo endpoint failed or answered nonsense.
	ReasonUserinfoUpstream Reason = "userinfo_upstream"
	// ReasonUserinfoRejected: the userinfo endpoint refused the access token (401/403).
	ReasonUserinfoRejected Reason = "userinfo_rejected"
	// ReasonSubjectMismatch: userinfo is about someone other than the ID token's subject.
	ReasonSubjectMismatch Reason = "subject_mismatch"
	// ReasonDecryptFailed: the userinfo key or a field could not be decrypted safely.
	ReasonDecryptFailed Reason = "decrypt_failed"
	// ReasonTimeout: an outbound call to sgID did not finish within the configured Timeout.
	ReasonTimeout Reason = "upstream_timeout"
)

// Upstream reports whether r is a failure of sgID itself (the web answers
// 502/503/504) rather than of the person's or a forger's input (a 400-class
// page). A token whose key is unknown came from sgID's own token endpoint
// over our authenticated call, so it counts as sgID's.
func (r Reason) Upstream() bool {
	switch r {
	case ReasonTokenUpstream, ReasonKeysUnavailable, ReasonSigningKeyUnknown, ReasonUserinfoUpstream, ReasonTimeout:
		return true
	}
	return false
}

// Error is the error every Client method returns for a protocol failure.
// Err never contains a token, code, secret or decrypted value, so the whole
// error is safe to log.
type Error struct {
	Reason Reason
	Err    error
}

// Error formats as "sgid: <reason>: <detail>".
func (e *Error) Error() string {
	if e.Err == nil {
		return "sgid: " + string(e.Reason)
	}
	return "sgid: " + string(e.Reason) + ": " + e.Err.Error()
}

// Unwrap returns the detail so errors.Is/As see through an *Error.
func (e *Error) Unwrap() error { return e.Err }

// ReasonOf returns the Reason of the first *Error in err's chain, or "".
func ReasonOf(err error) Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

func fail(r Reason, err error) error {
	return &Error{Reason: r, Err: err}
}

// isTimeout reports whether an outbound call failed because a deadline
// passed: ours (context.WithTimeout), the http.Client's, or the network's.
func isTimeout(ctx context.Context, err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
