// Package apptest starts the real sgidweb app on a loopback port for tests
// in other packages (the router's end-to-end tests, the browser tests, the
// MockPass interoperability tests), with its logs captured for inspection.
package apptest

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"sync"
	"testing"

	"github.com/sgidweb/sgidweb/internal/app"
	"github.com/sgidweb/sgidweb/internal/config"
)

// Site is a running app.
type Site struct {
	URL  string // http://127.0.0.1:PORT, also its PUBLIC_URL
	App  *app.App
	Logs *LogBuffer // every log line, JSON, debug level and up
}

// Listen opens a loopback listener, so a test can learn the address (say,
// to register the callback with a provider) before the site starts.
func Listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// Start serves the app on ln. The configuration is the contract's defaults
// with PUBLIC_URL and ADDR set to the listener, an in-memory session store
// and no shutdown delay; env adds or overrides variables. With no sgID
// credentials in env the app runs against its embedded mock. The site stops
// when the test ends.
func Start(t testing.TB, ln net.Listener, env map[string]string, opts ...app.Option) *Site {
	t.Helper()
	base := "http://" + ln.Addr().String()
	// No load balancer watches a test's site, so it stops without draining.
	vars := map[string]string{"PUBLIC_URL": base, "ADDR": ln.Addr().String(), "SESSION_STORE": "memory", "SHUTDOWN_DELAY": "0"}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := config.Load(func(k string) string { return vars[k] })
	if err != nil {
		ln.Close()
		t.Fatalf("config: %v", err)
	}
	logs := &LogBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Build(ctx, cfg, log, opts...)
	if err != nil {
		cancel()
		ln.Close()
		t.Fatalf("build: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		a.Store.Close()
	})
	return &Site{URL: base, App: a, Logs: logs}
}

// LogBuffer collects log output written by concurrent handlers.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything logged so far.
func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
