package sgid

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/sgidweb/sgidweb/internal/sgidtest"
)

const (
	testRedirect = "https://app.example/auth/callback"
	// testVerifier is the PKCE verifier of sgID's documentation example.
	testVerifier = "bbGcObXZC1YGBQZZtZGQH9jsyO1vypqCGqnSU_4TI5S"
	// mockPrefix is where the embedded mock serves sgID, so every test
	// also proves the client keeps the hostname's path.
	mockPrefix = "/mock-sgid"
)

// newProvider starts the test sgID under mockPrefix.
func newProvider(t *testing.T) *sgidtest.Provider {
	t.Helper()
	return sgidtest.New(t, testRedirect, sgidtest.WithPathPrefix(mockPrefix))
}

// newClient builds a Client against p with the client key and a few data scopes.
func newClient(t *testing.T, p *sgidtest.Provider, mutate ...func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		Hostname:     p.URL,
		ClientID:     sgidtest.ClientID,
		ClientSecret: sgidtest.ClientSecret,
		PrivateKey:   sgidtest.TestKeys().Client,
		RedirectURL:  testRedirect,
		Scopes:       []string{"openid", "myinfo.name", "myinfo.nric_number"},
		Timeout:      2 * time.Second,
	}
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// login is one login up to the callback: the client's authorization request
// and the person's consent at the provider.
type login struct {
	req   AuthRequest
	grant *sgidtest.Grant
}

// startLogin builds an authorization request and has the provider approve
// it with fields (nil: the provider's default person).
func startLogin(t *testing.T, p *sgidtest.Provider, c *Client, fields map[string]string) login {
	t.Helper()
	req, err := c.NewAuthRequest()
	if err != nil {
		t.Fatal(err)
	}
	_, g, err := p.Approve(req.URL, fields)
	if err != nil {
		t.Fatalf("provider approve: %v", err)
	}
	return login{req: req, grant: g}
}

// exchange completes the login as the callback handler would.
func (l login) exchange(t *testing.T, c *Client) (Identity, error) {
	t.Helper()
	return c.Exchange(t.Context(), l.grant.Code, l.req.Verifier, l.req.Nonce)
}

// secrets is everything of this login that no error text may carry.
func (l login) secrets(p *sgidtest.Provider) []string {
	return append(p.Issued(), sgidtest.ClientSecret, l.req.Verifier, l.req.Nonce, l.req.State)
}

// identityOf is what a successful Exchange of g returns, for tests of
// Userinfo alone.
func identityOf(g *sgidtest.Grant) Identity {
	return Identity{Subject: g.Subject, AccessToken: g.AccessToken}
}

// assertNoSecrets fails when err's text carries any of secrets, or lacks
// the package prefix.
func assertNoSecrets(t *testing.T, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error %q contains %q", err, s)
		}
	}
	if !strings.HasPrefix(err.Error(), "sgid: ") {
		t.Errorf("error %q lacks the sgid: prefix", err)
	}
}

func jwksBody(t testing.TB, ks ...jose.JSONWebKey) []byte {
	t.Helper()
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: ks})
	if err != nil {
		t.Fatal(err)
	}
	return b
}
