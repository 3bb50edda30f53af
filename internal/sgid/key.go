package sgid

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// minRSABits is the smallest RSA modulus accepted anywhere: sgID registers
// RSA-2048 client keys and signs with RSA-2048 or larger.
const minRSABits = 2048

// ParsePrivateKey parses the client's RSA private key from PEM text, either
// PKCS#8 ("BEGIN PRIVATE KEY") or PKCS#1 ("BEGIN RSA PRIVATE KEY").
// Environment variables often carry the PEM on one line with literal "\n"
// sequences and sometimes wrapped in quotes, so both are undone first.
// Non-RSA, encrypted and smaller than 2048-bit keys are refused.
func ParsePrivateKey(pemText string) (*rsa.PrivateKey, error) {
	text := strings.TrimSpace(pemText)
	for len(text) >= 2 && (text[0] == '"' || text[0] == '\'') && text[len(text)-1] == text[0] {
		text = strings.TrimSpace(text[1 : len(text)-1])
	}
	text = strings.ReplaceAll(text, `\r\n`, "\n")
	text = strings.ReplaceAll(text, `\n`, "\n")
	if text == "" {
		return nil, errors.New("sgid: private key: empty; set it to the PEM text of the RSA key registered with sgID")
	}

	rest := []byte(text)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("sgid: private key: no PEM private key block found; expected -----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----")
		}
		switch block.Type {
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("sgid: private key: parse PKCS#8: %w", err)
			}
			rk, ok := k.(*rsa.PrivateKey)
			if !ok {
				return nil, fmt.Errorf("sgid: private key: is a %s key; sgID needs an RSA key", keyKind(k))
			}
			return checkRSAPrivateKey(rk)
		case "RSA PRIVATE KEY":
			rk, err := x509.ParsePKCS1PrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("sgid: private key: parse PKCS#1: %w", err)
			}
			return checkRSAPrivateKey(rk)
		case "EC PRIVATE KEY":
			return nil, errors.New("sgid: private key: is an EC key; sgID needs an RSA key")
		case "ENCRYPTED PRIVATE KEY":
			return nil, errors.New("sgid: private key: is password-protected; give the unencrypted PEM")
		}
		// Other blocks (a certificate bundled with the key, parameters)
		// are skipped so the key can be found after them.
	}
}

func checkRSAPrivateKey(k *rsa.PrivateKey) (*rsa.PrivateKey, error) {
	if bits := k.N.BitLen(); bits < minRSABits {
		return nil, fmt.Errorf("sgid: private key: RSA key is %d bits; sgID needs at least %d", bits, minRSABits)
	}
	if err := k.Validate(); err != nil {
		return nil, fmt.Errorf("sgid: private key: invalid RSA key: %w", err)
	}
	return k, nil
}

func keyKind(k any) string {
	switch k.(type) {
	case *ecdsa.PrivateKey:
		return "EC"
	case ed25519.PrivateKey:
		return "Ed25519"
	case *ecdh.PrivateKey:
		return "ECDH"
	}
	return fmt.Sprintf("%T", k)
}
