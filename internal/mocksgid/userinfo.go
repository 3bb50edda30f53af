package mocksgid

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
)

// Userinfo algorithms, as in the official sgID SDK's tests: the payload key is
// wrapped for the client's RSA key, each field under that payload key.
const (
	keyWrapAlg   = jose.RSA_OAEP_256
	keyWrapEnc   = jose.A256GCM
	fieldWrapAlg = jose.A128GCMKW
	fieldEnc     = jose.A128GCM
)

func (p *Provider) handleUserinfo(w http.ResponseWriter, r *http.Request) {
	token, ok := bearerToken(r)
	if !ok {
		// RFC 6750 section 3.1: no error code when no credentials were sent.
		w.Header().Set("WWW-Authenticate", `Bearer realm="mock-sgid"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_request", "error_description": "an Authorization: Bearer access token is required"})
		return
	}
	now := p.now()
	p.mu.Lock()
	grant, ok := p.tokens.get(token, now)
	p.mu.Unlock()
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="mock-sgid", error="invalid_token", error_description="the access token is unknown, expired or revoked"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token", "error_description": "the access token is unknown, expired or revoked"})
		return
	}
	body, err := p.userinfo(grant)
	if err != nil {
		p.log.ErrorContext(r.Context(), "mock sgid userinfo", "error", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error"})
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	p.log.InfoContext(r.Context(), "mock sgid userinfo served", "client_id", grant.clientID, "sub", grant.sub)
	writeJSON(w, http.StatusOK, body)
}

// bearerToken reads the token from the Authorization header only: sgID's
// clients never send it in the query or body, and a mock that accepted those
// would hide the mistake.
func bearerToken(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// userinfo builds {"sub", "key", "data"}: a fresh payload key per response,
// wrapped for the client, and every requested scope but openid encrypted
// under it. With only openid there is nothing to encrypt, so key and data are
// left out, as sgID does.
func (p *Provider) userinfo(grant *accessGrant) (map[string]any, error) {
	body := map[string]any{"sub": grant.sub}
	var scopes []string
	for _, s := range grant.scopes {
		if s != "openid" {
			scopes = append(scopes, s)
		}
	}
	if len(scopes) == 0 {
		return body, nil
	}
	persona, ok := PersonaByID(grant.personaID)
	if !ok {
		return nil, fmt.Errorf("mocksgid: persona %q vanished", grant.personaID)
	}
	client := p.clients[grant.clientID]

	raw := make([]byte, 16) // 128 bits for A128GCMKW
	_, _ = rand.Read(raw)
	payloadKey := jose.JSONWebKey{Key: raw, KeyID: randomToken()[:16], Algorithm: string(fieldWrapAlg)}
	keyJSON, err := json.Marshal(payloadKey)
	if err != nil {
		return nil, fmt.Errorf("mocksgid: marshal payload key: %w", err)
	}
	wrappedKey, err := encrypt(keyJSON, keyWrapEnc, jose.Recipient{Algorithm: keyWrapAlg, Key: client.PublicKey})
	if err != nil {
		return nil, fmt.Errorf("mocksgid: encrypt payload key: %w", err)
	}
	data := make(map[string]string, len(scopes))
	fieldRecipient := jose.Recipient{Algorithm: fieldWrapAlg, Key: raw, KeyID: payloadKey.KeyID}
	for _, s := range scopes {
		enc, err := encrypt([]byte(persona.value(s)), fieldEnc, fieldRecipient)
		if err != nil {
			return nil, fmt.Errorf("mocksgid: encrypt %s: %w", s, err)
		}
		data[s] = enc
	}
	body["key"] = wrappedKey
	body["data"] = data
	return body, nil
}

func encrypt(plaintext []byte, enc jose.ContentEncryption, rcpt jose.Recipient) (string, error) {
	e, err := jose.NewEncrypter(enc, rcpt, nil)
	if err != nil {
		return "", err
	}
	obj, err := e.Encrypt(plaintext)
	if err != nil {
		return "", err
	}
	return obj.CompactSerialize()
}
