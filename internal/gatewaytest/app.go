package gatewaytest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"golang.org/x/net/websocket"

	"github.com/sgidweb/sgidweb/internal/gateway"
)

// Received is what the app saw of one request, as it answers it.
type Received struct {
	Method string      `json:"method"`
	URI    string      `json:"uri"`
	Host   string      `json:"host"`
	Header http.Header `json:"header"`
	Body   string      `json:"body"`
	// Subject is X-Sgid-Subject; Claims are the verified assertion's, and
	// AssertionError says why it did not verify.
	Subject        string         `json:"subject"`
	Claims         map[string]any `json:"claims"`
	AssertionError string         `json:"assertion_error"`
}

// App is a guarded app: it answers every request with the JSON of what it
// received (and sets a cookie of its own, app_cookie=1), except /ws, a
// WebSocket that echoes each message.
type App struct {
	URL string // http://127.0.0.1:PORT

	mu       sync.Mutex
	verifier *Verifier
}

// AppCookie is the cookie the app sets; it must come back to the app.
const AppCookie = "app_cookie=1"

// StartApp serves the app on a loopback port until the test ends.
func StartApp(t testing.TB) *App {
	t.Helper()
	a := &App{}
	mux := http.NewServeMux()
	mux.Handle("/ws", websocket.Handler(func(ws *websocket.Conn) { _, _ = io.Copy(ws, ws) }))
	mux.HandleFunc("/", a.echo)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	a.URL = srv.URL
	return a
}

// Trust makes the app verify assertions against jwksURL and issuer (known
// once the proxy in front of it has a port).
func (a *App) Trust(jwksURL, issuer string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.verifier = &Verifier{JWKSURL: jwksURL, Issuer: issuer}
}

func (a *App) echo(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	got := Received{Method: r.Method, URI: r.RequestURI, Host: r.Host, Header: r.Header, Body: string(body),
		Subject: r.Header.Get(gateway.HeaderSubject)}
	a.mu.Lock()
	v := a.verifier
	a.mu.Unlock()
	switch assertion := r.Header.Get(gateway.HeaderAssertion); {
	case v == nil:
		got.AssertionError = "the app was not told which keys to trust"
	case assertion == "":
		got.AssertionError = "no assertion"
	default:
		sub, claims, err := v.Verify(r.Context(), assertion)
		if err != nil {
			got.AssertionError = err.Error()
		} else if sub != got.Subject {
			got.AssertionError = "X-Sgid-Subject " + got.Subject + " differs from the assertion's sub " + sub
		}
		got.Claims = claims
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Set-Cookie", AppCookie+"; Path=/; HttpOnly; SameSite=Lax")
	_ = json.NewEncoder(w).Encode(got)
}
