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

// readyz reports what this instance owns: 200 when the session store
// answers, 503 when it does not or while the instance drains for shutdown.
// sgID is left out on purpose: its outage is every instance's outage at
// once, and a load balancer that drained them all would turn away the
// logged-in people who could still be served. sgID's reachability is a
// metric and a doctor check instead.
func (s *Server) readyz(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	if s.draining.Load() {
		return c.String(http.StatusServiceUnavailable, "shutting down\n")
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.logger(c).Warn("not ready", "reason", "session_store_unavailable")
		return c.String(http.StatusServiceUnavailable, "session store unavailable\n")
	}
	return c.String(http.StatusOK, "ready\n")
}

// Drain turns /readyz to 503 for good, the first step of a shutdown: the
// load balancer stops sending new requests while this instance still
// answers the ones that arrive.
func (s *Server) Drain() { s.draining.Store(true) }
