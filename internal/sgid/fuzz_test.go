package sgid

import (
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/sgidweb/sgidweb/internal/sgidtest"
)

// FuzzUserinfoDecrypt feeds arbitrary key and field JWEs to the two layers
// of userinfo decryption. Nothing may panic, and nothing may decrypt unless
// its header names an allow-listed algorithm and no compression.
func FuzzUserinfoDecrypt(f *testing.F) {
	k := sgidtest.TestKeys()
	c := &Client{privateKeys: []*rsa.PrivateKey{k.Client}}
	hand := func(header string) string {
		enc := base64.RawURLEncoding.EncodeToString
		return enc([]byte(header)) + "." + enc(make([]byte, 40)) + "." + enc(make([]byte, 12)) + "." + enc([]byte("ciphertext")) + "." + enc(make([]byte, 16))
	}
	for _, algs := range algFamilies {
		u := sgidtest.Seal(algs, &k.Client.PublicKey, "a-subject", map[string]string{"myinfo.name": "TAN AH KOW"})
		f.Add(u.Key, u.Data["myinfo.name"])
	}
	good := sgidtest.Seal(sgidtest.SDKAlgs, &k.Client.PublicKey, "a-subject", map[string]string{"myinfo.name": "TAN"})
	rsa15 := sgidtest.Encrypt(jose.A256GCM, jose.RSA1_5, &k.Client.PublicKey, nil, []byte(`{"kty":"oct","k":"AAAAAAAAAAAAAAAAAAAAAA"}`))
	zipped := sgidtest.Encrypt(jose.A128GCM, jose.A128GCMKW, good.Sym, &jose.EncrypterOptions{Compression: jose.DEFLATE}, []byte("TAN"))
	f.Add(rsa15, good.Data["myinfo.name"])
	f.Add(good.Key, zipped)
	f.Add(hand(`{"alg":"PBES2-HS512+A256KW","enc":"A256GCM","p2c":2000000000,"p2s":"c2FsdA"}`), good.Data["myinfo.name"])
	f.Add(good.Key, hand(`{"alg":"PBES2-HS256+A128KW","enc":"A128GCM","p2c":2000000000,"p2s":"c2FsdA"}`))
	f.Add(good.Key, hand(`{"alg":"dir","enc":"A128GCM","zip":"DEF"}`))
	f.Add(hand(`{"alg":"RSA-OAEP","enc":"A256GCM"}`), "a.b.c.d.e")
	f.Add("", "")
	f.Add("....", "....")

	f.Fuzz(func(t *testing.T, keyJWE, fieldJWE string) {
		sym, err := c.decryptDataKey(keyJWE)
		if err != nil {
			// A refused key is fine; the field layer is still exercised
			// with the known symmetric key.
			sym = good.Sym
		} else {
			assertAllowed(t, keyJWE, wantKeyAlgs, wantKeyEncs)
		}
		if _, err := decryptField(fieldJWE, sym); err == nil {
			assertAllowed(t, fieldJWE, wantFieldAlgs, wantFieldEncs)
		}
	})
}

// The allow-lists of sgid.md, written out again so that widening the ones
// in userinfo.go makes this test fail.
var (
	wantKeyAlgs   = []jose.KeyAlgorithm{"RSA-OAEP-256", "RSA-OAEP"}
	wantKeyEncs   = []jose.ContentEncryption{"A256GCM", "A128CBC-HS256"}
	wantFieldAlgs = []jose.KeyAlgorithm{"A128GCMKW", "A256GCMKW", "A128KW", "A256KW", "dir"}
	wantFieldEncs = []jose.ContentEncryption{"A128GCM", "A256GCM", "A128CBC-HS256"}
)

// assertAllowed fails unless the JWE's protected header names allow-listed
// algorithms and no compression.
func assertAllowed(t *testing.T, compact string, algs []jose.KeyAlgorithm, encs []jose.ContentEncryption) {
	t.Helper()
	var h struct {
		Alg string  `json:"alg"`
		Enc string  `json:"enc"`
		Zip *string `json:"zip"`
	}
	seg, _, _ := strings.Cut(compact, ".")
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil || json.Unmarshal(raw, &h) != nil {
		t.Fatalf("decrypted a JWE whose header does not parse: %q", compact)
	}
	if !slices.Contains(algs, jose.KeyAlgorithm(h.Alg)) || !slices.Contains(encs, jose.ContentEncryption(h.Enc)) || h.Zip != nil {
		t.Fatalf("decrypted a JWE outside the allow-list: alg %q enc %q zip %v", h.Alg, h.Enc, h.Zip != nil)
	}
}
