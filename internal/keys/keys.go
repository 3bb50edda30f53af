// Package keys makes the RSA key pair a relying party registers with sgID:
// sgID encrypts each person's data to the public half, and the server keeps
// the private half to decrypt it.
package keys

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// Bits is the size of the keys Generate makes: what sgID registers.
const Bits = 2048

// Pair names the two files Generate writes.
type Pair struct {
	PrivatePath string // PKCS#8 PEM, mode 0600
	PublicPath  string // SubjectPublicKeyInfo PEM, for the sgID developer portal
}

// Generate makes a fresh RSA-2048 key pair and writes it to p. It never
// replaces a file: an existing key may be the one sgID has registered, and
// losing it would break every login until a new key is registered. If the
// public file cannot be written, the new private file is removed again so a
// retry starts clean.
func Generate(p Pair) error {
	if p.PrivatePath == "" || p.PublicPath == "" {
		return errors.New("keys: both file paths are needed")
	}
	if p.PrivatePath == p.PublicPath {
		return errors.New("keys: the private and public key need different files")
	}
	// Check both before making anything, so a clash leaves no half pair.
	for _, path := range []string{p.PrivatePath, p.PublicPath} {
		if _, err := os.Lstat(path); err == nil {
			return fmt.Errorf("keys: %s already exists; move it away or choose another path (it may be the key sgID has registered)", path)
		}
	}
	key, err := rsa.GenerateKey(rand.Reader, Bits)
	if err != nil {
		return fmt.Errorf("keys: generate: %w", err)
	}
	priv, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("keys: encode private key: %w", err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return fmt.Errorf("keys: encode public key: %w", err)
	}
	if err := writeNew(p.PrivatePath, 0o600, &pem.Block{Type: "PRIVATE KEY", Bytes: priv}); err != nil {
		return err
	}
	if err := writeNew(p.PublicPath, 0o644, &pem.Block{Type: "PUBLIC KEY", Bytes: pub}); err != nil {
		_ = os.Remove(p.PrivatePath)
		return err
	}
	return nil
}

// writeNew creates path exclusively (O_EXCL), so a file that appeared since
// the check is still never overwritten.
func writeNew(path string, mode os.FileMode, block *pem.Block) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("keys: create %s: %w", path, err)
	}
	// OpenFile's mode passes through the umask; Chmod makes it exact.
	if err := f.Chmod(mode); err != nil {
		f.Close()
		_ = os.Remove(path)
		return fmt.Errorf("keys: restrict %s: %w", path, err)
	}
	if err := pem.Encode(f, block); err != nil {
		f.Close()
		_ = os.Remove(path)
		return fmt.Errorf("keys: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		_ = os.Remove(path)
		return fmt.Errorf("keys: write %s: %w", path, err)
	}
	return nil
}

// NextSteps tells the operator what to do with a freshly made pair.
func NextSteps(w io.Writer, p Pair) {
	fmt.Fprintf(w, `Wrote a new RSA-%d key pair:
  private key: %s (mode 0600; keep it on the server, never commit or share it)
  public key:  %s

Next:
  1. In the sgID developer portal (https://developer.id.gov.sg), paste the contents of
     %s as your client's public key.
  2. Start the server with the private key:
       SGID_PRIVATE_KEY_FILE=%s SGID_CLIENT_ID=... SGID_CLIENT_SECRET=...
  3. Check the setup before the first login:
       SGID_PRIVATE_KEY_FILE=%s ... sgidweb doctor -public-key %s
`, Bits, p.PrivatePath, p.PublicPath, p.PublicPath, p.PrivatePath, p.PrivatePath, p.PublicPath)
}

// Command is `sgidweb keygen [-private PATH] [-public PATH]`. It has the
// shape of every sgidweb subcommand; it reads no context or environment.
func Command(_ context.Context, args []string, _ func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sgidweb keygen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var p Pair
	fs.StringVar(&p.PrivatePath, "private", "sgid-private.pem", "where to write the private key (PKCS#8 PEM, mode 0600)")
	fs.StringVar(&p.PublicPath, "public", "sgid-public.pem", "where to write the public key to register with sgID")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("keygen: unexpected argument %q", fs.Arg(0))
	}
	if err := Generate(p); err != nil {
		return err
	}
	NextSteps(stdout, p)
	return nil
}
