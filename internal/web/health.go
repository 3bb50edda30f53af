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

// readyz answers 200 only when a login could complete now: the session
// store answers and sgID's JWKS answered within the last minute.
func (s *Server) readyz(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.logger(c).Warn("not ready", "reason", "session_store_unavailable")
		return c.String(http.StatusServiceUnavailable, "session store unavailable\n")
	}
	if err := s.sgid.CheckKeys(ctx); err != nil {
		s.logger(c).Warn("not ready", "reason", "sgid_keys_unavailable")
		return c.String(http.StatusServiceUnavailable, "sgID keys unavailable\n")
	}
	return c.String(http.StatusOK, "ready\n")
}
