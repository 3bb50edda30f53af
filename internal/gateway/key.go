package gateway

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/go-jose/go-jose/v4"
)

// Algorithm is the signature algorithm of every assertion: ES256 (ECDSA on
// P-256 with SHA-256). The gateway signs once per request of the guarded
// app, and an ES256 signature costs tens of microseconds where RS256 with an
// RSA-2048 key costs about a millisecond; its 64-byte signature keeps the
// header small (nginx holds the check's answer headers in a 4 KiB buffer by
// default); and every JOSE library verifies it.
const Algorithm = jose.ES256

// Key is the gateway's signing key with its key id and published key set.
type Key struct {
	private *ecdsa.PrivateKey
	kid     string
	signer  jose.Signer
	jwks    []byte
}

// GenerateKey makes a new P-256 key, for a server started without
// GATEWAY_SIGNING_KEY.
func GenerateKey() (*Key, error) {
	private, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("gateway: generate key: %w", err)
	}
	return newKey(private)
}

// ParseKey reads an EC P-256 private key in PEM (PKCS#8 "PRIVATE KEY" or
// SEC 1 "EC PRIVATE KEY"), as `openssl genpkey -algorithm EC -pkeyopt
// ec_paramgen_curve:P-256` writes it. A literal \n stands for a line break,
// so the key fits in one environment variable.
func ParseKey(text string) (*Key, error) {
	text = strings.ReplaceAll(text, `\n`, "\n")
	block, _ := pem.Decode([]byte(strings.TrimSpace(text)))
	if block == nil {
		return nil, errors.New("no PEM block found")
	}
	var parsed any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		parsed, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		parsed, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("the PEM block is %q, not a private key", block.Type)
	}
	if err != nil {
		return nil, err
	}
	private, ok := parsed.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("it is a %T, not an EC key; assertions are signed with ES256, which needs a P-256 key", parsed)
	}
	if private.Curve != elliptic.P256() {
		return nil, fmt.Errorf("it is on curve %s, not P-256, which ES256 needs", private.Curve.Params().Name)
	}
	return newKey(private)
}

func newKey(private *ecdsa.PrivateKey) (*Key, error) {
	public := jose.JSONWebKey{Key: &private.PublicKey, Algorithm: string(Algorithm), Use: "sig"}
	// The key id is the key's RFC 7638 thumbprint: instances given the same
	// key agree on it without being told, and a new key gets a new id.
	thumb, err := public.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("gateway: key thumbprint: %w", err)
	}
	public.KeyID = base64.RawURLEncoding.EncodeToString(thumb)
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: Algorithm, Key: jose.JSONWebKey{Key: private, KeyID: public.KeyID}},
		(&jose.SignerOptions{}).WithType("JWT"),
	)
	if err != nil {
		return nil, fmt.Errorf("gateway: signer: %w", err)
	}
	jwks, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{public}})
	if err != nil {
		return nil, fmt.Errorf("gateway: key set: %w", err)
	}
	return &Key{private: private, kid: public.KeyID, signer: signer, jwks: jwks}, nil
}

// KeyID is the kid of every assertion this key signs.
func (k *Key) KeyID() string { return k.kid }

// JWKS is the published key set: this key's public half, as JSON.
func (k *Key) JWKS() []byte { return k.jwks }
