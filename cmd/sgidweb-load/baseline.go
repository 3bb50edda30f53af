package main

import (
	"context"
	"errors"
	"net/http"
	"os/signal"
	"strings"
	"syscall"

	"github.com/labstack/echo/v4"
)

// baselinePage is a fixed page about the size of sgidweb's logged-in home.
var baselinePage = []byte("<!doctype html><html lang=\"en\"><head><title>baseline</title></head><body><main>" +
	strings.Repeat("<p>A fixed paragraph that stands in for a rendered page.</p>", 80) + "</main></body></html>")

// serveBaseline answers every GET / with the fixed page from a bare Echo
// handler: no middleware, no session, no template. It is the ceiling the
// server's logged-in page rate is compared with.
func serveBaseline(addr string) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET("/", func(c echo.Context) error {
		return c.HTMLBlob(http.StatusOK, baselinePage)
	})
	e.GET("/readyz", func(c echo.Context) error { return c.NoContent(http.StatusOK) })
	srv := &http.Server{Addr: addr, Handler: e}
	go func() {
		<-ctx.Done()
		srv.Shutdown(context.Background())
	}()
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
