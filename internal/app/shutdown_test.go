package app_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/sgidweb/sgidweb/internal/app"
	"github.com/sgidweb/sgidweb/internal/config"
)

// A request in flight when the context ends (SIGTERM in main) still gets
// its answer, while new connections are refused, on both listeners.
func TestShutdownLetsAnInFlightRequestFinish(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"PUBLIC_URL": "http://" + ln.Addr().String(), "SESSION_STORE": "memory", "METRICS_ADDR": "127.0.0.1:0"}
	cfg, err := config.Load(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := app.Build(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Store.Close()

	// The test's hook: a handler that holds its request until released.
	entered, release := make(chan struct{}), make(chan struct{})
	site := a.Handler
	mux := http.NewServeMux()
	mux.Handle("/", site)
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		io.WriteString(w, "finished")
	})
	a.Handler = mux

	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx, ln) }()

	type answer struct {
		status int
		body   string
		err    error
	}
	answered := make(chan answer, 1)
	go func() {
		res, err := http.Get("http://" + ln.Addr().String() + "/slow")
		if err != nil {
			answered <- answer{err: err}
			return
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		answered <- answer{status: res.StatusCode, body: string(b), err: err}
	}()
	<-entered
	cancel()

	// Wait (boundedly) until both listeners refuse new connections, so the
	// slow request is known to be finishing during the shutdown.
	for _, addr := range []string{ln.Addr().String(), a.MetricsAddr()} {
		refused := false
		for range 500 {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err != nil {
				refused = true
				break
			}
			c.Close()
			time.Sleep(10 * time.Millisecond)
		}
		if !refused {
			t.Fatalf("%s still accepts connections after shutdown began", addr)
		}
	}
	close(release)

	got := <-answered
	if got.err != nil || got.status != http.StatusOK || got.body != "finished" {
		t.Fatalf("in-flight request: want 200 finished, got %d %q %v", got.status, got.body, got.err)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve after shutdown: want nil, got %v", err)
	}
}

// Behind a load balancer a shutdown first drains: /readyz answers 503 at
// once while pages are still served for SHUTDOWN_DELAY, so the balancer's
// probe sees not-ready and moves traffic before the listener closes. The
// delay is injected: the test ends it, so nothing here waits on the clock.
func TestShutdownDrainsBeforeClosing(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	vars := map[string]string{"PUBLIC_URL": base, "ADDR": ln.Addr().String(), "SESSION_STORE": "memory", "SHUTDOWN_DELAY": "30s"}
	cfg, err := config.Load(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	delays, release := make(chan time.Duration, 1), make(chan struct{})
	hold := func(d time.Duration) {
		delays <- d
		<-release
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := app.Build(ctx, cfg, slog.New(slog.DiscardHandler), app.WithShutdownWait(hold))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Store.Close()
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx, ln) }()

	get := func(path string) (*http.Response, error) {
		res, err := http.Get(base + path)
		if err != nil {
			return nil, err
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res, nil
	}
	status := func(path string) string {
		res, err := get(path)
		if err != nil {
			return err.Error()
		}
		return res.Status
	}
	if got := status("/readyz"); got != "200 OK" {
		t.Fatalf("/readyz before SIGTERM: want 200, got %s", got)
	}
	cancel()

	var d time.Duration
	select {
	case d = <-delays:
	case err := <-served:
		t.Fatalf("Serve returned without draining first: %v", err)
	}
	if d != 30*time.Second {
		t.Errorf("the drain waited %v, want SHUTDOWN_DELAY (30s)", d)
	}
	// The wait has begun, so the drain switch is already on.
	if got := status("/readyz"); got != "503 Service Unavailable" {
		t.Errorf("/readyz during the delay: want 503, got %s", got)
	}
	res, err := get("/")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET / during the delay: want 200, got %s", status("/"))
	}
	// Pooled connections are told to close, so the balancer's next request
	// opens a new one (to another instance) instead of finding it cut.
	if !res.Close {
		t.Error("GET / during the delay: want Connection: close")
	}

	close(release)
	if err := <-served; err != nil {
		t.Fatalf("Serve after the drain: want nil, got %v", err)
	}
	if c, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		c.Close()
		t.Error("the listener still accepts connections after the drain ended")
	}
}
