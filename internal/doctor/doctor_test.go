package doctor_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/sgidweb/sgidweb/internal/doctor"
	"github.com/sgidweb/sgidweb/internal/keys"
	"github.com/sgidweb/sgidweb/internal/session/store"
)

// fakeSGID serves a JWKS and stamps its answers with a Date skewed by skew.
type fakeSGID struct {
	srv  *httptest.Server
	mu   sync.Mutex
	jwks []byte
	skew time.Duration
	down bool
}

var (
	signOnce sync.Once
	signKey  *rsa.PrivateKey
	smallKey *rsa.PrivateKey
)

func keysForJWKS(t *testing.T) (*rsa.PrivateKey, *rsa.PrivateKey) {
	signOnce.Do(func() {
		signKey, _ = rsa.GenerateKey(rand.Reader, 2048)
		smallKey, _ = rsa.GenerateKey(rand.Reader, 1024)
	})
	return signKey, smallKey
}

func jwks(t *testing.T, k *rsa.PrivateKey) []byte {
	b, err := json.Marshal(map[string]any{"keys": []jose.JSONWebKey{{Key: &k.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newFakeSGID(t *testing.T) *fakeSGID {
	sign, _ := keysForJWKS(t)
	f := &fakeSGID{jwks: jwks(t, sign)}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		body, skew, down := f.jwks, f.skew, f.down
		f.mu.Unlock()
		w.Header().Set("Date", time.Now().Add(skew).UTC().Format(http.TimeFormat))
		if down || r.URL.Path != "/v2/.well-known/jwks.json" {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// setup is a healthy deployment: a key pair from keygen, a reachable sgID
// with a correct clock, https redirect, known scopes, a memory store.
func setup(t *testing.T) (*fakeSGID, map[string]string, string) {
	t.Helper()
	dir := t.TempDir()
	pair := keys.Pair{PrivatePath: filepath.Join(dir, "sgid-private.pem"), PublicPath: filepath.Join(dir, "sgid-public.pem")}
	if err := keys.Generate(pair); err != nil {
		t.Fatal(err)
	}
	f := newFakeSGID(t)
	env := map[string]string{
		"PUBLIC_URL":            "https://login.example.test",
		"SGID_HOSTNAME":         f.srv.URL,
		"SGID_CLIENT_ID":        "client",
		"SGID_CLIENT_SECRET":    "secret",
		"SGID_PRIVATE_KEY_FILE": pair.PrivatePath,
		"SGID_SCOPES":           "openid myinfo.name",
		"SESSION_STORE":         "memory",
	}
	return f, env, pair.PublicPath
}

func run(t *testing.T, env map[string]string, publicKey string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	args := []string{}
	if publicKey != "" {
		args = append(args, "-public-key", publicKey)
	}
	err := doctor.Command(context.Background(), args, func(k string) string { return env[k] }, &out, &out)
	return out.String(), err
}

// line returns the checklist line of check with the given status, or "".
func line(out, status, check string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "["+strings.Repeat(" ", 4-len(status))+status+"] "+check+":") {
			return l
		}
	}
	return ""
}

func TestHealthyDeploymentPasses(t *testing.T) {
	_, env, pub := setup(t)
	out, err := run(t, env, pub)
	if err != nil {
		t.Fatalf("want every check to pass, got %v:\n%s", err, out)
	}
	for _, check := range []string{"sgID signing keys", "clock", "client private key", "registered public key", "redirect URI", "scopes", "session store"} {
		if line(out, "ok", check) == "" {
			t.Errorf("want %q ok in\n%s", check, out)
		}
	}
}

func TestEachProblemFailsWithAFix(t *testing.T) {
	for _, tc := range []struct {
		name  string
		check string
		setup func(t *testing.T, f *fakeSGID, env map[string]string, pub *string)
	}{
		{"sgID unreachable", "sgID signing keys", func(t *testing.T, f *fakeSGID, env map[string]string, pub *string) {
			f.down = true
		}},
		{"JWKS has no usable RS256 key", "sgID signing keys", func(t *testing.T, f *fakeSGID, env map[string]string, pub *string) {
			_, small := keysForJWKS(t)
			f.jwks = jwks(t, small)
		}},
		{"clock behind sgID", "clock", func(t *testing.T, f *fakeSGID, env map[string]string, pub *string) {
			f.skew = 2 * time.Minute
		}},
		{"clock ahead of sgID", "clock", func(t *testing.T, f *fakeSGID, env map[string]string, pub *string) {
			f.skew = -30 * time.Second
		}},
		{"public key of another pair", "registered public key", func(t *testing.T, f *fakeSGID, env map[string]string, pub *string) {
			dir := t.TempDir()
			other := keys.Pair{PrivatePath: filepath.Join(dir, "o.pem"), PublicPath: filepath.Join(dir, "o.pub")}
			if err := keys.Generate(other); err != nil {
				t.Fatal(err)
			}
			*pub = other.PublicPath
		}},
		{"public key file is not a key", "registered public key", func(t *testing.T, f *fakeSGID, env map[string]string, pub *string) {
			*pub = filepath.Join(t.TempDir(), "junk.pem")
			os.WriteFile(*pub, []byte("not a key"), 0o644)
		}},
		{"redirect over plain http", "redirect URI", func(t *testing.T, f *fakeSGID, env map[string]string, pub *string) {
			env["PUBLIC_URL"] = "http://login.example.test"
		}},
		{"session store cannot open", "session store", func(t *testing.T, f *fakeSGID, env map[string]string, pub *string) {
			blocker := filepath.Join(t.TempDir(), "file")
			os.WriteFile(blocker, nil, 0o600)
			env["SESSION_STORE"] = "sqlite:" + blocker + "/sub/sessions.db"
		}},
		{"private key unreadable", "client private key", func(t *testing.T, f *fakeSGID, env map[string]string, pub *string) {
			env["SGID_PRIVATE_KEY_FILE"] = filepath.Join(t.TempDir(), "missing.pem")
		}},
		{"scopes without openid", "scopes", func(t *testing.T, f *fakeSGID, env map[string]string, pub *string) {
			env["SGID_SCOPES"] = "myinfo.name"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, env, pub := setup(t)
			f.mu.Lock()
			tc.setup(t, f, env, &pub)
			f.mu.Unlock()
			out, err := run(t, env, pub)
			if err == nil {
				t.Fatalf("want doctor to fail, it passed:\n%s", out)
			}
			l := line(out, "FAIL", tc.check)
			if l == "" {
				t.Fatalf("want %q to FAIL in\n%s", tc.check, out)
			}
			i := strings.Index(out, l) + len(l) + 1
			if !strings.HasPrefix(out[i:], "       fix: ") {
				t.Errorf("want a fix under %q, got\n%s", l, out)
			}
		})
	}
}

// The JWKS check tells an sgID this machine cannot reach from a hostname
// that answers with a key set that is not sgID's: the fixes differ.
func TestJWKSFixNamesTheCause(t *testing.T) {
	for _, tc := range []struct {
		name, fix, notFix string
		breakIt           func(f *fakeSGID)
	}{
		{"does not answer", "can reach it", "holds no RS256", func(f *fakeSGID) { f.down = true }},
		{"answers without a usable key", "holds no RS256", "can reach it", func(f *fakeSGID) {
			_, small := keysForJWKS(t)
			f.jwks = jwks(t, small)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, env, pub := setup(t)
			f.mu.Lock()
			tc.breakIt(f)
			f.mu.Unlock()
			out, _ := run(t, env, pub)
			l := line(out, "FAIL", "sgID signing keys")
			if l == "" {
				t.Fatalf("want the signing keys check to FAIL in\n%s", out)
			}
			fix, _, _ := strings.Cut(out[strings.Index(out, l)+len(l)+1:], "\n")
			if !strings.Contains(fix, tc.fix) || strings.Contains(fix, tc.notFix) {
				t.Errorf("want a fix saying %q (and not %q), got %q", tc.fix, tc.notFix, fix)
			}
		})
	}
}

func TestLoopbackRedirectOverHTTPIsFine(t *testing.T) {
	_, env, pub := setup(t)
	env["PUBLIC_URL"] = "http://localhost:8080"
	out, err := run(t, env, pub)
	if err != nil || line(out, "ok", "redirect URI") == "" {
		t.Fatalf("loopback http redirect: want ok, got %v\n%s", err, out)
	}
}

func TestUnknownScopeIsOnlyAWarning(t *testing.T) {
	_, env, pub := setup(t)
	env["SGID_SCOPES"] = "openid myinfo.name myinfo.shoe_size"
	out, err := run(t, env, pub)
	if err != nil {
		t.Fatalf("an unknown scope must not fail doctor: %v\n%s", err, out)
	}
	if l := line(out, "warn", "scopes"); !strings.Contains(l, "myinfo.shoe_size") || strings.Contains(l, "myinfo.name ") {
		t.Errorf("want a warning naming only the unknown scope, got %q in\n%s", l, out)
	}
}

func TestMockModeIsRefused(t *testing.T) {
	out, err := run(t, map[string]string{"SESSION_STORE": "memory"}, "")
	if err == nil || line(out, "FAIL", "mode") == "" || !strings.Contains(out, "embedded mock") {
		t.Fatalf("no credentials: want a clear refusal, got %v\n%s", err, out)
	}
}

// doctor runs beside the server it checks: a SQLite file that server owns
// is read without taking it, and reported fine and in use.
func TestSQLiteStoreInUseByAServerIsFine(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("SQLite files are not locked on Windows")
	}
	_, env, pub := setup(t)
	path := filepath.Join(t.TempDir(), "sessions.db")
	server, err := store.Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	env["SESSION_STORE"] = "sqlite:" + path
	out, err := run(t, env, pub)
	if err != nil {
		t.Fatalf("want doctor to pass beside a running server, got %v\n%s", err, out)
	}
	if l := line(out, "ok", "session store"); !strings.Contains(l, "a running sgidweb owns the file") {
		t.Errorf("want the store ok and said to be in use, got %q in\n%s", l, out)
	}
	if err := server.Commit("tok", []byte("data"), time.Now().Add(time.Hour)); err != nil {
		t.Fatalf("the server after doctor ran: %v", err)
	}
}

// Instances that each make their own signing key publish different key
// sets: doctor says so, without failing (one instance is fine).
func TestGatewaySigningKeyUnsetIsAWarning(t *testing.T) {
	_, env, pub := setup(t)
	out, err := run(t, env, pub)
	if err != nil {
		t.Fatalf("an unset GATEWAY_SIGNING_KEY must not fail doctor: %v\n%s", err, out)
	}
	if l := line(out, "warn", "gateway signing key"); !strings.Contains(l, "GATEWAY_SIGNING_KEY") {
		t.Fatalf("want a warning naming GATEWAY_SIGNING_KEY, got\n%s", out)
	}

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	env["GATEWAY_SIGNING_KEY"] = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	out, err = run(t, env, pub)
	if err != nil || line(out, "ok", "gateway signing key") == "" {
		t.Fatalf("with GATEWAY_SIGNING_KEY: want ok, got %v\n%s", err, out)
	}
}
