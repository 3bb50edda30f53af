package web_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

// accessLine waits for the access line of the request that reached route
// and returns it. The loop is bounded; nothing is timed.
func accessLine(t *testing.T, s *site, method, route string) logLine {
	t.Helper()
	for range 500 {
		for _, l := range parseLogs(t, s) {
			if l.str("msg") == "request" && l.str("method") == method && l.str("route") == route {
				return l
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no access line for %s %s in:\n%s", method, route, s.logs.String())
	return nil
}

// wantClientClosed checks that a request the client abandoned is recorded
// as 499 with an info line saying so, and that nothing was logged as an
// error: the server did nothing wrong.
func wantClientClosed(t *testing.T, s *site, method, route string) {
	t.Helper()
	if got := accessLine(t, s, method, route)["status"]; got != float64(499) {
		t.Errorf("%s %s: want status 499 in the access line, got %v", method, route, got)
	}
	var said bool
	for _, l := range parseLogs(t, s) {
		if l.str("level") == "ERROR" {
			t.Errorf("%s %s: the client left, yet an error was logged: %v", method, route, l)
		}
		if l.str("level") == "INFO" && l.str("reason") == "client_closed" {
			said = true
		}
	}
	if !said {
		t.Errorf("%s %s: no info line with reason client_closed in:\n%s", method, route, s.logs.String())
	}
}

// A client that closes the connection halfway through the login form's
// body has gone away: 499, not a 400 or 500 and an ERROR line.
func TestAbortedLoginBodyIsTheClientsDoing(t *testing.T) {
	s := startSite(t, map[string]string{"METRICS_ADDR": "127.0.0.1:0"})
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "POST /auth/login HTTP/1.1\r\nHost: %s\r\nOrigin: %s\r\n"+
		"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ncsrf_token=abc",
		strings.TrimPrefix(s.url, "http://"), s.url)
	conn.Close()
	wantClientClosed(t, s, http.MethodPost, "/auth/login")

	res, err := http.Get("http://" + s.app.MetricsAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if want := `sgidweb_http_request_duration_seconds_count{method="POST",route="/auth/login",status="499"} 1`; !strings.Contains(string(body), want) {
		t.Errorf("metrics: want %s", want)
	}
}

// A body that stops arriving until the server's ReadTimeout ends the read
// is the client's too. The read deadline's error is what net/http's body
// returns then.
func TestTrickledLoginBodyIsTheClientsDoing(t *testing.T) {
	s := startSite(t, nil)
	body := io.MultiReader(strings.NewReader("csrf_token=abc"), errReader{&net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}})
	req := httptest.NewRequest(http.MethodPost, s.url+"/auth/login", body)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	s.app.Handler.ServeHTTP(httptest.NewRecorder(), req)
	wantClientClosed(t, s, http.MethodPost, "/auth/login")
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// A request whose context is canceled (the browser closed the tab, the
// connection dropped) while the page was being made is recorded as 499.
func TestCanceledRequestIsTheClientsDoing(t *testing.T) {
	s := startSite(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, s.url+"/", nil)
	s.app.Handler.ServeHTTP(httptest.NewRecorder(), req)
	wantClientClosed(t, s, http.MethodGet, "/")
}

// An error page is rendered with a context that outlives the client's: a
// page the server had decided on (here a 404) still renders once the client
// has left, rather than failing as a 500 with an error line of its own.
func TestErrorPageRendersAfterTheClientLeft(t *testing.T) {
	s := startSite(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec := httptest.NewRecorder()
	s.app.Handler.ServeHTTP(rec, httptest.NewRequestWithContext(ctx, http.MethodGet, s.url+"/no/such/page", nil))
	if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), `data-testid="error-page"`) {
		t.Errorf("want the 404 page, got %d: %q", rec.Code, rec.Body.String())
	}
	for _, l := range parseLogs(t, s) {
		if l.str("level") == "ERROR" {
			t.Errorf("rendering the page for a client that left logged an error: %v", l)
		}
	}
}
