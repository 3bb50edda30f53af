package sgid

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"unicode/utf8"

	"github.com/go-jose/go-jose/v4"
)

// Limits on what userinfo may carry: generous for real data, small enough
// that a hostile answer cannot make us decrypt megabytes.
const (
	maxFields         = 100
	maxFieldJWEBytes  = 256 << 10
	maxKeyJWEBytes    = 16 << 10
	maxScopeNameBytes = 256
)

// Algorithm allow-lists from sgid.md: the official SDK's and MockPass's
// choices, and nothing weaker (no RSA1_5, no PBES2, no ECDH).
var (
	keyAlgs         = []jose.KeyAlgorithm{jose.RSA_OAEP_256, jose.RSA_OAEP}
	keyEncs         = []jose.ContentEncryption{jose.A256GCM, jose.A128CBC_HS256}
	fieldAlgs       = []jose.KeyAlgorithm{jose.A128GCMKW, jose.A256GCMKW, jose.A128KW, jose.A256KW, jose.DIRECT}
	fieldEncs       = []jose.ContentEncryption{jose.A128GCM, jose.A256GCM, jose.A128CBC_HS256}
	errZipJWE       = errors.New(`JWE header has "zip"; compressed payloads are refused`)
	errNoPrivateKey = errors.New("userinfo carries encrypted data but no private key is configured")
)

// Profile is the decrypted userinfo.
type Profile struct {
	Subject string
	// Fields maps scope name (e.g. "myinfo.name") to its UTF-8 value, which
	// may be the literal "NA". Empty, never nil, when only openid was granted.
	Fields map[string]string
}

// Userinfo fetches the person's data with the access token, checks it is
// about id.Subject, then decrypts the per-response key and each field.
func (c *Client) Userinfo(ctx context.Context, id Identity) (Profile, error) {
	if id.AccessToken == "" || id.Subject == "" {
		return Profile{}, fail(ReasonUserinfoRejected, errors.New("identity has no access token or subject"))
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.userinfoURL, nil)
	if err != nil {
		return Profile{}, fail(ReasonUserinfoUpstream, fmt.Errorf("build userinfo request: %w", err))
	}
	req.Header.Set("Authorization", "Bearer "+id.AccessToken)
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		if isTimeout(ctx, err) {
			return Profile{}, fail(ReasonTimeout, errors.New("userinfo request timed out"))
		}
		return Profile{}, fail(ReasonUserinfoUpstream, fmt.Errorf("userinfo request: %w", err))
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return Profile{}, fail(ReasonUserinfoRejected, fmt.Errorf("userinfo answered status %d", resp.StatusCode))
	case resp.StatusCode != http.StatusOK:
		return Profile{}, fail(ReasonUserinfoUpstream, fmt.Errorf("userinfo answered status %d", resp.StatusCode))
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return Profile{}, fail(ReasonUserinfoUpstream, errors.New("read userinfo body"))
	}

	var ui struct {
		Sub  *string            `json:"sub"`
		Key  *string            `json:"key"`
		Data map[string]*string `json:"data"`
	}
	if err := json.Unmarshal(body, &ui); err != nil {
		// The decoder's message can quote the body, so it is not kept.
		return Profile{}, fail(ReasonUserinfoUpstream, errors.New("userinfo body is not the expected JSON object"))
	}
	// The subject is checked before anything is decrypted, as the official
	// SDK does: data about someone else must not even be opened.
	if ui.Sub == nil || subtle.ConstantTimeCompare([]byte(*ui.Sub), []byte(id.Subject)) != 1 {
		return Profile{}, fail(ReasonSubjectMismatch, errors.New("userinfo sub differs from the ID token's"))
	}
	p := Profile{Subject: id.Subject, Fields: map[string]string{}}
	if len(ui.Data) == 0 {
		// openid only: sgID sends neither key nor data (or an unused key).
		return p, nil
	}
	if len(ui.Data) > maxFields {
		return Profile{}, fail(ReasonDecryptFailed, fmt.Errorf("userinfo has %d fields, more than %d", len(ui.Data), maxFields))
	}
	if ui.Key == nil || *ui.Key == "" {
		return Profile{}, fail(ReasonDecryptFailed, errors.New("userinfo has data but no key"))
	}
	if len(c.privateKeys) == 0 {
		return Profile{}, fail(ReasonDecryptFailed, errNoPrivateKey)
	}
	symKey, err := c.decryptDataKey(*ui.Key)
	if err != nil {
		return Profile{}, fail(ReasonDecryptFailed, err)
	}

	// Sorted so that which field is reported as failing is deterministic.
	scopes := make([]string, 0, len(ui.Data))
	for s := range ui.Data {
		scopes = append(scopes, s)
	}
	sort.Strings(scopes)
	for _, scope := range scopes {
		if scope == "" || len(scope) > maxScopeNameBytes || !utf8.ValidString(scope) {
			return Profile{}, fail(ReasonDecryptFailed, errors.New("userinfo has a field with an unusable name"))
		}
		jwe := ui.Data[scope]
		if jwe == nil {
			return Profile{}, fail(ReasonDecryptFailed, fmt.Errorf("field %q is null", scope))
		}
		v, err := decryptField(*jwe, symKey)
		if err != nil {
			return Profile{}, fail(ReasonDecryptFailed, fmt.Errorf("field %q: %w", scope, err))
		}
		p.Fields[scope] = v
	}
	return p, nil
}

// decryptDataKey opens the outer JWE with the client's RSA key and returns
// the symmetric key it carries as a JSON JWK of kty "oct".
func (c *Client) decryptDataKey(compact string) ([]byte, error) {
	if len(compact) > maxKeyJWEBytes {
		return nil, fmt.Errorf("key JWE is larger than %d bytes", maxKeyJWEBytes)
	}
	obj, err := jose.ParseEncryptedCompact(compact, keyAlgs, keyEncs)
	if err != nil {
		return nil, fmt.Errorf("parse key JWE: %w", err)
	}
	if _, zip := obj.Header.ExtraHeaders["zip"]; zip {
		return nil, fmt.Errorf("key: %w", errZipJWE)
	}
	plain, err := c.openWithClientKeys(obj)
	if err != nil {
		return nil, err
	}
	var meta struct {
		Kty string `json:"kty"`
	}
	if json.Unmarshal(plain, &meta) != nil {
		return nil, errors.New("decrypted key is not a JSON JWK")
	}
	if meta.Kty != "oct" {
		return nil, errors.New(`decrypted key is not a symmetric JWK (kty "oct")`)
	}
	var jwk jose.JSONWebKey
	if jwk.UnmarshalJSON(plain) != nil {
		return nil, errors.New("decrypted key is not a valid JWK")
	}
	k, ok := jwk.Key.([]byte)
	if !ok || len(k) == 0 {
		return nil, errors.New("decrypted key holds no symmetric key")
	}
	return k, nil
}

// openWithClientKeys decrypts the outer JWE with the client key sgID used.
// During a key rotation two keys are configured: the one whose thumbprint
// the header's kid names goes first, then every key in order, because sgID
// may send no kid or one of its own making.
func (c *Client) openWithClientKeys(obj *jose.JSONWebEncryption) ([]byte, error) {
	keys := c.privateKeys
	if kid := obj.Header.KeyID; kid != "" && len(keys) > 1 {
		for i, k := range keys {
			if Thumbprint(&k.PublicKey) == kid {
				keys = append([]*rsa.PrivateKey{k}, slices.Delete(slices.Clone(keys), i, i+1)...)
				break
			}
		}
	}
	var err error
	for _, k := range keys {
		var plain []byte
		if plain, err = obj.Decrypt(k); err == nil {
			return plain, nil
		}
	}
	if len(keys) > 1 {
		return nil, fmt.Errorf("decrypt key JWE: none of the %d client keys opens it: %w", len(keys), err)
	}
	return nil, fmt.Errorf("decrypt key JWE: %w", err)
}

// Thumbprint returns the RFC 7638 SHA-256 thumbprint of pub, base64url: the
// usual kid of a JWK, and a safe way to name a key in checks and logs.
func Thumbprint(pub *rsa.PublicKey) string {
	tp, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(tp)
}

// decryptField opens one data field with the symmetric key and returns its
// UTF-8 value.
func decryptField(compact string, key []byte) (string, error) {
	if len(compact) > maxFieldJWEBytes {
		return "", fmt.Errorf("JWE is larger than %d bytes", maxFieldJWEBytes)
	}
	obj, err := jose.ParseEncryptedCompact(compact, fieldAlgs, fieldEncs)
	if err != nil {
		return "", fmt.Errorf("parse JWE: %w", err)
	}
	if _, zip := obj.Header.ExtraHeaders["zip"]; zip {
		return "", errZipJWE
	}
	plain, err := obj.Decrypt(key)
	if err != nil {
		return "", fmt.Errorf("decrypt JWE: %w", err)
	}
	if !utf8.Valid(plain) {
		return "", errors.New("value is not UTF-8")
	}
	return string(plain), nil
}
