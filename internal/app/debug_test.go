package app

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/sgidweb/sgidweb/internal/config"
)

func TestDebugListenerServesPprofOnlyWhenAsked(t *testing.T) {
	for _, withDebug := range []bool{false, true} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		vars := map[string]string{"PUBLIC_URL": "http://" + ln.Addr().String(), "SESSION_STORE": "memory"}
		if withDebug {
			vars["DEBUG_ADDR"] = "127.0.0.1:0"
		}
		cfg, err := config.Load(func(k string) string { return vars[k] })
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		a, err := Build(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- a.Serve(ctx, ln) }()

		// The profiler is never on the public listener.
		res, err := http.Get("http://" + ln.Addr().String() + "/debug/pprof/")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			t.Errorf("public listener serves pprof")
		}
		if withDebug != (a.debugLn != nil) {
			t.Fatalf("DEBUG_ADDR set=%v but debug listener bound=%v", withDebug, a.debugLn != nil)
		}
		if a.debugLn != nil {
			res, err := http.Get("http://" + a.debugLn.Addr().String() + "/debug/pprof/")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine") {
				t.Errorf("debug listener: want the pprof index, got %d", res.StatusCode)
			}
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		a.Store.Close()
	}
}
