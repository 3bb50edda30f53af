package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/sgidweb/sgidweb/internal/app"
	"github.com/sgidweb/sgidweb/internal/config"
)

// FuzzCallbackQuery sends arbitrary callback queries through the real
// router to a browser with a login in progress. "{state}" in the input is
// replaced by that login's real state, so the fuzzer also reaches the paths
// behind the state check. Whatever the query, the answer is a redirect home
// or a 400 error page: never a 5xx, never the query reflected as markup.
func FuzzCallbackQuery(f *testing.F) {
	for _, seed := range []string{
		"code=abc&state={state}",
		"error=access_denied&state={state}",
		"error=access_denied&error_description=%3Cscript%3Ealert(1)%3C/script%3E&state={state}",
		"error=server_error&state={state}",
		"code=a&code=b&state={state}",
		"state={state}&state={state}",
		"code=&state=",
		"code=%00%ff&state=%C0%AF",
		"code=" + strings.Repeat("A", 3000) + "&state={state}",
		"%zz=1&state={state}",
		";;;&&&===",
		"state={state}x",
		"",
	} {
		f.Add(seed)
	}
	cfg, err := config.Load(func(k string) string {
		// Every input is a login from the same address: no rate limit.
		return map[string]string{"PUBLIC_URL": "http://127.0.0.1:1", "SESSION_STORE": "memory", "RATE_LIMIT_LOGIN": "0"}[k]
	})
	if err != nil {
		f.Fatal(err)
	}
	a, err := app.Build(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { a.Store.Close() })
	origin := cfg.PublicURL.String()

	// do sends req with the browser's cookies and keeps the ones it is given.
	do := func(req *http.Request, jar map[string]*http.Cookie) *httptest.ResponseRecorder {
		for _, c := range jar {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		a.Handler.ServeHTTP(rec, req)
		for _, c := range rec.Result().Cookies() {
			jar[c.Name] = c
		}
		return rec
	}
	f.Fuzz(func(t *testing.T, raw string) {
		// A fresh browser with one login in progress.
		jar := map[string]*http.Cookie{}
		home := do(httptest.NewRequest(http.MethodGet, origin+"/", nil), jar)
		doc, _ := goquery.NewDocumentFromReader(home.Body)
		token, _ := doc.Find(`form[action="/auth/login"] input[name="csrf_token"]`).Attr("value")
		login := httptest.NewRequest(http.MethodPost, origin+"/auth/login", strings.NewReader(url.Values{"csrf_token": {token}}.Encode()))
		login.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		login.Header.Set("Sec-Fetch-Site", "same-origin")
		started := do(login, jar)
		loc, err := url.Parse(started.Header().Get("Location"))
		if started.Code != http.StatusSeeOther || err != nil || jar[a.SessionCookieName()] == nil {
			t.Fatalf("could not start a login: %d", started.Code)
		}
		query := strings.ReplaceAll(raw, "{state}", url.QueryEscape(loc.Query().Get("state")))

		req := httptest.NewRequest(http.MethodGet, origin+"/auth/callback", nil)
		req.URL.RawQuery = query
		req.RequestURI = "/auth/callback?" + query
		res := do(req, jar)
		body := res.Body.String()
		switch res.Code {
		case http.StatusSeeOther:
			if res.Header().Get("Location") != "/" {
				t.Fatalf("callback redirected to %q", res.Header().Get("Location"))
			}
		case http.StatusBadRequest:
			if !strings.Contains(body, `data-testid="error-page"`) {
				t.Fatalf("400 without the error page: %q", body)
			}
		default:
			t.Fatalf("callback answered %d for query %q", res.Code, query)
		}
		if strings.Count(strings.ToLower(body), "<script") > 1 {
			t.Fatalf("the query was reflected as markup: %q", body)
		}
	})
}
