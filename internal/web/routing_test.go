package web_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/sgidweb/sgidweb/internal/session/store"
)

// countingStore counts every call that reaches the session store, and
// apart the writes among them.
type countingStore struct {
	store.Store
	calls  atomic.Int64
	writes atomic.Int64
}

func (s *countingStore) Find(token string) ([]byte, bool, error) {
	s.calls.Add(1)
	return s.Store.Find(token)
}

func (s *countingStore) Commit(token string, b []byte, expiry time.Time) error {
	s.calls.Add(1)
	s.writes.Add(1)
	return s.Store.Commit(token, b, expiry)
}

func (s *countingStore) CommitExisting(ctx context.Context, token string, b []byte, expiry time.Time) (bool, error) {
	s.calls.Add(1)
	s.writes.Add(1)
	return s.Store.CommitExisting(ctx, token, b, expiry)
}

func (s *countingStore) Delete(token string) error {
	s.calls.Add(1)
	s.writes.Add(1)
	return s.Store.Delete(token)
}

// startCountingServer serves the real routes over a session store that
// counts its calls.
func startCountingServer(t *testing.T) (string, *countingStore) {
	t.Helper()
	var counting *countingStore
	ts, _ := startServerOver(t, func(inner store.Store) store.Store {
		counting = &countingStore{Store: inner}
		return counting
	})
	return ts.URL, counting
}

// startLoginWith presses "Login with sgID" on the site at base and returns
// the cookies the browser then holds: the CSRF cookie and the session's.
func startLoginWith(t *testing.T, base string) []*http.Cookie {
	t.Helper()
	res, body := send(t, http.MethodGet, base+"/", nil)
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	token := doc.Find(`form[action="/auth/login"] input[name="csrf_token"]`).AttrOr("value", "")
	cookies := res.Cookies()
	req, _ := http.NewRequest(http.MethodPost, base+"/auth/login", strings.NewReader(url.Values{"csrf_token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for _, c := range cookies {
		req.AddCookie(c)
	}
	res, err = http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || len(res.Cookies()) == 0 {
		t.Fatalf("POST /auth/login: want 303 with a session cookie, got %d and %d cookies", res.StatusCode, len(res.Cookies()))
	}
	return append(cookies, res.Cookies()...)
}

func send(t *testing.T, method, target string, cookies []*http.Cookie) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, target, nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

func TestUnknownAddressesNeverTouchTheSessionStore(t *testing.T) {
	base, store := startCountingServer(t)
	// A browser with a session (a login in progress): every personal page
	// loads it from the store.
	cookies := startLoginWith(t, base)
	before := store.calls.Load()
	if send(t, http.MethodGet, base+"/", cookies); store.calls.Load() == before {
		t.Fatal("the counting store saw no calls for GET /: the test cannot see the store")
	}

	before = store.calls.Load()
	res, _ := send(t, http.MethodGet, base+"/nope", cookies)
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("GET /nope: want 404, got %d", res.StatusCode)
	}
	if got := store.calls.Load() - before; got != 0 {
		t.Errorf("GET /nope made %d session store calls, want none", got)
	}
	if res.Header.Get("Set-Cookie") != "" {
		t.Error("GET /nope set a cookie")
	}
}

func TestOtherMethodsAnswer404Or405NotACSRFRefusal(t *testing.T) {
	base, store := startCountingServer(t)
	for _, tc := range []struct{ method, path string }{
		{http.MethodPut, "/anything"},
		{http.MethodDelete, "/anything"},
		{"BREW", "/anything"},
		{http.MethodPut, "/"},
		{http.MethodDelete, "/auth/login"},
	} {
		res, body := send(t, tc.method, base+tc.path, nil)
		if res.StatusCode != http.StatusNotFound && res.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("%s %s: want 404 or 405, got %d", tc.method, tc.path, res.StatusCode)
		}
		if strings.Contains(body, "expired") {
			t.Errorf("%s %s: answered with the CSRF page", tc.method, tc.path)
		}
	}
	if n := store.calls.Load(); n != 0 {
		t.Errorf("refused methods made %d session store calls, want none", n)
	}
}

func TestHeadAnswersForPages(t *testing.T) {
	base, _ := startCountingServer(t)
	for _, path := range []string{"/", "/healthz", "/fragments/profile"} {
		res, body := send(t, http.MethodHead, base+path, nil)
		if res.StatusCode != http.StatusOK {
			t.Errorf("HEAD %s: want 200, got %d", path, res.StatusCode)
		}
		if body != "" {
			t.Errorf("HEAD %s: want no body, got %d bytes", path, len(body))
		}
	}
}

func TestMetricsLabelsAreBounded(t *testing.T) {
	s := startSite(t, map[string]string{"METRICS_ADDR": "127.0.0.1:0"})
	for _, tc := range []struct{ method, path string }{
		{"GET", "/nope"},
		{"GET", "/no/such/page"},
		{"PUT", "/anything"},
		{"X-INVENTED-1", "/"},
		{"X-INVENTED-2", "/"},
	} {
		send(t, tc.method, s.url+tc.path, nil)
	}
	res, err := http.Get("http://" + s.app.MetricsAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	text := string(body)
	for _, want := range []string{
		`sgidweb_http_request_duration_seconds_count{method="GET",route="unmatched",status="404"} 2`,
		`sgidweb_http_request_duration_seconds_count{method="OTHER",route="unmatched",status="404"} 1`,
		`sgidweb_http_request_duration_seconds_count{method="OTHER",route="unmatched",status="405"} 2`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics: want %q", want)
		}
	}
	for _, bad := range []string{"X-INVENTED", `route="/*"`, "/nope"} {
		if strings.Contains(text, bad) {
			t.Errorf("metrics hold %q", bad)
		}
	}
}

func TestOversizedChunkedFormIsTooLarge(t *testing.T) {
	s := startSite(t, nil)
	b := s.newBrowser()
	token := b.csrf("/auth/login")
	// A reader of unknown length makes the client send the body chunked,
	// so no Content-Length announces its size.
	body := io.MultiReader(strings.NewReader("csrf_token="+token+"&pad="), strings.NewReader(strings.Repeat("a", 80<<10)))
	req, _ := http.NewRequest(http.MethodPost, s.url+"/auth/login", body)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	p := b.Do(req)
	if p.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("chunked body over 64 KiB: want 413, got %d", p.Status)
	}
	if p.Doc.Find(`[data-testid="error-page"]`).Length() == 0 {
		t.Error("413 without the error page")
	}
}

func TestOriginIsComparedAsAnOrigin(t *testing.T) {
	s := startSite(t, nil)
	b := s.newBrowser()
	upper := strings.ToUpper(s.url)
	p := b.post("/auth/login", url.Values{"csrf_token": {b.csrf("/auth/login")}},
		map[string]string{"Sec-Fetch-Site": "", "Origin": upper})
	if p.Status != http.StatusSeeOther {
		t.Errorf("Origin %q (our own, in capitals): want 303, got %d", upper, p.Status)
	}
	p = b.post("/auth/login", url.Values{"csrf_token": {b.csrf("/auth/login")}},
		map[string]string{"Sec-Fetch-Site": "", "Origin": "http://127.0.0.2"})
	if p.Status != http.StatusForbidden {
		t.Errorf("another Origin: want 403, got %d", p.Status)
	}
}

// A POST without Sec-Fetch-Site or Origin (curl, old browsers) is accepted
// on the session's token alone, and refused without it.
func TestHeaderlessPostNeedsTheToken(t *testing.T) {
	s := startSite(t, nil)
	b := s.newBrowser()
	none := map[string]string{"Sec-Fetch-Site": "", "Origin": ""}
	if p := b.post("/auth/login", url.Values{}, none); p.Status != http.StatusForbidden {
		t.Errorf("no headers, no token: want 403, got %d", p.Status)
	}
	if p := b.post("/auth/login", url.Values{"csrf_token": {b.csrf("/auth/login")}}, none); p.Status != http.StatusSeeOther {
		t.Errorf("no headers, the token: want 303, got %d", p.Status)
	}
}

func TestOnlyTheHomePageSpendsTheFlash(t *testing.T) {
	s := startSite(t, nil)
	b := s.newBrowser()
	b.login(s.app.Mock.Personas()[0].ID, true)
	if p := b.post("/auth/logout", url.Values{"csrf_token": {b.csrf("/auth/logout")}}, nil); p.Status != http.StatusSeeOther {
		t.Fatalf("logout: %d", p.Status)
	}
	for _, path := range []string{"/fragments/login-button", "/fragments/consent-status", "/fragments/profile"} {
		if p := b.get(path); p.Status != http.StatusOK {
			t.Fatalf("GET %s: %d", path, p.Status)
		}
	}
	req, _ := http.NewRequest(http.MethodHead, s.url+"/", nil)
	b.Do(req)
	if p := b.get("/"); p.Text("flash") == "" {
		t.Fatal("the logout message was spent before the home page showed it")
	}
	if p := b.get("/"); p.Text("flash") != "" {
		t.Errorf("the home page showed the message twice: %q", p.Text("flash"))
	}
}
