package web

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// healthz answers while the process serves: liveness only, no dependencies.
func (s *Server) healthz(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.String(http.StatusOK, "ok\n")
}

// readyz answers 200 when this instance can serve: its session store
// answers. sgID's reachability is not this instance's to report (every
// instance would drain at once); it is a metric and a doctor check.
func (s *Server) readyz(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.logger(c).Warn("not ready", "reason", "session_store_unavailable")
		return c.String(http.StatusServiceUnavailable, "session store unavailable\n")
	}
	return c.String(http.StatusOK, "ready\n")
}
