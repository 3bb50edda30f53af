package mocksgid

import (
	"net/http"

	jose "github.com/go-jose/go-jose/v4"
)

// handleJWKS publishes only the current signing key, so a client that caches
// keys forever fails visibly after RotateSigningKey.
func (p *Provider) handleJWKS(w http.ResponseWriter, r *http.Request) {
	key, kid := p.currentKey()
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{
		Key:       &key.PublicKey,
		KeyID:     kid,
		Algorithm: string(jose.RS256),
		Use:       "sig",
	}}}
	w.Header().Set("Cache-Control", "no-cache")
	writeJSON(w, http.StatusOK, set)
}

// handleDiscovery serves a correct discovery document (MockPass's has double
// slashes). sgID's SDKs do not read it, but generic OIDC tooling does.
func (p *Provider) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	scopes := []string{"openid"}
	for _, f := range Fields() {
		scopes = append(scopes, f.Scope)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                p.issuer,
		"authorization_endpoint":                p.endpoint("/oauth/authorize"),
		"token_endpoint":                        p.endpoint("/oauth/token"),
		"userinfo_endpoint":                     p.endpoint("/oauth/userinfo"),
		"jwks_uri":                              p.endpoint("/.well-known/jwks.json"),
		"response_types_supported":              []string{"code"},
		"grant_types_supported":                 []string{"authorization_code"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{string(jose.RS256)},
		"token_endpoint_auth_methods_supported": []string{"client_secret_post"},
		"code_challenge_methods_supported":      []string{"S256"},
		"scopes_supported":                      scopes,
		"claims_supported":                      []string{"iss", "aud", "sub", "iat", "exp", "nonce"},
	})
}
