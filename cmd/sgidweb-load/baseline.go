package main

import (
	"context"
	"errors"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/labstack/echo/v4"
)

// serveBaseline answers every GET / with the bytes of pagePath from a bare
// Echo handler: no middleware, no session, no template. It is the ceiling
// the server's logged-in page rate is compared with.
func serveBaseline(addr, pagePath string) error {
	page, err := os.ReadFile(pagePath)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET("/", func(c echo.Context) error {
		return c.HTMLBlob(http.StatusOK, page)
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
