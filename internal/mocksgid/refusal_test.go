package mocksgid_test

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/sgidweb/sgidweb/internal/mocksgid"
)

// Requests whose client or redirect URI cannot be trusted get an error page:
// redirecting would hand the error (and the state) to an unverified site.
func TestAuthorizeRefusesUntrustedClientWithoutRedirect(t *testing.T) {
	f := newFixture(t)
	cases := map[string]func(a *authParams){
		"unknown client_id":     func(a *authParams) { a.clientID = "no-such-client" },
		"missing client_id":     func(a *authParams) { a.values = url.Values{"client_id": nil} },
		"unregistered redirect": func(a *authParams) { a.redirectURI = "https://evil.example/auth/callback" },
		"redirect with extra /": func(a *authParams) { a.redirectURI = f.redirectURI + "/" },
		"redirect with query":   func(a *authParams) { a.redirectURI = f.redirectURI + "?x=1" },
		"missing redirect_uri":  func(a *authParams) { a.values = url.Values{"redirect_uri": nil} },
		"repeated redirect_uri": func(a *authParams) {
			a.values = url.Values{"redirect_uri": {f.redirectURI, "https://rp.example/other"}}
		},
		"other client's redirect": func(a *authParams) { a.clientID = otherClientID; a.redirectURI = "https://rp.example/other" },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			a := defaultAuth(f, "openid myinfo.name")
			mutate(a)
			next, err := f.p.Approve(f.authorizeURL(a), "tan-heng-huat", true)
			var aerr *mocksgid.AuthorizeError
			if !errors.As(err, &aerr) || next != "" || aerr.RedirectURL != "" {
				t.Fatalf("Approve = %q, %v; want an *AuthorizeError and no redirect", next, err)
			}
			resp, err := f.http.Get(f.authorizeURL(a))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
				t.Fatalf("GET authorize = %d Location %q, want 400 and no redirect", resp.StatusCode, resp.Header.Get("Location"))
			}
			doc, _ := goquery.NewDocumentFromReader(resp.Body)
			if doc.Find(`[data-testid="mock-error"]`).Length() != 1 || doc.Find(`[data-testid="mock-banner"]`).Length() != 1 {
				t.Error("error page lacks mock-error or mock-banner")
			}
		})
	}
}

// Other bad requests go back to the (verified) redirect URI with an error.
func TestAuthorizeRedirectsOtherErrors(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		name   string
		values url.Values
		scope  string
		want   string
	}{
		{"missing code_challenge", url.Values{"code_challenge": nil}, "", "invalid_request"},
		{"missing code_challenge_method", url.Values{"code_challenge_method": nil}, "", "invalid_request"},
		{"plain PKCE", url.Values{"code_challenge_method": {"plain"}}, "", "invalid_request"},
		{"challenge not a SHA-256", url.Values{"code_challenge": {"too-short"}}, "", "invalid_request"},
		{"missing response_type", url.Values{"response_type": nil}, "", "invalid_request"},
		{"implicit flow", url.Values{"response_type": {"token"}}, "", "unsupported_response_type"},
		{"no openid scope", nil, "myinfo.name", "invalid_scope"},
		{"empty scope", nil, " ", "invalid_scope"},
		{"repeated state", url.Values{"state": {"a", "b"}}, "", "invalid_request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := defaultAuth(f, "openid myinfo.name")
			a.values = tc.values
			if tc.scope != "" {
				a.scope = tc.scope
			}
			check := func(how, next string) {
				t.Helper()
				u, err := url.Parse(next)
				if err != nil || !strings.HasPrefix(next, f.redirectURI+"?") {
					t.Fatalf("%s redirect = %q, want %s?...", how, next, f.redirectURI)
				}
				q := u.Query()
				wantState := a.state
				if tc.name == "repeated state" {
					wantState = "a"
				}
				if q.Get("error") != tc.want || q.Get("state") != wantState || q.Get("error_description") == "" || q.Has("code") {
					t.Fatalf("%s redirect = %q, want error=%s with state and description, no code", how, next, tc.want)
				}
			}
			next, err := f.p.Approve(f.authorizeURL(a), "tan-heng-huat", true)
			var aerr *mocksgid.AuthorizeError
			if !errors.As(err, &aerr) || aerr.Code != tc.want {
				t.Fatalf("Approve error = %v, want %s", err, tc.want)
			}
			check("Approve", next)

			resp, err := f.http.Get(f.authorizeURL(a))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("GET authorize = %d, want 303", resp.StatusCode)
			}
			check("GET", resp.Header.Get("Location"))
		})
	}
}

func TestApproveChecksItsInput(t *testing.T) {
	f := newFixture(t)
	a := defaultAuth(f, "openid")
	if _, err := f.p.Approve(f.authorizeURL(a), "nobody", true); err == nil {
		t.Error("unknown persona accepted")
	}
	wrongHost := strings.Replace(f.authorizeURL(a), f.issuer, "https://api.id.gov.sg/v2", 1)
	if _, err := f.p.Approve(wrongHost, "tan-heng-huat", true); err == nil {
		t.Error("authorize URL of another issuer accepted")
	}
}

func TestTokenRefusals(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		name       string
		change     func(a *authParams, form url.Values) url.Values
		wantStatus int
		wantCode   string
	}{
		{"wrong client_secret", func(_ *authParams, v url.Values) url.Values { v.Set("client_secret", clientSecret+"x"); return v }, 401, "invalid_client"},
		{"missing client_secret", func(_ *authParams, v url.Values) url.Values { v.Del("client_secret"); return v }, 401, "invalid_client"},
		{"unknown client_id", func(_ *authParams, v url.Values) url.Values { v.Set("client_id", "no-such-client"); return v }, 401, "invalid_client"},
		{"code of another client", func(_ *authParams, v url.Values) url.Values {
			v.Set("client_id", otherClientID)
			v.Set("client_secret", "other-secret")
			return v
		}, 400, "invalid_grant"},
		{"wrong redirect_uri", func(_ *authParams, v url.Values) url.Values {
			v.Set("redirect_uri", "https://rp.example/other")
			return v
		}, 400, "invalid_grant"},
		{"missing redirect_uri", func(_ *authParams, v url.Values) url.Values { v.Del("redirect_uri"); return v }, 400, "invalid_request"},
		{"wrong code_verifier", func(_ *authParams, v url.Values) url.Values {
			v.Set("code_verifier", randomString()+randomString())
			return v
		}, 400, "invalid_grant"},
		{"challenge sent as verifier", func(a *authParams, v url.Values) url.Values { v.Set("code_verifier", challenge(a.verifier)); return v }, 400, "invalid_grant"},
		{"missing code_verifier", func(_ *authParams, v url.Values) url.Values { v.Del("code_verifier"); return v }, 400, "invalid_request"},
		{"short code_verifier", func(_ *authParams, v url.Values) url.Values { v.Set("code_verifier", "abc"); return v }, 400, "invalid_request"},
		{"unknown code", func(_ *authParams, v url.Values) url.Values { v.Set("code", "not-a-code"); return v }, 400, "invalid_grant"},
		{"missing grant_type", func(_ *authParams, v url.Values) url.Values { v.Del("grant_type"); return v }, 400, "invalid_request"},
		{"refresh_token grant", func(_ *authParams, v url.Values) url.Values { v.Set("grant_type", "refresh_token"); return v }, 400, "unsupported_grant_type"},
		{"repeated code", func(_ *authParams, v url.Values) url.Values { v.Add("code", "again"); return v }, 400, "invalid_request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := defaultAuth(f, "openid myinfo.name")
			code := f.approve(a, "tan-heng-huat")
			status, tr := f.postToken(tc.change(a, a.tokenForm(code)))
			wantTokenError(t, status, tr, tc.wantStatus, tc.wantCode)
		})
	}
}

func TestTokenRefusesOtherClientAuthAndEncodings(t *testing.T) {
	f := newFixture(t)
	a := defaultAuth(f, "openid")

	t.Run("HTTP Basic", func(t *testing.T) {
		form := a.tokenForm(f.approve(a, "tan-heng-huat"))
		form.Del("client_secret")
		req, _ := http.NewRequest(http.MethodPost, f.issuer+"/oauth/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(clientID, clientSecret)
		resp, err := f.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		status, tr := decodeToken(t, resp)
		wantTokenError(t, status, tr, 400, "invalid_request")
	})
	t.Run("JSON body", func(t *testing.T) {
		code := f.approve(a, "tan-heng-huat")
		body := `{"grant_type":"authorization_code","code":"` + code + `","client_id":"` + clientID + `","client_secret":"` + clientSecret + `"}`
		resp, err := f.http.Post(f.issuer+"/oauth/token", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		status, tr := decodeToken(t, resp)
		wantTokenError(t, status, tr, 400, "invalid_request")
	})
	t.Run("parameters in the query", func(t *testing.T) {
		form := a.tokenForm(f.approve(a, "tan-heng-huat"))
		resp, err := f.http.Post(f.issuer+"/oauth/token?"+form.Encode(), "application/x-www-form-urlencoded", strings.NewReader(""))
		if err != nil {
			t.Fatal(err)
		}
		status, tr := decodeToken(t, resp)
		wantTokenError(t, status, tr, 400, "invalid_request")
	})
	t.Run("GET", func(t *testing.T) {
		resp, err := f.http.Get(f.issuer + "/oauth/token")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Fatalf("GET token = %d, want 405", resp.StatusCode)
		}
	})
}

func TestReusedCodeFailsAndRevokesToken(t *testing.T) {
	f := newFixture(t)
	a := defaultAuth(f, "openid myinfo.name")
	code := f.approve(a, "tan-heng-huat")
	tr := f.exchange(a, code)
	f.userinfo(tr.AccessToken) // the token works before the replay

	status, again := f.postToken(a.tokenForm(code))
	wantTokenError(t, status, again, 400, "invalid_grant")

	resp, body := f.getUserinfo("Bearer " + tr.AccessToken)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("userinfo after code replay = %d %s, want 401 (token revoked)", resp.StatusCode, body)
	}
}

func TestCodeAttemptSpendsTheCode(t *testing.T) {
	f := newFixture(t)
	a := defaultAuth(f, "openid")
	code := f.approve(a, "tan-heng-huat")
	bad := a.tokenForm(code)
	bad.Set("code_verifier", randomString()+randomString())
	status, tr := f.postToken(bad)
	wantTokenError(t, status, tr, 400, "invalid_grant")
	status, tr = f.postToken(a.tokenForm(code))
	wantTokenError(t, status, tr, 400, "invalid_grant")
}

func TestCodeExpires(t *testing.T) {
	f := newFixture(t)
	a := defaultAuth(f, "openid")

	// Just inside the default 60s the code still works ...
	code := f.approve(a, "tan-heng-huat")
	f.clock.Advance(59 * time.Second)
	f.exchange(a, code)

	// ... and just past it, it does not.
	code = f.approve(a, "tan-heng-huat")
	f.clock.Advance(61 * time.Second)
	status, tr := f.postToken(a.tokenForm(code))
	wantTokenError(t, status, tr, 400, "invalid_grant")
}

func TestUserinfoRequiresValidBearer(t *testing.T) {
	f := newFixture(t)
	a := defaultAuth(f, "openid myinfo.name")
	tr := f.exchange(a, f.approve(a, "tan-heng-huat"))

	cases := map[string]string{
		"no header":            "",
		"unknown token":        "Bearer " + randomString(),
		"empty token":          "Bearer ",
		"Basic scheme":         "Basic " + tr.AccessToken,
		"token without scheme": tr.AccessToken,
	}
	for name, authz := range cases {
		t.Run(name, func(t *testing.T) {
			resp, body := f.getUserinfo(authz)
			if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Fatalf("got %d WWW-Authenticate %q: %s", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body)
			}
			if strings.Contains(string(body), `"sub"`) {
				t.Fatalf("refusal leaks data: %s", body)
			}
		})
	}
	t.Run("token in the query", func(t *testing.T) {
		resp, err := f.http.Get(f.issuer + "/oauth/userinfo?access_token=" + url.QueryEscape(tr.AccessToken))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("got %d, want 401", resp.StatusCode)
		}
	})
	t.Run("expired token", func(t *testing.T) {
		f.userinfo(tr.AccessToken) // still valid now
		f.clock.Advance(10*time.Minute + time.Second)
		resp, _ := f.getUserinfo("Bearer " + tr.AccessToken)
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
			t.Fatalf("expired token: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
	})
}

func TestNewValidatesConfig(t *testing.T) {
	good := mocksgid.Client{ID: "c", Secret: "s", RedirectURIs: []string{"https://rp.example/cb"}, PublicKey: &clientKey.PublicKey}
	cases := map[string]mocksgid.Config{
		"issuer without /v2":    {Issuer: "http://localhost:8080/mock-sgid", Clients: []mocksgid.Client{good}},
		"issuer with slash":     {Issuer: "http://localhost:8080/mock-sgid/v2/", Clients: []mocksgid.Client{good}},
		"relative issuer":       {Issuer: "/mock-sgid/v2", Clients: []mocksgid.Client{good}},
		"no clients":            {Issuer: "http://localhost:8080/v2"},
		"client without key":    {Issuer: "http://localhost:8080/v2", Clients: []mocksgid.Client{{ID: "c", Secret: "s", RedirectURIs: good.RedirectURIs}}},
		"client without secret": {Issuer: "http://localhost:8080/v2", Clients: []mocksgid.Client{{ID: "c", RedirectURIs: good.RedirectURIs, PublicKey: good.PublicKey}}},
		"relative redirect":     {Issuer: "http://localhost:8080/v2", Clients: []mocksgid.Client{{ID: "c", Secret: "s", RedirectURIs: []string{"/cb"}, PublicKey: good.PublicKey}}},
		"duplicate client":      {Issuer: "http://localhost:8080/v2", Clients: []mocksgid.Client{good, good}},
	}
	for name, cfg := range cases {
		if _, err := mocksgid.New(cfg); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
}
