package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sgidweb/sgidweb/internal/config"
)

type ctxKey int

const requestIDKey ctxKey = iota

// maxBodyBytes bounds every request body: our forms carry a token or two.
const maxBodyBytes = 64 << 10

// requestID gives each request an id for logs and error pages. Incoming ids
// are not trusted: they would let a client forge log correlation.
func (s *Server) requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		id := hex.EncodeToString(b)
		c.Response().Header().Set(echo.HeaderXRequestID, id)
		req := c.Request()
		c.SetRequest(req.WithContext(context.WithValue(req.Context(), requestIDKey, id)))
		return next(c)
	}
}

// RequestID returns the id requestID gave the request.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// logger returns the logger for this request, tagged with its id.
func (s *Server) logger(c echo.Context) *slog.Logger {
	return s.log.With("request_id", RequestID(c.Request().Context()))
}

// accessLog writes one line per request and records it in the metrics. It logs the route pattern and the
// path, never the query: the callback's query holds the authorization code.
func (s *Server) accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		elapsed := time.Since(start)
		route := routeLabel(c, err)
		s.metrics.Request(route, methodLabel(c.Request().Method), c.Response().Status, elapsed)
		// The id goes in as the line's first attribute rather than through
		// logger(): the line reads the same, without building a logger per
		// request.
		ctx := c.Request().Context()
		s.access.LogAttrs(ctx, slog.LevelInfo, "request",
			slog.String("request_id", RequestID(ctx)),
			slog.String("method", c.Request().Method),
			slog.String("route", route),
			slog.Int("status", c.Response().Status),
			slog.String("client_ip", c.RealIP()),
			slog.Duration("duration", elapsed),
		)
		return nil
	}
}

// routeLabel names the route for logs and metrics: its pattern, or
// "unmatched" when the router found no handler (Echo's own 404 and 405),
// so unknown addresses never become new metric series.
func routeLabel(c echo.Context, err error) string {
	if c.Path() == "" || errors.Is(err, echo.ErrNotFound) || errors.Is(err, echo.ErrMethodNotAllowed) {
		return "unmatched"
	}
	return c.Path()
}

// methodLabel maps the client's method to a fixed set, so a client cannot
// mint metric series by inventing methods.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost:
		return method
	}
	return "OTHER"
}

// recoverPanics turns a panic into a logged 500 page without a stack trace
// in the response.
func (s *Server) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				s.logger(c).Error("panic", "panic", fmt.Sprint(r))
				err = fmt.Errorf("web: panic in %s", c.Path())
			}
		}()
		return next(c)
	}
}

// limitBody caps the request body at maxBodyBytes and keeps the error its
// reading fails with, if any (see bodyReadError).
func (s *Server) limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if req.ContentLength > maxBodyBytes {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "The request is too large.")
		}
		req.Body = &clientBody{ReadCloser: http.MaxBytesReader(c.Response(), req.Body, maxBodyBytes)}
		return next(c)
	}
}

// clientBody remembers why reading the request body failed, so that a
// client that went away mid-body (closed the connection, or sent so slowly
// that the server's ReadTimeout ended the read) is told apart from a form
// that arrived whole and does not parse.
type clientBody struct {
	io.ReadCloser
	err error
}

func (b *clientBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF && b.err == nil {
		b.err = err
	}
	return n, err
}

// bodyReadError is the error reading req's body failed with, or nil.
func bodyReadError(req *http.Request) error {
	if b, ok := req.Body.(*clientBody); ok {
		return b.err
	}
	return nil
}

// contentSecurityPolicy allows our own scripts, styles and images only. The
// login form is redirected to sgID, and browsers apply form-action to that
// redirect, so sgID's origin is allowed there.
func contentSecurityPolicy(cfg config.Config) string {
	formAction := "'self'"
	if u, err := url.Parse(cfg.SGIDHostname); err == nil && !cfg.MockMode {
		formAction += " " + u.Scheme + "://" + u.Host
	}
	return strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self'",
		"connect-src 'self'",
		"form-action " + formAction,
		"frame-ancestors 'none'",
		"base-uri 'none'",
	}, "; ")
}

// securityHeaders sets the headers every response carries.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", s.csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if s.cfg.Secure() {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		return next(c)
	}
}

// noStore keeps personal pages out of every cache.
func (s *Server) noStore(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "no-store")
		return next(c)
	}
}
