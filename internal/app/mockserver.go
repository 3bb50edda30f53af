package app

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sgidweb/sgidweb/internal/mocksgid"
	"github.com/sgidweb/sgidweb/internal/sgid"
)

// Defaults of `sgidweb mock-sgid`.
const (
	DefaultMockAddr = "127.0.0.1:5156"
	DefaultMockDir  = "data/mock-sgid"
)

// Files the standalone mock keeps in its folder, so that servers pointed at
// it keep working when it restarts.
const (
	mockClientIDFile   = "client-id"
	mockSecretFile     = "client-secret"
	mockClientKeyFile  = "client-key.pem"
	mockSigningKeyFile = "signing-key.pem"
)

// MockServerConfig configures the standalone mock provider.
type MockServerConfig struct {
	Addr         string   // listen address
	PublicURL    string   // origin browsers and servers use; the issuer is this + /v2
	RedirectURIs []string // the servers' callbacks, compared exactly
	Dir          string   // where the client credentials and signing key live
}

// ParseMockServerArgs reads the mock-sgid flags, each defaulting to its
// MOCK_SGID_* environment variable.
func ParseMockServerArgs(args []string, getenv func(string) string, errOut io.Writer) (MockServerConfig, error) {
	env := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	fs := flag.NewFlagSet("sgidweb mock-sgid", flag.ContinueOnError)
	fs.SetOutput(errOut)
	addr := fs.String("addr", env("MOCK_SGID_ADDR", DefaultMockAddr), "listen address (MOCK_SGID_ADDR)")
	publicURL := fs.String("public-url", env("MOCK_SGID_PUBLIC_URL", ""), "origin that browsers and servers use to reach the mock (MOCK_SGID_PUBLIC_URL; default http://ADDR)")
	redirects := fs.String("redirect-uris", env("MOCK_SGID_REDIRECT_URIS", ""), "comma-separated callback URLs the servers use, e.g. https://login.example.gov.sg/auth/callback (MOCK_SGID_REDIRECT_URIS; required)")
	dir := fs.String("dir", env("MOCK_SGID_DIR", DefaultMockDir), "folder for the client credentials and signing key (MOCK_SGID_DIR)")
	if err := fs.Parse(args); err != nil {
		return MockServerConfig{}, err
	}
	if fs.NArg() > 0 {
		return MockServerConfig{}, fmt.Errorf("mock-sgid: unexpected argument %q", fs.Arg(0))
	}
	cfg := MockServerConfig{Addr: *addr, PublicURL: strings.TrimSuffix(*publicURL, "/"), Dir: *dir}
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return cfg, fmt.Errorf("mock-sgid: MOCK_SGID_ADDR %q is not host:port (fix: use e.g. 127.0.0.1:5156)", cfg.Addr)
	}
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://" + cfg.Addr
	}
	if u, err := url.Parse(cfg.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return cfg, fmt.Errorf("mock-sgid: MOCK_SGID_PUBLIC_URL %q is not an http(s) origin (fix: use e.g. http://127.0.0.1:5156)", cfg.PublicURL)
	}
	for _, r := range strings.Split(*redirects, ",") {
		if r = strings.TrimSpace(r); r != "" {
			cfg.RedirectURIs = append(cfg.RedirectURIs, r)
		}
	}
	if len(cfg.RedirectURIs) == 0 {
		return cfg, errors.New("mock-sgid: MOCK_SGID_REDIRECT_URIS is empty (fix: set it to each server's PUBLIC_URL + /auth/callback, comma separated)")
	}
	return cfg, nil
}

// MockServerCommand is `sgidweb mock-sgid [flags]`: the flags, or their
// MOCK_SGID_* variables, and then the mock until ctx ends, logging to stderr.
func MockServerCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := ParseMockServerArgs(args, getenv, stderr)
	if err != nil {
		return err
	}
	return RunMockServer(ctx, cfg, stdout, slog.New(slog.NewTextHandler(stderr, nil)))
}

// RunMockServer serves the strict mock sgID alone until ctx ends. It prints
// to out the environment lines that point sgidweb servers at it; the secret
// goes there, never to the log.
func RunMockServer(ctx context.Context, cfg MockServerConfig, out io.Writer, log *slog.Logger) error {
	creds, err := loadMockCredentials(cfg.Dir)
	if err != nil {
		return err
	}
	issuer, err := sgid.Issuer(cfg.PublicURL)
	if err != nil {
		return fmt.Errorf("mock-sgid: %w", err)
	}
	provider, err := mocksgid.New(mocksgid.Config{
		Issuer: issuer,
		Clients: []mocksgid.Client{{
			ID: creds.clientID, Secret: creds.secret, Name: "sgidweb",
			RedirectURIs: cfg.RedirectURIs, PublicKey: &creds.clientKey.PublicKey,
		}},
		SigningKey: creds.signingKey,
		Logger:     log,
	})
	if err != nil {
		return fmt.Errorf("mock-sgid: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("mock-sgid: listen on %s: %w", cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           provider.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       90 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Warn("MOCK sgID: a stand-in for development and staging only; it logs in test personas, never real people",
		"addr", ln.Addr().String(), "issuer", issuer, "client_id", creds.clientID, "redirect_uris", strings.Join(cfg.RedirectURIs, ","))
	fmt.Fprintf(out, "# Point each sgidweb server at this mock with:\nSGID_HOSTNAME=%s\nSGID_CLIENT_ID=%s\nSGID_CLIENT_SECRET=%s\nSGID_PRIVATE_KEY_FILE=%s\n",
		cfg.PublicURL, creds.clientID, creds.secret, creds.clientKeyPath)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("mock-sgid: serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("mock sgID shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("mock-sgid: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("mock-sgid: serve: %w", err)
	}
	return nil
}

type mockCredentials struct {
	clientID      string
	secret        string
	clientKey     *rsa.PrivateKey
	clientKeyPath string
	signingKey    *rsa.PrivateKey
}

// loadMockCredentials reads the mock's client registration and signing key
// from dir, making whichever is missing. Files are written 0600 in a 0700
// folder: they are secrets, if only of a mock.
func loadMockCredentials(dir string) (mockCredentials, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return mockCredentials{}, fmt.Errorf("mock-sgid: folder %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return mockCredentials{}, fmt.Errorf("mock-sgid: create folder %s: %w", abs, err)
	}
	var c mockCredentials
	if c.clientID, err = loadOrMakeText(filepath.Join(abs, mockClientIDFile), func() string { return "sgidweb-mock-" + randomHex(6) }); err != nil {
		return c, err
	}
	if c.secret, err = loadOrMakeText(filepath.Join(abs, mockSecretFile), func() string { return randomHex(32) }); err != nil {
		return c, err
	}
	c.clientKeyPath = filepath.Join(abs, mockClientKeyFile)
	if c.clientKey, err = loadOrMakeKey(c.clientKeyPath); err != nil {
		return c, err
	}
	if c.signingKey, err = loadOrMakeKey(filepath.Join(abs, mockSigningKeyFile)); err != nil {
		return c, err
	}
	return c, nil
}

func loadOrMakeText(path string, make func() string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		if v := strings.TrimSpace(string(b)); v != "" {
			return v, nil
		}
		return "", fmt.Errorf("mock-sgid: %s is empty (fix: delete it to make a new one)", path)
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("mock-sgid: read %s: %w", path, err)
	}
	v := make()
	if err := writeSecretFile(path, []byte(v+"\n")); err != nil {
		return "", err
	}
	return v, nil
}

func loadOrMakeKey(path string) (*rsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		key, err := sgid.ParsePrivateKey(string(b))
		if err != nil {
			return nil, fmt.Errorf("mock-sgid: %s: %w (fix: delete it to make a new one)", path, err)
		}
		return key, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("mock-sgid: read %s: %w", path, err)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("mock-sgid: generate key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("mock-sgid: encode key: %w", err)
	}
	if err := writeSecretFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil {
		return nil, err
	}
	return key, nil
}

// writeSecretFile creates path with mode 0600 and refuses to overwrite, so
// two mocks starting on one folder cannot leave a half-written mix.
func writeSecretFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("mock-sgid: create %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("mock-sgid: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return fmt.Errorf("mock-sgid: write %s: %w", path, err)
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails since Go 1.24
	return hex.EncodeToString(b)
}
