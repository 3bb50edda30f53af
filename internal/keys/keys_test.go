package keys_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sgidweb/sgidweb/internal/keys"
	"github.com/sgidweb/sgidweb/internal/sgid"
)

func TestKeygenWritesAMatchingPair(t *testing.T) {
	dir := t.TempDir()
	priv, pub := filepath.Join(dir, "a.pem"), filepath.Join(dir, "a.pub.pem")
	var out bytes.Buffer
	if err := keys.Command(context.Background(), []string{"-private", priv, "-public", pub}, os.Getenv, &out, &out); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(priv)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("private key mode: want 0600, got %o", mode)
	}
	privPEM, _ := os.ReadFile(priv)
	if !strings.HasPrefix(string(privPEM), "-----BEGIN PRIVATE KEY-----") {
		t.Errorf("private key: want PKCS#8 PEM, got %.40q", privPEM)
	}
	key, err := sgid.ParsePrivateKey(string(privPEM))
	if err != nil {
		t.Fatalf("the server cannot load the private key: %v", err)
	}
	if key.N.BitLen() != 2048 {
		t.Errorf("want RSA-2048, got %d bits", key.N.BitLen())
	}
	pubPEM, _ := os.ReadFile(pub)
	block, _ := pem.Decode(pubPEM)
	if block == nil || block.Type != "PUBLIC KEY" {
		t.Fatalf("public key: want a PUBLIC KEY PEM block, got %.40q", pubPEM)
	}
	parsed, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if rp, ok := parsed.(*rsa.PublicKey); !ok || !rp.Equal(&key.PublicKey) {
		t.Error("the public key is not the public half of the private key")
	}
	for _, want := range []string{"developer portal", "SGID_PRIVATE_KEY_FILE=" + priv, "sgidweb doctor"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("next steps: want %q in\n%s", want, out.String())
		}
	}
}

func TestKeygenNeverOverwrites(t *testing.T) {
	for _, existing := range []string{"private", "public"} {
		t.Run(existing, func(t *testing.T) {
			dir := t.TempDir()
			p := keys.Pair{PrivatePath: filepath.Join(dir, "k.pem"), PublicPath: filepath.Join(dir, "k.pub")}
			target := p.PrivatePath
			if existing == "public" {
				target = p.PublicPath
			}
			if err := os.WriteFile(target, []byte("registered key"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := keys.Generate(p); err == nil {
				t.Fatal("want an error when a file exists")
			}
			if b, _ := os.ReadFile(target); string(b) != "registered key" {
				t.Errorf("the existing file was changed: %q", b)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				t.Errorf("want no half pair left behind, found %d files", len(entries))
			}
		})
	}
}
