package gateway

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// verifyAssertion checks an assertion the way the README tells an upstream
// to: against the published key set, ES256 only, issuer and times.
func verifyAssertion(t *testing.T, jwks []byte, token, issuer string, now time.Time) map[string]any {
	t.Helper()
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(jwks, &set); err != nil {
		t.Fatal(err)
	}
	parsed, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatalf("parse assertion: %v", err)
	}
	var std jwt.Claims
	var all map[string]any
	if err := parsed.Claims(set, &std, &all); err != nil {
		t.Fatalf("assertion does not verify against the key set: %v", err)
	}
	if err := std.ValidateWithLeeway(jwt.Expected{Issuer: issuer, Time: now}, 0); err != nil {
		t.Fatalf("assertion claims: %v", err)
	}
	return all
}

func TestAssertionCarriesIdentityAndVerifiesAgainstTheKeySet(t *testing.T) {
	key, _ := GenerateKey()
	now := time.Unix(1_800_000_000, 0)
	loggedIn := now.Add(-10 * time.Minute)
	a := NewAssertions(key, "https://app.example.sg/sgid/", func() time.Time { return now })
	token, err := a.Sign(Identity{
		Subject:  "pairwise-sub-1",
		Fields:   map[string]string{"myinfo.name": "TAN AH KOW", "myinfo.email": "tan@example.sg", "sub": "forged", "iss": "forged", "aud": "forged", "nbf": "forged"},
		LoggedIn: loggedIn,
	})
	if err != nil {
		t.Fatal(err)
	}
	claims := verifyAssertion(t, a.JWKS(), token, "https://app.example.sg/sgid/", now)
	want := map[string]any{
		"iss": "https://app.example.sg/sgid/", "sub": "pairwise-sub-1",
		"iat": float64(now.Unix()), "exp": float64(now.Add(5 * time.Minute).Unix()), "auth_time": float64(loggedIn.Unix()),
		"myinfo.name": "TAN AH KOW", "myinfo.email": "tan@example.sg",
	}
	for name, v := range want {
		if claims[name] != v {
			t.Errorf("claim %s: want %v, got %v", name, v, claims[name])
		}
	}
	if len(claims) != len(want) {
		t.Errorf("want exactly the claims %v, got %v", want, claims)
	}

	parsed, _ := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256})
	h := parsed.Headers[0]
	if h.KeyID != key.KeyID() || h.Algorithm != "ES256" || h.ExtraHeaders["typ"] != "JWT" {
		t.Errorf("header: want kid %s, ES256, typ JWT; got kid %s, %s, typ %v", key.KeyID(), h.KeyID, h.Algorithm, h.ExtraHeaders["typ"])
	}
}

func TestAssertionExpiresWithinFiveMinutes(t *testing.T) {
	key, _ := GenerateKey()
	now := time.Unix(1_800_000_000, 0)
	a := NewAssertions(key, "http://localhost:8080/", func() time.Time { return now })
	token, _ := a.Sign(Identity{Subject: "s"})
	parsed, _ := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256})
	var std jwt.Claims
	if err := parsed.Claims(&key.private.PublicKey, &std); err != nil {
		t.Fatal(err)
	}
	if err := std.ValidateWithLeeway(jwt.Expected{Time: now.Add(5*time.Minute + time.Second)}, 0); err == nil {
		t.Error("an assertion is still valid more than five minutes after it was made")
	}
}

func TestAssertionFromAnotherKeyDoesNotVerify(t *testing.T) {
	mine, _ := GenerateKey()
	theirs, _ := GenerateKey()
	token, _ := NewAssertions(theirs, "i", nil).Sign(Identity{Subject: "s"})
	parsed, _ := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256})
	var set jose.JSONWebKeySet
	_ = json.Unmarshal(mine.JWKS(), &set)
	var std jwt.Claims
	if err := parsed.Claims(set, &std); err == nil {
		t.Fatal("an assertion signed by another key verified against our key set")
	}
}

func TestNoAssertionForAnEmptySubject(t *testing.T) {
	key, _ := GenerateKey()
	if _, err := NewAssertions(key, "i", nil).Sign(Identity{}); err == nil {
		t.Fatal("signed an assertion for nobody")
	}
}

func TestJWKSIsCacheableBriefly(t *testing.T) {
	key, _ := GenerateKey()
	a := NewAssertions(key, "i", nil)
	rec := httptest.NewRecorder()
	a.ServeJWKS(rec, httptest.NewRequest(http.MethodGet, "/.well-known/jwks.json", nil))
	if rec.Code != http.StatusOK || rec.Body.String() != string(key.JWKS()) {
		t.Fatalf("want 200 with the key set, got %d %q", rec.Code, rec.Body.String())
	}
	if got := rec.Header().Get("Cache-Control"); got != "public, max-age=300" {
		t.Errorf("Cache-Control: want public, max-age=300, got %q", got)
	}
	if got := rec.Header().Get("Content-Type"); got != "application/jwk-set+json" {
		t.Errorf("Content-Type: got %q", got)
	}
}

// Signing costs several times a page view, so the same login gets the same
// assertion for a minute, and a fresh one after.
func TestAssertionIsReusedForAMinuteOfTheSameLogin(t *testing.T) {
	key, _ := GenerateKey()
	now := time.Unix(1_800_000_000, 0)
	a := NewAssertions(key, "i", func() time.Time { return now })
	login := Identity{Subject: "s", LoggedIn: now.Add(-time.Hour)}
	first, _ := a.Sign(login)
	now = now.Add(59 * time.Second)
	if again, _ := a.Sign(login); again != first {
		t.Error("within the minute: want the same assertion")
	}
	if other, _ := a.Sign(Identity{Subject: "s", LoggedIn: now}); other == first {
		t.Error("another login of the same person got the first login's assertion")
	}
	if other, _ := a.Sign(Identity{Subject: "t", LoggedIn: login.LoggedIn}); other == first {
		t.Error("another person got the first person's assertion")
	}
	now = now.Add(time.Second)
	fresh, _ := a.Sign(login)
	if fresh == first {
		t.Fatal("after a minute: want a fresh assertion")
	}
	parsed, _ := jwt.ParseSigned(fresh, []jose.SignatureAlgorithm{jose.ES256})
	var std jwt.Claims
	if err := parsed.Claims(&key.private.PublicKey, &std); err != nil || std.IssuedAt.Time() != now {
		t.Errorf("fresh assertion: want iat %v, got %v (%v)", now, std.IssuedAt, err)
	}
}

// BenchmarkSignFresh is the cost of one ES256 assertion, which the reuse
// cache saves on most checks.
func BenchmarkSignFresh(b *testing.B) {
	key, _ := GenerateKey()
	a := NewAssertions(key, "https://app.example.sg/sgid/", nil)
	id := Identity{Subject: "pairwise-sub", Fields: map[string]string{"myinfo.name": "TAN AH KOW"}, LoggedIn: time.Now()}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.sign(id, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}
